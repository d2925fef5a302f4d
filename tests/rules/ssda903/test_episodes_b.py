"""Tests of the SSDA903 Episodes rules 381-1015 (schemas/rules/ssda903/episodes_b.py). Synthetic values only."""

from __future__ import annotations

import pandas as pd
import pytest

from schemas.rules.ssda903 import LAC
from statreturns.engine import RuleSet, run_rules
from tests.rules.helpers import failing_rows, lac_tables

POSTCODES = {"Postcodes": pd.DataFrame()}
OWN = "E08000007"
OTHER = "E08000008"


def ep(child: str = "1", decom: str | None = "01/05/2025", dec: str | None = None, **kw: str | None) -> dict:
    return {"CHILD": child, "DECOM": decom, "DEC": dec, **kw}


def hdr(child: str = "1", **kw: str | None) -> dict:
    return {"CHILD": child, **kw}


def derive(t, name: str = "Episodes", **cols: list):
    """Stand in for the postcode derivation: add derived columns to one table (test set-up only)."""
    t.frames[name] = t.frames[name].assign(**cols)
    return t


def rows(code: str, year: int = 2026, **tables) -> list[int]:
    return failing_rows(LAC, code, lac_tables(year, **tables))


# ---- simple per-episode code checks ------------------------------------------------------------------

@pytest.mark.parametrize(("code", "episode", "fires"), [
    ("381", {"PLACE": "T0", "REC": "E8"}, True),
    ("381", {"PLACE": "T4", "REC": "X1"}, False),
    ("381", {"PLACE": "T1", "REC": None}, False),
    ("381", {"PLACE": "U1", "REC": "E8"}, False),
    ("382", {"LS": "V3", "PLACE": "T1"}, True),
    ("382", {"LS": "V3", "PLACE": "U1"}, False),
    ("382", {"LS": "C2", "PLACE": "T1"}, False),
    ("384", {"LS": "V4", "PLACE": "U4"}, True),
    ("384", {"LS": "V3", "PLACE": "U1"}, True),
    ("384", {"LS": "V4", "PLACE": "U2"}, False),
    ("384", {"LS": "C2", "PLACE": "U1"}, False),
    ("390", {"REC": "E12", "PLACE": "U1"}, True),
    ("390", {"REC": "E11", "PLACE": None}, True),
    ("390", {"REC": "E11", "PLACE": "A5"}, False),
    ("390", {"REC": "E8", "PLACE": "U1"}, False),
    ("398", {"LS": "V3", "HOME_POST": "AB1 2CD"}, True),
    ("398", {"LS": "V4", "PL_POST": "AB1 2CD"}, True),
    ("398", {"LS": "V3"}, False),
    ("398", {"LS": "C2", "HOME_POST": "AB1 2CD", "PL_POST": "AB3 4EF"}, False),
    ("408", {"PLACE": "A5", "LS": "C2"}, True),
    ("408", {"PLACE": "A6", "LS": None}, True),
    ("408", {"PLACE": "A5", "LS": "E1"}, False),
    ("408", {"PLACE": "A3", "LS": "C2"}, False),
    ("516", {"REC": "E45", "PLACE": "R1"}, True),
    ("516", {"REC": "E46", "PLACE": "U3"}, False),
    ("516", {"REC": "E47", "PLACE": "R1"}, False),
    ("1009", {"REASON_PLACE_CHANGE": "CARPL"}, False),
    ("1009", {"REASON_PLACE_CHANGE": "CUSTOD"}, False),
    ("1009", {"REASON_PLACE_CHANGE": "MOVED"}, True),
    ("1009", {"REASON_PLACE_CHANGE": None}, False),
])
def test_single_episode_codes(code, episode, fires):
    assert rows(code, Episodes=[ep(**episode)]) == ([0] if fires else [])


@pytest.mark.parametrize(("code", "provider", "place", "fires"), [
    ("527", "PR1", "P1", True), ("527", "PR1", "R5", True), ("527", "PR1", "U1", False),
    ("527", "PR2", "R2", False),
    ("528", "PR2", "R2", True), ("528", "PR2", "K2", False), ("528", "PR1", "R2", False),
    ("529", "PR3", "A4", True), ("529", "PR3", "K1", True), ("529", "PR3", "U6", True),
    ("529", "PR3", "R2", False), ("529", "PR4", "K1", False),
    ("530", "PR4", "P1", True), ("530", "PR4", "K2", False),
    ("531", "PR5", "P1", True), ("531", "PR5", "U4", False),
    ("550", "PR0", "U1", True), ("550", "PR0", None, True), ("550", "PR0", "P1", False),
    ("550", "PR1", "U1", False),
])
def test_provider_and_place(code, provider, place, fires):
    assert rows(code, Episodes=[ep(PLACE_PROVIDER=provider, PLACE=place)]) == ([0] if fires else [])


