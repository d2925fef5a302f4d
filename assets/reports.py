"""Reports for people, as files on disk: issues.csv/xlsx across both returns, the run report (HTML and
XLSX), and the submission pack once no DfE error remains."""

import os
from datetime import UTC, datetime

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.partitions import PARTITIONS, Partition, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.engine import ISSUE_COLUMNS, RunResult, sort_issues
from statreturns.files import write_people_csv
from statreturns.report import ReportInput, SubmissionBlocked, build_report, build_submission_pack
from statreturns.retention.sharing import record_export
from statreturns.validate import file_order, write_issues_xlsx


def _generated_at() -> datetime:
    # SOURCE_DATE_EPOCH (the reproducible-builds convention) pins the stamp for byte-identical reruns.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC).replace(microsecond=0)


def _report_input(part: Partition, tables: dict[str, pd.DataFrame], cin: dict[str, pd.DataFrame],
                  ssda903: dict[str, pd.DataFrame], cross: dict[str, pd.DataFrame] | None = None,
                  notes: tuple[str, ...] = ()) -> ReportInput:
    """Both returns' findings, and the cross-return checks' where given (the report shows them; the
    submission pack's gate does not take them: they are not DfE rules and never block)."""
    found = [cin, ssda903, *([cross] if cross is not None else [])]
    issues = sort_issues(pd.concat([f["issues"] for f in found], ignore_index=True))[ISSUE_COLUMNS]
    rules = pd.concat([f["rules"] for f in found], ignore_index=True)
    return ReportInput(la_code=part.la, year=part.year, generated_at=_generated_at(), issues=issues,
                       rule_status=rules, tables=tables, notes=notes)


@asset(group_name="reports", partitions_def=PARTITIONS)
@withhold_data_in_errors
def validation_report(context: AssetExecutionContext, settings: Settings, canonical_tables: dict[str, pd.DataFrame],
                      cin_findings: dict[str, pd.DataFrame], ssda903_findings: dict[str, pd.DataFrame],
                      cross_findings: dict[str, pd.DataFrame]) -> MaterializeResult:
    """The run's findings for people: issues.csv (the contract's header) and issues.xlsx, and the run
    report (report.html and report.xlsx: findings by rule and by child, the cross-return checks, trend
    against last year, plots)."""
    part = partition_of(context)
    out = settings.partition_outputs(part)
    notes = tuple(line for path in sorted((out / "sources").glob("*.txt"))
                  for line in path.read_text(encoding="utf-8").splitlines() if line)  # written by the sources
    run = _report_input(part, canonical_tables, cin_findings, ssda903_findings, cross_findings, notes)
    csv = write_people_csv(file_order(run.issues)[ISSUE_COLUMNS], out / "issues.csv")
    xlsx = write_issues_xlsx(RunResult(issues=run.issues, rule_status=run.rule_status), out / "issues.xlsx")
    report = build_report(run, out)
    return MaterializeResult(metadata={
        "errors": int((run.issues["severity"] == "error").sum()),
        "queries": int((run.issues["severity"] == "query").sum()),
        "issues_csv": str(csv), "issues_xlsx": str(xlsx),
        "report_html": str(report["html"]), "report_xlsx": str(report["xlsx"]),
    })


@asset(group_name="reports", partitions_def=PARTITIONS, deps=["cin_census_xml", "ssda903_files", "validation_report"])
@withhold_data_in_errors
def submission_pack(context: AssetExecutionContext, settings: Settings, canonical_tables: dict[str, pd.DataFrame],
                    cin_findings: dict[str, pd.DataFrame],
                    ssda903_findings: dict[str, pd.DataFrame]) -> MaterializeResult:
    """Both return files, the run report and a manifest of SHA-256 checksums, zipped. Runs only once the
    returns' blocking checks pass, and refuses while any DfE error remains."""
    part = partition_of(context)
    run = _report_input(part, canonical_tables, cin_findings, ssda903_findings)
    failed = int((run.rule_status["status"] == "failed").sum())
    if failed:  # a rule that raised checked nothing: the return is not known to be clean
        raise SubmissionBlocked(f"submission blocked: {failed} rule(s) failed to run (see rules.csv)")
    out = settings.partition_outputs(part)
    returns = [out / "cin" / f"{part.la}_CIN_{part.year}.xml",
               *sorted((out / "ssda903" / f"{part.la}_903_{part.year}").glob("*.csv"))]
    pack = build_submission_pack(run, returns, [out / "report.html", out / "report.xlsx"], out / "submission")
    # The sharing register: which children this pack carries, for whom, on what lawful basis.
    engine = settings.warehouse_engine(part.la)
    try:
        entry = record_export(engine, "submission_pack", pack, subjects=None, actor=f"statreturns submission_pack {part.la}|{part.year}")
    finally:
        engine.dispose()
    return MaterializeResult(metadata={"pack": str(pack), "files": len(returns) + 3,
                                       "bytes": pack.stat().st_size, "sharing_register_entry": entry})
