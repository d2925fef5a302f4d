"""Per-rule tests for schemas/rules/cin/identifiers.py (synthetic values only)."""

from __future__ import annotations

import pytest

from schemas.rules.cin import CIN
from schemas.rules.cin.identifiers import CHECK_LETTERS, upn_check_letter
from tests.rules.helpers import cin_tables, failing_rows

CODES = [
    "1510",
    "1520",
    "1530",
    "1540",
    "1550",
    "1560Q",
    "1570",
    "1580",
    "2886Q",
    "2887Q",
    "2888Q",
    "4008",
    "4009Q",
    "4180",
    "4220",
    "8500",
    "8510",
    "8520",
    "8525Q",
    "8530Q",
    "8535Q",
    "8540",
    "8545Q",
    "8590",
    "8750",
    "8770Q",
    "8772",
    "8775Q",
    "8790",
    "8794",
]


def _letter(tail: str) -> str:
    """Independent scalar check letter for a 12-digit tail (test oracle)."""
    return CHECK_LETTERS[sum(int(c) * w for c, w in zip(tail, range(2, 14), strict=True)) % 23]


def kids(*rows: dict) -> list[dict]:
    """Child records with a default id C<n> unless given."""
    return [{"LAchildID": f"C{i}", **r} for i, r in enumerate(rows)]


def ci_rows(code: str, rows: list[dict], year: int = 2026, **tables) -> list[int]:
    return failing_rows(CIN, code, cin_tables(year, ChildIdentifiers=rows, **tables))


@pytest.mark.parametrize("code", CODES)
def test_registered_for_every_year(code):
    for year in (2025, 2026, 2027):
        assert CIN.get(code, year).code == code


# ---- UPN ----------------------------------------------------------------------------------------------


def test_check_letter_hand_computed():
    # 8*2 + 2*3 + 1*13 = 35; 35 mod 23 = 12 -> N
    assert _letter("820000000001") == "N"
    t = cin_tables(ChildIdentifiers=kids({"UPN": "N820000000001"}))
    assert upn_check_letter(t.ChildIdentifiers["UPN"]).tolist() == ["N"]


def test_1510_wrong_check_letter():
    tail = "93112345678" + "9"
    rows = kids(
        {"UPN": _letter(tail) + tail},
        {"UPN": "N820000000001"},
        {"UPN": "A820000000001"},
        {"UPN": None},
        {"UPN": "A82000000000A"},
        {"UPN": "A8200000001"},
    )
    # The letter-ended (temporary) and short UPNs are not check-letter tested.
    assert ci_rows("1510", rows) == [2]


def test_1520_duplicate_upn_flags_every_holder():
    rows = kids(
        {"UPN": "N820000000001"},
        {"UPN": "A820000000002"},
        {"UPN": "N820000000001"},
        {"UPN": None},
        {"UPN": None},
        {"UPN": " A820000000002 "},
    )
    assert ci_rows("1520", rows) == [0, 1, 2, 5]
    assert ci_rows("1520", kids({"UPN": "N820000000001"}, {"UPN": None}, {"UPN": None})) == []


@pytest.mark.parametrize(
    ("upn", "fires"),
    [
        ("N820000000001", False),
        ("A001000000001", False),
        ("A943000000001", False),
        ("A420000000001", False),
        ("A000000000001", True),
        ("A999000000001", True),
        ("A214000000001", True),
        ("A82000000001", False),
        (None, False),
    ],
)
def test_1530_la_code(upn, fires):
    assert ci_rows("1530", kids({"UPN": upn})) == ([0] if fires else [])


@pytest.mark.parametrize(
    ("upn", "fires"),
    [
        ("N820000000001", False),
        ("A82012345678A", False),
        ("A8201234X678A", True),
        ("A820", True),
        ("A8201234567", True),
        (None, False),
    ],
)
def test_1540_digits_5_to_12(upn, fires):
    assert ci_rows("1540", kids({"UPN": upn})) == ([0] if fires else [])


@pytest.mark.parametrize(
    ("upn", "fires"),
    [
        ("N820000000001", False),
        ("A82000000000Z", False),
        ("A82000000000I", True),
        ("A82000000000O", True),
        ("A82000000000S", True),
        ("A82000000000a", True),
        ("A8200000000I", False),
        (None, False),
    ],
)
def test_1550_character_13(upn, fires):
    assert ci_rows("1550", kids({"UPN": upn})) == ([0] if fires else [])