@pytest.mark.parametrize(("year", "place", "provider", "fires"), [
    (2026, "U1", None, True),
    (2026, "U1", "PR1", False),
    (2026, "T0", None, False),
    (2026, "Z11", None, False),
    (2026, None, None, False),
    (2025, "Z1", None, False),
    (2025, "K3", None, True),
])
def test_526_provider_missing(year, place, provider, fires):
    assert rows("526", year, Episodes=[ep(PLACE=place, PLACE_PROVIDER=provider)]) == ([0] if fires else [])


@pytest.mark.parametrize(("dec", "fires"), [
    ("31/03/2026", False), ("01/04/2026", True), ("31/02/2026", False), (None, False),
])
def test_385_dec_after_year_end(dec, fires):
    assert rows("385", Episodes=[ep(dec=dec, REC="E8")]) == ([0] if fires else [])


@pytest.mark.parametrize(("decom", "fires"), [("30/11/2005", True), ("01/12/2005", False), ("31/11/2005", False)])
def test_446_e1_before_december_2005(decom, fires):
    assert rows("446", Episodes=[ep(decom=decom, LS="E1"), ep("2", decom="30/11/2005", LS="C2")]) == (
        [0] if fires else [])


# ---- ages at the end of an episode --------------------------------------------------------------------

@pytest.mark.parametrize(("code", "rec", "dob", "dec", "fires"), [
    ("386", "E11", "01/06/2007", "01/06/2025", True),   # on the 18th birthday
    ("386", "E12", "01/06/2007", "31/05/2025", False),
    ("386", "E8", "01/06/2007", "01/07/2025", False),
    ("386", "E11", "31/02/2007", "01/07/2025", False),  # unparseable DOB: not judged
    ("387", "E5", "01/06/2011", "31/05/2025", True),
    ("387", "E6", "01/06/2011", "01/06/2025", False),
    ("389", "E7", "01/06/2009", "31/05/2025", True),
    ("389", "E7", "01/06/2009", "01/06/2025", False),
    ("407", "E45", "01/06/2007", "01/06/2025", True),
    ("407", "E48", "01/06/2007", "31/05/2025", False),
    ("460", "E17", "01/06/2007", "31/05/2025", True),
    ("460", "E17", "01/06/2007", "01/06/2025", False),
    ("460", "E17", "01/06/2007", None, False),
])
def test_age_at_ceasing(code, rec, dob, dec, fires):
    t = lac_tables(2026, Header=[hdr(DOB=dob)], Episodes=[ep(decom="01/05/2025", dec=dec, REC=rec)])
    assert failing_rows(LAC, code, t) == ([0] if fires else [])
    assert "Header" in LAC.get(code, 2026).needs


# ---- sequence rules -----------------------------------------------------------------------------------

def test_383_returns_to_normal_placement():
    good = [ep(decom="01/05/2025", dec="01/06/2025", REC="X1", PLACE="U1", PL_POST="AB1 2CD"),
            ep(decom="01/06/2025", dec="08/06/2025", REC="X1", PLACE="T2"),
            ep(decom="08/06/2025", RNE="P", PLACE="U1", PL_POST="ab12cd")]
    assert rows("383", Episodes=list(reversed(good))) == []  # file order does not matter


@pytest.mark.parametrize("change", [{"RNE": "T"}, {"PLACE": "U4"}, {"PL_POST": "AB3 4EF"}, {"RNE": None}])
def test_383_fires_when_not_back(change):
    episodes = [ep(decom="01/05/2025", dec="01/06/2025", REC="X1", PLACE="U1", PL_POST="AB1 2CD"),
                ep(decom="01/06/2025", dec="08/06/2025", REC="X1", PLACE="T2"),
                ep(decom="08/06/2025", **{"RNE": "P", "PLACE": "U1", "PL_POST": "AB1 2CD", **change})]
    assert rows("383", Episodes=episodes) == [2]


