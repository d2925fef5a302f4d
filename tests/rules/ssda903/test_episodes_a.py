"""Per-rule tests for schemas/rules/ssda903/episodes_a.py (codes 141-380). All values are made up."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from schemas.rules.ssda903 import LAC
from statreturns.engine import RuleSet, run_rules
from tests.rules.helpers import failing_rows, lac_tables

OPEN = None


def ep(child: str = "1", **kw) -> dict:
    return {"CHILD": child, **kw}


def rows(code: str, year: int = 2026, **tables) -> list[int]:
    return failing_rows(LAC, code, lac_tables(year, **tables))


def with_postcodes(t, pl_la=None, pl_location=None, pl_distance=None):
    """The tables as if the postcode directory had been loaded, with the derived Episodes columns given."""
    n = len(t.Episodes)
    derived = {
        "PL_LA": pl_la if pl_la is not None else [None] * n,
        "PL_LOCATION": pl_location if pl_location is not None else [None] * n,
        "PL_DISTANCE": pl_distance if pl_distance is not None else [np.nan] * n,
    }
    episodes = t.Episodes.assign(**{
        "PL_LA": pd.Series(derived["PL_LA"], index=t.Episodes.index, dtype="object"),
        "PL_LOCATION": pd.Series(derived["PL_LOCATION"], index=t.Episodes.index, dtype="object"),
        "PL_DISTANCE": pd.Series(derived["PL_DISTANCE"], index=t.Episodes.index, dtype="float"),
    })
    return replace(t, frames={**t.frames, "Episodes": episodes, "Postcodes": pd.DataFrame()})


def ofsted(*providers: dict) -> pd.DataFrame:
    cols = ["URN", "PLACE_CODES", "PROVIDER_CODES", "REG_END", "POSTCODE", "PL_LA"]
    frame = pd.DataFrame([{c: p.get(c) for c in cols} for p in providers], columns=cols, dtype="object")
    frame["REG_END"] = pd.to_datetime(frame["REG_END"], format="%d/%m/%Y")
    return frame


def with_ofsted(year: int = 2026, providers=(), **tables):
    return lac_tables(year, extra_frames={"OfstedProviderLists": ofsted(*providers)}, **tables)


# ---------------------------------------------------------------- registration

EXPECTED = ["141", "142", "143", "144", "145", "146", "147", "148", "149", "164", "169", "178", "179", "199",
            "207", "210", "213", "214", "217", "218", "219", "221", "222", "224", "225", "226", "227", "228",
            "229", "302", "336", "352", "353", "354", "355", "356", "357", "358", "359", "361", "362", "363",
            "364", "365", "366", "367", "371", "372", "373", "374", "375", "376", "377", "378", "379", "380"]


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_rules_registered_each_year(year):
    for code in EXPECTED:
        assert LAC.get(code, year).table in {"Episodes", "Header"}


@pytest.mark.parametrize("code", ["233", "234", "241", "242", "243"])
def test_new_2025_26_rules_not_in_2024_25(code):
    LAC.get(code, 2026)
    with pytest.raises(KeyError):
        LAC.get(code, 2025)


@pytest.mark.parametrize("code", ["217t", "230", "370"])
def test_rules_out_of_range_left_out(code):
    for year in (2025, 2026, 2027):
        with pytest.raises(KeyError):
            LAC.get(code, year)


# ---------------------------------------------------------------- 141-149

@pytest.mark.parametrize("code,column", [("141", "DECOM"), ("147", "DEC")])
def test_141_147_invalid_dates(code, column):
    values = ["31/02/2026", None, "01/04/2025", "unknown", "31/03/2026"]
    assert rows(code, Episodes=[ep(**{column: v}) for v in values]) == [0, 3]


def test_142_earlier_episode_not_ended():
    eps = [
        ep("1", DECOM="01/04/2025"),                                   # 0 not latest, open: fails
        ep("1", DECOM="01/06/2025"),                                   # 1 latest, open
        ep("2", DECOM="01/05/2025", DEC="01/06/2025", REC="X1"),       # 2 ended
        ep("2", DECOM="01/06/2025"),                                   # 3 latest
        ep("3", DECOM="01/05/2025", DEC="01/06/2025"),                 # 4 no REC: fails
        ep("3", DECOM="01/06/2025", DEC="01/07/2025", REC="E8"),       # 5 latest
        ep("4", DECOM="31/02/2025"),                                   # 6 DECOM not a date: not ordered
        ep("4", DECOM="01/06/2025"),                                   # 7
    ]
    assert rows("142", Episodes=eps) == [0, 4]


@pytest.mark.parametrize("code,column,good,bad", [
    ("143", "RNE", "S", "X"), ("144", "LS", "J3", "V1"), ("145", "CIN", "N8", "N9"), ("149", "REC", "E4A", "E4"),
])
def test_code_lists(code, column, good, bad):
    assert rows(code, Episodes=[ep(**{column: good}), ep(**{column: bad}), ep()]) == [1]


@pytest.mark.parametrize("year,place,fails", [
    (2025, "K3", False),   # peer lists "k3" for 2024/25 and rejects every K3; DfE allows it
    (2025, "Z1", False), (2025, "Z11", True), (2025, "H5", True),
    (2026, "Z1", True), (2026, "Z12", False), (2026, "k3", False), (2026, "P2", True),
    (2027, "Z14", False), (2027, "T4", False), (2027, None, False),
])
def test_146_place_codes_by_year(year, place, fails):
    assert rows("146", year, Episodes=[ep(PLACE=place)]) == ([0] if fails else [])


def test_148_dec_and_rec_together():
    eps = [ep(DEC="01/05/2025", REC="E8"), ep(DEC="01/05/2025"), ep(REC="E8"), ep(), ep(DEC="99/99/2025", REC="E8")]
    assert rows("148", Episodes=eps) == [1, 2]


# ---------------------------------------------------------------- 164-199

def test_164_distance():
    t = lac_tables(
        2026,
        previous={"UASC": [{"CHILD": "6", "DOB": "01/01/2008"}]},
        Header=[{"CHILD": c} for c in "123456"],
        UASC=[{"CHILD": "5", "DOB": "01/01/2009"}],
        Episodes=[ep("1", LS="C2"), ep("2", LS="C2"), ep("3", LS="C2"), ep("4", LS="V3"), ep("5", LS="C2"),
                  ep("6", LS="C2"), ep("1", LS="C2")],
    )
    t = with_postcodes(t, pl_distance=[3.5, np.nan, 1000.0, np.nan, 1200.0, 1500.0, 999.9])
    # 1: unknown distance; 2: out of range; 3: short break; 4/5: UASC this year / last year.
    assert failing_rows(LAC, "164", t) == [1, 2]


def test_164_skipped_without_postcodes():
    assert "Postcodes" in LAC.get("164", 2026).needs
    assert not lac_tables(2026, Episodes=[ep()]).has("Postcodes")


def test_169_placement_la_missing():
    t = lac_tables(2026, Episodes=[ep(LS="C2"), ep(LS="V4"), ep(LS="C2"), ep(LS="V2")])
    # E06000063 is a 2023 unitary, which the peer's 2021 lookup misses: it is a valid LA here.
    t = with_postcodes(t, pl_la=[None, None, "E06000063", "SCO"])
    assert failing_rows(LAC, "169", t) == [0]


@pytest.mark.parametrize("year,place,provider,fails", [
    (2026, "U1", "PR6", True), (2026, "U1", "PR1", False), (2026, "T4", "PR1", False),
    (2025, "T4", "PR1", True), (2026, "T3", "PR4", True), (2026, "Z11", "PR1", True),
    (2025, "Z1", "PR2", True), (2026, "T0", None, False),
])
def test_178_provider_codes(year, place, provider, fails):
    assert rows("178", year, Episodes=[ep(PLACE=place, PLACE_PROVIDER=provider)]) == ([0] if fails else [])


def test_179_placement_location_missing():
    t = lac_tables(2026, Episodes=[ep(LS="C2"), ep(LS="C2"), ep(LS="V3"), ep(LS="E1")])
    t = with_postcodes(t, pl_location=[None, "IN", None, "OUT"])
    assert failing_rows(LAC, "179", t) == [0]


def test_199_adopted_twice():
    this_year = [
        ep("1", DECOM="01/05/2025", DEC="01/06/2025", REC="E11"),   # 0 first adoption
        ep("1", DECOM="01/07/2025"),                                # 1 after it: fails
        ep("2", DECOM="01/05/2025"),                                # 2 adopted last year: fails with last year
        ep("3", DECOM="01/01/2025", DEC="01/05/2025", REC="E12"),   # 3 same episode as last year's open one
        ep("4", DECOM="01/05/2025"),                                # 4 never adopted
    ]
    last_year = [ep("2", DECOM="01/01/2024", DEC="01/02/2025", REC="E12"), ep("3", DECOM="01/01/2025")]
    assert rows("199", Episodes=this_year) == [1]
    t = lac_tables(2026, previous={"Episodes": last_year}, Episodes=this_year)
    assert failing_rows(LAC, "199", t) == [1, 2]


def test_207_mother_status():
    header = [{"CHILD": "1", "MOTHER": "0"}, {"CHILD": "2", "MOTHER": "1"}, {"CHILD": "3"},
              {"CHILD": "4", "MOTHER": "0"}, {"CHILD": "5", "MOTHER": "0"}]
    last = [{"CHILD": c, "MOTHER": m} for c, m in [("1", "1"), ("2", "1"), ("3", "1"), ("4", "1"), ("5", "0")]]
    t = lac_tables(2026, previous={"Header": last}, Header=header,
                   Episodes=[ep("1"), ep("2"), ep("3"), ep("5")])
    assert failing_rows(LAC, "207", t) == [0, 2]   # child 4 has no episodes this year
    assert "Header_last" in LAC.get("207", 2026).needs
    assert not lac_tables(2026, Header=header, Episodes=[ep("1")]).has("Header_last")


def test_210_un4_with_episode_from_24_march():
    header = [{"CHILD": "1", "UPN": "UN4"}, {"CHILD": "2", "UPN": "UN3"}]
    eps = [ep("1", DECOM="24/03/2026"), ep("1", DECOM="23/03/2026"), ep("2", DECOM="25/03/2026"),
           ep("1", DECOM="31/03/2026")]
    assert rows("210", Header=header, Episodes=eps) == [0, 3]


# ---------------------------------------------------------------- 213-243

@pytest.mark.parametrize("year,place,fails", [
    (2026, "T4", True), (2026, "Z13", True), (2026, "U1", False), (2025, "Z1", True), (2025, "K3", False),
])
def test_213_provider_not_required(year, place, fails):
    got = rows("213", year, Episodes=[ep(PLACE=place, PLACE_PROVIDER="PR1"), ep(PLACE=place)])
    assert got == ([0] if fails else [])


def test_214_short_break_location():
    eps = [ep(LS="V3", PL_POST="ZZ1 1ZZ"), ep(LS="V4", URN="1000001"), ep(LS="V3"), ep(LS="C2", PL_POST="ZZ1 1ZZ")]
    assert rows("214", Episodes=eps) == [0, 1]


def test_217_adoption_with_carers_rne():
    eps = [ep(PLACE="A3", RNE="P", DECOM="01/05/2025"), ep(PLACE="A5", RNE="S", DECOM="01/05/2025"),
           ep(PLACE="A3", RNE="P", DECOM="31/03/2015"), ep(PLACE="A4", RNE="P", DECOM="01/05/2025"),
           ep(PLACE="A5", DECOM="01/04/2015")]
    assert rows("217", Episodes=eps) == [0, 4]


def test_218_urn_required():
    eps = [
        ep(PLACE="U1", LS="C2"),                                    # 0 open, no URN: fails
        ep(PLACE="U1", LS="C2", DEC="31/03/2025"),                  # 1 ended before the year
        ep(PLACE="U1", LS="C2", DEC="01/04/2025"),                  # 2 ended on the first day: fails
        ep(PLACE="P1", LS="C2"),                                    # 3 exempt placement
        ep(PLACE="U1", LS="C2"),                                    # 4 placed in Wales
        ep(PLACE="K2", LS="V3"),                                    # 5 short break (peer flags it)
        ep(PLACE="U1", LS="C2", URN="1000001"),                     # 6 has a URN
        ep(PLACE="Z11", LS="C2"),                                   # 7 exempt from 2025/26
    ]
    pl_la = [None, None, None, None, "WAL", None, None, None]
    t = with_postcodes(lac_tables(2026, Episodes=eps), pl_la=pl_la)
    assert failing_rows(LAC, "218", t) == [0, 2]
    t = with_postcodes(lac_tables(2025, Episodes=[ep(PLACE="Z1", LS="C2"), ep(PLACE="Z11", LS="C2")]))
    assert failing_rows(LAC, "218", t) == [1]   # 2024/25 exempts Z1, not yet Z11-Z14


PROVIDERS = (
    {"URN": "1000001", "PLACE_CODES": "K2, R3", "PROVIDER_CODES": "PR4,PR5", "POSTCODE": "ZZ1 1ZZ",
     "REG_END": "01/10/2025", "PL_LA": "E09000001"},
    {"URN": "1000002", "PLACE_CODES": "U1,U4", "PROVIDER_CODES": "PR1", "POSTCODE": "ZZ2 2ZZ",
     "REG_END": None, "PL_LA": "E08000007"},
    {"URN": "1000003", "PLACE_CODES": "K2", "PROVIDER_CODES": "PR2", "POSTCODE": "ZZ3 3ZZ",
     "REG_END": "31/03/2026", "PL_LA": "E08000007"},
)


def test_219_urn_place_mismatch():
    eps = [ep(URN="1000001", PLACE="K2"), ep(URN="1000001", PLACE="U1"), ep(URN="9999999", PLACE="K2"),
           ep(URN="XXXXXXX", PLACE="A4"), ep(PLACE="U1"), ep(URN="1000002", PLACE="U4")]
    assert failing_rows(LAC, "219", with_ofsted(2026, PROVIDERS, Episodes=eps)) == [1, 2]


def test_219_skipped_without_lists():
    assert "OfstedProviderLists" in LAC.get("219", 2026).needs
    assert not lac_tables(2026, Episodes=[ep()]).has("OfstedProviderLists")


def test_221_urn_postcode_mismatch():
    eps = [
        ep(URN="1000001", PLACE="K2", PL_POST="zz11zz", LS="C2"),   # 0 same postcode, other spacing
        ep(URN="1000001", PLACE="K2", PL_POST="ZZ9 9ZZ", LS="C2"),  # 1 fails
        ep(URN="1000001", PLACE="K2", PL_POST="ZZ9 9ZZ", LS="V3"),  # 2 short break
        ep(URN="1000002", PLACE="U1", PL_POST="ZZ9 9ZZ", LS="C2"),  # 3 placement type not checked
        ep(URN="9999999", PLACE="K2", PL_POST="ZZ9 9ZZ", LS="C2"),  # 4 unknown URN (rule 219)
    ]
    assert failing_rows(LAC, "221", with_ofsted(2026, PROVIDERS, Episodes=eps)) == [1]


@pytest.mark.parametrize("year,place,urn,fails", [
    (2025, "Z1", "1000001", True), (2026, "Z11", "1000001", True), (2026, "R1", "XXXXXXX", False),
    (2026, "U1", "1000001", False), (2026, "T2", None, False), (2027, "P3", "1000001", True),
])
def test_222_urn_not_for_place(year, place, urn, fails):
    assert rows("222", year, Episodes=[ep(PLACE=place, URN=urn)]) == ([0] if fails else [])


def test_224_urn_provider_mismatch():
    eps = [ep(URN="1000001", PLACE_PROVIDER="PR4"), ep(URN="1000001", PLACE_PROVIDER="PR1"),
           ep(URN="1000001"), ep(URN="9999999", PLACE_PROVIDER="PR1"), ep(URN="XXXXXXX", PLACE_PROVIDER="PR1")]
    assert failing_rows(LAC, "224", with_ofsted(2026, PROVIDERS, Episodes=eps)) == [1, 2]


def test_225_place_change_reason_missing():
    eps = [
        ep("1", DECOM="01/05/2025", DEC="01/06/2025", REC="X1", PLACE="U1"),                  # 0 fails
        ep("1", DECOM="01/06/2025", RNE="P", PLACE="U4"),                                      # 1
        ep("2", DECOM="01/06/2025", RNE="B", PLACE="K2"),                                      # 2 next of 3
        ep("2", DECOM="01/05/2025", DEC="01/06/2025", REC="X1", PLACE="U1",
           REASON_PLACE_CHANGE="CARPL"),                                                       # 3 recorded
        ep("3", DECOM="01/05/2025", DEC="01/06/2025", REC="X1", PLACE="U1"),                  # 4 next is T1
        ep("3", DECOM="01/06/2025", RNE="P", PLACE="T1"),                                      # 5
        ep("4", DECOM="01/05/2025", DEC="01/06/2025", REC="X1", PLACE="U1"),                  # 6 next is RNE L
        ep("4", DECOM="01/06/2025", RNE="L", PLACE="U1"),                                      # 7
        ep("5", DECOM="01/06/2025", RNE="T", PLACE="U2"),                                      # 8 next, listed first
        ep("5", DECOM="01/05/2025", DEC="01/06/2025", REC="X1", PLACE="U1"),                  # 9 fails
    ]
    assert rows("225", Episodes=eps) == [0, 9]


def test_226_reason_on_or_before_temporary():
    eps = [
        ep("1", DECOM="01/05/2025", PLACE="U1", REASON_PLACE_CHANGE="CARPL"),   # 0 before a T1: fails
        ep("1", DECOM="01/06/2025", PLACE="T1"),                                # 1
        ep("2", DECOM="01/05/2025", PLACE="T2", REASON_PLACE_CHANGE="OTHER"),   # 2 fails
        ep("3", DECOM="01/05/2025", PLACE="U1", REASON_PLACE_CHANGE="CARPL"),   # 3 next is not temporary
        ep("3", DECOM="01/06/2025", PLACE="U2"),                                # 4
    ]
    assert rows("226", Episodes=eps) == [0, 2]


def test_227_urn_closed_before_start():
    eps = [ep(URN="1000001", DECOM="01/10/2025"), ep(URN="1000001", DECOM="30/09/2025"),
           ep(URN="1000002", DECOM="01/10/2025"), ep(URN="XXXXXXX", DECOM="01/10/2025")]
    assert failing_rows(LAC, "227", with_ofsted(2026, PROVIDERS, Episodes=eps)) == [0]


def test_228_urn_closed_before_end():
    eps = [ep(URN="1000001", DEC="02/10/2025"), ep(URN="1000001", DEC="01/10/2025"), ep(URN="1000001"),
           ep(URN="1000003"), ep(URN="1000002")]
    assert failing_rows(LAC, "228", with_ofsted(2026, PROVIDERS, Episodes=eps)) == [0, 2]


def test_229_provider_la_mismatch():
    eps = [
        ep(URN="1000003", PLACE="K2", PLACE_PROVIDER="PR1"),   # 0 provider in another LA: fails
        ep(URN="1000001", PLACE="K2", PLACE_PROVIDER="PR2"),   # 1 provider in own LA: fails
        ep(URN="1000001", PLACE="K2", PLACE_PROVIDER="PR1"),   # 2
        ep(URN="1000003", PLACE="K2", PLACE_PROVIDER="PR2"),   # 3
        ep(URN="1000003", PLACE="K3", PLACE_PROVIDER="PR1"),   # 4 K3 not checked
        ep(URN="9999999", PLACE="K2", PLACE_PROVIDER="PR1"),   # 5 unknown provider LA
    ]
    t = with_ofsted(2026, PROVIDERS, Episodes=eps)
    home = ["E09000001", None, None, None, None, None]
    located = with_postcodes(t, pl_la=home, pl_location=["IN", None, None, None, None, None])
    assert failing_rows(LAC, "229", located) == [0, 1]
    unknown_home = with_postcodes(t, pl_la=home, pl_location=[None] * 6)
    assert failing_rows(LAC, "229", unknown_home) == []


def test_233_reason_on_open_episode():
    eps = [ep(REASON_PLACE_CHANGE="CARPL"), ep(REASON_PLACE_CHANGE="CARPL", DEC="01/05/2025"), ep()]
    assert rows("233", 2026, Episodes=eps) == [0]


def test_234_custody_under_10():
    header = [{"CHILD": "1", "DOB": "15/06/2015"}]
    eps = [ep(DECOM="14/06/2025", REASON_PLACE_CHANGE="CUSTOD"), ep(DECOM="15/06/2025", REASON_PLACE_CHANGE="CUSTOD"),
           ep(DECOM="14/06/2025", REASON_PLACE_CHANGE="OTHER")]
    assert rows("234", 2027, Header=header, Episodes=eps) == [0]


def test_241_supported_accommodation_out_of_area():
    eps = [ep(PLACE="K3", URN="2000001"), ep(PLACE="K3", URN="2000001"), ep(PLACE="K3", URN="XXXXXXX"),
           ep(PLACE="K2", URN="2000001"), ep(PLACE="K3", URN="2000001")]
    t = with_postcodes(lac_tables(2026, Episodes=eps), pl_location=["OUT", "IN", "OUT", "OUT", None])
    assert failing_rows(LAC, "241", t) == [0]


def test_242_placeholder_urn():
    eps = [ep(URN="XXXXXXX", PLACE="K2"), ep(URN="XXXXXXX", PLACE="A4"), ep(URN="XXXXXXX", PLACE="U3"),
           ep(URN="1000001", PLACE="K2")]
    assert rows("242", 2026, Episodes=eps) == [0]


def test_243_urn_outside_england():
    eps = [ep(URN="1000001"), ep(URN="XXXXXXX"), ep(URN="1000001"), ep()]
    t = with_postcodes(lac_tables(2026, Episodes=eps), pl_la=["WAL", "SCO", "E09000001", "NIR"])
    assert failing_rows(LAC, "243", t) == [0, 1]


# ---------------------------------------------------------------- 302-359

def test_302_first_episode_before_birth():
    header = [{"CHILD": "1", "DOB": "10/05/2025"}, {"CHILD": "2", "DOB": "01/01/2020"}]
    eps = [ep("1", DECOM="09/05/2025"), ep("1", DECOM="01/06/2025"), ep("2", DECOM="31/02/2025"),
           ep("2", DECOM="01/01/2020")]
    # an unparseable DECOM (row 2) neither fails nor stops the rule (peer note)
    assert rows("302", Header=header, Episodes=eps) == [0]


def test_336_foster_before_adoption():
    eps = [
        ep("1", DECOM="01/05/2025", PLACE="U1"), ep("1", DECOM="01/06/2025", PLACE="A3"),   # 0, 1 ok
        ep("2", DECOM="01/06/2025", PLACE="A4"), ep("2", DECOM="01/05/2025", PLACE="T1"),   # 2 fails
        ep("3", DECOM="01/05/2025", PLACE="A3"),                                            # 4 first episode
        ep("4", DECOM="01/05/2025"), ep("4", DECOM="01/06/2025", PLACE="A4"),               # 6 fails
        ep("5", DECOM="01/05/2025", PLACE="K2"), ep("5", DECOM="01/06/2025", PLACE="A5"),   # A5 not in scope
        ep("6", DECOM="31/02/2025", PLACE="U1"), ep("6", DECOM="01/06/2025", PLACE="A3"),   # bad DECOM
    ]
    assert rows("336", Episodes=eps) == [2, 6]


def test_352_started_care_at_18():
    header = [{"CHILD": "1", "DOB": "01/06/2007"}]
    eps = [ep(RNE="S", DECOM="01/06/2025"), ep(RNE="S", DECOM="31/05/2025"), ep(RNE="P", DECOM="01/07/2025")]
    assert rows("352", Header=header, Episodes=eps) == [0]


@pytest.mark.parametrize("code,values,expected", [
    ("353", ["13/10/1991", "14/10/1991"], [0]),
    ("354", ["01/04/2026", "31/03/2026"], [0]),
])
def test_353_354_start_bounds(code, values, expected):
    assert rows(code, 2026, Episodes=[ep(DECOM=v) for v in values]) == expected


def test_355_356_episode_length():
    eps = [ep(DECOM="01/05/2025", DEC="01/05/2025"), ep(DECOM="01/05/2025", DEC="02/05/2025"),
           ep(DECOM="01/05/2025"), ep(DECOM="01/05/2025", DEC="30/04/2025")]
    assert rows("355", Episodes=eps) == [0]
    assert rows("356", Episodes=eps) == [3]


def test_357_first_episode_must_be_s():
    eps = [ep("1", DECOM="01/04/2025", RNE="P"), ep("2", DECOM="31/03/2025", RNE="P"),
           ep("3", DECOM="01/05/2025", RNE="S"), ep("4", DECOM="01/06/2025", RNE="P"),
           ep("4", DECOM="01/05/2025", RNE="S")]
    assert rows("357", Episodes=eps) == [0]


def test_358_youth_justice_under_10():
    header = [{"CHILD": "1", "DOB": "01/06/2015"}]
    eps = [ep(LS="J1", DECOM="01/06/2025"), ep(LS="J2", DECOM="02/06/2025"), ep(LS="J3", DECOM="01/05/2025"),
           ep(LS="C2", DECOM="01/05/2025")]
    assert rows("358", Header=header, Episodes=eps) == [0, 2]


def test_359_open_after_18():
    header = [{"CHILD": "1", "DOB": "30/03/2008"}, {"CHILD": "2", "DOB": "31/03/2008"}]
    eps = [ep("1", LS="C2", PLACE="U1"), ep("1", LS="V2", PLACE="K2"), ep("1", LS="C2", DEC="01/05/2025"),
           ep("2", LS="C2", PLACE="U1")]
    assert rows("359", Header=header, Episodes=eps) == [0]


# ---------------------------------------------------------------- 361-367

def test_361_police_protection_run():
    eps = [
        ep("1", LS="L1", DECOM="03/06/2025", DEC="05/06/2025"),   # 0 second half, listed first
        ep("1", LS="L1", DECOM="01/06/2025", DEC="03/06/2025"),   # 1 run of 4 days: both fail
        ep("1", LS="L1", DECOM="01/07/2025", DEC="04/07/2025"),   # 2 3 days
        ep("2", LS="L1", DECOM="29/03/2026"),                     # 3 open, 2 days to year end
        ep("3", LS="L1", DECOM="20/03/2026"),                     # 4 open, 11 days: fails
        ep("4", LS="L1", DECOM="01/06/2025", DEC="02/06/2025"),   # 5 gap breaks the run
        ep("4", LS="L1", DECOM="03/06/2025", DEC="05/06/2025"),   # 6
    ]
    assert rows("361", Episodes=eps) == [0, 1, 4]


@pytest.mark.parametrize("code,ls,limit", [("362", "L2", 21), ("363", "L3", 7), ("364", "J2", 21)])
def test_362_363_364_run_limits(code, ls, limit):
    start = pd.Timestamp(2025, 6, 1)
    day = lambda n: (start + pd.Timedelta(days=n)).strftime("%d/%m/%Y")  # noqa: E731
    eps = [
        ep("1", LS=ls, DECOM=day(0), DEC=day(limit)),            # exactly the limit
        ep("2", LS=ls, DECOM=day(0), DEC=day(limit + 1)),        # one day over: fails
        ep("3", LS=ls, DECOM=day(limit), DEC=day(limit + 1)),    # later piece listed first: fails
        ep("3", LS=ls, DECOM=day(0), DEC=day(limit)),            # earlier piece: fails
        ep("4", LS="C2", DECOM=day(0), DEC=day(limit + 5)),      # other legal status
        # three pieces in file order first, last, middle: only sorted by DECOM do they make one run
        ep("5", LS=ls, DECOM=day(0), DEC=day(1)),
        ep("5", LS=ls, DECOM=day(limit), DEC=day(limit + 1)),
        ep("5", LS=ls, DECOM=day(1), DEC=day(limit)),
    ]
    assert rows(code, Episodes=eps) == [1, 2, 3, 5, 6, 7]


def test_365_short_break_length_and_no_mutation():
    eps = [ep(LS="V3", DECOM="01/05/2025", DEC="19/05/2025"), ep(LS="V3", DECOM="01/05/2025", DEC="18/05/2025"),
           ep(LS="V3", DECOM="10/03/2026"), ep(LS="V2", DECOM="01/05/2025", DEC="01/07/2025"),
           ep(LS="V3", DECOM="25/03/2026")]
    t = lac_tables(2026, Episodes=eps)
    before = t.Episodes.copy()
    assert failing_rows(LAC, "365", t) == [0, 2]
    pd.testing.assert_frame_equal(t.Episodes, before)   # open episodes stay open for later rules
    assert t.Episodes["DEC"].isna().sum() == 2


def test_366_short_break_rne():
    eps = [ep(LS="V3", RNE="P"), ep(LS="V3", RNE="S"), ep(LS="V4", RNE="P"), ep(LS="V3")]
    assert rows("366", Episodes=eps) == [0, 3]


def test_367_short_breaks_over_75_days():
    eps = [
        ep("1", LS="V3", DECOM="01/03/2025", DEC="11/04/2025"),   # 10 days in the year
        ep("1", LS="V3", DECOM="01/05/2025", DEC="06/07/2025"),   # 66 days: total 76, both fail
        ep("1", LS="V3", DECOM="01/01/2025", DEC="01/02/2025"),   # before the year: not counted
        ep("2", LS="V3", DECOM="01/05/2025", DEC="15/07/2025"),   # 75 days exactly
        ep("3", LS="V3", DECOM="01/01/2026"),                     # open: 89 days to 31 March, fails
    ]
    assert rows("367", Episodes=eps) == [0, 1, 4]


# ---------------------------------------------------------------- 371-380

@pytest.mark.parametrize("code,place,age", [("371", "K3", 16), ("372", "R5", 10), ("373", "S1", 4),
                                            ("374", "P3", 14)])
@pytest.mark.parametrize("year", [2025, 2026])
def test_371_374_placement_minimum_age(code, place, age, year):
    dob = pd.Timestamp(2025, 6, 1) - pd.DateOffset(years=age)
    header = [{"CHILD": "1", "DOB": dob.strftime("%d/%m/%Y")}]
    eps = [
        ep(PLACE=place, DECOM="31/05/2025", DEC="10/06/2025"),   # closed, day before the birthday
        ep(PLACE=place, DECOM="31/05/2025"),                     # open (the peer skips these): fails
        ep(PLACE=place, DECOM="01/06/2025"),                     # on the birthday
        ep(PLACE="U1", DECOM="31/05/2025"),
    ]
    assert rows(code, year, Header=header, Episodes=eps) == [0, 1]


@pytest.mark.parametrize("code,place,limit", [("375", "T1", 42), ("376", "T3", 21), ("379", "T4", 7)])
def test_375_376_379_temporary_lengths(code, place, limit):
    start = pd.Timestamp(2025, 6, 1)
    day = lambda n: (start + pd.Timedelta(days=n)).strftime("%d/%m/%Y")  # noqa: E731
    eps = [ep(PLACE=place, DECOM=day(0), DEC=day(limit)), ep(PLACE=place, DECOM=day(0), DEC=day(limit + 1)),
           ep(PLACE=place, DECOM="01/05/2025"), ep(PLACE="U1", DECOM=day(0), DEC=day(limit + 1))]
    assert rows(code, Episodes=eps) == [1]


def test_377_too_many_carer_holidays():
    eps = [ep("1", PLACE="T3"), ep("1", PLACE="T3"), ep("1", PLACE="U1"), ep("1", PLACE="T3"),
           ep("2", PLACE="T3"), ep("2", PLACE="T3")]
    assert rows("377", Episodes=eps) == [0, 1, 3]


def test_378_with_parents_under_s20():
    assert rows("378", Episodes=[ep(PLACE="P1", LS="V2"), ep(PLACE="P1", LS="C2"), ep(PLACE="U1", LS="V2")]) == [0]


def test_380_period_starts_temporary():
    eps = [ep(PLACE="T0", RNE="S"), ep(PLACE="T1", RNE="P"), ep(PLACE="T4", RNE="B"), ep(PLACE="T2"),
           ep(PLACE="U1", RNE="S")]
    assert rows("380", Episodes=eps) == [0, 3]


# ---------------------------------------------------------------- robustness

def _mine() -> RuleSet:
    return RuleSet("ssda903", child_column="CHILD",
                   rules=[r for r in LAC.rules if r.func.__module__.endswith("episodes_a")])


def _everything(t, providers=()):
    t = with_postcodes(t)
    return replace(t, frames={**t.frames, "OfstedProviderLists": ofsted(*providers)})


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_no_rule_raises_on_a_messy_return(year):
    eps = [ep("1", DECOM="31/02/2025", DEC="99/99/9999", REC="X1", LS="L1", PLACE="T3", URN="1000001"),
           ep("1", RNE="P", LS="V3", PLACE="K3", URN="1000001"), ep("2", DECOM="01/01/2025", LS="L1"),
           ep(None, DECOM="01/05/2025", LS="V3", PLACE="T3"), ep("3", DECOM="01/05/2025", REC="E11")]
    header = [{"CHILD": "1", "DOB": "31/02/2010"}, {"CHILD": "2"}, {"CHILD": "1", "DOB": "01/01/2010"}]
    t = lac_tables(year, previous={"Episodes": [ep("3", DECOM="bad", REC="E12")], "Header": [{"CHILD": "2"}],
                                   "UASC": [{"CHILD": None}]},
                   Header=header, UASC=[{"CHILD": "2"}], Episodes=eps, la_code="356")
    result = run_rules(_mine(), _everything(t, PROVIDERS[:1]))
    assert result.failed_rules == []
    assert set(result.rule_status["status"]) == {"ran"}


@pytest.mark.parametrize("empty", ["Episodes", "Header", "providers"])
def test_no_rule_raises_when_a_table_is_empty(empty):
    eps = [] if empty == "Episodes" else [ep(DECOM="01/05/2025", PLACE="K2", URN="1000001")]
    header = [] if empty == "Header" else [{"CHILD": "1", "DOB": "01/01/2010"}]
    providers = () if empty == "providers" else PROVIDERS
    t = lac_tables(2026, previous={"Episodes": [], "Header": []}, Header=header, Episodes=eps, la_code="356")
    result = run_rules(_mine(), _everything(t, providers))
    assert result.failed_rules == []
