"""Reports for people: one issues.csv and issues.xlsx across both returns, as files on disk."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.partitions import PARTITIONS, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.engine import ISSUE_COLUMNS, RunResult, sort_issues
from statreturns.files import write_csv_atomic
from statreturns.validate import write_issues_xlsx


@asset(group_name="reports", partitions_def=PARTITIONS)
@withhold_data_in_errors
def validation_report(context: AssetExecutionContext, settings: Settings, cin_findings: dict[str, pd.DataFrame],
                      ssda903_findings: dict[str, pd.DataFrame]) -> MaterializeResult:
    """All findings of the run in one issues.csv (the contract's header) and one workbook."""
    issues = sort_issues(pd.concat([cin_findings["issues"], ssda903_findings["issues"]], ignore_index=True))
    issues = issues[ISSUE_COLUMNS]
    rules = pd.concat([cin_findings["rules"], ssda903_findings["rules"]], ignore_index=True)
    out = settings.partition_outputs(partition_of(context))
    csv = write_csv_atomic(issues, out / "issues.csv")
    xlsx = write_issues_xlsx(RunResult(issues=issues, rule_status=rules), out / "issues.xlsx")
    return MaterializeResult(metadata={
        "errors": int((issues["severity"] == "error").sum()),
        "queries": int((issues["severity"] == "query").sum()),
        "issues_csv": str(csv), "issues_xlsx": str(xlsx),
    })
