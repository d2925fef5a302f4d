"""Dates parsed once, for every rule: a date that does not parse becomes NaT and is marked, never raised."""

from __future__ import annotations

import pandas as pd

ISO = "%Y-%m-%d"
UK = "%d/%m/%Y"


def blank(s: pd.Series) -> pd.Series:
    """True where a raw string value is missing or only white space."""
    return s.isna() | (s.astype("str").str.strip() == "")


def parse(s: pd.Series, fmt: str) -> pd.Series:
    """Parse raw strings with one format; anything else (blank, 31/02/2026, 'unknown') is NaT."""
    text = s.astype("str").str.strip()
    return pd.to_datetime(text.where(~blank(s)), format=fmt, errors="coerce")


def invalid(raw: pd.Series, parsed: pd.Series) -> pd.Series:
    """Present in the file but not a date."""
    return ~blank(raw) & parsed.isna()


def parse_columns(frame: pd.DataFrame, columns: list[str], fmt: str) -> pd.DataFrame:
    """Return a copy whose ``columns`` are datetimes; the raw strings are kept as ``<col>_raw``."""
    out = frame.copy()
    for col in columns:
        if col not in out.columns:
            out[col] = pd.Series([None] * len(out), index=out.index, dtype="object")
        out[f"{col}_raw"] = out[col]
        out[col] = parse(out[col], fmt)
    return out
