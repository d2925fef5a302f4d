"""SSDA903 fault kinds for the rules of ``schemas/rules/ssda903/outcomes.py`` (OC2, OC3) and of
``social_workers.py``, registered into ``faults.KINDS`` on import (``faults`` imports this module last). Each
kind names the 903 rules it must trigger; rules no extract can reach are entered in ``faults.UNREACHABLE``
with the reason.

Where a kind sets an item as well as leaving one out (a substance misuse problem recorded, the intervention
item left blank), the item it sets is the child's situation in this synthetic record and the fault is the
item left out or keyed wrongly: the clean generator gives too few children with a problem or a conviction
for a kind to find them in a 1200-child council.
"""

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
    _first_row,
    register,
)
from statreturns.generate.faults_903 import Rows, _care_leaver_rows, _oc2_rows, _year_episodes
from statreturns.ssda903.build import continuously_looked_after

SHORT_BREAKS = ["V3", "V4"]
WEEK = pd.Timedelta(days=7)


# ------------------------------------------------------------------------------------------- OC2


def _dob(t: Tables, frame: pd.DataFrame) -> pd.Series:
    return frame["child_id"].map(t["children"].set_index("child_id")["PersonBirthDate"])


def _oc2_aged(low: int | None, high: int | None, extra: Callable[[pd.DataFrame], pd.Series] | None = None) -> Rows:
    """OC2 rows the build reports (the 12-month cohort) whose child is at least ``low`` and under ``high``
    on 31 March, a week clear of either birthday, and meeting ``extra``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        oc2 = t["oc2"]
        dob = _dob(t, oc2)
        mask = _oc2_rows(extra or (lambda f: f["child_id"].notna()))(t, s)
        if low is not None:
            mask &= dob + pd.DateOffset(years=low) < s.end - WEEK
        if high is not None:
            mask &= dob + pd.DateOffset(years=high) > s.end + WEEK
        return mask
    return rows


def _no_misuse(f: pd.DataFrame) -> pd.Series:
    return (f["SUBSTANCE_MISUSE"].astype("string") == "0") & f["INTERVENTION_RECEIVED"].isna() & f[
        "INTERVENTION_OFFERED"].isna()


def _set_values(values: dict[str, object]):
    def edit(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator) -> None:
        for column, value in values.items():
            frame.loc[rows, column] = value
    return edit


def _sdq_given(f: pd.DataFrame) -> pd.Series:
    return f["SDQ_SCORE"].notna() | f["SDQ_REASON"].notna()


def _sdq_in_range(t: Tables, s: Scope) -> pd.Series:
    """OC2 rows of children the SDQ is asked of all year (4 by 1 April, under 17 on 31 March), SDQ given."""
    return _oc2_rows(_sdq_given, sdq_age=True, inner=True)(t, s)


def _turning_4_or_17(t: Tables, s: Scope) -> pd.Series:
    """OC2 rows of the cohort whose child turns 4 or 17 in the year (a week clear of its ends), SDQ given:
    the build keeps their SDQ items and rule 186's range leaves them out."""
    oc2 = t["oc2"]
    dob = _dob(t, oc2)
    turning = pd.Series(False, index=oc2.index)
    for years in (4, 17):
        b = dob + pd.DateOffset(years=years)
        turning |= (b > s.start + WEEK) & (b < s.end - WEEK)
    return _oc2_rows(_sdq_given)(t, s) & turning


