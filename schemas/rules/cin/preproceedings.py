"""Draft 2026-27 CIN census rules on the pre-proceedings and FGDM module (module 5, PreProceedings).

These rules are in the "draft" set for 2027 only (the table exists only when draft rules are asked for).
Dates that must fall "within the reporting year" are checked against the census period (1 April to
31 March); "after" a date is read as on or after it, as the DfE descriptions say. Yes/no items are read
from their ``_bool`` columns, so blank and non yes/no values alike count as "not confirmed".

Return-level rules: 8995Q (no module 5 data at all) reports the first Header row, since there is no
PreProceedings row to report; 9000Q reports the first PreProceedings row.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from schemas.rules.cin.base import DRAFT_YEARS, first_row_if, flag_is, has_date, outside_period, present, rule
from statreturns.cin.tables import COLUMNS, DATE_COLUMNS
from statreturns.engine import Predicate, Severity
from statreturns.reference import code_list

# Pre-proceedings outcome codes, cin_notes.md section 3 (draft CS131: A, B, C).
PP_OUTCOMES = code_list("cin", "pp_outcome")
# Every module 5 item as given in the file (the raw text of date items, so an unparseable date counts).
_DATA_COLUMNS = [f"{c}_raw" if c in DATE_COLUMNS["PreProceedings"] else c
                 for c in COLUMNS["PreProceedings"] if c not in ("LAchildID", "CINdetailsID")]


def draft(code: str, severity: Severity, **kwargs) -> Callable[[Predicate], Predicate]:
    """Register a draft 2027 rule on the PreProceedings table."""
    kwargs.setdefault("table", "PreProceedings")
    return rule(code, severity, years=DRAFT_YEARS, set_name="draft", needs=["PreProceedings"], **kwargs)


def _pp(t) -> pd.DataFrame:
    return t.PreProceedings


def _dated_outside_or_before(t, col: str, earlier: str | None) -> pd.Series:
    """``col`` is given and either outside the census period or before ``earlier`` of the same row."""
    pp = _pp(t)
    bad = outside_period(t, pp[col])
    if earlier is not None:
        bad |= pp[col] < pp[earlier]
    return has_date(pp, col) & bad


@draft("8995Q", "query", table="Header", fields=[], level="return",
       message="Please check and provide a reason why no module 5 (pre-proceedings and FGM) data has been "
               "provided for any child.")
def no_preproceedings_data(t) -> pd.Series:
    pp = _pp(t)
    any_data = any(bool(present(pp[c]).any()) for c in _DATA_COLUMNS)
    return first_row_if(t.Header, not any_data)


@draft("9000Q", "query", fields=["PPStartDate"], level="return",
       message="Please check: If you do not yet collect this data, please leave this field blank and provide a "
               "reason.")
def no_preproceedings_start_dates(t) -> pd.Series:
    # Reading (per return, not per block): the catalogue marks 9000Q return level ("no location"), so it
    # is one query for the whole return when no PreProceedings block gives a PPStartDate; a return where
    # some blocks have a date and others do not is not queried here (9005 and its neighbours judge each
    # block). It counts PPStartDate values given, not rows: module 5 rows with no start date at all are
    # queried (the draft public rule only fires when there are no rows, duplicating 8995Q).
    pp = _pp(t)
    return first_row_if(pp, not bool(has_date(pp, "PPStartDate").any()))


@draft("9005", "error", fields=["PPStartDate"],
       message="The date of the legal planning meeting or other decision making forum where the LA made the "
               "decision to commence pre-proceedings cannot fall outside the reporting year.")
def pp_start_outside_period(t) -> pd.Series:
    return _dated_outside_or_before(t, "PPStartDate", None)


@draft("9006", "error", fields=["LBPSentDate"],
       message="The date the letter before proceedings was sent must be within the reporting year and after the "
               "date pre-proceedings began.")
def letter_before_proceedings_date(t) -> pd.Series:
    return _dated_outside_or_before(t, "LBPSentDate", "PPStartDate")


@draft("9007", "error", fields=["FGDMMeetingOffer"],
       message="You have confirmed that a letter before proceedings was sent. Please confirm whether or not a "
               "FGDM meeting was offered in the letter.")
def letter_sent_without_offer_answer(t) -> pd.Series:
    # The letter was sent and the offer item is not answered (the draft public rule tests the reverse).
    pp = _pp(t)
    return has_date(pp, "LBPSentDate") & pp["FGDMMeetingOffer_bool"].isna()


@draft("9008", "error", fields=["InitialPPMeetingDate"],
       message="The date of the first effective pre-proceedings meeting must be within the reporting year.")
def first_meeting_outside_period(t) -> pd.Series:
    return _dated_outside_or_before(t, "InitialPPMeetingDate", None)


@draft("9009", "error", fields=["StepDecisionDate"],
       message="The date when the decision was made to step up or down must be on or after the date of the "
               "decision to begin pre-proceedings and must fall within the reporting year")
def step_decision_date(t) -> pd.Series:
    return _dated_outside_or_before(t, "StepDecisionDate", "PPStartDate")


@draft("9010Q", "query", fields=["FGDMMeetingFac"],
       message="Please check: You have reported that a FGDM meeting was offered in the letter before proceedings. "
               "Please confirm whether or not a FGDM meeting was facilitated in the pre-proceedings period "
               "following this offer.")
def offer_without_facilitation_answer(t) -> pd.Series:
    pp = _pp(t)
    return flag_is(pp["FGDMMeetingOffer_bool"], True) & pp["FGDMMeetingFac_bool"].isna()


@draft("9011", "error", fields=["PPOutcome"],
       message="The outcome of the pre-proceedings must be reported using a valid value")
def outcome_invalid(t) -> pd.Series:
    # Only a value that is given is checked; a blank outcome passes (the draft public rule flags it).
    outcome = _pp(t)["PPOutcome"]
    return present(outcome) & ~outcome.astype("str").str.strip().isin(PP_OUTCOMES)


@draft("9012", "error", fields=["CourtAppDate"],
       message="The date that the local authority submitted the court application to commence care proceedings "
               "must fall within the reporting year and be on or after the date of the decision to initiate care "
               "proceedings.")
def court_application_date(t) -> pd.Series:
    return _dated_outside_or_before(t, "CourtAppDate", "StepDecisionDate")


@draft("9013", "error", fields=["LetterInitCPDate"],
       message="The date on which the letter to initiate care proceedings was sent to parents/guardians must fall "
               "within the reporting year and be on or after the date when the local authority submitted the court "
               "application to commence care proceedings.")
def letter_initiating_proceedings_date(t) -> pd.Series:
    return _dated_outside_or_before(t, "LetterInitCPDate", "CourtAppDate")


@draft("9015Q", "query", fields=["ReviewMeetingsCount"],
       message="Please check: if review meetings were held  following the initial pre-proceedings meeting, the "
               "total number held should be reported.")
def review_meetings_not_reported(t) -> pd.Series:
    pp = _pp(t)
    return has_date(pp, "InitialPPMeetingDate") & ~present(pp["ReviewMeetingsCount"])