def test_383_first_episode_temporary_checks_rne_only():
    episodes = [ep(decom="01/05/2025", dec="03/05/2025", REC="X1", PLACE="T1"),
                ep(decom="03/05/2025", RNE="P", PLACE="R1"),
                ep("2", decom="01/05/2025", dec="03/05/2025", REC="X1", PLACE="T1"),
                ep("2", decom="03/05/2025", RNE="L", PLACE="R1")]
    assert rows("383", Episodes=episodes) == [3]


def test_388_x1_continuity():
    episodes = [
        ep("1", "01/05/2025", "01/06/2025", REC="X1"), ep("1", "01/06/2025"),            # fine
        ep("2", "01/05/2025", "01/06/2025", REC="X1"), ep("2", "02/06/2025"),            # gap after X1
        ep("3", "01/05/2025", "01/06/2025", REC="E8"), ep("3", "01/06/2025", RNE="S"),   # left, same-day start
        ep("4", "01/05/2025", "01/06/2025", REC="X1"),                                   # latest ends X1
        ep("5", "01/05/2025", "01/06/2025", REC="E8"), ep("5", "01/07/2025", RNE="S"),   # fine
    ]
    assert rows("388", Episodes=episodes) == [2, 4, 6]


def test_388_bad_decom_passes_over_that_child_only():
    episodes = [ep("1", "01/05/2025", "01/06/2025", REC="X1"), ep("1", "31/02/2026"),
                ep("2", "01/05/2025", "01/06/2025", REC="X1")]
    assert rows("388", Episodes=episodes) == [2]


def test_426_v3_and_v4():
    episodes = [ep("1", LS="V3"), ep("1", "01/06/2025", LS="V4"), ep("1", "01/07/2025", LS="C2"),
                ep("2", LS="V3"), ep("2", "01/06/2025", LS="V3"), ep("3", LS="V4"), ep("3", "01/06/2025", LS="C2")]
    assert rows("426", Episodes=episodes) == [0, 1]


@pytest.mark.parametrize(("code", "second", "fires"), [
    ("431", {"decom": "01/06/2025", "RNE": "S"}, True),
    ("431", {"decom": "20/05/2025", "RNE": "S"}, True),
    ("431", {"decom": "02/06/2025", "RNE": "S"}, False),
    ("431", {"decom": "01/06/2025", "RNE": "P"}, False),
    ("433", {"decom": "02/06/2025", "RNE": "P"}, True),
    ("433", {"decom": "02/06/2025", "RNE": "B"}, True),
    ("433", {"decom": "01/06/2025", "RNE": "T"}, False),
    ("433", {"decom": "02/06/2025", "RNE": "S"}, False),
    ("501", {"decom": "31/05/2025"}, True),
    ("501", {"decom": "01/06/2025"}, False),
])
def test_start_against_previous_end(code, second, fires):
    episodes = [ep(**{"decom": "15/06/2025", **second}), ep(decom="01/05/2025", dec="01/06/2025", REC="X1")]
    assert rows(code, Episodes=episodes) == ([0] if fires else [])


@pytest.mark.parametrize("code", ["431", "433", "501"])
def test_start_rules_ignore_unparseable_previous_dec(code):
    episodes = [ep(decom="01/05/2025", dec="31/02/2025", REC="X1"), ep(decom="20/05/2025", RNE="S"),
                ep("2", decom="01/05/2025", dec="01/06/2025", REC="X1"), ep("2", decom="20/05/2025", RNE="S")]
    assert rows(code, Episodes=episodes) == ([3] if code != "433" else [])


@pytest.mark.parametrize(("prev_rec", "rne", "fires"), [
    ("E8", "P", True), ("E8", None, True), ("E8", "S", False), ("X1", "P", False),
])
def test_432_restart_after_leaving(prev_rec, rne, fires):
    episodes = [ep(decom="01/05/2025", dec="01/06/2025", REC=prev_rec), ep(decom="01/07/2025", RNE=rne)]
    assert rows("432", Episodes=episodes) == ([1] if fires else [])


PREV = {"LS": "C2", "PLACE": "U1", "PL_POST": "AB1 2CD", "URN": "SC000001", "PLACE_PROVIDER": "PR1"}


