"""The run report as a workbook people filter: Summary, By rule, By child, Trend, Rules not run.

A sheet over Excel's row limit (By child, in a very large run) continues on further sheets named
``By child (1 of N)``, ... (statreturns.workbook)."""

from __future__ import annotations

import io
from datetime import UTC
from pathlib import Path

import pandas as pd

from statreturns.files import write_bytes_atomic
from statreturns.report import findings
from statreturns.report.html import RETURN_LABELS, generated_label
from statreturns.report.model import ReportInput, period, year_label
from statreturns.workbook import HEADER_SHADED, WRAP, Sheet, write_workbook

SHEETS = ("Summary", "By rule", "Cross-return checks", "By child", "Trend", "Rules not run")
WIDTHS = {"DfE message": 70, "What to do": 70, "Reason": 60, "Measure": 48, "Category": 44, "Value": 44, "Item": 26, "Field": 30,
          "Child": 18, "Table": 18, "Return": 12}

# Cell text is data: statreturns.workbook never writes a formula or a link, whatever a value starts with.


def _return_label(frame: pd.DataFrame) -> pd.Series:
    return frame["return"].map(RETURN_LABELS).fillna(frame["return"])


def summary_sheet(run: ReportInput) -> pd.DataFrame:
    counts = run.regrouped.counts
    status = "Blocked: errors must be fixed" if counts["errors"] else "Ready: no errors remain"
    items = [
        ("Local authority", run.la_code),
        ("Collection year", year_label(run.year)),
        ("Period", period(run.year).label),
        ("Generated", generated_label(run.generated_at)),
        ("Submission status", status),
        ("Errors", counts["errors"]),
        ("Queries", counts["queries"]),
        ("Findings", counts["findings"]),
        ("Children with findings", counts["children_with_findings"]),
        ("Children with errors", counts["children_with_errors"]),
        ("Rules run", counts["rules_ran"]),
        ("Rules skipped", counts["rules_skipped"]),
        ("Rules failed", counts["rules_failed"]),
    ]
    return pd.DataFrame(items, columns=["Item", "Value"]).astype("object")


def by_rule_sheet(issues: pd.DataFrame) -> pd.DataFrame:
    return _by_rule_sheet(findings.by_rule(issues))


def _by_rule_sheet(rules: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Return": _return_label(rules), "Rule": rules["rule_code"], "Severity": rules["severity"],
        "DfE message": rules["message"], "Table": rules["table"], "Field": rules["field"],
        "Findings": rules["findings"], "Children": rules["children"],
    })


def cross_sheet(issues: pd.DataFrame) -> pd.DataFrame:
    """The cross-return checks' findings by check (also in By rule and By child): queries, never blocking."""
    return _cross_sheet(findings.by_rule(issues))


def _cross_sheet(rules: pd.DataFrame) -> pd.DataFrame:
    rules = rules[rules["return"] == findings.CROSS]
    return pd.DataFrame({
        "Check": rules["rule_code"], "What to do": rules["message"], "Table": rules["table"], "Field": rules["field"],
        "Findings": rules["findings"], "Children": rules["children"],
    })


def by_child_sheet(issues: pd.DataFrame) -> pd.DataFrame:
    return _by_child_sheet(findings.by_child(issues))


def _by_child_sheet(f: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "Child": f["child_id"], "Return": _return_label(f), "Severity": f["severity"], "Rule": f["rule_code"],
        "Table": f["table"], "Field": f["field"], "Row": pd.to_numeric(f["row"], errors="coerce").astype("Int64"),
        "DfE message": f["message"],
    })


def trend_sheet(run: ReportInput) -> pd.DataFrame:
    t = run.trend_table
    return pd.DataFrame({
        "Measure": t["measure"], "Category": t["category"], year_label(run.year - 1): t["last_year"],
        year_label(run.year): t["this_year"], "Change": t["change"],
    })


def not_run_sheet(rule_status: pd.DataFrame) -> pd.DataFrame:
    return _not_run_sheet(findings.rules_not_run(rule_status))


def _not_run_sheet(r: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({"Return": _return_label(r), "Rule": r["rule_code"], "Severity": r["severity"],
                         "Status": r["status"], "Reason": r["reason"]})


def workbook_bytes(run: ReportInput) -> bytes:
    found = run.regrouped
    frames = dict(zip(SHEETS, (summary_sheet(run), _by_rule_sheet(found.by_rule), _cross_sheet(found.by_rule),
                               _by_child_sheet(found.by_child),
                               trend_sheet(run), _not_run_sheet(found.not_run)), strict=True))
    created = run.generated_at
    if created.tzinfo is not None:
        created = created.astimezone(UTC).replace(tzinfo=None)
    sheets = [Sheet(name, frame, widths=_widths(frame), header_style=HEADER_SHADED,
                    column_style={c: WRAP for c, w in _widths(frame).items() if w >= 40})
              for name, frame in frames.items()]
    buffer = io.BytesIO()
    write_workbook(buffer, sheets, title=f"Validation report LA {run.la_code} {year_label(run.year)}",
                   created=created)
    return buffer.getvalue()


def _widths(frame: pd.DataFrame) -> dict[str, float]:
    return {str(c): WIDTHS.get(str(c), max(10, min(24, len(str(c)) + 4))) for c in frame.columns}


def write_xlsx(run: ReportInput, path: Path) -> Path:
    return write_bytes_atomic(workbook_bytes(run), path)
