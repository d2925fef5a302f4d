"""OC3's cohort in the 903 build: young people with a 17th to 21st birthday in the year whose care ended
before it and who are care leavers (13 weeks looked after after 14, some of it after 16), judged on the
whole history, looked after in the year or not. Small hand-made tables, both sides of each boundary."""

from __future__ import annotations

import pandas as pd
import pytest

from statreturns.ssda903.build import as_at, build_903_frames, care_leavers
from statreturns.ssda903.csv_reader import read_csv_set
from statreturns.ssda903.writer import write_csv_set
from statreturns.ssda903.xml_reader import read_xml

END = pd.Timestamp("2026-03-31")
D = pd.Timestamp
DAY = pd.Timedelta(days=1)


def _frame(columns: list[str], rows: list[dict], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns).astype("object")
    for col in dates:
        frame[col] = pd.to_datetime(frame[col])
    return frame


def _tables(children: list[dict], episodes: list[dict], oc3: list[str], uasc: list[str] = ()) -> dict:
    """Canonical tables holding only the given children, episodes and OC3 / UASC records."""
    kids = [{"UPN": None, "UPNunknown": "UN3", "Sex": "F", "Ethnicity": "WBRI", "MOTHER": "0", "MC_DOB": None,
             **c} for c in children]
    eps = [{"RNE": "S", "LS": "C2", "CIN": "N1", "PLACE": "U4", "PLACE_PROVIDER": "PR1", "REC": "E5",
            "REASON_PLACE_CHANGE": None, "HOME_POST": None, "PL_POST": None, "URN": None, **e} for e in episodes]
    for e in eps:
        if e.get("DEC") is None:
            e["REC"] = None
    empty = lambda cols, dates=(): _frame(cols, [], dates)  # noqa: E731
    return {
        "children": _frame(["child_id", "UPN", "UPNunknown", "PersonBirthDate", "Sex", "Ethnicity", "MOTHER",
                            "MC_DOB"], kids, ("PersonBirthDate", "MC_DOB")),
        "la_episodes": _frame(["child_id", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                               "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"], eps, ("DECOM", "DEC")),
        "oc3": _frame(["child_id", "IN_TOUCH", "ACTIV", "ACCOM"],
                      [{"child_id": c, "IN_TOUCH": "YES", "ACTIV": "F2", "ACCOM": "C1"} for c in oc3]),
        "uasc": _frame(["child_id", "DUC"], [{"child_id": c, "DUC": D("2025-06-01")} for c in uasc], ("DUC",)),
        "la_reviews": empty(["child_id", "REVIEW", "REVIEW_CODE"], ("REVIEW",)),
        "missing": empty(["child_id", "MISSING", "MIS_START", "MIS_END"], ("MIS_START", "MIS_END")),
        "oc2": empty(["child_id", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS",
                      "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED",
                      "INTERVENTION_OFFERED"]),
        "ad1": empty(["child_id", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR",
                      "adoption_order_date"], ("DATE_INT", "DATE_MATCH", "adoption_order_date")),
        "placed_for_adoption": empty(["child_id", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
                                     ("DATE_PLACED", "DATE_PLACED_CEASED")),
        "previous_permanence": empty(["child_id", "PREV_PERM", "LA_PERM", "DATE_PERM"]),
        "sw_episodes": empty(["child_id", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"], ("SW_DECOM", "SW_DEC")),
        "dolo": empty(["child_id", "DOLO_START", "DOLO_END"], ("DOLO_START", "DOLO_END")),
    }


def _cohort(dob: str, episodes: list[tuple], end: pd.Timestamp = END) -> bool:
    """Whether one young person (born ``dob``, with (DECOM, DEC[, LS]) episodes) is in the cohort."""
    eps = [{"child_id": "A", "DECOM": D(e[0]), "DEC": None if e[1] is None else D(e[1]),
            **({"LS": e[2]} if len(e) > 2 else {})} for e in episodes]
    t = _tables([{"child_id": "A", "PersonBirthDate": D(dob)}], eps, ["A"])
    return "A" in care_leavers(as_at(t, end)["la_episodes"], t["children"], end)


# Born 2 June 2008: 14 on 2 June 2022, 16 on 2 June 2024, 17 on 2 June 2025 (in the year), 18 in 2026.
DOB = "2008-06-02"
SIXTEEN = D("2024-06-02")


@pytest.mark.parametrize(("nights", "expected"), [(91, True), (90, False)])
def test_thirteen_weeks_is_91_nights_after_14(nights, expected):
    start = SIXTEEN + 5 * DAY - nights * DAY
    assert _cohort(DOB, [(start, SIXTEEN + 5 * DAY)]) is expected


@pytest.mark.parametrize(("ended", "expected"), [(SIXTEEN - DAY, False), (SIXTEEN, False), (SIXTEEN + DAY, True)])
def test_some_care_after_the_16th_birthday(ended, expected):
    # Care ending on the 16th birthday leaves no night after it: not a care leaver.
    assert _cohort(DOB, [(SIXTEEN - 300 * DAY, ended)]) is expected


def test_nights_add_up_over_episodes_and_before_14_do_not_count():
    fourteen = D("2022-06-02")
    # 60 nights after 14 plus 31 after 16 = 91; the year before 14 counts for nothing.
    episodes = [(fourteen - 365 * DAY, fourteen + 60 * DAY), (SIXTEEN, SIXTEEN + 31 * DAY)]
    assert _cohort(DOB, episodes)
    assert not _cohort(DOB, [(fourteen - 365 * DAY, fourteen + 59 * DAY), (SIXTEEN, SIXTEEN + 31 * DAY)])


@pytest.mark.parametrize(("ls", "expected"), [("V3", False), ("V4", False), ("C2", True), ("V2", True)])
def test_short_breaks_do_not_count(ls, expected):
    assert _cohort(DOB, [(SIXTEEN - 200 * DAY, SIXTEEN + 30 * DAY, ls)]) is expected


@pytest.mark.parametrize(("dob", "expected"), [
    ("2008-04-01", True),   # 17th birthday on 1 April 2025, the year's first day
    ("2009-03-31", True),   # 17th birthday on 31 March 2026, its last day
    ("2009-04-01", False),  # 17th birthday on 1 April 2026: next year
    ("2004-04-01", True),   # 21st birthday on 1 April 2025
    ("2004-03-31", False),  # 22nd birthday on 31 March 2026: too old
])
def test_a_17th_to_21st_birthday_in_the_year(dob, expected):
    sixteen = pd.Timestamp(dob) + pd.DateOffset(years=16)
    assert _cohort(dob, [(sixteen - 200 * DAY, sixteen + 100 * DAY)]) is expected


@pytest.mark.parametrize(("ended", "expected"), [(D("2025-06-01"), True), (D("2025-06-02"), False),
                                                 (D("2025-09-01"), False), (None, False)])
def test_care_ended_before_the_birthday(ended, expected):
    # Ending on the 17th birthday (2 June 2025) or later, or still open: not this year's care leaver (1007,
    # 1016); next year, at 18, they are.
    assert _cohort(DOB, [(SIXTEEN - 300 * DAY, ended)]) is expected


def test_care_leaver_is_judged_on_the_history_as_at_31_march():
    # A return to care after 31 March is not yet in the system: still a care leaver this year.
    assert _cohort(DOB, [(SIXTEEN - 300 * DAY, D("2025-05-01")), (D("2026-04-10"), None)])
    assert not _cohort(DOB, [(SIXTEEN - 300 * DAY, D("2025-05-01")), (D("2026-03-10"), None)])


def _leaver_tables() -> dict:
    """L: 19 in the year, left care at 18 in 2024-25 (not looked after in 2025-26), a mother, UASC on record.
    C: looked after in the year. N: a care leaver with no OC3 record. Y: too young (no care after 16)."""
    children = [{"child_id": "L", "PersonBirthDate": D("2006-07-10"), "MOTHER": "1", "MC_DOB": D("2024-01-05")},
                {"child_id": "C", "PersonBirthDate": D("2012-05-05"), "Sex": "M", "MOTHER": None},
                {"child_id": "N", "PersonBirthDate": D("2006-08-10")},
                {"child_id": "Y", "PersonBirthDate": D("2008-09-01")}]
    episodes = [{"child_id": "L", "DECOM": D("2022-01-01"), "DEC": D("2024-07-01"), "REC": "E5"},
                {"child_id": "C", "DECOM": D("2025-05-01"), "DEC": None},
                {"child_id": "N", "DECOM": D("2022-01-01"), "DEC": D("2024-08-01")},
                {"child_id": "Y", "DECOM": D("2023-01-01"), "DEC": D("2024-08-31")}]
    return _tables(children, episodes, ["L", "Y"], uasc=["L"])


def test_a_care_leaver_not_looked_after_in_the_year_has_a_header_and_oc3_row_only():
    out = build_903_frames(_leaver_tables(), 2026)
    assert sorted(out["Header"]["CHILD"]) == ["C", "L"]
    assert list(out["OC3"]["CHILD"]) == ["L"] and out["OC3"]["DOB"].tolist() == ["10/07/2006"]
    assert set(out["Episodes"]["CHILD"]) == {"C"}
    leaver = out["Header"].set_index("CHILD").loc["L"]
    assert leaver["MOTHER"] is None and leaver["MC_DOB"] is None  # not asked of her (628)
    assert out["UASC"].empty  # not asked of her either (1014)


def test_last_years_return_has_her_looked_after_with_motherhood():
    # In 2024-25 she was looked after (to 1 July 2024) and left before her 18th birthday (10 July 2024): a
    # care leaver that year too, with motherhood and UASC as a looked-after child. Y had no care after 16.
    out = build_903_frames(_leaver_tables(), 2025)
    assert sorted(out["Header"]["CHILD"]) == ["L", "N", "Y"]
    leaver = out["Header"].set_index("CHILD").loc["L"]
    assert leaver["MOTHER"] == "1" and leaver["MC_DOB"] == "05/01/2024"
    assert list(out["OC3"]["CHILD"]) == ["L"]
    assert list(out["UASC"]["CHILD"]) == ["L"]


def test_csv_and_xml_readers_agree_on_a_leaver_without_episodes(tmp_path):
    write_csv_set(build_903_frames(_leaver_tables(), 2026), tmp_path, 2026)
    csv = read_csv_set(tmp_path).tables
    xml_path = tmp_path / "return.xml"
    xml_path.write_text(
        "<EXPSSDA903><CHILD><HEADER><CHILDID>L</CHILDID><SEX>F</SEX><DOB>10/07/2006</DOB><ETHNIC>WBRI</ETHNIC>"
        "<UPN>UN3</UPN><MOTHER/><MC_DOB/><UASC>0</UASC><IN_TOUCH>YES</IN_TOUCH><ACTIV>F2</ACTIV><ACCOM>C1</ACCOM>"
        "</HEADER></CHILD></EXPSSDA903>", encoding="utf-8")
    xml = read_xml(xml_path).tables
    for t in (csv, xml):
        assert "L" in set(t["Header"]["CHILD"]) and "L" not in set(t["Episodes"]["CHILD"])
        oc3 = t["OC3"].set_index("CHILD").loc["L"]
        assert [oc3["IN_TOUCH"], oc3["ACTIV"], oc3["ACCOM"]] == ["YES", "F2", "C1"]
        head = t["Header"].set_index("CHILD").loc["L"]
        assert pd.isna(head["MOTHER"]) and pd.isna(head["MC_DOB"])
        assert "L" not in set(t["UASC"]["CHILD"])
