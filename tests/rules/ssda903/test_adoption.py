"""Rules on AD1, PlacedAdoption and PrevPerm (schemas/rules/ssda903/adoption.py). Year 2026 unless said:
collection year 1 April 2025 - 31 March 2026. All values are made up."""

from __future__ import annotations

import pytest

from schemas.rules.ssda903 import LAC
from tests.rules.helpers import failing_rows, lac_tables, run_903_module_on_junk

FULL_AD1 = {"DATE_INT": "01/05/2025", "DATE_MATCH": "01/07/2025", "FOSTER_CARE": "0", "NB_ADOPTR": "2",
            "SEX_ADOPTR": "MF", "LS_ADOPTR": "L11"}


def ad1(child: str = "1", **kw) -> dict:
    return {"CHILD": child, **kw}


def ep(child: str = "1", decom: str = "01/05/2025", **kw) -> dict:
    return {"CHILD": child, "DECOM": decom, "RNE": "S", "LS": "C2", "PLACE": "U1", **kw}


def pa(child: str = "1", placed: str | None = "01/05/2025", ceased: str | None = None, reason: str | None = None,
       **kw) -> dict:
    return {"CHILD": child, "DATE_PLACED": placed, "DATE_PLACED_CEASED": ceased, "REASON_PLACED_CEASED": reason,
            **kw}


def pp(child: str = "1", **kw) -> dict:
    return {"CHILD": child, **kw}


# --- single-table validity -----------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "table", "column", "values", "expected"), [
    ("112", "AD1", "DATE_INT", ["31/02/2025", None, "01/04/2025", "2025-04-01"], [0, 3]),
    ("113", "AD1", "DATE_MATCH", ["01/13/2025", "31/03/2026", None], [0]),
    ("114", "AD1", "FOSTER_CARE", ["0", "1", "2", None, "Y"], [2, 4]),
    ("115", "PlacedAdoption", "DATE_PLACED", ["32/01/2025", "01/04/2025", None], [0]),
    ("116", "PlacedAdoption", "DATE_PLACED_CEASED", ["x", "31/03/2026", None], [0]),
    ("120", "PlacedAdoption", "REASON_PLACED_CEASED", ["RD1", "RD4", "RD5", None, "rd2"], [2]),
    ("175", "AD1", "NB_ADOPTR", ["1", "2", "3", None], [2]),
    ("176", "AD1", "SEX_ADOPTR", ["M1", "F1", "MM", "FF", "MF", "FM", None], [5]),
    ("177", "AD1", "LS_ADOPTR", ["L0", "L11", "L12", "L2", "L3", "L4", "L1", None], [6]),
    ("631", "PrevPerm", "PREV_PERM", ["P1", "P4", "Z1", "P5", None], [3]),
    ("633", "PrevPerm", "LA_PERM", ["356", "942", "WAL", "NUK", "999", "123", "ABC", None], [5, 6]),
])
def test_code_and_date_validity(code, table, column, values, expected):
    rows = [{"CHILD": str(i), column: v} for i, v in enumerate(values)]
    t = lac_tables(2026, **{table: rows})
    assert failing_rows(LAC, code, t) == expected


def test_119_date_and_reason_together():
    t = lac_tables(PlacedAdoption=[pa(ceased="01/06/2025", reason="RD1"), pa(ceased="01/06/2025"),
                                   pa(reason="RD2"), pa(), pa(ceased="99/99/2025", reason="RD1")])
    assert failing_rows(LAC, "119", t) == [1, 2]


def test_151_all_or_none():
    t = lac_tables(AD1=[ad1(**FULL_AD1), ad1(), ad1(**{**FULL_AD1, "LS_ADOPTR": None}), ad1(DATE_INT="bad")])
    assert failing_rows(LAC, "151", t) == [2, 3]


