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


@shared
def child_codes(t) -> dict[str, np.ndarray]:
    """Every table's CHILD as integer codes from one factorisation over all tables (-1 where blank).

    The arrays are read-only, like every shared derivation.
    """
    names = [name for name, frame in t.frames.items() if "CHILD" in frame.columns]
    if not names:
        return {}
    columns = [t[name]["CHILD"].to_numpy(dtype=object) for name in names]
    ids = np.concatenate(columns)
    try:  # Arrow hashes strings about twice as fast as pandas' object hash table
        encoded = pc.dictionary_encode(pa.array(ids, type=pa.string(), from_pandas=True))
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype("int64")
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        codes, _ = pd.factorize(ids)
    codes.setflags(write=False)
    return dict(zip(names, np.split(codes, np.cumsum([len(c) for c in columns])[:-1]), strict=True))


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
