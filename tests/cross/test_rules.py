"""Each cross check fires on its fault and stays silent on its near miss (hand-built frames)."""

from __future__ import annotations

import pandas as pd
import pytest

from schemas.rules.cross import CROSS
from statreturns.cross import school_age
from tests.cross.world import UPN1, UPN2, UPN3, YEAR, World

EP = ("ssda903.Episodes", "0", "C1")
HEAD = ("ssda903.Header", "0", "C1")


def test_the_agreeing_world_has_no_findings_and_every_check_runs():
    result = World().run()
    assert result.issues.empty
    status = result.rule_status
    assert set(status["rule_code"]) == {r.code for r in CROSS.rules}
    assert (status["status"] == "ran").all()
    assert set(status["severity"]) == {"query"} and set(status["return"]) == {"cross"}


# X01: looked after in the year, no CIN episode covering that time
@pytest.mark.parametrize(("referral", "closure", "fires"), [
    ("2025-06-01", None, False),          # referral on the day care began: covered
    ("2025-06-02", None, True),           # one day late
    ("2024-01-10", "2026-03-31", False),  # closed on the reference date: covers an open episode
    ("2024-01-10", "2026-03-30", True),   # closed the day before
])
def test_x01_cin_episode_must_cover_care_in_the_year(referral, closure, fires):
    w = World()
    w.cin_episodes[0].update(CINreferralDate=referral, CINclosureDate=closure)
    assert w.found("X01") == ([EP] if fires else [])


def test_x01_only_the_days_in_the_year_need_covering():
    w = World()
    w.episodes[0]["DECOM"] = "01/01/2025"  # care began before 1 April 2025
    w.cin_episodes[0]["CINreferralDate"] = "2025-04-01"
    assert w.found("X01") == []
    w.cin_episodes[0]["CINreferralDate"] = "2025-04-02"
    assert w.found("X01") == [EP]


def test_x01_a_child_missing_from_the_cin_census_fires():
    w = World()
    w.cin_children.pop(0)
    w.cin_episodes.pop(0)
    assert w.found("X01") == [EP]


# X02-X04: same LA child id, same UPN, DOB and sex
@pytest.mark.parametrize(("lac_upn", "cin_upn", "cin_unknown", "fires"), [
    ("B123456789012", UPN1, None, True),
    (UPN1.lower(), UPN1, None, False),  # case is not a difference
    ("UN2", UPN1, None, True),          # the CIN census knows the UPN, the 903 says unknown
    ("UN2", None, "UN2", False),        # both say unknown for the same reason
    ("UN2", None, "UN3", True),
    (UPN1, None, None, False),          # the CIN census states nothing: its own rules report that
])
def test_x02_upn_must_agree(lac_upn, cin_upn, cin_unknown, fires):
    w = World()
    w.header[0]["UPN"] = lac_upn
    w.cin_children[0].update(UPN=cin_upn, UPNunknown=cin_unknown)
    assert w.found("X02") == ([HEAD] if fires else [])


@pytest.mark.parametrize(("dob", "fires"), [("02/06/2015", True), ("01/06/2015", False), (None, False)])
def test_x03_date_of_birth_must_agree(dob, fires):
    w = World()
    w.header[0]["DOB"] = dob
    assert w.found("X03") == ([HEAD] if fires else [])


@pytest.mark.parametrize(("sex", "fires"), [("M", True), ("F", False), ("U", False)])
def test_x04_sex_must_agree(sex, fires):
    w = World()
    w.header[0]["SEX"] = sex
    assert w.found("X04") == ([HEAD] if fires else [])


def test_x04_reads_the_older_codes():
    w = World()
    w.cin_children[0].update(Sex=None, GenderCurrent="2")
    w.header[0]["SEX"] = "2"
    assert w.found("X04") == []
    w.header[0]["SEX"] = "1"
    assert w.found("X04") == [HEAD]


# X05, X06: protection plans against adoption
def _adoption_world(plan_start: str, plan_end: str | None, *, rec: str | None = None) -> World:
    w = World()
    w.episodes[0]["DEC"] = "01/08/2025"
    w.episodes[0]["REC"] = "X1"
    w.episodes.append({"CHILD": "C1", "DECOM": "01/08/2025", "RNE": "T", "LS": "E1", "PLACE": "A5",
                       "DEC": "01/12/2025" if rec else None, "REC": rec})
    w.plans.append({"LAchildID": "C1", "CINdetailsID": "0", "CPPID": "1", "CPPstartDate": plan_start,
                    "CPPendDate": plan_end})
    return w


PLAN = ("cin.ChildProtectionPlans", "1", "C1")


