"""More fault kinds for the CIN census (return ``cin``), registered into ``faults.KINDS``.

Simple edits a caseworker or a system makes (a code mistyped, a field left blank, a date keyed before the
referral it belongs to, a row entered twice), each tried on the children it can fit so it triggers exactly
the rules it names. Edits to the child's own record (``children``) go only to children outside the year's
SSDA903, so a fault of the census is not also one of the 903.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from statreturns.generate.faults import (
    KINDS,
    UNREACHABLE,
    FaultKind,
    Scope,
    Tables,
    _children_with,
    _days_before,
    _edit_kind,
    _first_row,
    _rows_in_year,
    _set,
    _to_saturday,
    register,
)

Rows = Callable[[Tables, Scope], pd.Series]
_EARLIER = frozenset(KINDS)  # kinds registered before this module's


def _cin_only(extra: Callable[[pd.DataFrame], pd.Series] | None = None) -> Rows:
    """Rows of ``children`` of children in the year's CIN census but not its SSDA903, meeting ``extra``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        mask = pd.Series(s.in_cin & ~s.in_903, index=t["children"].index)
        return mask & extra(t["children"]) if extra is not None else mask
    return rows


def _cin_only_ids(t: Tables, s: Scope) -> set:
    """Children in the year's CIN census but not its SSDA903: a fault of the census stays one of the census
    (an edit to a looked-after child's record may show in the 903 or the cross checks too)."""
    return set(t["children"]["child_id"].to_numpy()[s.in_cin & ~s.in_903])


def _upn_char(position: int, text: str):
    """Characters ``position``.. of the UPN become ``text`` (a keying slip in one part of the number)."""
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        upn = frame.loc[rows, "UPN"]
        frame.loc[rows, "UPN"] = upn.str[:position] + text + upn.str[position + len(text):]
    return edit


def _with_episode(table: str, start_col: str, margin: int = 10) -> Rows:
    """Rows of ``table`` (dated by ``start_col`` at least ``margin`` days into the year) whose episode was
    referred in the year, at least ``margin`` days into it: a date moved before the referral stays in it."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame, ep = t[table], t["cin_episodes"]
        referred = ep.set_index("episode_id")["CINreferralDate"]
        ref = frame["episode_id"].map(referred)
        lo, hi = s.start + pd.Timedelta(days=margin), s.end
        return ((frame[start_col] >= lo) & (frame[start_col] <= hi) & (ref >= lo) & (ref <= hi)
                & frame["child_id"].isin(_cin_only_ids(t, s)))
    return rows


def _relative_kind(name: str, table: str, rules: tuple[str, ...], rows: Rows, column: str, parent: str,
                   key: str, parent_col: str, low: int = 1, high: int = 5, weekday: bool = False) -> FaultKind:
    """A kind setting ``column`` of each chosen child's first row among ``rows`` to ``low``..``high`` days
    before ``parent_col`` of the ``parent`` row it points at through ``key`` (a slipped or re-keyed date);
    ``weekday`` moves a Saturday or Sunday back to the Friday (so a conference date breaks no weekend rule)."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        frame = t[table]
        first = _first_row(frame, frame["child_id"].isin(ids) & rows(t, s))
        anchor = frame.loc[first, key].map(t[parent].drop_duplicates(key).set_index(key)[parent_col])
        moved = anchor - pd.to_timedelta(rng.integers(low, high + 1, int(first.sum())), unit="D")
        if weekday:
            moved = moved - pd.to_timedelta((moved.dt.day_of_week - 4).clip(lower=0), unit="D")
        frame.loc[first, column] = moved

    return FaultKind(name, table, rules, (), lambda t, s: _children_with(t, table, rows(t, s)), apply)


def _before_referral_kind(name: str, table: str, rules: tuple[str, ...], column: str) -> FaultKind:
    """A kind moving ``column`` of ``table`` to a few days before its episode's referral."""
    return _relative_kind(name, table, rules, _with_episode(table, column), column, "cin_episodes", "episode_id",
                          "CINreferralDate")


def _add_rows_kind(name: str, table: str, rules: tuple[str, ...], rows: Rows,
                   make: Callable[[pd.DataFrame], pd.DataFrame]) -> FaultKind:
    """A kind appending ``make(first rows)`` to ``table`` for each chosen child's first row among ``rows``."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        frame = t[table]
        first = _first_row(frame, frame["child_id"].isin(ids) & rows(t, s))
        t[table] = pd.concat([frame, make(frame.loc[first])], ignore_index=True)

    return FaultKind(name, table, rules, (), lambda t, s: _children_with(t, table, rows(t, s)), apply)


def _further_action_children(t: Tables, s: Scope) -> set:
    """Children with a further-action referral in the year's census and a date of birth."""
    ep = t["cin_episodes"]
    further = ~ep["ReferralNFA"].fillna(False).astype(bool) & (ep["CINreferralDate"] <= s.end) & ~(ep["CINclosureDate"] < s.start)
    kids = t["children"]
    born = kids["PersonBirthDate"].notna().to_numpy()
    return set(kids["child_id"].to_numpy()[_children_with(t, "cin_episodes", further) & born])


def _disabled(t: Tables, s: Scope) -> pd.Series:
    d = t["disabilities"]
    return d["child_id"].isin(_further_action_children(t, s)) & (d["Disability"] != "NONE")