@pytest.mark.parametrize(
    ("former", "fires"),
    [
        ("N820000000001", False),
        (
            "A82000000000B",
            False,
        ),  # temporary format: the XSD allows it though the public validator queries it
        ("a82000000000b", False),
        ("AB2000000000B", True),
        ("A8200000000", True),
        ("A8200000000011", True),
        (None, False),
        ("  ", False),
    ],
)
def test_1560q_former_upn_format(former, fires):
    assert ci_rows("1560Q", kids({"FormerUPN": former})) == ([0] if fires else [])


def test_1570_and_1580_child_id_form():
    rows = [
        {"LAchildID": "A" * 20},
        {"LAchildID": "A" * 21},
        {"LAchildID": "AB-12"},
        {"LAchildID": "ab12"},
        {"LAchildID": None},
        {"LAchildID": "AB 12"},
    ]
    assert ci_rows("1570", rows) == [1]
    assert ci_rows("1580", rows) == [2, 5]


# ---- return level -------------------------------------------------------------------------------------


def test_2886q_more_than_2_percent_without_sex():
    ok = [{"LAchildID": f"K{i}", "Sex": "M"} for i in range(49)]
    # 1 of 50 = 2%: not more than 2%
    assert ci_rows("2886Q", [*ok, {"LAchildID": "X", "Sex": "U"}]) == []
    # 2 of 50 (one missing, one U) = 4%
    assert ci_rows("2886Q", [*ok[:48], {"LAchildID": "X", "Sex": "U"}, {"LAchildID": "Y"}]) == [0]


def test_2886q_unborn_children_are_not_counted():
    ok = [{"LAchildID": f"K{i}", "Sex": "F"} for i in range(48)]
    unborn = [{"LAchildID": f"U{i}", "Sex": "U", "ExpectedPersonBirthDate": "2026-05-01"} for i in range(2)]
    assert ci_rows("2886Q", [*ok, *unborn]) == []


def _disabilities(codes_by_child: dict[str, list[str]]) -> list[dict]:
    return [{"LAchildID": c, "Disability": d} for c, ds in codes_by_child.items() for d in ds]


def test_2887q_fewer_than_8_distinct_codes():
    children = kids(*[{} for _ in range(3)])
    eight = ["MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS"]
    t = cin_tables(ChildIdentifiers=children, Disabilities=_disabilities({"C0": eight[:4], "C1": eight[4:]}))
    assert failing_rows(CIN, "2887Q", t) == []
    # Seven codes plus NONE and an invalid code: still fewer than 8 real codes.
    t = cin_tables(
        ChildIdentifiers=children,
        Disabilities=_disabilities({"C0": eight[:7], "C1": ["NONE"], "C2": ["XYZ"]}),
    )
    assert failing_rows(CIN, "2887Q", t) == [0]


def test_2887q_one_code_used_by_many_children_fires():
    # The public validator counts NONE rows, so it stays silent here; the DfE logic queries it.
    children = [{"LAchildID": f"K{i}"} for i in range(40)]
    t = cin_tables(
        ChildIdentifiers=children,
        Disabilities=[{"LAchildID": f"K{i}", "Disability": "AUT"} for i in range(40)],
    )
    assert failing_rows(CIN, "2887Q", t) == [0]


def test_2887q_many_none_rows_do_not_count():
    children = [{"LAchildID": f"K{i}"} for i in range(10)]
    t = cin_tables(
        ChildIdentifiers=children,
        Disabilities=[{"LAchildID": f"K{i}", "Disability": "NONE"} for i in range(10)],
    )
    assert failing_rows(CIN, "2887Q", t) == [0]


def test_2887q_no_disabilities_at_all_fires_on_first_child():
    assert failing_rows(CIN, "2887Q", cin_tables(ChildIdentifiers=kids({}, {}))) == [0]


