"""The SSDA903 rule set and the small helpers its topic modules share."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from statreturns.dates import absent
from statreturns.engine import RuleSet

LAC = RuleSet("ssda903", child_column="CHILD")
rule = LAC.rule

ALL_YEARS = range(2025, 2028)
SHORT_BREAKS = frozenset({"V3", "V4"})
F = TypeVar("F", bound=Callable)


def shared(func: F) -> F:
    """A helper of ``(t, *args)`` built once per run in ``t``'s memo and shared by every rule calling it.

    Its other arguments must be plain values (names, codes, numbers) whose repr tells them apart.
    What it returns is read-only to its callers (see ``Ssda903Tables.memo``).
    """
    name = f"{func.__module__}.{func.__qualname__}"
    signature = inspect.signature(func)

    @wraps(func)
    def wrapper(t, *args, **kwargs):
        bound = signature.bind(t, *args, **kwargs)
        bound.apply_defaults()
        key = f"{name}{tuple(bound.arguments.values())[1:]!r}"
        return t.memo(key, lambda: func(*bound.args, **bound.kwargs))

    return wrapper  # type: ignore[return-value]


def present(s: pd.Series) -> pd.Series:
    """True where a value is there. Tables are built with text stripped and blanks as missing."""
    return ~absent(s)


@shared
def blank_in(t, table: str, column: str) -> pd.Series:
    """``absent(t[table][column])``, worked out once per run: rules ask it of the same columns often."""
    return absent(t[table][column])


def present_in(t, table: str, column: str) -> pd.Series:
    """``present(t[table][column])``, from the shared blank mask."""
    return ~blank_in(t, table, column)


def by_child(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` (indexed by child id) looked up for each of ``keys``, aligned to ``keys``.

    Blank ids never match and the first value of a repeated id wins. Reindexed, not mapped: in pandas 3
    ``Series.map`` through an empty datetime Series raises, and reindexing keeps the values' dtype.
    """
    values = values[values.index.notna() & ~values.index.duplicated()]
    positions = _positions(values.index, keys)
    if positions is None:
        return values.reindex(keys.to_numpy()).set_axis(keys.index)
    return values.reset_index(drop=True).reindex(positions).set_axis(keys.index)


