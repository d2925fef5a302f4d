"""The CIN census rule set and the small helpers its topic modules share."""

from __future__ import annotations

import numpy as np
import pandas as pd

from statreturns.dates import absent
from statreturns.engine import RuleSet

CHILD = "LAchildID"
CIN = RuleSet("cin", child_column=CHILD)
rule = CIN.rule

# Collection years (--year) the shipped rules are implemented for; draft 2027 rules use DRAFT_YEARS.
YEARS = range(2025, 2028)
DRAFT_YEARS = range(2027, 2028)


def present(s: pd.Series) -> pd.Series:
    """True where a value is there. Tables are built with text stripped and blanks as missing."""
    return ~absent(s)


def text(s: pd.Series) -> pd.Series:
    """Values with surrounding white space removed; blank becomes missing."""
    out = s.astype("str").str.strip()
    return out.where(out != "")


def table_text(t, table: str, column: str) -> pd.Series:
    """``text`` of a whole table column, computed once per return: several rules read the same one."""
    return t.memo(f"text:{table}:{column}", lambda: text(t[table][column]))


def flag_is(s: pd.Series, value: bool) -> pd.Series:
    """True where a normalised yes/no column equals ``value`` (<NA> counts as neither)."""
    return s.eq(value).fillna(False).astype(bool)


def _rows_in(t, source: str, key: str, table: str, *, skip_blank: bool) -> np.ndarray:
    """For each row of ``table``, the position in ``source`` of the first row with the same ``key``
    (-1 where none; blank keys in ``source`` left out with ``skip_blank``).

    Shared through ``t.memo``: several rules look up the same table's child or episode, and hashing the
    keys was most of the cost of each lookup.
    """
    def build() -> np.ndarray:
        keys = t[source][key]
        first = ~keys.duplicated().to_numpy()
        if skip_blank:
            first &= keys.notna().to_numpy()
        at = np.flatnonzero(first)
        found = pd.Index(keys.iloc[at]).get_indexer(pd.Index(t[table][key]))
        return np.where(found >= 0, at[found], -1)

    return t.memo(f"rows_in:{source}:{key}:{table}:{skip_blank}", build)


def _looked_up(column: pd.Series, positions: np.ndarray) -> np.ndarray:
    """``column`` at ``positions``, missing (as reindex fills it) where -1."""
    return column.array.take(positions, allow_fill=True).to_numpy()


def episode_rows(t, table: str) -> np.ndarray:
    """For each row of ``table``, the position in CINdetails of the first episode with its CINdetailsID;
    -1 where there is none or the row's CINdetailsID is blank (as a groupby on it leaves those out)."""
    positions = _rows_in(t, "CINdetails", "CINdetailsID", table, skip_blank=False)
    return np.where(t[table]["CINdetailsID"].notna().to_numpy(), positions, -1)


def child_value(t, table: str, column: str) -> pd.Series:
    """``column`` of each row's child (ChildIdentifiers, by LAchildID), aligned to ``t[table]``."""
    ids = t.ChildIdentifiers
    positions = _rows_in(t, "ChildIdentifiers", CHILD, table, skip_blank=True)
    # Missing where the child has no ChildIdentifiers row; the column's dtype is kept even when a table
    # is empty (NaT compares safely).
    return pd.Series(_looked_up(ids[column], positions), index=t[table].index, dtype=ids[column].dtype)


def episode_value(t, table: str, column: str) -> pd.Series:
    """``column`` of each row's CINdetails episode, aligned to ``t[table]``.

    Looked up by position, not mapped: ``Series.map`` raises TypeError when CINdetails is empty and the
    column is a date, and a rule must not fail on a return with no episodes.
    """
    positions = _rows_in(t, "CINdetails", "CINdetailsID", table, skip_blank=False)
    values = _looked_up(t["CINdetails"][column], positions)
    return pd.Series(values, index=t[table]["CINdetailsID"].index, name=column)


def first_row_if(frame: pd.DataFrame, condition: bool) -> pd.Series:
    """A return-level finding: True on the first row of ``frame`` when ``condition`` holds."""
    mask = pd.Series(False, index=frame.index)
    if condition and len(frame):
        mask.iloc[0] = True
    return mask


def is_blank(frame: pd.DataFrame, col: str) -> pd.Series:
    """True where a date column was left blank in the file (not where it failed to parse)."""
    return absent(frame[f"{col}_raw"])


