"""Rules on Header, UASC, Reviews and Missing. Collection year 2026 = 1 April 2025 - 31 March 2026."""

from __future__ import annotations

import pytest

from schemas.rules.ssda903 import LAC
from statreturns.engine import RuleSet, run_rules
from tests.rules.helpers import failing_rows, lac_tables


def case(code: str, expected: list[int], previous: dict | None = None, year: int = 2026, **tables):
    return pytest.param(code, tables, previous, year, expected, id=f"{code}-{expected}")


def h(child: str, **kw) -> dict:
    return {"CHILD": child, **kw}


def ep(child: str, decom: str, dec: str | None = None, **kw) -> dict:
    return {"CHILD": child, "DECOM": decom, "DEC": dec, "RNE": "S", "LS": "C2", **kw}


def mis(child: str, start: str | None, end: str | None = None, kind: str | None = "M", **kw) -> dict:
    return {"CHILD": child, "MISSING": kind, "MIS_START": start, "MIS_END": end, **kw}


def test_102_fires_on_blank_and_unparseable_dob():
    t = lac_tables(
        2026,
        Header=[
            {"CHILD": "1", "DOB": "31/02/2015"},
            {"CHILD": "2", "DOB": None},
            {"CHILD": "3", "DOB": "01/04/2015"},
        ],
    )
    assert failing_rows(LAC, "102", t) == [0, 1]


