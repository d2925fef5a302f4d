"""Issue #11, SSDA903 items 6-14: the cases an outside check found answering differently from the DfE text.

Collection year 2026 (1 April 2025 - 31 March 2026) unless said. All values are made up.
"""

from __future__ import annotations

import pandas as pd

from schemas.rules.ssda903 import LAC
from tests.rules.helpers import failing_rows, lac_tables


def h(child: str, **kw) -> dict:
    return {"CHILD": child, **kw}


def ep(child: str, decom: str, dec: str | None = None, **kw) -> dict:
    return {"CHILD": child, "DECOM": decom, "DEC": dec, "RNE": "S", "LS": "C2", "PLACE": "U1", **kw}


def mis(child: str, start: str | None, end: str | None = None, kind: str | None = "M") -> dict:
    return {"CHILD": child, "MISSING": kind, "MIS_START": start, "MIS_END": end}


# --- item 6: 565 / 566 fire only when MISSING is blank ---------------------------------------------------

def test_565_566_only_a_blank_missing_type():
    rows = [mis("1", "01/05/2025", "02/05/2025", kind=None),  # blank: both fire
            mis("2", "01/05/2025", "02/05/2025", kind="X"),   # invalid: 1006 alone
            mis("3", "01/05/2025", "02/05/2025"),             # valid: none
            mis("4", "01/05/2025", None, kind="zz"),          # invalid, no end: 1006 alone
            mis("5", None, None, kind=None)]                  # nothing given: none
    t = lac_tables(Missing=rows)
    assert failing_rows(LAC, "565", t) == [0]
    assert failing_rows(LAC, "566", t) == [0]
    assert failing_rows(LAC, "1006", t) == [1, 3]


# --- item 7: 189 "17 or over at the start of the year" -----------------------------------------------------

def oc2(child: str, dob: str, **kw) -> dict:
    return {"CHILD": child, "DOB": dob, **kw}


def test_189_and_197b_never_both_fail_a_child_turning_17_on_1_april():
    # Child 1 turns 17 on 1 April 2025 (the first day of the year); child 2 the day before; child 3 was born
    # on 29 February 2008 (17th birthday 28 February 2025).
    episodes = [ep(c, "01/01/2024") for c in "123"]
    for sdq in ({"SDQ_SCORE": "12"}, {}):
        t = lac_tables(Episodes=episodes, OC2=[oc2("1", "01/04/2008", **sdq), oc2("2", "31/03/2008", **sdq),
                                               oc2("3", "29/02/2008", **sdq)])
        if sdq:
            assert failing_rows(LAC, "189", t) == [1, 2]
            assert failing_rows(LAC, "197B", t) == []
        else:
            assert failing_rows(LAC, "189", t) == []
            assert failing_rows(LAC, "197B", t) == [0]


# --- item 8: 203 compares what was recorded --------------------------------------------------------------

def test_203_a_dob_unusable_in_one_year_only_is_a_difference():
    last = [h("1", DOB="01/01/2010"), h("2", DOB="01/01/2010"), h("3"), h("4", DOB="31/02/2010"),
            h("5"), h("6", DOB="bad"), h("7", DOB="01/01/2010"), h("8", DOB="01/01/2010")]
    now = [h("1", DOB="01/01/2010"),   # same: silent
           h("2"),                     # blank now, valid last year: reported
           h("3", DOB="01/01/2010"),   # valid now, blank last year: reported
           h("4", DOB="28/02/2010"),   # valid now, not a date last year: reported
           h("5", DOB="31/02/2010"),   # both unusable: silent
           h("6"),                     # both unusable: silent
           h("7", DOB="02/01/2010"),   # both valid, different: reported
           h("8", DOB="31/13/2010"),   # not a date now, valid last year: reported
           h("9")]                     # not in last year's return: silent
    t = lac_tables(previous={"Header": last}, Header=now)
    assert failing_rows(LAC, "203", t) == [1, 2, 3, 6, 7]


# --- item 11: 1001 and 1002 are independent --------------------------------------------------------------

