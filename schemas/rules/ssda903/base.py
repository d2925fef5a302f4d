"""The SSDA903 rule set and the small helpers its topic modules share."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
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

    As ``dob + pd.DateOffset(years=years)``, in whole-array integer arithmetic (rules ask this often).
    """
    if not (isinstance(dob.dtype, np.dtype) and dob.dtype.kind == "M"):
        return dob + pd.DateOffset(years=years)
    v = dob.to_numpy()
    day = v.astype("datetime64[D]")
    month = v.astype("datetime64[M]")
    year = month.astype("int64") // 12 + 1970 + years
    day_of_month = (day - month.astype("datetime64[D]")).astype("int64")  # 0-based
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    feb_29 = (month.astype("int64") % 12 == 1) & (day_of_month == 28)
    day_of_month = np.where(feb_29 & ~leap, 27, day_of_month)
    new_month = (month.astype("int64") + 12 * years).astype("datetime64[M]")
    out = (new_month.astype("datetime64[D]") + day_of_month).astype(v.dtype) + (v - day.astype(v.dtype))
    out[np.isnat(v)] = np.datetime64("NaT")
    return pd.Series(out, index=dob.index, name=dob.name)


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
    ep, start, end = t.Episodes, t.collection_start, t.collection_end
    overlap = in_year(ep, start, end)
    starts_care = (ep["RNE"] == "S") & (ep["DECOM"] > start)
    ends_care = ep["DEC"].between(start, end) & (ep["REC"] != "X1")
    breaks = overlap & (starts_care | ends_care | ep["LS"].isin(SHORT_BREAKS))
    looked_after = ids(ep.loc[overlap, "CHILD"].dropna().unique())
    return looked_after.difference(ids(ep.loc[breaks, "CHILD"].dropna().unique()))