def test_2888q_needs_one_child_with_several_codes():
    children = kids({}, {})
    t = cin_tables(ChildIdentifiers=children, Disabilities=_disabilities({"C0": ["MOB"], "C1": ["HAND"]}))
    assert failing_rows(CIN, "2888Q", t) == [0]
    # NONE and a repeated code do not make a second disability.
    t = cin_tables(
        ChildIdentifiers=children, Disabilities=_disabilities({"C0": ["MOB", "NONE"], "C1": ["PC", "PC"]})
    )
    assert failing_rows(CIN, "2888Q", t) == [0]
    t = cin_tables(
        ChildIdentifiers=children, Disabilities=_disabilities({"C0": ["MOB"], "C1": ["PC", "AUT"]})
    )
    assert failing_rows(CIN, "2888Q", t) == []


# ---- death and CIN plans -------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "column"), [("4008", "CINPlanStartDate"), ("4009Q", "CINPlanEndDate")])
def test_plan_dates_after_death(code, column):
    children = kids({"PersonDeathDate": "2025-10-10"}, {"PersonDeathDate": None}, {"PersonDeathDate": "bad"})
    plans = [
        {"LAchildID": "C0", column: "2025-10-11"},
        {"LAchildID": "C0", column: "2025-10-10"},
        {"LAchildID": "C1", column: "2026-01-01"},
        {"LAchildID": "C2", column: "2026-01-01"},
        {"LAchildID": "C0", column: None},
        {"LAchildID": "C0", column: "2026-03-31"},
    ]
    t = cin_tables(ChildIdentifiers=children, CINplanDates=plans)
    assert CIN.get(code, 2026).table == "CINplanDates"
    assert failing_rows(CIN, code, t) == [0, 5]


# ---- sex, ethnicity, ids -----------------------------------------------------------------------------


def test_4180_sex_codes():
    rows = kids({"Sex": "M"}, {"Sex": "F"}, {"Sex": "U"}, {"Sex": None}, {"Sex": "1"}, {"Sex": "X"})
    assert ci_rows("4180", rows) == [3, 4, 5]


def test_4220_ethnicity():
    rows = [
        {"LAchildID": f"C{i}", "Ethnicity": e}
        for i, e in enumerate(["WBRI", "NOBT", "REFU", None, "XXXX", ""])
    ]
    t = cin_tables(ChildCharacteristics=rows)
    assert failing_rows(CIN, "4220", t) == [3, 4, 5]


def test_8500_and_8510_child_id():
    rows = [
        {"LAchildID": "A"},
        {"LAchildID": None},
        {"LAchildID": "B"},
        {"LAchildID": " "},
        {"LAchildID": "A"},
        {"LAchildID": None},
    ]
    assert ci_rows("8500", rows) == [1, 3, 5]
    assert ci_rows("8510", rows) == [0, 4]
    assert ci_rows("8510", [{"LAchildID": "A"}, {"LAchildID": "B"}]) == []


# ---- birth and death dates ----------------------------------------------------------------------------


def test_8520_birth_after_reference_date():
    rows = kids(
        {"PersonBirthDate": "2026-03-31"},
        {"PersonBirthDate": "2026-04-01"},
        {"PersonBirthDate": None},
        {"PersonBirthDate": "2026-13-01"},
    )
    assert ci_rows("8520", rows) == [1]
    assert ci_rows("8520", rows, year=2027) == []


def test_8525q_exactly_one_birth_date():
    rows = kids(
        {"PersonBirthDate": "2020-01-01"},
        {"ExpectedPersonBirthDate": "2026-05-01"},
        {"PersonBirthDate": "2020-01-01", "ExpectedPersonBirthDate": "2026-05-01"},
        {},
    )
    assert ci_rows("8525Q", rows) == [2, 3]


@pytest.mark.parametrize(
    ("expected", "fires"),
    [
        ("2026-03-01", False),
        ("2026-02-28", True),
        ("2026-12-31", False),
        ("2027-01-01", True),
        ("2026-06-15", False),
        (None, False),
        ("junk", False),
    ],
)
def test_8530q_expected_birth_range(expected, fires):
    assert ci_rows("8530Q", kids({"ExpectedPersonBirthDate": expected})) == ([0] if fires else [])


def test_8535q_death_before_birth():
    rows = kids(
        {"PersonBirthDate": "2020-01-02", "PersonDeathDate": "2020-01-01"},
        {"PersonBirthDate": "2020-01-02", "PersonDeathDate": "2020-01-02"},
        {"PersonBirthDate": None, "PersonDeathDate": "2025-06-01"},
        {"PersonBirthDate": "2020-01-02", "PersonDeathDate": None},
    )
    assert ci_rows("8535Q", rows) == [0]


