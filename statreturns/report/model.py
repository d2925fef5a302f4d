"""What a run report is made from, and the collection period it covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from statreturns.report.findings import Regrouped


@dataclass(frozen=True, repr=False)
class ReportInput:
    la_code: str  # 3-digit DfE LA number
    year: int  # collection year: 2026 = period 1 April 2025 - 31 March 2026
    generated_at: datetime  # passed in by the caller, so the same input gives the same files
    issues: pd.DataFrame  # statreturns.engine.ISSUE_COLUMNS
    rule_status: pd.DataFrame  # statreturns.engine.RULE_STATUS_COLUMNS
    tables: dict[str, pd.DataFrame]  # canonical tables, full case history (all years)
    notes: tuple[str, ...] = ()  # about the source files (a purged file delivered again): counts, no identifiers

    def __repr__(self) -> str:  # shapes only: the frames hold children's identifiers
        return (f"ReportInput(la_code={self.la_code!r}, year={self.year}, issues={len(self.issues)} rows, "
                f"tables={len(self.tables)})")

    # Computed once per input and shared by the HTML, the workbook and the pack's manifest (read only).
    @cached_property
    def regrouped(self) -> Regrouped:
        from statreturns.report.findings import regroup

        return regroup(self.issues, self.rule_status)

    @cached_property
    def trend_table(self) -> pd.DataFrame:
        """statreturns.report.measures.trend of the tables for the year."""
        from statreturns.report.measures import trend

        return trend(self.tables, self.year)


@dataclass(frozen=True)
class Period:
    start: pd.Timestamp
    end: pd.Timestamp  # inclusive: 31 March

    @property
    def label(self) -> str:
        return f"{self.start:%-d %B %Y} to {self.end:%-d %B %Y}"


def period(year: int) -> Period:
    return Period(pd.Timestamp(year=year - 1, month=4, day=1), pd.Timestamp(year=year, month=3, day=31))


def year_label(year: int) -> str:
    """The collection year as people write it: 2026 -> '2025-26'."""
    return f"{year - 1}-{year % 100:02d}"
