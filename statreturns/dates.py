"""Dates parsed once, for every rule: a date that does not parse becomes NaT and is marked, never raised."""

from __future__ import annotations

import numpy as np
import pandas as pd

ISO = "%Y-%m-%d"
UK = "%d/%m/%Y"


def text(s: pd.Series, *, upper: bool = False) -> pd.Series:
    """Raw values with white space stripped and blank as missing (None), as Python strings.

    Done once per column when tables are built, so rules can test presence with a plain comparison.
    Object dtype on purpose: pandas 3's Arrow strings loop in Python in ``isin`` against a large set,
    which rules do all the time (children in another table), while object ``isin`` is hashed.
    """
    out = s.astype("str").str.strip()
    if upper:
        out = out.str.upper()
    return out.mask(out == "").astype("object").where(lambda x: x.notna(), None)


def absent(s: pd.Series) -> pd.Series:
    """True where a value normalised by ``text`` (as every table the rules see is) is missing.

    Cheap on purpose: rules ask this hundreds of times. For raw, unnormalised text use ``blank``.
    """
    if s.dtype == object:
        values = s.to_numpy()
        try:  # numpy on the object array: the same test as below, without pandas' per-operation cost
            empty = values == ""
        except (TypeError, ValueError):  # an element that does not compare to a plain bool (pd.NA)
            return s.isna() | s.eq("")
        if isinstance(empty, np.ndarray) and empty.dtype == bool:
            return pd.Series(pd.isna(values) | empty, index=s.index, name=s.name)
        return s.isna() | s.eq("")
    if isinstance(s.dtype, pd.StringDtype):
        return s.isna() | s.eq("")
    return s.isna()


def blank(s: pd.Series) -> pd.Series:
    """True where a raw string value is missing or only white space."""
    return s.isna() | (s.astype("str").str.strip() == "")


def parse(s: pd.Series, fmt: str) -> pd.Series:
    """Parse raw strings with one format; anything else (blank, 31/02/2026, 'unknown') is NaT."""
    text = s.astype("str").str.strip()
    return pd.to_datetime(text.where(~blank(s)), format=fmt, errors="coerce")


def invalid(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    """Present in the file but not a date (``raw`` normalised by ``text``, as in built tables)."""
    return ~absent(raw) & parsed.isna()


def parse_columns(frame: pd.DataFrame, columns: list[str], fmt: str) -> pd.DataFrame:
    """Return a copy whose ``columns`` are datetimes; the raw strings are kept as ``<col>_raw``."""
    out = frame.copy()
    for col in columns:
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), index=out.index, dtype="object")
        out[f"{col}_raw"] = text(out[col])
        out[col] = parse(out[col], fmt)
    return out
