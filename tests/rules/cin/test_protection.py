"""Rules on the ChildProtectionPlans and Reviews modules (census year 2026: 1 April 2025 to 31 March 2026)."""

import pytest

from schemas.rules.cin import CIN
from tests.rules.helpers import cin_tables, failing_rows


def cpp(start="2025-06-01", end=None, cppid="0", episode="0", child="C1", initial="NEG", latest="NEG",
        previous="0"):
    return {"LAchildID": child, "CINdetailsID": episode, "CPPID": cppid, "CPPstartDate": start, "CPPendDate": end,
            "InitialCategoryOfAbuse": initial, "LatestCategoryOfAbuse": latest, "NumberOfPreviousCPP": previous}


def review(day, cppid="0", episode="0", child="C1"):
    return {"LAchildID": child, "CINdetailsID": episode, "CPPID": cppid, "CPPreviewDate": day}


def episode(episode_id="0", child="C1", referral="2025-05-01", icpc=None, closure=None, nfa="false"):
    return {"LAchildID": child, "CINdetailsID": episode_id, "CINreferralDate": referral, "DateOfInitialCPC": icpc,
            "CINclosureDate": closure, "ReferralNFA": nfa}


def s47(icpc, episode="0", child="C1", not_required="false"):
    return {"LAchildID": child, "CINdetailsID": episode, "S47ActualStartDate": "2025-05-01",
            "DateOfInitialCPC": icpc, "ICPCnotRequired": not_required}


@pytest.mark.parametrize("start, expected", [("2025-04-30", [0]), ("2025-05-01", []), (None, [])])
def test_1105_cpp_before_referral(start, expected):
    t = cin_tables(CINdetails=[episode()], ChildProtectionPlans=[cpp(start)])
    assert failing_rows(CIN, "1105", t) == expected


def test_2883_more_plans_starting_than_conferences_in_the_period():
    t = cin_tables(
        CINdetails=[episode(icpc="2025-06-01"), episode("1", icpc="2025-03-31")],  # 2nd before the period
        Section47=[s47("2025-07-01", episode="2")],
        ChildProtectionPlans=[cpp("2025-06-01"), cpp("2025-07-01", cppid="1"), cpp("2026-03-31", cppid="2"),
                              cpp("2025-03-31", cppid="3")],  # the last starts before the period
    )
    assert failing_rows(CIN, "2883", t) == [0]
    assert CIN.get("2883", 2026).level == "return"


def test_2883_passes_when_conferences_cover_the_plans():
    t = cin_tables(CINdetails=[episode(icpc="2025-04-01")], Section47=[s47("2026-03-31", episode="1")],
                   ChildProtectionPlans=[cpp("2025-04-01"), cpp("2026-03-31", cppid="1")])
    assert failing_rows(CIN, "2883", t) == []


def test_2885_plan_starts_on_a_conference_day_of_its_episode():
    t = cin_tables(
        CINdetails=[episode("0", icpc="2025-05-20"), episode("1", icpc="2025-06-01"), episode("2")],
        Section47=[s47("2025-06-01", episode="0"), s47("2025-07-01", episode="2", not_required="true")],
        ChildProtectionPlans=[
            cpp("2025-06-01", episode="0"),              # the episode's S47 conference: passes
            cpp("2025-05-20", episode="0", cppid="1"),   # CINdetails date ignored: the episode has an S47
            cpp("2025-06-01", episode="1", cppid="2"),   # no S47: CINdetails conference date, passes
            cpp("2025-06-02", episode="1", cppid="3"),
            cpp("2025-07-01", episode="2", cppid="4"),   # the only S47 says no conference was required
            cpp("2025-03-30", episode="2", cppid="5"),   # starts before the period: not checked
        ],
    )
    assert failing_rows(CIN, "2885", t) == [1, 3, 4]