def _episode_rows(extra: Callable[[pd.DataFrame], pd.Series], margin: int = 0) -> Rows:
    """Further-action episodes referred in the year, of children outside the year's 903, meeting ``extra``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        ep = t["cin_episodes"]
        return (_rows_in_year("cin_episodes", "CINreferralDate", extra, margin)(t, s)
                & ~ep["ReferralNFA"].fillna(False).astype(bool) & ep["child_id"].isin(_cin_only_ids(t, s)))
    return rows


def _plan_rows(margin: int = 35) -> Rows:
    """CP plans starting in the year (``margin`` days in) and ending in it at least 45 days later."""
    return _rows_in_year("cp_plans", "CPPstartDate",
                         lambda f: (f["CPPendDate"] - f["CPPstartDate"]) >= pd.Timedelta(days=45), margin)


for _k in (
    _edit_kind("unknown_latest_abuse_category", "cp_plans", ("8910",), (),
               _rows_in_year("cp_plans", "CPPstartDate"), _set("LatestCategoryOfAbuse", "XYZ")),
    _edit_kind("upn_letter_in_digits", "children", ("1540",), (),
               _cin_only(lambda f: f["UPN"].notna()), _upn_char(6, "X")),
    _edit_kind("upn_unknown_la_code", "children", ("1530", "1510"), (),
               _cin_only(lambda f: f["UPN"].notna()), _upn_char(1, "000")),
    _edit_kind("upn_bad_last_character", "children", ("1550",), (),
               _cin_only(lambda f: f["UPN"].notna()), _upn_char(12, "I")),
    _add_rows_kind("disability_none_and_another", "disabilities", ("8790",), _disabled,
                   lambda f: f.assign(Disability="NONE")),
    _add_rows_kind("disability_twice", "disabilities", ("8794",), _disabled, lambda f: f),
    _edit_kind("cp_plan_ends_before_start", "cp_plans", ("8925",), (), _plan_rows(),
               _days_before("CPPendDate", "CPPstartDate")),
    _edit_kind("cp_plan_ends_the_day_it_starts", "cp_plans", ("8840",), (), _plan_rows(),
               _days_before("CPPendDate", "CPPstartDate", 0, 0)),
    _edit_kind("closure_without_reason", "cin_episodes", ("8805",), (),
               _episode_rows(lambda f: f["CINclosureDate"].notna() & ~f["ReasonForClosure"].isin(["RC8", "RC9"])), _set("ReasonForClosure", None)),
    _edit_kind("reason_without_closure", "cin_episodes", ("8810",), (),
               _episode_rows(lambda f: f["CINclosureDate"].isna()), _set("ReasonForClosure", "RC1")),
    _before_referral_kind("assessment_before_referral", "assessments", ("1103",), "AssessmentActualStartDate"),
    _before_referral_kind("section47_before_referral", "section47", ("2889",), "S47ActualStartDate"),
    _before_referral_kind("cin_plan_before_referral", "cin_plans", ("4015",), "CINPlanStartDate"),
    _before_referral_kind("cp_plan_before_referral", "cp_plans", ("1105", "2885"), "CPPstartDate"),
):
    register(_k)


def _cin_only_rows(table: str, start_col: str, extra: Callable[[pd.DataFrame], pd.Series] | None = None,
                   margin: int = 0) -> Rows:
    """Rows of ``table`` starting in the year (``margin`` days in) of children outside the year's 903."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        return (_rows_in_year(table, start_col, extra, margin)(t, s)
                & t[table]["child_id"].isin(_cin_only_ids(t, s)))
    return rows


def _new_ids(column: str):
    """The rows copied with new ids (``column`` + "D"): the same record entered twice."""
    return lambda f: f.assign(**{column: f[column].astype(str) + "D"})


_ends_in_year = lambda col: (lambda f: f[col].notna())  # noqa: E731 - has an end date (the build blanks a later one)
_open = lambda col: (lambda f: f[col].isna())  # noqa: E731 - no end date yet


def _open_assessments(t: Tables, s: Scope) -> pd.Series:
    return _cin_only_rows("assessments", "AssessmentActualStartDate", _open("AssessmentAuthorisationDate"))(t, s)


