"""Per-rule tests for schemas/rules/cin/referrals.py (synthetic values only)."""

from __future__ import annotations

import pytest

from schemas.rules.cin import CIN
from tests.rules.helpers import cin_tables, failing_rows

CODES = [
    "2990",
    "2991Q",
    "8555Q",
    "8568",
    "8569Q",
    "8585Q",
    "8600",
    "8606",
    "8610",
    "8620",
    "8630",
    "8640",
    "8650",
    "8805",
    "8810",
    "8815",
    "8816",
    "8820",
    "8825Q",
    "8831",
    "8866",
    "8867",
    "8868",
    "8890",
]


def ep(i: int, child: str = "C0", nfa: str | None = "false", ref: str | None = "2025-06-01", **extra) -> dict:
    """One CINdetails row with episode id ``i``."""
    return {"LAchildID": child, "CINdetailsID": i, "ReferralNFA": nfa, "CINreferralDate": ref, **extra}


def run(code: str, episodes: list[dict], year: int = 2026, **tables) -> list[int]:
    return failing_rows(CIN, code, cin_tables(year, CINdetails=episodes, **tables))


@pytest.mark.parametrize("code", CODES)
def test_registered_for_every_year(code):
    for year in (2025, 2026, 2027):
        assert CIN.get(code, year).code == code


# ---- activity on episodes closed after assessment -----------------------------------------------------


def test_2990_activity_on_rc8_rc9_episode():
    closed = {"CINclosureDate": "2025-07-01"}
    episodes = [
        ep(0, ReasonForClosure="RC8", **closed),
        ep(1, ReasonForClosure="RC9", **closed),
        ep(2, ReasonForClosure="RC8", **closed),
        ep(3, ReasonForClosure="RC9", DateOfInitialCPC="2025-06-20", **closed),
        ep(4, ReasonForClosure="RC8", **closed),
        ep(5, ReasonForClosure="RC7", **closed),
        ep(6, ReasonForClosure="RC8", **closed),
    ]
    s47 = [
        {"LAchildID": "C0", "CINdetailsID": 0, "S47ActualStartDate": "2025-06-02"},
        {"LAchildID": "C0", "CINdetailsID": 5, "S47ActualStartDate": "2025-06-02"},
    ]
    cpp = [{"LAchildID": "C0", "CINdetailsID": 1, "CPPID": 0, "CPPstartDate": "2025-06-10"}]
    plans = [{"LAchildID": "C0", "CINdetailsID": 2, "CINPlanStartDate": "2025-06-10"}]
    t = cin_tables(CINdetails=episodes, Section47=s47, ChildProtectionPlans=cpp, CINplanDates=plans)
    assert failing_rows(CIN, "2990", t) == [0, 1, 2, 3]


def test_2991q_section47_without_assessment():
    s47 = [{"LAchildID": "C0", "CINdetailsID": i, "S47ActualStartDate": "2025-06-02"} for i in (0, 1)]
    assessments = [{"LAchildID": "C0", "CINdetailsID": i, "AssessmentID": i} for i in (1, 2)]
    assert run("2991Q", [ep(0), ep(1), ep(2), ep(3)], Section47=s47, Assessments=assessments) == [0]


# ---- referral and child -------------------------------------------------------------------------------


def test_8555q_referral_after_death():
    children = [{"LAchildID": "C0", "PersonDeathDate": "2025-08-01"}, {"LAchildID": "C1"}]
    episodes = [
        ep(0, ref="2025-08-02"),
        ep(1, ref="2025-08-01"),
        ep(2, child="C1", ref="2026-01-01"),
        ep(3, ref=None),
    ]
    assert run("8555Q", episodes, ChildIdentifiers=children) == [0]


@pytest.mark.parametrize(
    ("nfa", "fires"),
    [
        ("true", False),
        ("false", False),
        ("1", False),
        ("0", False),
        ("TRUE", False),
        ("FALSE", False),
        (None, True),
        ("", True),
        ("maybe", True),
    ],
)
def test_8568_nfa_flag(nfa, fires):
    assert run("8568", [ep(0, nfa=nfa)]) == ([0] if fires else [])