@pytest.mark.parametrize(("code", "cases", "expected"), [
    ("511", [("2", "M1", None), ("2", "MF", None), ("1", "M1", None), ("2", None, None)], [0]),
    ("514", [(None, "MF", "L0"), (None, "F1", "L0"), (None, None, "L0")], [0]),
    ("517", [(None, "MM", "L3"), (None, "MF", "L3"), (None, "MM", "L4")], [0]),
    ("518", [(None, "MF", "L4"), (None, "FF", "L4"), (None, "MM", "L4")], [0]),
    ("519", [(None, "F1", "L2"), (None, "FF", "L2"), (None, "MF", "L2")], [0]),
    ("520", [(None, "FF", "L11"), (None, "MF", "L11"), (None, "FF", "L12")], [0]),
    ("524", [(None, "MF", "L12"), (None, "MM", "L12"), (None, "MF", "L11")], [0]),
])
def test_adopter_sex_against_number_and_status(code, cases, expected):
    rows = [ad1(str(i), NB_ADOPTR=n, SEX_ADOPTR=s, LS_ADOPTR=ls) for i, (n, s, ls) in enumerate(cases)]
    assert failing_rows(LAC, code, lac_tables(AD1=rows)) == expected


def test_333_date_int_needed_and_not_after_match():
    t = lac_tables(AD1=[ad1(DATE_INT="01/05/2025", DATE_MATCH="01/05/2025"),
                        ad1(DATE_INT="02/05/2025", DATE_MATCH="01/05/2025"),
                        ad1(DATE_MATCH="01/05/2025"), ad1(DATE_INT="01/05/2025")])
    assert failing_rows(LAC, "333", t) == [1, 2]


def test_522_ceased_before_placed():
    t = lac_tables(PlacedAdoption=[pa(placed="01/05/2025", ceased="30/04/2025"),
                                   pa(placed="01/05/2025", ceased="01/05/2025"), pa(placed=None, ceased="01/05/2025")])
    assert failing_rows(LAC, "522", t) == [0]


def test_563_ceased_without_date_placed():
    t = lac_tables(PlacedAdoption=[pa(placed=None, ceased="01/06/2025", reason="RD1"),
                                   pa(placed="01/05/2025", ceased="01/06/2025", reason="RD1"),
                                   pa(placed=None, ceased="01/06/2025")])
    assert failing_rows(LAC, "563", t) == [0]


def test_579_decisions_must_not_overlap():
    t = lac_tables(PlacedAdoption=[
        pa("1", "01/05/2024", None), pa("1", "01/06/2025"),                 # first still open
        pa("2", "01/05/2024", "10/06/2025", "RD1"), pa("2", "01/06/2025"),  # starts before ceased
        pa("3", "01/05/2024", "01/06/2025", "RD1"), pa("3", "01/06/2025"),  # same day: fine
        pa("4", "01/05/2025"),
    ])
    assert failing_rows(LAC, "579", t) == [1, 3]


def test_583_orders_by_date_not_text():
    # As text "05/01/2026" < "20/12/2025"; as dates the January decision is the later one.
    t = lac_tables(PlacedAdoption=[pa("1", "20/12/2025"), pa("1", "05/01/2026"),
                                   pa("2", "20/12/2025", "01/01/2026", "RD1"), pa("2", "05/01/2026")])
    assert failing_rows(LAC, "583", t) == [0]


# --- cross-table ---------------------------------------------------------------------------------------

def test_117_after_year_or_after_care_ended():
    t = lac_tables(
        Episodes=[ep("1", "01/04/2024", DEC="01/09/2025", REC="E13"), ep("2", "01/04/2024"),
                  ep("3", "01/04/2024", DEC="01/08/2025", REC="X1"), ep("3", "01/08/2025", RNE="P")],
        PlacedAdoption=[pa("1", "01/05/2025", "02/09/2025", "RD1"), pa("1", "01/09/2025"),
                        pa("2", "01/04/2026"), pa("2", "31/03/2026"), pa("3", "01/09/2025")])
    assert failing_rows(LAC, "117", t) == [0, 2]


