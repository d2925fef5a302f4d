"""What is due: for each series, every subject it holds, with its trigger date, due date and status.

The unit is one series for one subject (a child or a pupil). Every subject a series holds is listed:
``due``, ``not_due`` (with the date it will be), ``superseded`` (blocked on every table it holds by a
series that falls due later), ``held`` (a legal hold) or ``undecidable`` (no date under the trigger or
any of the series' fallbacks: the reason is given, and it blocks nothing else). Where the main trigger
date is missing, the series' fallback triggers apply in order (expected date of birth, last activity,
date last landed); the ``trigger`` column says which one gave the date.

Where two series hold the same columns of the same table for a subject, the one that falls due later
governs those tables: the earlier one is blocked there. A ``review`` series blocks others only until it
is due: from then on the plan flags it for review and the records fall to the series that destroy or
anonymise them in the same plan (the DPO reviews the plan before approving it; keeping a record means a
legal hold). Transfer items are reminders: they neither block nor get blocked.
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
ITEM_COLUMNS = ["series", "action", "key", "due", "status", "trigger", "blocked_tables", "superseded_by",
                "reason"]
STATUSES = ("due", "held", "superseded", "not_due", "undecidable")


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


def _column_dates(engine: sa.Engine, table: str, column: str, key: str, agg: str) -> pd.Series:
    frame = data.read_columns(engine, table, [key, column]).dropna()
    return frame.groupby(key)[column].agg(agg)


def _activity(engine: sa.Engine, s: Series, keys: pd.Index | None = None) -> pd.Series:
    """The latest date in any date column of the series' record tables, per subject (with ``keys``: only
    those, read by key when they are few, as for the subjects a fallback is needed for)."""
    few = None if keys is None or len(keys) > 50_000 else [str(k) for k in keys]
    parts = [data.latest_dates(engine, t, s.key, few) for t in dict.fromkeys(s.tables())]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.Series(dtype="datetime64[ns]")
    both = pd.concat(parts)
    return both.groupby(level=0).max()


def _fy_end(dates: pd.Series) -> pd.Series:
    """The end of the financial year (31 March) on or after each date."""
    year = dates.dt.year + (dates.dt.month > 3).astype("Int64")
    out = pd.to_datetime(year.astype("string") + "-03-31", errors="coerce")
    return out.where(dates.notna())


def _trigger(engine: sa.Engine, s: Series, keys: pd.Index) -> pd.DataFrame:
    """Due date and the trigger that gave it, per subject; NaT and a reason where no trigger has a date."""
    if s.trigger_column:
        dates = _column_dates(engine, s.trigger_table, s.trigger_column, s.key, s.trigger_agg)
    else:
        dates = _activity(engine, s, keys)
    dates = dates.reindex(keys)
    if s.round_to:
        dates = _fy_end(dates)
    due = dates + s.period.offset()
    how = pd.Series(np.where(due.notna(), s.trigger_name, ""), index=keys, dtype=object)
    for fb in s.fallback:
        missing = due.isna()
        if not missing.any():
            break
        if fb.kind == "column":
            fdates = _column_dates(engine, fb.table, fb.column, s.key, fb.agg).reindex(keys)
        elif fb.kind == "activity":
            fdates = _activity(engine, s, keys[missing.to_numpy()]).reindex(keys)
        else:
            fdates = pd.Series(data.last_landed(engine), index=keys, dtype="datetime64[ns]")
        if s.round_to:
            fdates = _fy_end(fdates)
        fdue = fdates + (fb.period or s.period).offset()
        fill = missing & fdue.notna()
        due = due.where(~fill, fdue)
        how = how.where(~fill, "fallback:" + fb.name)
    if s.death_rule:
        d = s.death_rule
        frame = data.read_columns(engine, d.table, [s.key, d.death, d.birth]).drop_duplicates(s.key)
        frame = frame.set_index(s.key).reindex(keys)
        young = frame[d.death].notna() & (frame[d.death] < frame[d.birth] + pd.DateOffset(years=d.under_age))
        due = due.where(~young, frame[d.death] + d.period.offset())
        how = how.where(~young, "death_rule")
    names = [s.trigger_name] + [fb.name for fb in s.fallback]
    reason = np.where(due.isna(), "no date under " + ", ".join(names), "")
    return pd.DataFrame({"due": due.astype("datetime64[ns]"), "trigger": how, "reason": reason}, index=keys)


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


def members(engine: sa.Engine, s: Series) -> pd.Index:
    """The subjects a series holds (before removing those it has already dealt with)."""
    keys = _selected(engine, s.members, s.key)
    if s.exclude:
        keys = keys.difference(_selected(engine, s.exclude, s.key))
    return keys


def series_due(engine: sa.Engine, s: Series, claimed: pd.Index | None = None) -> pd.DataFrame:
    """Due date, trigger and reason per subject key for one series (NaT where no trigger has a date).

    ``claimed``: for a catch-all series, the subjects the schedule's other series hold.
    """
    keys = members(engine, s)
    if s.catch_all and claimed is not None:
        keys = keys.difference(claimed)
    keys = _already_done(engine, s, keys)
    return _trigger(engine, s, keys)


def _overlap(s: Series, t: Series) -> list[str]:
    cov_t = {}
    for r in t.records:
        cov_t.setdefault(r.table, set()).update(r.covered())
    return [r.table for r in s.records if r.covered() & cov_t.get(r.table, set())]


def _claimed(engine: sa.Engine, sched: Schedule) -> dict[str, pd.Index]:
    """Per subject table, the subjects held by the schedule's series other than catch-all ones."""
    out: dict[str, pd.Index] = {}
    if not any(s.catch_all for s in sched.series):
        return out
    for s in sched.series:
        if not s.catch_all and s.action != "transfer":
            out[s.subject] = out.get(s.subject, pd.Index([], dtype=object)).union(members(engine, s))
    return out


