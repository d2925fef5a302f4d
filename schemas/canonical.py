"""The canonical model: one record of a child across the CIN census, the SSDA903 and school data.

Every reader maps its source onto these tables; every return builder reads from them. Field names keep
the DfE spelling where the DfE defines the item (CIN census names for CIN items, SSDA903 names for
looked-after items); keys and local items are snake_case. Dates are datetimes (NaT when unknown),
codes are strings, yes/no items are nullable booleans. Code values are checked against the code lists in
``data/codes`` by the DfE rules, not here: a wrong code is a finding for a caseworker, not a broken row.
"""

from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series


class _Base(pa.DataFrameModel):
    class Config:
        strict = "filter"  # extra source columns are ignored, never passed on
        coerce = True


Str = Series[str]
Date = Series[pd.Timestamp]


def _id(**kw) -> pa.Field:
    return pa.Field(nullable=False, str_length={"min_value": 1}, **kw)


def _opt(**kw) -> pa.Field:
    return pa.Field(nullable=True, **kw)


class Child(_Base):
    """Identity and characteristics (CIN ChildIdentifiers/ChildCharacteristics, 903 Header)."""

    child_id: Str = _id(unique=True)
    forename: Str = _opt()
    surname: Str = _opt()
    UPN: Str = _opt()
    FormerUPN: Str = _opt()
    UPNunknown: Str = _opt()
    PersonBirthDate: Date = _opt()
    ExpectedPersonBirthDate: Date = _opt()
    Sex: Str = _opt()  # M / F / U as in the CIN census from 2025; the 903 writer maps per year
    PersonDeathDate: Date = _opt()
    Ethnicity: Str = _opt()
    MOTHER: Str = _opt()
    MC_DOB: Date = _opt()
    home_postcode: Str = _opt()


class Disability(_Base):
    child_id: Str = _id()
    Disability: Str = _opt()


class CinEpisode(_Base):
    """One referral (CIN census CINdetails)."""

    episode_id: Str = _id(unique=True)
    child_id: Str = _id()
    CINreferralDate: Date = _opt()
    ReferralSource: Str = _opt()
    PrimaryNeedCode: Str = _opt()
    CINclosureDate: Date = _opt()
    ReasonForClosure: Str = _opt()
    ReferralNFA: Series[pd.BooleanDtype] = _opt()


class Assessment(_Base):
    assessment_id: Str = _id(unique=True)
    episode_id: Str = _id()
    child_id: Str = _id()
    AssessmentActualStartDate: Date = _opt()
    AssessmentAuthorisationDate: Date = _opt()


class AssessmentFactor(_Base):
    assessment_id: Str = _id()
    child_id: Str = _id()
    AssessmentFactors: Str = _opt()


class CinPlan(_Base):
    plan_id: Str = _id(unique=True)
    episode_id: Str = _id()
    child_id: Str = _id()
    CINPlanStartDate: Date = _opt()
    CINPlanEndDate: Date = _opt()


class Section47(_Base):
    s47_id: Str = _id(unique=True)
    episode_id: Str = _id()
    child_id: Str = _id()
    S47ActualStartDate: Date = _opt()
    InitialCPCtarget: Date = _opt()
    DateOfInitialCPC: Date = _opt()
    ICPCnotRequired: Series[pd.BooleanDtype] = _opt()


class ProtectionPlan(_Base):
    cpp_id: Str = _id(unique=True)
    episode_id: Str = _id()
    child_id: Str = _id()
    CPPstartDate: Date = _opt()
    CPPendDate: Date = _opt()
    InitialCategoryOfAbuse: Str = _opt()
    LatestCategoryOfAbuse: Str = _opt()
    NumberOfPreviousCPP: Str = _opt()


class ProtectionReview(_Base):
    cpp_id: Str = _id()
    child_id: Str = _id()
    CPPreviewDate: Date = _opt()


class LookedAfterEpisode(_Base):
    """One SSDA903 episode of care: constant legal status and placement."""

    child_id: Str = _id()
    DECOM: Date = _opt()
    RNE: Str = _opt()
    LS: Str = _opt()
    CIN: Str = _opt()
    PLACE: Str = _opt()
    PLACE_PROVIDER: Str = _opt()
    DEC: Date = _opt()
    REC: Str = _opt()
    REASON_PLACE_CHANGE: Str = _opt()
    HOME_POST: Str = _opt()
    PL_POST: Str = _opt()
    URN: Str = _opt()


class LookedAfterReview(_Base):
    child_id: Str = _id()
    REVIEW: Date = _opt()
    REVIEW_CODE: Str = _opt()


class MissingEpisode(_Base):
    child_id: Str = _id()
    MISSING: Str = _opt()
    MIS_START: Date = _opt()
    MIS_END: Date = _opt()


class Uasc(_Base):
    child_id: Str = _id(unique=True)
    DUC: Date = _opt()