def test_118_ceased_before_year_or_before_care():
    t = lac_tables(
        Episodes=[ep("1", "01/10/2025"), ep("1", "01/05/2025", LS="V3"), ep("2", "31/02/2025"),
                  ep("2", "01/04/2024")],
        PlacedAdoption=[pa("1", ceased="01/06/2025", reason="RD1"), pa("1", ceased="01/11/2025", reason="RD1"),
                        pa("2", ceased="31/03/2025", reason="RD1"), pa("2", ceased="01/04/2025", reason="RD1")])
    # Child 2's unparseable DECOM does not stop the rule.
    assert failing_rows(LAC, "118", t) == [0, 2]


def test_134_adoption_for_oc3_child():
    t = lac_tables(AD1=[ad1("1", **FULL_AD1), ad1("2", **FULL_AD1), ad1("3")],
                   OC3=[{"CHILD": "1", "IN_TOUCH": "YES"}, {"CHILD": "3", "IN_TOUCH": "YES"}])
    assert failing_rows(LAC, "134", t) == [0]
    assert "OC3" in LAC.get("134", 2026).needs


def test_184_placed_before_birth():
    t = lac_tables(Header=[{"CHILD": "1", "DOB": "10/05/2020"}],
                   PlacedAdoption=[pa("1", "09/05/2020"), pa("1", "10/05/2020")])
    assert failing_rows(LAC, "184", t) == [0]


def test_187_looked_after_12_months_with_adoption_or_oc3():
    header = [{"CHILD": c} for c in "123456"]
    episodes = [ep("1", "01/01/2024"), ep("2", "01/01/2024"), ep("3", "01/01/2024"),
                ep("4", "02/04/2025"),                                      # started in the year
                ep("5", "01/01/2024", DEC="01/12/2025", REC="E11"),         # left care in the year
                ep("6", "01/01/2024", DEC="01/07/2025", REC="X1"), ep("6", "01/07/2025", RNE="P")]
    ad1_rows = [ad1("1", **FULL_AD1), ad1("4", **FULL_AD1), ad1("5", **FULL_AD1), ad1("6", **FULL_AD1)]
    oc3 = [{"CHILD": "2", "ACCOM": "Z1"}, {"CHILD": "3"}]
    t = lac_tables(Header=header, Episodes=episodes, AD1=ad1_rows, OC3=oc3)
    assert failing_rows(LAC, "187", t) == [0, 1, 5]
    # Runs without OC3 too.
    t = lac_tables(Header=header, Episodes=episodes, AD1=ad1_rows)
    assert failing_rows(LAC, "187", t) == [0, 5]


def test_187_started_on_1_april_counts_as_12_months():
    t = lac_tables(Header=[{"CHILD": "1"}], Episodes=[ep("1", "01/04/2025")], AD1=[ad1("1", **FULL_AD1)])
    assert failing_rows(LAC, "187", t) == [0]


def test_331_and_582_match_against_adoption_episode():
    episodes = [ep("1", "01/06/2025", DEC="01/12/2025", REC="E11"), ep("2", "01/06/2025", DEC="01/12/2025",
                                                                         REC="E12"), ep("3", "01/06/2025")]
    t = lac_tables(Episodes=episodes, AD1=[ad1("1", DATE_MATCH="02/06/2025"), ad1("2", DATE_MATCH="01/12/2025"),
                                           ad1("3", DATE_MATCH="01/12/2025")])
    assert failing_rows(LAC, "331", t) == [0, 1]
    assert failing_rows(LAC, "582", t) == [1]


def test_334_date_int_before_latest_period_of_care():
    t = lac_tables(Episodes=[ep("1", "01/01/2020", DEC="01/01/2021", REC="E4A"), ep("1", "01/06/2024"),
                             ep("2", "31/02/2024"), ep("2", "01/06/2024")],
                   AD1=[ad1("1", DATE_INT="01/03/2024"), ad1("2", DATE_INT="01/06/2024")])
    assert failing_rows(LAC, "334", t) == [0]