def _positions(index: pd.Index, keys: pd.Series) -> np.ndarray | None:
    """Where each key is in ``index`` (unique, no blanks; -1 where absent), hashed by Arrow.

    Arrow hashes strings about twice as fast as pandas' object hash table. None when either side
    holds anything but strings and blanks: the caller then looks up the pandas way.
    """
    if index.dtype != object or keys.dtype != object:
        return None
    try:
        wanted = pa.array(keys.to_numpy(), type=pa.string(), from_pandas=True)
        known = pa.array(index.to_numpy(), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    return pc.index_in(wanted, value_set=known).fill_null(-1).to_numpy(zero_copy_only=False)


@shared
def header_value(t, table: str, column: str, header: str = "Header") -> pd.Series:
    """``column`` of each row's child in ``header`` (first row per CHILD), aligned to ``t[table]``.

    As ``by_child``, through row positions worked out on integer child codes (string lookups are the cost).
    """
    values = t[header][column].reset_index(drop=True).rename(column)
    return values.reindex(_header_rows(t, table, header)).set_axis(t[table]["CHILD"].index)


@shared
def _header_rows(t, table: str, header: str) -> pd.Index:
    """For each row of ``table``, the position of its child's first row in ``header`` (-1: none)."""
    codes = child_codes(t)
    in_header = codes[header]
    found, first = np.unique(in_header, return_index=True)  # each code's first position in header
    slot = np.full(int(max(in_header.max(initial=-1), codes[table].max(initial=-1))) + 2, -1)
    keep = found >= 0
    slot[found[keep]] = first[keep]
    return pd.Index(slot[codes[table]])  # a blank id (-1) takes the last slot: -1


def child_codes(t) -> dict[str, np.ndarray]:
    """Every table's CHILD as integer codes from one factorisation over all tables (-1 where blank).

    The arrays are read-only, like every shared derivation (see ``Ssda903Tables.child_codes``).
    """
    return t.child_codes()


def child_in(t, table: str, other: str, where: pd.Series | None = None) -> pd.Series:
    """For each row of ``t[table]``: its child has a row in ``t[other]`` (one in ``where``, if given).

    ``isin(t[table]["CHILD"], t[other].loc[where, "CHILD"])`` on the integer child codes: a blank id
    matches nothing.
    """
    codes = child_codes(t)
    theirs = codes[other] if where is None else codes[other][where.to_numpy(dtype=bool)]
    return pd.Series(np.isin(codes[table], theirs[theirs >= 0]), index=t[table].index)


def first_rows(codes: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """For each of ``keys`` (integer child codes), the position of the child's first row in a table whose
    rows have ``codes``; -1 where the child has none there (or the key is -1: no CHILD)."""
    found, first = np.unique(codes, return_index=True)
    slot = np.full(int(max(codes.max(initial=-1), keys.max(initial=-1))) + 2, -1)
    keep = found >= 0
    slot[found[keep]] = first[keep]
    return slot[keys]  # a blank id (-1) takes the last slot: -1


def code_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (left, right) of every pair of equal codes (-1 matches nothing), as an inner merge on
    them gives: by left row, then right row, each in its order."""
    lpos = np.flatnonzero(left >= 0)
    rpos = np.flatnonzero(right >= 0)
    rorder = rpos[np.argsort(right[rpos], kind="stable")]
    rsorted = right[rorder]
    lo = np.searchsorted(rsorted, left[lpos], "left")
    count = np.searchsorted(rsorted, left[lpos], "right") - lo
    starts = np.cumsum(count) - count
    within = np.arange(int(count.sum())) - np.repeat(starts, count)
    return np.repeat(lpos, count), rorder[np.repeat(lo, count) + within]


def child_value(t, table: str, other: str, column: str, where: pd.Series | None = None) -> pd.Series:
    """For each row of ``t[table]``: ``column`` of its child's first row in ``t[other]`` (among the rows
    in ``where``, if given); NaN/NaT where the child has none.

    ``by_child(t[table]["CHILD"], t[other].loc[where].set_index("CHILD")[column])``, looked up on the
    integer child codes rather than the id strings.
    """
    codes = child_codes(t)
    rows = np.arange(len(t[other])) if where is None else np.flatnonzero(where.to_numpy(dtype=bool))
    found = first_rows(codes[other][rows], codes[table])
    positions = np.where(found >= 0, rows[found], -1) if len(rows) else np.full(len(found), -1)
    values = t[other][column].reset_index(drop=True)
    return values.reindex(positions).set_axis(t[table].index)


def child_stat(t, table: str, column: str, how: str, rows: str, where: pd.Series | None = None) -> pd.Series:
    """``how`` ('min'/'max') of ``t[table][column]`` per child (over the rows in ``where``; NaT/NaN
    skipped), for each row of ``t[rows]``; NaT/NaN where the child has none.

    ``by_child(t[rows]["CHILD"], per_child(t[table], column, how, where))``, grouped and looked up on
    the integer child codes rather than the id strings.
    """
    codes = child_codes(t)
    values = t[table][column] if where is None else t[table][column].where(where)
    per = values.groupby(codes[table]).agg(how)
    per = per[per.index >= 0]  # code -1: no CHILD, which matches nothing
    return pd.Series(per.reindex(codes[rows]).to_numpy(), index=t[rows].index)


@shared
def episode_edges(t, name: str, last: bool) -> pd.Index:
    """Labels of each child's first (``last``: last) row of ``t[name]`` in EPISODE_ORDER (CHILD, then
    valid DECOM, then file order), in that order. Rows without a CHILD or a valid DECOM take no part.
    """
    ep = t[name]
    rank = ep["EPISODE_ORDER"].to_numpy(dtype="float64", na_value=np.nan)
    known = np.flatnonzero(~np.isnan(rank))
    order = known[np.argsort(rank[known], kind="stable")]
    child = ep["CHILD"].to_numpy(dtype=object)[order]
    change = child[1:] != child[:-1]
    edge = np.append(change, True) if last else np.insert(change, 0, True)
    return ep.index[order[edge[: len(order)]]]  # no rows: no edges


def birthday(dob: pd.Series, years: int) -> pd.Series:
    """The ``years``-th birthday (29 February birthdays fall on 28 February in other years).

    As ``dob + pd.DateOffset(years=years)``, in whole-array integer arithmetic (rules ask this often):
    each day's year and day of the year looked up in a table of the calendar (``_calendar``), or worked
    out by the calendar's formulas outside it; numpy's own month conversions (``astype("datetime64[M]")``)
    take several times longer.
    """
    if not (isinstance(dob.dtype, np.dtype) and dob.dtype.kind == "M"):
        return dob + pd.DateOffset(years=years)
    v = dob.to_numpy()
    missing = np.isnat(v)
    per_day = int(np.timedelta64(1, "D") / np.timedelta64(1, np.datetime_data(v.dtype)[0]))
    ticks = np.where(missing, 0, v.view("int64"))
    days = ticks // per_day
    time_of_day = ticks - days * per_day
    out = (_years_later(days, years) * per_day + time_of_day).view(v.dtype)
    out[missing] = np.datetime64("NaT")
    return pd.Series(out, index=dob.index, name=dob.name)


def _years_later(days: np.ndarray, years: int) -> np.ndarray:
    """Day numbers (since 1970-01-01) ``years`` years after ``days``; 29 February to 28 February in other years."""
    cal = _calendar()
    at = days - cal.first_day
    if len(at) and at.min() >= 0 and at.max() < len(cal.year):
        target = cal.year[at] + (years - cal.first_year)
        if target.min() >= 0 and target.max() < len(cal.year_start):
            leap = cal.leap[target]
            return cal.year_start[target] + np.where(leap, cal.day_of_leap_year[at], cal.day_of_common_year[at])
    if not len(at):
        return days.copy()
    year, month, day = _civil(days)
    year = year + years
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    return _days(year, month, np.where((month == 2) & (day == 29) & ~leap, 28, day))


@dataclass(frozen=True)
class _Calendar:
    """From ``first_day`` (1 January of ``first_year``, in days since 1970-01-01): each day's year and
    its 0-based day of the year in a leap and in a common year (29 February falling on 28 February);
    from ``first_year``: each year's first day and whether it is a leap year."""

    first_year: int
    first_day: int
    year: np.ndarray
    day_of_leap_year: np.ndarray
    day_of_common_year: np.ndarray
    year_start: np.ndarray
    leap: np.ndarray