def _factors_of(which: Callable[[Tables, Scope], pd.Series]) -> Rows:
    """Assessment factor rows of the assessments ``which`` selects."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        a = t["assessments"]
        return t["assessment_factors"]["assessment_id"].isin(set(a.loc[which(t, s), "assessment_id"]))
    return rows


def _authorised_in_year(t: Tables, s: Scope) -> pd.Series:
    return _cin_only_rows("assessments", "AssessmentActualStartDate", _ends_in_year("AssessmentAuthorisationDate"))(t, s)


def _closed_after_assessment(t: Tables, s: Scope) -> pd.Series:
    """Authorised assessments in the year that found factors (not 21) and whose episode closed with RC8 or
    RC9: a 21 added there breaks 8869 only (8873Q wants RC8/RC9 once 21 is present, and has it)."""
    a, f, ep = t["assessments"], t["assessment_factors"], t["cin_episodes"]
    after = set(ep.loc[ep["ReasonForClosure"].isin(["RC8", "RC9"]), "episode_id"])
    no_factors = set(f.loc[f["AssessmentFactors"] == "21", "assessment_id"])
    return _authorised_in_year(t, s) & a["episode_id"].isin(after) & ~a["assessment_id"].isin(no_factors)


for _k in (
    _edit_kind("missing_cp_plan_start", "cp_plans", ("8720",), (),
               _cin_only_rows("cp_plans", "CPPstartDate"), _set("CPPstartDate", pd.NaT)),
    _edit_kind("missing_cin_plan_start", "cin_plans", ("4010",), (),
               _cin_only_rows("cin_plans", "CINPlanStartDate"), _set("CINPlanStartDate", pd.NaT)),
    _edit_kind("missing_nfa_flag", "cin_episodes", ("8568",), (),
               _episode_rows(lambda f: f["CINclosureDate"].notna()), _set("ReferralNFA", pd.NA)),
    _add_rows_kind("assessment_entered_twice_open", "assessments", ("8896", "8863Q"), _open_assessments,
                   _new_ids("assessment_id")),
    _add_rows_kind("cin_plan_entered_twice_open", "cin_plans", ("4004", "4014"),
                   _cin_only_rows("cin_plans", "CINPlanStartDate", _open("CINPlanEndDate")), _new_ids("plan_id")),
    _add_rows_kind("no_factors_and_a_factor", "assessment_factors", ("8869",),
                   _factors_of(_closed_after_assessment), lambda f: f.assign(AssessmentFactors="21")),
    _add_rows_kind("factor_twice", "assessment_factors", ("8898",), _factors_of(_authorised_in_year), lambda f: f),
):
    register(_k)


# Rules of the census no extract can reach (added to the registry's list with the reason).
UNREACHABLE.update({
    ("cin", "8620"): "the census build takes the case history as at 31 March: a closure dated later is blank",
    ("cin", "8696"): "the census build blanks an assessment authorisation dated after 31 March (still open)",
    ("cin", "4013"): "the census build blanks a CIN plan end dated after 31 March (the plan is still open)",
    ("cin", "8930"): "the census build blanks a protection plan end dated after 31 March (still open)",
    ("cin", "8715"): "the census build blanks an initial conference dated after 31 March (not yet held)",
    ("cin", "8614"): "the census build keeps assessment factors only once their assessment is authorised",
    ("cin", "8600"): "the census build selects episodes by referral date: one without it is in no census",
    ("cin", "8590"): "the census build takes its children from their episodes: every child it holds has one",
    ("cin", "8500"): "the LA child ID is the extract's person key: a row without one is quarantined by the reader",
    ("cin", "8510"): "the reader checks the person key unique: a second person row with an ID is quarantined",
    # Return-level queries: an extract can raise them, but only through the whole return (a share, a count
    # of distinct codes, a balance of counts), never through one child's slip, and their finding names the
    # return's first row, not a faulted child, so no kind can name the child it falls on.
    ("cin", "2883"): "return level: plans starting in the year outnumber conferences held in it; a council's "
                     "conferences outnumber its plans (not every conference leads to one), so one child's slip "
                     "cannot tip the balance, and the finding is on the first plan row",
    ("cin", "2886Q"): "return level: more than 2% of born children without a sex; one child's missing sex is "
                      "4180, the share needs dozens, and the finding is on the first child row",
    ("cin", "2887Q"): "return level: fewer than 8 distinct disability codes in the whole return, which one "
                      "child's record cannot cause; the finding is on the first child row",
    ("cin", "2888Q"): "return level: no child with two disability codes in the whole return, which one child's "
                      "record cannot cause; the finding is on the first child row",
})


def _episodes_with(table: str, extra: Callable[[pd.DataFrame], pd.Series] | None = None) -> Rows:
    """Closed further-action episodes referred in the year (children outside the 903) that have a row of
    ``table`` meeting ``extra``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame = t[table]
        has = set(frame.loc[extra(frame) if extra is not None else slice(None), "episode_id"])
        ep = t["cin_episodes"]
        return _episode_rows(_ends_in_year("CINclosureDate"))(t, s) & ep["episode_id"].isin(has)
    return rows


def _death_kind(name: str, rules: tuple[str, ...], rows: Rows, table: str, date_col: str) -> FaultKind:
    """The child's death recorded 1..5 days before ``date_col`` of their first row of ``table`` among ``rows``
    (a death date keyed on the wrong child, or a plan dated after it)."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        frame = t[table]
        first = _first_row(frame, frame["child_id"].isin(ids) & rows(t, s))
        dates = frame.loc[first].set_index("child_id")[date_col]
        kids = t["children"]
        hit = kids["child_id"].isin(set(dates.index))
        died = kids.loc[hit, "child_id"].map(dates) - pd.to_timedelta(rng.integers(1, 6, int(hit.sum())), unit="D")
        kids.loc[hit, "PersonDeathDate"] = died

    return FaultKind(name, "children", rules, (), lambda t, s: _children_with(t, table, rows(t, s)), apply)


def _plans_of_cin_only(table: str, start: str, end: str, margin: int = 10) -> Rows:
    """Plans starting in the year (``margin`` days in), still open, of children outside the 903 whose every
    referral is at least six days before the plan starts (a death up to five days before the plan stays
    after all of them: 8555Q stays quiet)."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame = t[table]
        last = frame["child_id"].map(t["cin_episodes"].groupby("child_id")["CINreferralDate"].max())
        return (_cin_only_rows(table, start, _open(end), margin)(t, s)
                & (frame[start] - last >= pd.Timedelta(days=6)))
    return rows


def _conference_no_plan(t: Tables, s: Scope) -> pd.Series:
    """Section 47s with an initial conference in the year and no protection plan in their episode."""
    s47 = t["section47"]
    planned = set(t["cp_plans"]["episode_id"])
    return (_with_episode("section47", "DateOfInitialCPC")(t, s) & s47["DateOfInitialCPC"].notna()
            & ~s47["episode_id"].isin(planned))


