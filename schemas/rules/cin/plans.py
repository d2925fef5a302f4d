"""CIN census rules on the CINPlanDates module (CIN plans), plus small date helpers the other episode
modules of this group share (open spans, census-period checks, "starts inside another span").

Spans are inclusive at both ends ("falls within start to end"): the DfE carves out the end day
explicitly where it is allowed (4016, 4017), which only makes sense if the end day is otherwise inside.
An open span (end date blank) runs to the ReferenceDate. An end date that is present but not a date is
neither open nor comparable, so it never makes a span rule fire (the date check reports it).
"""

from __future__ import annotations

import pandas as pd

from schemas.rules.cin.base import (
    YEARS,
    episode_value,
    flag_is,
    has_date,
    inside_pairs,
    is_blank,
    outside_period,
    rule,
    span_end,
    starts_inside,
)


def _plans(t) -> pd.DataFrame:
    return t.CINplanDates


def _plan_spans(t, key: str = "LAchildID") -> pd.DataFrame:
    p = _plans(t)
    return pd.DataFrame({"key": p[key], "start": p["CINPlanStartDate"], "end": span_end(t, p, "CINPlanEndDate"),
                         "actual_end": p["CINPlanEndDate"]})


def _cpp_spans(t) -> pd.DataFrame:
    c = t.ChildProtectionPlans
    return pd.DataFrame({"key": c["LAchildID"], "start": c["CPPstartDate"], "end": span_end(t, c, "CPPendDate"),
                         "actual_end": c["CPPendDate"]})


@rule("4000", "error", table="CINplanDates", fields=["ReferralNFA"], years=YEARS, needs=["CINdetails"],
      message="CIN Plan details provided for a referral with no further action")
def plan_on_nfa_referral(t) -> pd.Series:
    return flag_is(episode_value(t, "CINplanDates", "ReferralNFA_bool"), True)


@rule("4001", "error", table="CINplanDates", fields=["CINPlanEndDate", "CPPendDate"], years=YEARS,
      needs=["ChildProtectionPlans"], message="A CIN Plan cannot run concurrently with a Child Protection Plan")
def plan_open_with_open_cpp(t) -> pd.Series:
    p, c = _plans(t), t.ChildProtectionPlans
    episodes_with_open_cpp = c.loc[is_blank(c, "CPPendDate"), "CINdetailsID"].dropna()
    open_plan = has_date(p, "CINPlanStartDate") & is_blank(p, "CINPlanEndDate")
    return open_plan & p["CINdetailsID"].isin(episodes_with_open_cpp)


@rule("4004", "error", table="CINplanDates", fields=["CINPlanEndDate"], years=YEARS,
      message="This child is showing more than one open CIN Plan, i.e. with no End Date")
def two_open_plans_in_episode(t) -> pd.Series:
    p = _plans(t)
    open_plan = is_blank(p, "CINPlanEndDate")
    open_per_episode = open_plan.groupby(p["CINdetailsID"]).transform("sum")
    return open_plan & (open_per_episode > 1)


@rule("4010", "error", table="CINplanDates", fields=["CINPlanStartDate"], years=YEARS,
      message="CIN Plan start date is missing or out of data collection period")
def plan_start_missing_or_late(t) -> pd.Series:
    p = _plans(t)
    return is_blank(p, "CINPlanStartDate") | (p["CINPlanStartDate"] > t.reference_date)


@rule("4011", "error", table="CINplanDates", fields=["CINPlanEndDate", "CINPlanStartDate"], years=YEARS,
      message="CIN Plan End Date earlier than Start Date")
def plan_ends_before_start(t) -> pd.Series:
    p = _plans(t)
    return p["CINPlanEndDate"] < p["CINPlanStartDate"]


@rule("4012Q", "query", table="CINplanDates", fields=["CINPlanStartDate", "CINPlanEndDate"], years=YEARS,
      message="Please check and either amend or provide a reason: CIN Plan shown as starting and ending on the "
              "same day")
def plan_starts_and_ends_same_day(t) -> pd.Series:
    p = _plans(t)
    return p["CINPlanEndDate"] == p["CINPlanStartDate"]


@rule("4013", "error", table="CINplanDates", fields=["CINPlanEndDate", "ReferenceDate"], years=YEARS,
      message="CIN Plan end date must fall within the census year")
def plan_end_outside_period(t) -> pd.Series:
    return outside_period(t, _plans(t)["CINPlanEndDate"])


@rule("4014", "error", table="CINplanDates", fields=["CINPlanStartDate", "CINPlanEndDate"], years=YEARS,
      message="CIN Plan data contains overlapping dates")
def plans_overlap(t) -> pd.Index:
    # Per child, across episodes: a plan starting inside another plan's span (the later start is reported;
    # two plans starting the same day are both reported).
    p = _plans(t)
    points = pd.DataFrame({"key": p["LAchildID"], "date": p["CINPlanStartDate"]})
    return starts_inside(points, _plan_spans(t), same_rows=True)


@rule("4015", "error", table="CINplanDates", fields=["CINPlanStartDate", "CINreferralDate"], years=YEARS,
      needs=["CINdetails"], message="The CIN Plan start date cannot be before the referral date")
def plan_before_referral(t) -> pd.Series:
    return _plans(t)["CINPlanStartDate"] < episode_value(t, "CINplanDates", "CINreferralDate")


@rule("4016", "error", table="CINplanDates", fields=["CINPlanStartDate", "CPPstartDate", "CPPendDate"],
      years=YEARS, needs=["ChildProtectionPlans"],
      message="A CIN Plan has been reported as open at the same time as a Child Protection Plan.")
def plan_starts_during_cpp(t) -> pd.Index:
    # "Any CPP" of the child, in any episode; starting on the day the CPP ends is allowed.
    p = _plans(t)
    points = pd.DataFrame({"key": p["LAchildID"], "date": p["CINPlanStartDate"]})
    return starts_inside(points, _cpp_spans(t), except_on_end=True)


@rule("4017", "error", table="CINplanDates", fields=["CINPlanStartDate", "CINPlanEndDate", "CPPstartDate"],
      years=YEARS, needs=["ChildProtectionPlans"],
      message="A CIN Plan has been reported as open at the same time as a Child Protection Plan.")
def cpp_starts_during_plan(t) -> pd.Index:
    # The CIN plan (this module's row) is reported when a CPP of the same child starts inside its span,
    # except on the day the plan ends.
    c = t.ChildProtectionPlans
    cpp_starts = pd.DataFrame({"key": c["LAchildID"], "date": c["CPPstartDate"]})
    pairs = inside_pairs(cpp_starts, _plan_spans(t), except_on_end=True)
    return pd.Index(pairs["_span"].unique())