def test_335_foster_care_against_adoption_placement():
    t = lac_tables(Episodes=[ep("1", PLACE="A3", DEC="01/12/2025", REC="E11"),
                             ep("2", PLACE="A6", DEC="01/12/2025", REC="E12"),
                             ep("3", PLACE="A5", DEC="01/12/2025", REC="E11"),
                             ep("4", PLACE="A4", DEC="01/12/2025", REC="E13")],
                   AD1=[ad1("1", FOSTER_CARE="0"), ad1("2", FOSTER_CARE="1"), ad1("3", FOSTER_CARE="1"),
                        ad1("4", FOSTER_CARE="1")])
    assert failing_rows(LAC, "335", t) == [0, 1]


def test_521_date_int_after_adoption_placement():
    t = lac_tables(Episodes=[ep("1", "01/06/2025", PLACE="U1"), ep("1", "01/08/2025", PLACE="A5"),
                             ep("2", "01/08/2025", PLACE="A6")],
                   AD1=[ad1("1", DATE_INT="02/08/2025"), ad1("2", DATE_INT="01/08/2025")])
    assert failing_rows(LAC, "521", t) == [0]


def test_523_date_int_equals_latest_decision():
    t = lac_tables(PlacedAdoption=[pa("1", "01/01/2025", "01/02/2025", "RD1"), pa("1", "01/05/2025"),
                                   pa("2", "01/05/2025")],
                   AD1=[ad1("1", DATE_INT="01/05/2025"), ad1("2", DATE_INT="02/05/2025"), ad1("3", DATE_INT="01/05/2025")])
    assert failing_rows(LAC, "523", t) == [1]


def test_525_and_558_all_decisions_reversed():
    t = lac_tables(
        PlacedAdoption=[pa("1", "01/01/2025", "01/02/2025", "RD1"),
                        pa("2", "01/01/2025", "01/02/2025", "RD1"), pa("2", "01/05/2025")],
        AD1=[ad1("1", **FULL_AD1), ad1("2", **FULL_AD1)],
        Episodes=[ep("1", DEC="01/12/2025", REC="E11"), ep("2", DEC="01/12/2025", REC="E11")])
    assert failing_rows(LAC, "525", t) == [0]
    assert failing_rows(LAC, "558", t) == []  # one ceased decision: 525's, not 558's (see test_issue11)


def test_558_not_adopted_is_fine():
    t = lac_tables(PlacedAdoption=[pa("1", "01/01/2025", "01/02/2025", "RD1")],
                   Episodes=[ep("1", DEC="01/12/2025", REC="E4A")])
    assert failing_rows(LAC, "558", t) == []


def test_551_adoption_placement_needs_decision():
    t = lac_tables(Episodes=[ep("1", PLACE="A3"), ep("2", PLACE="A4"), ep("3", PLACE="U1"), ep("4", PLACE="A5")],
                   PlacedAdoption=[pa("1"), pa("4", placed=None)])
    assert failing_rows(LAC, "551", t) == [1, 3]


def test_552_latest_decision_after_first_adoption_placement():
    t = lac_tables(Episodes=[ep("1", "01/06/2025", PLACE="A3"), ep("2", "01/06/2025", PLACE="A3")],
                   PlacedAdoption=[pa("1", "01/01/2025", "01/02/2025", "RD1"), pa("1", "02/06/2025"),
                                   pa("2", "01/06/2025")])
    assert failing_rows(LAC, "552", t) == [1]


def test_553_placement_order_needs_decision_in_force():
    t = lac_tables(Episodes=[ep("1", LS="E1"), ep("2", LS="E1"), ep("3", LS="E1"),
                             ep("4", LS="E1", DEC="01/09/2025", REC="E4A"), ep("5", LS="C2")],
                   PlacedAdoption=[pa("2"), pa("3", ceased="01/06/2025", reason="RD1"),
                                   pa("4", ceased="01/06/2025", reason="RD1")])
    assert failing_rows(LAC, "553", t) == [0, 2]


