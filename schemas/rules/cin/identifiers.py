"""CIN census rules on the child: ChildIdentifiers, ChildCharacteristics and Disabilities.

Also the three return-level queries on these blocks (2886Q, 2887Q, 2888Q). They report the first
ChildIdentifiers row: that table has a row whenever the return has a child, whereas Header is optional
and Disabilities may be empty exactly when 2887Q should fire.

Child-level facts needed on other tables are looked up by LAchildID (``child_value``); where an id is
duplicated (rule 8510) the first child record with that id is used.
"""

from __future__ import annotations

import pandas as pd

from schemas.rules.cin.base import (
    CHILD,
    YEARS,
    child_value,
    first_row_if,
    flag_is,
    present,
    rule,
    table_text,
    text,
)
from statreturns import upn as upns
from statreturns.reference import code_list

# Code lists live in data/codes (cin_notes.md section 3, checked against CIN_schema_2025/2026.xsd).
ETHNICITY = code_list("common", "ethnicity")
DISABILITY = code_list("cin", "disability")
SEX = code_list("cin", "sex")
# UN1 (not of school age) does not excuse a missing UPN for a school-age child (8770Q).
UPN_UNKNOWN_SCHOOL_AGE = frozenset({"UN2", "UN3", "UN4", "UN5", "UN6", "UN7"})


# UPN characters 2-4: post-April-1998 LA and pseudo-LA codes (942 and 943 from 2023-24 on).
LA_CODE_SPANS = (
    "001-005 201-213 301-320 330-336 340-344 350-359 370-373 380-384 390-394 420 660-681 701-708 800-803 "
    "805-808 810-813 815 816 820-823 825 826 830 831 835-841 845 846 850-852 855-857 860 861 865-896 908 909 "
    "916 919 921 925 926 928 929 931 933 935-938 940-943"
)


def _la_codes(spans: str) -> frozenset[str]:
    """Every three-digit code in a list of codes and ``lo-hi`` ranges."""
    bounds = [(int(p.split("-")[0]), int(p.split("-")[-1])) for p in spans.split()]
    return frozenset(f"{n:03d}" for lo, hi in bounds for n in range(lo, hi + 1))


UPN_LA_CODES = _la_codes(LA_CODE_SPANS)
CHECK_LETTERS = upns.CHECK_ALPHABET


# ---- small shared helpers -------------------------------------------------------------------------


def child_in(frame: pd.DataFrame, children: pd.Series) -> pd.Series:
    """True on rows of ``frame`` whose LAchildID is one of ``children``."""
    return frame[CHILD].isin(children.dropna())


def upn_check_letter(upn: pd.Series) -> pd.Series:
    """The DfE check letter for each UPN whose characters 2-13 are digits (missing otherwise)."""
    s = text(upn)
    digits = s[s.str.fullmatch(r".\d{12}").fillna(False).astype(bool)]
    return upns.check_letters(digits.str[1:]).astype("str").reindex(upn.index)


def _upn13(t) -> pd.Series:
    """UPNs that are present and 13 characters long (others missing)."""
    upn = table_text(t, "ChildIdentifiers", "UPN")
    return upn.where(upn.str.len() == 13)


# ---- ChildIdentifiers: UPN and LAchildID ----------------------------------------------------------


@rule(
    "1510",
    "error",
    table="ChildIdentifiers",
    fields=["UPN"],
    years=YEARS,
    message="UPN invalid (wrong check letter at character 1)",
)
def upn_check_letter_wrong(t) -> pd.Series:
    # Only UPNs whose characters 2-13 are all digits are checked (DfE text: "all-numeric tail").
    upn = table_text(t, "ChildIdentifiers", "UPN")
    expected = upn_check_letter(upn)
    return expected.notna() & (upn.str[0] != expected)


@rule(
    "1520",
    "error",
    table="ChildIdentifiers",
    fields=["UPN"],
    years=YEARS,
    message="More than one record with the same UPN.",
)
def upn_duplicated(t) -> pd.Series:
    upn = table_text(t, "ChildIdentifiers", "UPN")
    return upn.notna() & upn.duplicated(keep=False)


