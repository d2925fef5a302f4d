"""CIN census rules on the ChildProtectionPlans and Reviews modules.

Plans and their reviews are joined on CPPID, which our reader numbers across the whole file (the public
validator's CPPID restarts in every episode, which hides overlaps in 8935/8940). Reviews has one row per
CPPreviewDate, so every review date is checked, not only the first of each <Reviews> element.
Return-level 2883 reports the first ChildProtectionPlans row (it can only fail when plans exist).
8565 is about a whole episode and reports the CINdetails row of that episode.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.rules.cin.base import (
    YEARS,
    episode_rows,
    episode_value,
    first_row_if,
    flag_is,
    inside_pairs,
    is_blank,
    outside_period,
    plain_dates,
    rule,
    span_end,
    starts_inside,
)
from statreturns.dates import absent
from statreturns.reference import code_list

# Category of abuse codes, cin_notes.md section 3 (8905, 8910).
ABUSE_CATEGORIES = code_list("cin", "category_of_abuse")


def _cpp(t) -> pd.DataFrame:
    return t.ChildProtectionPlans


def _in_period(t, dates: pd.Series) -> pd.Series:
    return (dates >= t.period_start) & (dates <= t.period_end)


def _death_date(t, table: str) -> pd.Series:
    """The child's PersonDeathDate for each row of ``table`` (earliest if the child is listed twice)."""
    def build() -> pd.Series:
        deaths = t.ChildIdentifiers.groupby("LAchildID")["PersonDeathDate"].min()
        keys = t[table]["LAchildID"]
        return pd.Series(deaths.reindex(keys).to_numpy(), index=keys.index)

    return t.memo(f"death_date:{table}", build)  # two rules ask for the same table's


def _cpp_value(t, column: str) -> pd.Series:
    """``column`` of each review's plan, aligned to Reviews (joined on the file-wide CPPID)."""
    plans = _cpp(t).drop_duplicates("CPPID").set_index("CPPID")[column]
    keys = t.Reviews["CPPID"]
    return pd.Series(plans.reindex(keys).to_numpy(), index=keys.index)


@rule("1105", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "CINreferralDate"], years=YEARS,
      needs=["CINdetails"], message="The child protection plan start date cannot be before the referral date")
def cpp_before_referral(t) -> pd.Series:
    return _cpp(t)["CPPstartDate"] < episode_value(t, "ChildProtectionPlans", "CINreferralDate")


@rule("2883", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "DateOfInitialCPC"], years=YEARS,
      needs=["CINdetails", "Section47"], level="return",
      message="There are more child protection plans starting than initial conferences taking place")
def more_plans_than_conferences(t) -> pd.Series:
    plans = int(_in_period(t, _cpp(t)["CPPstartDate"]).sum())
    conferences = int(_in_period(t, t.CINdetails["DateOfInitialCPC"]).sum()
                      + _in_period(t, t.Section47["DateOfInitialCPC"]).sum())
    return first_row_if(_cpp(t), plans > conferences)


@rule("2885", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "DateOfInitialCPC"], years=YEARS,
      needs=["CINdetails", "Section47"],
      message="Child protection plan shown as starting a different day to the initial child protection "
              "conference.")
def cpp_start_not_on_conference_day(t) -> pd.Series:
    # Conference dates of the episode: those of its S47s, or the CINdetails DateOfInitialCPC when the
    # episode has no S47 other than ones marked ICPC not required (those are ignored entirely: the
    # conference was then recorded at episode level). A blank or invalid ICPCnotRequired counts as a
    # S47 that needed a conference.
    s, d, c = t.Section47, t.CINdetails, _cpp(t)
    needing = s.loc[~flag_is(s["ICPCnotRequired_bool"], True)]
    s47_dates = needing[["CINdetailsID", "DateOfInitialCPC"]]
    no_s47 = ~d["CINdetailsID"].isin(needing["CINdetailsID"].dropna())
    episode_dates = d.loc[no_s47, ["CINdetailsID", "DateOfInitialCPC"]]
    conferences = pd.concat([s47_dates, episode_dates]).dropna()
    known = pd.MultiIndex.from_frame(conferences)
    starts = pd.MultiIndex.from_arrays([c["CINdetailsID"], c["CPPstartDate"]])
    return _in_period(t, c["CPPstartDate"]) & ~starts.isin(known)


@rule("4003", "error", table="Reviews", fields=["CINPlanStartDate", "CINPlanEndDate", "CPPreviewDate"],
      years=YEARS, needs=["CINplanDates", "ChildProtectionPlans"],
      message="A CPP review date is shown as being held at the same time as an open CIN Plan.")
