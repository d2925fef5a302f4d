"""CIN census rules on the Section47 module (S47 enquiries and their initial child protection conference).

An S47 is "open" when it has no DateOfInitialCPC (left blank) and ICPCnotRequired is false. The yes/no
item is read from ``ICPCnotRequired_bool``, so true/false/TRUE/FALSE/1/0 are all understood (the public
validator only recognises the string "0" in 8740).
"""

from __future__ import annotations

import pandas as pd

from schemas.rules.cin.base import YEARS, episode_value, flag_is, has_date, is_blank, outside_period, rule
from statreturns.dates import absent
from statreturns.reference import minus_working_days

SATURDAY = 5  # Timestamp.day_of_week: Monday 0 .. Sunday 6


def _awaiting_icpc(t) -> pd.Series:
    """No conference date and a conference required (ICPCnotRequired false)."""
    s = t.Section47
    return is_blank(s, "DateOfInitialCPC") & flag_is(s["ICPCnotRequired_bool"], False)


@rule("1104", "error", table="Section47", fields=["CINreferralDate", "DateOfInitialCPC"], years=YEARS,
      needs=["CINdetails"],
      message="The date of the initial child protection conference cannot be before the referral date")
def icpc_before_referral(t) -> pd.Series:
    return t.Section47["DateOfInitialCPC"] < episode_value(t, "Section47", "CINreferralDate")


@rule("2884", "error", table="Section47", fields=["DateOfInitialCPC"], years=YEARS, needs=["CINdetails"],
      message="An initial child protection conference is recorded at both the S47 and CIN Details level and it "
              "should only be recorded in one")
def icpc_recorded_twice(t) -> pd.Series:
    # DfE: recorded on both levels of the same episode, whatever the two dates are. The public validator
    # only flags equal dates (of any episode of the child).
    s = t.Section47
    on_episode = ~absent(episode_value(t, "Section47", "DateOfInitialCPC_raw"))
    return has_date(s, "DateOfInitialCPC") & on_episode


@rule("2889", "error", table="Section47", fields=["S47ActualStartDate", "CINreferralDate"], years=YEARS,
      needs=["CINdetails"], message="The S47 start date cannot be before the referral date.")
def s47_before_referral(t) -> pd.Series:
    return t.Section47["S47ActualStartDate"] < episode_value(t, "Section47", "CINreferralDate")


@rule("8615", "error", table="Section47", fields=["S47ActualStartDate", "DateOfInitialCPC"], years=YEARS,
      message="Section 47 Enquiry Start Date must be present and cannot be later than the date of the initial "
              "Child Protection Conference")
def s47_start_missing_or_after_icpc(t) -> pd.Series:
    s = t.Section47
    late = s["S47ActualStartDate"] > s["DateOfInitialCPC"]
    return has_date(s, "DateOfInitialCPC") & (is_blank(s, "S47ActualStartDate") | late)


@rule("8675Q", "query", table="Section47", fields=["DateOfInitialCPC", "S47ActualStartDate", "ICPCnotRequired"],
      years=YEARS,
      message="Please check and either amend data or provide a reason: S47 Enquiry started more than 15 working "
              "days before the end of the census year. However, there is no date of Initial Child Protection "
              "Conference.")
def s47_awaiting_icpc_over_15_working_days(t) -> pd.Series:
    # DfE: the start should not be before the ReferenceDate minus 15 working days (Tuesday 10 March 2026
    # for 31 March 2026): a start on that date is not queried, the day before it is.
    threshold = minus_working_days(t.reference_date, 15)
    return _awaiting_icpc(t) & (t.Section47["S47ActualStartDate"] < threshold)


@rule("8715", "error", table="Section47", fields=["DateOfInitialCPC", "ReferenceDate"], years=YEARS,
      message="Date of Initial Child Protection Conference must fall within the census year")
def icpc_outside_period(t) -> pd.Series:
    return outside_period(t, t.Section47["DateOfInitialCPC"])


@rule("8740", "error", table="Section47", fields=["S47ActualStartDate", "DateOfInitialCPC", "ICPCnotRequired"],
      years=YEARS,
      message="For a Section 47 Enquiry that has not held the Initial Child Protection Conference by the end of "
              "the census year, the start date must fall within the census year")
def awaiting_icpc_start_outside_period(t) -> pd.Series:
    return _awaiting_icpc(t) & outside_period(t, t.Section47["S47ActualStartDate"])


@rule("8839", "error", table="Section47", fields=["DateOfInitialCPC"], years=YEARS,
      message="Within one CINDetails group there are 2 or more open S47 Assessments")
def two_open_s47_in_episode(t) -> pd.Series:
    # Open here: no conference date and ICPCnotRequired not true (blank counts as open, as the DfE wording).
    s = t.Section47
    open_ = is_blank(s, "DateOfInitialCPC") & ~flag_is(s["ICPCnotRequired_bool"], True)
    per_episode = open_.groupby(s["CINdetailsID"]).transform("sum")
    return open_ & (per_episode > 1)


@rule("8870Q", "query", table="Section47", fields=["InitialCPCtarget"], years=YEARS,
      message="Please check and either amend or provide a reason: The Target Date for Initial Child Protection "
              "Conference should not be a weekend")
def icpc_target_on_weekend(t) -> pd.Series:
    # Saturday or Sunday only: a bank holiday on a weekday is not a weekend.
    return t.Section47["InitialCPCtarget"].dt.day_of_week >= SATURDAY


@rule("8875", "error", table="Section47", fields=["DateOfInitialCPC"], years=YEARS,
      message="The Date of Initial Child Protection Conference cannot be a weekend")
def icpc_on_weekend(t) -> pd.Series:
    return t.Section47["DateOfInitialCPC"].dt.day_of_week >= SATURDAY
