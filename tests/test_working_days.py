"""``minus_working_days``: the one "date minus N working days" the CIN rules 8569Q, 8670Q and 8675Q share."""

import pandas as pd
import pytest

from statreturns.reference import minus_working_days


@pytest.mark.parametrize("date, days, expected", [
    ("2026-03-31", 45, "2026-01-27"),  # the DfE example: Tuesday minus 45 is a Tuesday, no holiday between
    ("2026-03-31", 15, "2026-03-10"),
    ("2026-03-31", 1, "2026-03-30"),
    ("2026-03-31", 0, "2026-03-31"),
    ("2026-03-30", 1, "2026-03-27"),   # Monday minus 1: rolled back off the weekend to Friday
    ("2027-03-31", 3, "2027-03-24"),   # Wednesday minus 3 skips Easter Monday 29 and Good Friday 26 March 2027
    ("2025-04-01", 1, "2025-03-31"),   # 8569Q's "one working day prior to the collection start", 2025-26
    ("2024-04-01", 1, "2024-03-28"),   # 1 April 2024 was Easter Monday: the working day before it
    ("2024-03-31", 1, "2024-03-28"),   # a Sunday: the working day before it (Good Friday 29 March off)
    ("2025-12-29", 1, "2025-12-24"),   # Christmas Day and Boxing Day 2025 are bank holidays
])
def test_minus_working_days(date, days, expected):
    assert minus_working_days(pd.Timestamp(date), days) == pd.Timestamp(expected)


def test_the_result_is_the_nth_working_day_before_the_date():
    # Independent check with pandas' own business-day range over the same holidays: from the result
    # (included) up to the date (excluded) there are exactly N working days, whatever day the date is.
    from statreturns.reference import bank_holidays

    holidays = [pd.Timestamp(d) for d in bank_holidays()]
    for date in pd.date_range("2026-01-01", "2026-12-31", freq="5D"):
        for days in (1, 15, 45):
            result = minus_working_days(date, days)
            working = pd.bdate_range(result, date - pd.Timedelta(days=1), freq="C", holidays=holidays)
            assert len(working) == days
            assert result.day_of_week < 5 and result not in holidays
