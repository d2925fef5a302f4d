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

import pandas as pd

from statreturns import dates

T = TypeVar("T")
CHILD = "LAchildID"

# Column layout of each raw table, in XSD order. Key columns first.
COLUMNS: dict[str, list[str]] = {
    "Header": ["Collection", "Year", "ReferenceDate", "SourceLevel", "LEA", "SoftwareCode", "Release",
               "SerialNo", "DateTime"],
    "ChildIdentifiers": [CHILD, "UPN", "FormerUPN", "UPNunknown", "PersonBirthDate", "ExpectedPersonBirthDate",
                         "GenderCurrent", "Sex", "PersonDeathDate"],
    "ChildCharacteristics": [CHILD, "Ethnicity"],
    "Disabilities": [CHILD, "Disability"],
    "CINdetails": [CHILD, "CINdetailsID", "CINreferralDate", "ReferralSource", "PrimaryNeedCode",
                   "CINclosureDate", "ReasonForClosure", "DateOfInitialCPC", "ReferralNFA"],
    "Assessments": [CHILD, "CINdetailsID", "AssessmentID", "AssessmentActualStartDate",
                    "AssessmentInternalReviewDate", "AssessmentAuthorisationDate"],
    "AssessmentFactorsList": [CHILD, "CINdetailsID", "AssessmentID", "AssessmentFactors"],
    "CINplanDates": [CHILD, "CINdetailsID", "CINPlanStartDate", "CINPlanEndDate"],
    "Section47": [CHILD, "CINdetailsID", "S47ActualStartDate", "InitialCPCtarget", "DateOfInitialCPC",
                  "ICPCnotRequired"],
    "ChildProtectionPlans": [CHILD, "CINdetailsID", "CPPID", "CPPstartDate", "CPPendDate",
                             "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP"],
    "Reviews": [CHILD, "CINdetailsID", "CPPID", "CPPreviewDate"],
    "PreProceedings": [CHILD, "CINdetailsID", "PPStartDate", "LBPSentDate", "FGDMMeetingOffer", "FGDMMeetingFac",
                       "InitialPPMeetingDate", "ReviewMeetingsCount", "StepDecisionDate", "PPOutcome",
                       "CourtAppDate", "LetterInitCPDate"],
}

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
    frames: dict[str, pd.DataFrame] = {}
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
        date_columns = DATE_COLUMNS.get(name, [])
        for col in frame.columns:
            if col not in date_columns and frame[col].dtype == object:
                frame[col] = dates.text(frame[col])
        frame = dates.parse_columns(frame, date_columns, dates.ISO)
        for col in BOOL_COLUMNS.get(name, []):
            frame[f"{col}_bool"] = to_bool(frame[col])
        frames[name] = frame
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
