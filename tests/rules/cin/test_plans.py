"""Rules on the CINPlanDates module (census year 2026: 1 April 2025 to 31 March 2026)."""

import pytest

from schemas.rules.cin import CIN
from tests.rules.helpers import cin_tables, failing_rows


def plan(start, end=None, child="C1", episode="0"):
    return {"LAchildID": child, "CINdetailsID": episode, "CINPlanStartDate": start, "CINPlanEndDate": end}


def cpp(start, end=None, child="C1", episode="0", cppid="0"):
    return {"LAchildID": child, "CINdetailsID": episode, "CPPID": cppid, "CPPstartDate": start, "CPPendDate": end}


def episode(nfa="false", referral="2025-05-01", child="C1", episode_id="0"):
    return {"LAchildID": child, "CINdetailsID": episode_id, "CINreferralDate": referral, "ReferralNFA": nfa}


@pytest.mark.parametrize("nfa, expected", [("true", [0]), ("1", [0]), ("TRUE", [0]), ("false", []), ("0", []),
                                           (None, [])])
def test_4000_plan_on_nfa_referral(nfa, expected):
    t = cin_tables(CINdetails=[episode(nfa)], CINplanDates=[plan("2025-06-01")])
    assert failing_rows(CIN, "4000", t) == expected


def test_4001_open_plan_and_open_cpp_in_same_episode():
    t = cin_tables(
        CINplanDates=[plan("2025-06-01"), plan("2025-06-01", "2025-07-01"), plan("2025-06-01", episode="1")],
        ChildProtectionPlans=[cpp("2025-05-01"), cpp("2025-05-01", "2025-05-20", episode="1")],
    )
    assert failing_rows(CIN, "4001", t) == [0]


def test_4001_passes_when_the_cpp_has_ended():
    t = cin_tables(CINplanDates=[plan("2025-06-01")], ChildProtectionPlans=[cpp("2025-05-01", "2025-05-31")])
    assert failing_rows(CIN, "4001", t) == []


def test_4004_two_open_plans_in_one_episode():
    t = cin_tables(CINplanDates=[plan("2025-06-01"), plan("2025-08-01"), plan("2025-04-01", "2025-05-01"),
                                 plan("2025-06-01", episode="1")])
    assert failing_rows(CIN, "4004", t) == [0, 1]
    t = cin_tables(CINplanDates=[plan("2025-06-01"), plan("2025-06-01", episode="1")])
    assert failing_rows(CIN, "4004", t) == []


@pytest.mark.parametrize("start, expected", [
    ("2026-03-31", []), ("2024-01-01", []), ("2026-04-01", [0]), (None, [0]), ("  ", [0]),
    ("not a date", []),  # present but not a date: the date check reports it
])
def test_4010_plan_start_missing_or_after_reference_date(start, expected):
    t = cin_tables(CINplanDates=[plan(start)])
    assert failing_rows(CIN, "4010", t) == expected


@pytest.mark.parametrize("start, end, expected", [
    ("2025-06-02", "2025-06-01", [0]), ("2025-06-01", "2025-06-01", []), ("2025-06-01", None, []),
    ("2025-06-02", "2025-13-01", []),
])
def test_4011_end_before_start(start, end, expected):
    assert failing_rows(CIN, "4011", cin_tables(CINplanDates=[plan(start, end)])) == expected


@pytest.mark.parametrize("start, end, expected", [
    ("2025-06-01", "2025-06-01", [0]), ("2025-06-01", "2025-06-02", []), ("2025-06-01", None, []),
])
def test_4012q_same_day(start, end, expected):
    assert failing_rows(CIN, "4012Q", cin_tables(CINplanDates=[plan(start, end)])) == expected


@pytest.mark.parametrize("end, expected", [
    ("2025-04-01", []), ("2026-03-31", []), ("2025-03-31", [0]), ("2026-04-01", [0]), (None, []), ("bad", []),
])
def test_4013_end_inside_census_period(end, expected):
    assert failing_rows(CIN, "4013", cin_tables(CINplanDates=[plan("2024-01-01", end)])) == expected


