"""Rules on SWEpisodes and DoLo (schemas/rules/ssda903/social_workers.py). All values are made up.

Year 2026 = collection year 1 April 2025 - 31 March 2026; social-worker window from 1 April 2024.
DoLo rules exist from 2027 (1 April 2026 - 31 March 2027)."""

from __future__ import annotations

import pytest

from schemas.rules.ssda903 import LAC
from tests.rules.helpers import failing_rows, lac_tables, run_903_module_on_junk


def sw(child: str = "1", decom: str | None = "01/05/2025", dec: str | None = None, reason: str | None = "MANAGE",
       sw_id: str | None = "SW123") -> dict:
    return {"CHILD": child, "SW_ID": sw_id, "SW_DECOM": decom, "SW_DEC": dec, "SW_REASON": reason}


def ep(child: str = "1", decom: str = "01/05/2025", **kw) -> dict:
    return {"CHILD": child, "DECOM": decom, "RNE": "S", "LS": "C2", "PLACE": "U1", **kw}


def dolo(child: str = "1", start: str | None = "01/05/2026", end: str | None = None, dob: str = "01/01/2012") -> dict:
    return {"CHILD": child, "DOB": dob, "DOLO_START": start, "DOLO_END": end}


# --- SWEpisodes ----------------------------------------------------------------------------------------

def test_sw01a_and_sw01b_2025_only():
    rows = [sw(decom=None), sw(decom="01/03/2023", sw_id=None), sw(decom="01/04/2023", sw_id=None),
            sw(decom="01/04/2023", reason=None), sw(decom="01/03/2023", reason=None), sw()]
    t = lac_tables(2025, SWEpisodes=rows)
    assert failing_rows(LAC, "SW01aSTG1", t) == [0, 1]
    assert failing_rows(LAC, "SW01bSTG1", t) == [0, 2, 3]
    with pytest.raises(KeyError):
        LAC.get("SW01aSTG1", 2026)


def test_sw02_id_prefix_and_length():
    rows = [sw(sw_id=v) for v in ["SW12", "XX99", "sw12", "AB123", "SW1", None]]
    assert failing_rows(LAC, "SW02STG1", lac_tables(SWEpisodes=rows)) == [3, 4]


@pytest.mark.parametrize(("code", "column"), [("SW04STG1", "SW_DECOM"), ("SW05STG1", "SW_DEC")])
def test_sw04_sw05_invalid_dates(code, column):
    rows = [{"CHILD": "1", column: v} for v in ["31/02/2025", "01/04/2025", None, "2025-04-01"]]
    assert failing_rows(LAC, code, lac_tables(SWEpisodes=rows)) == [0, 3]


def test_sw06_start_after_year_end():
    t = lac_tables(SWEpisodes=[sw(decom="31/03/2026"), sw(decom="01/04/2026"), sw(decom="bad")])
    assert failing_rows(LAC, "SW06STG2", t) == [1]


def test_sw07_end_inside_window():
    t = lac_tables(SWEpisodes=[sw(decom="01/01/2024", dec="31/03/2024"), sw(decom="01/01/2024", dec="01/04/2024"),
                               sw(dec="31/03/2026"), sw(dec="01/04/2026"), sw()])
    assert failing_rows(LAC, "SW07STG2", t) == [0, 3]


def test_sw08_earlier_episode_open():
    t = lac_tables(SWEpisodes=[sw("1", "01/06/2025"), sw("1", "01/05/2025"), sw("2", "01/05/2025", "01/06/2025"),
                               sw("2", "01/06/2025"), sw("3", "01/05/2025")])
    assert failing_rows(LAC, "SW08STG2", t) == [1]


def test_sw09_less_than_24_hours_not_3_days():
    # A 2-day episode is fine (the public validator's "under 3 days" would flag it).
    t = lac_tables(SWEpisodes=[sw(decom="01/05/2025", dec="01/05/2025"), sw(decom="01/05/2025", dec="02/05/2025"),
                               sw(decom="01/05/2025", dec="03/05/2025"), sw(decom="01/05/2025")])
    assert failing_rows(LAC, "SW09STG2", t) == [0]


@pytest.mark.parametrize("code", ["SW10STG2", "SW10aSTG2"])
def test_sw10_within_a_week_of_previous_end(code):
    t = lac_tables(SWEpisodes=[
        sw("1", "01/05/2025", "01/06/2025"), sw("1", "08/06/2025"),               # 7 days: fine
        sw("2", "01/05/2025", "01/06/2025"), sw("2", "09/06/2025"),               # 8 days late
        sw("3", "01/05/2025", "01/06/2025"), sw("3", "09/06/2025", reason="FCONTA"),
        sw("4", "01/05/2025", "20/06/2025"), sw("4", "10/06/2025", reason=None),  # 10 days early, blank reason
    ])
    assert failing_rows(LAC, code, t) == [3, 7]


def test_sw10a_sw10b_from_2026():
    assert LAC.get("SW10STG2", 2025).code == "SW10STG2"
    with pytest.raises(KeyError):
        LAC.get("SW10aSTG2", 2025)