def test_1001_and_1002_both_report_a_care_leaver_with_no_episodes():
    dob = "01/06/2007"  # 18 at the end of the year
    episodes = [ep("1", "01/01/2022", "01/06/2025", REC="E8")]  # in care well past 14 and 16: relevant
    oc3 = [{"CHILD": c, "DOB": dob, "IN_TOUCH": "YES", "ACTIV": "F1", "ACCOM": "B1"} for c in ("1", "2", "3")]
    t = lac_tables(previous={"Episodes": [ep("3", "01/01/2022", "01/02/2025", REC="E8")]}, Episodes=episodes,
                   OC3=oc3)
    # Child 2 has no episode in either year: both rules. Child 3's are last year's only: relevant, not 1002.
    assert failing_rows(LAC, "1002", t) == [1]
    assert failing_rows(LAC, "1001", t) == [1]
    aged_20 = lac_tables(previous={"Episodes": []}, Episodes=[], OC3=[{**oc3[1], "DOB": "01/01/2006"}])
    assert failing_rows(LAC, "1001", aged_20) == []  # 20 or over at year end: not assessed
    assert failing_rows(LAC, "1002", aged_20) == [0]


# --- item 10: 577 and 707 are about periods with NO end date once care has ended ---------------------------

def test_577_open_missing_period_after_care_ended():
    episodes = [ep("1", "01/06/2025", "10/09/2025", REC="E4A"),   # care ended 10 September
                ep("2", "01/06/2025"),                            # still in care
                ep("3", "01/06/2025", "10/09/2025", REC="E4A"), ep("3", "01/12/2025")]  # ended, then back
    missing = [mis("1", "01/07/2025"),                 # 0 open, started in the period: fails
               mis("1", "01/07/2025", "20/09/2025"),   # 1 ends after care ended, but has an end: silent
               mis("1", "01/05/2025"),                 # 2 open, started before the first episode: fails
               mis("1", "10/09/2025"),                 # 3 open, started the day care ended: fails
               mis("1", "11/09/2025"),                 # 4 open, started after care ended: 578's, silent here
               mis("2", "01/07/2025"),                 # 5 open, care still running: silent
               mis("3", "01/07/2025"),                 # 6 open, started in the first (ended) period: fails
               mis("3", "01/12/2025"),                 # 7 open, in the current period: silent
               mis("1", "01/07/2025", "bad"),          # 8 an end that is not a date is 1005's: silent
               mis("9", "01/07/2025")]                 # 9 no episodes at all: silent
    t = lac_tables(Episodes=episodes, Missing=missing)
    assert failing_rows(LAC, "577", t) == [0, 2, 3, 6]


def test_707_open_dolo_after_care_ended():
    episodes = [ep("1", "01/06/2026", "10/09/2026", REC="E4A"), ep("2", "01/06/2026")]
    dolos = [{"CHILD": "1", "DOB": "01/01/2012", "DOLO_START": s, "DOLO_END": e} for s, e in [
        ("01/07/2026", None),           # 0 open, in the ended period: fails
        ("01/07/2026", "20/09/2026"),   # 1 ends after care ended: silent
        ("01/05/2026", None),           # 2 open, started before the first episode: fails
        ("10/09/2026", None),           # 3 open, started the day care ended: fails
        ("11/09/2026", None),           # 4 open, started after care ended: silent
    ]] + [{"CHILD": "2", "DOB": "01/01/2012", "DOLO_START": "01/07/2026", "DOLO_END": None}]  # still in care
    t = lac_tables(2027, Episodes=episodes, DoLo=dolos)
    assert failing_rows(LAC, "707", t) == [0, 2, 3]


# --- item 9: 205A-D take last year's UASC status from last year's header flag (XML returns) -----------------

def _xml_return(tmp_path, name: str, children: list[tuple[str, str, str | None]]) -> dict:
    """(CHILDID, UASC flag, DUC) per child, all born 10/10/2008, read back through the XML reader."""
    from statreturns.ssda903.xml_reader import read_xml

    body = "".join(
        f"<CHILD><HEADER><CHILDID>{c}</CHILDID><SEX>M</SEX><DOB>10/10/2008</DOB><UASC>{flag}</UASC>"
        + (f"<DUC>{duc}</DUC>" if duc else "") + "</HEADER>"
        "<EPISODE><DECOM>01/01/2024</DECOM><RNE>S</RNE><LS>C2</LS><PL>U1</PL></EPISODE></CHILD>"
        for c, flag, duc in children)
    path = tmp_path / name
    path.write_text(f'<?xml version="1.0" encoding="UTF-8"?>\n<EXPSSDA903>{body}</EXPSSDA903>\n', encoding="utf-8")
    return read_xml(path).tables


