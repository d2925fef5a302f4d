"""CIN census rules on the Assessments module and its factors (AssessmentFactorsList, one row per factor).

Findings are reported on the Assessments row; factor rules read AssessmentFactorsList through
AssessmentID. "No authorisation date" means AssessmentAuthorisationDate was left blank: a value that is
present but not a date is reported by the date check, not treated as an open assessment.
"""

from __future__ import annotations

import pandas as pd

from schemas.rules.cin.base import (
    YEARS,
    episode_value,
    is_blank,
    outside_period,
    present,
    rule,
    span_end,
    starts_inside,
)
from statreturns.reference import code_list, minus_working_days

# Assessment factor codes, cin_notes.md section 3 (8897Q list) checked against the assessmentfactorstype
# enumeration of CIN_schema_2025.xsd and CIN_schema_2026.xsd. Those schemas keep 18A and 19A ("retained
# despite official schema change"), so they are valid codes here; 8945Q/8950Q query them separately.
FACTOR_CODES = code_list("cin", "assessment_factors")
NO_FACTORS = "21"
# Reasons for closure expected after an assessment with no factors (cin_notes.md section 3, 8873Q).
NFA_CLOSURE_REASONS = frozenset({"RC8", "RC9"})


def _factors(t) -> pd.DataFrame:
    """AssessmentID and the stripped factor code of every non-blank factor row (built once per return:
    eight rules read it)."""
    def build() -> pd.DataFrame:
        f = t.AssessmentFactorsList
        given = present(f["AssessmentFactors"])
        return pd.DataFrame({"AssessmentID": f.loc[given, "AssessmentID"],
                             "code": f.loc[given, "AssessmentFactors"].astype("str").str.strip()})

    return t.memo("assessment_factors", build)


def _with_factor(t, codes: set[str] | frozenset[str]) -> pd.Series:
    """True for assessments carrying at least one factor in ``codes``."""
    f = _factors(t)
    return t.Assessments["AssessmentID"].isin(f.loc[f["code"].isin(codes), "AssessmentID"].dropna())


def _unauthorised(t) -> pd.Series:
    return is_blank(t.Assessments, "AssessmentAuthorisationDate")


@rule("1103", "error", table="Assessments", fields=["AssessmentActualStartDate", "CINreferralDate"], years=YEARS,
      needs=["CINdetails"], message="The assessment start date cannot be before the referral date")
def assessment_before_referral(t) -> pd.Series:
    referral = episode_value(t, "Assessments", "CINreferralDate")
    return t.Assessments["AssessmentActualStartDate"] < referral


@rule("8608", "error", table="Assessments", fields=["AssessmentActualStartDate", "AssessmentAuthorisationDate"],
      years=YEARS, message="Assessment Start Date cannot be later than its End Date")
def assessment_ends_before_start(t) -> pd.Series:
    a = t.Assessments
    return a["AssessmentAuthorisationDate"] < a["AssessmentActualStartDate"]


@rule("8614", "error", table="Assessments", fields=["AssessmentAuthorisationDate", "AssessmentFactors"],
      years=YEARS, needs=["AssessmentFactorsList"],
      message="Parental or child factors at assessment should only be present for a completed assessment.")
def factors_on_open_assessment(t) -> pd.Series:
    has_factors = t.Assessments["AssessmentID"].isin(_factors(t)["AssessmentID"].dropna())
    return _unauthorised(t) & has_factors


@rule("8670Q", "query", table="Assessments", fields=["AssessmentActualStartDate"], years=YEARS,
      message="Please check and either amend data or provide a reason: Assessment started more than 45 working "
              "days before the end of the census year. However, there is no Assessment end date.")
def open_assessment_older_than_45_working_days(t) -> pd.Series:
    # DfE: the start should not be before the ReferenceDate minus 45 working days. A start on that date
    # (Tuesday 27 January 2026 for 31 March 2026) is not queried; the day before it is.
    threshold = minus_working_days(t.reference_date, 45)
    return _unauthorised(t) & (t.Assessments["AssessmentActualStartDate"] < threshold)


@rule("8696", "error", table="Assessments", fields=["AssessmentAuthorisationDate", "ReferenceDate"], years=YEARS,
      message="Assessment end date must fall within the census year")
def authorisation_outside_period(t) -> pd.Series:
    return outside_period(t, t.Assessments["AssessmentAuthorisationDate"])


@rule("8736", "error", table="Assessments", fields=["AssessmentAuthorisationDate", "AssessmentActualStartDate"],
      years=YEARS,
      message="For an Assessment that has not been completed, the start date must fall within the census year")