@pytest.mark.parametrize(("code", "rne", "change", "fires"), [
    ("434", "L", {"LS": "E1", "PL_POST": "ab12cd"}, False),
    ("434", "L", {}, True),
    ("434", "L", {"LS": "E1", "URN": "SC000002"}, True),
    ("434", "L", {"LS": "E1", "PLACE_PROVIDER": None}, True),
    ("435", "P", {"PLACE": "U4"}, False),
    ("435", "T", {"PL_POST": "AB3 4EF"}, False),
    ("435", "P", {"PLACE": "U4", "LS": "E1"}, True),
    ("435", "P", {}, True),
    ("436", "B", {"LS": "E1", "PL_POST": "AB3 4EF"}, False),
    ("436", "U", {"PL_POST": "AB3 4EF"}, True),
    ("436", "B", {"LS": "E1"}, True),
])
def test_what_changed(code, rne, change, fires):
    episodes = [ep(decom="01/05/2025", dec="01/06/2025", REC="X1", **PREV),
                ep(decom="01/06/2025", RNE=rne, **{**PREV, **change})]
    assert rows(code, Episodes=episodes) == ([1] if fires else [])


@pytest.mark.parametrize("code", ["434", "435", "436"])
def test_what_changed_needs_a_previous_episode(code):
    assert rows(code, Episodes=[ep(RNE={"434": "L", "435": "P", "436": "B"}[code], **PREV)]) == []


def test_437_episodes_after_death():
    episodes = [ep("1", "01/05/2025", "01/06/2025", REC="E2"), ep("1", "01/07/2025", RNE="S"),
                ep("2", "01/05/2025", "01/06/2025", REC="E15")]
    assert rows("437", Episodes=episodes) == [0]


@pytest.mark.parametrize(("prev_rec", "gap", "cin", "fires"), [
    ("X1", False, "N2", True), ("X1", False, "N1", False), ("X1", False, None, True), ("E8", True, "N2", False),
])
def test_504_cin_across_x1(prev_rec, gap, cin, fires):
    decom = "02/06/2025" if gap else "01/06/2025"
    episodes = [ep(decom="01/05/2025", dec="01/06/2025", REC=prev_rec, CIN="N1"), ep(decom=decom, CIN=cin)]
    assert rows("504", Episodes=episodes) == ([1] if fires else [])


# ---- Header fields for looked-after children ----------------------------------------------------------

def test_393_mother_missing():
    header = [hdr("1", SEX="F"), hdr("2", SEX="F", MOTHER="0"), hdr("3", SEX="M"), hdr("4", SEX="F"),
              hdr("5", SEX="F")]
    episodes = [ep("1", LS="C2"), ep("2", LS="C2"), ep("3", LS="C2"), ep("4", LS="V3")]
    t = lac_tables(2026, Header=header, Episodes=episodes)
    assert LAC.get("393", 2026).table == "Header"
    assert failing_rows(LAC, "393", t) == [0]


def test_442_upn_missing():
    header = [hdr("1"), hdr("2", UPN="UN1"), hdr("3"), hdr("4")]
    episodes = [ep("1", LS="C2"), ep("2", LS="C2"), ep("3", LS="V4"), ep("3", "01/06/2025", LS="V4")]
    assert rows("442", Header=header, Episodes=episodes) == [0]


def test_607_mother_missing_on_leaving():
    header = [hdr("1", SEX="F"), hdr("2", SEX="F", MOTHER="1"), hdr("3", SEX="M"), hdr("4", SEX="F")]
    episodes = [ep("1", "01/05/2025", "01/06/2025", REC="E8", LS="C2"),     # fires
                ep("1", "01/01/2025", "01/05/2025", REC="X1", LS="C2"),     # X1: still looked after
                ep("2", "01/05/2025", "01/06/2025", REC="E8", LS="C2"),
                ep("3", "01/05/2025", "01/06/2025", REC="E8", LS="C2"),
                ep("4", "01/05/2025", "02/05/2025", REC="E13", LS="V3"),    # short break
                ep("4", "01/01/2025", "31/03/2025", REC="E13", LS="C2"),    # ceased before the year
                ep("4", "01/06/2025", "31/02/2026", REC="E13", LS="C2")]    # unparseable DEC
    assert rows("607", Header=header, Episodes=episodes) == [0]