for _k in (
    _relative_kind("review_on_plan_start", "cp_reviews", ("8841",),
                   lambda t, s: t["cp_reviews"]["cpp_id"].isin(set(t["cp_plans"].loc[_cin_only_rows(
                       "cp_plans", "CPPstartDate")(t, s), "cpp_id"])), "CPPreviewDate", "cp_plans", "cpp_id",
                   "CPPstartDate", 0, 0),
    _edit_kind("closed_after_assessment_with_a_plan", "cin_episodes", ("2990",), (), _episodes_with("cin_plans"),
               _set("ReasonForClosure", "RC8")),
    _edit_kind("no_further_action_with_a_plan", "cin_episodes", ("4000", "8831"), (), _episodes_with("cin_plans"),
               _set("ReferralNFA", True)),
    _edit_kind("no_further_action_with_protection", "cin_episodes", ("8832", "8831"), (), _episodes_with("cp_plans"),
               _set("ReferralNFA", True)),
    _death_kind("died_before_protection_plan", ("8915",),
                _plans_of_cin_only("cp_plans", "CPPstartDate", "CPPendDate"), "cp_plans", "CPPstartDate"),
    _death_kind("died_before_cin_plan", ("4008",),
                _plans_of_cin_only("cin_plans", "CINPlanStartDate", "CINPlanEndDate"), "cin_plans", "CINPlanStartDate"),
    _edit_kind("unborn_sex_not_u", "children", ("8750",), (),
               _cin_only(lambda f: f["PersonBirthDate"].isna() & f["ExpectedPersonBirthDate"].notna()), _set("Sex", "M")),
    _relative_kind("conference_before_referral", "section47", ("1104", "8615"), _conference_no_plan,
                   "DateOfInitialCPC", "cin_episodes", "episode_id", "CINreferralDate", weekday=True),
    _add_rows_kind("episode_entered_twice_open", "cin_episodes", ("8815", "8820"),
                   _episode_rows(lambda f: f["CINclosureDate"].isna()), _new_ids("episode_id")),
):
    register(_k)