def test_4014_overlapping_plans_of_a_child():
    t = cin_tables(CINplanDates=[
        plan("2025-04-01", "2025-06-01"),
        plan("2025-05-01", "2025-07-01"),               # starts inside row 0
        plan("2025-06-01", "2025-06-20", episode="1"),  # starts on row 0's end day, other episode: inside
        plan("2025-09-01"),                             # open
        plan("2026-03-31", child="C2"),                 # other child
        plan("2026-01-01", "2026-02-01"),               # inside the open plan (runs to 31 March)
    ])
    assert failing_rows(CIN, "4014", t) == [1, 2, 5]


def test_4014_passes_for_plans_one_after_another():
    t = cin_tables(CINplanDates=[plan("2025-04-01", "2025-06-01"), plan("2025-06-02")])
    assert failing_rows(CIN, "4014", t) == []


@pytest.mark.parametrize("start, expected", [("2025-04-30", [0]), ("2025-05-01", []), (None, [])])
def test_4015_plan_before_referral(start, expected):
    t = cin_tables(CINdetails=[episode()], CINplanDates=[plan(start)])
    assert failing_rows(CIN, "4015", t) == expected


@pytest.mark.parametrize("plan_start, cpp_start, cpp_end, expected", [
    ("2025-06-01", "2025-05-01", "2025-07-01", [0]),
    ("2025-05-01", "2025-05-01", "2025-07-01", [0]),   # starts the same day as the CPP
    ("2025-07-01", "2025-05-01", "2025-07-01", []),    # on the day the CPP ends: allowed
    ("2025-07-02", "2025-05-01", "2025-07-01", []),
    ("2025-04-30", "2025-05-01", "2025-07-01", []),
    ("2026-03-31", "2025-05-01", None, [0]),           # open CPP runs to the reference date
])
def test_4016_plan_starts_inside_a_cpp(plan_start, cpp_start, cpp_end, expected):
    t = cin_tables(CINplanDates=[plan(plan_start, "2026-03-31")],
                   ChildProtectionPlans=[cpp(cpp_start, cpp_end, episode="7")])
    assert failing_rows(CIN, "4016", t) == expected


def test_4016_other_child_is_not_compared():
    t = cin_tables(CINplanDates=[plan("2025-06-01")], ChildProtectionPlans=[cpp("2025-05-01", child="C2")])
    assert failing_rows(CIN, "4016", t) == []


@pytest.mark.parametrize("cpp_start, plan_end, expected", [
    ("2025-06-15", "2025-07-01", [0]),
    ("2025-06-01", "2025-07-01", [0]),
    ("2025-07-01", "2025-07-01", []),   # CPP starts on the day the plan ends: allowed
    ("2025-07-02", "2025-07-01", []),
    ("2026-03-31", None, [0]),          # open plan runs to the reference date
])
def test_4017_cpp_starts_inside_a_plan(cpp_start, plan_end, expected):
    t = cin_tables(CINplanDates=[plan("2025-06-01", plan_end), plan("2025-04-01", "2025-04-02")],
                   ChildProtectionPlans=[cpp(cpp_start, "2026-03-31")])
    assert failing_rows(CIN, "4017", t) == expected


@pytest.mark.parametrize("code, needs", [("4000", "CINdetails"), ("4001", "ChildProtectionPlans"),
                                         ("4015", "CINdetails"), ("4016", "ChildProtectionPlans"),
                                         ("4017", "ChildProtectionPlans")])
def test_cross_table_rules_name_the_tables_they_read(code, needs):
    rule = CIN.get(code, 2026)
    assert rule.table == "CINplanDates"
    assert needs in rule.needs


@pytest.mark.parametrize("code", ["4000", "4001", "4004", "4010", "4011", "4012Q", "4013", "4014", "4015", "4016",
                                  "4017"])
def test_rules_run_on_a_return_without_cin_plans(code):
    assert failing_rows(CIN, code, cin_tables()) == []
    assert CIN.get(code, 2026).table == "CINplanDates"
