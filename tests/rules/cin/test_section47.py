"""Rules on the Section47 module (census year 2026 unless said: 1 April 2025 to 31 March 2026)."""

import pytest

from schemas.rules.cin import CIN
from tests.rules.helpers import cin_tables, failing_rows


def s47(start="2025-05-01", icpc=None, not_required="false", target=None, episode="0", child="C1"):
    return {"LAchildID": child, "CINdetailsID": episode, "S47ActualStartDate": start, "DateOfInitialCPC": icpc,
            "ICPCnotRequired": not_required, "InitialCPCtarget": target}


def episode(referral="2025-05-01", icpc=None, episode_id="0", child="C1"):
    return {"LAchildID": child, "CINdetailsID": episode_id, "CINreferralDate": referral, "DateOfInitialCPC": icpc}


@pytest.mark.parametrize("icpc, expected", [("2025-04-30", [0]), ("2025-05-01", []), (None, []), ("bad", [])])
def test_1104_icpc_before_referral(icpc, expected):
    t = cin_tables(CINdetails=[episode()], Section47=[s47("2025-04-01", icpc)])
    assert failing_rows(CIN, "1104", t) == expected


def test_2884_conference_on_both_levels_of_an_episode():
    t = cin_tables(
        CINdetails=[episode(icpc="2025-06-02"), episode(episode_id="1"), episode(icpc="2025-06-02", episode_id="2")],
        Section47=[
            s47(icpc="2025-06-01"),                # episode 0 records one too, on another day: still twice
            s47(icpc="2025-06-02", episode="1"),   # episode 1 has none on CINdetails
            s47(icpc=None, episode="2"),
        ],
    )
    assert failing_rows(CIN, "2884", t) == [0]


def test_2884_same_date_in_another_episode_is_not_a_duplicate():
    t = cin_tables(CINdetails=[episode(icpc="2025-06-02"), episode(episode_id="1")],
                   Section47=[s47(icpc="2025-06-02", episode="1")])
    assert failing_rows(CIN, "2884", t) == []


@pytest.mark.parametrize("start, expected", [("2025-04-30", [0]), ("2025-05-01", []), (None, [])])
def test_2889_s47_before_referral(start, expected):
    t = cin_tables(CINdetails=[episode()], Section47=[s47(start)])
    assert failing_rows(CIN, "2889", t) == expected


@pytest.mark.parametrize("start, icpc, expected", [
    ("2025-06-02", "2025-06-01", [0]), (None, "2025-06-01", [0]), ("2025-06-01", "2025-06-01", []),
    (None, None, []), ("2025-05-01", None, []),
])
def test_8615_s47_start_present_and_not_after_icpc(start, icpc, expected):
    assert failing_rows(CIN, "8615", cin_tables(Section47=[s47(start, icpc)])) == expected


@pytest.mark.parametrize("year, start, expected", [
    # ReferenceDate Tuesday 31 March 2026 minus 15 working days is Tuesday 10 March 2026.
    (2026, "2026-03-10", []),
    (2026, "2026-03-11", []),
    (2026, "2026-03-09", [0]),
    (2026, "2026-03-08", [0]),    # Sunday
    # 2027: Good Friday 26 March and Easter Monday 29 March are not working days: the threshold is
    # Monday 8 March (weekdays alone would give 10 March).
    (2027, "2027-03-08", []),
    (2027, "2027-03-09", []),
    (2027, "2027-03-07", [0]),    # Sunday
    (2027, "2027-03-05", [0]),
    (2025, "2025-03-10", []),     # Monday 31 March 2025 minus 15 is Monday 10 March 2025
    (2025, "2025-03-09", [0]),
    (2026, None, []),
])
def test_8675q_s47_awaiting_conference_for_over_15_working_days(year, start, expected):
    assert failing_rows(CIN, "8675Q", cin_tables(year, Section47=[s47(start)])) == expected


@pytest.mark.parametrize("icpc, not_required, expected", [
    (None, "false", [0]), (None, "FALSE", [0]), (None, "0", [0]),
    (None, "true", []), (None, "1", []), (None, None, []), ("2026-03-30", "false", []),
])
def test_8675q_only_when_a_conference_is_still_required(icpc, not_required, expected):
    t = cin_tables(Section47=[s47("2025-06-01", icpc, not_required)])
    assert failing_rows(CIN, "8675Q", t) == expected


@pytest.mark.parametrize("icpc, expected", [
    ("2025-04-01", []), ("2026-03-31", []), ("2025-03-31", [0]), ("2026-04-01", [0]), (None, []),
])
def test_8715_s47_conference_in_census_period(icpc, expected):
    assert failing_rows(CIN, "8715", cin_tables(Section47=[s47("2025-01-01", icpc)])) == expected


@pytest.mark.parametrize("start, icpc, not_required, expected", [
    ("2025-03-31", None, "false", [0]),  # the public validator misses "false" (it only knows "0")
    ("2025-03-31", None, "0", [0]),
    ("2026-04-01", None, "FALSE", [0]),
    ("2025-04-01", None, "false", []),
    ("2026-03-31", None, "false", []),
    ("2025-03-31", None, "true", []),
    ("2025-03-31", "2025-04-02", "false", []),
])
def test_8740_s47_awaiting_conference_started_in_census_period(start, icpc, not_required, expected):
    assert failing_rows(CIN, "8740", cin_tables(Section47=[s47(start, icpc, not_required)])) == expected


def test_8839_two_open_s47_in_an_episode():
    t = cin_tables(Section47=[
        s47(), s47(not_required=None), s47(not_required="true"), s47(icpc="2025-06-01"),
        s47(episode="1"),
    ])
    assert failing_rows(CIN, "8839", t) == [0, 1]
    t = cin_tables(Section47=[s47(), s47(not_required="1"), s47(episode="1")])
    assert failing_rows(CIN, "8839", t) == []


# Saturday 26 December 2026 and Sunday 5 April 2026 are weekends; Monday 28 December 2026 (Boxing Day
# substitute), Good Friday 3 April 2026 and Easter Monday 6 April 2026 are bank holidays but weekdays.
@pytest.mark.parametrize("day, expected", [
    ("2026-12-26", [0]), ("2026-04-05", [0]), ("2026-12-28", []), ("2026-04-03", []), ("2026-04-06", []),
    (None, []), ("26-12-2026", []),
])
def test_8870q_conference_target_on_a_weekend(day, expected):
    assert failing_rows(CIN, "8870Q", cin_tables(2027, Section47=[s47("2026-04-01", target=day)])) == expected


@pytest.mark.parametrize("day, expected", [
    ("2026-12-26", [0]), ("2026-12-27", [0]), ("2026-12-28", []), ("2026-04-03", []), ("2026-04-06", []),
    (None, []),
])
def test_8875_conference_on_a_weekend(day, expected):
    assert failing_rows(CIN, "8875", cin_tables(2027, Section47=[s47("2026-04-01", icpc=day)])) == expected


@pytest.mark.parametrize("code", ["1104", "2884", "2889", "8615", "8675Q", "8715", "8740", "8839", "8870Q",
                                  "8875"])
def test_rules_run_on_a_return_without_section47(code):
    assert failing_rows(CIN, code, cin_tables()) == []
    assert CIN.get(code, 2026).table == "Section47"