@pytest.mark.parametrize("start, expected", [("2025-08-01", []), ("2025-08-02", [0]), ("2025-07-31", [0])])
def test_2885_conference_at_episode_level_when_its_only_s47s_need_none(start, expected):
    # The episode's only Section 47 says no conference was required: the CINdetails DateOfInitialCPC is
    # the conference, and a plan starting that day is right.
    t = cin_tables(CINdetails=[episode(icpc="2025-08-01")],
                   Section47=[s47(None, not_required="true"), s47(None, not_required="1")],
                   ChildProtectionPlans=[cpp(start)])
    assert failing_rows(CIN, "2885", t) == expected


def test_2885_episode_date_ignored_when_a_s47_needs_a_conference():
    t = cin_tables(CINdetails=[episode(icpc="2025-08-01")],
                   Section47=[s47(None, not_required="true"), s47("2025-09-01")],
                   ChildProtectionPlans=[cpp("2025-08-01"), cpp("2025-09-01", cppid="1")])
    assert failing_rows(CIN, "2885", t) == [0]


def test_2885_checks_the_first_day_of_the_period():
    # Before 0.1.13 the public validator started the period on 31 March; a plan on 1 April is in it.
    t = cin_tables(CINdetails=[episode(icpc="2025-03-31")], ChildProtectionPlans=[cpp("2025-04-01")])
    assert failing_rows(CIN, "2885", t) == [0]


def test_4003_review_during_an_open_cin_plan_of_the_episode():
    t = cin_tables(
        CINplanDates=[{"LAchildID": "C1", "CINdetailsID": "0", "CINPlanStartDate": "2025-09-01",
                       "CINPlanEndDate": "2025-10-01"},
                      {"LAchildID": "C1", "CINdetailsID": "0", "CINPlanStartDate": "2026-01-01"}],
        ChildProtectionPlans=[cpp("2025-06-01", "2025-09-01"), cpp("2025-06-01", cppid="1", episode="1")],
        Reviews=[
            review("2025-08-01"),                             # before the plan
            review("2025-09-01"),                             # inside, but it is the CPP end date
            review("2025-09-15"),                             # inside the first plan (CPP has an end date)
            review("2026-02-01"),                             # inside the open second plan
            review("2025-09-15", cppid="1", episode="1"),     # same child, other episode
        ],
    )
    assert failing_rows(CIN, "4003", t) == [2, 3]


def test_4003_open_cpp_is_checked_too():
    # The public validator only flags when the CPP has an end date.
    t = cin_tables(
        CINplanDates=[{"LAchildID": "C1", "CINdetailsID": "0", "CINPlanStartDate": "2025-09-01",
                       "CINPlanEndDate": "2025-10-01"}],
        ChildProtectionPlans=[cpp("2025-06-01")],
        Reviews=[review("2025-08-01"), review("2025-09-10")],  # second review date of the same <Reviews>
    )
    assert failing_rows(CIN, "4003", t) == [1]


@pytest.mark.parametrize("table, row, expected", [
    ("Assessments", {"AssessmentActualStartDate": "2025-07-02"}, [0]),
    ("Assessments", {"AssessmentActualStartDate": "2025-06-01", "AssessmentAuthorisationDate": "2025-07-02"},
     [0]),
    ("Assessments", {"AssessmentActualStartDate": "2025-06-01", "AssessmentAuthorisationDate": "2025-07-01"},
     []),
    ("Section47", {"S47ActualStartDate": "2025-07-02"}, [0]),
    ("Section47", {"S47ActualStartDate": "2025-06-01", "DateOfInitialCPC": "2025-07-03"}, [0]),
    ("ChildProtectionPlans", {"CPPstartDate": "2025-06-01", "CPPendDate": "2025-07-02"}, [0]),
    ("ChildProtectionPlans", {"CPPstartDate": "2025-06-01"}, []),
    ("CINplanDates", {"CINPlanStartDate": "2025-07-02"}, [0]),
    ("CINplanDates", {"CINPlanStartDate": "2025-06-01", "CINPlanEndDate": "2025-07-05"}, [0]),
    ("CINplanDates", {"CINPlanStartDate": "2025-06-01", "CINPlanEndDate": "2025-07-01"}, []),
])
def test_8565_activity_after_closure(table, row, expected):
    # The public validator never checks CPP end dates here and reports nothing once CIN plan and S47
    # failures differ in number; each table is checked on its own here.
    t = cin_tables(CINdetails=[episode(closure="2025-07-01"), episode("1")],
                   **{table: [{"LAchildID": "C1", "CINdetailsID": "0", **row},
                              {"LAchildID": "C1", "CINdetailsID": "1", **row}]})
    assert failing_rows(CIN, "8565", t) == expected


