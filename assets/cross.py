"""Cross-return checks: the CIN census, the SSDA903 and the school rolls agree about each child.

Thin: the return assets' stored tables and the canonical school roll in, ``statreturns.cross`` does the
work. Findings go to files (outputs/<year>/<la>/cross/); Dagster gets counts by rule only. The check is
a warning: these are our checks, not the DfE's, so they never block a submission.
"""

from pathlib import Path

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MetadataValue,
    Output,
    asset,
)

from assets.checks import findings_metadata, findings_output
from assets.partitions import PARTITIONS, Partition, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from schemas import canonical
from statreturns.cross import validate_cross
from statreturns.engine import counts_by_rule
from statreturns.validate import write_issue_files

CHECK = "no_cross_queries"


def school_roll(settings: Settings, part: Partition) -> pd.DataFrame:
    """The canonical school_pupils table canonical_tables stored for the partition (only that table)."""
    path = Path(settings.run_dir) / "tables" / "canonical_tables" / part.folder() / "school_pupils.parquet"
    return pd.read_parquet(path) if path.exists() else canonical.empty("school_pupils")


@withhold_data_in_errors
def _run(context: AssetExecutionContext, settings: Settings, cin: dict[str, pd.DataFrame],
         lac: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], dict, dict[str, int]]:
    part = partition_of(context)
    result = validate_cross(cin, lac, school_roll(settings, part), part.year, la_code=part.la)
    paths = write_issue_files(result, settings.partition_outputs(part, "cross"))
    counts = counts_by_rule(result.issues)
    by_rule = {str(c): int(n) for c, n in zip(counts["rule_code"], counts["findings"], strict=True)}
    metadata = {**findings_metadata(result), "issues_file": str(paths["issues_csv"])}
    return findings_output(result), metadata, by_rule


@asset(group_name="cross", io_manager_key="tables_io", partitions_def=PARTITIONS, deps=["canonical_tables"],
       check_specs=[AssetCheckSpec(CHECK, asset="cross_findings", blocking=False,
                                   description="The CIN census, the SSDA903 and the school rolls agree about each "
                                               "child (cross-return checks; a warning, never blocking).")])
def cross_findings(context: AssetExecutionContext, settings: Settings, cin_census_tables: dict[str, pd.DataFrame],
                   ssda903_tables: dict[str, pd.DataFrame]):
    """Every cross-return check (X01...): findings (return `cross`, severity query) and each rule's status;
    issues.csv/xlsx and rules.csv for people in the partition's outputs `cross/` folder."""
    output, metadata, by_rule = _run(context, settings, cin_census_tables, ssda903_tables)
    yield Output(output, metadata=metadata)
    yield AssetCheckResult(check_name=CHECK, asset_key="cross_findings", passed=not by_rule,
                           severity=AssetCheckSeverity.WARN,
                           metadata={"queries": sum(by_rule.values()), "by_rule": MetadataValue.json(by_rule)})
