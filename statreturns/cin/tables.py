"""The CIN census as the rules see it: one frame per XML block, dates parsed once.

Raw frames (as the reader returns them) hold strings, ``None`` where an element is absent, and a
RangeIndex in document order. Each frame carries ``LAchildID``; episode-level frames carry
``CINdetailsID`` (a file-wide 0-based counter), assessments and factors ``AssessmentID``, plans and
their reviews ``CPPID`` (also file-wide, so they never restart per episode).

``build_tables`` strips every text value (a blank becomes missing), parses every date column once
(the raw text stays in ``<col>_raw``) and adds
normalised yes/no columns ``<col>_bool`` (True, False, or <NA> for blank or not a yes/no value).
Rules read these frames and never write to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import pandas as pd

from statreturns import dates
from statreturns.cin.layout import CHILD, COLUMNS

T = TypeVar("T")

DATE_COLUMNS: dict[str, list[str]] = {
    "Header": ["ReferenceDate"],
    "ChildIdentifiers": ["PersonBirthDate", "ExpectedPersonBirthDate", "PersonDeathDate"],
    "CINdetails": ["CINreferralDate", "CINclosureDate", "DateOfInitialCPC"],
    "Assessments": ["AssessmentActualStartDate", "AssessmentInternalReviewDate", "AssessmentAuthorisationDate"],
    "CINplanDates": ["CINPlanStartDate", "CINPlanEndDate"],
    "Section47": ["S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC"],
    "ChildProtectionPlans": ["CPPstartDate", "CPPendDate"],
    "Reviews": ["CPPreviewDate"],
    "PreProceedings": ["PPStartDate", "LBPSentDate", "InitialPPMeetingDate", "StepDecisionDate", "CourtAppDate",
                       "LetterInitCPDate"],
}

BOOL_COLUMNS: dict[str, list[str]] = {
    "CINdetails": ["ReferralNFA"],
    "Section47": ["ICPCnotRequired"],
    "PreProceedings": ["FGDMMeetingOffer", "FGDMMeetingFac"],
}

# The XSD's yes/no spellings. The DfE text treats them alike, so we do too (unlike some public rules).
_TRUE = {"true", "1", "y", "yes"}
_FALSE = {"false", "0", "n", "no"}


def to_bool(raw: pd.Series) -> pd.Series:
    text = raw.astype("str").str.strip().str.lower()
    out = pd.Series(pd.NA, index=raw.index, dtype="boolean")
    out[text.isin(_TRUE) & raw.notna()] = True
    out[text.isin(_FALSE) & raw.notna()] = False
    return out


def _parse_iso(s: pd.Series) -> pd.Series:
    return dates.parse(s, dates.ISO)


def _convert_together(columns: list[pd.Series], *converts: Callable[[pd.Series], pd.Series]) -> list[list[pd.Series]]:
    """``[convert(s) for convert in converts]`` for each of ``columns``, each distinct string converted once.

    Codes, ids and dates repeat within and across tables, and the string work per cell was most of
    the cost of building tables, so the columns are factorised together and each convert runs once, on
    the distinct values (plus a last ``None`` slot, so blanks come out exactly as a whole-column
    conversion gives them). Columns are converted one by one instead when they are not all strings
    (blanks aside), so that values which hash alike but print differently (1, 1.0, True) stay apart.
    """
    if not columns:
        return []
    if any(s.dtype != object for s in columns):
        return [[convert(s) for convert in converts] for s in columns]
    codes, uniques = pd.factorize(np.concatenate([s.to_numpy() for s in columns]))
    if pd.api.types.infer_dtype(uniques, skipna=False) not in ("string", "empty"):
        return [[convert(s) for convert in converts] for s in columns]
    codes[codes < 0] = len(uniques)
    distinct = pd.Series(np.append(np.asarray(uniques, dtype=object), None), dtype=object)
    converted = [convert(distinct) for convert in converts]
    taken = [c.to_numpy()[codes] for c in converted]
    bounds = np.cumsum([0, *(len(s) for s in columns)])
    return [[pd.Series(values[lo:hi], index=s.index, name=s.name, dtype=c.dtype)
             for values, c in zip(taken, converted, strict=True)]
            for s, lo, hi in zip(columns, bounds[:-1], bounds[1:], strict=True)]


def _all_nat_unit(parsed: pd.Series) -> pd.Series:
    """A date column with no valid date in seconds, as ``dates.parse`` of that column alone gives it."""
    if parsed.dtype.kind == "M" and not parsed.notna().any():
        return parsed.astype("datetime64[s]")
    return parsed


def _build_frames(raw: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each table as ``build_tables`` gives it: ``dates.text`` on each text column, then
    ``dates.parse_columns`` on the date columns (``<col>_raw`` after the columns), then ``<col>_bool``.

    Same columns, order, values and dtypes as converting column by column; the string work is done
    once for all tables (see ``_convert_together``).
    """
    texts = [(name, col) for name, f in raw.items() for col in f.columns
             if col not in DATE_COLUMNS.get(name, []) and f[col].dtype == object]
    when = [(name, col) for name, f in raw.items() for col in DATE_COLUMNS.get(name, [])]
    text_out = _convert_together([raw[n][c] for n, c in texts], dates.text)
    date_out = _convert_together([raw[n][c] for n, c in when], dates.text, _parse_iso)
    done: dict[tuple[str, str], list[pd.Series]] = dict(zip(texts, text_out, strict=True))
    done.update(zip(when, date_out, strict=True))
    frames: dict[str, pd.DataFrame] = {}
    for name, frame in raw.items():
        columns = {col: done[(name, col)][-1] if (name, col) in done else frame[col] for col in frame.columns}
        for col in DATE_COLUMNS.get(name, []):
            columns[col] = _all_nat_unit(columns[col])
        columns.update((f"{col}_raw", done[(name, col)][0]) for col in DATE_COLUMNS.get(name, []))
        flags = BOOL_COLUMNS.get(name, [])
        for col, (flag,) in zip(flags, _convert_together([columns[c] for c in flags], to_bool), strict=True):
            columns[f"{col}_bool"] = flag
        frames[name] = pd.DataFrame(columns, index=frame.index)
    return frames