SINGLE_TABLE = [
    case(
        "101",
        [3, 4, 5],
        Header=[h("1", SEX="M"), h("2", SEX="F"), h("3", SEX="U"), h("4", SEX="X"), h("5"), h("6", SEX="1")],
    ),
    case("101", [], Header=[h("1", SEX="m"), h("2", SEX=" F ")]),
    case("103", [1, 2], Header=[h("1", ETHNIC="WBRI"), h("2", ETHNIC="WXYZ"), h("3"), h("4", ETHNIC="nobt")]),
    case(
        "104",
        [1, 2],
        UASC=[h("1", DUC="01/04/2025"), h("2", DUC="31/03/2025"), h("3", DUC="31/02/2026"), h("4")],
    ),
    case("166", [1, 2], Reviews=[h("1", REVIEW="01/05/2025"), h("2"), h("3", REVIEW="32/01/2025")]),
    case(
        "167",
        [1, 3, 4],
        Reviews=[
            h("1", REVIEW="01/05/2025", REVIEW_CODE="PN3"),
            h("2", REVIEW="01/05/2025"),
            h("3"),
            h("4", REVIEW="01/05/2025", REVIEW_CODE="PN8"),
            h("5", REVIEW="bad", REVIEW_CODE="PN9"),
        ],
    ),
    case(
        "168",
        [2, 3, 5],
        Header=[
            h("1", UPN="A123456789012"),
            h("2", UPN="A12345678901B"),
            h("3", UPN="I123456789012"),
            h("4", UPN="A12345678901"),
            h("5", UPN="UN3"),
            h("6", UPN="UN6"),
            h("7"),
        ],
    ),
    case("171", [1], Header=[h("1", MC_DOB="01/01/2020"), h("2", MC_DOB="2020-01-01"), h("3")]),
    case(
        "174",
        [0],
        Header=[h("1", SEX="M", MC_DOB="01/01/2020"), h("2", SEX="F", MC_DOB="01/01/2020"), h("3", SEX="M")],
    ),
    case(
        "209",
        [0],
        Header=[
            h("1", UPN="UN1", DOB="31/08/2020"),
            h("2", UPN="UN1", DOB="01/09/2020"),
            h("3", UPN="UN2", DOB="31/08/2020"),
            h("4", UPN="UN1"),
        ],
    ),
    case("232", [0], Header=[h("1", SEX="U"), h("2", SEX="M"), h("3")]),
    case("301", [1], Header=[h("1", DOB="31/03/2026"), h("2", DOB="01/04/2026"), h("3", DOB="bad")]),
    case(
        "304",
        [1],
        UASC=[
            h("1", DOB="01/01/2008", DUC="01/01/2026"),
            h("2", DOB="01/01/2008", DUC="02/01/2026"),
            h("3", DOB="01/01/2008"),
        ],
    ),
    case("351", [0], Header=[h("1", DOB="31/03/2000"), h("2", DOB="01/04/2000"), h("3")]),
    case(
        "440",
        [0],
        Reviews=[
            h("1", DOB="15/06/2021", REVIEW="15/06/2025", REVIEW_CODE="PN0"),
            h("1", DOB="15/06/2021", REVIEW="14/06/2025", REVIEW_CODE="PN0"),
            h("1", DOB="15/06/2021", REVIEW="20/06/2025", REVIEW_CODE="PN1"),
        ],
    ),
    case(
        "441",
        [0],
        Reviews=[
            h("1", DOB="15/06/2021", REVIEW="14/06/2025", REVIEW_CODE="PN7"),
            h("1", DOB="15/06/2021", REVIEW="15/06/2025", REVIEW_CODE="PN1"),
            h("1", DOB="15/06/2021", REVIEW="14/06/2025", REVIEW_CODE="PN0"),
        ],
    ),
    case(
        "444",
        [0, 1],
        Header=[
            h("1", UPN="A123456789012"),
            h("2", UPN="A123456789012"),
            h("3", UPN="UN1"),
            h("4", UPN="UN1"),
            h("5", UPN="B123456789012"),
            h("6"),
        ],
    ),
    case("444", [], Header=[h("1", UPN="A123456789012"), h("2", UPN="B123456789012")]),
    case(
        "611", [0], Header=[h("1", MOTHER="1"), h("2", MOTHER="1", MC_DOB="01/01/2024"), h("3", MOTHER="0")]
    ),
    case(
        "612",
        [0, 1],
        Header=[
            h("1", SEX="F", MOTHER="0", MC_DOB="01/01/2024"),
            h("2", SEX="F", MC_DOB="01/01/2024"),
            h("3", SEX="F", MOTHER="1", MC_DOB="01/01/2024"),
            h("4", SEX="M", MOTHER="0", MC_DOB="01/01/2024"),
        ],
    ),
    case(
        "620",
        [0],
        Header=[
            h("1", MOTHER="1", DOB="02/04/2014"),
            h("2", MOTHER="1", DOB="01/04/2014"),
            h("3", MOTHER="0", DOB="02/04/2014"),
        ],
    ),
    case(
        "621",
        [0, 1],
        Header=[
            h("1", DOB="02/01/2010", MC_DOB="01/01/2010"),
            h("2", DOB="01/01/2010", MC_DOB="01/01/2010"),
            h("3", DOB="01/01/2010", MC_DOB="01/01/2026"),
            h("4", DOB="01/01/2010"),
        ],
    ),
    case("564", [0], Missing=[mis("1", None), mis("2", "01/05/2025", kind="A"), mis("3", None, kind=None)]),
    case(
        "565",
        [0],
        Missing=[
            mis("1", "01/05/2025", kind=None),
            mis("2", "01/05/2025"),
            mis("3", "01/05/2025", kind="X"),
            mis("4", None, kind=None),
        ],
    ),
    case(
        "566",
        [0],
        Missing=[
            mis("1", "01/05/2025", "02/05/2025", kind=None),
            mis("2", "01/05/2025", "02/05/2025"),
            mis("3", None, kind=None),
        ],
    ),
    case(
        "567",
        [0],
        Missing=[
            mis("1", "10/05/2025", "09/05/2025"),
            mis("2", "10/05/2025", "10/05/2025"),
            mis("3", "10/05/2025"),
        ],
    ),
    case("570", [0], Missing=[mis("1", "01/04/2026"), mis("2", "31/03/2026"), mis("3", "bad")]),
    case(
        "571",
        [0, 3],
        Missing=[
            mis("1", "01/01/2025", "31/03/2025"),
            mis("2", "01/01/2025", "01/04/2025"),
            mis("3", "01/01/2026", "31/03/2026"),
            mis("4", "01/03/2026", "01/04/2026"),
            mis("5", "01/01/2026"),
        ],
    ),
    case(
        "586",
        [0, 1],
        Missing=[
            mis("1", "31/12/2009", DOB="01/01/2010"),
            mis("2", "01/01/2010", DOB="01/01/2010"),
            mis("3", "02/01/2010", DOB="01/01/2010"),
            mis("4", "02/01/2010"),
        ],
    ),
    case("1004", [0, 1], Missing=[mis("1", None), mis("2", "31/02/2026"), mis("3", "01/05/2025")]),
    case(
        "1005",
        [1],
        Missing=[
            mis("1", "01/05/2025"),
            mis("2", "01/05/2025", "2025-05-02"),
            mis("3", "01/05/2025", "02/05/2025"),
        ],
    ),
    case(
        "1006",
        [2],
        Missing=[
            mis("1", "01/05/2025"),
            mis("2", "01/05/2025", kind="A"),
            mis("3", "01/05/2025", kind="X"),
            mis("4", "01/05/2025", kind=None),
        ],
    ),
]


