"""Draft 2027 rules on pre-proceedings and FGDM (census year 2027: 1 April 2026 to 31 March 2027)."""

import pytest

from schemas.rules.cin import CIN
from tests.rules.helpers import cin_tables, failing_rows

HEADER = [{"ReferenceDate": "2027-03-31"}]
DRAFT_CODES = ["8995Q", "9000Q", "9005", "9006", "9007", "9008", "9009", "9010Q", "9011", "9012", "9013", "9015Q"]


def pp(**items):
    return {"LAchildID": "C1", "CINdetailsID": "0", **items}


def tables(*rows, header=HEADER):
    return cin_tables(2027, include_draft=True, Header=header, PreProceedings=list(rows))


@pytest.mark.parametrize("code", DRAFT_CODES)
def test_draft_rules_are_2027_draft_rules_on_the_preproceedings_table(code):
    rule = CIN.get(code, 2027)
    assert rule.set_name == "draft"
    assert rule.years == frozenset({2027})
    assert "PreProceedings" in rule.needs
    assert code not in {r.code for r in CIN.select(2027)}  # not in the core set
    with pytest.raises(KeyError):
        CIN.get(code, 2026)


def test_draft_table_is_absent_unless_asked_for():
    assert not cin_tables(2027).has("PreProceedings")


def test_8995q_no_module_5_data_for_any_child():
    assert failing_rows(CIN, "8995Q", tables()) == [0]
    assert failing_rows(CIN, "8995Q", tables(pp(), pp(PPOutcome=" "))) == [0]   # elements but nothing in them
    assert failing_rows(CIN, "8995Q", tables(pp(), pp(PPOutcome="A"))) == []
    assert failing_rows(CIN, "8995Q", tables(pp(LBPSentDate="01/05/2026"))) == []  # given, though not a date
    rule = CIN.get("8995Q", 2027)
    assert (rule.level, rule.table) == ("return", "Header")


def test_9000q_no_start_dates_although_module_5_rows_exist():
    # The draft public rule counts rows, so it misses this case.
    assert failing_rows(CIN, "9000Q", tables(pp(PPOutcome="A"), pp(LBPSentDate="2026-05-01"))) == [0]
    assert failing_rows(CIN, "9000Q", tables(pp(PPOutcome="A"), pp(PPStartDate="2026-05-01"))) == []
    assert failing_rows(CIN, "9000Q", tables()) == []  # no rows at all: 8995Q asks
    assert CIN.get("9000Q", 2027).level == "return"


@pytest.mark.parametrize("code, col", [("9005", "PPStartDate"), ("9008", "InitialPPMeetingDate")])
@pytest.mark.parametrize("day, expected", [
    ("2026-04-01", []), ("2027-03-31", []), ("2026-03-31", [0]), ("2027-04-01", [0]), (None, []), ("bad", []),
])
def test_9005_9008_dates_in_the_reporting_year(code, col, day, expected):
    assert failing_rows(CIN, code, tables(pp(**{col: day}))) == expected


@pytest.mark.parametrize("code, col, earlier", [
    ("9006", "LBPSentDate", "PPStartDate"),
    ("9009", "StepDecisionDate", "PPStartDate"),
    ("9012", "CourtAppDate", "StepDecisionDate"),
    ("9013", "LetterInitCPDate", "CourtAppDate"),
])
@pytest.mark.parametrize("day, earlier_day, expected", [
    ("2026-06-01", "2026-05-01", []),
    ("2026-05-01", "2026-05-01", []),     # on the same day is allowed
    ("2026-04-30", "2026-05-01", [0]),
    ("2026-03-31", None, [0]),            # before the reporting year
    ("2027-04-01", "2026-05-01", [0]),    # after it
    ("2027-03-31", None, []),
    (None, "2026-05-01", []),
])
def test_dates_in_year_and_not_before_the_earlier_step(code, col, earlier, day, earlier_day, expected):
    assert failing_rows(CIN, code, tables(pp(**{col: day, earlier: earlier_day}))) == expected


@pytest.mark.parametrize("letter, offer, expected", [
    ("2026-05-01", None, [0]), ("2026-05-01", "maybe", [0]), ("2026-05-01", "false", []),
    ("2026-05-01", "1", []),
    (None, "true", []),  # the draft public rule flags this reverse case
    (None, None, []),
])
def test_9007_letter_sent_needs_an_offer_answer(letter, offer, expected):
    assert failing_rows(CIN, "9007", tables(pp(LBPSentDate=letter, FGDMMeetingOffer=offer))) == expected


@pytest.mark.parametrize("offer, facilitated, expected", [
    ("true", None, [0]), ("1", None, [0]), ("TRUE", "false", []), ("true", "0", []), ("false", None, []),
    (None, None, []),
])
def test_9010q_offer_needs_a_facilitation_answer(offer, facilitated, expected):
    assert failing_rows(CIN, "9010Q", tables(pp(FGDMMeetingOffer=offer, FGDMMeetingFac=facilitated))) == expected


@pytest.mark.parametrize("outcome, expected", [
    ("A", []), ("B", []), ("C", []), ("D", [0]), ("a", [0]),
    (None, []), ("", []),  # blank passes (the draft public rule flags it)
])
def test_9011_outcome_code(outcome, expected):
    assert failing_rows(CIN, "9011", tables(pp(PPOutcome=outcome))) == expected


@pytest.mark.parametrize("meeting, count, expected", [
    ("2026-05-01", None, [0]), ("2026-05-01", " ", [0]), ("2026-05-01", "0", []), ("2026-05-01", "3", []),
    (None, None, []),
])
def test_9015q_review_meetings_count_after_a_first_meeting(meeting, count, expected):
    assert failing_rows(CIN, "9015Q", tables(pp(InitialPPMeetingDate=meeting, ReviewMeetingsCount=count))) == expected
