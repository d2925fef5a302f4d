"""Small hand-built canonical tables and runs for the unit tests (synthetic ids only)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from schemas.canonical import empty
from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS
from statreturns.report import ReportInput

WHEN = datetime(2026, 4, 20, 9, 30, tzinfo=UTC)


def frame(table: str, rows: list[dict]) -> pd.DataFrame:
    """Rows on the canonical table's shape: missing columns blank, dates parsed."""
    base = empty(table)
    data = pd.DataFrame(rows, columns=base.columns)
    for col in base.columns:
        if str(base[col].dtype).startswith("datetime"):
            data[col] = pd.to_datetime(data[col])
    return data


def issue(child: str, rule: str, severity: str = "error", message: str = "a message", row: int | str = 0,
          table: str = "CINdetails", field: str = "CINreferralDate", return_: str = "cin") -> dict:
    return dict(zip(ISSUE_COLUMNS, [return_, 2026, rule, severity, table, field, child, row, message], strict=True))


def issues(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=ISSUE_COLUMNS)


def status(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=RULE_STATUS_COLUMNS)


def run(issue_rows: list[dict], status_rows: list[tuple] = (), tables: dict | None = None) -> ReportInput:
    return ReportInput(la_code="999", year=2026, generated_at=WHEN, issues=issues(issue_rows),
                       rule_status=status(list(status_rows)), tables=tables or {})
