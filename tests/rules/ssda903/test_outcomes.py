"""OC2 and OC3 rules and the "continuously looked after" helper. Year 2026 = 1 April 2025 - 31 March 2026."""

from __future__ import annotations

import pytest

from schemas.rules.ssda903 import LAC
from schemas.rules.ssda903.base import continuously_looked_after
from statreturns.engine import RuleSet, run_rules
from tests.rules.helpers import failing_rows, lac_tables


def case(code: str, expected: list[int], previous: dict | None = None, year: int = 2026, **tables):
    return pytest.param(code, tables, previous, year, expected, id=f"{code}-{expected}")


def row(child: str, **kw) -> dict:
    return {"CHILD": child, **kw}


def ep(child: str, decom: str, dec: str | None = None, **kw) -> dict:
    return {"CHILD": child, "DECOM": decom, "DEC": dec, "RNE": "S", "LS": "C2", **kw}


def oc3(
    child: str,
    dob: str = "01/06/2007",
    touch: str | None = "YES",
    activ: str | None = "F1",
    accom: str | None = "B1",
) -> dict:
    return {"CHILD": child, "DOB": dob, "IN_TOUCH": touch, "ACTIV": activ, "ACCOM": accom}


# "C*" children are looked after all year (continuously for 12 months); "N" started care in the year.
CLA_EPISODES = [ep("C", "01/01/2020"), ep("C2", "01/01/2020"), ep("N", "01/06/2025")]
HEALTH = {"IMMUNISATIONS": "1", "TEETH_CHECK": "1", "HEALTH_ASSESSMENT": "1", "SUBSTANCE_MISUSE": "0"}


def test_continuously_looked_after():
    t = lac_tables(
        2026,
        Episodes=[
            ep("in", "01/01/2024"),
            ep("new", "02/04/2025"),
            ep("first_day", "01/04/2025"),
            ep("moved", "01/01/2024", "01/09/2025", REC="X1"),
            ep("moved", "01/09/2025", RNE="P"),
            ep("left", "01/01/2024", "01/09/2025", REC="E4A"),
            ep("short", "01/01/2024", LS="V3"),
            ep("before", "01/01/2024", "31/03/2025", REC="E4A"),
            ep("left_31_march", "01/01/2024", "31/03/2026", REC="E8"),
            ep("bad", "31/02/2024"),
        ],
    )
    assert sorted(continuously_looked_after(t)) == ["first_day", "in", "moved"]