@pytest.mark.parametrize("code, tables, previous, year, expected", SINGLE_TABLE)
def test_single_table_rules(code, tables, previous, year, expected):
    t = lac_tables(year, previous=previous, **tables)
    assert failing_rows(LAC, code, t) == expected


def test_444_is_not_in_force_before_2025_26():
    with pytest.raises(KeyError):
        LAC.get("444", 2025)
    assert LAC.get("444", 2027).code == "444"


def test_105_fires_only_on_a_header_carrying_its_own_bad_flag():
    t = lac_tables(2026, Header=[h("1"), h("2")], UASC=[h("1")])
    assert failing_rows(LAC, "105", t) == []  # CSV: the flag is derived
    t.frames["Header"] = t.Header.assign(UASC=["1", "X"])
    assert failing_rows(LAC, "105", t) == [1]


def test_231_queries_uasc_children_under_11_at_year_end():
    t = lac_tables(
        2026,
        Header=[h("1", DOB="01/04/2015"), h("2", DOB="31/03/2015"), h("3", DOB="01/04/2020")],
        UASC=[h("1"), h("2")],
    )
    assert failing_rows(LAC, "231", t) == [0]
    assert LAC.get("231", 2026).severity == "query"
    assert LAC.get("232", 2026).severity == "query"


def test_303_uasc_row_with_duc_needs_header_flag_1():
    t = lac_tables(
        2026, Header=[h("1"), h("2")], UASC=[h("1", DUC="01/01/2026"), h("2"), h("3", DUC="01/01/2026")]
    )
    assert failing_rows(LAC, "303", t) == []
    t.frames["Header"] = t.Header.assign(UASC="0")
    assert failing_rows(LAC, "303", t) == [0]  # row 2's child is not in the header: another rule's finding


# --- previous year ------------------------------------------------------------------------------

