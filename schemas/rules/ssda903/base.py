"""The SSDA903 rule set and the small helpers its topic modules share."""

from __future__ import annotations

import pandas as pd

from statreturns.engine import RuleSet

LAC = RuleSet("ssda903", child_column="CHILD")
rule = LAC.rule

ALL_YEARS = range(2025, 2028)


def present(s: pd.Series) -> pd.Series:
    """True where a raw value is there and not only white space."""
    return s.notna() & (s.astype("str").str.strip() != "")


def header_lookup(t, table: str, column: str, header: str = "Header") -> pd.Series:
    """``column`` of each row's child in ``header`` (first row per CHILD), aligned to ``t[table]``."""
    h = t[header].drop_duplicates("CHILD").set_index("CHILD")[column]
    keys = t[table]["CHILD"]
    # reindex, not map: map on an empty datetime Series raises in pandas 3.
    return pd.Series(h.reindex(keys).to_numpy(), index=keys.index, dtype=h.dtype)