def has_date(frame: pd.DataFrame, col: str) -> pd.Series:
    """True where a date column was given in the file, parsed or not."""
    return ~is_blank(frame, col)


def outside_period(t, dates: pd.Series) -> pd.Series:
    """True where a date falls outside 1 April (year-1) to 31 March (year); NaT is never outside."""
    return (dates < t.period_start) | (dates > t.period_end)


def span_end(t, frame: pd.DataFrame, col: str) -> pd.Series:
    """The end of each span: the end date, or the ReferenceDate where the end was left blank."""
    return frame[col].mask(is_blank(frame, col), t.reference_date)


def join_positions(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions (i, j) of every pair of equal keys ``left[i] == right[j]``, in the order an inner
    ``merge`` gives its rows: left rows in order, each one's matches in right order. Keys are non-missing.

    A merge builds a whole frame per call; rules only need the positions, and this is several times
    cheaper on the small tables rules join.
    """
    codes, _ = pd.factorize(np.concatenate([left, right]))
    left_codes, right_codes = codes[: len(left)], codes[len(left):]
    order = np.argsort(right_codes, kind="stable")
    ranked = right_codes[order]
    lo = np.searchsorted(ranked, left_codes, "left")
    counts = np.searchsorted(ranked, left_codes, "right") - lo
    i = np.repeat(np.arange(len(left)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return i, order[np.repeat(lo, counts) + within]


def plain_dates(*columns: pd.Series) -> bool:
    """True when every column is a numpy datetime64 column (so numpy compares them as pandas does)."""
    return all(isinstance(c.dtype, np.dtype) and c.dtype.kind == "M" for c in columns)


def inside_pairs(points: pd.DataFrame, spans: pd.DataFrame, *, same_rows: bool = False,
                 except_on_end: bool = False) -> pd.DataFrame:
    """Pairs (_point, _span) of labels where a point's ``date`` falls inside a span with the same ``key``.

    ``points`` has columns key, date; ``spans`` key, start, end (open spans already ended at the
    ReferenceDate) and, for ``except_on_end``, actual_end (the end as recorded, NaT when open).
    ``same_rows``: both frames are the same table, so a row is never compared with itself.
    The rows are those of the merge on ``key`` (same order and index), computed without building it.
    """
    left = points.dropna(subset=["key", "date"])
    right = spans.dropna(subset=["key", "start"])
    ends = ["start", "end", "actual_end"] if except_on_end else ["start", "end"]
    if left["key"].dtype != object or right["key"].dtype != object or not plain_dates(
            left["date"], *(right[c] for c in ends)):
        return _inside_pairs_merged(left, right, same_rows=same_rows, except_on_end=except_on_end)
    i, j = join_positions(left["key"].to_numpy(), right["key"].to_numpy())
    point, span = left.index.to_numpy()[i], right.index.to_numpy()[j]
    date = left["date"].to_numpy()[i]
    hit = (date >= right["start"].to_numpy()[j]) & (date <= right["end"].to_numpy()[j])
    if same_rows:
        hit &= point != span
    if except_on_end:
        hit &= date != right["actual_end"].to_numpy()[j]
    at = np.flatnonzero(hit)
    return pd.DataFrame({"_point": point[at], "_span": span[at]}, index=at)


def _inside_pairs_merged(left: pd.DataFrame, right: pd.DataFrame, *, same_rows: bool,
                         except_on_end: bool) -> pd.DataFrame:
    """``inside_pairs`` through a merge, for keys or dates of other dtypes."""
    pairs = left.rename_axis("_point").reset_index().merge(right.rename_axis("_span").reset_index(), on="key")
    if same_rows:
        pairs = pairs[pairs["_point"] != pairs["_span"]]
    hit = (pairs["date"] >= pairs["start"]) & (pairs["date"] <= pairs["end"])
    if except_on_end:
        hit &= pairs["date"] != pairs["actual_end"]
    return pairs.loc[hit, ["_point", "_span"]]


def starts_inside(points: pd.DataFrame, spans: pd.DataFrame, **kwargs: bool) -> pd.Index:
    """Labels of ``points`` whose date falls inside a span of the same key (see ``inside_pairs``)."""
    return pd.Index(inside_pairs(points, spans, **kwargs)["_point"].unique())