PREVIOUS_YEAR = [
    case(
        "202",
        [1],
        previous={"Header": [h("1", SEX="1"), h("2", SEX="M"), h("3", SEX="M"), h("5", SEX="2")]},
        Header=[h("1", SEX="M"), h("2", SEX="F"), h("3", SEX="M"), h("4", SEX="F"), h("5", SEX="2")],
    ),
    case(
        "203",
        [1, 2],
        previous={"Header": [h("1", DOB="01/01/2010"), h("2", DOB="01/01/2010"), h("3", DOB="bad")]},
        Header=[
            h("1", DOB="01/01/2010"),
            h("2", DOB="02/01/2010"),
            h("3", DOB="01/01/2010"),
            h("4", DOB="01/01/2011"),
        ],
    ),
    case(
        "204",
        [1, 2],
        previous={"Header": [h("1", ETHNIC="WBRI"), h("2", ETHNIC="WBRI"), h("3", ETHNIC="AIND")]},
        Header=[h("1", ETHNIC="WBRI"), h("2", ETHNIC="WIRI"), h("3"), h("4", ETHNIC="WOTH")],
    ),
    case(
        "205A",
        [1, 2],
        previous={
            "Header": [h("1"), h("2"), h("3"), h("4")],
            "UASC": [h("1", DUC="01/06/2024"), h("2", DUC="01/06/2025"), h("3"), h("4", DUC="01/06/2024")],
        },
        Header=[h("1"), h("2"), h("3"), h("4")],
        UASC=[h("4")],
    ),
    case(
        "205A",
        [1],
        previous={"Header": [h("1"), h("2")], "UASC": [h("1", DUC="31/03/2025"), h("2", DUC="01/04/2025")]},
        Header=[h("1"), h("2")],
    ),  # no UASC table this year: no UASC children
    case(
        "205B",
        [1, 3],
        previous={
            "Header": [h(c) for c in "12345"],
            "UASC": [
                h("1", DUC="10/10/2026"),
                h("2", DUC="09/10/2026"),
                h("3", DUC="01/01/2026"),
                h("4", DUC="01/01/2026"),
            ],
        },
        Header=[
            h("1", DOB="10/10/2008"),
            h("2", DOB="10/10/2008"),
            h("3", DOB="01/01/2008"),
            h("4", DOB="01/01/2008"),
            h("5", DOB="01/01/2008"),
        ],
        UASC=[
            h("1", DUC="10/10/2026"),
            h("2", DUC="09/10/2026"),
            h("3", DUC="01/01/2026"),
            h("4"),
            h("5", DUC="01/01/2026"),
        ],
    ),
    case(
        "205C",
        [],
        previous={"Header": [h("1"), h("2")], "UASC": [h("9")]},
        Header=[h("1"), h("2")],
        UASC=[h("1", DUC="01/01/2026")],
    ),
    case(
        "205D",
        [0],
        previous={"Header": [h("1"), h("2"), h("4")], "UASC": [h("2")]},
        Header=[h("1"), h("2"), h("3"), h("4")],
        UASC=[h("1"), h("2"), h("3")],
    ),
    case(
        "208",
        [1, 4, 6, 7],
        previous={
            "Header": [
                h("1", UPN="A123456789012"),
                h("2", UPN="A123456789012"),
                h("3", UPN="UN1"),
                h("4"),
                h("5", UPN="UN2"),
                h("6", UPN="UN4"),
                h("7", UPN="A123456789012"),
                h("8", UPN="UN1"),
            ]
        },
        Header=[
            h("1", UPN="A123456789012"),
            h("2", UPN="B123456789012"),
            h("3", UPN="UN3"),
            h("4", UPN="UN2"),
            h("5", UPN="UN3"),
            h("6", UPN="A123456789012"),
            h("7", UPN="UN1"),
            h("8"),
            h("9", UPN="UN5"),
        ],
    ),
    case(
        "576",
        [1, 3],
        previous={
            "Missing": [
                mis("1", "01/03/2025"),
                mis("2", "15/03/2025"),
                mis("3", "01/01/2025", "02/01/2025"),
                mis("5", "20/03/2025"),
            ]
        },
        Header=[h("1"), h("2"), h("3"), h("5"), h("6")],
        Missing=[mis("1", "01/06/2025"), mis("1", "01/03/2025", "05/04/2025"), mis("2", "01/05/2025")],
    ),
    case("576", [0], previous={"Missing": [mis("1", "01/03/2025")]}, Header=[h("1"), h("2")]),
    case(
        "624",
        [1, 2],
        previous={"Header": [h(c, MC_DOB="01/01/2024") for c in "1234"] + [h("5")]},
        Header=[
            h("1", MC_DOB="01/01/2024"),
            h("2", MC_DOB="02/01/2024"),
            h("3"),
            h("4", MC_DOB="bad"),
            h("5", MC_DOB="01/01/2025"),
        ],
    ),
    case(
        "626",
        [0],
        previous={"Header": [h("1", MOTHER="0"), h("2", MOTHER="0"), h("3", MOTHER="1")]},
        Header=[
            h("1", MOTHER="1", MC_DOB="31/03/2025"),
            h("2", MOTHER="1", MC_DOB="01/04/2025"),
            h("3", MOTHER="1", MC_DOB="01/01/2020"),
        ],
    ),
]