@pytest.mark.parametrize(("start", "end", "fires"), [
    ("2025-07-01", None, True),
    ("2025-07-01", "2025-12-01", True),    # ended on the day the placement did: open through it
    ("2025-07-01", "2025-11-30", False),   # ended the day before
    ("2025-08-02", None, False),           # began after the placement began
])
def test_x05_plan_open_through_an_adoption_placement(start, end, fires):
    w = _adoption_world(start, end, rec="E11")
    assert w.found("X05") == ([PLAN] if fires else [])


def test_x05_an_open_placement_runs_to_the_reference_date():
    assert _adoption_world("2025-07-01", None).found("X05") == [PLAN]
    assert _adoption_world("2025-07-01", "2026-03-30").found("X05") == []


@pytest.mark.parametrize(("start", "end", "fires"), [
    ("2025-07-01", None, True),
    ("2025-07-01", "2025-12-02", True),
    ("2025-07-01", "2025-12-01", False),   # ended on the adoption date
    ("2025-12-02", None, False),           # a new plan after the adoption
])
def test_x06_plan_open_after_adoption(start, end, fires):
    w = _adoption_world(start, end, rec="E11")
    w.episodes[1]["PLACE"] = "U4"  # not an adoption placement: X05 stays out of it
    assert w.found("X06") == ([PLAN] if fires else [])
    w.episodes[1]["REC"] = "E4A"  # returned home, not adopted
    assert w.found("X06") == []


# X07: school-age child not on any roll
def test_x07_school_age_child_on_no_roll():
    w = World()
    w.roll = [r for r in w.roll if r["pupil_id"] != "S2"]
    assert w.found("X07") == [("cin.ChildIdentifiers", "1", "C2")]
    w.roll.append({"pupil_id": "S9", "UPN": UPN2, "PersonBirthDate": "2012-03-03", "Sex": "M",
                   "entry_date": "2019-09-01", "leaving_date": "2025-07-20", "InCare": None, "CareAuthority": None})
    assert w.found("X07") == [("cin.ChildIdentifiers", "1", "C2")]  # a leaver's row is not a current roll
    w.roll[-1]["leaving_date"] = "2026-03-31"  # on the roll on the reference date
    assert w.found("X07") == []


@pytest.mark.parametrize(("dob", "fires"), [
    ("2009-09-01", True),    # Year 11 in 2025-26: of school age
    ("2009-08-31", False),   # 16 on 31 August 2025: left school age in June 2025
    ("2020-08-31", True),    # 5 on 31 August 2025: Year 1
    ("2020-09-01", False),   # reception: not counted
])
def test_x07_school_age_boundaries(dob, fires):
    w = World()
    w.cin_children[1]["PersonBirthDate"] = dob
    w.roll = [r for r in w.roll if r["pupil_id"] != "S2"]
    assert w.found("X07") == ([("cin.ChildIdentifiers", "1", "C2")] if fires else [])


def test_x07_needs_a_upn_and_a_roll():
    w = World()
    w.roll = [r for r in w.roll if r["pupil_id"] != "S2"]
    w.cin_children[1].update(UPN=None, UPNunknown="UN3")
    assert w.found("X07") == []
    w = World()
    w.roll = None
    status = w.run().rule_status.set_index("rule_code")
    assert status.loc["X07", "status"] == "skipped" and status.loc["X07", "reason"] == "no school roll supplied"


def test_x07_the_903_upn_counts_and_903_only_children_are_reported_on_the_header():
    w = World()
    w.cin_children.pop(0)
    w.cin_episodes.pop(0)
    w.roll[0]["UPN"] = UPN3[:-1] + "9"
    assert w.found("X07") == [HEAD]


# X08: the roll disagrees about the child with that UPN
@pytest.mark.parametrize(("dob", "sex", "fires"), [
    ("2012-03-04", "M", True), ("2012-03-03", "F", True), ("2012-03-03", "M", False), ("2012-03-03", "U", False),
    (None, "M", False),
])
def test_x08_roll_date_of_birth_or_sex_differs(dob, sex, fires):
    w = World()
    w.roll[1].update(PersonBirthDate=dob, Sex=sex)
    assert w.found("X08") == ([("school_pupils", "1", "S2")] if fires else [])


# X09: flagged in our care by the school, not looked after on 31 March
def test_x09_flagged_in_care_without_an_open_episode():
    w = World()
    w.roll[2].update(InCare=True, CareAuthority="356")
    assert w.found("X09") == [("school_pupils", "2", "S3")]
    w.roll[2]["CareAuthority"] = "357"  # another LA's child: not ours to answer
    assert w.found("X09") == []
    w.roll[2].update(CareAuthority="356", leaving_date="2026-03-30")  # left before the reference date
    assert w.found("X09") == []


