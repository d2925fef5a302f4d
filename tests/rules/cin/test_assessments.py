"""Rules on the Assessments module (census year 2026 unless said: 1 April 2025 to 31 March 2026)."""

import pytest

from schemas.rules.cin import CIN
from tests.rules.helpers import cin_tables, failing_rows


def assessment(start, auth=None, aid="0", episode="0", child="C1"):
    return {"LAchildID": child, "CINdetailsID": episode, "AssessmentID": aid, "AssessmentActualStartDate": start,
            "AssessmentAuthorisationDate": auth}


def factors(aid, *codes, episode="0", child="C1"):
    return [{"LAchildID": child, "CINdetailsID": episode, "AssessmentID": aid, "AssessmentFactors": c}
            for c in codes]


@pytest.mark.parametrize("start, expected", [("2025-04-30", [0]), ("2025-05-01", []), (None, []), ("x", [])])
def test_1103_assessment_before_referral(start, expected):
    t = cin_tables(CINdetails=[{"LAchildID": "C1", "CINdetailsID": "0", "CINreferralDate": "2025-05-01"}],
                   Assessments=[assessment(start)])
    assert failing_rows(CIN, "1103", t) == expected


@pytest.mark.parametrize("start, auth, expected", [
    ("2025-06-02", "2025-06-01", [0]), ("2025-06-01", "2025-06-01", []), ("2025-06-01", None, []),
])
def test_8608_authorised_before_start(start, auth, expected):
    assert failing_rows(CIN, "8608", cin_tables(Assessments=[assessment(start, auth)])) == expected


def test_8614_factors_only_on_completed_assessments():
    t = cin_tables(
        Assessments=[assessment("2025-06-01", aid="0"), assessment("2025-06-01", "2025-07-01", aid="1"),
                     assessment("2025-06-01", aid="2")],
        AssessmentFactorsList=factors("0", "1A") + factors("1", "2B") + factors("2", None, " "),
    )
    assert failing_rows(CIN, "8614", t) == [0]


@pytest.mark.parametrize("year, start, expected", [
    # ReferenceDate Tuesday 31 March 2026 minus 45 working days is Tuesday 27 January 2026: a start on
    # that date is not queried, the day before and the weekend before it are.
    (2026, "2026-01-27", []),
    (2026, "2026-01-28", []),
    (2026, "2026-01-26", [0]),
    (2026, "2026-01-25", [0]),    # Sunday
    (2026, "2026-01-24", [0]),    # Saturday
    # 2027: Good Friday 26 March and Easter Monday 29 March 2027 are not working days, so the threshold
    # is Monday 25 January (counting weekdays alone would give 27 January).
    (2027, "2027-01-25", []),
    (2027, "2027-01-26", []),
    (2027, "2027-01-24", [0]),
    (2027, "2027-01-22", [0]),
    (2025, "2025-01-27", []),     # Monday 31 March 2025 minus 45 is Monday 27 January 2025
    (2025, "2025-01-26", [0]),
    (2026, None, []),
])
def test_8670q_open_assessment_started_more_than_45_working_days_ago(year, start, expected):
    t = cin_tables(year, Assessments=[assessment(start)])
    assert failing_rows(CIN, "8670Q", t) == expected


def test_8670q_completed_assessment_is_not_queried():
    t = cin_tables(2026, Assessments=[assessment("2025-06-01", "2026-03-01")])
    assert failing_rows(CIN, "8670Q", t) == []


@pytest.mark.parametrize("auth, expected", [
    ("2025-04-01", []), ("2026-03-31", []), ("2025-03-31", [0]), ("2026-04-01", [0]), (None, []), ("bad", []),
])
def test_8696_authorisation_in_census_period(auth, expected):
    assert failing_rows(CIN, "8696", cin_tables(Assessments=[assessment("2025-01-01", auth)])) == expected


@pytest.mark.parametrize("start, auth, expected", [
    ("2025-03-31", None, [0]), ("2025-04-01", None, []), ("2026-03-31", None, []), ("2026-04-01", None, [0]),
    ("2025-03-31", "2025-04-10", []),
])
def test_8736_open_assessment_started_in_census_period(start, auth, expected):
    assert failing_rows(CIN, "8736", cin_tables(Assessments=[assessment(start, auth)])) == expected


def test_8863q_assessment_starts_while_another_is_ongoing():
    t = cin_tables(Assessments=[
        assessment("2025-05-01", "2025-06-01", aid="0"),
        assessment("2025-05-15", "2025-05-20", aid="1"),              # inside row 0
        assessment("2025-06-02", aid="2"),                            # after row 0 ended; open
        assessment("2025-07-01", "2025-07-05", aid="3"),              # inside open row 2
        assessment("2025-05-10", "2025-05-11", aid="4", episode="1"),  # other episode
    ])
    assert failing_rows(CIN, "8863Q", t) == [1, 3]