@pytest.mark.parametrize("code, tables, previous, year, expected", PREVIOUS_YEAR)
def test_previous_year_rules(code, tables, previous, year, expected):
    t = lac_tables(year, previous=previous, **tables)
    assert failing_rows(LAC, code, t) == expected


@pytest.mark.parametrize(
    "code, last_table",
    [
        ("202", "Header_last"),
        ("203", "Header_last"),
        ("204", "Header_last"),
        ("205A", "UASC_last"),
        ("205B", "UASC_last"),
        ("205C", "UASC_last"),
        ("205D", "UASC_last"),
        ("208", "Header_last"),
        ("576", "Missing_last"),
        ("624", "Header_last"),
        ("626", "Header_last"),
    ],
)
def test_previous_year_rules_are_skipped_without_last_year(code, last_table):
    rule = LAC.get(code, 2026)
    assert last_table in rule.needs
    t = lac_tables(2026, Header=[h("1")], UASC=[h("1")], Missing=[mis("1", "01/05/2025")])
    status = run_rules(RuleSet("one", "CHILD", rules=[rule]), t).rule_status
    assert status["status"].tolist() == ["skipped"]


def test_205c_fires_when_a_header_flag_says_not_uasc_but_a_duc_is_given():
    t = lac_tables(
        2026,
        previous={"Header": [h("1"), h("2")], "UASC": [h("9")]},
        Header=[h("1"), h("2")],
        UASC=[h("1", DUC="01/01/2026"), h("2")],
    )
    t.frames["Header"] = t.Header.assign(UASC="0")
    assert failing_rows(LAC, "205C", t) == [0]


# --- Reviews and Episodes -----------------------------------------------------------------------


def test_399_short_breaks_only_children_with_mother_or_reviews():
    episodes = [
        ep("1", "01/05/2025", LS="V3"),
        ep("2", "01/05/2025", LS="V3"),
        ep("2", "01/06/2025", LS="C2"),
        ep("3", "01/05/2025", LS="V4"),
        ep("4", "01/05/2025", LS="V3"),
    ]
    header = [h("1", MOTHER="0"), h("2", MOTHER="1"), h("3"), h("4"), h("5", MOTHER="1")]
    t = lac_tables(2026, Episodes=episodes, Header=header, Reviews=[h("4", REVIEW="01/06/2025"), h("2")])
    assert failing_rows(LAC, "399", t) == [0, 3]
    t = lac_tables(2026, Episodes=episodes, Header=header)  # no reviews file: MOTHER is still checked
    assert failing_rows(LAC, "399", t) == [0]


# --- Missing against episodes -------------------------------------------------------------------

