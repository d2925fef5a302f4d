"""What is due: for each series, its subjects, trigger date and due date; longest period wins; holds.

The unit is one series for one subject (a child or a pupil). Where two series hold the same columns of
the same table for a subject, the one that falls due later governs those tables: the earlier one is
blocked there ("superseded" when blocked on every table it holds). A record with no trigger date is
never due and blocks others, so missing data keeps records rather than losing them. Transfer items are
reminders: they neither block nor get blocked.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa

from schemas import canonical
from statreturns.retention import data
from statreturns.retention.anonymise import PSEUDONYM_PREFIX
from statreturns.retention.schedule import Schedule, Selector, Series

# On the same due date the more cautious action governs.
CAUTION = {"review": 3, "anonymise": 2, "destroy": 1}
ITEM_COLUMNS = ["series", "action", "key", "due", "status", "blocked_tables", "superseded_by"]


def _condition(frame: pd.DataFrame, table: str, cond) -> pd.Series:
    col = frame[cond.column]
    if cond.op == "notna":
        return col.notna() if cond.value else col.isna()
    if data.is_date(table, cond.column):
        bound = pd.Timestamp(cond.value)
        return col >= bound if cond.op == "gte" else col < bound if cond.op == "lt" else col.isin(
            [pd.Timestamp(v) for v in cond.value])
    if cond.op != "in":
        raise ValueError(f"{table}.{cond.column}: {cond.op} needs a date column")
    if "bool" in str(canonical.MODELS[table].to_schema().columns[cond.column].dtype):
        wanted = {bool(v) for v in cond.value}
        return col.astype("boolean").isin(wanted)  # SQLite gives 0/1, PostgreSQL True/False
    return col.astype("object").isin({str(v) for v in cond.value})


def _selected(engine: sa.Engine, sel: Selector, key: str) -> pd.Index:
    frame = data.read_columns(engine, sel.table, [key] + [c.column for c in sel.where])
    mask = pd.Series(not sel.where, index=frame.index)
    for cond in sel.where:
        mask |= _condition(frame, sel.table, cond).fillna(False).astype(bool)
    return pd.Index(frame.loc[mask, key].dropna().unique(), dtype=object)


def _trigger(engine: sa.Engine, s: Series, keys: pd.Index) -> pd.Series:
    frame = data.read_columns(engine, s.trigger_table, [s.key, s.trigger_column]).dropna()
    dates = frame.groupby(s.key)[s.trigger_column].agg(s.trigger_agg)
    due = dates.reindex(keys) + s.period.offset()
    if s.death_rule:
        d = s.death_rule
        frame = data.read_columns(engine, d.table, [s.key, d.death, d.birth]).drop_duplicates(s.key)
        frame = frame.set_index(s.key).reindex(keys)
        young = frame[d.death].notna() & (frame[d.death] < frame[d.birth] + pd.DateOffset(years=d.under_age))
        due = due.where(~young, frame[d.death] + d.period.offset())
    return due


def _already_done(engine: sa.Engine, s: Series, keys: pd.Index) -> pd.Index:
    """Drop subjects this series has already dealt with, so a second plan does not list them again."""
    if s.action == "anonymise":
        return keys[~keys.astype(str).str.startswith(PSEUDONYM_PREFIX)]
    if s.action == "destroy" and all(s.key not in r.covered() for r in s.records):
        left = pd.Index([], dtype=object)
        for r in s.records:
            frame = data.read_columns(engine, r.table, [s.key, *sorted(r.covered())])
            still = frame.drop(columns=[s.key]).notna().any(axis=1)
            left = left.union(pd.Index(frame.loc[still, s.key].unique(), dtype=object))
        return keys[keys.isin(left)]
    return keys


def series_due(engine: sa.Engine, s: Series) -> pd.Series:
    """Due date per subject key for one series (NaT where the trigger date is unknown)."""
    keys = _selected(engine, s.members, s.key)
    if s.exclude:
        keys = keys.difference(_selected(engine, s.exclude, s.key))
    keys = _already_done(engine, s, keys)
    return _trigger(engine, s, keys).rename("due")


def _overlap(s: Series, t: Series) -> list[str]:
    cov_t = {}
    for r in t.records:
        cov_t.setdefault(r.table, set()).update(r.covered())
    return [r.table for r in s.records if r.covered() & cov_t.get(r.table, set())]


def due_items(engine: sa.Engine, sched: Schedule, as_of: date, series_ids: list[str] | None = None,
              active_holds: pd.DataFrame | None = None) -> pd.DataFrame:
    """Items due on ``as_of`` (status due, held or superseded) for the chosen series (default all).

    Conflicts are resolved against every series of the schedule, chosen or not.
    """
    cut = pd.Timestamp(as_of)
    dues = {s.id: series_due(engine, s) for s in sched.series}
    order = {s.id: i for i, s in enumerate(sched.series)}
    out = []
    for s in sched.series:
        if series_ids is not None and s.id not in series_ids:
            continue
        due = dues[s.id]
        cand = due[due.notna() & (due <= cut)]
        blocked = {t: np.zeros(len(cand), dtype=bool) for t in s.tables()}
        by = pd.Series("", index=cand.index, dtype=object)
        for t in sched.series:
            if t.id == s.id or t.subject != s.subject or "transfer" in (s.action, t.action):
                continue
            tables = _overlap(s, t)
            if not tables:
                continue
            other = dues[t.id]
            member = cand.index.isin(other.index)
            later = other.reindex(cand.index)
            wins = (CAUTION[t.action], -order[t.id]) > (CAUTION[s.action], -order[s.id])
            blocks = member & (later.isna() | (later > cand) | ((later == cand) & wins)).to_numpy()
            for table in tables:
                blocked[table] |= blocks
            by = by.where(~blocks, by + np.where(by == "", "", ";") + t.id)
        items = pd.DataFrame({"series": s.id, "action": s.action, "key": cand.index.astype(object),
                              "due": cand.to_numpy()})
        names = pd.Series("", index=items.index, dtype=object)
        for table, mask in blocked.items():
            names = names.where(~mask, names + np.where(names == "", "", ";") + table)
        items["blocked_tables"] = names.to_numpy()
        items["superseded_by"] = by.to_numpy()
        all_blocked = np.logical_and.reduce(list(blocked.values())) if blocked else np.zeros(len(items), bool)
        items["status"] = np.where(all_blocked, "superseded", "due")
        out.append(items[ITEM_COLUMNS])
    items = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=ITEM_COLUMNS)
    items["key"] = items["key"].astype(object)
    if active_holds is not None:
        from statreturns.retention import holds

        items.loc[holds.held(items, active_holds) & (items.status == "due"), "status"] = "held"
    return items