def open_assessment_start_outside_period(t) -> pd.Series:
    return _unauthorised(t) & outside_period(t, t.Assessments["AssessmentActualStartDate"])


@rule("8863Q", "query", table="Assessments", fields=["AssessmentActualStartDate", "AssessmentAuthorisationDate"],
      years=YEARS, message="An Assessment is shown as starting when there is another Assessment ongoing.")
def assessment_starts_during_another(t) -> pd.Index:
    # Within the episode; the other assessment's span runs from its start to its authorisation date
    # (to the ReferenceDate if unauthorised), both days included.
    a = t.Assessments
    points = pd.DataFrame({"key": a["CINdetailsID"], "date": a["AssessmentActualStartDate"]})
    spans = pd.DataFrame({"key": a["CINdetailsID"], "start": a["AssessmentActualStartDate"],
                          "end": span_end(t, a, "AssessmentAuthorisationDate")})
    return starts_inside(points, spans, same_rows=True)


@rule("8869", "error", table="Assessments", fields=["AssessmentFactors"], years=YEARS,
      needs=["AssessmentFactorsList"],
      message="The assessment factors code “21” cannot be used in conjunction with any other assessment factors.")
def no_factors_code_not_alone(t) -> pd.Series:
    f = _factors(t)
    others = f.loc[f["code"] != NO_FACTORS, "AssessmentID"].dropna()
    return _with_factor(t, {NO_FACTORS}) & t.Assessments["AssessmentID"].isin(others)


@rule("8873Q", "query", table="Assessments", fields=["ReasonForClosure", "AssessmentFactors"], years=YEARS,
      needs=["AssessmentFactorsList", "CINdetails"],
      message="Please check and either amend data or provide a reason: When there is only one assessment on the "
              "episode and the factors code “21 No factors identified” has been used for the completed "
              "assessment, the reason for closure ‘RC8’ or 'RC9' should be used.")
def no_factors_episode_not_closed_nfa(t) -> pd.Series:
    # DfE: "ReasonForClosure must = RC8 or RC9" with no condition on closure, so an episode not (yet)
    # closed is queried too.
    a = t.Assessments
    only_one = a.groupby("CINdetailsID", dropna=False)["CINdetailsID"].transform("size") == 1
    reason = episode_value(t, "Assessments", "ReasonForClosure").astype("str").str.strip()
    return only_one & _with_factor(t, {NO_FACTORS}) & ~reason.isin(NFA_CLOSURE_REASONS)


@rule("8896", "error", table="Assessments", fields=["AssessmentAuthorisationDate"], years=YEARS,
      message="Within one CINDetails group there are 2 or more open Assessments groups")
def two_open_assessments_in_episode(t) -> pd.Series:
    open_ = _unauthorised(t)
    per_episode = open_.groupby(t.Assessments["CINdetailsID"]).transform("sum")
    return open_ & (per_episode > 1)


@rule("8897Q", "query", table="Assessments", fields=["AssessmentAuthorisationDate", "AssessmentFactors"],
      years=YEARS, needs=["AssessmentFactorsList"],
      message="Parental or child factors at assessment information is missing from a completed assessment")
def completed_assessment_without_factors(t) -> pd.Series:
    completed_this_year = t.Assessments["AssessmentAuthorisationDate"] >= t.period_start
    return completed_this_year & ~_with_factor(t, FACTOR_CODES)


@rule("8898", "error", table="Assessments", fields=["AssessmentFactors"], years=YEARS,
      needs=["AssessmentFactorsList"],
      message="The assessment has more than one parental or child factors with the same code")
def duplicate_factor(t) -> pd.Series:
    f = _factors(t)
    repeated = f.loc[f.duplicated(["AssessmentID", "code"]), "AssessmentID"].dropna()
    return t.Assessments["AssessmentID"].isin(repeated)


@rule("8945Q", "query", table="Assessments", fields=["AssessmentFactors"], years=YEARS,
      needs=["AssessmentFactorsList"],
      message="Please check and either amend data or provide a reason: the assessment factors code '18A' should "
              "not be used ('18B' or '18C' should be used instead)")
def factor_18a_used(t) -> pd.Series:
    return _with_factor(t, {"18A"})


@rule("8950Q", "query", table="Assessments", fields=["AssessmentFactors"], years=YEARS,
      needs=["AssessmentFactorsList"],
      message="Please check and either amend data or provide a reason: the assessment factors code '19A' should "
              "not be used ('19B' or '19C' should be used instead)")
def factor_19a_used(t) -> pd.Series:
    return _with_factor(t, {"19A"})