SINGLE_TABLE = [
    case("131", [1, 2], OC3=[oc3("1"), oc3("2", touch="MAYBE"), oc3("3", touch=None)]),
    case("132", [1, 3], OC3=[oc3("1"), oc3("2", activ="F3"), oc3("3", activ="0"), oc3("4", activ=None)]),
    case(
        "133",
        [1, 4, 5],
        OC3=[
            oc3("1"),
            oc3("2", accom="S1"),
            oc3("3", accom="X2"),
            oc3("4", accom="Z2"),
            oc3("5", accom="A1"),
            oc3("6", accom=None),
            oc3("7", accom="0"),
        ],
    ),
    case(
        "153",
        [2, 3],
        OC3=[
            oc3("1"),
            oc3("2", touch=None, activ=None, accom=None),
            oc3("3", accom=None),
            oc3("4", touch=None, activ=None),
        ],
    ),
    case(
        "158",
        [0],
        OC2=[
            row("1", INTERVENTION_RECEIVED="1", INTERVENTION_OFFERED="0"),
            row("2", INTERVENTION_RECEIVED="1"),
            row("3", INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="1"),
        ],
    ),
    case(
        "159",
        [0],
        OC2=[
            row("1", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0"),
            row("2", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0", INTERVENTION_OFFERED="1"),
            row("3", SUBSTANCE_MISUSE="0", INTERVENTION_RECEIVED="0"),
        ],
    ),
    case(
        "180",
        [2, 3, 4, 5],
        OC2=[
            row("1", SDQ_SCORE="0"),
            row("2", SDQ_SCORE="40"),
            row("3", SDQ_SCORE="41"),
            row("4", SDQ_SCORE="-1"),
            row("5", SDQ_SCORE="1.5"),
            row("6", SDQ_SCORE="abc"),
            row("7"),
        ],
    ),
    case("181", [0], OC2=[row("1", CONVICTED="2"), row("2", CONVICTED="0", **HEALTH), row("3")]),
    case(
        "182",
        [1],
        OC2=[
            row("1", CONVICTED="1", **HEALTH),
            row("2", HEALTH_CHECK="1", **(HEALTH | {"TEETH_CHECK": None})),
            row("3"),
            row("4", **HEALTH),
        ],
    ),
    case(
        "188",
        [0],
        OC2=[
            row("1", DOB="01/04/2022", SDQ_SCORE="5"),
            row("2", DOB="31/03/2022", SDQ_SCORE="5"),
            row("3", DOB="01/04/2022"),
        ],
    ),
    case(
        "189",
        [0],
        OC2=[
            row("1", DOB="31/03/2008", SDQ_REASON="SDQ1"),
            row("2", DOB="01/04/2008", SDQ_SCORE="5"),  # 17 on 1 April 2025: turns 17 in the year
            row("3", DOB="31/03/2008"),
        ],
    ),
    case(
        "192",
        [0],
        OC2=[
            row("1", SUBSTANCE_MISUSE="1"),
            row("2", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="0"),
            row("3", SUBSTANCE_MISUSE="0"),
        ],
    ),
    case(
        "193",
        [0, 1],
        OC2=[
            row("1", SUBSTANCE_MISUSE="0", INTERVENTION_RECEIVED="1"),
            row("2", INTERVENTION_OFFERED="0"),
            row("3", SUBSTANCE_MISUSE="1", INTERVENTION_RECEIVED="1"),
            row("4", SUBSTANCE_MISUSE="0"),
        ],
    ),
    case("196", [0], OC2=[row("1", SDQ_REASON="SDQ6"), row("2", SDQ_REASON="SDQ1"), row("3")]),
    case(
        "197a",
        [0],
        OC2=[
            row("1", SDQ_SCORE="5", SDQ_REASON="SDQ2"),
            row("2", SDQ_SCORE="5"),
            row("3", SDQ_REASON="SDQ2"),
        ],
    ),
    case(
        "344",
        [1, 2],
        OC3=[
            oc3("1", touch="DIED", activ="0", accom="0"),
            oc3("2", touch="DIED", accom="0"),
            oc3("3", touch="RHOM", activ="0", accom="B1"),
            oc3("4", touch="NO"),
            oc3("5", touch="DIED", activ=None, accom=None),
        ],
    ),
    case(
        "345",
        [0, 1],
        OC3=[oc3("1", activ="0"), oc3("2", accom="0"), oc3("3"), oc3("4", touch="NO", activ="0", accom="0")],
    ),
    # 347: the public validator compares ACCOM with "T" and never fires; foyer codes are T1/T2.
    case(
        "347",
        [0, 2],
        OC3=[
            oc3("1", dob="02/04/2007", accom="T1"),
            oc3("2", dob="01/04/2007", accom="T1"),
            oc3("3", dob="02/04/2007", accom="T2"),
            oc3("4", dob="02/04/2007"),
        ],
    ),
    case(
        "391",
        [0, 2],
        OC3=[
            oc3("1", dob="01/04/2009"),
            oc3("2", dob="31/03/2009"),
            oc3("3", dob="01/04/2003"),
            oc3("4", dob="02/04/2003"),
            oc3("5", dob="01/04/2009", touch=None, activ=None, accom=None),
        ],
    ),
    case(
        "542",
        [0],
        OC2=[
            row("1", DOB="01/04/2016", CONVICTED="0"),
            row("2", DOB="31/03/2016", CONVICTED="0"),
            row("3", DOB="01/04/2016"),
        ],
    ),
    case(
        "544",
        [0],
        OC2=[
            row("1", CONVICTED="1", **(HEALTH | {"TEETH_CHECK": None})),
            row("2", CONVICTED="0", TEETH_CHECK="1"),
            row("3", CONVICTED="1", **HEALTH),
        ],
    ),
    case(
        "547",
        [0],
        OC2=[
            row("1", HEALTH_CHECK="1", **(HEALTH | {"SUBSTANCE_MISUSE": None})),
            row("2", HEALTH_CHECK="0"),
            row("3", HEALTH_CHECK="1", **HEALTH),
        ],
    ),
]

WITH_EPISODES = [
    case(
        "157",
        [0],
        Episodes=CLA_EPISODES,
        OC2=[
            row("C", DOB="01/04/2015", SDQ_REASON="SDQ1"),
            row("C", DOB="01/04/2015", SDQ_REASON="SDQ2"),
            row("N", DOB="01/04/2015", SDQ_REASON="SDQ1"),
            row("C2", DOB="01/01/2009", SDQ_REASON="SDQ1"),
            row("C2", DOB="02/04/2021", SDQ_REASON="SDQ1"),
        ],
    ),
    case("185", [1], Episodes=CLA_EPISODES, OC2=[row("C", SDQ_SCORE="5"), row("N", SDQ_SCORE="5"), row("N")]),
    case(
        "186",
        [0, 5],
        Episodes=CLA_EPISODES,
        OC2=[
            row("C", DOB="01/04/2015"),
            row("C", DOB="01/04/2015", SDQ_REASON="SDQ4"),
            row("N", DOB="01/04/2015"),
            row("C2", DOB="01/06/2021"),
            row("C2", DOB="31/03/2009"),
            row("C2", DOB="01/04/2009"),
        ],
    ),
    case(
        "190",
        [0],
        Episodes=CLA_EPISODES,
        OC2=[row("N", TEETH_CHECK="1"), row("C", TEETH_CHECK="1"), row("N")],
    ),
    case(
        "197B",
        [0, 1],
        Episodes=CLA_EPISODES,
        OC2=[
            row("C", DOB="01/04/2021"),
            row("C2", DOB="31/03/2009"),
            row("C", DOB="01/01/2015"),
            row("N", DOB="01/04/2021"),
            row("C", DOB="01/04/2021", SDQ_SCORE="3"),
            row("C", DOB="01/04/2009"),
        ],
    ),
    case("198", [0], Episodes=CLA_EPISODES, OC2=[row("N", SDQ_REASON="SDQ2"), row("C", SDQ_REASON="SDQ2")]),
    case(
        "215",
        [0],
        OC2=[row("1", CONVICTED="0"), row("2", CONVICTED="0"), row("3")],
        OC3=[oc3("1"), oc3("3"), oc3("2", touch=None, activ=None, accom=None)],
    ),
    case(
        "543",
        [0],
        Episodes=CLA_EPISODES,
        OC2=[
            row("C", DOB="31/03/2016"),
            row("C", DOB="01/04/2016"),
            row("N", DOB="01/01/2014"),
            row("C2", DOB="01/01/2014", CONVICTED="0"),
        ],
    ),
    case(
        "545",
        [0],
        Episodes=CLA_EPISODES,
        OC2=[
            row("C", DOB="01/04/2021"),
            row("C", DOB="01/04/2021", HEALTH_CHECK="1"),
            row("C2", DOB="31/03/2021"),
            row("N", DOB="01/04/2021"),
        ],
    ),
    case(
        "546",
        [0],
        Episodes=CLA_EPISODES,
        OC2=[
            row("C", DOB="31/03/2021", HEALTH_CHECK="1"),
            row("C", DOB="01/04/2021", HEALTH_CHECK="1"),
            row("N", DOB="31/03/2021", HEALTH_CHECK="1"),
            row("C2", DOB="31/03/2021"),
        ],
    ),
    # 165: sex tests use M/F (the public validator's 1/2 tests are inert from 2024/25).
    case(
        "165",
        [0, 1, 2, 5],
        Header=[
            row("1", SEX="F", MOTHER="2"),
            row("2", SEX="M", MOTHER="0"),
            row("3", SEX="F"),
            row("4", SEX="F", MOTHER="0"),
            row("5", SEX="F"),
            row("6", SEX="F", MOTHER="0"),
            row("7", SEX="M"),
            row("8", SEX="F", MOTHER="1"),
        ],
        Episodes=[
            ep("1", "01/01/2025"),
            ep("2", "01/01/2025"),
            ep("3", "01/01/2025"),
            ep("4", "01/01/2025"),
            ep("5", "01/05/2025", LS="V3"),
            ep("6", "01/01/2020", "01/01/2025", REC="E8"),
        ],
        OC3=[oc3("6"), oc3("8", touch=None, activ=None, accom=None)],
    ),
    case(
        "628",
        [0, 3],
        Header=[
            row("1", MOTHER="0"),
            row("2", MOTHER="0"),
            row("3", MOTHER="1"),
            row("4", MOTHER="1"),
            row("5"),
        ],
        Episodes=[ep("2", "01/01/2025"), ep("4", "01/01/2020", "31/03/2025", REC="E8")],
        OC3=[oc3("1"), oc3("2"), oc3("4"), oc3("5")],
    ),
    case(
        "1000",
        [0],
        Episodes=[ep("1", "01/01/2025", "01/06/2025", REC="E2"), ep("3", "01/01/2025")],
        OC3=[oc3("1"), oc3("2"), oc3("3", touch=None, activ=None, accom=None)],
    ),
    case(
        "1000",
        [0, 1],
        previous={"Episodes": [ep("2", "01/01/2024", "01/06/2024", REC="E2")]},
        Episodes=[ep("1", "01/01/2025", "01/06/2025", REC="E2")],
        OC3=[oc3("1"), oc3("2"), oc3("3")],
    ),
    # 1007: aged 17 or 18 at 31 March and looked after through that birthday.
    case(
        "1007",
        [0, 2, 5],
        Episodes=[
            ep("1", "01/01/2024"),
            ep("2", "01/01/2024", "01/06/2025", REC="E8"),
            ep("3", "01/01/2024", "02/06/2025", REC="E8"),
            ep("4", "01/01/2024"),
            ep("5", "01/01/2024"),
            ep("6", "01/01/2024", "31/02/2026", REC="E8"),
            ep("7", "01/06/2025"),
        ],
        OC3=[
            oc3("1", dob="01/06/2008"),
            oc3("2", dob="01/06/2007"),
            oc3("3", dob="01/06/2007"),
            oc3("4", dob="01/06/2006"),
            oc3("5", dob="01/06/2008", touch=None, activ=None, accom=None),
            oc3("7", dob="01/06/2007"),
            oc3("6", dob="01/06/2007"),
        ],
    ),
    # 1011: the public validator raised on any unparseable DECOM and lost the whole rule.
    case(
        "1011",
        [0],
        Episodes=[
            ep("1", "01/01/2024", "01/01/2025", REC="E3"),
            ep("2", "01/01/2023", "01/01/2024", REC="E3"),
            ep("2", "01/02/2024", "01/01/2025", REC="E4A"),
            ep("3", "31/02/2024", REC="E3"),
        ],
        OC3=[oc3("1"), oc3("2"), oc3("3")],
    ),
    case(
        "1014",
        [0],
        Episodes=[ep("2", "01/01/2025"), ep("1", "01/01/2020", "31/03/2025", REC="E8")],
        UASC=[row("1"), row("2"), row("3")],
        OC3=[oc3("1"), oc3("2")],
    ),
    case(
        "1016",
        [0, 2],
        Episodes=[
            ep("1", "01/01/2024", "01/07/2025", REC="E8"),
            ep("2", "01/01/2024", "31/05/2025", REC="E8"),
            ep("3", "01/01/2024", "01/06/2025", REC="E8"),
            ep("4", "01/01/2024"),
            ep("5", "01/01/2024", "01/07/2025", REC="E8"),
        ],
        OC3=[
            oc3("1", dob="01/06/2008"),
            oc3("2", dob="01/06/2008"),
            oc3("3", dob="01/06/2007"),
            oc3("4", dob="01/06/2007"),
            oc3("5", dob="01/06/2006"),
        ],
    ),
]

PREVIOUS_YEAR = [
    case(
        "348",
        [0],
        previous={"OC3": [oc3("1", touch="DIED"), oc3("2")]},
        OC3=[oc3("1"), oc3("2", touch="DIED"), oc3("3", touch="DIED")],
    ),
    case(
        "1001",
        [1, 2, 3, 5, 6],
        previous={
            "Episodes": [
                ep("R1", "01/01/2024"),
                ep("R2", "01/01/2025", "01/02/2025", REC="E8"),
                ep("R4", "01/01/2024", LS="V3"),
            ]
        },
        Episodes=[
            ep("R1", "01/01/2024", "01/06/2025", REC="E8"),
            ep("R3", "01/01/2024", "01/06/2025", REC="E11"),
            ep("R4", "01/01/2024", "01/06/2025", LS="V3"),
            ep("R5", "01/01/2025", "01/02/2025", REC="E8"),
            ep("R7", "01/01/2025", "31/05/2025", REC="E8"),
            ep("R8", "01/01/2025", "02/06/2025", REC="E8"),
        ],
        OC3=[
            oc3("R1"),
            oc3("R2"),
            oc3("R3"),
            oc3("R4"),
            oc3("R5", dob="01/01/2006"),
            oc3("R6"),
            oc3("R7", dob="01/06/2009"),
            oc3("R8", dob="01/06/2009"),
        ],
    ),
    case(
        "1002",
        [2],
        previous={"Episodes": [ep("2", "01/01/2024", "01/01/2025", REC="E8")]},
        Episodes=[ep("1", "01/01/2024")],
        OC3=[oc3("1"), oc3("2"), oc3("3")],
    ),
    case(
        "1010",
        [0],
        previous={
            "Episodes": [
                ep("1", "01/01/2024"),
                ep("2", "01/01/2024", "01/01/2025", REC="E8"),
                ep("3", "01/01/2024"),
                ep("4", "01/01/2023", "01/01/2024", REC="X1"),
                ep("4", "01/01/2024", "01/02/2025", REC="E8"),
            ]
        },
        Episodes=[ep("3", "01/01/2024")],
        OC3=[oc3("1"), oc3("2"), oc3("3"), oc3("1", touch=None, activ=None, accom=None), oc3("4")],
    ),
]


@pytest.mark.parametrize(
    "code, tables, previous, year, expected", SINGLE_TABLE + WITH_EPISODES + PREVIOUS_YEAR
)
def test_outcome_rules(code, tables, previous, year, expected):
    t = lac_tables(year, previous=previous, **tables)
    assert failing_rows(LAC, code, t) == expected


@pytest.mark.parametrize(
    "code, last_table",
    [
        ("348", "OC3_last"),
        ("1001", "Episodes_last"),
        ("1002", "Episodes_last"),
        ("1010", "Episodes_last"),
    ],
)
def test_previous_year_rules_are_skipped_without_last_year(code, last_table):
    rule = LAC.get(code, 2026)
    assert last_table in rule.needs
    t = lac_tables(2026, Episodes=[ep("1", "01/01/2024")], OC3=[oc3("1")])
    status = run_rules(RuleSet("one", "CHILD", rules=[rule]), t).rule_status
    assert status["status"].tolist() == ["skipped"]


def test_348_is_not_in_force_before_2025_26():
    with pytest.raises(KeyError):
        LAC.get("348", 2025)


def test_191_flags_first_episode_of_cla_children_with_missing_items():
    # The public validator raised on any unparseable DECOM (idxmin/idxmax) and lost the whole rule.
    episodes = [
        ep("C", "01/06/2024", RNE="P"),
        ep("C", "01/01/2020", "01/06/2024", REC="X1"),
        ep("C2", "01/01/2020"),
        ep("C3", "01/01/2020"),
        ep("N", "01/06/2025"),
        ep("B", "31/02/2024"),
    ]
    oc2 = [row("C", **(HEALTH | {"TEETH_CHECK": None})), row("C3", **HEALTH)]
    t = lac_tables(2026, Episodes=episodes, OC2=oc2)
    assert failing_rows(LAC, "191", t) == [1, 2]
    t = lac_tables(2026, Episodes=episodes)  # no OC2 file: every such child lacks the items
    assert failing_rows(LAC, "191", t) == [1, 2, 3]


def test_1007_survives_an_unparseable_date():
    t = lac_tables(
        2026,
        Episodes=[ep("1", "31/02/2024", "xx"), ep("2", "01/01/2024")],
        OC3=[oc3("1", dob="01/06/2008"), oc3("2", dob="01/06/2008")],
    )
    assert failing_rows(LAC, "1007", t) == [1]


# --- a clean return: none of the Header/UASC/Reviews/Missing/OC2/OC3 rules may fire ---------------

MY_MODULES = {"schemas.rules.ssda903.header", "schemas.rules.ssda903.outcomes"}


def _clean_return() -> tuple[dict, dict]:
    header = [
        row("A", SEX="F", DOB="15/05/2015", ETHNIC="WBRI", UPN="A123456789012", MOTHER="0"),
        row("B", SEX="M", DOB="01/06/2007", ETHNIC="AIND", UPN="UN2"),
        row("U", SEX="M", DOB="10/10/2009", ETHNIC="BAFR", UPN="UN2"),
        row("L", SEX="F", DOB="01/10/2006", ETHNIC="WOTH", UPN="B123456789012"),
    ]
    oc2 = {**HEALTH, "CONVICTED": "0"}
    this = {
        "Header": header,
        "Episodes": [
            ep("A", "01/01/2020"),
            ep("B", "01/01/2023", "01/06/2025", REC="E8"),
            ep("U", "01/01/2024", LS="V2"),
        ],
        "UASC": [row("U", SEX="M", DOB="10/10/2009", DUC="10/10/2027")],
        "Reviews": [
            row("A", DOB="15/05/2015", REVIEW="01/06/2025", REVIEW_CODE="PN1"),
            row("U", DOB="10/10/2009", REVIEW="01/07/2025", REVIEW_CODE="PN3"),
        ],
        "Missing": [
            row("A", DOB="15/05/2015", MISSING="M", MIS_START="01/05/2025", MIS_END="03/05/2025"),
            row("A", DOB="15/05/2015", MISSING="A", MIS_START="10/06/2025"),
        ],
        "OC2": [
            row("A", DOB="15/05/2015", SDQ_SCORE="8", **oc2),
            row("U", DOB="10/10/2009", SDQ_SCORE="12", **oc2),
        ],
        "OC3": [oc3("L", dob="01/10/2006")],
    }
    last = {
        "Header": header,
        "Episodes": [
            ep("A", "01/01/2020"),
            ep("B", "01/01/2023"),
            ep("U", "01/01/2024", LS="V2"),
            ep("L", "01/01/2022", "01/10/2024", REC="E8"),
        ],
        "UASC": [row("U", SEX="M", DOB="10/10/2009", DUC="10/10/2027")],
        "Missing": [row("A", DOB="15/05/2015", MISSING="M", MIS_START="01/02/2025", MIS_END="02/02/2025")],
        "OC3": [oc3("L", dob="01/10/2006")],
    }
    return this, last


def test_a_clean_return_raises_nothing():
    this, last = _clean_return()
    t = lac_tables(2026, previous=last, **this)
    mine = [r for r in LAC.select(2026) if r.func.__module__ in MY_MODULES]
    assert len(mine) == 96  # the 95 rules of this group, plus 102
    result = run_rules(RuleSet("mine", "CHILD", rules=mine), t)
    assert set(result.rule_status["status"]) == {"ran"}
    assert sorted(result.issues["rule_code"].unique()) == []


def _my_rules(year: int) -> RuleSet:
    return RuleSet("mine", "CHILD", rules=[r for r in LAC.select(year) if r.func.__module__ in MY_MODULES])


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_every_rule_runs_on_empty_tables(year):
    names = ["Header", "Episodes", "UASC", "Reviews", "Missing", "OC2", "OC3"]
    empty = {name: [] for name in names}
    t = lac_tables(year, previous=dict(empty), **empty)
    result = run_rules(_my_rules(year), t)
    assert set(result.rule_status["status"]) == {"ran"}
    assert result.issues.empty


def test_every_rule_runs_when_every_date_is_unparseable():
    # The public validator lost whole rules to one bad date; here each rule still runs.
    this, last = _clean_return()
    date_cols = {"DOB", "MC_DOB", "DECOM", "DEC", "DUC", "REVIEW", "MIS_START", "MIS_END"}

    def spoil(tables: dict) -> dict:
        return {
            n: [{k: ("31/02/2026" if k in date_cols else v) for k, v in r.items()} for r in rows]
            for n, rows in tables.items()
        }

    t = lac_tables(2026, previous=spoil(last), **spoil(this))
    result = run_rules(_my_rules(2026), t)
    assert set(result.rule_status["status"]) == {"ran"}