def test_8863q_passes_for_consecutive_assessments():
    t = cin_tables(Assessments=[assessment("2025-05-01", "2025-06-01", aid="0"),
                                assessment("2025-06-02", "2025-06-20", aid="1")])
    assert failing_rows(CIN, "8863Q", t) == []


def test_8869_code_21_with_other_factors():
    # The public validator compares a list-valued column with "21" and never fires on XML input.
    t = cin_tables(
        Assessments=[assessment("2025-05-01", "2025-06-01", aid=str(i)) for i in range(4)],
        AssessmentFactorsList=factors("0", "21", "1A") + factors("1", "21") + factors("2", "21", "21")
        + factors("3", "1A", "2B"),
    )
    assert failing_rows(CIN, "8869", t) == [0]


@pytest.mark.parametrize("reason, expected", [("RC8", []), ("RC9", []), ("RC7", [0]), (None, [0])])
def test_8873q_single_no_factor_assessment_needs_rc8_or_rc9(reason, expected):
    t = cin_tables(CINdetails=[{"LAchildID": "C1", "CINdetailsID": "0", "ReasonForClosure": reason}],
                   Assessments=[assessment("2025-05-01", "2025-06-01")],
                   AssessmentFactorsList=factors("0", "21"))
    assert failing_rows(CIN, "8873Q", t) == expected


def test_8873q_not_raised_with_two_assessments_or_other_factors():
    t = cin_tables(CINdetails=[{"LAchildID": "C1", "CINdetailsID": "0", "ReasonForClosure": "RC7"},
                               {"LAchildID": "C1", "CINdetailsID": "1", "ReasonForClosure": "RC7"}],
                   Assessments=[assessment("2025-05-01", "2025-06-01", aid="0"),
                                assessment("2025-07-01", "2025-08-01", aid="1"),
                                assessment("2025-05-01", "2025-06-01", aid="2", episode="1")],
                   AssessmentFactorsList=factors("0", "21") + factors("2", "1A"))
    assert failing_rows(CIN, "8873Q", t) == []


def test_8896_two_open_assessments_in_one_episode():
    t = cin_tables(Assessments=[assessment("2025-05-01", aid="0"), assessment("2025-06-01", aid="1"),
                                assessment("2025-04-01", "2025-04-20", aid="2"),
                                assessment("2025-05-01", aid="3", episode="1")])
    assert failing_rows(CIN, "8896", t) == [0, 1]
    t = cin_tables(Assessments=[assessment("2025-05-01", aid="0"), assessment("2025-05-01", aid="1", episode="1")])
    assert failing_rows(CIN, "8896", t) == []


def test_8897q_completed_assessment_needs_a_valid_factor():
    t = cin_tables(
        Assessments=[
            assessment("2025-03-01", "2025-04-01", aid="0"),  # completed on the first day, no factors
            assessment("2025-03-01", "2025-03-31", aid="1"),  # completed before the census year
            assessment("2025-05-01", "2025-06-01", aid="2"),  # only an unknown code
            assessment("2025-05-01", "2025-06-01", aid="3"),  # valid code
            assessment("2025-05-01", "2025-06-01", aid="4"),  # 18A is still in the 2025/2026 schema
            assessment("2025-05-01", aid="5"),                # open
        ],
        AssessmentFactorsList=factors("2", "99") + factors("3", "99", "3B") + factors("4", "18A"),
    )
    assert failing_rows(CIN, "8897Q", t) == [0, 2]


def test_8898_duplicate_factor_code():
    # The public validator raises exactly when a duplicate exists, so it never reports this.
    t = cin_tables(Assessments=[assessment("2025-05-01", "2025-06-01", aid="0"),
                                assessment("2025-05-01", "2025-06-01", aid="1")],
                   AssessmentFactorsList=factors("0", "1A", "2B", "1A ") + factors("1", "1A", "2B"))
    assert failing_rows(CIN, "8898", t) == [0]


@pytest.mark.parametrize("code, factor, expected", [
    ("8945Q", "18A", [0]), ("8945Q", "18B", []), ("8945Q", "18C", []),
    ("8950Q", "19A", [0]), ("8950Q", "19B", []), ("8950Q", "18A", []),
])
def test_8945q_8950q_retired_abuse_factors(code, factor, expected):
    t = cin_tables(Assessments=[assessment("2025-05-01", "2025-06-01")],
                   AssessmentFactorsList=factors("0", "1A", factor))
    assert failing_rows(CIN, code, t) == expected


@pytest.mark.parametrize("code", ["1103", "8608", "8614", "8670Q", "8696", "8736", "8863Q", "8869", "8873Q",
                                  "8896", "8897Q", "8898", "8945Q", "8950Q"])
def test_rules_run_on_a_return_without_assessments(code):
    assert failing_rows(CIN, code, cin_tables()) == []
    assert CIN.get(code, 2026).table == "Assessments"
