"""The CIN census rule set and the small helpers its topic modules share."""

from __future__ import annotations

import pandas as pd

from statreturns.engine import RuleSet

CIN = RuleSet("cin", child_column="LAchildID")
rule = CIN.rule

# Collection years (--year) the shipped rules are implemented for; draft 2027 rules use DRAFT_YEARS.
YEARS = range(2025, 2028)
DRAFT_YEARS = range(2027, 2028)


def present(s: pd.Series) -> pd.Series:
    """True where a raw value is there and not only white space."""
    return s.notna() & (s.astype("str").str.strip() != "")


def episode_lookup(t, table: str, column: str) -> pd.Series:
    """``column`` of each row's CINdetails episode, aligned to ``t[table]`` (join on CINdetailsID once)."""
    episodes = t["CINdetails"].drop_duplicates("CINdetailsID").set_index("CINdetailsID")[column]
    keys = t[table]["CINdetailsID"]
    # reindex, not map: map on an empty datetime Series raises in pandas 3.
    return pd.Series(episodes.reindex(keys).to_numpy(), index=keys.index, dtype=episodes.dtype)