def empty_raw(name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS[name]})


@dataclass
class CinTables:
    """Parsed CIN census tables plus the census period (1 April to ReferenceDate, both inclusive)."""

    year: int
    frames: dict[str, pd.DataFrame]
    reference_date: pd.Timestamp
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    absent: dict[str, str] = field(default_factory=dict)

    memos: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A derived frame several rules share, built on first use (rules never write to it)."""
        if key not in self.memos:
            self.memos[key] = build()
        return self.memos[key]  # type: ignore[return-value]

    def has(self, name: str) -> bool:
        return name in self.frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]

    def __getattr__(self, name: str) -> pd.DataFrame:
        frames = self.__dict__.get("frames", {})
        if name in frames:
            return frames[name]
        raise AttributeError(name)


def build_tables(raw: dict[str, pd.DataFrame], year: int, *, include_draft: bool = False) -> CinTables:
    """Parse dates and yes/no items once, for every rule.

    The census period comes from the collection year (``--year 2026``: 1 April 2025 to 31 March 2026),
    not from the file's ReferenceDate, so a wrong ReferenceDate is reported by rule 100 rather than
    shifting every period rule.
    """
    prepared: dict[str, pd.DataFrame] = {}
    for name in COLUMNS:
        if name == "PreProceedings" and not include_draft:
            continue
        frame = raw.get(name)
        if frame is None:
            frame = empty_raw(name)
        frame = frame.reset_index(drop=True)
        for col in COLUMNS[name]:
            if col not in frame.columns:
                frame[col] = None
        prepared[name] = frame
    frames = _build_frames(prepared)
    ref = pd.Timestamp(year=year, month=3, day=31)
    return CinTables(
        year=year,
        frames=frames,
        reference_date=ref,
        period_start=pd.Timestamp(year=year - 1, month=4, day=1),
        period_end=ref,
    )


def date_issues(t: CinTables) -> pd.DataFrame:
    """Findings for dates the XSD would reject (not yyyy-mm-dd), one per cell, rule code ``date``."""
    rows = []
    for name, cols in DATE_COLUMNS.items():
        if not t.has(name):
            continue
        frame = t[name]
        for col in cols:
            bad = dates.invalid(frame[f"{col}_raw"], frame[col])
            if bad.any():
                idx = frame.index[bad.to_numpy()]
                child = frame.loc[idx, CHILD].astype("str") if CHILD in frame else pd.Series("", index=idx)
                rows.append(pd.DataFrame({
                    "return": "cin", "year": t.year, "rule_code": "date", "severity": "error", "table": name,
                    "field": col, "child_id": child.to_numpy(), "row": idx.to_numpy(),
                    "message": f"{col} is not a valid date (the XSD requires yyyy-mm-dd)",
                }))
    if not rows:
        return pd.DataFrame(columns=["return", "year", "rule_code", "severity", "table", "field", "child_id",
                                     "row", "message"])
    return pd.concat(rows, ignore_index=True)