def review_during_cin_plan(t) -> pd.Index:
    # Same episode (the public validator joins by child and needs a CPP end date). A plan with no end
    # date runs to the ReferenceDate; a review held on its own plan's end date is allowed.
    r, p = t.Reviews, t.CINplanDates
    points = pd.DataFrame({"key": r["CINdetailsID"], "date": r["CPPreviewDate"]})
    spans = pd.DataFrame({"key": p["CINdetailsID"], "start": p["CINPlanStartDate"],
                          "end": span_end(t, p, "CINPlanEndDate")})
    pairs = inside_pairs(points, spans)
    on_cpp_end = r["CPPreviewDate"] == _cpp_value(t, "CPPendDate")
    return pd.Index(pairs["_point"].unique()).difference(r.index[on_cpp_end.to_numpy()])


@rule("8565", "error", table="CINdetails",
      fields=["CINclosureDate", "DateOfInitialCPC", "AssessmentActualStartDate", "AssessmentAuthorisationDate",
              "S47ActualStartDate", "CPPendDate", "CINPlanStartDate", "CINPlanEndDate"],
      years=YEARS, needs=["Assessments", "CINplanDates", "ChildProtectionPlans", "Section47"],
      message="Activity shown after a case has been closed")
def activity_after_closure(t) -> pd.Series:
    activity = [
        ("CINdetails", "DateOfInitialCPC"),
        ("Assessments", "AssessmentActualStartDate"), ("Assessments", "AssessmentAuthorisationDate"),
        ("Section47", "S47ActualStartDate"), ("Section47", "DateOfInitialCPC"),
        ("ChildProtectionPlans", "CPPendDate"),
        ("CINplanDates", "CINPlanStartDate"), ("CINplanDates", "CINPlanEndDate"),
    ]
    d = t.CINdetails
    columns = [t[name][col] for name, col in activity]
    if not all(plain_dates(c) and np.datetime_data(c.dtype)[0] in ("s", "ms", "us") for c in columns):
        return _activity_after_closure_grouped(d, [(t[name], col) for name, col in activity])
    # The latest activity date per episode (its first CINdetails row), as a groupby max would give it:
    # NaT is the smallest int64, so it only stays where an episode has no dated activity.
    latest = np.full(len(d), np.iinfo(np.int64).min)
    for (name, _), column in zip(activity, columns, strict=True):
        at = episode_rows(t, name)
        dated = at >= 0
        np.maximum.at(latest, at[dated], column.to_numpy().astype("datetime64[us]").view("int64")[dated])
    own = episode_rows(t, "CINdetails")
    per_row = np.where(own >= 0, latest[own], np.iinfo(np.int64).min).view("datetime64[us]")
    return pd.Series(per_row, index=d.index) > d["CINclosureDate"]


def _activity_after_closure_grouped(d: pd.DataFrame, activity: list[tuple[pd.DataFrame, str]]) -> pd.Series:
    """``activity_after_closure`` through a groupby, for date columns that are not plain datetimes."""
    dates = pd.concat([frame[["CINdetailsID", col]].set_axis(["CINdetailsID", "date"], axis=1)
                       for frame, col in activity])
    latest = dates.groupby("CINdetailsID")["date"].max()
    latest_per_episode = pd.Series(latest.reindex(d["CINdetailsID"]).to_numpy(), index=d.index)
    return latest_per_episode > d["CINclosureDate"]


@rule("8720", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "ReferenceDate"], years=YEARS,
      message="Child Protection Plan Start Date missing or out of data collection period")
def cpp_start_missing_or_late(t) -> pd.Series:
    c = _cpp(t)
    return is_blank(c, "CPPstartDate") | (c["CPPstartDate"] > t.reference_date)


@rule("8730", "error", table="ChildProtectionPlans", fields=["NumberOfPreviousCPP"], years=YEARS,
      message="Total Number of previous Child Protection Plans missing")
def previous_plans_missing(t) -> pd.Series:
    # Must be a whole number, zero or more (XSD positiveintegertype: xs:integer, minInclusive 0).
    value = _cpp(t)["NumberOfPreviousCPP"]
    whole = value.astype("str").str.fullmatch(r"\s*\+?\d+\s*").fillna(False).astype(bool)
    return absent(value) | ~whole


@rule("8832", "error", table="ChildProtectionPlans", fields=["CINdetailsID", "ReferralNFA"], years=YEARS,
      needs=["CINdetails"], message="Child Protection details provided for a referral with no further action.")