@rule(
    "1530",
    "error",
    table="ChildIdentifiers",
    fields=["UPN"],
    years=YEARS,
    message="UPN invalid (characters 2-4 not a recognised LA code)",
)
def upn_la_code(t) -> pd.Series:
    upn = _upn13(t)
    return upn.notna() & ~upn.str.slice(1, 4).isin(UPN_LA_CODES)


@rule(
    "1540",
    "error",
    table="ChildIdentifiers",
    fields=["UPN"],
    years=YEARS,
    message="UPN invalid (characters 5-12 not all numeric)",
)
def upn_digits(t) -> pd.Series:
    # A UPN too short to have characters 5-12 does not have them "all numeric", so it fails here too.
    upn = table_text(t, "ChildIdentifiers", "UPN")
    middle = upn.str.slice(4, 12)
    return upn.notna() & ~middle.str.fullmatch(r"\d{8}").fillna(False).astype(bool)


@rule(
    "1550",
    "error",
    table="ChildIdentifiers",
    fields=["UPN"],
    years=YEARS,
    message="UPN invalid (character 13 not a recognised value)",
)
def upn_last_character(t) -> pd.Series:
    upn = _upn13(t)
    last = upn.str.slice(12, 13)
    return upn.notna() & ~last.str.fullmatch(r"[0-9A-HJ-NP-RT-Z]").fillna(False).astype(bool)


@rule(
    "1560Q",
    "query",
    table="ChildIdentifiers",
    fields=["FormerUPN"],
    years=YEARS,
    message="Please check and either amend or provide a reason: Former UPN wrongly formatted",
)
def former_upn_format(t) -> pd.Series:
    # The XSD upn type: a letter, 11 digits, then a digit or a letter (temporary UPNs are allowed).
    former = table_text(t, "ChildIdentifiers", "FormerUPN")
    return former.notna() & ~former.str.fullmatch(r"[A-Za-z]\d{11}[0-9A-Za-z]").fillna(False).astype(bool)


@rule(
    "1570",
    "error",
    table="ChildIdentifiers",
    fields=["LAchildID"],
    years=YEARS,
    message="LA Child ID must not be longer than 20 characters",
)
def child_id_too_long(t) -> pd.Series:
    return table_text(t, "ChildIdentifiers", CHILD).str.len() > 20


@rule(
    "1580",
    "error",
    table="ChildIdentifiers",
    fields=["LAchildID"],
    years=YEARS,
    message="LA Child ID must not contain any non-alphanumeric characters",
)
def child_id_not_alphanumeric(t) -> pd.Series:
    child = table_text(t, "ChildIdentifiers", CHILD)
    return child.notna() & ~child.str.fullmatch(r"[A-Za-z0-9]+").fillna(False).astype(bool)


# ---- return-level queries --------------------------------------------------------------------------


@rule(
    "2886Q",
    "query",
    table="ChildIdentifiers",
    fields=["ExpectedPersonBirthDate"],
    years=YEARS,
    level="return",
    message="Please check and either amend or provide a reason: Percentage of children with no sex "
    "recorded is more than 2% (excluding unborns)",
)
def sex_not_recorded_share(t) -> pd.Series:
    # Reading taken: numerator = born children (no expected DOB) with Sex missing or U; denominator =
    # all child records in the return.
    ci = t.ChildIdentifiers
    sex = table_text(t, "ChildIdentifiers", "Sex").str.upper()
    unborn = present(ci["ExpectedPersonBirthDate_raw"])
    not_recorded = (sex.isna() | (sex == "U")) & ~unborn
    return first_row_if(ci, len(ci) > 0 and not_recorded.sum() > 0.02 * len(ci))