def test_8565_mixed_defects_and_the_episode_conference():
    t = cin_tables(
        CINdetails=[episode(closure="2025-07-01", icpc="2025-07-02"), episode("1", closure="2025-07-01"),
                    episode("2", closure="2025-07-01")],
        CINplanDates=[{"LAchildID": "C1", "CINdetailsID": "1", "CINPlanStartDate": "2025-08-01"}],
        Section47=[{"LAchildID": "C1", "CINdetailsID": "2", "S47ActualStartDate": "2025-08-01"},
                   {"LAchildID": "C1", "CINdetailsID": "1", "S47ActualStartDate": "2025-08-01"}],
        ChildProtectionPlans=[cpp("2025-05-01", "2025-07-10", episode="2")],
    )
    assert failing_rows(CIN, "8565", t) == [0, 1, 2]
    assert CIN.get("8565", 2026).table == "CINdetails"


@pytest.mark.parametrize("start, expected", [
    ("2026-03-31", []), ("2020-01-01", []), ("2026-04-01", [0]), (None, [0]), (" ", [0]),
])
def test_8720_cpp_start_missing_or_after_reference_date(start, expected):
    assert failing_rows(CIN, "8720", cin_tables(ChildProtectionPlans=[cpp(start)])) == expected


@pytest.mark.parametrize("previous, expected", [
    ("0", []), ("3", []), (" 12 ", []), (None, [0]), ("", [0]), ("-1", [0]), ("two", [0]), ("1.5", [0]),
])
def test_8730_number_of_previous_plans(previous, expected):
    assert failing_rows(CIN, "8730", cin_tables(ChildProtectionPlans=[cpp(previous=previous)])) == expected


@pytest.mark.parametrize("nfa, expected", [("true", [0]), ("1", [0]), ("false", []), ("0", []), (None, [])])
def test_8832_cpp_on_nfa_referral(nfa, expected):
    t = cin_tables(CINdetails=[episode(nfa=nfa)], ChildProtectionPlans=[cpp()])
    assert failing_rows(CIN, "8832", t) == expected


@pytest.mark.parametrize("end, expected", [("2025-06-01", [0]), ("2025-06-02", []), (None, [])])
def test_8840_cpp_same_day(end, expected):
    assert failing_rows(CIN, "8840", cin_tables(ChildProtectionPlans=[cpp("2025-06-01", end)])) == expected


def test_8841_review_on_or_before_plan_start_any_review_date():
    # The public validator only sees the first review date of each <Reviews>; the second is checked here.
    t = cin_tables(
        ChildProtectionPlans=[cpp("2025-06-01"), cpp("2025-06-01", cppid="1"), cpp("2025-06-01", cppid="2")],
        Reviews=[review("2025-07-01"), review("2025-06-01"),                 # plan 0: second review same day
                 review("2025-07-01", cppid="1"), review("2025-08-01", cppid="1"),
                 review("2025-05-01", cppid="2")],
    )
    assert failing_rows(CIN, "8841", t) == [0, 2]


def test_8842q_review_without_a_valid_date():
    t = cin_tables(Reviews=[review("2025-07-01"), review(None), review("2025-02-30"), review("2025-08-01")])
    assert failing_rows(CIN, "8842Q", t) == [1, 2]


