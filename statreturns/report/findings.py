"""Findings regrouped for people: counts by rule, a to-do list by child, the rules that did not run."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS

CROSS = "cross"  # the cross-return checks' `return`: reported in their own section, never blocking
BY_RULE_COLUMNS = ["return", "rule_code", "severity", "message", "table", "field", "findings", "children"]
BY_CHILD_COLUMNS = ["child_id", "return", "severity", "rule_code", "table", "field", "row", "message"]
NOT_RUN_COLUMNS = ["return", "rule_code", "severity", "status", "reason"]


def clean_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """The issue columns as plain text (blank, not NaN, where empty), as read back from issues.csv too."""
    out = issues.reindex(columns=ISSUE_COLUMNS)
    text = [c for c in ISSUE_COLUMNS if c != "year"]
    out[text] = out[text].astype("object").where(out[text].notna(), "").astype("str").astype("object")
    return out.reset_index(drop=True)


def summary(issues: pd.DataFrame, rule_status: pd.DataFrame) -> dict[str, int]:
    return _summary(clean_issues(issues), rule_status)


def _summary(issues: pd.DataFrame, rule_status: pd.DataFrame) -> dict[str, int]:
    status = rule_status.reindex(columns=RULE_STATUS_COLUMNS)["status"].value_counts()
    errors = issues["severity"] == "error"
    named = issues["child_id"] != ""
    return {
        "errors": int(errors.sum()),
        "queries": int((issues["severity"] == "query").sum()),
        "findings": len(issues),
        "children_with_findings": int(issues.loc[named, "child_id"].nunique()),
        "children_with_errors": int(issues.loc[named & errors, "child_id"].nunique()),
        "rules_with_errors": int(issues.loc[errors, ["return", "rule_code"]].drop_duplicates().shape[0]),
        "rules_ran": int(status.get("ran", 0)),
        "rules_skipped": int(status.get("skipped", 0)),
        "rules_failed": int(status.get("failed", 0)),
    }


def by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """One row per rule: its DfE message, where it looks, how many findings and how many children.

    Errors first, then the rules with most findings: the order a data manager works through them.
    """
    return _by_rule(clean_issues(issues))


def _by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    if issues.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in BY_RULE_COLUMNS})
    keys = ["return", "rule_code", "severity", "message", "table", "field"]
    named = issues.assign(_child=issues["child_id"].where(issues["child_id"] != ""))
    out = named.groupby(keys, sort=True).agg(findings=("row", "size"), children=("_child", "nunique"))
    out = out.reset_index().sort_values(["severity", "findings", "return", "rule_code"],
                                        ascending=[True, False, True, True], kind="stable")
    return out[BY_RULE_COLUMNS].reset_index(drop=True)


def by_child(issues: pd.DataFrame) -> pd.DataFrame:
    """Every finding, grouped by child (errors first within a child); findings about no child come last."""
    return _by_child(clean_issues(issues))


def _by_child(issues: pd.DataFrame) -> pd.DataFrame:
    row = pd.to_numeric(issues["row"], errors="coerce").fillna(-1)
    out = issues.assign(_nochild=issues["child_id"] == "", _row=row).sort_values(
        ["_nochild", "child_id", "severity", "rule_code", "return", "table", "_row"], kind="stable")
    return out[BY_CHILD_COLUMNS].reset_index(drop=True)


def child_counts(ordered: pd.DataFrame) -> pd.DataFrame:
    """For ``by_child`` output: per child (in its order) the number of findings, errors and queries."""
    if ordered.empty:
        return pd.DataFrame({"child_id": [], "findings": [], "errors": [], "queries": []})
    sev = pd.get_dummies(ordered["severity"]).reindex(columns=["error", "query"], fill_value=False)
    counts = sev.astype("int64").groupby(ordered["child_id"].to_numpy(), sort=False).sum()
    counts = counts.rename(columns={"error": "errors", "query": "queries"})
    counts["findings"] = counts["errors"] + counts["queries"]
    return counts.rename_axis("child_id").reset_index()[["child_id", "findings", "errors", "queries"]]


def rules_not_run(rule_status: pd.DataFrame) -> pd.DataFrame:
    status = rule_status.reindex(columns=RULE_STATUS_COLUMNS)
    out = status.loc[status["status"] != "ran", NOT_RUN_COLUMNS]
    out = out.astype("object").where(out.notna(), "")
    return out.sort_values(["status", "return", "rule_code"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class Regrouped:
    """The findings of one run regrouped once, for every part of the report that shows them."""

    issues: pd.DataFrame  # clean_issues
    counts: dict[str, int]  # summary
    by_rule: pd.DataFrame
    by_child: pd.DataFrame
    not_run: pd.DataFrame  # rules_not_run

    def __repr__(self) -> str:  # counts only: the frames hold children's identifiers
        return f"Regrouped(findings={len(self.issues)}, rules={len(self.by_rule)})"


def regroup(issues: pd.DataFrame, rule_status: pd.DataFrame) -> Regrouped:
    """summary, by_rule, by_child and rules_not_run of one run, the issues cleaned once for all of them."""
    clean = clean_issues(issues)
    return Regrouped(issues=clean, counts=_summary(clean, rule_status), by_rule=_by_rule(clean),
                     by_child=_by_child(clean), not_run=rules_not_run(rule_status))
