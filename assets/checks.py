"""The checks every return asset carries: DfE errors block, queries warn. Counts by rule only."""

import pandas as pd
from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue

from statreturns.engine import RunResult, counts_by_rule
from statreturns.validate import summary_counts


def return_check_specs(asset: str) -> list[AssetCheckSpec]:
    return [
        AssetCheckSpec("no_dfe_errors", asset=asset, blocking=True,
                       description="No DfE validation error remains (errors block the submission)."),
        AssetCheckSpec("no_dfe_queries", asset=asset,
                       description="No DfE query remains (queries need a fix or an explanation)."),
    ]


def _by_rule(issues: pd.DataFrame, severity: str) -> dict[str, int]:
    counts = counts_by_rule(issues[issues["severity"] == severity])
    # Summed per code: one code can carry several messages (date, XSD: one per element and line).
    totals = counts.groupby("rule_code", sort=True)["findings"].sum()
    return {str(code): int(n) for code, n in totals.items()}


def return_check_results(asset: str, issues: pd.DataFrame) -> list[AssetCheckResult]:
    errors = _by_rule(issues, "error")
    queries = _by_rule(issues, "query")
    return [
        AssetCheckResult(check_name="no_dfe_errors", asset_key=asset, passed=not errors,
                         severity=AssetCheckSeverity.ERROR,
                         metadata={"errors": sum(errors.values()), "by_rule": MetadataValue.json(errors)}),
        AssetCheckResult(check_name="no_dfe_queries", asset_key=asset, passed=not queries,
                         severity=AssetCheckSeverity.WARN,
                         metadata={"queries": sum(queries.values()), "by_rule": MetadataValue.json(queries)}),
    ]


def findings_output(result: RunResult) -> dict[str, pd.DataFrame]:
    """What a findings asset stores: the issues and each rule's status (ran, skipped, failed).

    `row` is text: a row number, or empty for a header-level finding (one Parquet type for both)."""
    issues = result.issues.assign(row=result.issues["row"].astype(str).astype(object))
    return {"issues": issues, "rules": result.rule_status.astype({"reason": object})}


def findings_metadata(result: RunResult) -> dict:
    """Counts only: findings by severity, rules by status. Never a child id or a value."""
    issues = result.issues
    return {**summary_counts(result),
            "children_with_findings": int(issues.loc[issues["child_id"] != "", "child_id"].nunique())}