def test_625_first_child_born_too_late():
    header = [hdr("1", MC_DOB="01/04/2026"), hdr("2", MC_DOB="02/07/2025"), hdr("3", MC_DOB="01/07/2025"),
              hdr("4", MC_DOB="01/09/2025"), hdr("5", MC_DOB="31/03/2026")]
    episodes = [ep("1"), ep("2", "01/05/2025", "01/07/2025", REC="E8"), ep("3", "01/05/2025", "01/07/2025", REC="E8"),
                ep("4", "01/05/2025", "01/07/2025", REC="X1"), ep("4", "01/07/2025")]
    assert rows("625", Header=header, Episodes=episodes) == [0, 1]


def test_1012_data_for_children_without_episodes():
    header = [hdr("1"), hdr("2"), hdr("3"), hdr("4")]
    t = lac_tables(2026, Header=header, Episodes=[ep("1")], Missing=[{"CHILD": "1"}],
                   Reviews=[{"CHILD": "2"}], OC3=[{"CHILD": "3"}], OC2=[{"CHILD": "4"}])
    assert failing_rows(LAC, "1012", t) == [1, 3]
    t = lac_tables(2026, Header=header, Episodes=[ep("1")], OC3=[{"CHILD": "2"}])
    assert failing_rows(LAC, "1012", t) == []


# ---- postcodes and derived placement fields ----------------------------------------------------------

def test_postcode_rules_are_skipped_without_the_directory():
    t = lac_tables(2026, Header=[hdr()], Episodes=[ep()])
    assert not t.has("Postcodes")
    for code in ["392a", "392c", "406", "411", "420", "452", "453", "454", "503G", "503H", "503J", "1015"]:
        assert "Postcodes" in LAC.get(code, 2026).needs, code
    assert "Postcodes" not in LAC.get("392d", 2026).needs


def test_392a_no_distance():
    t = lac_tables(2026, extra_frames=POSTCODES, previous={"UASC": [{"CHILD": "5"}]},
                   Header=[hdr(c) for c in "12345"], UASC=[{"CHILD": "2"}],
                   Episodes=[ep("1", LS="C2"), ep("2", LS="C2"), ep("3", LS="V3"), ep("4", LS="C2"), ep("5", LS="C2")])
    derive(t, PL_DISTANCE=[None, None, None, 5.0, None])
    assert failing_rows(LAC, "392a", t) == [0]


def test_392b_no_postcodes():
    episodes = [ep("1", LS="C2", PL_POST="AB1 2CD"), ep("2", LS="C2", HOME_POST="AB1 2CD", PL_POST="AB3 4EF"),
                ep("3", LS="V4"), ep("4", LS="C2"), ep("5", LS="C2", HOME_POST="AB1 2CD")]
    t = lac_tables(2026, Header=[hdr(c) for c in "12345"], UASC=[{"CHILD": "4"}], Episodes=episodes)
    assert failing_rows(LAC, "392b", t) == [0, 4]


def test_392c_unknown_postcodes():
    episodes = [ep(HOME_POST="AB1 2CD", PL_POST="AB3 4EF"), ep(HOME_POST="AB1 2CD", PL_POST="ZZ9 9ZZ"),
                ep(HOME_POST="ZZ9 9ZZ"), ep()]
    t = derive(lac_tables(2026, extra_frames=POSTCODES, Episodes=episodes),
               HOME_POST_valid=[True, True, False, False], PL_POST_valid=[True, False, False, False])
    assert failing_rows(LAC, "392c", t) == [1, 2]


@pytest.mark.parametrize(("home", "place_post", "place", "fires"), [
    ("AB1 2CD", "ab12cd", "U1", True), ("AB1 2CD", "AB1 2CD", "P1", False), ("AB1 2CD", "AB3 4EF", "U1", False),
    (None, None, "U1", False),
])
def test_392d_same_postcodes(home, place_post, place, fires):
    assert rows("392d", Episodes=[ep(HOME_POST=home, PL_POST=place_post, PLACE=place)]) == ([0] if fires else [])


def test_406_uasc_with_distance():
    t = lac_tables(2026, extra_frames=POSTCODES, Header=[hdr("1"), hdr("2"), hdr("3")], UASC=[{"CHILD": "1"}],
                   previous={"UASC": [{"CHILD": "2"}]}, Episodes=[ep("1"), ep("1"), ep("2"), ep("3")])
    derive(t, PL_DISTANCE=[3.0, None, 4.0, 5.0])
    assert failing_rows(LAC, "406", t) == [0, 2]