def test_205_uasc_last_year_comes_from_last_years_xml_flag(tmp_path):
    from statreturns.ssda903.tables import build_tables

    last = _xml_return(tmp_path, "last.xml", [
        ("1", "0", "01/06/2023"),   # flag 0 with a DUC (outside last year): not UASC last year
        ("2", "1", "10/10/2026"),   # UASC last year, DUC = 18th birthday
        ("3", "0", "01/06/2023"),   # not UASC last year, UASC this year
        ("4", "1", "01/06/2023"),   # UASC last year (DUC outside last year), not this year
    ])
    now = _xml_return(tmp_path, "now.xml", [("1", "0", None), ("2", "1", "10/10/2026"), ("3", "1", "10/10/2026"),
                                            ("4", "0", None)])
    assert set(last["UASC"]["CHILD"]) == {"1", "2", "3", "4"}  # the reader lists every DUC
    t = build_tables(now, 2026, previous=last)
    assert failing_rows(LAC, "205A", t) == [3]   # child 1 was not UASC last year: not "no longer UASC"
    assert failing_rows(LAC, "205B", t) == []
    assert failing_rows(LAC, "205C", t) == [0]   # flag 0 both years, yet a DUC last year
    assert failing_rows(LAC, "205D", t) == [2]   # UASC now, flag 0 last year


def test_205_csv_returns_keep_using_the_uasc_file():
    # No header flag in CSV: a child in last year's uasc.csv was UASC last year.
    t = lac_tables(previous={"Header": [h("1"), h("3")], "UASC": [h("1", DUC="01/06/2023"), h("3")]},
                   Header=[h("1"), h("3")], UASC=[h("3")])
    assert failing_rows(LAC, "205A", t) == [0]
    assert failing_rows(LAC, "205D", t) == []


# --- item 12: 632 with Z's for the unknown parts of DATE_PERM ----------------------------------------------

def test_632_unknown_parts_written_as_z():
    cases = [("ZZ/ZZ/ZZZZ", False),   # wholly unknown: valid, not compared
             ("zz/zz/zzzz", False),   # upper-cased like every code
             ("15/06/ZZZZ", False),   # unknown year: not compared with the start of care
             ("ZZ/06/ZZZZ", False),
             ("29/02/ZZZZ", False),   # possible in a leap year
             ("30/02/ZZZZ", True),    # no such day in any year
             ("ZZ/13/ZZZZ", True),
             ("ZZ/ZZ/2019", False),   # known year, before care started
             ("ZZ/ZZ/2020", True),    # earliest 01/01/2020, on or after the first episode (01/01/2020)
             ("31/12/2019", False),   # the day before care started
             ("01/01/2020", True),    # the day care started
             ("ZZ/ZZ/ZZZ", True),     # a malformed year
             ("Z/ZZ/ZZZZ", True),
             ("unknown", True)]
    t = lac_tables(Episodes=[ep(str(i), "01/01/2020") for i in range(len(cases))],
                   PrevPerm=[{"CHILD": str(i), "PREV_PERM": "P1", "LA_PERM": "356", "DATE_PERM": v}
                             for i, (v, _) in enumerate(cases)])
    assert failing_rows(LAC, "632", t) == [i for i, (_, fails) in enumerate(cases) if fails]
    # A wholly unknown date is still a date given: previous permanence is complete for 630.
    started = lac_tables(Episodes=[ep("1", "01/05/2025"), ep("2", "01/05/2025")],
                         PrevPerm=[{"CHILD": "1", "PREV_PERM": "P1", "LA_PERM": "356", "DATE_PERM": "ZZ/ZZ/ZZZZ"},
                                   {"CHILD": "2", "PREV_PERM": "P1", "LA_PERM": "356"}])
    assert failing_rows(LAC, "630", started) == [1]
    assert failing_rows(LAC, "632", started) == []


