"""Reports for people: one issues.csv and issues.xlsx across both returns, as files on disk."""

import pandas as pd
from dagster import MaterializeResult, asset

from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS, RunResult, sort_issues
from statreturns.files import write_csv_atomic
from statreturns.validate import write_issues_xlsx


@asset(group_name="reports")
@withhold_data_in_errors
def validation_report(settings: Settings, cin_findings: pd.DataFrame,
                      ssda903_findings: pd.DataFrame) -> MaterializeResult:
    """All findings of the run in one issues.csv (the contract's header) and one workbook."""
    issues = sort_issues(pd.concat([cin_findings, ssda903_findings], ignore_index=True))[ISSUE_COLUMNS]
    out = settings.outputs()
    csv = write_csv_atomic(issues, out / "issues.csv")
    status = pd.DataFrame(columns=RULE_STATUS_COLUMNS)
    xlsx = write_issues_xlsx(RunResult(issues=issues, rule_status=status), out / "issues.xlsx")
    return MaterializeResult(metadata={
        "errors": int((issues["severity"] == "error").sum()),
        "queries": int((issues["severity"] == "query").sum()),
        "issues_csv": str(csv), "issues_xlsx": str(xlsx),
    })