def _episode(child: str, nfa: str | None, **extra) -> dict:
    return {"LAchildID": child, "ReferralNFA": nfa, **extra}


def test_8540_disability_missing_or_invalid():
    children = kids(
        *[{"PersonBirthDate": "2015-01-01"} for _ in range(5)],
        {"ExpectedPersonBirthDate": "2026-05-01"},
        {"PersonBirthDate": "2015-01-01"},
    )
    chars = [{"LAchildID": f"C{i}", "Ethnicity": "WBRI"} for i in range(7)]
    episodes = [_episode(f"C{i}", "false") for i in range(6)] + [_episode("C6", "true")]
    episodes.append(_episode("C0", "TRUE"))
    disabilities = _disabilities({"C0": ["NONE"], "C1": ["MOB", "XYZ"], "C3": ["AUT"], "C4": [" "]})
    t = cin_tables(
        ChildIdentifiers=children, ChildCharacteristics=chars, CINdetails=episodes, Disabilities=disabilities
    )
    # C1 invalid code, C2 none recorded, C4 blank; C5 unborn and C6 NFA only are out of scope.
    assert failing_rows(CIN, "8540", t) == [1, 2, 4]


def test_8540_accepts_0_as_further_action():
    t = cin_tables(
        ChildIdentifiers=kids({"PersonBirthDate": "2015-01-01"}),
        ChildCharacteristics=kids({}),
        CINdetails=[_episode("C0", "0")],
    )
    assert failing_rows(CIN, "8540", t) == [0]


@pytest.mark.parametrize(
    ("death", "year", "fires"),
    [
        ("2025-04-01", 2026, False),
        ("2026-03-31", 2026, False),
        ("2025-03-31", 2026, True),
        ("2026-04-01", 2026, True),
        ("2025-03-31", 2025, False),
        (None, 2026, False),
        ("nonsense", 2026, False),
    ],
)
def test_8545q_death_inside_period(death, year, fires):
    assert ci_rows("8545Q", kids({"PersonDeathDate": death}), year=year) == ([0] if fires else [])


def test_8590_child_without_episode():
    t = cin_tables(
        ChildIdentifiers=kids({}, {}, {}), CINdetails=[_episode("C0", "true"), _episode("C2", "false")]
    )
    assert failing_rows(CIN, "8590", t) == [1]
    assert failing_rows(CIN, "8590", cin_tables(ChildIdentifiers=kids({}))) == [0]


def test_8750_unborn_must_have_sex_u():
    rows = kids(
        {"ExpectedPersonBirthDate": "2026-05-01", "Sex": "U"},
        {"ExpectedPersonBirthDate": "2026-05-01", "Sex": "F"},
        {"ExpectedPersonBirthDate": "2026-05-01", "Sex": None},
        {"PersonBirthDate": "2020-01-01", "Sex": "M"},
        {"PersonBirthDate": "2020-01-01", "ExpectedPersonBirthDate": "2020-01-01", "Sex": "M"},
    )
    assert ci_rows("8750", rows) == [1, 2]


# ---- UPN unknown and age -------------------------------------------------------------------------------


def test_8770q_school_age_child_without_upn():
    # Year 2026: school age = born on or before 31 August 2020.
    rows = kids(
        {"PersonBirthDate": "2020-08-31"},  # 0 fires
        {"PersonBirthDate": "2020-09-01"},  # 1 too young
        {"PersonBirthDate": "2015-01-01", "UPNunknown": "UN1"},  # 2 fires: UN1 not accepted
        {"PersonBirthDate": "2015-01-01", "UPNunknown": "UN3"},  # 3 reason given
        {"PersonBirthDate": "2015-01-01", "UPN": "N820000000001"},  # 4 has UPN
        {"PersonBirthDate": "2015-01-01"},  # 5 NFA episodes only
        {"PersonBirthDate": None},
    )  # 6 no DOB
    episodes = [_episode(f"C{i}", "false") for i in range(7) if i != 5] + [_episode("C5", "1")]
    assert ci_rows("8770Q", rows, CINdetails=episodes) == [0, 2]
    # Year 2025: the cut-off is 31 August 2019, so the child born on 31 August 2020 is not of school age.
    assert ci_rows("8770Q", rows, year=2025, CINdetails=episodes) == [2]


