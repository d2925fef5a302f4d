"""The generator's invariants: seeded determinism, valid date sequences where no fault was injected, and
the configured fault rate."""

import numpy as np
import pandas as pd
import pytest

from schemas import canonical
from statreturns.generate import Config, generate, inject
from statreturns.upn import valid_check_letter


@pytest.fixture(scope="module")
def clean() -> dict[str, pd.DataFrame]:
    return generate(Config(children=4000, seed=11))


def test_same_seed_same_tables_other_seed_other_tables(clean):
    again = generate(Config(children=4000, seed=11))
    for name, frame in clean.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)
    other = generate(Config(children=4000, seed=12))
    assert not clean["children"]["PersonBirthDate"].equals(other["children"]["PersonBirthDate"])


def test_every_table_fits_the_canonical_model(clean):
    for name, frame in clean.items():
        canonical.MODELS[name].validate(frame, lazy=True)


def test_names_come_from_the_fake_lists(clean):
    from statreturns.generate.model import FORENAMES, SURNAMES

    assert set(clean["children"]["forename"]) <= set(FORENAMES)
    assert set(clean["children"]["surname"]) <= set(SURNAMES)


def test_upns_have_valid_check_letters_and_unknown_reasons(clean):
    c = clean["children"]
    has = c["UPN"].notna()
    assert valid_check_letter(c.loc[has, "UPN"]).all()
    assert c.loc[~has, "UPNunknown"].notna().all()


def _le(a: pd.Series, b: pd.Series) -> pd.Series:
    """a <= b where both are known."""
    return ~(a.notna() & b.notna()) | (a <= b)


def test_cin_date_sequences_are_valid(clean):
    ep = clean["cin_episodes"].set_index("episode_id")
    assert _le(ep["CINreferralDate"], ep["CINclosureDate"]).all()
    a = clean["assessments"]
    ref = a["episode_id"].map(ep["CINreferralDate"])
    assert _le(ref, a["AssessmentActualStartDate"]).all()
    assert _le(a["AssessmentActualStartDate"], a["AssessmentAuthorisationDate"]).all()
    s = clean["section47"]
    assert _le(s["episode_id"].map(ep["CINreferralDate"]), s["S47ActualStartDate"]).all()
    assert _le(s["S47ActualStartDate"], s["DateOfInitialCPC"]).all()
    cp = clean["cp_plans"]
    assert _le(cp["episode_id"].map(ep["CINreferralDate"]), cp["CPPstartDate"]).all()
    assert _le(cp["CPPstartDate"], cp["CPPendDate"]).all()
    assert _le(cp["CPPendDate"], cp["episode_id"].map(ep["CINclosureDate"])).all()
    # A child's referrals never overlap: each starts after the previous one closed.
    e = clean["cin_episodes"].sort_values(["child_id", "CINreferralDate"])
    prev_close = e.groupby("child_id")["CINclosureDate"].shift()
    assert _le(prev_close, e["CINreferralDate"]).all()


def test_looked_after_episodes_chain_without_overlap(clean):
    e = clean["la_episodes"].sort_values(["child_id", "DECOM"])
    assert _le(e["DECOM"], e["DEC"]).all()
    prev_end = e.groupby("child_id")["DEC"].shift()
    assert _le(prev_end, e["DECOM"]).all()
    # Only a child's last episode may be open.
    last = ~e["child_id"].duplicated(keep="last")
    assert e.loc[~last, "DEC"].notna().all()
    dob = e["child_id"].map(clean["children"].set_index("child_id")["PersonBirthDate"])
    assert _le(dob, e["DECOM"]).all()


def test_nothing_happens_after_the_reference_date(clean):
    ref = pd.Timestamp("2026-03-31")
    for name, frame in clean.items():
        for col in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[col]) and col not in ("ExpectedPersonBirthDate", "DUC", "InitialCPCtarget"):
                assert (frame[col].dropna() <= ref).all(), f"{name}.{col}"


@pytest.mark.parametrize("rate", [0.0, 0.05, 0.2])
def test_fault_rate_is_as_configured(clean, rate):
    """The rate is the share of the children in the year's returns (the children a fault can show on)."""
    from statreturns.generate.faults import scope

    _, faults = inject(clean, rate, seed=3)
    where = scope(clean, 2026)
    n = int((where.in_cin | where.in_903).sum())
    expected_sd = np.sqrt(n * rate * (1 - rate))
    assert abs(len(faults) - n * rate) <= 4 * expected_sd + 1
    assert faults["child_id"].is_unique


def test_faults_are_where_the_fault_list_says(clean):
    faulty, faults = inject(clean, 0.1, seed=5)
    c = faulty["children"].set_index("child_id")
    bad_letter = faults.loc[faults["kind"] == "bad_check_letter", "child_id"]
    assert len(bad_letter) and not valid_check_letter(c.loc[bad_letter, "UPN"]).any()
    missing = faults.loc[faults["kind"] == "missing_upn", "child_id"]
    assert c.loc[missing, ["UPN", "UPNunknown"]].isna().all().all()
    ended = faults.loc[faults["kind"] == "end_before_start", "child_id"]
    ep = faulty["cin_episodes"]
    assert (ep.loc[ep["child_id"].isin(ended), "CINclosureDate"]
            < ep.loc[ep["child_id"].isin(ended), "CINreferralDate"]).groupby(
        ep.loc[ep["child_id"].isin(ended), "child_id"]).any().all()
    untouched = ~faulty["children"]["child_id"].isin(faults["child_id"])
    pd.testing.assert_frame_equal(faulty["children"][untouched], clean["children"][untouched])


def test_generated_codes_are_valid_codes_of_the_year(clean):
    """Clean generated data uses only codes the DfE rules accept (faults add the invalid ones)."""
    from statreturns.reference import code_list

    checks = [
        ("children", "Ethnicity", code_list("common", "ethnicity")),
        ("disabilities", "Disability", code_list("cin", "disability")),
        ("cin_episodes", "ReferralSource", code_list("cin", "referral_source")),
        ("cin_episodes", "PrimaryNeedCode", code_list("cin", "primary_need")),
        ("cin_episodes", "ReasonForClosure", code_list("cin", "reason_for_closure")),
        ("assessment_factors", "AssessmentFactors", code_list("cin", "assessment_factors")),
        ("cp_plans", "InitialCategoryOfAbuse", code_list("cin", "category_of_abuse")),
        ("la_episodes", "RNE", code_list("ssda903", "rne")),
        ("la_episodes", "LS", code_list("ssda903", "legal_status")),
        ("la_episodes", "CIN", code_list("ssda903", "cin")),
        ("la_episodes", "PLACE", code_list("ssda903", "place", 2026)),
        ("la_episodes", "PLACE_PROVIDER", code_list("ssda903", "place_provider")),
        ("la_episodes", "REC", code_list("ssda903", "rec")),
        ("la_reviews", "REVIEW_CODE", code_list("ssda903", "review_code")),
        ("missing", "MISSING", code_list("ssda903", "missing")),
        ("oc3", "IN_TOUCH", code_list("ssda903", "in_touch")),
        ("oc3", "ACTIV", code_list("ssda903", "activ")),
        ("oc3", "ACCOM", code_list("ssda903", "accom")),
        ("sw_episodes", "SW_REASON", code_list("ssda903", "sw_reason")),
    ]
    for table, column, valid in checks:
        used = set(clean[table][column].dropna())
        assert used <= valid, f"{table}.{column}: {sorted(used - valid)}"
