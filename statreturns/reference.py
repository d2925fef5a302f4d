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


def working_days_before(end: pd.Timestamp, days: int) -> pd.Timestamp:
    """The date ``days`` working days before ``end``, counting ``end``'s own day as day 1 if it is one.

    We count working days the DfE way: the day an event happens is day 1, so "45 working days before
    31 March" is 44 working-day steps back from the last working day on or before 31 March.
    """
    cal = busday_calendar()
    anchor = np.busday_offset(np.datetime64(end.date(), "D"), 0, roll="backward", busdaycal=cal)
    return pd.Timestamp(np.busday_offset(anchor, -(days - 1), roll="backward", busdaycal=cal))


def working_days_between(start: pd.Series, end: pd.Timestamp | pd.Series) -> pd.Series:
    """Working days from each ``start`` to ``end``, counting both ends (NaN where a date is missing)."""
    s = pd.to_datetime(start)
    e = pd.to_datetime(end) if isinstance(end, pd.Series) else pd.Series(pd.Timestamp(end), index=s.index)
    ok = s.notna() & e.notna()
    out = pd.Series(np.nan, index=s.index)
    if ok.any():
        sd = s[ok].to_numpy().astype("datetime64[D]")
        ed = (e[ok].to_numpy().astype("datetime64[D]") + np.timedelta64(1, "D"))
        out[ok] = np.busday_count(sd, ed, busdaycal=busday_calendar())
    return out


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