def test_632_wholly_unknown_date_perm_from_the_csv_set_to_the_findings(tmp_path):
    # The whole path: CSV reader, tables, every rule. Only the impossible date is reported on PrevPerm.
    from statreturns.ssda903.csv_reader import read_csv_set
    from statreturns.validate import validate_903

    (tmp_path / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,M,01/01/2015,WBRI,UN1,,\n"
                                         "2,M,01/01/2015,WBRI,UN1,,\n", encoding="utf-8")
    (tmp_path / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "1,01/05/2025,S,C2,N1,U1,PR1,,,,,,\n2,01/05/2025,S,C2,N1,U1,PR1,,,,,,\n", encoding="utf-8")
    (tmp_path / "previous_permanence.csv").write_text(
        "CHILD,DOB,PREV_PERM,LA_PERM,DATE_PERM\n1,01/01/2015,P1,356,ZZ/ZZ/ZZZZ\n2,01/01/2015,P1,356,30/02/ZZZZ\n",
        encoding="utf-8")
    read = read_csv_set(tmp_path)
    assert read.problems == []
    issues = validate_903(read.tables, 2026, la_code="356").issues
    on_prev_perm = issues.loc[issues["table"] == "PrevPerm", ["rule_code", "child_id"]]
    assert on_prev_perm.values.tolist() == [["632", "2"]]


# --- item 13: rules that need the submitting LA are skipped, with the reason, when none is given ------------

NEEDS_LA = ["179", "229", "241", "411", "503J", "1015"]


def test_rules_needing_the_submitting_la_are_skipped_without_one():
    from statreturns.engine import RuleSet, run_rules
    from statreturns.ssda903.tables import NO_LA_REASON

    rules = RuleSet("ssda903", "CHILD", rules=[LAC.get(code, 2026) for code in NEEDS_LA])
    from tests.rules.ssda903.test_episodes_a import ofsted

    previous = {"Episodes": [ep("1", "01/01/2025")], "Header": [h("1")]}
    extra = {"Postcodes": pd.DataFrame({"loaded": [True]}), "OfstedProviderLists": ofsted()}
    derived = {"PL_LA": "E08000007", "PL_LOCATION": "IN", "PL_DISTANCE": 1.0}  # as postcodes.derive adds
    for la, expected in ((None, "skipped"), ("", "skipped"), ("356", "ran")):
        t = lac_tables(previous=previous, Episodes=[ep("1", "01/01/2025")], la_code=la, extra_frames=extra)
        for name in ("Episodes", "Episodes_last"):
            t.frames[name] = t[name].assign(**derived)
        status = run_rules(rules, t, skip_reasons=t.absent).rule_status.set_index("rule_code")
        assert status["status"].to_dict() == dict.fromkeys(NEEDS_LA, expected), la
        if expected == "skipped":
            assert status["reason"].eq(NO_LA_REASON).all()
    # Without the LA, PL_LOCATION is blank (postcodes.derive), and 179 would report every episode if it ran.
    t = lac_tables(Episodes=[ep("1", "01/01/2025")], extra_frames=extra)
    t.frames["Episodes"] = t.Episodes.assign(**{**derived, "PL_LOCATION": None})
    assert failing_rows(LAC, "179", t) == [0]


def _csv_set(folder) -> None:
    folder.mkdir()
    (folder / "header.csv").write_text("CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n1,M,01/01/2015,WBRI,UN1,,\n",
                                       encoding="utf-8")
    (folder / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        "1,01/05/2025,S,C2,N1,U1,PR1,,,,,,\n", encoding="utf-8")


def test_validate_ssda903_without_la_warns_once_and_records_the_skips(tmp_path, capsys):
    from pipelines.cli import main

    _csv_set(tmp_path / "in")
    main(["validate", "ssda903", str(tmp_path / "in"), "--year", "2026", "--out", str(tmp_path / "a")])
    err = capsys.readouterr().err.splitlines()
    warnings = [line for line in err if "no submitting LA given" in line]
    assert len(warnings) == 1 and warnings[0].startswith("statreturns: warning:")
    assert all(code in warnings[0] for code in NEEDS_LA)
    rules = pd.read_csv(tmp_path / "a" / "rules.csv", dtype="str").set_index("rule_code")
    assert set(rules.loc[NEEDS_LA, "status"]) == {"skipped"}
    assert rules.loc[NEEDS_LA, "reason"].str.contains("no submitting LA given: --la", regex=False).all()

    main(["validate", "ssda903", str(tmp_path / "in"), "--year", "2026", "--la", "356", "--out",
          str(tmp_path / "b")])
    assert "no submitting LA" not in capsys.readouterr().err
    rules = pd.read_csv(tmp_path / "b" / "rules.csv", dtype="str").set_index("rule_code")
    assert rules.loc["179", "status"] == "ran"