@pytest.mark.parametrize("code, column", [("8905", "initial"), ("8910", "latest")])
@pytest.mark.parametrize("value, expected", [
    ("NEG", []), ("PHY", []), ("SAB", []), ("EMO", []), ("MUL", []), (None, [0]), ("neg", [0]), ("XXX", [0]),
])
def test_8905_8910_category_of_abuse(code, column, value, expected):
    t = cin_tables(ChildProtectionPlans=[cpp(**{column: value})])
    assert failing_rows(CIN, code, t) == expected


@pytest.mark.parametrize("code, start, end, death, expected", [
    ("8915", "2025-06-02", None, "2025-06-01", [0]),
    ("8915", "2025-06-01", None, "2025-06-01", []),
    ("8915", "2025-06-02", None, None, []),
    ("8920", "2025-05-01", "2025-06-02", "2025-06-01", [0]),
    ("8920", "2025-05-01", "2025-06-01", "2025-06-01", []),
    ("8920", "2025-05-01", None, "2025-06-01", []),
])
def test_8915_8920_plan_after_death(code, start, end, death, expected):
    t = cin_tables(ChildIdentifiers=[{"LAchildID": "C1", "PersonDeathDate": death},
                                     {"LAchildID": "C2", "PersonDeathDate": "2025-04-01"}],
                   ChildProtectionPlans=[cpp(start, end), cpp("2025-04-01", cppid="1", child="C3")])
    assert failing_rows(CIN, code, t) == expected


@pytest.mark.parametrize("start, end, expected", [
    ("2025-06-02", "2025-06-01", [0]), ("2025-06-01", "2025-06-01", []), ("2025-06-01", None, []),
])
def test_8925_cpp_end_before_start(start, end, expected):
    assert failing_rows(CIN, "8925", cin_tables(ChildProtectionPlans=[cpp(start, end)])) == expected


@pytest.mark.parametrize("end, expected", [
    ("2025-04-01", []), ("2026-03-31", []), ("2025-03-31", [0]), ("2026-04-01", [0]), (None, []),
])
def test_8930_cpp_end_in_census_period(end, expected):
    assert failing_rows(CIN, "8930", cin_tables(ChildProtectionPlans=[cpp("2024-01-01", end)])) == expected


def test_8935_two_open_plans_for_a_child():
    # Same episode, too: the public validator's per-episode CPPID hides that case.
    t = cin_tables(ChildProtectionPlans=[cpp(), cpp("2025-07-01", cppid="1"), cpp(end="2025-07-01", cppid="2"),
                                         cpp(cppid="3", child="C2")])
    assert failing_rows(CIN, "8935", t) == [0, 1]
    t = cin_tables(ChildProtectionPlans=[cpp(), cpp("2025-01-01", "2025-02-01", cppid="1", episode="1")])
    assert failing_rows(CIN, "8935", t) == []


def test_8940_overlapping_plans_across_episodes():
    t = cin_tables(ChildProtectionPlans=[
        cpp("2025-05-01", "2025-07-01", cppid="0", episode="0"),
        cpp("2025-06-01", "2025-08-01", cppid="1", episode="1"),   # other episode: still compared
        cpp("2025-09-01", cppid="2", episode="2"),                 # open: runs to 31 March
        cpp("2026-03-31", "2026-03-31", cppid="3", episode="3"),   # starts inside the open one
        cpp("2025-06-01", "2025-06-02", cppid="4", child="C2"),
    ])
    assert failing_rows(CIN, "8940", t) == [1, 3]


def test_8940_consecutive_plans_pass():
    t = cin_tables(ChildProtectionPlans=[cpp("2025-05-01", "2025-07-01"), cpp("2025-07-02", cppid="1")])
    assert failing_rows(CIN, "8940", t) == []


@pytest.mark.parametrize("code", ["1105", "2883", "2885", "4003", "8565", "8720", "8730", "8832", "8840",
                                  "8841", "8842Q", "8905", "8910", "8915", "8920", "8925", "8930", "8935", "8940"])
def test_rules_run_on_a_return_without_plans(code):
    assert failing_rows(CIN, code, cin_tables()) == []