def test_sw10b_first_contact_before_previous_ended():
    t = lac_tables(SWEpisodes=[
        sw("1", "01/05/2025"), sw("1", "01/07/2025", reason="FCONTA"),                 # previous open
        sw("2", "01/05/2025", "01/07/2025"), sw("2", "30/06/2025", reason="FCONTA"),   # before it ended
        sw("3", "01/05/2025", "01/07/2025"), sw("3", "01/07/2025", reason="FCONTA"),   # same day: fine
        sw("4", "01/05/2025", reason="FCONTA"),
    ])
    assert failing_rows(LAC, "SW10bSTG2", t) == [1, 3]


def test_sw11b_ended_late_without_successor():
    t = lac_tables(SWEpisodes=[
        sw("1", "01/05/2025", "27/03/2026"),
        sw("2", "01/05/2025", "27/03/2026"), sw("2", "27/03/2026"),   # successor the same day: fine
        sw("3", "01/05/2025", "25/03/2026"),                          # more than 5 days before
        sw("4", "01/05/2025", "31/03/2026"),
        sw("5", "01/05/2025", "26/03/2026"),
    ])
    assert failing_rows(LAC, "SW11bSTG2", t) == [0, 5]


def test_sw12_social_worker_covers_start_and_end_of_care():
    episodes = [
        ep("1", "01/05/2025"),                                         # started, SW from before only
        ep("2", "01/05/2025"),                                         # started, one of two SWs after: fine
        ep("3", "01/01/2020", RNE="P"),                                # open, neither start nor end
        ep("4", "01/01/2020", RNE="P", DEC="01/10/2025", REC="E4A"),   # ended, no SW before the end
        ep("5", "01/05/2025", LS="V3"),                                # short break
        ep("6", "01/01/2020", RNE="S", DEC="01/01/2023", REC="E4A"),   # outside the window
    ]
    sws = [sw("1", "01/01/2025"), sw("2", "01/01/2025", "01/05/2025"), sw("2", "01/05/2025"),
           sw("4", "02/10/2025")]
    t = lac_tables(Episodes=episodes, SWEpisodes=sws)
    assert failing_rows(LAC, "SW12STG2", t) == [0, 3]


def test_sw13_reason_code_and_required_from_april_2023():
    t = lac_tables(SWEpisodes=[sw(reason="MANAGE"), sw(reason="SWLAZY"), sw(reason=None),
                               sw(decom="01/03/2023", reason=None), sw(decom="31/02/2025", reason=None)])
    assert failing_rows(LAC, "SW13STG1", t) == [1, 2]


def test_sw15_reason_missing_inside_window_2025():
    t = lac_tables(2025, SWEpisodes=[sw(decom="01/04/2023", reason=None), sw(decom="31/03/2023", reason=None),
                                     sw(decom="01/05/2024", reason="MANAGE")])
    assert failing_rows(LAC, "SW15STG2", t) == [0]


@pytest.mark.parametrize(("code", "expected"), [("SW16aSTG2", [1]), ("SW16bSTG2", [5]), ("SW16cSTG2", [5])])
def test_sw16_first_episode_continues_last_years_open_one(code, expected):
    last = [sw("1", "01/05/2024", sw_id="SW1"), sw("2", "01/05/2024", sw_id="SW2"),
            sw("3", "01/05/2024", reason="MANAGE"), sw("4", "01/05/2024", "01/06/2024")]
    this = [sw("1", "01/05/2024", sw_id="SW1"), sw("2", "01/05/2024", sw_id="SW9"),
            sw("3", "02/05/2024", reason="MANAGE"), sw("2", "01/06/2024", sw_id="SW5"),
            sw("4", "01/05/2024", reason="OTHERS"), sw("3", "01/04/2024", reason="OTHERS")]
    # Child 3's first episode this year is row 5 (1 April): wrong date and wrong reason.
    t = lac_tables(2025, SWEpisodes=this, previous={"SWEpisodes": last})
    assert failing_rows(LAC, code, t) == expected
    assert "SWEpisodes_last" in LAC.get(code, 2025).needs


def test_sw17_only_children_looked_after_on_31_march():
    episodes = [ep("1", "01/05/2025"), ep("2", "01/05/2025", DEC="01/12/2025", REC="E4A"), ep("3", "01/05/2025")]
    sws = [sw("1", "01/05/2025", "01/12/2025"), sw("2", "01/05/2025", "01/12/2025"),
           sw("3", "01/05/2025", "01/06/2025"), sw("3", "01/06/2025")]
    t = lac_tables(Episodes=episodes, SWEpisodes=sws)
    # Child 2 left care: not flagged (the public validator would flag it).
    assert failing_rows(LAC, "SW17STG2", t) == [0]


def test_sw18_end_before_start():
    t = lac_tables(SWEpisodes=[sw(decom="02/05/2025", dec="01/05/2025"), sw(decom="01/05/2025", dec="01/05/2025"),
                               sw(decom="bad", dec="01/05/2025")])
    assert failing_rows(LAC, "SW18STG2", t) == [0]