def _real_disabilities(t) -> pd.DataFrame:
    """Disabilities rows with a valid code other than NONE."""
    d = t.Disabilities
    code = table_text(t, "Disabilities", "Disability")
    keep = code.isin(DISABILITY - {"NONE"})
    return pd.DataFrame({CHILD: d.loc[keep, CHILD], "code": code[keep]})


@rule(
    "2887Q",
    "query",
    table="ChildIdentifiers",
    fields=["Disability"],
    years=YEARS,
    level="return",
    needs=["Disabilities"],
    message="Please check and either amend or provide a reason: Less than 8 disability codes have been "
    "used in your return",
)
def few_disability_codes(t) -> pd.Series:
    # Distinct codes across the return, NONE and invalid codes not counted (not the number of NONE rows).
    used = _real_disabilities(t)["code"].nunique()
    return first_row_if(t.ChildIdentifiers, used < 8)


@rule(
    "2888Q",
    "query",
    table="ChildIdentifiers",
    fields=["Disability"],
    years=YEARS,
    level="return",
    needs=["Disabilities"],
    message="Please check and either amend or provide a reason: Only one disability code is recorded per "
    "child and multiple disabilities should be recorded where possible.",
)
def no_child_with_several_disabilities(t) -> pd.Series:
    per_child = _real_disabilities(t).groupby(CHILD)["code"].nunique()
    return first_row_if(t.ChildIdentifiers, not (per_child > 1).any())


# ---- death dates against CIN plans -----------------------------------------------------------------


@rule(
    "4008",
    "error",
    table="CINplanDates",
    fields=["PersonDeathDate", "CINPlanStartDate"],
    years=YEARS,
    needs=["ChildIdentifiers"],
    message="CIN Plan shown as starting after the child’s Date of Death.",
)
def plan_starts_after_death(t) -> pd.Series:
    death = child_value(t, "CINplanDates", "PersonDeathDate")
    return t.CINplanDates["CINPlanStartDate"] > death


@rule(
    "4009Q",
    "query",
    table="CINplanDates",
    fields=["PersonDeathDate", "CINPlanEndDate"],
    years=YEARS,
    needs=["ChildIdentifiers"],
    message="CIN Plan cannot end after the child’s Date of Death",
)
def plan_ends_after_death(t) -> pd.Series:
    death = child_value(t, "CINplanDates", "PersonDeathDate")
    return t.CINplanDates["CINPlanEndDate"] > death


# ---- sex, ethnicity, identifiers -------------------------------------------------------------------


@rule(
    "4180",
    "error",
    table="ChildIdentifiers",
    fields=["Sex"],
    years=YEARS,
    message="Sex must be provided and equal M, F, or U",
)
def sex_invalid(t) -> pd.Series:
    return ~table_text(t, "ChildIdentifiers", "Sex").isin(SEX)


@rule(
    "4220",
    "error",
    table="ChildCharacteristics",
    fields=["Ethnicity"],
    years=YEARS,
    message="Ethnicity is missing or invalid (see Ethnicity table)",
)
def ethnicity_invalid(t) -> pd.Series:
    return ~table_text(t, "ChildCharacteristics", "Ethnicity").isin(ETHNICITY)


@rule(
    "8500",
    "error",
    table="ChildIdentifiers",
    fields=["LAchildID"],
    years=YEARS,
    message="LA Child ID missing",
)
def child_id_missing(t) -> pd.Series:
    return ~present(t.ChildIdentifiers[CHILD])


@rule(
    "8510",
    "error",
    table="ChildIdentifiers",
    fields=["LAchildID"],
    years=YEARS,
    message="More than one child record with the same LA Child ID",
)
def child_id_duplicated(t) -> pd.Series:
    child = table_text(t, "ChildIdentifiers", CHILD)
    return child.notna() & child.duplicated(keep=False)


# ---- birth and death dates -------------------------------------------------------------------------


@rule(
    "8520",
    "error",
    table="ChildIdentifiers",
    fields=["PersonBirthDate", "ReferenceDate"],
    years=YEARS,
    message="Date of Birth is after data collection period (must be on or before the end of the census "
    "period)",
)
def birth_after_reference_date(t) -> pd.Series:
    return t.ChildIdentifiers["PersonBirthDate"] > t.reference_date