def test_554_decision_after_placement_order():
    t = lac_tables(Episodes=[ep("1", "01/06/2025", LS="C2"), ep("1", "01/08/2025", LS="E1")],
                   PlacedAdoption=[pa("1", "02/08/2025"), pa("1", "01/08/2025")])
    assert failing_rows(LAC, "554", t) == [0]


def test_557_left_care_from_adoption_plan_without_reversal():
    t = lac_tables(Episodes=[ep("1", PLACE="A3", DEC="01/12/2025", REC="E4A"),
                             ep("2", LS="E1", DEC="01/12/2025", REC="E13"),
                             ep("3", PLACE="A3", DEC="01/12/2025", REC="E11"),
                             ep("4", PLACE="A3", DEC="01/12/2025", REC="E4A"),
                             ep("5", PLACE="A3")],
                   PlacedAdoption=[pa("1"), pa("2", ceased="01/12/2025"),
                                   pa("4", ceased="01/12/2025", reason="RD1")])
    assert failing_rows(LAC, "557", t) == [0, 1]


def test_601_adopted_needs_complete_ad1():
    t = lac_tables(Episodes=[ep("1", DEC="01/12/2025", REC="E11"), ep("2", DEC="01/12/2025", REC="E12"),
                             ep("3", DEC="01/12/2025", REC="E12"), ep("4", DEC="01/04/2026", REC="E11")],
                   AD1=[ad1("1", **FULL_AD1), ad1("2", **{**FULL_AD1, "SEX_ADOPTR": None})])
    assert failing_rows(LAC, "601", t) == [1, 2]


def test_602_ad1_without_adoption_in_year():
    t = lac_tables(Episodes=[ep("1", DEC="31/03/2026", REC="E11"), ep("2", DEC="01/12/2025", REC="E13")],
                   AD1=[ad1("1", **FULL_AD1), ad1("2", **FULL_AD1), ad1("3")])
    assert failing_rows(LAC, "602", t) == [1]


def test_1003_decision_before_care_started():
    t = lac_tables(Episodes=[ep("1", "01/05/2025"), ep("2", "bad"), ep("2", "01/05/2025")],
                   PlacedAdoption=[pa("1", "30/04/2025"), pa("1", "01/05/2025"), pa("2", "30/04/2025")])
    assert failing_rows(LAC, "1003", t) == [0, 2]


# --- last year's PlacedAdoption ------------------------------------------------------------------------

def test_559_old_decision_must_be_in_last_year():
    t = lac_tables(PlacedAdoption=[pa("1", "01/03/2025"), pa("2", "01/03/2025"), pa("3", "01/04/2025")],
                   previous={"PlacedAdoption": [pa("1", "01/03/2025"), pa("2", "02/03/2025")]})
    assert failing_rows(LAC, "559", t) == [1]


def test_559_skipped_without_last_year():
    t = lac_tables(PlacedAdoption=[pa("1", "01/03/2025")])
    assert not t.has("PlacedAdoption_last")
    assert "PlacedAdoption_last" in LAC.get("559", 2026).needs


def test_560_open_decision_must_keep_its_date():
    t = lac_tables(PlacedAdoption=[pa("1", "02/03/2025"), pa("2", "01/03/2025", "01/06/2025", "RD1"),
                                   pa("2", "01/07/2025"), pa("3", "05/05/2025")],
                   previous={"PlacedAdoption": [pa("1", "01/03/2025"), pa("2", "01/03/2025"),
                                                pa("3", "01/01/2025", "01/02/2025", "RD1")]})
    assert failing_rows(LAC, "560", t) == [0]