def test_sw19_two_episodes_same_start():
    t = lac_tables(SWEpisodes=[sw("1", "01/05/2025"), sw("1", "01/05/2025"), sw("2", "01/05/2025"),
                               sw("1", "01/06/2025"), sw("1", None), sw("1", None)])
    assert failing_rows(LAC, "SW19STG2", t) == [1]


# --- DoLo (2027) ---------------------------------------------------------------------------------------

def test_dolo_rules_only_in_2027():
    for code in ("700", "705", "709", "710"):
        assert LAC.get(code, 2027).code == code
        with pytest.raises(KeyError):
            LAC.get(code, 2026)


def test_700_701_dates():
    t = lac_tables(2027, DoLo=[dolo(start=None), dolo(start="31/02/2026"), dolo(end="bad"), dolo(end="01/06/2026")])
    assert failing_rows(LAC, "700", t) == [0, 1]
    assert failing_rows(LAC, "701", t) == [2]


def test_702_to_704_ranges():
    t = lac_tables(2027, DoLo=[dolo(start="01/05/2026", end="01/05/2026"), dolo(start="01/05/2026", end="30/04/2026"),
                               dolo(start="01/04/2027"), dolo(start="01/01/2026", end="31/03/2026"),
                               dolo(start="01/01/2026", end="01/04/2026"), dolo(start="31/03/2027", end="01/04/2027")])
    assert failing_rows(LAC, "702", t) == [0, 1]
    assert failing_rows(LAC, "703", t) == [2]
    assert failing_rows(LAC, "704", t) == [3, 5]


def test_705_no_overlap():
    t = lac_tables(2027, DoLo=[dolo("1", "01/05/2026"), dolo("1", "01/07/2026"),
                               dolo("2", "01/05/2026", "01/07/2026"), dolo("2", "30/06/2026"),
                               dolo("3", "01/05/2026", "01/07/2026"), dolo("3", "01/07/2026")])
    assert failing_rows(LAC, "705", t) == [1, 3]


def test_706_open_dolo_carried_over_and_skipped_without_last_year():
    this = [dolo("1", "01/03/2026"), dolo("2", "02/03/2026")]
    last = [dolo("1", "01/03/2026"), dolo("2", "01/03/2026"), dolo("3", "01/01/2026", "01/02/2026")]
    t = lac_tables(2027, DoLo=this, previous={"DoLo": last})
    assert failing_rows(LAC, "706", t) == [1]
    rule = LAC.get("706", 2027)
    t = lac_tables(2027, DoLo=this)
    assert not all(t.has(name) for name in rule.needs)  # the engine skips it, it does not raise


def test_707_dolo_within_a_period_of_care():
    episodes = [ep("1", "01/01/2026", DEC="01/06/2026", REC="X1"), ep("1", "01/06/2026", RNE="P"),  # still in care
                ep("2", "01/01/2026", DEC="01/08/2026", REC="E4A"),
                ep("3", "01/01/2026", DEC="01/08/2026", REC="E4A"),
                ep("4", "01/01/2026", DEC="01/08/2026", REC="E4A")]
    dolos = [dolo("1", "01/05/2026"), dolo("2", "01/05/2026"), dolo("3", "01/05/2026", "01/08/2026"),
             dolo("4", "01/05/2026", "02/08/2026"), dolo("4", "01/09/2026", "01/10/2026"),
             dolo("1", "01/10/2025")]  # began before the episodes in this return, care still running
    t = lac_tables(2027, Episodes=episodes, DoLo=dolos)
    # Only an open DoLO of a child whose period of care ended (row 1); ends after care (3, 4) are not 707's.
    assert failing_rows(LAC, "707", t) == [1]


def test_708_before_birth():
    t = lac_tables(2027, DoLo=[dolo(start="31/12/2011"), dolo(start="01/01/2012"), dolo(start="01/05/2026")])
    assert failing_rows(LAC, "708", t) == [0, 1]  # on the day of birth too (see test_issue11)


def test_709_710_read_the_place_column():
    episodes = [ep("1", "01/04/2026", PLACE="K2"), ep("2", "01/04/2026", PLACE="U1"),
                ep("3", "01/04/2026", PLACE="K1"), ep("4", "01/04/2026", DEC="01/05/2026", REC="X1", PLACE="P1"),
                ep("4", "01/05/2026", RNE="P", PLACE="Z12")]
    dolos = [dolo("1"), dolo("2"), dolo("3"), dolo("4")]
    t = lac_tables(2027, Episodes=episodes, DoLo=dolos)
    # Child 4 moved from P1 to Z12 on the day the DoLO began: only the Z12 placement counts.
    assert failing_rows(LAC, "709", t) == [1, 2]
    assert failing_rows(LAC, "710", t) == [2]


# --- robustness: no rule raises on empty, blank or junk tables ------------------------------------------

@pytest.mark.parametrize("year", [2025, 2026, 2027])
@pytest.mark.parametrize("shape", ["empty", "blank", "junk"])
def test_no_rule_raises(year, shape):
    run_903_module_on_junk(LAC, "social_workers", year, shape)
