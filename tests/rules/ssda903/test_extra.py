"""The optional "extra" set (schemas/rules/ssda903/extra.py). Year 2026 unless said. All values are made up."""

from __future__ import annotations

import pytest

from schemas.rules.ssda903 import LAC
from tests.rules.helpers import failing_rows, lac_tables, run_903_module_on_junk

EXTRA_CODES = ["3001", "EPI", *(f"INT0{i}" for i in range(1, 10)), *(f"INT1{i}" for i in range(1, 9)), "INT21",
               *(f"INT3{i}" for i in range(1, 7)), "NoE"]


def test_all_27_in_the_extra_set_only():
    assert len(EXTRA_CODES) == 27
    for code in EXTRA_CODES:
        for year in (2025, 2026, 2027):
            assert LAC.get(code, year).set_name == "extra"
    core = {r.code for r in LAC.select(2026, ["core"])}
    assert core.isdisjoint(EXTRA_CODES)


def test_3001_seventeen_with_former_foster_carers():
    header = [{"CHILD": "1", "DOB": "01/04/2008"}, {"CHILD": "2", "DOB": "31/03/2009"},
              {"CHILD": "3", "DOB": "31/03/2008"}, {"CHILD": "4", "DOB": "01/06/2008"}]
    oc3 = [{"CHILD": "1", "ACCOM": "Z1"}, {"CHILD": "2", "ACCOM": "Z2"}, {"CHILD": "3", "ACCOM": "Z1"},
           {"CHILD": "4", "ACCOM": "B1"}]
    # 17th birthdays: 1 April 2025 and 31 March 2026 are inside the year, 31 March 2025 is not.
    assert failing_rows(LAC, "3001", lac_tables(Header=header, OC3=oc3)) == [0, 1]


def test_epi_child_needs_episode_or_oc3():
    header = [{"CHILD": c} for c in "123"]
    t = lac_tables(Header=header, Episodes=[{"CHILD": "1", "DECOM": "01/05/2025"}], OC3=[{"CHILD": "2"}])
    assert failing_rows(LAC, "EPI", t) == [2]
    t = lac_tables(Header=header, Episodes=[{"CHILD": "1", "DECOM": "01/05/2025"}])
    assert failing_rows(LAC, "EPI", t) == [1, 2]
    assert LAC.get("EPI", 2026).severity == "query"


@pytest.mark.parametrize(("code", "table"), [
    ("INT01", "AD1"), ("INT02", "PlacedAdoption"), ("INT03", "Episodes"), ("INT04", "Missing"), ("INT05", "OC2"),
    ("INT06", "OC3"), ("INT07", "PrevPerm"), ("INT08", "Reviews"), ("INT09", "UASC"),
])
def test_child_must_be_in_header(code, table):
    t = lac_tables(Header=[{"CHILD": "1"}, {"CHILD": "2"}], **{table: [{"CHILD": "2"}, {"CHILD": "3"}, {"CHILD": "1"}]})
    rule = LAC.get(code, 2026)
    assert rule.table == table
    assert failing_rows(LAC, code, t) == [1]


@pytest.mark.parametrize(("code", "table"), [
    ("INT11", "AD1"), ("INT12", "PlacedAdoption"), ("INT13", "Missing"), ("INT14", "OC2"), ("INT15", "OC3"),
    ("INT16", "PrevPerm"), ("INT17", "Reviews"), ("INT18", "UASC"),
])
def test_dob_must_match_header(code, table):
    header = [{"CHILD": "1", "DOB": "01/02/2015"}, {"CHILD": "2", "DOB": "01/02/2015"},
              {"CHILD": "3", "DOB": None}]
    rows = [{"CHILD": "1", "DOB": "01/02/2015"}, {"CHILD": "2", "DOB": "02/02/2015"}, {"CHILD": "3", "DOB": "01/02/2015"},
            {"CHILD": "1", "DOB": None}, {"CHILD": "9", "DOB": "01/02/2015"}]
    t = lac_tables(Header=header, **{table: rows})
    assert LAC.get(code, 2026).table == table
    assert failing_rows(LAC, code, t) == [1]


def test_int21_sex_must_match_header():
    header = [{"CHILD": "1", "SEX": "M"}, {"CHILD": "2", "SEX": "F"}, {"CHILD": "3", "SEX": "M"}]
    uasc = [{"CHILD": "1", "SEX": "M"}, {"CHILD": "2", "SEX": "M"}, {"CHILD": "3", "SEX": "1"}, {"CHILD": "2"}]
    assert failing_rows(LAC, "INT21", lac_tables(Header=header, UASC=uasc)) == [1]


@pytest.mark.parametrize(("code", "table"), [
    ("INT31", "AD1"), ("INT32", "Header"), ("INT33", "OC2"), ("INT34", "OC3"), ("INT35", "PrevPerm"),
    ("INT36", "UASC"),
])
def test_child_only_once(code, table):
    t = lac_tables(**{table: [{"CHILD": "1"}, {"CHILD": "2"}, {"CHILD": "1"}, {"CHILD": None}, {"CHILD": None}]})
    assert failing_rows(LAC, code, t) == [0, 2]


def test_noe_needs_last_years_episodes():
    episodes = [{"CHILD": "1", "DECOM": "31/03/2025"}, {"CHILD": "2", "DECOM": "31/03/2025"},
                {"CHILD": "3", "DECOM": "01/04/2025"}]
    t = lac_tables(Episodes=episodes, previous={"Episodes": [{"CHILD": "1", "DECOM": "01/01/2025"}]})
    assert failing_rows(LAC, "NoE", t) == [1]
    assert not lac_tables(Episodes=episodes).has("Episodes_last")
    assert "Episodes_last" in LAC.get("NoE", 2026).needs


# --- robustness: no rule raises on empty, blank or junk tables ------------------------------------------

@pytest.mark.parametrize("year", [2025, 2026, 2027])
@pytest.mark.parametrize("shape", ["empty", "blank", "junk"])
def test_no_rule_raises(year, shape):
    run_903_module_on_junk(LAC, "extra", year, shape)
