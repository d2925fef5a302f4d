"""Data-quality faults of the kinds caseworkers really make, injected into a clean generated record.

Each faulted child gets exactly one fault, so ``fault_rate`` is the share of children with a fault
(among the children in the collection year's returns, where a fault can show) and tests can check
every other child's record is still consistent. The list of faults is returned (and
written beside the extracts as ``faults.csv``) with the DfE rule codes each fault must trigger in the
collection year's returns (``expected_rules``, ``;``-separated), so tests and benchmarks know what the
validators should find.

The kinds are one table, ``KINDS``: a name, the canonical table it edits, the rules it triggers in the
CIN census and in the SSDA903 (each counted only when the child is in that return's year), which
children can take it, and the injector. Another module adds its own kinds with ``register``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

Tables = dict[str, pd.DataFrame]
FAULT_COLUMNS = ["child_id", "kind", "table", "expected_rules"]


@dataclass(frozen=True)
class Scope:
    """Who is in the collection year's returns, one flag per row of ``children``."""

    year: int
    in_cin: np.ndarray
    in_903: np.ndarray  # looked after in the year (an episode in it)
    # Care leavers in the year's 903 (OC3) not looked after in it: a Header and OC3 row, no episodes.
    leavers: np.ndarray | None = None

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.year - 1, month=4, day=1)

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(year=self.year, month=3, day=31)


@dataclass(frozen=True)
class FaultKind:
    name: str
    table: str  # the canonical table the fault edits
    cin_rules: tuple[str, ...]  # rules the child's CIN census must report (when the child is in it)
    lac_rules: tuple[str, ...]  # rules the child's SSDA903 return must report (when the child is in it)
    able: Callable[[Tables, Scope], np.ndarray]  # which children (rows of children) can take the fault
    # Edits the tables in place; a kind that re-keys its children returns {old child_id: new child_id}.
    apply: Callable[[Tables, set, np.random.Generator, Scope], dict | None]
    at_least: int = 1  # children drawn at a time (a UPN shared by two children needs two)
    together: int = 1  # a kind that edits children together (two given one UPN) needs this many, else none


KINDS: dict[str, FaultKind] = {}
ORIGIN: dict[str, str] = {}  # kind name -> the module that registered it (for the README's tables)


def register(kind: FaultKind) -> FaultKind:
    """Add a fault kind (its name must be new); returns it, so it can be used as a decorator's result."""
    if kind.name in KINDS:
        raise ValueError(f"fault kind {kind.name} is registered twice")
    KINDS[kind.name] = kind
    ORIGIN[kind.name] = sys._getframe(1).f_globals.get("__name__", __name__)
    return kind


def scope(tables: Tables, year: int) -> Scope:
    start, end = pd.Timestamp(year=year - 1, month=4, day=1), pd.Timestamp(year=year, month=3, day=31)
    ids = tables["children"]["child_id"]
    ep = tables["cin_episodes"]
    cin = ep.loc[(ep["CINreferralDate"] <= end) & ~(ep["CINclosureDate"] < start), "child_id"]
    la = tables["la_episodes"]
    lac = la.loc[(la["DECOM"] <= end) & ~(la["DEC"] < start), "child_id"]
    from statreturns.ssda903.build import as_at, care_leavers

    leavers = care_leavers(as_at(tables, end)["la_episodes"], tables["children"], end) & set(tables["oc3"]["child_id"])
    return Scope(year, ids.isin(set(cin)).to_numpy(), ids.isin(set(lac)).to_numpy(),
                 (ids.isin(leavers) & ~ids.isin(set(lac))).to_numpy())