def due_items(engine: sa.Engine, sched: Schedule, as_of: date, series_ids: list[str] | None = None,
              active_holds: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every subject of the chosen series (default all) with its status on ``as_of``.

    Conflicts are resolved against every series of the schedule, chosen or not.
    """
    cut = pd.Timestamp(as_of)
    with data.reads_remembered():
        claimed = _claimed(engine, sched)
        dues = {s.id: series_due(engine, s, claimed.get(s.subject)) for s in sched.series}
    order = {s.id: i for i, s in enumerate(sched.series)}
    out = []
    for s in sched.series:
        if series_ids is not None and s.id not in series_ids:
            continue
        frame = dues[s.id]
        cand = frame["due"]
        blocked = {t: np.zeros(len(cand), dtype=bool) for t in s.tables()}
        by = pd.Series("", index=cand.index, dtype=object)
        for t in sched.series:
            if t.id == s.id or t.subject != s.subject or "transfer" in (s.action, t.action):
                continue
            tables = _overlap(s, t)
            if not tables:
                continue
            later = dues[t.id]["due"].reindex(cand.index)
            wins = (CAUTION[t.action], -order[t.id]) > (CAUTION[s.action], -order[s.id])
            # an undecidable item (no date) blocks nothing; a review blocks only until it is due
            blocks = later.notna() & ((later > cand) | ((later == cand) & wins))
            if t.action == "review":
                blocks &= later > cut
            blocks = blocks.to_numpy()
            for table in tables:
                blocked[table] |= blocks
            by = by.where(~blocks, by + np.where(by == "", "", ";") + t.id)
        items = pd.DataFrame({"series": s.id, "action": s.action, "key": cand.index.astype(object),
                              "due": cand.to_numpy(), "trigger": frame["trigger"].to_numpy(),
                              "reason": frame["reason"].to_numpy()})
        names = pd.Series("", index=items.index, dtype=object)
        for table, mask in blocked.items():
            names = names.where(~mask, names + np.where(names == "", "", ";") + table)
        items["blocked_tables"] = names.to_numpy()
        items["superseded_by"] = by.to_numpy()
        all_blocked = np.logical_and.reduce(list(blocked.values())) if blocked else np.zeros(len(items), bool)
        due = items["due"]
        items["status"] = np.select([due.isna(), due > cut, all_blocked], ["undecidable", "not_due", "superseded"],
                                    "due")
        out.append(items[ITEM_COLUMNS])
    items = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=ITEM_COLUMNS)
    items["key"] = items["key"].astype(object)
    items["due"] = pd.to_datetime(items["due"]).astype("datetime64[ns]")
    if active_holds is not None:
        from statreturns.retention import holds

        items.loc[holds.held(items, active_holds) & (items.status == "due"), "status"] = "held"
    return items
