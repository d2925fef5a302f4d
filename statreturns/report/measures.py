"""Figures from the canonical case history for one collection year and the year before.

Each measure says in its name whether it counts what *started* in the period or what was *open* at any
time in it (started on or before 31 March and not ended before 1 April). Breakdowns use the code as
recorded, with its DfE name where we have one; a blank code is counted as "Not recorded".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from schemas.canonical import empty
from statreturns.report import labels
from statreturns.report.model import Period, period

TREND_COLUMNS = ["measure", "category", "last_year", "this_year", "change"]
ALL = "All"


def _table(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    return tables[name] if name in tables else empty(name)


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_datetime(frame[column], errors="coerce")


def started_in(frame: pd.DataFrame, start: str, p: Period) -> pd.Series:
    s = _dates(frame, start)
    return (s >= p.start) & (s <= p.end)


def open_in(frame: pd.DataFrame, start: str, end: str, p: Period) -> pd.Series:
    s, e = _dates(frame, start), _dates(frame, end)
    return (s <= p.end) & (e.isna() | (e >= p.start))


def _codes(frame: pd.DataFrame, column: str, names: Mapping[str, str]) -> pd.Series:
    raw = frame[column].astype("object").where(frame[column].notna(), "").astype("str").str.strip()
    known = pd.Series({code: labels.describe(names, code) for code in raw.unique()}, dtype="object")
    return pd.Series(known.reindex(raw.to_numpy()).to_numpy(), index=frame.index, dtype="object")


@dataclass(frozen=True)
class Breakdown:
    suffix: str  # inserted into the measure's name: "Referrals by primary need (started in period)"
    column: str
    names: Mapping[str, str]


@dataclass(frozen=True)
class Measure:
    name: str
    table: str
    start: str
    end: str | None = None  # None: count what started in the period; else what was open in it
    unique: str | None = None  # count distinct values of this column (children) instead of rows
    breakdowns: tuple[Breakdown, ...] = ()

    def rows(self, frame: pd.DataFrame, p: Period) -> pd.Series:
        return open_in(frame, self.start, self.end, p) if self.end else started_in(frame, self.start, p)


MEASURES: tuple[Measure, ...] = (
    Measure("Children in need (open in period)", "cin_episodes", "CINreferralDate", "CINclosureDate",
            unique="child_id"),
    Measure("Referrals (started in period)", "cin_episodes", "CINreferralDate",
            breakdowns=(Breakdown("by primary need", "PrimaryNeedCode", labels.PRIMARY_NEED),)),
    Measure("Assessments (started in period)", "assessments", "AssessmentActualStartDate"),
    Measure("Section 47 enquiries (started in period)", "section47", "S47ActualStartDate"),
    Measure("CIN plans (open in period)", "cin_plans", "CINPlanStartDate", "CINPlanEndDate"),
    Measure("CIN plans (started in period)", "cin_plans", "CINPlanStartDate"),
    Measure("Child protection plans (open in period)", "cp_plans", "CPPstartDate", "CPPendDate"),
    Measure("Child protection plans (started in period)", "cp_plans", "CPPstartDate", breakdowns=(
        Breakdown("by initial category of abuse", "InitialCategoryOfAbuse", labels.CATEGORY_OF_ABUSE),)),
    Measure("Looked-after children (open in period)", "la_episodes", "DECOM", "DEC", unique="child_id"),
    Measure("Looked-after episodes (open in period)", "la_episodes", "DECOM", "DEC", breakdowns=(
        Breakdown("by legal status", "LS", labels.LEGAL_STATUS),
        Breakdown("by placement type", "PLACE", labels.PLACEMENT))),
    Measure("Looked-after episodes (started in period)", "la_episodes", "DECOM"),
)


def _recorded_first(counts: pd.DataFrame) -> pd.DataFrame:
    """Categories in code order, with "Not recorded" last."""
    counts = counts.sort_index()
    blank = counts.index == labels.NOT_RECORDED
    return pd.concat([counts[~blank], counts[blank]])


def _count(frame: pd.DataFrame, mask: np.ndarray, unique: str | None) -> int:
    rows = frame.loc[mask]
    return int(rows[unique].nunique()) if unique else len(rows)


def trend(tables: Mapping[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """This collection year against the one before: measure, category, last_year, this_year, change."""
    now, before = period(year), period(year - 1)
    parts: list[pd.DataFrame] = []
    for m in MEASURES:
        frame = _table(tables, m.table)
        this, last = m.rows(frame, now).to_numpy(), m.rows(frame, before).to_numpy()
        parts.append(pd.DataFrame({"measure": [m.name], "category": [ALL],
                                   "last_year": [_count(frame, last, m.unique)],
                                   "this_year": [_count(frame, this, m.unique)]}))
        for b in m.breakdowns:
            cats = _codes(frame, b.column, b.names)
            counts = pd.DataFrame({"last_year": cats[last].value_counts(), "this_year": cats[this].value_counts()})
            counts = _recorded_first(counts.fillna(0).astype("int64")).rename_axis("category").reset_index()
            parts.append(counts.assign(measure=m.name.replace(" (", f" {b.suffix} (", 1)))
    out = pd.concat(parts, ignore_index=True)
    out["change"] = out["this_year"] - out["last_year"]
    return out[TREND_COLUMNS]


def children_by_need(tables: Mapping[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """Children in need in each year by the primary need of their latest episode open in that year."""
    episodes = _table(tables, "cin_episodes")
    cols = {}
    for key, p in (("last_year", period(year - 1)), ("this_year", period(year))):
        open_ = episodes.loc[open_in(episodes, "CINreferralDate", "CINclosureDate", p).to_numpy()]
        latest = open_.sort_values(["child_id", "CINreferralDate"], kind="stable").drop_duplicates(
            "child_id", keep="last")
        cols[key] = latest["PrimaryNeedCode"].astype("object").where(latest["PrimaryNeedCode"].notna(), "")\
            .value_counts()
    out = pd.DataFrame(cols).fillna(0).astype("int64").rename(index={"": labels.NOT_RECORDED})
    return _recorded_first(out).rename_axis("code").reset_index()


def episodes_by_month(tables: Mapping[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """Looked-after episodes open at any time in each month of this period and of the period before."""
    episodes = _table(tables, "la_episodes")
    start, end = _dates(episodes, "DECOM").to_numpy(), _dates(episodes, "DEC").to_numpy()
    cols = {}
    for key, p in (("last_year", period(year - 1)), ("this_year", period(year))):
        months = pd.date_range(p.start, periods=12, freq="MS")
        first = months.to_numpy()[None, :]
        last = (months + pd.offsets.MonthEnd(0)).to_numpy()[None, :]
        open_ = (start[:, None] <= last) & (np.isnat(end)[:, None] | (end[:, None] >= first))
        cols[key] = open_.sum(axis=0).astype("int64")
    months = pd.date_range(period(year).start, periods=12, freq="MS")
    return pd.DataFrame({"month": months.strftime("%b"), **cols})
