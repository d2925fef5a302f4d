"""The SSDA903 rule set and the small helpers its topic modules share."""

from __future__ import annotations

import pandas as pd

from statreturns.dates import absent
from statreturns.engine import RuleSet

LAC = RuleSet("ssda903", child_column="CHILD")
rule = LAC.rule

ALL_YEARS = range(2025, 2028)
SHORT_BREAKS = frozenset({"V3", "V4"})


def present(s: pd.Series) -> pd.Series:
    """True where a value is there. Tables are built with text stripped and blanks as missing."""
    return ~absent(s)


def by_child(keys: pd.Series, values: pd.Series) -> pd.Series:
    """``values`` (indexed by child id) looked up for each of ``keys``, aligned to ``keys``.

    Blank ids never match and the first value of a repeated id wins. Reindexed, not mapped: in pandas 3
    ``Series.map`` through an empty datetime Series raises, and reindexing keeps the values' dtype.
    """
    values = values[values.index.notna() & ~values.index.duplicated()]
    return values.reindex(keys.to_numpy()).set_axis(keys.index)


def header_value(t, table: str, column: str, header: str = "Header") -> pd.Series:
    """``column`` of each row's child in ``header`` (first row per CHILD), aligned to ``t[table]``."""
    return by_child(t[table]["CHILD"], t[header].set_index("CHILD")[column])


def birthday(dob: pd.Series, years: int) -> pd.Series:
    """The ``years``-th birthday (29 February birthdays fall on 28 February in other years)."""
    return dob + pd.DateOffset(years=years)


def isin(s: pd.Series, values: pd.Series | pd.Index) -> pd.Series:
    """``s.isin(values)`` by hashing: pandas 3's isin on Arrow strings loops in Python over ``values``."""
    known = pd.Index(pd.unique(pd.Series(values).dropna()))
    return pd.Series(known.get_indexer(s) >= 0, index=s.index)


def in_year(ep: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Episodes overlapping [start, end]; a blank or unparseable DEC counts as open."""
    return (ep["DECOM"] <= end) & (ep["DEC"].isna() | (ep["DEC"] >= start))


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
    looked_after = pd.Index(ep.loc[overlap, "CHILD"].dropna().unique())
    return looked_after.difference(pd.Index(ep.loc[breaks, "CHILD"].dropna().unique()))