MISSING_AND_EPISODES = [
    # 575: a missing period starting in an ended episode must be closed; open episodes are never "ended".
    case(
        "575",
        [0],
        Episodes=[
            ep("1", "01/04/2025", "01/06/2025", REC="X1"),
            ep("1", "01/06/2025", RNE="P"),
            ep("2", "01/01/2025"),
        ],
        Missing=[
            mis("1", "15/05/2025"),
            mis("1", "15/05/2025", "20/05/2025"),
            mis("2", "01/05/2025"),
            mis("1", "10/06/2025"),
        ],
    ),
    # 577: the period of care (X1 runs joined) ended and the missing period started in it has no end date.
    case(
        "577",
        [0, 4],
        Episodes=[
            ep("1", "01/01/2025", "10/06/2025", REC="E4A"),
            ep("2", "01/01/2025"),
            ep("3", "01/01/2025", "01/06/2025", REC="X1"),
            ep("3", "01/06/2025", "01/09/2025", REC="E8", RNE="P"),
        ],
        Missing=[
            mis("1", "01/05/2025"),
            mis("1", "01/05/2025", "05/05/2025"),
            mis("1", "01/06/2025", "15/06/2025"),
            mis("2", "01/05/2025"),
            mis("3", "10/05/2025"),
            mis("3", "10/05/2025", "15/08/2025"),
        ],
    ),
    case(
        "578",
        [0, 2],
        Episodes=[ep("1", "01/01/2025", "10/06/2025", REC="E4A"), ep("2", "01/01/2025")],
        Missing=[
            mis("1", "11/06/2025", "12/06/2025"),
            mis("1", "10/06/2025", "10/06/2025"),
            mis("1", "31/12/2024", "31/12/2024"),
            mis("2", "01/05/2025"),
            mis("3", "01/05/2025"),
            mis("1", "bad"),
        ],
    ),
    case(
        "581",
        [0, 3],
        Episodes=[ep("1", "01/01/2025", "10/05/2025", REC="E4A"), ep("1", "15/05/2025"), ep("2", "bad")],
        Missing=[
            mis("1", "12/05/2025"),
            mis("1", "05/05/2025"),
            mis("1", "20/05/2025"),
            mis("2", "01/05/2025"),
            mis("1", "31/02/2025"),
        ],
    ),
    case(
        "574",
        [2, 4],
        Missing=[
            mis("1", "10/05/2025", "20/05/2025"),
            mis("1", "01/05/2025", "10/05/2025"),
            mis("1", "15/05/2025", "16/05/2025"),
            mis("2", "01/06/2025"),
            mis("2", "05/06/2025", "06/06/2025"),
            mis("3", "01/06/2025", "30/06/2025"),
            mis("3", "01/07/2025"),
            mis("4", "01/06/2025", "bad"),
            mis("4", "02/06/2025"),
        ],
    ),
    case(
        "574",
        [0, 1],
        Missing=[
            mis("1", "01/01/2026", "30/01/2026"),
            mis("1", "05/01/2026", "10/01/2026"),
            mis("1", "15/01/2026", "20/01/2026"),
        ][::-1],
    ),
]


@pytest.mark.parametrize("code, tables, previous, year, expected", MISSING_AND_EPISODES)
def test_missing_period_rules(code, tables, previous, year, expected):
    t = lac_tables(year, previous=previous, **tables)
    assert failing_rows(LAC, code, t) == expected


def test_580_episode_ending_on_18th_birthday_while_missing_needs_e8():
    t = lac_tables(
        2026,
        Episodes=[
            ep("1", "01/01/2025", "01/06/2025", REC="E4A"),
            ep("2", "01/01/2025", "01/06/2025", REC="E8"),
            ep("3", "01/01/2025", "02/06/2025", REC="E4A"),
            ep("4", "01/01/2025", "01/06/2025", REC="E4A"),
        ],
        Missing=[
            mis("1", "20/05/2025", "01/06/2025", DOB="01/06/2007"),
            mis("2", "20/05/2025", "01/06/2025", DOB="01/06/2007"),
            mis("3", "20/05/2025", "02/06/2025", DOB="01/06/2007"),
            mis("4", "20/05/2025", "31/05/2025", DOB="01/06/2007"),
        ],
    )
    assert LAC.get("580", 2026).table == "Episodes"
    assert failing_rows(LAC, "580", t) == [0]


def test_577_and_575_do_not_treat_open_episodes_as_ended():
    # The public validator fills blank DECs before these run; an open missing period in open care is fine.
    t = lac_tables(2026, Episodes=[ep("1", "01/01/2025")], Missing=[mis("1", "01/05/2025")])
    assert failing_rows(LAC, "577", t) == []
    assert failing_rows(LAC, "575", t) == []