def test_411_location_disagrees_with_la():
    # la_code 356 is the LA whose upper-tier GSS code is OWN (data/reference/la_codes.csv).
    t = derive(lac_tables(2026, la_code="356", extra_frames=POSTCODES, Episodes=[ep() for _ in range(6)]),
               PL_LOCATION=["IN", "IN", "OUT", "OUT", None, "IN"], PL_LA=[OWN, OTHER, OWN, OTHER, None, None])
    assert failing_rows(LAC, "411", t) == [1, 2]
    t = derive(lac_tables(2026, extra_frames=POSTCODES, Episodes=[ep()]), PL_LOCATION=["IN"], PL_LA=[OTHER])
    assert failing_rows(LAC, "411", t) == []  # LA not known: nothing to compare with


def test_420_short_break_with_pl_la():
    t = derive(lac_tables(2026, extra_frames=POSTCODES, Episodes=[ep(LS="V3"), ep(LS="V4"), ep(LS="C2")]),
               PL_LA=[OWN, None, OWN])
    assert failing_rows(LAC, "420", t) == [0]


@pytest.mark.parametrize(("miles", "year", "fires"), [
    (350.1, 2026, True), (350.0, 2026, False), (999.9, 2026, False), (None, 2026, False), (400.0, 2027, True),
])
def test_454_distance_over_350(miles, year, fires):
    t = derive(lac_tables(year, extra_frames=POSTCODES, Episodes=[ep()]), PL_DISTANCE=[miles])
    assert failing_rows(LAC, "454", t) == ([0] if fires else [])


def test_454_not_in_2025():
    with pytest.raises(KeyError):
        LAC.get("454", 2025)


@pytest.mark.parametrize(("year", "place", "provider", "ls", "location", "fires"), [
    (2026, "R1", "PR1", "C2", "OUT", True),
    (2026, "R1", "PR1", "C2", "IN", False),
    (2026, "R1", "PR1", "C2", None, False),
    (2026, "U3", "PR1", "C2", "OUT", False),
    (2026, "A4", "PR1", "C2", "OUT", False),
    (2026, "K3", "PR1", "C2", "OUT", False),
    (2025, "K3", "PR1", "C2", "OUT", True),
    (2026, "R1", "PR2", "C2", "OUT", False),
    (2026, "R1", "PR1", "V3", "OUT", False),
])
def test_1015_own_provision_outside(year, place, provider, ls, location, fires):
    t = lac_tables(year, extra_frames=POSTCODES, Episodes=[ep(PLACE=place, PLACE_PROVIDER=provider, LS=ls)])
    derive(t, PL_LOCATION=[location], PL_LA=[OTHER if location == "OUT" else OWN])
    assert failing_rows(LAC, "1015", t) == ([0] if fires else [])


def test_1008_urn_not_in_provider_lists():
    providers = pd.DataFrame({"URN": ["SC000001", "1234567"], "PLACE_CODES": ["K2", "U1"],
                              "PROVIDER_CODES": ["PR4", "PR4"], "REG_END": pd.to_datetime([None, None]),
                              "POSTCODE": ["AB1 2CD", "AB3 4EF"], "PL_LA": [OWN, OWN]})
    episodes = [ep(URN="SC000001"), ep(URN="SC999999"), ep(URN="XXXXXXX"), ep(URN=None), ep(URN="1234567")]
    t = lac_tables(2026, extra_frames={"OfstedProviderLists": providers}, Episodes=episodes)
    assert failing_rows(LAC, "1008", t) == [1]
    assert "OfstedProviderLists" in LAC.get("1008", 2026).needs


# ---- last year's open episode -------------------------------------------------------------------------

LAST_OPEN = {"RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U1", "PLACE_PROVIDER": "PR1", "URN": "SC000001"}


def carried(this: dict, last: dict | None = None, last_dec: str | None = None, year: int = 2026, **kw):
    """Child 1: last year's latest episode (open unless last_dec) and this year's first episode."""
    previous = {"Episodes": [ep(decom="01/01/2024", dec="01/01/2025", REC="X1", **LAST_OPEN),
                             ep(decom="01/01/2025", dec=last_dec, **{**LAST_OPEN, **(last or {})})]}
    this_year = [ep(decom="01/01/2025", dec="01/06/2025", REC="X1", **{**LAST_OPEN, **this}),
                 ep(decom="01/06/2025", RNE="P", LS="C2", CIN="N5", PLACE="R1", PLACE_PROVIDER="PR4", URN="X")]
    return lac_tables(year, previous=previous, Episodes=this_year, **kw)


