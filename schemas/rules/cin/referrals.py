"""CIN census rules on CINdetails (one CIN episode per row) and on activity recorded inside an episode.

Rules about the episode report CINdetails rows. Where the DfE text is about rows of another block
(each assessment of a closed episode, 8867; each Section 47, 8868 and 8890) that block's rows are reported.
"ReferralNFA false" means the normalised flag is False; a blank or invalid flag is rule 8568's finding
and makes no other rule fire.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from schemas.rules.cin.base import (
    CHILD,
    YEARS,
    child_value,
    flag_is,
    join_positions,
    plain_dates,
    present,
    rule,
    table_text,
    text,
)
from statreturns.reference import code_list, minus_working_days

EPISODE = "CINdetailsID"

# Code lists live in data/codes (cin_notes.md section 3).
REFERRAL_SOURCE = code_list("cin", "referral_source")
PRIMARY_NEED = code_list("cin", "primary_need")
REASON_FOR_CLOSURE = code_list("cin", "reason_for_closure")
CLOSED_AFTER_ASSESSMENT = frozenset({"RC8", "RC9"})
REFERRAL_SOURCE_FROM = pd.Timestamp(2013, 4, 1)  # 8866 applies to referrals from this date
ONE_DAY = pd.Timedelta(days=1)


def episode_has(t, table: str, mask: pd.Series | None = None) -> pd.Series:
    """True on CINdetails rows whose episode has a row in ``t[table]`` (where ``mask`` holds, if given)."""
    other = t[table]
    ids = other[EPISODE] if mask is None else other.loc[mask, EPISODE]
    return t.CINdetails[EPISODE].isin(ids.dropna())


def _nfa(t) -> pd.Series:
    return flag_is(t.CINdetails["ReferralNFA_bool"], True)


def _further_action(t) -> pd.Series:
    return flag_is(t.CINdetails["ReferralNFA_bool"], False)


def _closed_after_assessment(t) -> pd.Series:
    return table_text(t, "CINdetails", "ReasonForClosure").isin(CLOSED_AFTER_ASSESSMENT)


def _open(t) -> pd.Series:
    return ~present(t.CINdetails["CINclosureDate_raw"])


def _starts_inside(spans: pd.DataFrame, group: str) -> pd.DataFrame:
    """Pairs (a, b) of distinct rows in one ``group`` where b's start lies in a's [start, end) span.

    ``spans`` has columns ``group``, label, start, end; a missing end means a has no span.
    """
    spans = spans[spans[group].notna()]
    if spans[group].dtype == object and plain_dates(spans["start"], spans["end"]):
        # The rows of the self-merge below, found without building it (see join_positions).
        i, j = join_positions(spans[group].to_numpy(), spans[group].to_numpy())
        label, start, end = (spans[c].to_numpy() for c in ("label", "start", "end"))
        hit = (label[i] != label[j]) & (start[j] >= start[i]) & (start[j] < end[i])
        at = np.flatnonzero(hit)
        return pd.DataFrame({"label": label[i][at], "label_b": label[j][at]}, index=at)
    pairs = spans.merge(spans[[group, "label", "start"]], on=group, suffixes=("", "_b"))
    pairs = pairs[pairs["label"] != pairs["label_b"]]
    inside = (pairs["start_b"] >= pairs["start"]) & (pairs["start_b"] < pairs["end"])
    return pairs.loc[inside, ["label", "label_b"]]


# ---- activity on episodes closed after assessment -----------------------------------------------------


@rule(
    "2990",
    "error",
    table="CINdetails",
    fields=["ReasonForClosure"],
    years=YEARS,
    needs=["CINplanDates", "ChildProtectionPlans", "Section47"],
    message="Activity is recorded against a case marked as ‘Case closed after assessment, no further "
    "action’ or 'case closed after assessment, referred to early help'.",
)
def activity_after_assessment_closure(t) -> pd.Series:
    activity = (
        episode_has(t, "Section47")
        | episode_has(t, "ChildProtectionPlans")
        | episode_has(t, "CINplanDates")
        | present(t.CINdetails["DateOfInitialCPC_raw"])
    )
    return _closed_after_assessment(t) & activity


@rule(
    "2991Q",
    "query",
    table="CINdetails",
    fields=["CINdetailsID"],
    years=YEARS,
    needs=["Assessments", "Section47"],
    message="Please check and either amend data or provide a reason: A Section 47 module is recorded and "
    "there is no assessment on the episode",
)
def section47_without_assessment(t) -> pd.Series:
    return episode_has(t, "Section47") & ~episode_has(t, "Assessments")


# ---- referral and child ------------------------------------------------------------------------------


@rule(
    "8555Q",
    "query",
    table="CINdetails",
    fields=["PersonDeathDate", "CINreferralDate"],
    years=YEARS,
    needs=["ChildIdentifiers"],
    message="Child cannot be referred after its recorded date of death",
)
def referral_after_death(t) -> pd.Series:
    return t.CINdetails["CINreferralDate"] > child_value(t, "CINdetails", "PersonDeathDate")


@rule(
    "8568",
    "error",
    table="CINdetails",
    fields=["ReferralNFA"],
    years=YEARS,
    message="RNFA flag is missing or invalid",
)
def nfa_flag_invalid(t) -> pd.Series:
    return t.CINdetails["ReferralNFA_bool"].isna()


@rule(
    "8569Q",
    "query",
    table="CINdetails",
    fields=["ReferralNFA"],
    years=YEARS,
    message="A case with referral date before one working day prior to the collection start date must not "
    "be flagged as a no further action case",
)
def old_nfa_referral(t) -> pd.Series:
    # "One working day prior to the collection start" = 1 April minus 1 working day: the last working day
    # before 1 April (Monday 31 March 2025; Thursday 28 March 2024, as 1 April 2024 was Easter Monday and
    # 29 March Good Friday). A referral on that day is not queried, one on the day before it is.
    allowed_from = minus_working_days(t.period_start, 1)
    return _nfa(t) & (t.CINdetails["CINreferralDate"] < allowed_from)


@rule(
    "8585Q",
    "query",
    table="CINdetails",
    fields=["ReasonForClosure", "PersonDeathDate"],
    years=YEARS,
    needs=["ChildIdentifiers"],
    message="Please check and either amend or provide a reason: CIN episode shows Died as the Closure "
    "Reason, however child has no recorded Date of Death",
)
def died_without_death_date(t) -> pd.Series:
    death = child_value(t, "CINdetails", "PersonDeathDate_raw")
    return (table_text(t, "CINdetails", "ReasonForClosure") == "RC2") & ~present(death)


@rule(
    "8600",
    "error",
    table="CINdetails",
    fields=["CINreferralDate"],
    years=YEARS,
    message="Child referral date missing or after data collection period",
)
def referral_missing_or_late(t) -> pd.Series:
    cin = t.CINdetails
    return ~present(cin["CINreferralDate_raw"]) | (cin["CINreferralDate"] > t.reference_date)


@rule(
    "8606",
    "error",
    table="CINdetails",
    fields=["CINreferralDate", "PersonBirthDate", "ExpectedPersonBirthDate"],
    years=YEARS,
    needs=["ChildIdentifiers"],
    message="Child referral date is more than 40 weeks before DOB or expected DOB",
)
def referral_long_before_birth(t) -> pd.Series:
    referral = t.CINdetails["CINreferralDate"]
    limit = pd.Timedelta(days=280)
    birth = child_value(t, "CINdetails", "PersonBirthDate")
    expected = child_value(t, "CINdetails", "ExpectedPersonBirthDate")
    return (referral < birth - limit) | (referral < expected - limit)


@rule(
    "8610",
    "error",
    table="CINdetails",
    fields=["ReferralNFA", "PrimaryNeedCode"],
    years=YEARS,
    message="Primary Need code is missing for a referral which led to further action.",
)
def primary_need_missing(t) -> pd.Series:
    return _further_action(t) & ~present(t.CINdetails["PrimaryNeedCode"])


# ---- closure -------------------------------------------------------------------------------------------


@rule(
    "8620",
    "error",
    table="CINdetails",
    fields=["CINclosureDate"],
    years=YEARS,
    message="CIN Closure Date present and does not fall within the Census year",
)
def closure_outside_period(t) -> pd.Series:
    closure = t.CINdetails["CINclosureDate"]
    return (closure < t.period_start) | (closure > t.period_end)


@rule(
    "8630",
    "error",
    table="CINdetails",
    fields=["CINreferralDate", "CINclosureDate"],
    years=YEARS,
    message="CIN Closure Date is before CIN Referral Date for the same CIN episode",
)
def closure_before_referral(t) -> pd.Series:
    cin = t.CINdetails
    return cin["CINclosureDate"] < cin["CINreferralDate"]


@rule(
    "8640",
    "error",
    table="CINdetails",
    fields=["ReasonForClosure"],
    years=YEARS,
    message="CIN Reason for closure code invalid (see Reason for Closure table in CIN Census code set)",
)
def closure_reason_invalid(t) -> pd.Series:
    reason = table_text(t, "CINdetails", "ReasonForClosure")
    return reason.notna() & ~reason.isin(REASON_FOR_CLOSURE)


@rule(
    "8650",
    "error",
    table="CINdetails",
    fields=["PrimaryNeedCode"],
    years=YEARS,
    message="Primary Need Code invalid (see Primary Need table in CIN census code set)",
)
def primary_need_invalid(t) -> pd.Series:
    need = table_text(t, "CINdetails", "PrimaryNeedCode")
    return need.notna() & ~need.isin(PRIMARY_NEED)


@rule(
    "8805",
    "error",
    table="CINdetails",
    fields=["CINclosureDate", "ReasonForClosure"],
    years=YEARS,
    message="A CIN case cannot have a CIN closure date without a Reason for Closure",
)
def closure_without_reason(t) -> pd.Series:
    cin = t.CINdetails
    return present(cin["CINclosureDate_raw"]) & ~present(cin["ReasonForClosure"])


@rule(
    "8810",
    "error",
    table="CINdetails",
    fields=["ReasonForClosure", "CINclosureDate"],
    years=YEARS,
    message="A CIN case cannot have a Reason for Closure without a CIN Closure Date",
)
def reason_without_closure(t) -> pd.Series:
    cin = t.CINdetails
    return present(cin["ReasonForClosure"]) & ~present(cin["CINclosureDate_raw"])


# ---- episodes of one child -------------------------------------------------------------------------------


@rule(
    "8815",
    "error",
    table="CINdetails",
    fields=["ReferralNFA", "CINclosureDate"],
    years=YEARS,
    message="More than one open CIN Details episode (a module with no CIN Closure Date) has been provided "
    "for this child and case is not a referral with no further action.",
)
def several_open_episodes(t) -> pd.Series:
    cin = t.CINdetails
    open_fa = _open(t) & _further_action(t)
    per_child = cin.loc[open_fa, CHILD].value_counts()
    return open_fa & cin[CHILD].map(per_child).gt(1)


@rule(
    "8816",
    "error",
    table="CINdetails",
    fields=["CINreferralDate", "ReferralNFA"],
    years=YEARS,
    message="An open CIN episode is shown and case is not a referral with no further action, but it is "
    "not the latest episode.",
)
def open_episode_not_latest(t) -> pd.Series:
    cin = t.CINdetails
    latest = cin.groupby(CHILD)["CINreferralDate"].transform("max")
    return _open(t) & _further_action(t) & (cin["CINreferralDate"] < latest)


@rule(
    "8820",
    "error",
    table="CINdetails",
    fields=["CINreferralDate", "CINclosureDate"],
    years=YEARS,
    message="The dates on the CIN episodes for this child overlap",
)
def episodes_overlap(t) -> pd.Index:
    # Each episode spans [referral, closure); an open further-action episode runs to the ReferenceDate
    # inclusive; an open NFA episode has no span. Both episodes of an overlapping pair are reported.
    cin = t.CINdetails
    end = cin["CINclosureDate"].mask(_open(t) & _further_action(t), t.reference_date + ONE_DAY)
    spans = pd.DataFrame({CHILD: cin[CHILD], "label": cin.index, "start": cin["CINreferralDate"], "end": end})
    pairs = _starts_inside(spans, CHILD)
    return pd.Index(pd.unique(pd.concat([pairs["label"], pairs["label_b"]])))


@rule(
    "8825Q",
    "query",
    table="CINdetails",
    fields=["ReasonForClosure"],
    years=YEARS,
    needs=["Assessments"],
    message="Please check and either amend data or provide a reason: Reason for Closure code RC8 (case "
    "closed after assessment) or RC9 (case closed after assessment, referred to early help) has "
    "been returned but there is no assessment present for the episode.",
)
def closed_after_assessment_without_one(t) -> pd.Series:
    return _closed_after_assessment(t) & ~episode_has(t, "Assessments")


@rule(
    "8831",
    "error",
    table="CINdetails",
    fields=[
        "AssessmentActualStartDate",
        "AssessmentAuthorisationDate",
        "S47ActualStartDate",
        "DateOfInitialCPC",
    ],
    years=YEARS,
    needs=["Assessments", "Section47"],
    message="Activity is recorded against a case marked as a referral with no further action",
)
def activity_on_nfa_referral(t) -> pd.Series:
    # DateOfInitialCPC (N00110) is checked both on the episode and on its Section 47 modules.
    a, s47 = t.Assessments, t.Section47
    dated_assessment = present(a["AssessmentActualStartDate_raw"]) | present(
        a["AssessmentAuthorisationDate_raw"]
    )
    dated_s47 = present(s47["S47ActualStartDate_raw"]) | present(s47["DateOfInitialCPC_raw"])
    activity = (
        episode_has(t, "Assessments", dated_assessment)
        | episode_has(t, "Section47", dated_s47)
        | present(t.CINdetails["DateOfInitialCPC_raw"])
    )
    return _nfa(t) & activity


@rule(
    "8866",
    "error",
    table="CINdetails",
    fields=["CINreferralDate", "ReferralSource"],
    years=YEARS,
    message="Source of Referral is missing or an invalid code",
)
def referral_source_invalid(t) -> pd.Series:
    cin = t.CINdetails
    return (cin["CINreferralDate"] >= REFERRAL_SOURCE_FROM) & ~text(cin["ReferralSource"]).isin(
        REFERRAL_SOURCE
    )


# ---- open work inside closed episodes ------------------------------------------------------------------


def _in_closed_episode(t, table: str) -> pd.Series:
    closed = t.CINdetails.loc[~_open(t), EPISODE]
    return t[table][EPISODE].isin(closed.dropna())


@rule(
    "8867",
    "error",
    table="Assessments",
    fields=["CINclosureDate", "AssessmentAuthorisationDate"],
    years=YEARS,
    needs=["CINdetails"],
    message="CIN episode is shown as closed, however Assessment is not shown as completed",
)
def assessment_open_in_closed_episode(t) -> pd.Series:
    a = t.Assessments
    return _in_closed_episode(t, "Assessments") & ~present(a["AssessmentAuthorisationDate_raw"])


@rule(
    "8868",
    "error",
    table="Section47",
    fields=["ICPCnotRequired", "CINclosureDate", "DateOfInitialCPC"],
    years=YEARS,
    needs=["CINdetails"],
    message="CIN episode is shown as closed, however Section 47 enquiry is not shown as completed by ICPC "
    "date or ICPC not required flag",
)
def section47_open_in_closed_episode(t) -> pd.Series:
    s47 = t.Section47
    completed = present(s47["DateOfInitialCPC_raw"]) | flag_is(s47["ICPCnotRequired_bool"], True)
    return _in_closed_episode(t, "Section47") & ~completed


@rule(
    "8890",
    "error",
    table="Section47",
    fields=["S47ActualStartDate"],
    years=YEARS,
    message="A Section 47 enquiry is shown as starting when there is another Section 47 Enquiry ongoing",
)
def section47_overlap(t) -> pd.Index:
    # A Section 47 spans [start, ICPC date); with no ICPC date and ICPCnotRequired not true it is ongoing
    # to the ReferenceDate inclusive. The enquiry that starts inside another one's span is reported.
    s47 = t.Section47
    ongoing = ~present(s47["DateOfInitialCPC_raw"]) & ~flag_is(s47["ICPCnotRequired_bool"], True)
    end = s47["DateOfInitialCPC"].mask(ongoing, t.reference_date + ONE_DAY)
    spans = pd.DataFrame(
        {EPISODE: s47[EPISODE], "label": s47.index, "start": s47["S47ActualStartDate"], "end": end}
    )
    return pd.Index(pd.unique(_starts_inside(spans, EPISODE)["label_b"]))
