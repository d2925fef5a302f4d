"""SSDA903 fault kinds for the rules of ``schemas/rules/ssda903/header.py``, registered into ``faults.KINDS`` on
import (``faults`` imports this module last). Each kind names the 903 rules it must trigger; rules no extract
can reach are entered in ``faults.UNREACHABLE`` with the reason.

Edits to ``children`` (date of birth, UPN) go to children who are not in the year's CIN census, which checks
those items too."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from statreturns.generate.faults import (
    UNREACHABLE,
    FaultKind,
    Scope,
    Tables,
    _children_with,
    _edit_kind,
    _set,
    register,
)
from statreturns.generate.faults_903 import _copy, _header, _set_all, _year_episodes

Rows = Callable[[Tables, Scope], pd.Series]
WEEK = pd.Timedelta(days=7)


# ------------------------------------------------------------------------------------------- helpers


def _dob(t: Tables, frame: pd.DataFrame) -> pd.Series:
    """Each row's child's date of birth."""
    return frame["child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])


def _last_year(s: Scope) -> Scope:
    return Scope(s.year - 1, s.in_cin, s.in_903)  # only its dates are used


def _in_both_years(t: Tables, s: Scope) -> set:
    """Children in this year's and last year's SSDA903 (as the council's system stood on each 31 March)."""
    return set(_year_episodes(t, s)["child_id"]) & set(_year_episodes(t, _last_year(s))["child_id"])


def _no_age_items(t: Tables, s: Scope) -> pd.Series:
    """Children (rows of ``children``) with nothing in the year's return that asks an age of them: no review
    (participation codes), no placement for a given age (K3, R5, S1), no care ended to independent living
    or adult care (E5, E6, E7) and no adoption record."""
    r, ep = t["la_reviews"], _year_episodes(t, s)
    aged = ep["PLACE"].isin(["K3", "R5", "S1"]) | ep["REC"].isin(["E5", "E6", "E7"])
    ids = set(r.loc[r["REVIEW"].between(s.start, s.end), "child_id"]) | set(ep.loc[aged, "child_id"])
    return ~t["children"]["child_id"].isin(ids | set(t["placed_for_adoption"]["child_id"]) | set(t["ad1"]["child_id"]))


def _in_care_all_year(t: Tables, s: Scope) -> pd.Series:
    """Children (rows of ``children``) whose care began before the year and is open on 31 March (not in a
    20(5) community home), with no UASC status or adoption record (which ask an age of the child): a date of
    birth a century early then only makes them over 25 (351) and still looked after past 18 (359)."""
    ep = _year_episodes(t, s)
    started = ep["RNE"] == "S"
    open_ = ep["DEC"].isna() & ~((ep["LS"] == "V2") & (ep["PLACE"] == "K2"))
    left_out = set(ep.loc[started | ((ep["LS"] == "V2") & (ep["PLACE"] == "K2")), "child_id"])
    left_out |= set(t["uasc"]["child_id"]) | set(t["placed_for_adoption"]["child_id"]) | set(t["ad1"]["child_id"])
    ids = t["children"]["child_id"]
    return ids.isin(set(ep.loc[open_, "child_id"])) & ~ids.isin(left_out)


def _aged(years: int, under: bool, on: Callable[[Scope], pd.Timestamp]) -> Callable[[Tables, Scope], pd.Series]:
    """Children (rows of ``children``) under, or at least, ``years`` old on the day ``on`` gives, a week
    clear of the birthday."""
    def mask(t: Tables, s: Scope) -> pd.Series:
        birthday = t["children"]["PersonBirthDate"] + pd.DateOffset(years=years)
        return (birthday > on(s) + WEEK) if under else (birthday < on(s) - WEEK)
    return mask


def _both(a: Rows, b: Callable[[Tables, Scope], pd.Series]) -> Rows:
    return lambda t, s: a(t, s) & b(t, s)


def _girls(f: pd.DataFrame) -> pd.Series:
    """Girls recorded as not mothers, without a child's date of birth."""
    return (f["Sex"] == "F") & (f["MOTHER"].astype("string") == "0") & f["MC_DOB"].isna()


def _days_later(column: str, low: int, high: int):
    """``column`` moved ``low``..``high`` days later."""
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        later = pd.to_timedelta(rng.integers(low, high + 1, int(rows.sum())), unit="D")
        frame.loc[rows, column] = frame.loc[rows, column] + later
    return edit


# ------------------------------------------------------------------------------------------- header


def _years_back(column: str, years: int):
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = frame.loc[rows, column] - pd.DateOffset(years=years)
    return edit


def _born_next_year(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    # Day and month right, the year keyed as the one after the collection year's (a 29 February as the 28th).
    c = t["children"]
    rows = c["child_id"].isin(ids)
    dob = c.loc[rows, "PersonBirthDate"]
    c.loc[rows, "PersonBirthDate"] = pd.to_datetime(pd.DataFrame({
        "year": s.year + 1, "month": dob.dt.month, "day": dob.dt.day.where(~((dob.dt.month == 2) & (dob.dt.day == 29)), 28)}))


def _drop_last_character(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
    frame.loc[rows, "UPN"] = frame.loc[rows, "UPN"].str[:-1]


_school_age = lambda s: pd.Timestamp(year=s.year - 2, month=8, day=31)  # noqa: E731 - 209's cut-off
_year_start = lambda s: s.start  # noqa: E731
_has_upn = lambda f: f["UPN"].notna()  # noqa: E731

_HEADER = (
    # Since the generator gives every looked-after child a CIN episode over their care (the cross step), the
    # date of birth and UPN kinds reach children in both returns and name the census rules they trigger too.
    _edit_kind("date_of_birth_left_blank", "children", ("8525Q",), ("102",),
               _header(lambda f: f["PersonBirthDate"].notna()), _set("PersonBirthDate", None)),
    # Every episode of the year's return then starts before birth (302). Children with an item asked from an
    # age are left out: it would break that item's rule too.
    # Not a mother or an unaccompanied child: their age rules (620, 621; 231) would come too.
    FaultKind("date_of_birth_after_the_year", "children", ("8520", "8606"), ("301", "302"),
              lambda t, s: (_header(lambda f: f["PersonBirthDate"].notna() & (f["MOTHER"].astype("string") != "1").fillna(True))(t, s)
                            & _no_age_items(t, s)
                            & ~t["children"]["child_id"].isin(set(t["uasc"]["child_id"]))).to_numpy(),
              _born_next_year),
    _edit_kind("date_of_birth_in_the_wrong_century", "children", ("8775Q",), ("351", "359"),
               _both(_header(_has_upn), _in_care_all_year), _years_back("PersonBirthDate", 100)),
    _edit_kind("upn_last_character_dropped", "children", (), ("168",), _header(_has_upn), _drop_last_character),
    # The UPN is not on the record and the reason keyed is UN1 (under school age): one edit of the record.
    FaultKind("upn_unknown_un1_at_school_age", "children", ("8770Q",), ("209",),
              lambda t, s: _both(_header(_has_upn), _aged(4, False, _school_age))(t, s).to_numpy(),
              _set_all("children", lambda t, s: t["children"]["UPN"].notna(), {"UPN": None, "UPNunknown": "UN1"})),
    # A girl recorded as a mother has no first child's date of birth, so 611 always comes too.
    _edit_kind("mother_flag_on_a_young_girl", "children", (), ("620", "611"),
               _both(_header(_girls), _aged(11, True, _year_start)), _set("MOTHER", "1")),
    _edit_kind("mother_flag_keyed_yes", "children", (), ("611",),
               _both(_header(_girls), _aged(11, False, _year_start)), _set("MOTHER", "1")),
    # The person's own date of birth keyed as her first child's: her record still says she is no mother.
    _edit_kind("own_birth_date_as_first_childs", "children", (), ("621", "612"),
               _header(_girls), _copy("MC_DOB", "PersonBirthDate")),
)


# ------------------------------------------------------------------------------------------- UASC


def _uasc_both_years(t: Tables, s: Scope) -> pd.Series:
    """UASC rows with a DUC of children in this year's 903 and last year's."""
    u = t["uasc"]
    return u["child_id"].isin(_in_both_years(t, s)) & u["DUC"].notna()


def _duc_as_first_care_day(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    u = t["uasc"]
    rows = u["child_id"].isin(ids)
    first = t["la_episodes"].groupby("child_id")["DECOM"].min()
    u.loc[rows, "DUC"] = u.loc[rows, "child_id"].map(first)


def _with_distance(t: Tables, s: Scope) -> pd.Series:
    """Episodes in the year's return with both postcodes (so a placement distance)."""
    ep = t["la_episodes"]
    return (ep["DECOM"] <= s.end) & ~(ep["DEC"] < s.start) & ep["HOME_POST"].notna() & ep["PL_POST"].notna()


def _add_uasc(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """An asylum-seeking status recorded on the wrong (young) child, ceasing at 18 as the system fills in."""
    c = t["children"]
    kids = c.loc[c["child_id"].isin(ids)]
    row = pd.DataFrame({"child_id": kids["child_id"].to_numpy(),
                        "DUC": (kids["PersonBirthDate"] + pd.DateOffset(years=18)).to_numpy()})
    t["uasc"] = pd.concat([t["uasc"], row.astype(t["uasc"].dtypes.to_dict())], ignore_index=True)


_UASC = (
    # UASC children in both years' returns (a cohort big enough for two kinds): a DUC that is not the 18th
    # birthday contradicts last year's status as well (205B).
    # The date the status began (the first day in care) keyed as the date it ceased: before this year.
    FaultKind("uasc_ceased_date_keyed_as_start", "uasc", (), ("104", "205B"),
              lambda t, s: _children_with(t, "uasc", _uasc_both_years(t, s)), _duc_as_first_care_day),
    _edit_kind("uasc_ceased_after_18th_birthday", "uasc", (), ("304", "205B"), _uasc_both_years,
               _days_later("DUC", 1, 30)),
    # The child has a home postcode, so their placements have a distance, which a UASC's should not (406).
    FaultKind("uasc_status_on_a_young_child", "uasc", (), ("231", "406"),
              lambda t, s: _header()(t, s).to_numpy() & _aged(11, True, lambda x: x.end)(t, s).to_numpy()
              & _children_with(t, "la_episodes", _with_distance(t, s))
              & ~t["children"]["child_id"].isin(set(t["uasc"]["child_id"])).to_numpy(), _add_uasc),
)


# ------------------------------------------------------------------------------------------- missing


def _missing(which: str, margin: int | None = 0,
             extra: Callable[[Tables, pd.DataFrame, Scope], pd.Series] | None = None) -> Rows:
    """Each child's ``which`` ("first" or "last") missing period, if it started in the year (``margin`` days
    in; None: or before) and has ended, and meets ``extra``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        m = t["missing"]
        edge = ~m["child_id"].duplicated(keep="first" if which == "first" else "last")  # rows in start order
        start = m["MIS_START"]
        began = start >= s.start + pd.Timedelta(days=margin) if margin is not None else start.notna()
        mask = edge & began & (start <= s.end) & m["MIS_END"].notna()
        return mask & extra(t, m, s) if extra is not None else mask
    return rows


def _kind_on(name: str, table: str, rules: tuple[str, ...], rows: Rows, apply) -> FaultKind:
    """A kind whose children are those with a row of ``table`` among ``rows``."""
    return FaultKind(name, table, (), rules, lambda t, s: _children_with(t, table, rows(t, s)), apply)


def _chosen(t: Tables, table: str, rows: Rows, ids: set, s: Scope) -> pd.Series:
    frame = t[table]
    return frame["child_id"].isin(ids) & rows(t, s)


def _append_copy(rows: Rows, **changes):
    """An injector adding a copy of the chosen rows of ``missing`` (the period entered twice), with
    ``changes`` (column: function of the copied rows) applied to the copy."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        m = t["missing"]
        copy = m.loc[_chosen(t, "missing", rows, ids, s)].copy()
        for column, change in changes.items():
            copy[column] = change(copy)
        t["missing"] = pd.concat([m, copy], ignore_index=True).sort_values(["child_id", "MIS_START"], kind="stable",
                                                                            ignore_index=True)
    return apply


def _care_ended(t: Tables, s: Scope) -> set:
    """Children whose care ended in the year (their last episode has ended by 31 March)."""
    ep = _year_episodes(t, s)
    last = ep.loc[~ep["child_id"].duplicated(keep="last")]
    return set(last.loc[last["DEC"].notna(), "child_id"])


def _care_began_in_year(t: Tables, m: pd.DataFrame, s: Scope) -> pd.Series:
    """Missing rows of children whose first episode began 30 days or more into the year and a month or more
    after their birth (so a start some days before it is still in the year and after the birth)."""
    first = t["la_episodes"].groupby("child_id")["DECOM"].min()
    began = m["child_id"].map(first)
    return (began >= s.start + pd.Timedelta(days=30)) & (began - _dob(t, m) > pd.Timedelta(days=30))


def _start_before_care(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    m = t["missing"]
    rows = _chosen(t, "missing", _BEFORE_CARE, ids, s)
    began = m.loc[rows, "child_id"].map(t["la_episodes"].groupby("child_id")["DECOM"].min())
    m.loc[rows, "MIS_START"] = began - pd.to_timedelta(rng.integers(1, 21, int(rows.sum())), unit="D")


def _start_as_birth(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    m = t["missing"]
    rows = _chosen(t, "missing", _FIRST_MISSING, ids, s)
    m.loc[rows, "MIS_START"] = _dob(t, m.loc[rows])


def _left_at_18(t: Tables, s: Scope) -> pd.DataFrame:
    """Last episodes of the year ending on the 18th birthday (five days or more into the year) with a reason
    other than E8 (missing when care ceased)."""
    ep = _year_episodes(t, s)
    last = ep.loc[~ep["child_id"].duplicated(keep="last")]
    at_18 = last["DEC"] == _dob(t, last) + pd.DateOffset(years=18)
    return last.loc[at_18 & (last["DEC"] >= s.start + pd.Timedelta(days=5)) & (last["REC"] != "E8")]


def _missing_at_18(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """The young person was missing from the day before their 18th birthday, when care ended: the period is
    recorded, the reason care ceased is not E8. (A period ending the day care ends needs E8 (580); the
    clean generator ends periods earlier, so the fault adds the period with the reason it leaves wrong.)"""
    last = _left_at_18(t, s)
    last = last.loc[last["child_id"].isin(ids)]
    rows = pd.DataFrame({"child_id": last["child_id"].to_numpy(), "MISSING": "M",
                         "MIS_START": (last["DEC"] - pd.Timedelta(days=1)).to_numpy(), "MIS_END": last["DEC"].to_numpy()})
    m = t["missing"]
    t["missing"] = pd.concat([m, rows.astype(m.dtypes.to_dict())], ignore_index=True).sort_values(
        ["child_id", "MIS_START"], kind="stable", ignore_index=True)


def _in_care_since_last_year(t: Tables, m: pd.DataFrame, s: Scope) -> pd.Series:
    """Missing rows that started before last 31 March, in an episode still open on this 31 March (so left
    open, they are open at both year ends, and in no episode that has ended: 575 and 577 stay silent)."""
    ep = _year_episodes(t, s)
    began = m["child_id"].map(ep.loc[ep["DEC"].isna()].groupby("child_id")["DECOM"].min())
    return (m["MIS_START"] < _last_year(s).end) & (began <= m["MIS_START"])


def _twice_never_closed(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    _append_copy(_BEFORE_LAST_YEAR_END, MIS_START=lambda f: f["MIS_START"] + pd.Timedelta(days=1), MIS_END=lambda f: pd.NaT)(
        t, ids, rng, s)
    m = t["missing"]
    m.loc[m["child_id"].isin(ids) & _BEFORE_LAST_YEAR_END(t, s), "MIS_END"] = pd.NaT


def _last_years_missing(t: Tables, s: Scope) -> pd.Series:
    """Each child's last missing period (ended) among those ``_in_care_since_last_year`` picks."""
    m = t["missing"]
    pick = m.loc[m["MIS_END"].notna() & _in_care_since_last_year(t, m, s)]
    return pd.Series(m.index.isin(pick.drop_duplicates("child_id", keep="last").index), index=m.index)


_FIRST_MISSING = _missing("first")
_BEFORE_CARE = _missing("first", 0, _care_began_in_year)
_BEFORE_LAST_YEAR_END = _last_years_missing
_TWICE = _missing("first", 0, lambda t, m, s: m["MIS_END"] > m["MIS_START"])
_ENDED_CARE = _missing("last", 0, lambda t, m, s: m["child_id"].isin(_care_ended(t, s)))

_MISSING = (
    _kind_on("missing_period_entered_twice", "missing", ("574",), _TWICE, _append_copy(_TWICE)),
    # Care has ended too, so the open period outlasts care (577) besides its placement (575).
    _kind_on("missing_end_left_blank_after_care_ended", "missing", ("575", "577"), _ENDED_CARE,
             _set_all("missing", _ENDED_CARE, {"MIS_END": None})),
    # Before care began is also outside every episode (581) and every period of care (578).
    _kind_on("missing_start_before_care_began", "missing", ("578", "581"), _BEFORE_CARE, _start_before_care),
    _kind_on("missing_start_keyed_as_birth_date", "missing", ("586", "578", "581"),
             lambda t, s: _FIRST_MISSING(t, s) & _dob(t, t["missing"]).notna(), _start_as_birth),
    FaultKind("missing_at_18_not_e8", "missing", (), ("580",),
              lambda t, s: t["children"]["child_id"].isin(set(_left_at_18(t, s)["child_id"])).to_numpy(),
              _missing_at_18),
    # Entered twice (the copy a day later) and neither copy closed: two periods open at last 31 March, the
    # later one carried in last year's return, this year's starting with the earlier (576); they overlap (574).
    _kind_on("missing_period_entered_twice_never_closed", "missing", ("574", "576"), _BEFORE_LAST_YEAR_END,
             _twice_never_closed),
)


# ------------------------------------------------------------------------------------------- short breaks


def _short_break_rows(t: Tables, s: Scope) -> pd.Series:
    """A child's only episode (so every episode of theirs in the return), in the year's return, under a care
    order or section 20 (C1, C2, V2), in a placement a short break can be (not long-term foster care U1/U4
    nor a temporary one), with both postcodes; the child a girl (whose record says whether she is a mother)
    or reviewed in the year."""
    ep, c, r = t["la_episodes"], t["children"], t["la_reviews"]
    asked = set(c.loc[(c["Sex"] == "F") & c["MOTHER"].notna(), "child_id"])
    asked |= set(r.loc[r["REVIEW"].between(s.start, s.end), "child_id"])
    only = ~ep["child_id"].duplicated(keep=False) & ep["child_id"].isin(asked) & ep["LS"].isin(["C1", "C2", "V2"])
    placed = ~ep["PLACE"].isin(["U1", "U4", "T0", "T1", "T2", "T3", "T4"]) & ep["PL_POST"].notna() & ep["HOME_POST"].notna()
    return only & placed & (ep["DECOM"] <= s.end) & ~(ep["DEC"] < s.start)


_SHORT = (
    # The legal status keyed V4 (a series of short breaks): a girl's mother flag, which every girl's record
    # has, and reviews are not asked of a short break (399), nor are a placement postcode (214), the
    # postcodes behind a distance (398) and the placement's LA, derived from its postcode (420).
    _edit_kind("short_breaks_status_keyed", "la_episodes", (), ("399", "214", "398", "420"), _short_break_rows,
               _set("LS", "V4")),
)


_PARSED = "the SSD reader quarantines a date that does not parse and the build writes {} from the parsed date"
_ONE_UASC = ("the UASC flag of both years' returns comes from the one UASC table (which has no start date), so a "
             "child in both returns is UASC in both or in neither, and a child with a DUC is UASC")
UNREACHABLE.update({
    ("ssda903", "171"): _PARSED.format("MC_DOB"),
    ("ssda903", "1005"): _PARSED.format("MIS_END"),
    ("ssda903", "1004"): "the build keeps missing periods that started by 31 March, so a period without a "
                         "start is not returned (and a start that does not parse is quarantined)",
    ("ssda903", "564"): "the build keeps missing periods that started by 31 March, so a period without a start "
                        "is not returned",
    ("ssda903", "570"): "the build keeps only missing periods that started by 31 March",
    ("ssda903", "571"): "the build keeps missing periods ending on or after 1 April and, as the system stood on "
                        "31 March, blanks an end after it",
    ("ssda903", "303"): "the build derives the UASC flag from the UASC table, where every DUC is, so a child "
                        "with a DUC is always flagged 1",
    ("ssda903", "205A"): _ONE_UASC,
    ("ssda903", "205C"): _ONE_UASC,
    ("ssda903", "205D"): _ONE_UASC,
    ("ssda903", "624"): "both years' returns are built from the one extract: a first child's date of birth known "
                        "last 31 March is this year's",
    ("ssda903", "626"): "both years' returns are built from the one extract: last year's mother flag is 0 only "
                        "when the first child was born after last 31 March, which is not before this year",
})


KINDS_HEADER: tuple[FaultKind, ...] = (*_HEADER, *_UASC, *_MISSING, *_SHORT)
for _k in KINDS_HEADER:
    register(_k)