@pytest.mark.parametrize(
    ("year", "ref", "nfa", "fires"),
    [
        # 2025-26: 1 April 2025 is a Tuesday, so one working day before is Monday 31 March 2025.
        (2026, "2025-03-31", "true", False),
        (2026, "2025-03-28", "true", True),
        (2026, "2025-03-30", "true", True),  # the Sunday before the threshold
        (2026, "2025-03-28", "TRUE", True),
        (2026, "2025-03-28", "1", True),
        (2026, "2025-03-28", "false", False),
        (2026, "2025-04-01", "true", False),
        (2026, None, "true", False),
        # 2024-25: 1 April 2024 is Easter Monday; the working day before is Thursday 28 March 2024.
        # The public validator queries NFA referrals on 1 April here; the DfE logic does not.
        (2025, "2024-04-01", "true", False),
        (2025, "2024-03-28", "true", False),
        (2025, "2024-03-27", "true", True),
    ],
)
def test_8569q_old_nfa_referral(year, ref, nfa, fires):
    assert run("8569Q", [ep(0, ref=ref, nfa=nfa)], year=year) == ([0] if fires else [])


def test_8585q_died_without_death_date():
    children = [
        {"LAchildID": "C0"},
        {"LAchildID": "C1", "PersonDeathDate": "2025-09-01"},
        {"LAchildID": "C2", "PersonDeathDate": "unknown"},
    ]
    episodes = [
        ep(0, ReasonForClosure="RC2"),
        ep(1, child="C1", ReasonForClosure="RC2"),
        ep(2, ReasonForClosure="RC1"),
        ep(3, child="C2", ReasonForClosure="RC2"),
    ]
    # C2's death date is present but unparseable: that is a date finding, not 8585Q.
    assert run("8585Q", episodes, ChildIdentifiers=children) == [0]


def test_8600_referral_missing_or_late():
    episodes = [
        ep(0, ref="2026-03-31"),
        ep(1, ref="2026-04-01"),
        ep(2, ref=None),
        ep(3, ref="2020-01-01"),
        ep(4, ref="31/03/2026"),
    ]
    assert run("8600", episodes) == [1, 2]


def test_8606_referral_more_than_40_weeks_before_birth():
    children = [
        {"LAchildID": "C0", "PersonBirthDate": "2025-10-08"},
        {"LAchildID": "C1", "ExpectedPersonBirthDate": "2026-04-10"},
    ]
    # 2025-10-08 minus 280 days = 2025-01-01; 2026-04-10 minus 280 days = 2025-07-04.
    episodes = [
        ep(0, ref="2025-01-01"),
        ep(1, ref="2024-12-31"),
        ep(2, child="C1", ref="2025-07-04"),
        ep(3, child="C1", ref="2025-07-03"),
        ep(4, ref=None),
    ]
    assert run("8606", episodes, ChildIdentifiers=children) == [1, 3]


def test_8610_primary_need_missing_for_further_action():
    episodes = [
        ep(0, nfa="false"),
        ep(1, nfa="0", PrimaryNeedCode="N1"),
        ep(2, nfa="true"),
        ep(3, nfa=None),
        ep(4, nfa="FALSE", PrimaryNeedCode=" "),
    ]
    assert run("8610", episodes) == [0, 4]


# ---- closure -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closure", "fires"),
    [
        ("2025-04-01", False),
        ("2026-03-31", False),
        ("2025-03-31", True),
        ("2026-04-01", True),
        (None, False),
        ("not a date", False),
    ],
)
def test_8620_closure_in_period(closure, fires):
    assert run("8620", [ep(0, CINclosureDate=closure)]) == ([0] if fires else [])


def test_8630_closure_before_referral():
    episodes = [
        ep(0, CINclosureDate="2025-05-31"),
        ep(1, CINclosureDate="2025-06-01"),
        ep(2),
        ep(3, ref=None, CINclosureDate="2025-05-31"),
    ]
    assert run("8630", episodes) == [0]


def test_8640_and_8650_codes():
    episodes = [
        ep(0, ReasonForClosure="RC1", PrimaryNeedCode="N0"),
        ep(1, ReasonForClosure="RC10", PrimaryNeedCode="N10"),
        ep(2),
        ep(3, ReasonForClosure="rc1", PrimaryNeedCode="n1"),
        ep(4, ReasonForClosure="RC9", PrimaryNeedCode="N9"),
    ]
    assert run("8640", episodes) == [1, 3]
    assert run("8650", episodes) == [1, 3]


