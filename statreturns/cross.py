"""Cross-return checks: the CIN census, the SSDA903 and the school rolls agree about each child.

``build_cross_tables`` makes one small set of frames, once, from the two returns' tables (as their
builders give them: the raw frames the return assets store) and the canonical ``school_pupils`` roll;
``validate_cross`` runs the ``cross`` rule set (``schemas/rules/cross``) over them. Findings use the
issues.csv contract with return ``cross`` and severity ``query``: these are not DfE rules and never block
a submission.

Frames (``table`` in issues.csv), each with a ``child_id`` column (LAchildID, CHILD or the roll's pupil id)
and rows in the order of the return file or roll as read:

- ``cin.ChildIdentifiers``, ``cin.CINdetails``, ``cin.ChildProtectionPlans`` (CIN census)
- ``ssda903.Header``, ``ssda903.Episodes`` (SSDA903, this year)
- ``school_pupils`` (the rolls supplied; absent when none is)
- ``children`` and ``upn_holders``: derived, one row per LA child (CIN first) and every LA child plus
  every roll row; their findings are reported against the source table and row they came from.

Derived columns: ``UPN_KEY`` (the UPN as matched: see ``upn_key``), ``DOB``, ``SEX`` (M/F, else missing),
``SCHOOL_AGE``; ``ON_ROLL`` for roll rows on the roll on the reference date.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import pandas as pd

from statreturns.cin.tables import build_tables as build_cin_tables
from statreturns.engine import ISSUE_COLUMNS, RunResult, run_rules, sort_issues
from statreturns.ssda903.tables import build_tables as build_903_tables

T = TypeVar("T")
UPN_PATTERN = r"^[A-Z][0-9]{11}[0-9A-Z]$"  # a permanent or temporary UPN (domain.md 3.1)
# Sex as the returns and rolls give it -> M/F. U (not known) and anything else is not compared.
SEX = {"M": "M", "F": "F", "1": "M", "2": "F"}
DERIVED = ("children", "upn_holders")  # frames whose findings are mapped back to their source rows


def upn_key(s: pd.Series) -> pd.Series:
    """The UPN as matched across returns and rolls: upper-cased, only where it has a UPN's shape.

    Reading: only a UPN counts. Blanks and the unknown-UPN codes (UN1-UN7, in the 903's UPN column or
    the CIN census's UPNunknown) never match anything; a UPN with a wrong check letter still counts as
    written (the DfE single-return rules report the check letter).
    """
    text = s.astype("object").where(s.notna(), None)
    up = pd.Series(text, index=s.index, dtype="object").str.strip().str.upper()
    return up.where(up.str.match(UPN_PATTERN).fillna(False).astype(bool), None).astype("object")


def sex_code(s: pd.Series) -> pd.Series:
    text = s.astype("object").where(s.notna(), None)
    return pd.Series(text, index=s.index, dtype="object").str.strip().str.upper().map(SEX).astype("object")


def school_age(dob: pd.Series, year: int) -> pd.Series:
    """Of statutory school age in the collection year ``year``: aged 5 to 15 on 31 August before the
    reference date, i.e. born 1 September ``year``-17 to 31 August ``year``-6 (Year 1 to Year 11).

    Reading (README, cross checks): compulsory school age runs from the prescribed day after the 5th
    birthday to the last Friday of June of the school year the child turns 16 (Education Act 1996 s8);
    we take whole school-year cohorts, with the lower cut-off of CIN rule 8770Q (born on or before 31
    August six years before the collection year). A reception child whose compulsory age began on 31
    December is not counted; a Year 11 pupil counts through 31 March.
    """
    first = pd.Timestamp(year=year - 17, month=9, day=1)
    last = pd.Timestamp(year=year - 6, month=8, day=31)
    return ((dob >= first) & (dob <= last)).fillna(False).astype(bool)


@dataclass
class CrossTables:
    """The frames the cross rules read, plus the collection context. Rules never write to them."""

    year: int
    frames: dict[str, pd.DataFrame]
    reference_date: pd.Timestamp
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    la_code: str | None = None
    absent: dict[str, str] = field(default_factory=dict)
    memos: dict[str, object] = field(default_factory=dict, repr=False, compare=False)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        if key not in self.memos:
            self.memos[key] = build()
        return self.memos[key]  # type: ignore[return-value]

    def has(self, name: str) -> bool:
        return name in self.frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def _text(s: pd.Series) -> pd.Series:
    return s.astype("object").where(s.notna(), None)


def build_cross_tables(cin: dict[str, pd.DataFrame] | None, ssda903: dict[str, pd.DataFrame] | None,
                       school_pupils: pd.DataFrame | None, year: int, *, la_code: str | None = None,
                       ) -> CrossTables:
    """The cross rules' frames from the CIN census tables, this year's 903 tables and the rolls.

    ``cin`` and ``ssda903`` are the returns' raw frames (``build_cin_frames`` / ``build_903_frames`` or
    the readers); ``school_pupils`` the canonical roll (None or empty: no roll supplied).
    """
    ref = pd.Timestamp(year=year, month=3, day=31)
    frames: dict[str, pd.DataFrame] = {}
    absent: dict[str, str] = {}
    c = build_cin_tables(cin or {}, year)
    ids = c["ChildIdentifiers"]
    sex_col = ids["Sex"].where(ids["Sex"].notna(), ids["GenderCurrent"])
    frames["cin.ChildIdentifiers"] = pd.DataFrame({
        "child_id": ids["LAchildID"], "UPN": ids["UPN"], "UPNunknown": ids["UPNunknown"],
        "UPN_KEY": upn_key(ids["UPN"]), "DOB": ids["PersonBirthDate"], "SEX": sex_code(sex_col),
    })
    det = c["CINdetails"]
    frames["cin.CINdetails"] = pd.DataFrame({"child_id": det["LAchildID"], "start": det["CINreferralDate"],
                                             "end": det["CINclosureDate"]})
    cpp = c["ChildProtectionPlans"]
    frames["cin.ChildProtectionPlans"] = pd.DataFrame({"child_id": cpp["LAchildID"], "start": cpp["CPPstartDate"],
                                                       "end": cpp["CPPendDate"]})
    given = {k: v for k, v in (ssda903 or {}).items() if k in ("Header", "Episodes")}
    s = build_903_tables(given, year)
    head = s["Header"] if s.has("Header") else pd.DataFrame(columns=["CHILD", "UPN", "DOB", "SEX"])
    frames["ssda903.Header"] = pd.DataFrame({
        "child_id": _text(head["CHILD"]), "UPN": _text(head["UPN"]), "UPN_KEY": upn_key(head["UPN"]),
        "DOB": pd.to_datetime(head["DOB"]), "SEX": sex_code(head["SEX"]),
    })
    ep = s["Episodes"] if s.has("Episodes") else pd.DataFrame(columns=["CHILD", "DECOM", "DEC", "PLACE", "REC"])
    frames["ssda903.Episodes"] = pd.DataFrame({
        "child_id": _text(ep["CHILD"]), "start": pd.to_datetime(ep["DECOM"]), "end": pd.to_datetime(ep["DEC"]),
        "PLACE": _text(ep["PLACE"]), "REC": _text(ep["REC"]),
    })
    for name in ("cin.ChildIdentifiers", "ssda903.Header"):
        frames[name]["SCHOOL_AGE"] = school_age(frames[name]["DOB"], year)
    frames["children"] = _children(frames["cin.ChildIdentifiers"], frames["ssda903.Header"])
    if school_pupils is not None and len(school_pupils):
        roll = school_pupils.reset_index(drop=True)
        entry = pd.to_datetime(roll["entry_date"]) if "entry_date" in roll else pd.Series(pd.NaT, index=roll.index)
        leave = pd.to_datetime(roll["leaving_date"]) if "leaving_date" in roll else pd.Series(pd.NaT,
                                                                                              index=roll.index)
        in_care = roll["InCare"] if "InCare" in roll else pd.Series(pd.NA, index=roll.index, dtype="boolean")
        authority = roll["CareAuthority"] if "CareAuthority" in roll else pd.Series(None, index=roll.index)
        frames["school_pupils"] = pd.DataFrame({
            "child_id": _text(roll["pupil_id"]), "UPN_KEY": upn_key(roll["UPN"]),
            "DOB": pd.to_datetime(roll["PersonBirthDate"]), "SEX": sex_code(roll["Sex"]),
            # On the roll on the reference date: joined by then, not left before it.
            "ON_ROLL": ((entry.isna() | (entry <= ref)) & (leave.isna() | (leave >= ref))).astype(bool),
            "InCare": pd.array(in_care, dtype="boolean"),
            "CareAuthority": code_text(authority),
        })
        if frames["school_pupils"]["InCare"].notna().any():
            frames["school_care"] = pd.DataFrame({"flagged": [True]})
        else:
            absent["school_care"] = "the school rolls supplied carry no in-care flag (InCare)"
        frames["upn_holders"] = _holders(frames["children"], frames["school_pupils"])
    else:
        absent["school_pupils"] = "no school roll supplied"
        absent["school_care"] = "no school roll supplied"
        frames["upn_holders"] = _holders(frames["children"], None)  # the returns' children still share UPNs
    if la_code:
        frames["la"] = pd.DataFrame({"la_code": [str(la_code)]})
    else:
        absent["la"] = "the LA's own code is not known (needed to read CareAuthority)"
    return CrossTables(year=year, frames=frames, reference_date=ref,
                       period_start=pd.Timestamp(year=year - 1, month=4, day=1), period_end=ref,
                       la_code=str(la_code) if la_code else None, absent=absent)


def code_text(s: pd.Series) -> pd.Series:
    """A code column as stripped text, blank as missing (CareAuthority: a 3-digit LA number)."""
    text = _text(s)
    out = pd.Series(text, index=s.index, dtype="object").astype("str").str.strip()
    return out.where(text.notna() & (out != ""), None).astype("object")


def _children(cin: pd.DataFrame, lac: pd.DataFrame) -> pd.DataFrame:
    """One row per LA child id: the CIN census row where there is one, else the 903 header row."""
    a = cin.assign(_table="cin.ChildIdentifiers", _row=range(len(cin)))
    b = lac.assign(_table="ssda903.Header", _row=range(len(lac)))
    both = pd.concat([a[a["child_id"].notna()], b[b["child_id"].notna()]], ignore_index=True)
    both = both.drop_duplicates("child_id", keep="first").reset_index(drop=True)
    # The other return's UPN for the same child, so a roll holding either is found.
    upns = pd.concat([cin[["child_id", "UPN_KEY"]], lac[["child_id", "UPN_KEY"]]]).dropna()
    both["in_903"] = both["child_id"].isin(set(lac["child_id"].dropna()))
    return both.join(upns.drop_duplicates().groupby("child_id")["UPN_KEY"].agg(frozenset).rename("UPN_KEYS"),
                     on="child_id")


def _holders(children: pd.DataFrame, roll: pd.DataFrame | None) -> pd.DataFrame:
    """Every holder of a UPN: each LA child (each UPN either return gives them) and each roll row."""
    la = children[["child_id", "UPN_KEYS", "DOB", "_table", "_row"]].explode("UPN_KEYS")
    la = la.rename(columns={"UPN_KEYS": "UPN_KEY"}).dropna(subset=["UPN_KEY"]).assign(source="la")
    parts = [la]
    if roll is not None:
        parts.append(roll[["child_id", "UPN_KEY", "DOB"]].assign(source="roll", _table="school_pupils",
                                                                 _row=range(len(roll))))
    cols = ["source", "child_id", "UPN_KEY", "DOB", "_table", "_row"]
    out = pd.concat([p[cols] for p in parts], ignore_index=True)
    return out.dropna(subset=["UPN_KEY"]).reset_index(drop=True)


def validate_cross(cin: dict[str, pd.DataFrame] | None, ssda903: dict[str, pd.DataFrame] | None,
                   school_pupils: pd.DataFrame | None, year: int, *, la_code: str | None = None) -> RunResult:
    """Every cross rule for ``year``: findings (return ``cross``, severity ``query``) and rule status."""
    from schemas.rules.cross import CROSS

    tables = build_cross_tables(cin, ssda903, school_pupils, year, la_code=la_code)
    result = run_rules(CROSS, tables, skip_reasons=tables.absent)
    return RunResult(issues=_to_sources(result.issues, tables), rule_status=result.rule_status)


def _to_sources(issues: pd.DataFrame, tables: CrossTables) -> pd.DataFrame:
    """Findings on a derived frame, reported against the table and row of the return or roll they are."""
    if issues.empty:
        return issues
    out = issues.copy()
    for name in DERIVED:
        hit = (out["table"] == name).to_numpy()
        if not hit.any():
            continue
        frame = tables[name]
        pos = pd.to_numeric(out.loc[hit, "row"]).astype("int64").to_numpy()
        out.loc[hit, "table"] = frame["_table"].to_numpy()[pos]
        out.loc[hit, "row"] = pd.array(frame["_row"].to_numpy()[pos], dtype="object")
    # One finding per rule and source row (a child holding two UPNs may be found twice).
    out = out.drop_duplicates(["rule_code", "table", "row"]).reset_index(drop=True)
    return sort_issues(out[ISSUE_COLUMNS])