@pytest.mark.parametrize(("code", "col", "value"), [
    ("503A", "RNE", "L"), ("503B", "LS", "E1"), ("503C", "CIN", "N2"), ("503D", "PLACE", "U4"),
    ("503E", "PLACE_PROVIDER", "PR2"), ("503F", "URN", "SC000002"), ("503F", "URN", None),
])
def test_503_first_episode_matches_open_one(code, col, value):
    assert failing_rows(LAC, code, carried({col: value})) == [0]
    assert failing_rows(LAC, code, carried({})) == []
    assert failing_rows(LAC, code, carried({col: value}, last_dec="01/03/2025")) == []  # last year closed
    assert "Episodes_last" in LAC.get(code, 2026).needs


@pytest.mark.parametrize(("year", "last", "now", "fires"), [
    (2026, "Z1", "Z12", False), (2026, "Z1", "K3", True), (2027, "Z1", "Z12", True),
    (2025, "H5", "K3", False), (2025, "H5", "K2", True), (2026, "H5", "K3", True),
])
def test_503d_allowed_recodings(year, last, now, fires):
    t = carried({"PLACE": now}, last={"PLACE": last}, year=year)
    assert failing_rows(LAC, "503D", t) == ([0] if fires else [])


@pytest.mark.parametrize(("decom", "fires"), [("01/01/2025", False), ("02/01/2025", True)])
def test_502_first_decom_matches_open_one(decom, fires):
    t = lac_tables(2026, previous={"Episodes": [ep(decom="01/01/2025")]},
                   Episodes=[ep(decom="01/06/2025"), ep(decom=decom, dec="01/06/2025", REC="X1")])
    assert failing_rows(LAC, "502", t) == ([1] if fires else [])


def test_502_and_503_survive_bad_dates_and_still_report_others():
    # Child 1 has an unparseable DECOM this year, child 2 last year, child 3 an unparseable DEC last
    # year (not taken as open); child 4 is clean and must still be reported.
    previous = {"Episodes": [ep("1", "01/01/2025", **LAST_OPEN), ep("2", "31/02/2025", **LAST_OPEN),
                             ep("3", "01/01/2025", "31/02/2025", **LAST_OPEN), ep("4", "01/01/2025", **LAST_OPEN)]}
    this_year = [ep("1", "31/02/2025", RNE="L"), ep("2", "01/01/2025", RNE="L"), ep("3", "02/01/2025", RNE="L"),
                 ep("4", "02/01/2025", RNE="L")]
    t = lac_tables(2026, previous=previous, Episodes=this_year)
    assert failing_rows(LAC, "502", t) == [3]
    assert failing_rows(LAC, "503A", t) == [3]


@pytest.mark.parametrize(("code", "last", "now", "fires"), [
    ("503H", OWN, OTHER, True), ("503H", OWN, OWN, False), ("503H", None, OWN, True),
    ("503J", "IN", "OUT", True), ("503J", "OUT", "OUT", False),
    ("452", OWN, OTHER, True), ("452", OWN, OWN, False),
])
def test_carried_derived_codes(code, last, now, fires):
    col = "PL_LOCATION" if code == "503J" else "PL_LA"
    t = carried({}, extra_frames=POSTCODES)
    derive(t, "Episodes_last", **{col: [None, last]})
    derive(t, **{col: [now, None]})
    assert failing_rows(LAC, code, t) == ([0] if fires else [])


def test_452_only_when_the_same_episode_continues():
    t = carried({"RNE": "L"}, extra_frames=POSTCODES)
    derive(t, "Episodes_last", PL_LA=[None, OWN])
    derive(t, PL_LA=[OTHER, None])
    assert failing_rows(LAC, "452", t) == []


@pytest.mark.parametrize(("code", "last", "now", "fires"), [
    ("453", 10.0, 10.2, True), ("453", 10.0, 10.1, False), ("453", None, 3.0, True), ("453", 3.0, None, False),
    ("503G", 10.0, 10.2, False), ("503G", 10.0, 10.3, True), ("503G", None, 3.0, True),
    ("503G", 10.0, 10.0, False),
])
def test_carried_distance(code, last, now, fires):
    t = carried({}, extra_frames=POSTCODES)
    derive(t, "Episodes_last", PL_DISTANCE=[None, last])
    derive(t, PL_DISTANCE=[now, None])
    assert failing_rows(LAC, code, t) == ([0] if fires else [])


