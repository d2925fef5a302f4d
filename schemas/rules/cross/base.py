"""The cross rule set and the helpers its topic modules share.

Every cross rule is a query: the checks are ours, not the DfE's, so they never block a submission.
"""

from __future__ import annotations

import pandas as pd

from statreturns.engine import RuleSet

CROSS = RuleSet("cross", child_column="child_id")
rule = CROSS.rule

# Collection years the checks are written for (the frames normalise the items that changed by year).
YEARS = range(2023, 2028)


def by_child(frame: pd.DataFrame, table: pd.DataFrame, column: str) -> pd.Series:
    """``column`` of ``table``'s first row per child_id, aligned to ``frame`` by its child_id."""
    first = table[table["child_id"].notna()].drop_duplicates("child_id").set_index("child_id")[column]
    return pd.Series(first.reindex(pd.Index(frame["child_id"])).to_numpy(), index=frame.index, dtype=first.dtype)


def pairs(left: pd.DataFrame, right: pd.DataFrame, on: str, suffixes: tuple[str, str] = ("", "_r")) -> pd.DataFrame:
    """Rows of ``left`` (their labels in ``_left``) joined with ``right`` on ``on`` (missing keys dropped)."""
    a = left[left[on].notna()].rename_axis("_left").reset_index()
    b = right[right[on].notna()]
    return a.merge(b, on=on, suffixes=suffixes)


def open_on(t, episodes: pd.DataFrame) -> pd.Series:
    """Episodes open at the end of the reference date (31 March): started by then, no end date or a later one."""
    return episodes["start"].notna() & (episodes["start"] <= t.reference_date) & (
        episodes["end"].isna() | (episodes["end"] > t.reference_date))


def looked_after_now(t) -> pd.Series:
    """LA child ids (the ``children`` frame's) with a 903 episode open on the reference date."""
    ep = t["ssda903.Episodes"]
    now = set(ep.loc[open_on(t, ep), "child_id"].dropna())
    return t["children"]["child_id"].isin(now)