def _drop_oc2(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    oc2 = t["oc2"]
    t["oc2"] = oc2.loc[~oc2["child_id"].isin(ids)].reset_index(drop=True)


_OC2_KINDS = (
    # The worker recorded SDQ1 ("aged under 4 or over 16") for a child of SDQ age instead of the score.
    _edit_kind("sdq_reason_under_4_or_over_16_for_a_child_of_sdq_age", "oc2", (), ("157",), _sdq_in_range,
               _set_values({"SDQ_SCORE": None, "SDQ_REASON": "SDQ1"})),
    # A substance misuse problem, an intervention received; the 'offered' item answered as well.
    _edit_kind("intervention_offered_answered_though_received", "oc2", (), ("158",), _oc2_aged(None, None, _no_misuse),
               _set_values({"SUBSTANCE_MISUSE": "1", "INTERVENTION_RECEIVED": "1", "INTERVENTION_OFFERED": "1"})),
    # A substance misuse problem, no intervention received; the 'offered' item left blank.
    _edit_kind("intervention_offered_left_blank", "oc2", (), ("159",), _oc2_aged(None, None, _no_misuse),
               _set_values({"SUBSTANCE_MISUSE": "1", "INTERVENTION_RECEIVED": "0"})),
    # A substance misuse problem; the 'received' item left blank.
    _edit_kind("intervention_received_left_blank", "oc2", (), ("192",), _oc2_aged(None, None, _no_misuse),
               _set_values({"SUBSTANCE_MISUSE": "1"})),
    # A convicted child (10 or over) whose dental check was not entered. Leaving a health item blank
    # beside a given item is always 182 too, and in the 12-month cohort always 191.
    _edit_kind("dental_check_left_blank_for_a_convicted_child", "oc2", (), ("544", "182", "191"),
               _oc2_aged(10, None, lambda f: f["TEETH_CHECK"].notna() & f["INTERVENTION_RECEIVED"].isna()
                         & f["INTERVENTION_OFFERED"].isna()),
               _set_values({"CONVICTED": "1", "TEETH_CHECK": None})),
    # An under-5 with a health promotion check whose dental check was not entered (182, 191 as above).
    _edit_kind("dental_check_left_blank_for_an_under_5", "oc2", (), ("547", "182", "191"),
               _oc2_aged(None, 5, lambda f: f["TEETH_CHECK"].notna() & f["INTERVENTION_RECEIVED"].isna()
                         & f["INTERVENTION_OFFERED"].isna()),
               _set_values({"HEALTH_CHECK": "1", "TEETH_CHECK": None})),
    # The SDQ of a child turning 4 or 17 in the year was not recorded (neither score nor reason).
    _edit_kind("sdq_left_out_for_a_child_turning_4_or_17", "oc2", (), ("197B",), _turning_4_or_17,
               _set_values({"SDQ_SCORE": None, "SDQ_REASON": None})),
    # The child's whole OC2 record is missing from the extract (no health rows, no SDQ).
    FaultKind("oc2_record_missing", "oc2", (), ("191",),
              lambda t, s: _children_with(t, "oc2", _oc2_rows(lambda f: f["child_id"].notna())(t, s)), _drop_oc2),
)


# ------------------------------------------------------------------------------------------- OC3


def _final_episode(t: Tables) -> pd.Series:
    """Each child's latest-starting episode (its end is the end of care rules 1011 and 1016 read)."""
    ep = t["la_episodes"]
    order = ep.sort_values(["child_id", "DECOM"], kind="stable")
    return (~order["child_id"].duplicated(keep="last")).reindex(ep.index)


def _leaver_rows(t: Tables, s: Scope) -> pd.Series:
    """Care leavers' OC3 rows with an accommodation coded and a final episode ended with a reason."""
    oc3, ep = t["oc3"], t["la_episodes"]
    ended = set(ep.loc[_final_episode(t) & ep["REC"].notna() & (ep["REC"] != "X1"), "child_id"])
    accom = oc3["ACCOM"].notna() & (oc3["ACCOM"].astype("string") != "0")
    return _care_leaver_rows(t, s) & accom & oc3["ACTIV"].notna() & oc3["child_id"].isin(ended)


def _recorded_as_died(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    oc3 = t["oc3"]
    rows = oc3["child_id"].isin(ids) & _leaver_rows(t, s)
    chosen = set(oc3.loc[rows, "child_id"])
    oc3.loc[rows, ["IN_TOUCH", "ACTIV"]] = ["DIED", None]
    ep = t["la_episodes"]
    ep.loc[_final_episode(t) & ep["child_id"].isin(chosen), "REC"] = "E2"


def _cohort_oc3(extra: Callable[[Tables, Scope, pd.DataFrame], pd.Series], looked_after: bool | None = None) -> Rows:
    """OC3 rows of the year's care leavers (the rows the build reports) meeting ``extra``; with
    ``looked_after`` only those looked after in the year (True) or not (False)."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        oc3 = t["oc3"]
        mask = _care_leaver_rows(t, s) & extra(t, s, oc3)
        if looked_after is not None:
            in_year = set(t["children"]["child_id"].to_numpy()[s.in_903])
            mask &= oc3["child_id"].isin(in_year) == looked_after
        return mask
    return rows


def _in_touch(t: Tables, s: Scope, f: pd.DataFrame) -> pd.Series:
    return (f["IN_TOUCH"] == "YES") & (f["ACTIV"].astype("string") != "0") & (f["ACCOM"].astype("string") != "0")


def _under_18_at_start(t: Tables, s: Scope, f: pd.DataFrame) -> pd.Series:
    """In touch, under 18 on 1 April (a week clear of the 18th birthday)."""
    return _in_touch(t, s, f) & (_dob(t, f) + pd.DateOffset(years=18) > s.start + WEEK)


def _final_in_year(t: Tables, s: Scope) -> pd.Series:
    """Each child's final episode, ended in the year with a reason (so it is the return's latest)."""
    ep = t["la_episodes"]
    return _final_episode(t) & ep["DEC"].between(s.start, s.end) & ep["REC"].notna() & (ep["REC"] != "X1")


def _final_episode_rows(oc3_rows: Rows) -> Rows:
    """The final episode, ended in the year, of a care leaver with an OC3 row among ``oc3_rows``."""
    def rows(t: Tables, s: Scope) -> pd.Series:
        ids = set(t["oc3"].loc[oc3_rows(t, s), "child_id"])
        return _final_in_year(t, s) & t["la_episodes"]["child_id"].isin(ids)
    return rows


def _stays_12_months_if_x1(t: Tables, s: Scope) -> set:
    """Care leavers whose final episode, keyed X1 instead of its reason, makes them look looked after
    for the whole year, with OC2 items the build then returns (rule 215's case)."""
    ep = t["la_episodes"].copy()
    final = _final_in_year(t, s)
    ep.loc[final, "REC"] = "X1"
    eps = _year_episodes({**t, "la_episodes": ep}, s)
    stays = continuously_looked_after(eps, s.start, s.end) & set(ep.loc[final, "child_id"])
    oc2 = t["oc2"]
    return stays & set(oc2.loc[oc2["CONVICTED"].notna() | oc2["IMMUNISATIONS"].notna(), "child_id"])


def _set_final(code: str, rows: Rows):
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        ep = t["la_episodes"]
        ep.loc[rows(t, s) & ep["child_id"].isin(ids), "REC"] = code
    return apply


def _final_kind(name: str, rules: tuple[str, ...], rows: Rows, code: str) -> FaultKind:
    return FaultKind(name, "la_episodes", (), rules, lambda t, s: _children_with(t, "la_episodes", rows(t, s)),
                     _set_final(code, rows))


def _x1_rows(t: Tables, s: Scope) -> pd.Series:
    ep = t["la_episodes"]
    return _final_in_year(t, s) & ep["child_id"].isin(_stays_12_months_if_x1(t, s)) & ep["child_id"].isin(
        set(t["oc3"].loc[_care_leaver_rows(t, s), "child_id"]))


def _last_year_final_rows(t: Tables, s: Scope) -> pd.Series:
    """The final episode, ended last year, of a care leaver not looked after this year and under 20 on 31
    March (rule 1001 assesses only them)."""
    ep = t["la_episodes"]
    last_start, last_end = s.start - pd.DateOffset(years=1), s.start - pd.Timedelta(days=1)
    leavers = _cohort_oc3(lambda t, s, f: _dob(t, f) + pd.DateOffset(years=20) > s.end + WEEK, looked_after=False)
    ids = set(t["oc3"].loc[leavers(t, s), "child_id"])
    return (_final_episode(t) & ep["DEC"].between(last_start, last_end) & ep["REC"].notna() & (ep["REC"] != "X1")
            & ep["child_id"].isin(ids))


_ANY: Callable[[Tables, Scope, pd.DataFrame], pd.Series] = lambda t, s, f: f["child_id"].notna()  # noqa: E731

# The year's care leavers (about 40 at 1200 children: those who left care in the year and those who left
# before it) can take one kind each. The death is one mistake: recorded against the wrong young person, in
# both places (the final episode ceased E2, in touch DIED), the activity cleared and the accommodation
# left. That is 1000 (died in care, OC3 given), 344 (died with an accommodation coded), 153 (items partly
# given) and 132 (a blank activity is not a valid code).
_OC3_KINDS = (
    FaultKind("care_leaver_recorded_as_died", "oc3", (), ("1000", "344", "153", "132"),
              lambda t, s: _children_with(t, "oc3", _leaver_rows(t, s)), _recorded_as_died),
    # In touch, but the activity keyed 0 (the code for "died or returned home").
    _edit_kind("care_leaver_in_touch_activity_keyed_0", "oc3", (), ("345",), _cohort_oc3(_in_touch),
               _set_values({"ACTIV": "0"})),
    # A 17-year-old's accommodation keyed as a foyer (T1), which the DfE does not allow under 18.
    _edit_kind("care_leaver_under_18_in_a_foyer", "oc3", (), ("347",), _cohort_oc3(_under_18_at_start),
               _set_values({"ACCOM": "T1"})),
    # The final episode's reason keyed E3 (care transferred to another LA) instead of how care ended.
    _final_kind("care_leaver_final_episode_keyed_transferred", ("1011",), _final_episode_rows(
        _cohort_oc3(_ANY, looked_after=True)), "E3"),
    # The final episode's reason keyed X1 ("episode ceases, new one begins"): no new episode follows (388)
    # and care seems to go on all year, so the build returns the OC2 items beside the OC3 ones (215, and
    # 187: OC3 for a child looked after for 12 months).
    _final_kind("care_leaver_final_episode_keyed_x1", ("215", "388", "187"), _x1_rows, "X1"),
    # A care leaver who left last year: the final episode's reason keyed E12 (adopted) for E13 or E17, so
    # the two years' episodes no longer show a relevant child (1001; this year's episodes, none, show
    # nothing for 390, 601).
    _final_kind("care_leaver_final_episode_last_year_keyed_adopted", ("1001",), _last_year_final_rows, "E12"),
)


# ------------------------------------------------------------------------------------------- social workers


def _looked_after_at_end(t: Tables, s: Scope) -> set:
    """Children with an episode other than a short break open on 31 March (as the year's return shows)."""
    eps = _year_episodes(t, s)
    return set(eps.loc[eps["DEC"].isna() & ~eps["LS"].isin(SHORT_BREAKS), "child_id"])


def _last_sw(t: Tables) -> pd.Series:
    sw = t["sw_episodes"]
    order = sw.sort_values(["child_id", "SW_DECOM"], kind="stable")
    return (~order["child_id"].duplicated(keep="last")).reindex(sw.index)


def _open_last_sw(t: Tables, s: Scope) -> pd.Series:
    """The open last worker episode of a child looked after on 31 March, begun at least a week before it."""
    sw = t["sw_episodes"]
    return (_last_sw(t) & sw["SW_DEC"].isna() & (sw["SW_DECOM"] < s.end - WEEK)
            & sw["child_id"].isin(_looked_after_at_end(t, s)))


def _closed_last_sw(t: Tables, s: Scope) -> pd.Series:
    """The last worker episode, ended in the year, of a child looked after in the year but not on 31 March."""
    sw = t["sw_episodes"]
    in_year = sw["child_id"].isin(set(_year_episodes(t, s)["child_id"]))
    return (_last_sw(t) & sw["SW_DEC"].notna() & (sw["SW_DEC"] >= s.start) & (sw["SW_DEC"] <= s.end)
            & (sw["SW_DECOM"] < s.end - WEEK) & in_year & ~sw["child_id"].isin(_looked_after_at_end(t, s)))


def _sw_rows_of(rows: Rows, edit: Callable[[pd.DataFrame, pd.Series, np.random.Generator, Scope], None]):
    """An injector applying ``edit`` (which sees the year) to the chosen children's worker episodes among
    ``rows``."""
    def apply(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
        frame = t["sw_episodes"]
        edit(frame, frame["child_id"].isin(ids) & rows(t, s), rng, s)
    return apply


def _closed_before_late_march(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator, s: Scope) -> None:
    """Ended between the day after it began (or 2 April) and 25 March: the worker left and no successor was
    entered. It still ends in the year, so the return keeps it."""
    begun = frame.loc[rows, "SW_DECOM"]
    low = begun.clip(lower=s.start) + pd.Timedelta(days=1)
    span = (s.end - pd.Timedelta(days=6) - low).dt.days
    frame.loc[rows, "SW_DEC"] = low + pd.to_timedelta(rng.integers(0, span.to_numpy() + 1), unit="D")


def _closed_in_late_march(frame: pd.DataFrame, rows: pd.Series, rng: np.random.Generator, s: Scope) -> None:
    """Ended on 26 to 30 March (kept open to the year-end tidy-up and closed then), with no successor."""
    frame.loc[rows, "SW_DEC"] = s.end - pd.to_timedelta(rng.integers(1, 6, int(rows.sum())), unit="D")


def _first_contact_to_copy(t: Tables, s: Scope) -> pd.Series:
    """A first-contact worker episode in the year's return, ended, with a successor (so the copy neither is
    the last episode nor leaves one open)."""
    sw = t["sw_episodes"]
    in_year = sw["child_id"].isin(set(_year_episodes(t, s)["child_id"]))
    return ((sw["SW_REASON"] == "FCONTA") & sw["SW_DEC"].notna() & (sw["SW_DEC"] >= s.start)
            & (sw["SW_DEC"] > sw["SW_DECOM"]) & (sw["SW_DECOM"] <= s.end) & ~_last_sw(t) & in_year)


def _enter_twice(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    sw = t["sw_episodes"]
    rows = sw["child_id"].isin(ids) & _first_contact_to_copy(t, s)
    t["sw_episodes"] = pd.concat([sw, sw.loc[_first_row(sw, rows)]], ignore_index=True)


def _drop_sw(t: Tables, ids: set, rng: np.random.Generator, s: Scope) -> None:
    sw = t["sw_episodes"]
    t["sw_episodes"] = sw.loc[~sw["child_id"].isin(ids)].reset_index(drop=True)


def _care_starts_or_ends(t: Tables, s: Scope) -> np.ndarray:
    """Children whose year's return has an episode (not a short break) starting or ending care, which
    rule SW12 wants a worker episode beside."""
    eps = _year_episodes(t, s)
    starts_or_ends = (eps["RNE"] == "S") | (eps["REC"].notna() & (eps["REC"] != "X1"))
    kids = set(eps.loc[~eps["LS"].isin(SHORT_BREAKS) & starts_or_ends, "child_id"])
    return t["children"]["child_id"].isin(kids).to_numpy() & _children_with(t, "sw_episodes", t["sw_episodes"][
        "child_id"].notna())


def _sw_kind(name: str, rules: tuple[str, ...], rows: Rows, edit) -> FaultKind:
    return FaultKind(name, "sw_episodes", (), rules, lambda t, s: _children_with(t, "sw_episodes", rows(t, s)),
                     _sw_rows_of(rows, edit))


_SW_KINDS = (
    # A looked-after child's worker episode closed in the year with no successor entered.
    _sw_kind("social_worker_closed_without_successor", ("SW17STG2",), _open_last_sw, _closed_before_late_march),
    # A child who left care: their last worker episode closed on 26-30 March instead of when care ended.
    _sw_kind("social_worker_closed_late_after_care_ended", ("SW11bSTG2",), _closed_last_sw, _closed_in_late_march),
    # The first-contact worker episode entered twice: the copy starts the same day (SW19) and, being a
    # first contact, starts before the episode it copies ended (SW10b). Other reasons would be SW10 instead.
    FaultKind("social_worker_first_contact_entered_twice", "sw_episodes", (), ("SW19STG2", "SW10bSTG2"),
              lambda t, s: _children_with(t, "sw_episodes", _first_contact_to_copy(t, s)), _enter_twice),
    # The child's worker involvements are missing from the extract.
    FaultKind("social_worker_episodes_missing", "sw_episodes", (), ("SW12STG2",), _care_starts_or_ends, _drop_sw),
)

KINDS_OUTCOMES: tuple[FaultKind, ...] = (*_OC2_KINDS, *_OC3_KINDS, *_SW_KINDS)
for _k in KINDS_OUTCOMES:
    register(_k)

_OC3_COHORT = ("the build returns OC3 rows only for young people whose 17th to 21st birthday falls in the year "
               "after their care ended, judged on the whole history as at 31 March ({}), the test this rule makes")
UNREACHABLE.update({
    **{("ssda903", code): "the build returns OC2 rows only for the children it finds looked after continuously for "
                          "12 months, by the same test as the rule (build.continuously_looked_after)"
       for code in ("185", "190", "198")},
    ("ssda903", "348"): "both years' returns are built from the one extract, whose OC3 table holds one record per "
                        "young person (the reader quarantines a repeated one), so one reported as died last year "
                        "is reported as died this year",
    ("ssda903", "391"): _OC3_COHORT.format("aged 17 to 21 on 31 March, from the same date of birth"),
    ("ssda903", "1007"): _OC3_COHORT.format("no episode open and every episode ended before the birthday"),
    ("ssda903", "1016"): _OC3_COHORT.format("every episode ended before the birthday"),
    ("ssda903", "628"): "the build leaves MOTHER and MC_DOB blank for a care leaver not looked after in the year "
                        "(the DfE does not ask it of them)",
    ("ssda903", "1014"): "the build returns UASC rows only for children looked after in the year, so a care leaver "
                         "not looked after in it has none",
    ("ssda903", "1010"): "both years' returns come from one history: an episode open on last year's 31 March (as "
                         "the system stood then) is open or ends after 1 April, so it is in this year's episodes too",
    ("ssda903", "1002"): "the build returns OC3 only for young people whose history shows 13 weeks' care after 14, "
                         "so no slip gives an OC3 row without episodes; the two years of episodes the rule reads miss "
                         "them only for a care leaver of 20 or 21 whose care ended before last year's return, a "
                         "correct record (the DfE's note on the rule: a false positive), which the generator does "
                         "not give an OC3 record",
    **{("ssda903", code): "the SSD reader quarantines an involvement whose date does not parse, and the build "
                          "writes every date it keeps as dd/mm/yyyy" for code in ("SW04STG1", "SW05STG1")},
    ("ssda903", "SW06STG2"): "the build keeps only worker episodes begun by 31 March (later ones are not yet "
                             "in the system as it stood then)",
    ("ssda903", "SW07STG2"): "the build keeps worker episodes open or ending on or after 1 April, and blanks an "
                             "end after 31 March as not yet known, so none ends outside the window",
})