def _cin_plan_alongside(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """A CIN plan recorded over the dates of the child's first open protection plan in the year (the plan
    the conference replaced was never ended and restarted)."""
    cp = t["cp_plans"]
    first = _first_row(cp, cp["child_id"].isin(ids) & _open_cp_plans(t, s))
    added = pd.DataFrame({"plan_id": cp.loc[first, "cpp_id"].astype(str) + "N", "episode_id": cp.loc[first, "episode_id"],
                          "child_id": cp.loc[first, "child_id"], "CINPlanStartDate": cp.loc[first, "CPPstartDate"],
                          "CINPlanEndDate": pd.NaT})
    t["cin_plans"] = pd.concat([t["cin_plans"], added], ignore_index=True)


def _open_cp_plans(t: Tables, s: Scope) -> pd.Series:
    """Open protection plans started in the year that have had a review (so 4003 holds too)."""
    reviewed = set(t["cp_reviews"]["cpp_id"])
    return _cin_only_rows("cp_plans", "CPPstartDate", _open("CPPendDate"), 10)(t, s) & t["cp_plans"]["cpp_id"].isin(reviewed)


def _unborn_referred(t: Tables, s: Scope) -> pd.Series:
    """Unborn children outside the 903 first referred 300 to 30 days before 31 March, so an expected date
    281..300 days after that referral stays within 30 days before to 9 months after it (8530Q quiet)."""
    kids = t["children"]
    first = kids["child_id"].map(t["cin_episodes"].groupby("child_id")["CINreferralDate"].min())
    window = (first >= s.end - pd.Timedelta(days=300)) & (first <= s.end - pd.Timedelta(days=30))
    return _cin_only(lambda f: f["PersonBirthDate"].isna() & f["ExpectedPersonBirthDate"].notna())(t, s) & window


def _expected_long_after_referral(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """The expected date of birth keyed 281..300 days after the child's first referral (a year typed wrong)."""
    kids = t["children"]
    rows = kids["child_id"].isin(ids) & _unborn_referred(t, s)
    first = kids.loc[rows, "child_id"].map(t["cin_episodes"].groupby("child_id")["CINreferralDate"].min())
    kids.loc[rows, "ExpectedPersonBirthDate"] = first + pd.to_timedelta(
        rng.integers(281, 301, int(rows.sum())), unit="D")


for _k in (
    _edit_kind("missing_sex", "children", ("4180",), (), _cin_only(lambda f: f["PersonBirthDate"].notna()),
               _set("Sex", None)),
    FaultKind("cin_plan_alongside_protection", "cin_plans", ("4001", "4016", "4017", "4003"), (),
              lambda t, s: _children_with(t, "cp_plans", _open_cp_plans(t, s)), _cin_plan_alongside),
    FaultKind("unborn_referred_too_early", "children", ("8606",), (),
              lambda t, s: _unborn_referred(t, s).to_numpy(), _expected_long_after_referral),
):
    register(_k)


def _closed_episode_rows(table: str, start_col: str, extra: Callable[[pd.DataFrame], pd.Series] | None = None
                         ) -> Rows:
    """Rows of ``table`` (children outside the 903) starting at least 100 days before 31 March whose episode
    was closed in the year and has no protection plan."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame, ep = t[table], t["cin_episodes"]
        closed = ep["CINclosureDate"].between(s.start, s.end) & ~ep["episode_id"].isin(set(t["cp_plans"]["episode_id"]))
        mask = (frame["episode_id"].isin(set(ep.loc[closed, "episode_id"])) & frame["child_id"].isin(_cin_only_ids(t, s))
                & (frame[start_col] <= s.end - pd.Timedelta(days=100)) & (frame[start_col] >= s.start))
        return mask & extra(frame) if extra is not None else mask
    return rows


def _open_enquiry(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
    """The enquiry left open: no conference date, and not marked as needing none."""
    frame.loc[rows, "DateOfInitialCPC"] = pd.NaT
    frame.loc[rows, "ICPCnotRequired"] = False


def _died_after_year(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    kids = t["children"]
    rows = kids["child_id"].isin(ids)
    kids.loc[rows, "PersonDeathDate"] = s.end + pd.to_timedelta(rng.integers(1, 31, int(rows.sum())), unit="D")


for _k in (
    FaultKind("death_after_reference_date", "children", ("8545Q",), (),
              lambda t, s: _cin_only(lambda f: f["PersonBirthDate"].notna())(t, s).to_numpy(), _died_after_year),
    _edit_kind("closed_with_assessment_open", "assessments", ("8867", "8670Q"), (),
               _closed_episode_rows("assessments", "AssessmentActualStartDate",
                                    lambda f: f["AssessmentAuthorisationDate"].notna()),
               _set("AssessmentAuthorisationDate", pd.NaT)),
    _edit_kind("closed_with_enquiry_open", "section47", ("8868", "8675Q"), (),
               _closed_episode_rows("section47", "S47ActualStartDate"), _open_enquiry),
):
    register(_k)


def _ended_plans(table: str, start: str, end: str) -> Rows:
    """Plans of children outside the 903 that ended in the year at least a week after they started, every
    referral of the child at least six days before the end (a death 1..5 days before the end follows them)."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame = t[table]
        last = frame["child_id"].map(t["cin_episodes"].groupby("child_id")["CINreferralDate"].max())
        return (_cin_only_rows(table, end, None, 10)(t, s) & (frame[end] - frame[start] >= pd.Timedelta(days=7))
                & (frame[end] - last >= pd.Timedelta(days=6)))
    return rows


def _nfa_only(t: Tables, s: Scope) -> np.ndarray:
    """Children outside the 903 whose every episode is an NFA referral, the latest in the year 10 days in
    (nothing but referrals to fall after a death dated before the latest)."""
    ep = t["cin_episodes"]
    nfa = ep["ReferralNFA"].fillna(False).astype(bool)
    all_nfa = nfa.groupby(ep["child_id"]).all()
    last = ep.groupby("child_id")["CINreferralDate"].max()
    ok = set(all_nfa.index[all_nfa.to_numpy() & (last >= s.start + pd.Timedelta(days=10)).to_numpy()])
    kids = t["children"]
    # Born at least ten days before that referral, so a death up to five days before it follows the birth.
    born = (kids["PersonBirthDate"] <= kids["child_id"].map(last) - pd.Timedelta(days=10)).to_numpy()
    return kids["child_id"].isin(ok & _cin_only_ids(t, s)).to_numpy() & born


def _died_before_referral(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    kids = t["children"]
    rows = kids["child_id"].isin(ids)
    last = kids.loc[rows, "child_id"].map(t["cin_episodes"].groupby("child_id")["CINreferralDate"].max())
    kids.loc[rows, "PersonDeathDate"] = last - pd.to_timedelta(rng.integers(1, 6, int(rows.sum())), unit="D")


for _k in (
    _death_kind("died_before_protection_plan_ended", ("8920",),
                _ended_plans("cp_plans", "CPPstartDate", "CPPendDate"), "cp_plans", "CPPendDate"),
    _death_kind("died_before_cin_plan_ended", ("4009Q",),
                _ended_plans("cin_plans", "CINPlanStartDate", "CINPlanEndDate"), "cin_plans", "CINPlanEndDate"),
    FaultKind("died_before_referral", "children", ("8555Q",), (), _nfa_only, _died_before_referral),
):
    register(_k)


def _no_factors(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """Every factor of each chosen child's first authorised assessment in the year left off (not keyed)."""
    a, f = t["assessments"], t["assessment_factors"]
    first = _first_row(a, a["child_id"].isin(ids) & _authorised_in_year(t, s))
    t["assessment_factors"] = f.loc[~f["assessment_id"].isin(set(a.loc[first, "assessment_id"]))].reset_index(drop=True)


def _with_factors(t: Tables, s: Scope) -> np.ndarray:
    a = t["assessments"]
    return _children_with(t, "assessments", _authorised_in_year(t, s)
                          & a["assessment_id"].isin(set(t["assessment_factors"]["assessment_id"])))


def _copy(source: str, column: str):
    """``column`` keyed with the value of ``source`` (the birth date typed into the expected one too); the
    birth is over 30 days before 31 March, so the expected date is out of 8530Q's range as well."""
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = frame.loc[rows, source]
    return edit


for _k in (
    _edit_kind("retired_factor_18a", "assessment_factors", ("8945Q",), (), _factors_of(_authorised_in_year),
               _set("AssessmentFactors", "18A")),
    _edit_kind("retired_factor_19a", "assessment_factors", ("8950Q",), (), _factors_of(_authorised_in_year),
               _set("AssessmentFactors", "19A")),
    FaultKind("authorised_without_factors", "assessment_factors", ("8897Q",), (), _with_factors, _no_factors),
    _edit_kind("cin_plan_ends_the_day_it_starts", "cin_plans", ("4012Q",), (),
               _cin_only_rows("cin_plans", "CINPlanStartDate", _ends_in_year("CINPlanEndDate"), 10),
               _days_before("CINPlanEndDate", "CINPlanStartDate", 0, 0)),
    _edit_kind("former_upn_malformed", "children", ("1560Q",), (), _cin_only(), _set("FormerUPN", "A1234")),
    _edit_kind("both_birth_dates", "children", ("8525Q", "8530Q"), (),
               lambda t, s: _cin_only()(t, s) & (t["children"]["PersonBirthDate"] < s.end - pd.Timedelta(days=30)),
               _copy("PersonBirthDate", "ExpectedPersonBirthDate")),
    _edit_kind("closed_as_died_without_death", "cin_episodes", ("8585Q",), (),
               _episode_rows(lambda f: f["CINclosureDate"].notna() & ~f["ReasonForClosure"].isin(["RC8", "RC9"])),
               _set("ReasonForClosure", "RC2")),
    _edit_kind("conference_target_on_a_saturday", "section47", ("8870Q",), (),
               _cin_only_rows("section47", "S47ActualStartDate"), _to_saturday("InitialCPCtarget")),
):
    register(_k)


def _died_before_birth(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """A death dated 1..5 days before the birth (day and month swapped on entry)."""
    kids = t["children"]
    rows = kids["child_id"].isin(ids)
    kids.loc[rows, "PersonDeathDate"] = kids.loc[rows, "PersonBirthDate"] - pd.to_timedelta(
        rng.integers(1, 6, int(rows.sum())), unit="D")


def _nfa_only_born_before_year(t: Tables, s: Scope) -> np.ndarray:
    """Children outside the 903, born before the year, whose every episode is an NFA referral: a death
    before the birth precedes every referral and falls outside the census year, and nothing else is dated."""
    ep = t["cin_episodes"]
    all_nfa = ep["ReferralNFA"].fillna(False).astype(bool).groupby(ep["child_id"]).all()
    kids = t["children"]
    return (kids["child_id"].isin(set(all_nfa.index[all_nfa.to_numpy()]) & _cin_only_ids(t, s)).to_numpy()
            & (kids["PersonBirthDate"] < s.start).to_numpy())


for _k in (
    _edit_kind("upn_unknown_as_nfa_with_further_action", "children", ("8772",), (),
               lambda t, s: _cin_only(lambda f: f["UPN"].isna() & f["PersonBirthDate"].notna())(t, s)
               & t["children"]["child_id"].isin(_further_action_children(t, s)), _set("UPNunknown", "UN7")),
    FaultKind("died_before_birth", "children", ("8535Q", "8555Q", "8545Q"), (), _nfa_only_born_before_year,
              _died_before_birth),
):
    register(_k)


def _born_after_year(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """The birth dated 1..5 days after 31 March (the expected date of birth keyed as the birth date)."""
    kids = t["children"]
    rows = kids["child_id"].isin(ids)
    kids.loc[rows, "PersonBirthDate"] = s.end + pd.to_timedelta(rng.integers(1, 6, int(rows.sum())), unit="D")


def _young_nfa_only(t: Tables, s: Scope) -> np.ndarray:
    """Children outside the 903 without a UPN, under five, every referral made in the last 270 days of the
    year: born just after 31 March, every referral is within 40 weeks before the birth."""
    ep = t["cin_episodes"]
    first = ep.groupby("child_id")["CINreferralDate"].min()
    ok = set(first.index[(first >= s.end - pd.Timedelta(days=270)).to_numpy()])
    kids = t["children"]
    young = (kids["PersonBirthDate"] >= s.end - pd.Timedelta(days=4 * 365)) & kids["UPN"].isna()
    return kids["child_id"].isin(ok & _cin_only_ids(t, s)).to_numpy() & young.to_numpy()


register(FaultKind("born_after_reference_date", "children", ("8520",), (), _young_nfa_only, _born_after_year))


def _open_episode_enquiries(t: Tables, s: Scope) -> pd.Series:
    """Enquiries started in the year, at least 30 days before 31 March (past 8675Q's 15 working days), in an
    open episode with a protection plan (which started on the conference this fault blanks: 2885), of
    children outside the 903."""
    frame, ep = t["section47"], t["cin_episodes"]
    open_ = ep["CINclosureDate"].isna() & ep["episode_id"].isin(set(t["cp_plans"]["episode_id"]))
    return (frame["episode_id"].isin(set(ep.loc[open_, "episode_id"])) & frame["child_id"].isin(_cin_only_ids(t, s))
            & frame["S47ActualStartDate"].between(s.start, s.end - pd.Timedelta(days=30)))


def _enquiry_twice_open(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """The enquiry left open and entered a second time (a new id, the same dates)."""
    frame = t["section47"]
    first = _first_row(frame, frame["child_id"].isin(ids) & _open_episode_enquiries(t, s))
    _open_enquiry(frame, first, rng)
    t["section47"] = pd.concat([frame, _new_ids("s47_id")(frame.loc[first])], ignore_index=True)


register(FaultKind("enquiry_entered_twice_open", "section47", ("8839", "8890", "8675Q", "2885"), (),
                   lambda t, s: _children_with(t, "section47", _open_episode_enquiries(t, s)), _enquiry_twice_open))


# ------------------------------------------------------------------------ kinds added for issue #15 item 2


def _episodes(extra: Callable[[Tables, Scope], pd.Series]) -> Rows:
    """Further-action episodes referred in the year (children outside the 903) meeting ``extra``."""
    return lambda t, s: _episode_rows(lambda f: pd.Series(True, index=f.index))(t, s) & extra(t, s)


def _has(table: str, extra: Callable[[pd.DataFrame], pd.Series] | None = None) -> Callable[[Tables, Scope], pd.Series]:
    """Per episode: it has a row of ``table`` (meeting ``extra``)."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame = t[table]
        return t["cin_episodes"]["episode_id"].isin(set(frame.loc[extra(frame) if extra else slice(None), "episode_id"]))
    return rows


def _closed_as(*reasons: str) -> Callable[[Tables, Scope], pd.Series]:
    return lambda t, s: t["cin_episodes"]["CINclosureDate"].notna() & t["cin_episodes"]["ReasonForClosure"].isin(reasons)


def _no_factors_found(t: Tables, s: Scope) -> pd.Series:
    """Per episode: its one assessment found no factors (21)."""
    f, a = t["assessment_factors"], t["assessments"]
    none = set(f.loc[f["AssessmentFactors"] == "21", "assessment_id"])
    one = a.groupby("episode_id")["assessment_id"].transform("size") == 1
    return t["cin_episodes"]["episode_id"].isin(set(a.loc[one & a["assessment_id"].isin(none), "episode_id"]))


def _without_plans(t: Tables, s: Scope) -> pd.Series:
    return ~_has("cin_plans")(t, s) & ~_has("cp_plans")(t, s)


def _open_plans(t: Tables, s: Scope) -> pd.Series:
    """Protection plans still open (children outside the 903), started in the year. The copy is a plan
    starting in the year with no conference of its own: 2883 (a return-level count) could follow if a
    council's conferences did not outnumber its plans, as they do here (not every conference leads to one)."""
    return _cin_only_rows("cp_plans", "CPPstartDate", _open("CPPendDate"))(t, s)


def _drop_assessments_kind(name: str, rules: tuple[str, ...], episodes: Rows) -> FaultKind:
    """The assessments of each chosen child's first episode among ``episodes`` never recorded (and so their
    factors): the work was done on paper and not keyed."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        ep, a, f = t["cin_episodes"], t["assessments"], t["assessment_factors"]
        first = _first_row(ep, ep["child_id"].isin(ids) & episodes(t, s))
        gone = set(a.loc[a["episode_id"].isin(set(ep.loc[first, "episode_id"])), "assessment_id"])
        t["assessments"] = a.loc[~a["assessment_id"].isin(gone)].reset_index(drop=True)
        t["assessment_factors"] = f.loc[~f["assessment_id"].isin(gone)].reset_index(drop=True)

    return FaultKind(name, "assessments", rules, (), lambda t, s: _children_with(t, "cin_episodes", episodes(t, s)),
                     apply)


def _open_on_31_march(t: Tables, s: Scope) -> set:
    """Episodes of children outside the 903 still open on 31 March."""
    ep = t["cin_episodes"]
    return set(ep.loc[ep["CINclosureDate"].isna() & ep["child_id"].isin(_cin_only_ids(t, s)), "episode_id"])


def _begun_last_year(table: str, start_col: str, end_col: str) -> Rows:
    """Rows of ``table`` begun at least a week before the year and finished, the only one of their episode,
    in an episode closed in the year with no protection plan starting in it (children outside the 903):
    left open, the row is in this year's census, open in a closed episode (an enquiry's episode had its
    assessment authorised last year, so the census shows the enquiry without one). (An episode still open on 31
    March whose assessment was done last year is rare here: the generator's open cases are young.)"""
    def rows(t: Tables, s: Scope) -> pd.Series:
        frame, ep = t[table], t["cin_episodes"]
        only = frame.groupby("episode_id")["episode_id"].transform("size") == 1
        closed = ep["CINclosureDate"].between(s.start, s.end)
        cp = t["cp_plans"]
        planned = set(cp.loc[cp["CPPstartDate"] >= s.start, "episode_id"])
        ok = set(ep.loc[closed & ep["child_id"].isin(_cin_only_ids(t, s)), "episode_id"]) - planned
        if table == "section47":  # its assessment done last year too: the census shows none (2991Q)
            a = t["assessments"]
            ok -= set(a.loc[~(a["AssessmentAuthorisationDate"] < s.start), "episode_id"])
        return (only & (frame[start_col] < s.start - pd.Timedelta(days=7)) & frame[end_col].notna()
                & frame["episode_id"].isin(ok))
    return rows


def _left_open(column: str, also: dict | None = None):
    """``column`` left blank (the work was finished but never recorded as such), with ``also`` set."""
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        frame.loc[rows, column] = pd.NaT
        for col, value in (also or {}).items():
            frame.loc[rows, col] = value
    return edit


def _earlier_episodes(t: Tables, s: Scope) -> pd.Series:
    """Closed further-action episodes of children outside the 903, closed in the year, that are not the
    child's latest, every episode of the child being closed and further-action."""
    ep = t["cin_episodes"]
    further = ~ep["ReferralNFA"].fillna(False).astype(bool)
    tidy = (further & ep["CINclosureDate"].notna()).groupby(ep["child_id"]).transform("all")
    latest = ep.groupby("child_id")["CINreferralDate"].transform("max")
    return (tidy & (ep["CINreferralDate"] < latest) & ep["CINclosureDate"].between(s.start, s.end)
            & ep["child_id"].isin(_cin_only_ids(t, s)))


def _old_nfa(t: Tables, s: Scope) -> pd.Series:
    """NFA referrals made at least a week before the year, of children in the year's census outside the
    903, whose next referral is at least 21 days into the year: a closure moved up to 20 days into the year
    overlaps nothing."""
    ep = t["cin_episodes"].sort_values(["child_id", "CINreferralDate"], kind="stable")
    following = ep.groupby("child_id")["CINreferralDate"].shift(-1)
    ok = (ep["ReferralNFA"].fillna(False).astype(bool) & (ep["CINreferralDate"] < s.start - pd.Timedelta(days=7))
          & (following >= s.start + pd.Timedelta(days=21)) & ep["child_id"].isin(_cin_only_ids(t, s)))
    return ok.reindex(t["cin_episodes"].index)


def _nfa_closed_in_year(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """The NFA referral's closure keyed 1..20 days into the year (when the case list was tidied), not on the
    day of the referral: last year's referral now shows in this year's census as NFA."""
    ep = t["cin_episodes"]
    first = _first_row(ep, ep["child_id"].isin(ids) & _old_nfa(t, s))
    ep.loc[first, "CINclosureDate"] = s.start + pd.to_timedelta(rng.integers(1, 21, int(first.sum())), unit="D")


def _born_long_ago(t: Tables, s: Scope) -> np.ndarray:
    """Children outside the 903 already 15 on 1 April: born ten years earlier, they turned 25 before any
    episode of the census closed (8775Q asks for an episode open, or closed, after the 25th birthday)."""
    kids = t["children"]
    old = (kids["PersonBirthDate"] < s.start - pd.DateOffset(years=15)).to_numpy()
    return kids["child_id"].isin(_cin_only_ids(t, s)).to_numpy() & old


def _born_a_decade_earlier(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """The year of birth keyed ten years early (1999 for 2009): the child is now over 25."""
    kids = t["children"]
    rows = kids["child_id"].isin(ids)
    kids.loc[rows, "PersonBirthDate"] = kids.loc[rows, "PersonBirthDate"] - pd.DateOffset(years=10)


for _k in (
    _edit_kind("no_factors_closed_for_another_reason", "cin_episodes", ("8873Q",), (),
               _episodes(lambda t, s: _closed_as("RC8", "RC9")(t, s) & _no_factors_found(t, s)),
               _set("ReasonForClosure", "RC7")),
    _drop_assessments_kind("enquiry_without_its_assessment", ("2991Q",),
                           _episodes(lambda t, s: _has("section47")(t, s) & _has("assessments")(t, s)
                                     & _without_plans(t, s))),
    _drop_assessments_kind("closed_after_assessment_without_one", ("8825Q",),
                           _episodes(lambda t, s: _closed_as("RC8", "RC9")(t, s) & _has("assessments")(t, s)
                                     & ~_has("section47")(t, s) & _without_plans(t, s))),
    _add_rows_kind("cp_plan_entered_twice_open", "cp_plans", ("8935", "8940"), _open_plans,
                   _new_ids("cpp_id")),
    _edit_kind("review_without_a_date", "cp_reviews", ("8842Q",), (), _cin_only_rows("cp_reviews", "CPPreviewDate"),
               _set("CPPreviewDate", pd.NaT)),
    _edit_kind("earlier_referral_left_open", "cin_episodes", ("8816", "8820"), (), _earlier_episodes,
               _left_open("CINclosureDate", {"ReasonForClosure": None})),
    _edit_kind("assessment_left_open_from_last_year", "assessments", ("8736", "8670Q", "8867"), (),
               _begun_last_year("assessments", "AssessmentActualStartDate", "AssessmentAuthorisationDate"),
               _left_open("AssessmentAuthorisationDate")),
    _edit_kind("enquiry_left_open_from_last_year", "section47", ("8740", "8675Q", "8868", "2991Q"), (),
               _begun_last_year("section47", "S47ActualStartDate", "DateOfInitialCPC"),
               _left_open("DateOfInitialCPC", {"ICPCnotRequired": False})),
    FaultKind("nfa_referral_closed_in_the_year", "cin_episodes", ("8569Q",), (),
              lambda t, s: _children_with(t, "cin_episodes", _old_nfa(t, s)), _nfa_closed_in_year),
    FaultKind("born_a_decade_earlier", "children", ("8775Q",), (), _born_long_ago, _born_a_decade_earlier),
):
    register(_k)


def _outside_school(t: Tables, s: Scope) -> np.ndarray:
    """Children in both the census and the 903 with a UPN, past school age (born before September 17 years
    before the collection year) and with no row on the roll: a UPN shared
    between two of them touches no school roll (the cross checks X07 and X08 stay quiet)."""
    from statreturns.cross import upn_key

    kids = t["children"]
    key = upn_key(kids["UPN"])
    on_roll = key.isin(set(upn_key(t["school_pupils"]["UPN"]).dropna())) if "school_pupils" in t else False
    older = (kids["PersonBirthDate"] < pd.Timestamp(year=s.year - 17, month=9, day=1)).to_numpy()
    return (s.in_cin & s.in_903 & key.notna().to_numpy() & older
            & ~np.asarray(on_roll))


def _upn_of_another_child(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    """In pairs, the second child keyed with the first's UPN (a sibling's record copied); an odd one out
    joins the last pair. Both (all three) hold one UPN: 1520 on each, 444 in the 903 (from 2026) and X11 (a
    UPN two LA children hold). Looked-after children only: a pair split across the returns would show 444
    on neither, and the kind names one list of rules."""
    kids = t["children"]
    chosen = sorted(ids)
    groups = [chosen[i:i + 2] for i in range(0, len(chosen) - len(chosen) % 2, 2)]
    if len(chosen) % 2:
        groups[-1].append(chosen[-1])
    upn = kids.set_index("child_id")["UPN"]
    for first, *others in groups:
        kids.loc[kids["child_id"].isin(others), "UPN"] = upn[first]


def _rekey(make: Callable[[pd.Series], pd.Series]):
    """The child's LA ID exported as ``make(id)`` in every table (a system's own form of the key)."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> dict:
        old = pd.Series(sorted(ids), dtype="object")
        new = dict(zip(old, make(old), strict=True))
        for frame in t.values():
            if "child_id" in frame.columns:
                rows = frame["child_id"].isin(ids)
                frame.loc[rows, "child_id"] = frame.loc[rows, "child_id"].map(new)
        return new
    return apply


for _k in (
    FaultKind("upn_of_another_child_in_both_returns", "children", ("1520", "X11"), ("444",), _outside_school,
              _upn_of_another_child, at_least=2, together=2),
    FaultKind("child_id_with_a_case_suffix", "children", ("1580",), (), lambda t, s: _cin_only()(t, s).to_numpy(),
              _rekey(lambda ids: ids + "-1")),
    FaultKind("child_id_with_a_system_prefix", "children", ("1570",), (), lambda t, s: _cin_only()(t, s).to_numpy(),
              _rekey(lambda ids: "CHILDRENSSERVICES" + ids)),
):
    register(_k)


KINDS_CIN = [name for name in KINDS if name not in _EARLIER]  # this module's kinds, in registration order