def test_8805_and_8810_closure_and_reason_together():
    episodes = [
        ep(0, CINclosureDate="2025-07-01", ReasonForClosure="RC7"),
        ep(1, CINclosureDate="2025-07-01"),
        ep(2, ReasonForClosure="RC7"),
        ep(3),
        ep(4, CINclosureDate="junk"),
    ]
    assert run("8805", episodes) == [1, 4]
    assert run("8810", episodes) == [2]


# ---- episodes of one child -------------------------------------------------------------------------------


def test_8815_more_than_one_open_further_action_episode():
    episodes = [
        ep(0, ref="2025-05-01"),
        ep(1, ref="2025-06-01"),  # C0: two open FA
        ep(2, child="C1", ref="2025-05-01"),
        ep(3, child="C1", nfa="true"),  # C1: one open FA + NFA
        ep(4, child="C2"),
        ep(5, child="C2", CINclosureDate="2025-07-01"),  # C2: one open, one closed
        ep(6, child="C3"),
        ep(7, child="C3", nfa=None),
    ]  # C3: blank flag
    assert run("8815", episodes) == [0, 1]


def test_8816_open_episode_not_latest():
    episodes = [
        ep(0, ref="2025-05-01"),
        ep(1, ref="2025-06-01", CINclosureDate="2025-07-01"),
        ep(2, child="C1", ref="2025-06-01"),
        ep(3, child="C1", ref="2025-05-01", CINclosureDate="2025-05-20"),
        ep(4, child="C2", ref="2025-05-01", nfa="true"),
        ep(5, child="C2", ref="2025-06-01", nfa="true"),
        ep(6, child="C3", ref="2025-05-01"),
        ep(7, child="C3", ref="2025-05-01", CINclosureDate="2025-05-01"),
    ]
    assert run("8816", episodes) == [0]


def test_8820_overlapping_episodes():
    episodes = [
        ep(0, ref="2025-05-01", CINclosureDate="2025-06-01"),
        ep(1, ref="2025-06-01"),  # C0 touch: fine
        ep(2, child="C1", ref="2025-05-01", CINclosureDate="2025-06-10"),
        ep(3, child="C1", ref="2025-06-09", CINclosureDate="2025-07-01"),  # C1 overlap
        ep(4, child="C2", ref="2025-05-01"),
        ep(5, child="C2", ref="2026-03-31", nfa="true"),  # open FA to ref date
        ep(6, child="C3", ref="2025-05-01", nfa="true"),
        ep(7, child="C3", ref="2025-06-01"),  # open NFA: no span
        ep(8, child="C4", ref="2025-05-01", CINclosureDate="2025-06-01"),
        ep(9, child="C5", ref="2025-05-10", CINclosureDate="2025-05-20"),  # other children
    ]
    assert run("8820", episodes) == [2, 3, 4, 5]


def test_8825q_rc8_rc9_without_assessment():
    closed = {"CINclosureDate": "2025-07-01"}
    episodes = [
        ep(0, ReasonForClosure="RC8", **closed),
        ep(1, ReasonForClosure="RC9", **closed),
        ep(2, ReasonForClosure="RC1", **closed),
        ep(3, ReasonForClosure="RC9", **closed),
    ]
    assessments = [{"LAchildID": "C0", "CINdetailsID": 1, "AssessmentID": 0}]
    assert run("8825Q", episodes, Assessments=assessments) == [0, 3]


def test_8831_activity_on_nfa_referral():
    episodes = [ep(i, nfa="true") for i in range(5)] + [
        ep(5, nfa="false"),
        ep(6, nfa="1", DateOfInitialCPC="2025-06-05"),
    ]
    assessments = [
        {"LAchildID": "C0", "CINdetailsID": 0, "AssessmentID": 0, "AssessmentActualStartDate": "2025-06-02"},
        {"LAchildID": "C0", "CINdetailsID": 1, "AssessmentID": 1},  # an assessment with no dates
        {"LAchildID": "C0", "CINdetailsID": 5, "AssessmentID": 2, "AssessmentActualStartDate": "2025-06-02"},
    ]
    s47 = [
        {"LAchildID": "C0", "CINdetailsID": 2, "S47ActualStartDate": "2025-06-02"},
        {"LAchildID": "C0", "CINdetailsID": 3, "DateOfInitialCPC": "2025-06-09"},
    ]
    assert run("8831", episodes, Assessments=assessments, Section47=s47) == [0, 2, 3, 6]


