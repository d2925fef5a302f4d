"""Plan: the due list frozen with an id and a content hash, written for the DPO, waiting for approval.

The content hash covers the as-of date, the schedule, the active holds and, per batch, a fingerprint
of the current values of every row the batch would touch. Apply recomputes the fingerprints and the
holds, so a record that changed or a hold added after planning makes apply refuse.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from statreturns.files import write_bytes_atomic, write_csv_atomic
from statreturns.retention import audit, data, holds, store
from statreturns.retention.due import due_items
from statreturns.retention.schedule import CHANGES_DATA, Schedule, load

# Subjects per batch (one transaction each). 50,000 rather than 5,000: at 100,000 children on SQLite apply
# took 11.5 s instead of 17.9 s and plan 6.2 instead of 6.9 (peak 506 MB against 481), and at 1,000,000
# apply 184 CPU-s instead of 313; a crash still loses at most one batch, which a rerun redoes.
BATCH_SIZE = 50_000
# How batch fingerprints are made: raised whenever that changes (2: one string per table and batch, rows as
# json_array on SQLite and ROW text on PostgreSQL), so a plan made before is refused by name, not as changed records.
FINGERPRINT_FORMAT = 2
DETAIL_COLUMNS = ["row", "batch", "series", "action", "status", "due", "key", "trigger", "blocked_tables",
                  "superseded_by", "reason"]


@dataclass
class PlanResult:
    plan_id: str
    folder: Path
    counts: dict[str, dict[str, int]]  # series -> status -> items
    batches: int
    content_hash: str


def plans_dir(run_dir: Path) -> Path:
    return run_dir / "retention" / "plans"


def acted_tables(sched: Schedule, items: pd.DataFrame) -> dict[str, tuple[str, list[str]]]:
    """Table -> (key column, keys) that a set of due items acts on, after removing blocked tables."""
    groups: list[list[str]] = []
    out: dict[str, tuple[str, list[int]]] = {}  # table -> (key column, the groups acting on it)
    for (sid, blocked), group in items.groupby(["series", "blocked_tables"], sort=True):
        s = sched.get(sid)
        skip = set(filter(None, str(blocked).split(";")))
        groups.append(group["key"].tolist())
        for table in s.tables():
            if table not in skip:
                out.setdefault(table, (s.key, []))[1].append(len(groups) - 1)
    # tables acted on by the same groups share one key list (sorted once; callers bind it once)
    lists: dict[tuple[int, ...], list[str]] = {}
    for _key, which in out.values():
        if tuple(which) not in lists:
            lists[tuple(which)] = sorted(set().union(*(groups[i] for i in which)))
    return {t: (k, lists[tuple(which)]) for t, (k, which) in sorted(out.items())}


def batch_fingerprint(conn: sa.Connection, sched: Schedule, items: pd.DataFrame,
                      present: set[str] | None = None) -> str:
    """``present``: the tables that exist, when the caller knows (else asked of the database per table)."""
    parts = []
    bound: dict[int, object] = {}  # id of a key list -> its bound parameter
    for table, (key, keys) in acted_tables(sched, items).items():
        if (table in present) if present is not None else data.exists(conn, table):
            if id(keys) not in bound:
                bound[id(keys)] = data.keys_param(conn, keys)
            n, digest = data.rows_digest(conn, table, key, keys, bound[id(keys)])
            parts.append(f"{table}:{n}:{digest}")
    items_part = items[["series", "action", "key", "blocked_tables"]].astype(str)
    parts.append(data.fingerprint(items_part))
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def present_tables(conn: sa.Connection, sched: Schedule) -> set[str]:
    """The schedule's tables that exist in the warehouse."""
    return {t for s in sched.series for t in s.tables() if data.exists(conn, t)}


def subject_order(conn: sa.Connection, sched: Schedule, present: set[str]) -> pd.Series:
    """Key -> place in the storage order of the schedule's subject tables (one after the other)."""
    parts, offset = [], 0
    for table, key in sorted({(s.subject, s.key) for s in sched.series}):
        if table in present:
            part = data.storage_order(conn, table, key) + offset
            parts.append(part)
            offset += len(part)
    if not parts:
        return pd.Series(dtype="int64")
    both = pd.concat(parts)
    return both[~both.index.duplicated()]


def _assign_batches(items: pd.DataFrame, batch_size: int, order: pd.Series | None = None) -> pd.DataFrame:
    """Rows numbered and due subjects put in batches, both in the subjects' storage order (``order``; a key
    not in it, or without it, after those in it, by key)."""
    place = (order.reindex(items["key"]).to_numpy(dtype="float64", na_value=np.inf) if order is not None
             else np.full(len(items), np.inf))
    items = (items.assign(_place=place).sort_values(["_place", "key", "series"], kind="stable")
             .drop(columns="_place").reset_index(drop=True))
    due = items["status"] == "due"
    codes, _ = pd.factorize(items.loc[due, "key"], sort=False)
    items["batch"] = -1
    items.loc[due, "batch"] = codes // batch_size
    items.insert(0, "row", range(len(items)))
    return items


def _batches(items: pd.DataFrame, n_batches: int):
    """(batch, its items) for batches 0..n-1, splitting the items once rather than filtering per batch."""
    groups = dict(tuple(items[items["batch"] >= 0].groupby("batch", sort=True)))
    for b in range(n_batches):
        yield b, groups.get(b, items.iloc[0:0])