def cpp_on_nfa_referral(t) -> pd.Series:
    return flag_is(episode_value(t, "ChildProtectionPlans", "ReferralNFA_bool"), True)


@rule("8840", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "CPPendDate"], years=YEARS,
      message="Child Protection Plan cannot start and end on the same day")
def cpp_same_day(t) -> pd.Series:
    c = _cpp(t)
    return c["CPPstartDate"] == c["CPPendDate"]


@rule("8841", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "CPPreviewDate"], years=YEARS,
      needs=["Reviews"],
      message="The review date cannot be on the same day or before the Child protection Plan start date.")
def review_not_after_cpp_start(t) -> pd.Series:
    r = t.Reviews
    early = r["CPPreviewDate"] <= _cpp_value(t, "CPPstartDate")
    return _cpp(t)["CPPID"].isin(r.loc[early, "CPPID"].dropna())


@rule("8842Q", "query", table="Reviews", fields=["CPPreviewDate"], years=YEARS,
      message="Please check and either amend or provide a reason: Review Record has a missing date")
def review_date_missing(t) -> pd.Series:
    # Blank or not a date: either way the review has no valid date.
    return t.Reviews["CPPreviewDate"].isna()


@rule("8905", "error", table="ChildProtectionPlans", fields=["InitialCategoryOfAbuse"], years=YEARS,
      message="Initial Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census code "
              "set)")
def initial_category_invalid(t) -> pd.Series:
    return ~_cpp(t)["InitialCategoryOfAbuse"].astype("str").str.strip().isin(ABUSE_CATEGORIES)


@rule("8910", "error", table="ChildProtectionPlans", fields=["LatestCategoryOfAbuse"], years=YEARS,
      message="Latest Category of Abuse code missing or invalid (see Category of Abuse table in CIN Census code "
              "set)")
def latest_category_invalid(t) -> pd.Series:
    return ~_cpp(t)["LatestCategoryOfAbuse"].astype("str").str.strip().isin(ABUSE_CATEGORIES)


@rule("8915", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "PersonDeathDate"], years=YEARS,
      needs=["ChildIdentifiers"], message="Child Protection Plan shown as starting after the child’s Date of Death")
def cpp_starts_after_death(t) -> pd.Series:
    return _cpp(t)["CPPstartDate"] > _death_date(t, "ChildProtectionPlans")


@rule("8920", "error", table="ChildProtectionPlans", fields=["PersonDeathDate", "CPPendDate"], years=YEARS,
      needs=["ChildIdentifiers"], message="Child Protection Plan cannot end after the child’s Date of Death")
def cpp_ends_after_death(t) -> pd.Series:
    return _cpp(t)["CPPendDate"] > _death_date(t, "ChildProtectionPlans")


@rule("8925", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "CPPendDate"], years=YEARS,
      message="Child Protection Plan End Date earlier than Start Date")
def cpp_ends_before_start(t) -> pd.Series:
    c = _cpp(t)
    return c["CPPendDate"] < c["CPPstartDate"]


@rule("8930", "error", table="ChildProtectionPlans", fields=["CPPendDate", "ReferenceDate"], years=YEARS,
      message="Child Protection Plan End Date must fall within the census year")
def cpp_end_outside_period(t) -> pd.Series:
    return outside_period(t, _cpp(t)["CPPendDate"])


@rule("8935", "error", table="ChildProtectionPlans", fields=["CPPendDate"], years=YEARS,
      message="This child is showing more than one open Child Protection plan, i.e. with no End Date")
def two_open_cpps_for_child(t) -> pd.Series:
    # Per child, whatever the episodes (two open plans in one episode count too).
    c = _cpp(t)
    open_ = is_blank(c, "CPPendDate")
    per_child = open_.groupby(c["LAchildID"]).transform("sum")
    return open_ & (per_child > 1)


@rule("8940", "error", table="ChildProtectionPlans", fields=["CPPstartDate", "CPPendDate"], years=YEARS,
      message="Child Protection Plan data contains overlapping dates")
def cpps_overlap(t) -> pd.Index:
    # Per child across episodes; every other plan row is compared (not only those with another CPPID).
    c = _cpp(t)
    points = pd.DataFrame({"key": c["LAchildID"], "date": c["CPPstartDate"]})
    spans = pd.DataFrame({"key": c["LAchildID"], "start": c["CPPstartDate"], "end": span_end(t, c, "CPPendDate")})
    return starts_inside(points, spans, same_rows=True)