class HealthOutcome(_Base):
    """OC2: outcomes for children looked after continuously for 12 months."""

    child_id: Str = _id(unique=True)
    SDQ_SCORE: Str = _opt()
    SDQ_REASON: Str = _opt()
    CONVICTED: Str = _opt()
    HEALTH_CHECK: Str = _opt()
    IMMUNISATIONS: Str = _opt()
    TEETH_CHECK: Str = _opt()
    HEALTH_ASSESSMENT: Str = _opt()
    SUBSTANCE_MISUSE: Str = _opt()
    INTERVENTION_RECEIVED: Str = _opt()
    INTERVENTION_OFFERED: Str = _opt()


class CareLeaver(_Base):
    """OC3: care leavers with a 17th to 21st birthday in the year."""

    child_id: Str = _id(unique=True)
    IN_TOUCH: Str = _opt()
    ACTIV: Str = _opt()
    ACCOM: Str = _opt()


class Adoption(_Base):
    """AD1, plus the adoption order date the retention schedule counts 100 years from."""

    child_id: Str = _id(unique=True)
    DATE_INT: Date = _opt()
    DATE_MATCH: Date = _opt()
    FOSTER_CARE: Str = _opt()
    NB_ADOPTR: Str = _opt()
    SEX_ADOPTR: Str = _opt()
    LS_ADOPTR: Str = _opt()
    adoption_order_date: Date = _opt()


class PlacedForAdoption(_Base):
    child_id: Str = _id()
    DATE_PLACED: Date = _opt()
    DATE_PLACED_CEASED: Date = _opt()
    REASON_PLACED_CEASED: Str = _opt()


class PreviousPermanence(_Base):
    child_id: Str = _id()
    PREV_PERM: Str = _opt()
    LA_PERM: Str = _opt()
    DATE_PERM: Str = _opt()  # dd/mm/yyyy, with ZZ / ZZZZ for an unknown day, month or year (ZZ/ZZ/ZZZZ)


class SocialWorkerEpisode(_Base):
    child_id: Str = _id()
    SW_ID: Str = _opt()
    SW_DECOM: Date = _opt()
    SW_DEC: Date = _opt()
    SW_REASON: Str = _opt()


class DeprivationOfLiberty(_Base):
    child_id: Str = _id()
    DOLO_START: Date = _opt()
    DOLO_END: Date = _opt()


class SchoolPupil(_Base):
    """School MIS facts (one row per pupil on the school's roll history): for retention, and for the cross-return
    checks (UPN, date of birth, sex, roll dates, in-care flag and care authority)."""

    pupil_id: Str = _id(unique=True)
    UPN: Str = _opt()
    forename: Str = _opt()
    surname: Str = _opt()
    PersonBirthDate: Date = _opt()
    Sex: Str = _opt()
    entry_date: Date = _opt()
    leaving_date: Date = _opt()
    photo_file: Str = _opt()
    sen_status: Str = _opt()  # N none, K SEN support, E EHC plan (school census codes)
    ehcp: Series[pd.BooleanDtype] = _opt()
    # The MIS's looked-after flag (CTF LookedAfter/InCare) and the 3-digit LA number of the authority
    # looking after the pupil: optional, since many MIS reports do not carry them.
    InCare: Optional[Series[pd.BooleanDtype]] = _opt()  # noqa: UP045 - pandera reads Optional as "not required"
    CareAuthority: Optional[Str] = _opt()  # noqa: UP045


MODELS: dict[str, type[_Base]] = {
    "children": Child,
    "disabilities": Disability,
    "cin_episodes": CinEpisode,
    "assessments": Assessment,
    "assessment_factors": AssessmentFactor,
    "cin_plans": CinPlan,
    "section47": Section47,
    "cp_plans": ProtectionPlan,
    "cp_reviews": ProtectionReview,
    "la_episodes": LookedAfterEpisode,
    "la_reviews": LookedAfterReview,
    "missing": MissingEpisode,
    "uasc": Uasc,
    "oc2": HealthOutcome,
    "oc3": CareLeaver,
    "ad1": Adoption,
    "placed_for_adoption": PlacedForAdoption,
    "previous_permanence": PreviousPermanence,
    "sw_episodes": SocialWorkerEpisode,
    "dolo": DeprivationOfLiberty,
    "school_pupils": SchoolPupil,
}

# Columns of personal data (identifiers, names, dates of birth, postcodes): never in logs or metadata,
# and what the retention engine destroys or anonymises.
PERSONAL_COLUMNS = {
    "child_id", "pupil_id", "forename", "surname", "UPN", "FormerUPN", "PersonBirthDate",
    "ExpectedPersonBirthDate", "PersonDeathDate", "MC_DOB", "home_postcode", "HOME_POST", "PL_POST", "SW_ID",
}


def columns(table: str) -> list[str]:
    return list(MODELS[table].to_schema().columns)


def empty(table: str) -> pd.DataFrame:
    """An empty frame of the right columns and dtypes."""
    schema = MODELS[table].to_schema()
    return pd.DataFrame({name: pd.Series(dtype=str(col.dtype)) for name, col in schema.columns.items()})