def test_561_ceased_decision_not_repeated():
    t = lac_tables(PlacedAdoption=[pa("1", "01/03/2025"), pa("2", "01/03/2025")],
                   previous={"PlacedAdoption": [pa("1", "01/03/2025", "01/03/2025", "RD1"), pa("2", "01/03/2025")]})
    assert failing_rows(LAC, "561", t) == [0]


def test_584_new_decision_after_ceased_one_compares_dates():
    # As text "05/01/2025" < "20/12/2024"; as dates it is later, so row 0 is fine.
    t = lac_tables(PlacedAdoption=[pa("1", "05/01/2025"), pa("2", "19/12/2024"), pa("3", None), pa("4", "01/01/2025")],
                   previous={"PlacedAdoption": [pa("1", "20/12/2024", "22/12/2024", "RD1"),
                                                pa("2", "20/12/2024", "22/12/2024", "RD1"),
                                                pa("3", "20/12/2024", "22/12/2024", "RD1"),
                                                pa("4", "20/12/2024")]})
    assert failing_rows(LAC, "584", t) == [1, 2]


# --- PrevPerm ------------------------------------------------------------------------------------------

def test_630_started_care_needs_previous_permanence():
    t = lac_tables(Episodes=[ep("1", "01/04/2025"), ep("2", "01/05/2025"), ep("3", "01/05/2025"),
                             ep("4", "01/05/2025"), ep("5", "31/03/2025"), ep("6", "01/05/2025", RNE="P")],
                   PrevPerm=[pp("1", PREV_PERM="Z1"), pp("2", PREV_PERM="P2"),
                             pp("3", PREV_PERM="P2", LA_PERM="356", DATE_PERM="ZZ/ZZ/2019")])
    assert failing_rows(LAC, "630", t) == [1, 3]


def test_632_date_perm_valid_and_before_care():
    t = lac_tables(Episodes=[ep(str(i), "01/05/2020") for i in range(8)],
                   PrevPerm=[pp("0", DATE_PERM="01/01/2019"), pp("1", DATE_PERM="ZZ/ZZ/2019"),
                             pp("2", DATE_PERM="ZZ/05/2020"), pp("3", DATE_PERM="ZZ/13/2019"),
                             pp("4", DATE_PERM="31/02/2019"), pp("5", DATE_PERM="01/05/2020"),
                             pp("6", DATE_PERM="zz/06/2020"), pp("7")])
    # Row 2 could be 1-31 May 2020: its earliest date equals DECOM, so it is reported (not certainly before).
    assert failing_rows(LAC, "632", t) == [2, 3, 4, 5, 6]


def test_634_details_only_for_children_starting_in_year():
    t = lac_tables(Episodes=[ep("1", "01/05/2020"), ep("2", "01/05/2020"), ep("2", "01/04/2025", RNE="P"),
                             ep("3", "01/05/2020")],
                   PrevPerm=[pp("1", PREV_PERM="Z1"), pp("2", PREV_PERM="Z1"), pp("3")])
    assert failing_rows(LAC, "634", t) == [0]


def test_635_details_with_z1_or_blank_option():
    t = lac_tables(PrevPerm=[pp("1", PREV_PERM="Z1", LA_PERM="356"), pp("2", DATE_PERM="01/01/2019"),
                             pp("3", PREV_PERM="P1", LA_PERM="356", DATE_PERM="01/01/2019"), pp("4", PREV_PERM="Z1")])
    assert failing_rows(LAC, "635", t) == [0, 1]


def test_rules_run_in_every_year_2025_to_2027():
    for year in (2025, 2026, 2027):
        assert LAC.get("583", year).code == "583"
    with pytest.raises(KeyError):
        LAC.get("555", 2026)


# --- robustness: no rule raises on empty, blank or junk tables ------------------------------------------

@pytest.mark.parametrize("year", [2025, 2026, 2027])
@pytest.mark.parametrize("shape", ["empty", "blank", "junk"])
def test_no_rule_raises(year, shape):
    run_903_module_on_junk(LAC, "adoption", year, shape)