# --- item 14: borderline readings, both sides of each choice --------------------------------------------

def pa(child: str, placed: str | None = "01/01/2025", ceased: str | None = None, reason: str | None = None) -> dict:
    return {"CHILD": child, "DATE_PLACED": placed, "DATE_PLACED_CEASED": ceased, "REASON_PLACED_CEASED": reason}


def test_558_needs_more_than_one_ceased_decision():
    adopted = [ep(c, "01/01/2025", "01/12/2025", REC="E11") for c in "1234"]
    t = lac_tables(Episodes=adopted,
                   PlacedAdoption=[pa("1", ceased="01/02/2025", reason="RD1"),                       # one: silent
                                   pa("2", ceased="01/02/2025", reason="RD1"),
                                   pa("2", "01/03/2025", "01/04/2025", "RD2"),                       # two: both
                                   pa("3", ceased="01/02/2025", reason="RD1"), pa("3", "01/03/2025"),  # one open
                                   pa("4", ceased="01/02/2025"), pa("4", "01/03/2025", "01/04/2025")])
    assert failing_rows(LAC, "558", t) == [1, 2, 5, 6]
    not_adopted = lac_tables(Episodes=[ep("2", "01/01/2025", "01/12/2025", REC="E4A")],
                             PlacedAdoption=[pa("2", ceased="01/02/2025"), pa("2", "01/03/2025", "01/04/2025")])
    assert failing_rows(LAC, "558", not_adopted) == []


def test_561_584_last_years_decision_ceased_by_date_or_reason():
    last = [pa("1", "01/01/2025", "01/02/2025", "RD1"),   # both given: ceased
            pa("2", "01/01/2025", None, "RD1"),           # reason only: ceased
            pa("3", "01/01/2025", "01/02/2025", None),    # date only: ceased
            pa("4", "01/01/2025")]                        # neither: open
    same = lac_tables(previous={"PlacedAdoption": last}, PlacedAdoption=[pa(c, "01/01/2025") for c in "1234"])
    assert failing_rows(LAC, "561", same) == [0, 1, 2]
    assert failing_rows(LAC, "584", same) == [0, 1, 2]   # not later than the ceased decision
    assert failing_rows(LAC, "560", same) == []          # the open decision kept its date
    later = lac_tables(previous={"PlacedAdoption": last}, PlacedAdoption=[pa(c, "01/06/2025") for c in "1234"])
    assert failing_rows(LAC, "561", later) == []
    assert failing_rows(LAC, "584", later) == []
    assert failing_rows(LAC, "560", later) == [3]        # only the open one had to keep its date


def test_578_child_with_no_period_of_care_is_not_judged():
    t = lac_tables(Episodes=[ep("1", "01/06/2025", "10/09/2025", REC="E4A"), ep("2", "bad")],
                   Missing=[mis("1", "11/09/2025", "12/09/2025"),   # after care ended: fails
                            mis("1", "10/09/2025", "12/09/2025"),   # the day care ended: inside
                            mis("2", "01/07/2025", "02/07/2025"),   # no episode with a valid DECOM: silent
                            mis("3", "01/07/2025", "02/07/2025")],  # no episode at all: silent (1012's)
                   Header=[h("1"), h("2"), h("3")])
    assert failing_rows(LAC, "578", t) == [0]
    assert failing_rows(LAC, "1012", t) == [2]


def test_708_dolo_starting_on_the_day_of_birth_is_reported():
    rows = [{"CHILD": "1", "DOB": "10/05/2012", "DOLO_START": start} for start in
            ("09/05/2012", "10/05/2012", "11/05/2012", "01/05/2026")]
    t = lac_tables(2027, DoLo=rows)
    assert failing_rows(LAC, "708", t) == [0, 1]


def test_578_no_episodes_is_581s_finding():
    t = lac_tables(Episodes=[ep("1", "01/06/2025")], Missing=[mis("3", "01/07/2025", "02/07/2025")])
    assert failing_rows(LAC, "578", t) == []
    assert failing_rows(LAC, "581", t) == [0]
