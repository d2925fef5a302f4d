"""Shipped reference data in ``data/``: code lists by collection year, bank holidays, LA codes."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def data_path(*parts: str) -> Path:
    return DATA_DIR.joinpath(*parts)


@cache
def bank_holidays() -> tuple[np.datetime64, ...]:
    frame = pd.read_csv(data_path("reference", "bank_holidays_england_wales.csv"), dtype="str")
    return tuple(np.datetime64(d, "D") for d in frame["date"])


@cache
def busday_calendar() -> np.busdaycalendar:
    return np.busdaycalendar(weekmask="1111100", holidays=list(bank_holidays()))


def minus_working_days(date: pd.Timestamp, days: int) -> pd.Timestamp:
    """The date ``days`` working days before ``date`` (England and Wales: weekends and bank holidays off).

    The DfE's "ReferenceDate minus 45 working days": Tuesday 31 March 2026 minus 45 is Tuesday 27 January
    2026, i.e. exactly ``days`` working days lie after the result up to and including ``date``. Rules
    query a date *before* the result, never the result itself. Counting back always lands on a working
    day (a Monday minus 1 is the Friday before, rolled back off the weekend). Where ``date`` itself is not a
    working day (1 April 2024 was Easter Monday) the result is the ``days``-th working day before it
    (minus 1 gives Thursday 28 March 2024): our reading, the plain sense of "one working day prior".
    """
    # roll="forward" then step back: the working days strictly before a non-working date are the same as
    # those before the next working day, so both cases are one offset.
    day = np.datetime64(pd.Timestamp(date).date(), "D")
    return pd.Timestamp(np.busday_offset(day, -days, roll="forward", busdaycal=busday_calendar()))


@cache
def _code_file(name: str) -> dict:
    import yaml  # only when a code list is asked for: `validate` often needs none

    with data_path("codes", f"{name}.yaml").open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def code_list(name: str, list_name: str, year: int | None = None) -> frozenset[str]:
    """One code list from ``data/codes/<name>.yaml``.

    A list keyed by collection year applies from that year until the next key; ``year`` picks one.
    """
    entry = _code_file(name)[list_name]
    if isinstance(entry, dict):
        if year is None:
            raise ValueError(f"code list {name}.{list_name} differs by year: give the collection year")
        known = sorted(int(y) for y in entry)
        chosen = [y for y in known if y <= year] or known[:1]
        entry = entry[chosen[-1]]
    return frozenset(str(c) for c in entry)