@rule(
    "8525Q",
    "query",
    table="ChildIdentifiers",
    fields=["PersonBirthDate", "ExpectedPersonBirthDate"],
    years=YEARS,
    message="Either Date of Birth or Expected Date of Birth must be provided (but not both)",
)
def birth_or_expected_birth(t) -> pd.Series:
    ci = t.ChildIdentifiers
    return present(ci["PersonBirthDate_raw"]) == present(ci["ExpectedPersonBirthDate_raw"])


@rule(
    "8530Q",
    "query",
    table="ChildIdentifiers",
    fields=["ExpectedPersonBirthDate"],
    years=YEARS,
    message="Please check and either amend data or provide a reason: Expected Date of Birth is outside the "
    "expected range for this census (March to December of the Census Year end)",
)
def expected_birth_out_of_range(t) -> pd.Series:
    expected = t.ChildIdentifiers["ExpectedPersonBirthDate"]
    low = t.reference_date - pd.Timedelta(days=30)
    high = t.reference_date + pd.DateOffset(months=9)
    return (expected < low) | (expected > high)


@rule(
    "8535Q",
    "query",
    table="ChildIdentifiers",
    fields=["PersonDeathDate", "PersonBirthDate"],
    years=YEARS,
    message="Please check and either amend data or provide a reason: Child’s date of death should not be "
    "prior to the date of birth",
)
def death_before_birth(t) -> pd.Series:
    # DfE logic compares the two dates only; a death date with no birth date is not queried here.
    ci = t.ChildIdentifiers
    return ci["PersonDeathDate"] < ci["PersonBirthDate"]


@rule(
    "8540",
    "error",
    table="ChildCharacteristics",
    fields=["Disability", "PersonBirthDate", "ReferralNFA"],
    years=YEARS,
    needs=["ChildIdentifiers", "Disabilities", "CINdetails"],
    message="Child’s disability is missing or invalid (see Disability table)",
)
def disability_missing_or_invalid(t) -> pd.Series:
    # Reported on the child's ChildCharacteristics row, the block that holds Disabilities.
    cc = t.ChildCharacteristics
    born = present(child_value(t, "ChildCharacteristics", "PersonBirthDate_raw"))
    further = child_in(cc, t.CINdetails.loc[flag_is(t.CINdetails["ReferralNFA_bool"], False), CHILD])
    d = t.Disabilities
    bad = d.loc[~table_text(t, "Disabilities", "Disability").isin(DISABILITY), CHILD]
    return born & further & (~child_in(cc, d[CHILD]) | child_in(cc, bad))


@rule(
    "8545Q",
    "query",
    table="ChildIdentifiers",
    fields=["PersonDeathDate"],
    years=YEARS,
    message="Please check and either amend data or provide a reason: Child's date of death should be within "
    "the census year",
)
def death_outside_period(t) -> pd.Series:
    death = t.ChildIdentifiers["PersonDeathDate"]
    return (death < t.period_start) | (death > t.period_end)


@rule(
    "8590",
    "error",
    table="ChildIdentifiers",
    fields=["LAchildID"],
    years=YEARS,
    needs=["CINdetails"],
    message="Child does not have a recorded CIN episode.",
)
def child_without_episode(t) -> pd.Series:
    return ~t.ChildIdentifiers[CHILD].isin(t.CINdetails[CHILD])


@rule(
    "8750",
    "error",
    table="ChildIdentifiers",
    fields=["Sex", "PersonBirthDate", "ExpectedPersonBirthDate"],
    years=YEARS,
    message="Sex must equal U for an unborn child",
)
def unborn_sex_not_u(t) -> pd.Series:
    ci = t.ChildIdentifiers
    unborn = present(ci["ExpectedPersonBirthDate_raw"]) & ~present(ci["PersonBirthDate_raw"])
    return unborn & (table_text(t, "ChildIdentifiers", "Sex") != "U").fillna(True).astype(bool)