def inject(tables: Tables, rate: float, seed: int, year: int = 2026,
           kinds: list[str] | None = None) -> tuple[Tables, pd.DataFrame]:
    """Faulty copies of ``tables`` and the fault list (FAULT_COLUMNS) for collection year ``year``.

    ``kinds`` limits the kinds drawn (default: every registered kind)."""
    rng = np.random.default_rng(seed + 1)
    out = {name: frame.copy() for name, frame in tables.items()}
    children = out["children"]
    n = len(children)
    faulted = rng.random(n) < rate
    ids = children["child_id"].to_numpy()
    where = scope(out, year)
    chosen_kinds = [KINDS[k] for k in (kinds or list(KINDS))]
    able = np.column_stack([kind.able(out, where) for kind in chosen_kinds]) if chosen_kinds else np.zeros((n, 0), bool)
    faulted &= able.any(axis=1)  # a child no kind fits stays clean
    # Kinds share the faulted children evenly, the kinds fewest children can take choosing first, so a
    # small council still shows every kind; the rest draw among the kinds they can take.
    kind_idx = np.full(n, -1)
    quota = int(np.ceil(faulted.sum() / max(len(chosen_kinds), 1)))
    order = np.argsort(able[faulted].sum(axis=0), kind="stable")
    step = max(1, quota // 8)  # in rounds, so a kind many children fit is not left with none
    for _ in range(0, quota, step):
        for k in order:
            free = np.flatnonzero(faulted & able[:, k] & (kind_idx < 0))
            kind_idx[rng.permutation(free)[:max(step, chosen_kinds[k].at_least)]] = k
    rest = faulted & (kind_idx < 0)
    draw = np.where(able[rest], rng.random((int(rest.sum()), len(chosen_kinds))), -1.0)
    kind_idx[rest] = draw.argmax(axis=1)
    for k, kind in enumerate(chosen_kinds):  # too few children for a kind done together: they stay clean
        mine = np.flatnonzero(faulted & (kind_idx == k))
        if len(mine) < kind.together:
            faulted[mine] = False
    names = np.array([k.name for k in chosen_kinds] + [""], dtype=object)[kind_idx]
    chosen = pd.DataFrame({"child_id": ids[faulted], "kind": names[faulted]})
    in_cin = dict(zip(ids, where.in_cin, strict=True))
    in_903 = dict(zip(ids, where.in_903 | where.leavers, strict=True))
    renamed: dict = {}
    for name, group in chosen.groupby("kind", sort=True):
        renamed.update(KINDS[name].apply(out, set(group["child_id"]), rng, where) or {})
    chosen["table"] = chosen["kind"].map({k.name: k.table for k in chosen_kinds})
    chosen["expected_rules"] = [
        ";".join([*(KINDS[k].cin_rules if in_cin[c] else ()), *(KINDS[k].lac_rules if in_903[c] else ())])
        for c, k in zip(chosen["child_id"], chosen["kind"], strict=True)]
    chosen["child_id"] = chosen["child_id"].map(lambda c: renamed.get(c, c))
    return out, chosen.sort_values("child_id").reset_index(drop=True)[FAULT_COLUMNS]


# ------------------------------------------------------------------------------------------- helpers


def _children_with(tables: Tables, table: str, mask: pd.Series | np.ndarray) -> np.ndarray:
    """Per row of children: the child has a row of ``table`` where ``mask`` holds."""
    frame = tables[table]
    return tables["children"]["child_id"].isin(set(frame.loc[np.asarray(mask), "child_id"])).to_numpy()


def _first_row(frame: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """``mask`` limited to each child's first row where it holds."""
    first = ~frame.loc[mask, "child_id"].duplicated()
    return pd.Series(False, index=frame.index).mask(first.reindex(frame.index, fill_value=False), True)


def _cin_in_year(t: Tables, s: Scope) -> pd.Series:
    ep = t["cin_episodes"]
    return (ep["CINreferralDate"] >= s.start) & (ep["CINreferralDate"] <= s.end)


def _la_in_year(t: Tables, s: Scope) -> pd.Series:
    ep = t["la_episodes"]
    return (ep["DECOM"] >= s.start) & (ep["DECOM"] <= s.end)


def _has_upn(t: Tables, s: Scope) -> np.ndarray:
    return t["children"]["UPN"].notna().to_numpy() & (s.in_cin | s.in_903)


def _school_age_further_action(t: Tables, s: Scope) -> np.ndarray:
    """Is of school age and has a further-action referral in the census (8770Q's children: it asks them
    for a UPN or a reason UN2-UN7)."""
    c = t["children"]
    school_age = (c["PersonBirthDate"] <= pd.Timestamp(year=s.year - 6, month=8, day=31)).to_numpy()
    ep = t["cin_episodes"]
    further = ~ep["ReferralNFA"].fillna(False).astype(bool) & (ep["CINreferralDate"] <= s.end) & ~(ep["CINclosureDate"] < s.start)
    return school_age & _children_with(t, "cin_episodes", further)


def _school_age_in_cin(t: Tables, s: Scope) -> np.ndarray:
    """Has a UPN, is of school age and has a further-action referral in the census (8770Q's children)."""
    return t["children"]["UPN"].notna().to_numpy() & _school_age_further_action(t, s)


def _next_rne(frame: pd.DataFrame) -> pd.Series:
    """Per row of la_episodes: the reason for new episode of the child's next episode (blank for the last)."""
    order = frame.assign(_row=np.arange(len(frame))).sort_values(["child_id", "DECOM"], kind="stable")
    following = np.empty(len(frame), dtype=object)
    following[order["_row"].to_numpy()] = order.groupby("child_id", sort=False)["RNE"].shift(-1).to_numpy()
    return pd.Series(following, index=frame.index)


def _changes_alone(column: str) -> Callable[[pd.DataFrame], pd.Series]:
    """Episodes where a new ``column`` (the legal status, or the placement or its provider) breaks none of
    the rules that compare an episode with the one before, on this episode or on the next: 435 (RNE P or
    T: the legal status unchanged) and 434 (RNE L: the placement and its provider unchanged)."""
    compared = ["P", "T"] if column == "LS" else ["L"]

    def rows(f: pd.DataFrame) -> pd.Series:
        return ~f["RNE"].isin(compared) & ~_next_rne(f).isin(compared)
    return rows


def _own_urn(f: pd.DataFrame) -> pd.Series:
    """An episode with an Ofsted URN no other episode shares: 219 and 224 check its placement type and
    provider against Ofsted's list (written from the extract: a shared URN's entry could be this one's)."""
    return f["URN"].notna() & (f["URN"] != "XXXXXXX") & ~f["URN"].duplicated(keep=False)


def _adopted(f: pd.DataFrame) -> pd.Series:
    return f["REC"].isin(["E11", "E12"])  # 390 and 602 follow an adoption's REC


# ------------------------------------------------------------------------------------------- kinds


def _missing_upn(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    rows = t["children"]["child_id"].isin(ids)
    t["children"].loc[rows, ["UPN", "UPNunknown"]] = None


def _bad_check_letter(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    rows = t["children"]["child_id"].isin(ids)
    upn = t["children"].loc[rows, "UPN"]
    # Shift the check letter to the next one in the alphabet: a typo the checksum catches.
    wrong = np.where(upn.str[0] == "A", "B", "A")
    t["children"].loc[rows, "UPN"] = wrong + upn.str[1:]


def _closed_referral(t: Tables, s: Scope) -> pd.Series:
    ep = t["cin_episodes"]
    # Referred at least six weeks into the year, so a closure up to 40 days earlier keeps it in the census.
    return (_cin_in_year(t, s) & (ep["CINreferralDate"] >= s.start + pd.Timedelta(days=42))
            & (ep["CINclosureDate"] <= s.end) & ~ep["ReferralNFA"].fillna(False).astype(bool))


def _end_before_start(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    ep = t["cin_episodes"]
    first = _first_row(ep, ep["child_id"].isin(ids) & _closed_referral(t, s))
    days = pd.to_timedelta(rng.integers(1, 40, int(first.sum())), unit="D")
    ep.loc[first, "CINclosureDate"] = ep.loc[first, "CINreferralDate"] - days


def _second_in_year(t: Tables, s: Scope) -> pd.Series:
    ep = t["la_episodes"]
    # At least five days into the year, so the start moved back stays in it (else last year's return holds
    # the episode: 502, 503A-J, 562).
    return (_la_in_year(t, s) & (ep["DECOM"] >= s.start + pd.Timedelta(days=5)) & ep["child_id"].duplicated()
            & (ep["RNE"] != "S"))


def _overlapping(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    ep = t["la_episodes"]
    second = _first_row(ep, ep["child_id"].isin(ids) & _second_in_year(t, s))
    # Started a few days before the previous episode ended: the worker keyed the planned move date.
    days = pd.to_timedelta(rng.integers(3, 6, int(second.sum())), unit="D")
    ep.loc[second, "DECOM"] = ep.loc[second, "DECOM"] - days


def _unknown_code(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    rows = t["children"]["child_id"].isin(ids)
    t["children"].loc[rows, "Ethnicity"] = "WXYZ"


def _further_action(t: Tables, s: Scope) -> pd.Series:
    ep = t["cin_episodes"]
    return _cin_in_year(t, s) & ~ep["ReferralNFA"].fillna(False).astype(bool)


def _no_primary_need(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    ep = t["cin_episodes"]
    rows = _first_row(ep, ep["child_id"].isin(ids) & _further_action(t, s))
    ep.loc[rows, "PrimaryNeedCode"] = None


def _unknown_referral_source(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    ep = t["cin_episodes"]
    rows = _first_row(ep, ep["child_id"].isin(ids) & _cin_in_year(t, s))
    ep.loc[rows, "ReferralSource"] = "1Z"


def _episode_ends_before_start(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    ep = t["la_episodes"]
    rows = _first_row(ep, ep["child_id"].isin(ids) & _closed_la_with_worker(t, s))
    # Day and month swapped on entry, or a typed year wrong: the end now precedes the start.
    ep.loc[rows, "DEC"] = ep.loc[rows, "DECOM"] - pd.Timedelta(days=1)


def _closed_la(t: Tables, s: Scope) -> pd.Series:
    ep = t["la_episodes"]
    return _la_in_year(t, s) & (ep["DEC"] <= s.end) & ~ep["child_id"].duplicated(keep="last")


def _closed_la_with_worker(t: Tables, s: Scope) -> pd.Series:
    """``_closed_la`` after the year's first day (the end moved a day before the start stays in the year),
    of a child with no missing period (578, 581: one must fall in care), where a social worker of the
    year's return started before the episode did (SW12STG2: care ending needs a worker by its end)."""
    sw = t["sw_episodes"]
    in_return = (sw["SW_DECOM"] <= s.end) & ~(sw["SW_DEC"] < s.start)
    earliest = sw.loc[in_return].groupby("child_id")["SW_DECOM"].min()
    ep = t["la_episodes"]
    return (_closed_la(t, s) & (ep["DECOM"] > s.start) & ~ep["child_id"].isin(set(t["missing"]["child_id"]))
            & (ep["child_id"].map(earliest) < ep["DECOM"]))


def _rows_in_year(table: str, start_col: str, extra: Callable[[pd.DataFrame], pd.Series] | None = None,
                  margin: int = 0) -> Callable[[Tables, Scope], pd.Series]:
    """Rows of ``table`` starting in the collection year, at least ``margin`` days into it (so a date moved
    back by a fault stays in the year), and meeting ``extra``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame = t[table]
        mask = (frame[start_col] >= s.start + pd.Timedelta(days=margin)) & (frame[start_col] <= s.end)
        return mask & extra(frame) if extra is not None else mask
    return rows


def _edit_first(table: str, rows: Callable[[Tables, Scope], pd.Series],
                edit: Callable[[pd.DataFrame, pd.Series, np.random.Generator], None]):
    """An injector editing each chosen child's first row of ``table`` among ``rows``, and its ``able``."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        frame = t[table]
        first = _first_row(frame, frame["child_id"].isin(ids) & rows(t, s))
        edit(frame, first, rng)

    def able(t: Tables, s: Scope) -> np.ndarray:
        return _children_with(t, table, rows(t, s))
    return able, apply


def _set(column: str, value: object):
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = value
    return edit


def _days_before(column: str, anchor: str, low: int = 1, high: int = 30):
    """``column`` becomes ``low``..``high`` days before ``anchor`` on the row (a slipped date)."""
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = frame.loc[rows, anchor] - pd.to_timedelta(
            rng.integers(low, high + 1, int(rows.sum())), unit="D")
    return edit


def _to_saturday(column: str):
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        d = frame.loc[rows, column]
        frame.loc[rows, column] = d + pd.to_timedelta((5 - d.dt.day_of_week) % 7, unit="D")
    return edit


def _edit_kind(name: str, table: str, cin: tuple[str, ...], lac: tuple[str, ...], rows, edit) -> FaultKind:
    able, apply = _edit_first(table, rows, edit)
    return FaultKind(name, table, cin, lac, able, apply)


_late = lambda col: (lambda f: f[col].notna())  # noqa: E731 - a known date
_authorised = _rows_in_year("assessments", "AssessmentActualStartDate", _late("AssessmentAuthorisationDate"), 10)

for _k in (
    FaultKind("missing_upn", "children", ("8770Q",), ("442",), _school_age_in_cin, _missing_upn),
    FaultKind("bad_check_letter", "children", ("1510",), (), _has_upn, _bad_check_letter),
    # Not looked after in the year: a child in care needs a CIN episode over it (cross check X01).
    FaultKind("end_before_start", "cin_episodes", ("8630", "8565"), (),
              lambda t, s: _children_with(t, "cin_episodes", _closed_referral(t, s)) & ~s.in_903, _end_before_start),
    FaultKind("overlapping_episodes", "la_episodes", (), ("388", "433", "501"),
              lambda t, s: _children_with(t, "la_episodes", _second_in_year(t, s)), _overlapping),
    FaultKind("unknown_code", "children", ("4220",), ("103",), lambda t, s: s.in_cin | s.in_903, _unknown_code),
    FaultKind("missing_primary_need", "cin_episodes", ("8610",), (),
              lambda t, s: _children_with(t, "cin_episodes", _further_action(t, s)), _no_primary_need),
    FaultKind("unknown_referral_source", "cin_episodes", ("8866",), (),
              lambda t, s: _children_with(t, "cin_episodes", _cin_in_year(t, s)), _unknown_referral_source),
    # A placement with its own URN and a provider: no registered type is X9 (219); without a URN, 218 (and
    # without a provider, 526) would also fire. Not an adoption's episode (390), no RNE L here or next (434).
    _edit_kind("unknown_placement", "la_episodes", (), ("146", "219"),
               _rows_in_year("la_episodes", "DECOM", lambda f: _own_urn(f) & f["PLACE_PROVIDER"].notna() & ~_adopted(f)
                             & _changes_alone("PLACE")(f)),
               _set("PLACE", "X9")),
    FaultKind("episode_end_before_start", "la_episodes", (), ("356",),
              lambda t, s: _children_with(t, "la_episodes", _closed_la_with_worker(t, s)), _episode_ends_before_start),
):
    register(_k)

def _of_children_in(table: str, which: str, extra: Callable[[pd.DataFrame], pd.Series] | None = None
                    ) -> Callable[[Tables, Scope], pd.Series]:
    """Rows of ``table`` (no dates of its own) of children in the year's CIN census or 903 (``which``)."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        ids = t["children"]["child_id"].to_numpy()[s.in_cin if which == "cin" else s.in_903]
        frame = t[table]
        mask = frame["child_id"].isin(set(ids))
        return mask & extra(frame) if extra is not None else mask
    return rows


def _starts_a_plan(t: Tables) -> pd.Series:
    """Per row of section47: its conference's day is the start of one of the child's protection plans."""
    s47, plans = t["section47"], t["cp_plans"]
    starts = pd.MultiIndex.from_arrays([plans["child_id"], plans["CPPstartDate"]])
    held = pd.MultiIndex.from_arrays([s47["child_id"], s47["DateOfInitialCPC"]]).isin(starts)
    return pd.Series(held, index=s47.index)


def _left_care(t: Tables, s: Scope) -> set:
    """Children who ceased to be looked after in the year (an episode ended in it, not X1 nor a short break)."""
    ep = t["la_episodes"]
    ended = (ep["DEC"] >= s.start) & (ep["DEC"] <= s.end) & ep["REC"].notna() & (ep["REC"] != "X1")
    return set(ep.loc[ended & ~ep["LS"].isin(["V3", "V4"]), "child_id"])


# Rows that end in the year they start, so an end before the start stays inside the year's return.
_ended = lambda start, end: (lambda f: (f[end] - f[start]) >= pd.Timedelta(days=45))  # noqa: E731
for _k in (
    _edit_kind("unknown_primary_need", "cin_episodes", ("8650",), (),
          _rows_in_year("cin_episodes", "CINreferralDate", lambda f: f["PrimaryNeedCode"].notna()),
          _set("PrimaryNeedCode", "N99")),
    _edit_kind("assessment_authorised_before_start", "assessments", ("8608",), (), _authorised,
          _days_before("AssessmentAuthorisationDate", "AssessmentActualStartDate", 1, 5)),
    # A conference that started no protection plan (a plan starts on its conference's day: 2885).
    _edit_kind("conference_on_a_saturday", "section47", ("8875",), (),
          lambda t, s: _rows_in_year("section47", "S47ActualStartDate")(t, s)
          & (t["section47"]["DateOfInitialCPC"] <= s.end - pd.Timedelta(days=7)) & ~_starts_a_plan(t),
          _to_saturday("DateOfInitialCPC")),
    _edit_kind("unknown_abuse_category", "cp_plans", ("8905",), (),
          _rows_in_year("cp_plans", "CPPstartDate"), _set("InitialCategoryOfAbuse", "XYZ")),
    _edit_kind("plan_ends_before_start", "cin_plans", ("4011",), (),
          _rows_in_year("cin_plans", "CINPlanStartDate", _ended("CINPlanStartDate", "CINPlanEndDate"), 35),
          _days_before("CINPlanEndDate", "CINPlanStartDate")),
    # Not under a placement order (408: A5/A6 need E1), no RNE P or T here or next (435).
    _edit_kind("unknown_legal_status", "la_episodes", (), ("144",),
          _rows_in_year("la_episodes", "DECOM", lambda f: ~f["PLACE"].isin(["A5", "A6"]) & _changes_alone("LS")(f)),
          _set("LS", "Q9")),
    # Not X1 (388, 432: a continuation ending is followed the same day) nor an adoption (602: AD1 given).
    _edit_kind("unknown_reason_episode_ceased", "la_episodes", (), ("149",),
          _rows_in_year("la_episodes", "DECOM", lambda f: f["REC"].notna() & (f["REC"] != "X1") & ~_adopted(f)),
          _set("REC", "E99")),
    _edit_kind("missing_reason_episode_ceased", "la_episodes", (), ("148",),
          _rows_in_year("la_episodes", "DECOM", lambda f: f["DEC"].notna() & (f["REC"] != "X1") & ~_adopted(f)),
          _set("REC", None)),
    # Not under a placement order (408), no RNE P or T next (435).
    _edit_kind("police_protection_held_too_long", "la_episodes", (), ("361",),
          _rows_in_year("la_episodes", "DECOM", lambda f: (f["RNE"] == "S") & (f["DEC"].isna() | (
              f["DEC"] - f["DECOM"] > pd.Timedelta(days=10))) & ~f["PLACE"].isin(["A5", "A6"]) & _changes_alone("LS")(f)),
          _set("LS", "L1")),
    _edit_kind("unknown_missing_code", "missing", (), ("1006",),
          _rows_in_year("missing", "MIS_START"), _set("MISSING", "X")),
    _edit_kind("unknown_disability", "disabilities", ("8540",), (),
          lambda t, s: _of_children_in("disabilities", "cin")(t, s) & t["disabilities"]["child_id"].isin(
              set(t["children"]["child_id"].to_numpy()[_children_with(t, "cin_episodes", _further_action(t, s))
                                                        & t["children"]["PersonBirthDate"].notna().to_numpy()])),
          _set("Disability", "LEGS")),
    # Not RC8/RC9 (8873Q: one assessment finding no factors, 21, closes so).
    _edit_kind("unknown_closure_reason", "cin_episodes", ("8640",), (),
          _rows_in_year("cin_episodes", "CINreferralDate",
                        lambda f: f["ReasonForClosure"].notna() & ~f["ReasonForClosure"].isin(["RC8", "RC9"])),
          _set("ReasonForClosure", "RC0")),
    # A placement with its own URN: no registered sector is PR9 (224). No RNE L here or next (434).
    _edit_kind("unknown_placement_provider", "la_episodes", (), ("178", "224"),
          _rows_in_year("la_episodes", "DECOM",
                        lambda f: f["PLACE_PROVIDER"].notna() & _own_urn(f) & _changes_alone("PLACE_PROVIDER")(f)),
          _set("PLACE_PROVIDER", "PR9")),
    _edit_kind("unknown_review_code", "la_reviews", (), ("167",),
          _rows_in_year("la_reviews", "REVIEW"), _set("REVIEW_CODE", "PN9")),
    _edit_kind("unknown_social_worker_reason", "sw_episodes", (), ("SW13STG1",),
          _rows_in_year("sw_episodes", "SW_DECOM"), _set("SW_REASON", "GUESS")),
    # Not of school age with further action in the census (8770Q wants a reason UN2-UN7 there).
    _edit_kind("unknown_upn_reason", "children", (), ("442",),
          lambda t, s: _of_children_in("children", "903", lambda f: f["UPN"].isna() & f["UPNunknown"].notna())(t, s)
          & ~_school_age_further_action(t, s),
          _set("UPNunknown", "UN9")),
    _edit_kind("missing_referral_source", "cin_episodes", ("8866",), (),
          _rows_in_year("cin_episodes", "CINreferralDate"), _set("ReferralSource", None)),
    _edit_kind("missing_review_code", "la_reviews", (), ("167",),
          _rows_in_year("la_reviews", "REVIEW"), _set("REVIEW_CODE", None)),
    # Not a start (357, 432: a first episode, or one after care ended, starts S).
    _edit_kind("unknown_reason_new_episode", "la_episodes", (), ("143",),
          _rows_in_year("la_episodes", "DECOM", lambda f: f["RNE"] != "S"), _set("RNE", "Q")),
    # Did not leave care in the year (607: a girl who did needs the flag too).
    _edit_kind("missing_mother_flag", "children", (), ("165", "393"),
          lambda t, s: _of_children_in("children", "903", lambda f: f["Sex"] == "F")(t, s)
          & ~t["children"]["child_id"].isin(_left_care(t, s)), _set("MOTHER", None)),
    # With the previous LA and order date (630: any option but Z1 needs them).
    _edit_kind("unknown_previous_permanence", "previous_permanence", (), ("631",),
          lambda t, s: t["previous_permanence"]["child_id"].isin(set(t["la_episodes"].loc[
              _la_in_year(t, s) & (t["la_episodes"]["RNE"] == "S"), "child_id"]))
          & t["previous_permanence"]["LA_PERM"].notna() & t["previous_permanence"]["DATE_PERM"].notna(),
          _set("PREV_PERM", "Z9")),
):
    register(_k)


# Core rules no extract can trigger: the build or the reader writes the item, not the extract.
UNREACHABLE = {
    ("cin", "100"): "the header's ReferenceDate is written by the census build",
    ("cin", "2884"): "the build records the conference date on the Section 47 block only",
    ("cin", "8730"): "the SSD reader counts a child's earlier protection plans itself (NumberOfPreviousCPP)",
}


def rules_without_a_kind(year: int) -> dict[str, list[str]]:
    """Per return, the core rule codes of ``year`` that no registered kind triggers and that an extract
    can reach (the to-do list for new kinds)."""
    from schemas.rules.cin import CIN
    from schemas.rules.ssda903 import LAC

    covered = {"cin": {r for k in KINDS.values() for r in k.cin_rules},
               "ssda903": {r for k in KINDS.values() for r in k.lac_rules}}
    return {name: [r.code for r in ruleset.rules if r.set_name == "core" and r.applies_to(year)
                   and r.code not in covered[name] and (name, r.code) not in UNREACHABLE]
            for name, ruleset in (("cin", CIN), ("ssda903", LAC))}

# Each module registers its kinds on import; they come last, as they import this module's helpers.
from statreturns.generate import (  # noqa: E402, F401, I001
    faults_903,
    faults_903_adoption,
    faults_903_episodes_a,
    faults_903_episodes_b,
    faults_903_header,
    faults_903_outcomes,
    faults_cin,
)