def test_1510_runs_when_no_child_has_a_upn_to_check():
    # It used to raise (reshaping an empty array), so the rule was reported as failed.
    rows = kids({"UPNunknown": "UN7"}, {"UPN": "not-a-upn"})
    assert ci_rows("1510", rows) == []


def test_8772_un7_with_further_action():
    rows = kids({"UPNunknown": "UN7"}, {"UPNunknown": "UN7"}, {"UPNunknown": "UN2"}, {"UPNunknown": "UN7"})
    episodes = [
        _episode("C0", "true"),
        _episode("C0", "FALSE"),
        _episode("C1", "1"),
        _episode("C1", "TRUE"),
        _episode("C2", "false"),
        _episode("C3", None),
    ]
    assert ci_rows("8772", rows, CINdetails=episodes) == [0, 3]


@pytest.mark.parametrize("flags, fires", [
    (["true", "1"], False),
    (["true", None], True),      # blank flag: not shown as NFA (8568 reports it too)
    (["TRUE", "maybe"], True),   # unrecognised flag
    ([None], True),
    (["0"], True),
    ([], False),                 # no episode at all: nothing contradicts UN7
])
def test_8772_every_episode_of_an_un7_child_must_be_nfa(flags, fires):
    rows = kids({"UPNunknown": "UN7"}, {"UPNunknown": "UN2"})
    episodes = [_episode("C0", f) for f in flags] + [_episode("C1", None)]
    assert ci_rows("8772", rows, CINdetails=episodes) == ([0] if fires else [])


def test_8775q_over_25():
    # Year 2026: 25th birthday on or before 31 March 2026 means born on or before 31 March 2001.
    rows = kids(
        {"PersonBirthDate": "2001-03-31"},
        {"PersonBirthDate": "2001-04-01"},
        {"PersonBirthDate": "2000-06-01"},
        {"PersonBirthDate": "2000-06-01"},
        {"PersonBirthDate": None},
    )
    episodes = [
        _episode("C0", "false"),  # open: fires
        _episode("C1", "false"),  # not 25 yet
        _episode("C2", "false", CINclosureDate="2025-06-01"),  # closed on 25th birthday
        _episode("C3", "false", CINclosureDate="2025-06-02"),  # closed after: fires
        _episode("C4", "false"),
    ]
    assert ci_rows("8775Q", rows, CINdetails=episodes) == [0, 3]


# ---- Disabilities -------------------------------------------------------------------------------------


def test_8790_none_with_other_codes():
    d = _disabilities({"C0": ["NONE", "MOB"], "C1": ["NONE"], "C2": ["MOB", "HAND"], "C3": ["NONE", "NONE"]})
    t = cin_tables(Disabilities=d)
    assert failing_rows(CIN, "8790", t) == [0, 1]


def test_8794_same_code_twice():
    d = _disabilities(
        {"C0": ["MOB", "MOB"], "C1": ["MOB"], "C2": ["HAND", "PC", "HAND"], "C3": ["NONE", "NONE"]}
    )
    t = cin_tables(Disabilities=d)
    assert failing_rows(CIN, "8794", t) == [0, 1, 3, 5, 6, 7]


@pytest.mark.parametrize(
    ("code", "table", "needs"),
    [
        ("4008", "CINplanDates", {"ChildIdentifiers"}),
        ("4009Q", "CINplanDates", {"ChildIdentifiers"}),
        ("8540", "ChildCharacteristics", {"ChildIdentifiers", "Disabilities", "CINdetails"}),
        ("8590", "ChildIdentifiers", {"CINdetails"}),
        ("8770Q", "ChildIdentifiers", {"CINdetails"}),
        ("8772", "ChildIdentifiers", {"CINdetails"}),
        ("8775Q", "ChildIdentifiers", {"CINdetails"}),
        ("2887Q", "ChildIdentifiers", {"Disabilities"}),
    ],
)
def test_reported_table_and_needs(code, table, needs):
    r = CIN.get(code, 2026)
    assert r.table == table
    assert needs <= set(r.needs)


@pytest.mark.parametrize("code", ["2886Q", "2887Q", "2888Q"])
def test_return_level_rules(code):
    assert CIN.get(code, 2026).level == "return"
    assert CIN.get(code, 2026).severity == "query"