@pytest.mark.parametrize(("dec", "fires"), [("30/03/2026", True), (None, False)])
def test_x09_episode_must_be_open_on_the_reference_date(dec, fires):
    w = World()
    w.episodes[0].update(DEC=dec, REC="E4A" if dec else None)
    assert w.found("X09") == ([("school_pupils", "0", "S1")] if fires else [])


def test_x09_and_x10_are_skipped_without_an_in_care_flag_or_our_la_code():
    w = World()
    for r in w.roll:
        r["InCare"] = None
    status = w.run().rule_status.set_index("rule_code")
    assert status.loc[["X09", "X10"], "status"].tolist() == ["skipped", "skipped"]
    w = World(la_code=None)
    assert w.run().rule_status.set_index("rule_code").loc["X10", "status"] == "skipped"
    w = World(la_code=None)
    w.roll = None
    reason = w.run().rule_status.set_index("rule_code").loc["X09", "reason"]
    assert reason == "no school roll supplied; the LA's own code is not known (needed to read CareAuthority)"


# X10: looked after by us, school age, roll does not flag in care
@pytest.mark.parametrize(("in_care", "authority", "fires"), [
    (False, None, True), (None, None, True), (True, "357", True), (True, "356", False),
])
def test_x10_roll_must_flag_our_looked_after_children(in_care, authority, fires):
    w = World()
    w.roll[0].update(InCare=in_care, CareAuthority=authority)
    assert w.found("X10") == ([HEAD] if fires else [])


def test_x10_near_misses_not_school_age_not_on_a_roll_not_looked_after_now():
    w = World()
    w.roll[0]["InCare"] = False
    w.header[0]["DOB"] = "31/08/2009"
    w.cin_children[0]["PersonBirthDate"] = "2009-08-31"
    assert w.found("X10") == []
    w = World()
    w.roll.pop(0)
    assert w.found("X10") == [] and w.found("X07") == [("cin.ChildIdentifiers", "0", "C1")]
    w = World()
    w.roll[0]["InCare"] = False
    w.episodes[0].update(DEC="15/03/2026", REC="E4A")
    assert w.found("X10") == []


# X11: one UPN, two children
def test_x11_two_la_children_with_one_upn():
    w = World()
    w.cin_children.append({"LAchildID": "C3", "UPN": UPN2, "UPNunknown": None, "PersonBirthDate": "2014-01-01",
                           "Sex": "F"})
    w.cin_episodes.append({"LAchildID": "C3", "CINdetailsID": "2", "CINreferralDate": "2025-05-01",
                           "CINclosureDate": None})
    assert w.found("X11") == [("cin.ChildIdentifiers", "1", "C2"), ("cin.ChildIdentifiers", "2", "C3"),
                              ("school_pupils", "1", "S2")]


def test_x11_the_same_child_in_both_returns_or_on_two_rolls_is_one_child():
    w = World()
    w.roll.append({**w.roll[0], "pupil_id": "S4", "entry_date": "2025-09-01"})  # dual registration
    assert w.found("X11") == []
    w.roll[-1]["PersonBirthDate"] = "2016-01-01"  # a different pupil holds C1's UPN
    assert w.found("X11") == [("cin.ChildIdentifiers", "0", "C1"), ("school_pupils", "0", "S1"),
                              ("school_pupils", "3", "S4")]


def test_x11_works_without_a_roll():
    w = World()
    w.roll = None
    w.header.append({"CHILD": "C9", "SEX": "M", "DOB": "01/01/2011", "UPN": UPN2})
    w.episodes.append({"CHILD": "C9", "DECOM": "01/06/2025", "RNE": "S", "LS": "C2", "PLACE": "U4", "DEC": None,
                       "REC": None})
    assert w.found("X11") == [("cin.ChildIdentifiers", "1", "C2"), ("ssda903.Header", "1", "C9")]


def test_school_age_is_whole_cohorts():
    dob = pd.Series(pd.to_datetime(["2009-08-31", "2009-09-01", "2020-08-31", "2020-09-01", None]))
    assert school_age(dob, YEAR).tolist() == [False, True, True, False, False]


def test_findings_carry_no_value_in_their_message():
    w = World()
    w.header[0].update(UPN="B123456789012", DOB="02/06/2015", SEX="M")
    issues = w.run().issues
    assert set(issues["rule_code"]) >= {"X02", "X03", "X04"}
    for value in ("B123456789012", UPN1, UPN2, "2015", "C1"):
        assert not issues["message"].str.contains(value).any()