# ---- UPN unknown reasons and age ---------------------------------------------------------------------


@rule(
    "8770Q",
    "query",
    table="ChildIdentifiers",
    fields=["UPNunknown"],
    years=YEARS,
    needs=["CINdetails"],
    message="Please check and either amend data or provide a reason: UPN is missing or reason UPN is "
    "missing or is UN1 for a child who is of school age.",
)
def school_age_without_upn(t) -> pd.Series:
    # School age (2024-25 on): born on or before 31 August six years before the collection year.
    ci = t.ChildIdentifiers
    school_age = ci["PersonBirthDate"] <= pd.Timestamp(year=t.year - 6, month=8, day=31)
    further = child_in(ci, t.CINdetails.loc[flag_is(t.CINdetails["ReferralNFA_bool"], False), CHILD])
    reason_ok = table_text(t, "ChildIdentifiers", "UPNunknown").str.upper().isin(UPN_UNKNOWN_SCHOOL_AGE)
    return school_age & further & ~present(ci["UPN"]) & ~reason_ok


@rule(
    "8772",
    "error",
    table="ChildIdentifiers",
    fields=["UPNunknown", "ReferralNFA"],
    years=YEARS,
    needs=["CINdetails"],
    message="UPN unknown reason is UN7 (Referral with no further action) but at least one CIN details is a "
    "referral going on to further action",
)
def un7_with_further_action(t) -> pd.Series:
    # DfE: every episode of a UN7 child has ReferralNFA true/1. An episode whose flag is false, blank or
    # unrecognised fails that (8568 reports the flag as well: both fire). A UN7 child with no episode at
    # all has nothing that contradicts it and is not reported.
    ci = t.ChildIdentifiers
    further = child_in(ci, t.CINdetails.loc[~flag_is(t.CINdetails["ReferralNFA_bool"], True), CHILD])
    return (table_text(t, "ChildIdentifiers", "UPNunknown").str.upper() == "UN7").fillna(False).astype(bool) & further


@rule(
    "8775Q",
    "query",
    table="ChildIdentifiers",
    fields=["PersonBirthDate", "CINclosureDate"],
    years=YEARS,
    needs=["CINdetails"],
    message="Please check and either amend data or provide a reason: Child is over 25 years old",
)
def over_25(t) -> pd.Series:
    # Reading taken: "over 25" = 25th birthday on or before the ReferenceDate; an episode still open, or
    # closed after (not on) the 25th birthday, makes the child queried.
    cin = t.CINdetails
    birthday25 = child_value(t, "CINdetails", "PersonBirthDate") + pd.DateOffset(years=25)
    still_open = ~present(cin["CINclosureDate_raw"]) | (cin["CINclosureDate"] > birthday25)
    episodes = (birthday25 <= t.reference_date) & still_open
    return child_in(t.ChildIdentifiers, cin.loc[episodes, CHILD])


# ---- Disabilities ----------------------------------------------------------------------------------


@rule(
    "8790",
    "error",
    table="Disabilities",
    fields=["Disability"],
    years=YEARS,
    message="Disability information includes both None and other values",
)
def none_with_other_disability(t) -> pd.Series:
    d = t.Disabilities
    code = table_text(t, "Disabilities", "Disability")
    mixed = child_in(d, d.loc[code == "NONE", CHILD]) & child_in(
        d, d.loc[code.notna() & (code != "NONE"), CHILD]
    )
    return mixed & code.notna()


@rule(
    "8794",
    "error",
    table="Disabilities",
    fields=["Disability"],
    years=YEARS,
    message="Child has two or more disabilities with the same code",
)
def disability_repeated(t) -> pd.Series:
    d = t.Disabilities
    code = table_text(t, "Disabilities", "Disability")
    return code.notna() & pd.DataFrame({CHILD: d[CHILD], "code": code}).duplicated(keep=False)