def counts_by_series(items: pd.DataFrame) -> dict[str, dict[str, int]]:
    table = items.groupby(["series", "status"]).size()
    out: dict[str, dict[str, int]] = {}
    for (series, status), n in table.items():
        out.setdefault(str(series), {})[str(status)] = int(n)
    return out


def undecidable(items: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Series -> reason -> items with no date under any trigger (they block nothing and are never due)."""
    out: dict[str, dict[str, int]] = {}
    und = items[items["status"] == "undecidable"]
    for (series, reason), n in und.groupby(["series", "reason"]).size().items():
        out.setdefault(str(series), {})[str(reason)] = int(n)
    return out


def by_fallback(items: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Series -> fallback trigger -> items whose date came from a fallback (their main trigger is missing)."""
    out: dict[str, dict[str, int]] = {}
    fb = items[items["trigger"].astype(str).str.startswith("fallback:")]
    for (series, trigger), n in fb.groupby(["series", "trigger"]).size().items():
        out.setdefault(str(series), {})[str(trigger)] = int(n)
    return out


def make_plan(engine: sa.Engine, run_dir: Path, schedule_path: Path, as_of: date, actor: str,
              series_ids: list[str] | None = None, batch_size: int = BATCH_SIZE) -> PlanResult:
    """Compute what is due on ``as_of`` and write the plan; nothing in the data changes."""
    sched = load(schedule_path)
    if series_ids is not None:
        for sid in series_ids:
            sched.get(sid)
    store.ensure(engine)
    for s in sched.series:
        for table in s.tables():
            if data.exists(engine, table):
                data.ensure_index(engine, table, s.key)
    active = holds.active(holds.table(engine), as_of)
    items = due_items(engine, sched, as_of, series_ids, active)
    with engine.connect() as conn:
        present = present_tables(conn, sched)
        items = _assign_batches(items, batch_size, subject_order(conn, sched, present))
    n_batches = int(items["batch"].max()) + 1 if (items["batch"] >= 0).any() else 0
    with engine.connect() as conn:
        fps = [batch_fingerprint(conn, sched, batch, present) for _, batch in _batches(items, n_batches)]
    counts = counts_by_series(items)
    content = {"schedule": sched.name, "schedule_sha256": sched.digest, "as_of": as_of.isoformat(),
               "series": series_ids, "holds": holds.fingerprint(active), "batches": fps}
    content_hash = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()
    plan_id = f"{as_of:%Y%m%d}-{content_hash[:12]}"
    folder = plans_dir(run_dir) / plan_id
    with engine.connect() as conn:
        known = conn.execute(sa.select(store.plans.c.plan_id).where(store.plans.c.plan_id == plan_id)).first()
    if known and folder.exists():  # the same content planned again: the same plan
        return PlanResult(plan_id, folder, counts, n_batches, content_hash)
    summary = {"plan_id": plan_id, "content_hash": content_hash, **content,
               "counts": counts, "actions": {s.id: s.action for s in sched.series},
               "undecidable": undecidable(items), "by_fallback": by_fallback(items),
               "fallbacks": {s.id: [f.name for f in s.fallback] for s in sched.series},
               "changes_data": sorted({s.action for s in sched.series} & set(CHANGES_DATA)),
               "anonymises": bool(((items.action == "anonymise") & (items.status == "due")).any()),
               "fingerprint_format": FINGERPRINT_FORMAT}
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(schedule_path, folder / "schedule.yaml")
    detail = items.assign(due=items["due"].dt.date.astype(str))[DETAIL_COLUMNS]
    write_csv_atomic(detail, folder / "detail.csv")
    write_bytes_atomic(json.dumps(summary, indent=2, sort_keys=True).encode("utf-8"), folder / "plan.json")
    with engine.begin() as conn:
        if not known:
            conn.execute(store.plans.insert().values(
                plan_id=plan_id, as_of=as_of, content_hash=content_hash, file_hash=files_hash(folder),
                status="planned", created_at=audit.now()))
            audit.append(conn, [{"event": "plan", "actor": actor, "plan_id": plan_id, "as_of": as_of,
                                 "counts": counts, "detail": {"batches": n_batches, "schedule": sched.name,
                                                              "content_hash": content_hash}}])
    return PlanResult(plan_id, folder, counts, n_batches, content_hash)


def files_hash(folder: Path) -> str:
    h = hashlib.sha256()
    for name in ("plan.json", "detail.csv", "schedule.yaml"):
        h.update(name.encode())
        h.update((folder / name).read_bytes())
    return h.hexdigest()


def read_detail(folder: Path) -> pd.DataFrame:
    detail = pd.read_csv(folder / "detail.csv", dtype=str, keep_default_na=False)
    detail["row"] = detail["row"].astype(int)
    detail["batch"] = detail["batch"].astype(int)
    detail["key"] = detail["key"].astype(object)
    return detail


def plan_row(engine: sa.Engine, plan_id: str):
    store.ensure(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(store.plans).where(store.plans.c.plan_id == plan_id)).mappings().first()
    if row is None:
        raise ValueError(f"no retention plan {plan_id}")
    return row


def approve(engine: sa.Engine, plan_id: str, by: str) -> None:
    """Record a person's approval of a plan (the plan must not have changed on disk)."""
    row = plan_row(engine, plan_id)
    if row["status"] != "planned":
        raise ValueError(f"plan {plan_id} is already {row['status']}")
    with engine.begin() as conn:
        conn.execute(store.plans.update().where(store.plans.c.plan_id == plan_id)
                     .values(status="approved", approved_by=by))
        audit.append(conn, [{"event": "approve", "actor": by, "plan_id": plan_id, "as_of": row["as_of"]}])