@pytest.mark.parametrize(
    ("ref", "source", "fires"),
    [
        ("2025-06-01", "1A", False),
        ("2025-06-01", "10", False),
        ("2025-06-01", "5D", False),
        ("2025-06-01", None, True),
        ("2025-06-01", "11", True),
        ("2025-06-01", "3G", True),
        ("2013-04-01", None, True),
        ("2013-03-31", None, False),
        (None, None, False),
    ],
)
def test_8866_referral_source(ref, source, fires):
    assert run("8866", [ep(0, ref=ref, ReferralSource=source)]) == ([0] if fires else [])


# ---- open work inside closed episodes ------------------------------------------------------------------


def test_8867_assessment_not_completed_in_closed_episode():
    episodes = [ep(0, CINclosureDate="2025-07-01"), ep(1)]
    assessments = [
        {
            "LAchildID": "C0",
            "CINdetailsID": 0,
            "AssessmentID": 0,
            "AssessmentAuthorisationDate": "2025-06-20",
        },
        {"LAchildID": "C0", "CINdetailsID": 0, "AssessmentID": 1},
        {"LAchildID": "C0", "CINdetailsID": 1, "AssessmentID": 2},
    ]
    assert CIN.get("8867", 2026).table == "Assessments"
    assert run("8867", episodes, Assessments=assessments) == [1]


def test_8868_section47_not_completed_in_closed_episode():
    episodes = [ep(0, CINclosureDate="2025-07-01"), ep(1)]
    s47 = [
        {"LAchildID": "C0", "CINdetailsID": 0, "DateOfInitialCPC": "2025-06-20", "ICPCnotRequired": "false"},
        {"LAchildID": "C0", "CINdetailsID": 0, "ICPCnotRequired": "TRUE"},
        {"LAchildID": "C0", "CINdetailsID": 0, "ICPCnotRequired": "1"},
        {"LAchildID": "C0", "CINdetailsID": 0, "ICPCnotRequired": "false"},
        {"LAchildID": "C0", "CINdetailsID": 0, "ICPCnotRequired": None},
        {"LAchildID": "C0", "CINdetailsID": 1, "ICPCnotRequired": "false"},
    ]
    assert CIN.get("8868", 2026).table == "Section47"
    assert run("8868", episodes, Section47=s47) == [3, 4]


def test_8890_section47_starting_during_another():
    def s(i: int, start: str, icpc: str | None = None, not_required: str | None = "false") -> dict:
        return {
            "LAchildID": "C0",
            "CINdetailsID": i,
            "S47ActualStartDate": start,
            "DateOfInitialCPC": icpc,
            "ICPCnotRequired": not_required,
        }

    s47 = [
        s(0, "2025-05-01", "2025-05-20"),
        s(0, "2025-05-20", "2025-06-01"),  # ep 0: starts on ICPC day
        s(1, "2025-05-01", "2025-05-20"),
        s(1, "2025-05-10", "2025-05-30"),  # ep 1: second starts inside
        s(2, "2025-05-01"),
        s(2, "2026-03-31", "2026-03-31"),  # ep 2: first still open
        s(3, "2025-05-01", None, "true"),
        s(3, "2025-05-02", "2025-05-10"),  # ep 3: first not required
        s(4, "2025-05-01", "2025-05-20"),
        s(5, "2025-05-10", "2025-05-30"),
    ]  # different episodes
    assert run("8890", [ep(i) for i in range(6)], Section47=s47) == [3, 5]


@pytest.mark.parametrize(
    ("code", "table", "needs"),
    [
        ("2990", "CINdetails", {"CINplanDates", "ChildProtectionPlans", "Section47"}),
        ("2991Q", "CINdetails", {"Assessments", "Section47"}),
        ("8555Q", "CINdetails", {"ChildIdentifiers"}),
        ("8585Q", "CINdetails", {"ChildIdentifiers"}),
        ("8606", "CINdetails", {"ChildIdentifiers"}),
        ("8825Q", "CINdetails", {"Assessments"}),
        ("8831", "CINdetails", {"Assessments", "Section47"}),
        ("8867", "Assessments", {"CINdetails"}),
        ("8868", "Section47", {"CINdetails"}),
        ("8890", "Section47", set()),
    ],
)
def test_reported_table_and_needs(code, table, needs):
    r = CIN.get(code, 2026)
    assert r.table == table
    assert needs <= set(r.needs)
