"""PlacedAdoption in the 903 build: a year's return holds the decisions made by its end and not reversed
before it began (a decision reversed in an earlier year was returned that year). Both sides of 1 April."""

from __future__ import annotations

import pandas as pd

from schemas.rules.ssda903 import LAC
from statreturns.ssda903.build import build_903_frames
from statreturns.ssda903.tables import build_tables
from tests.rules.helpers import failing_rows
from tests.ssda903.test_build_care_leavers import _frame, _tables

D = pd.Timestamp
NaT = pd.NaT

# One child per case, all looked after since 2020; year 2026 runs 1 April 2025 to 31 March 2026.
CASES = {
    "reversed_day_before_year": (D("2023-01-10"), D("2025-03-31")),
    "reversed_first_day": (D("2023-01-10"), D("2025-04-01")),
    "reversed_in_year": (D("2024-06-01"), D("2025-10-01")),
    "open": (D("2024-06-01"), NaT),
    "made_in_year": (D("2025-09-01"), NaT),
    "reversed_after_year": (D("2025-06-01"), D("2026-05-01")),
    "made_after_year": (D("2026-04-01"), NaT),
}


def _history(decisions: list[tuple[str, pd.Timestamp, pd.Timestamp]]) -> dict:
    kids = sorted({c for c, _, _ in decisions})
    t = _tables([{"child_id": c, "PersonBirthDate": D("2015-02-01")} for c in kids],
                [{"child_id": c, "DECOM": D("2020-01-01"), "DEC": None, "LS": "C2"} for c in kids], [])
    t["placed_for_adoption"] = _frame(
        ["child_id", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
        [{"child_id": c, "DATE_PLACED": p, "DATE_PLACED_CEASED": r, "REASON_PLACED_CEASED": None if pd.isna(r) else "RD1"}
         for c, p, r in decisions], ("DATE_PLACED", "DATE_PLACED_CEASED"))
    return t


def _returned(year: int) -> set[str]:
    t = _history([(name, placed, ceased) for name, (placed, ceased) in CASES.items()])
    return set(build_903_frames(t, year)["PlacedAdoption"]["CHILD"])


def test_decisions_in_force_in_the_year_are_returned():
    assert _returned(2026) == {"reversed_first_day", "reversed_in_year", "open", "made_in_year",
                               "reversed_after_year"}


def test_a_reversal_on_31_march_belongs_to_that_year():
    assert "reversed_day_before_year" in _returned(2025)
    assert "reversed_first_day" in _returned(2025)  # still in force on 31 March 2025


def test_reversal_after_the_year_is_not_returned_yet():
    t = _history([("c", D("2025-06-01"), D("2026-05-01"))])
    pa = build_903_frames(t, 2026)["PlacedAdoption"]
    blank = bool(pa["DATE_PLACED_CEASED"].isna().all() and pa["REASON_PLACED_CEASED"].isna().all())
    assert (len(pa), blank) == (1, True)


def test_decision_reversed_last_year_then_a_new_one_fires_no_rule():
    # Decided, reversed the year before (last year's return shows it), decided again this year: legitimate.
    t = _history([("c", D("2024-05-01"), D("2024-11-01")), ("c", D("2025-06-01"), NaT)])
    this, last = build_903_frames(t, 2026), build_903_frames(t, 2025)
    rows = (len(this["PlacedAdoption"]), len(last["PlacedAdoption"]))  # counts only in a failure message
    tables = build_tables(this, 2026, previous=last)
    fired = [code for code in ("118", "559", "560", "561", "583", "584") if failing_rows(LAC, code, tables)]
    assert fired == []
    assert rows == (1, 1)