@cache
def _calendar(first_year: int = 1850, last_year: int = 2150) -> _Calendar:
    """The calendar of the years of birth and birthdays rules meet, built once."""
    years = np.arange(first_year, last_year + 2, dtype="int64")
    starts = _days(years, np.ones_like(years), np.ones_like(years))
    year, month, day = _civil(np.arange(starts[0], starts[-1], dtype="int64"))
    lengths = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    common = np.cumsum([0, *lengths[:-1]])[month - 1] + day - 1
    leap_day = (month == 2) & (day == 29)
    return _Calendar(
        first_year=first_year,
        first_day=int(starts[0]),
        year=year,
        day_of_leap_year=common + (month > 2),
        day_of_common_year=common - leap_day,
        year_start=starts[:-1],
        leap=(years % 4 == 0) & ((years % 100 != 0) | (years % 400 == 0)),
    )


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month 1-12, day 1-31) of day numbers since 1970-01-01 (proleptic Gregorian calendar)."""
    z = days + 719468  # days since 0000-03-01: years run March to February, so leap days end a year
    era = z // 146097  # 400-year cycles (floor division: dates before year 0 too)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153  # month from March = 0
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _days(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Day numbers since 1970-01-01 of (year, month, day): the inverse of ``_civil``."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def isin(s: pd.Series, values: pd.Series | pd.Index) -> pd.Series:
    """``s.isin(values)`` by hashing: pandas 3's isin on Arrow strings loops in Python over ``values``.

    Object against object (what built tables hold) is hashed by ``Series.isin`` itself, fastest.
    """
    values = pd.Series(values).dropna()
    if s.dtype == object and values.dtype == object:
        return s.isin(values).rename(None)
    known = pd.Index(pd.unique(values), dtype=object)
    return pd.Series(known.get_indexer(s) >= 0, index=s.index)


def ids(values) -> pd.Index:
    """Child ids (or other codes) as an object Index, as the tables hold them.

    ``pd.Index`` would infer Arrow strings, which every later ``isin`` against a table converts back.
    """
    return pd.Index(values, dtype=object)


def in_year(ep: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Episodes overlapping [start, end]; a blank or unparseable DEC counts as open."""
    return (ep["DECOM"] <= end) & (ep["DEC"].isna() | (ep["DEC"] >= start))


@shared
def continuously_looked_after(t) -> pd.Index:
    """Children looked after continuously for the 12 months to 31 March (lac_notes.md section 6).

    A child counts if they have an episode overlapping the year and no episode in the year that starts
    care (RNE S) after 1 April, ends in the year with a REC other than X1, or is a short break (V3/V4).
    """
    ep = t.Episodes
    overlap, breaks = _continuity(t)
    looked_after = ids(ep.loc[overlap, "CHILD"].dropna().unique())
    return looked_after.difference(ids(ep.loc[breaks, "CHILD"].dropna().unique()))


@shared
def _continuity(t) -> tuple[pd.Series, pd.Series]:
    """The episodes overlapping the year, and those of them that break continuous care
    (see ``continuously_looked_after``)."""
    ep, start, end = t.Episodes, t.collection_start, t.collection_end
    overlap = in_year(ep, start, end)
    starts_care = (ep["RNE"] == "S") & (ep["DECOM"] > start)
    ends_care = ep["DEC"].between(start, end) & (ep["REC"] != "X1")
    return overlap, overlap & (starts_care | ends_care | ep["LS"].isin(SHORT_BREAKS))


@shared
def looked_after_12_months(t, table: str) -> pd.Series:
    """For each row of ``t[table]``: its child is in ``continuously_looked_after``, on the integer child codes."""
    overlap, breaks = _continuity(t)
    return child_in(t, table, "Episodes", where=overlap) & ~child_in(t, table, "Episodes", where=breaks)