def test_562_continuing_episode_missing_last_year():
    previous = {"Episodes": [ep("1", "01/01/2025"), ep("2", "01/02/2025"), ep("5", "31/02/2025")]}
    this_year = [ep("1", "01/01/2025"), ep("2", "01/01/2025"), ep("3", "01/03/2025"), ep("4", "01/04/2025"),
                 ep("5", "01/01/2025")]
    t = lac_tables(2026, previous=previous, Episodes=this_year)
    assert failing_rows(LAC, "562", t) == [1, 2]


def test_last_year_rules_are_skipped_without_it():
    t = lac_tables(2026, Episodes=[ep()])
    assert not t.has("Episodes_last")
    for code in ["452", "453", "502", "503A", "503B", "503C", "503D", "503E", "503F", "503G", "503H", "503J",
                 "562"]:
        assert "Episodes_last" in LAC.get(code, 2026).needs, code


# ---- the module as a whole ----------------------------------------------------------------------------

MODULE_CODES = {r.code for r in LAC.rules if r.func.__module__.endswith("episodes_b")}


def test_every_rule_is_registered_for_its_years():
    assert len(MODULE_CODES) == 62
    assert {"445", "451"}.isdisjoint(MODULE_CODES)
    for code in MODULE_CODES - {"454"}:
        for year in (2025, 2026, 2027):
            assert LAC.get(code, year).code == code


def test_no_rule_raises_on_a_messy_return():
    mine = RuleSet("ssda903", child_column="CHILD",
                   rules=[r for r in LAC.rules if r.func.__module__.endswith("episodes_b")])
    previous = {"Episodes": [ep("1", "31/02/2025", **LAST_OPEN), ep("2", "01/01/2025", **LAST_OPEN),
                             ep("2", None, "bad", **LAST_OPEN)],
                "UASC": [{"CHILD": "2", "DOB": "nonsense"}]}
    episodes = [ep("1", "31/02/2025", "99/99/9999", REC="X1"), ep("1", None, RNE="P"), ep("2", "01/01/2025"),
                ep("3", "01/05/2025", "01/06/2025", REC="E11", PLACE="T0")]
    header = [hdr("1", DOB="31/02/2010", MC_DOB="bad"), hdr("2", DOB=None), hdr("3", SEX="F", DOB="01/01/2010")]
    providers = pd.DataFrame({"URN": pd.Series([], dtype="str")})
    t = lac_tables(2026, previous=previous, Header=header, Episodes=episodes, Reviews=[{"CHILD": "9"}],
                   extra_frames={**POSTCODES, "OfstedProviderLists": providers}, la_code="356")
    nan = float("nan")
    for name in ("Episodes", "Episodes_last"):
        n = len(t[name])
        derive(t, name, PL_LA=[None] * n, PL_LOCATION=[None] * n, PL_DISTANCE=[nan] * n,
               HOME_POST_valid=[None] * n, PL_POST_valid=[None] * n)
    result = run_rules(mine, t)
    assert result.failed_rules == []
    assert set(result.rule_status["status"]) == {"ran"}
    assert {"381", "390"} <= set(result.issues["rule_code"])


@pytest.mark.parametrize("empty", ["Header", "Episodes", "Episodes_last"])
def test_no_rule_raises_when_a_table_is_empty(empty):
    mine = RuleSet("ssda903", child_column="CHILD",
                   rules=[r for r in LAC.rules if r.func.__module__.endswith("episodes_b")])
    tables = {"Header": [hdr("1", SEX="F", DOB="01/01/2010")], "Episodes": [ep("1", REC="E11", PLACE="T0")]}
    previous = {"Episodes": [ep("1", "01/01/2025", **LAST_OPEN)]}
    if empty == "Episodes_last":
        previous["Episodes"] = []
    else:
        tables[empty] = []
    t = lac_tables(2026, previous=previous, extra_frames=POSTCODES, la_code="356", **tables)
    for name in ("Episodes", "Episodes_last"):
        n = len(t[name])
        derive(t, name, PL_LA=[None] * n, PL_LOCATION=[None] * n, PL_DISTANCE=[float("nan")] * n,
               HOME_POST_valid=[None] * n, PL_POST_valid=[None] * n)
    result = run_rules(mine, t)
    assert result.failed_rules == []
