"""Apply an approved plan: one transaction per batch, resumable, then the derived files and landing.

Every pending batch's fingerprint is checked before any change. Then each batch re-checks its fingerprint
(on SQLite only if another connection committed since that check, which PRAGMA data_version tells),
changes the warehouse with one statement per table, marks itself done and appends its audit entries in the
same transaction, so a crash leaves every batch done or not done and a rerun carries on.
Files are purged after the batches (the purge is idempotent, so a rerun repeats it safely). At the end
the plan's detail file loses the keys of the records it destroyed or anonymised.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas import canonical
from statreturns.files import write_bytes_atomic
from statreturns.retention import anchor, audit, data, holds, store
from statreturns.retention.anonymise import MAPPED, PSEUDONYM_PREFIX, apply_method, pseudonym_key, sql_method
from statreturns.retention.files import Purge, PurgeReport, purge
from statreturns.retention.plan import (
    FINGERPRINT_FORMAT,
    batch_fingerprint,
    files_hash,
    plan_row,
    plans_dir,
    present_tables,
    read_detail,
)
from statreturns.retention.schedule import Schedule, load

# Test seams for the crash tests: exit hard after N committed batches, or inside batch N before its commit.
CRASH_ENV = "STATRETURNS_RETENTION_CRASH_AFTER"
CRASH_IN_ENV = "STATRETURNS_RETENTION_CRASH_IN"


ORDER = {"destroy": 0, "anonymise": 1, "review": 2, "transfer": 3}


class ApplyRefused(RuntimeError):
    """The plan cannot be applied as it stands (not approved, changed data, new hold, missing key)."""


@dataclass
class ApplyResult:
    plan_id: str
    already_applied: bool = False
    batches_applied: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # series -> table -> rows
    files: PurgeReport = field(default_factory=PurgeReport)
    landing: dict[str, int] = field(default_factory=dict)
    landing_available: bool = True
    anchor: str = ""  # the audit log's chain head after this apply, for the DPO to keep outside the warehouse


def _load(run_dir: Path, plan_id: str, row) -> tuple[dict, Schedule, pd.DataFrame]:
    folder = plans_dir(run_dir) / plan_id
    if not (folder / "plan.json").exists():
        raise ApplyRefused(f"plan {plan_id}: files missing under {folder}")
    if files_hash(folder) != row["file_hash"]:
        raise ApplyRefused(f"plan {plan_id}: its files changed after planning; plan again")
    summary = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    sched = load(folder / "schedule.yaml")
    detail = read_detail(folder)
    return summary, sched, detail[detail["batch"] >= 0]


def _check(conn: sa.Connection, summary: dict, sched: Schedule, items: pd.DataFrame, pending: list[int],
           present: set[str]) -> int | None:
    """Refuse before any change if holds or any pending batch's records changed since planning.

    Returns SQLite's data version read in the same read transaction (None on PostgreSQL): while it stays
    the same, no other connection has committed anything, so a batch need not be fingerprinted again.
    """
    if summary.get("fingerprint_format") != FINGERPRINT_FORMAT:
        raise ApplyRefused(f"plan {summary['plan_id']}: made by an earlier version of statreturns, whose record "
                           "fingerprints this one cannot check; nothing was changed; plan again")
    as_of = date.fromisoformat(summary["as_of"])
    with _transaction(conn, write=False):
        version = _data_version(conn)
        active = holds.active(holds.table(conn.engine), as_of)
        if holds.fingerprint(active) != summary["holds"] or holds.held(items, active).any():
            raise ApplyRefused(f"plan {summary['plan_id']}: legal holds changed since planning; plan again")
        by_batch = dict(tuple(items.groupby("batch")))
        for b in pending:
            if batch_fingerprint(conn, sched, by_batch[b], present) != summary["batches"][b]:
                raise ApplyRefused(f"plan {summary['plan_id']}: records in batch {b} changed since planning; "
                                   "plan again")
    return version


def _data_version(conn: sa.Connection) -> int | None:
    if conn.dialect.name != "sqlite":
        return None
    return int(conn.exec_driver_sql("PRAGMA data_version").scalar())


@contextmanager
def _transaction(conn: sa.Connection, write: bool):
    """A transaction on the connection. On SQLite it is begun at once (the driver would begin it only at
    the first change), IMMEDIATE for a batch: no other connection can commit between its check and its
    changes."""
    with conn.begin():
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
        yield


def _delete_files(conn: sa.Connection, run_dir: Path, table: str, key: str, keys: list[str],
                  cols: list[str]) -> int:
    """Delete files named by path columns: relative to the run folder or to a folder an extract was delivered
    from (a MIS extract's photos sit beside it), never outside those folders."""
    try:
        from statreturns.ingest.landing import delivery_folders
    except ImportError:
        delivery_folders = None  # type: ignore[assignment]
    roots = [run_dir.resolve(), *(delivery_folders(conn) if delivery_folders else [])]
    rows = data.rows_for(conn, table, key, keys)
    n = 0
    for col in cols:
        for value in rows[col].dropna():
            for root in roots:
                path = (root / str(value)).resolve()
                if path.is_relative_to(root) and path.is_file():
                    path.unlink()
                    n += 1
    return n


def _apply_batch(conn: sa.Connection, run_dir: Path, sched: Schedule, items: pd.DataFrame,
                 key: bytes | None, present: set[str]) -> tuple[dict[str, dict[str, int]], list[dict]]:
    counts: dict[str, dict[str, int]] = {}
    entries = []
    mapped: dict[str, set[str]] = {}  # method -> columns whose values are in the batch's mapping table
    groups = sorted(items.groupby(["series", "blocked_tables"], sort=True),
                    key=lambda g: (ORDER[sched.get(g[0][0]).action], g[0]))
    for (sid, blocked), group in groups:  # destroy before anonymise: a pseudonymised key is not found again
        s = sched.get(sid)
        keys = sorted(set(group["key"]))
        skip = set(filter(None, blocked.split(";")))
        done = counts.setdefault(sid, {})
        if s.action in ("review", "transfer"):
            done["flagged"] = done.get("flagged", 0) + len(keys)
        where = data.keys_sql(conn, s.key)
        params = {"keys": data.keys_param(conn, keys)}
        for rec in s.records:
            if s.action in ("review", "transfer") or rec.table in skip or rec.table not in present:
                continue
            name = data.table_name(rec.table)
            cols = sorted(rec.covered())
            if s.action == "destroy" and s.key in rec.covered():
                n = conn.execute(sa.text(f'DELETE FROM "{name}" WHERE {where}'), params).rowcount
            elif s.action == "destroy":
                file_cols = [c for c in s.files if c in cols]
                if file_cols:
                    done["files"] = done.get("files", 0) + _delete_files(conn, run_dir, rec.table, s.key, keys,
                                                                         file_cols)
                blank = ", ".join(f'"{c}" = NULL' for c in cols)
                n = conn.execute(sa.text(f'UPDATE "{name}" SET {blank} WHERE {where}'), params).rowcount
            else:
                n = _anonymise(conn, rec.table, where, params, s.methods.get(rec.table, {}), key, mapped)
            done[rec.table] = done.get(rec.table, 0) + int(n)
        if s.action in ("destroy", "anonymise") and s.subject not in skip and any(
                r.table == s.subject and s.key in r.covered() for r in s.records):
            _forget(conn, params)
        rows = group["row"]
        entries.append({"event": "apply_batch", "plan_id": None, "series": sid, "action": s.action,
                        "internal_key": f"plan rows {int(rows.min())}-{int(rows.max())} ({len(rows)} items)",
                        "counts": done})
    if mapped and conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DELETE FROM retention_map")  # PostgreSQL drops it at commit
    return counts, entries


def _anonymise(conn: sa.Connection, table: str, where: str, params: dict, methods: dict[str, str],
               key: bytes | None, mapped: dict[str, set[str]]) -> int:
    """One UPDATE of the table's rows for these keys: nulls and truncated dates in SQL, pseudonyms and
    cut postcodes through the batch's mapping table (old value -> new, computed per distinct value)."""
    name = data.table_name(table)
    columns = set(canonical.columns(table))
    sets = []
    for col, method in sorted(methods.items()):
        if col not in columns:
            continue
        expr = sql_method(conn.dialect.name, col, method)
        if expr is None and method in MAPPED:
            _extend_map(conn, name, col, method, where, params, key, mapped)
            expr = (f"(SELECT m.new FROM retention_map AS m WHERE m.method = '{method}' "
                    f'AND m.old = "{name}"."{col}")')
        if expr is not None:
            sets.append(f'"{col}" = {expr}')
    if not sets:
        return int(conn.execute(sa.text(f'SELECT count(*) FROM "{name}" WHERE {where}'), params).scalar())
    return conn.execute(sa.text(f'UPDATE "{name}" SET {", ".join(sets)} WHERE {where}'), params).rowcount


def _extend_map(conn: sa.Connection, name: str, col: str, method: str, where: str, params: dict,
                key: bytes | None, mapped: dict[str, set[str]]) -> None:
    """Add the column's distinct values for these keys (those not mapped yet) to the mapping table, created
    at the batch's first call (``mapped`` empty)."""
    if not mapped:
        tail = " ON COMMIT DROP" if conn.dialect.name == "postgresql" else ""
        conn.exec_driver_sql("CREATE TEMP TABLE IF NOT EXISTS retention_map (method TEXT NOT NULL, "
                             f"old TEXT NOT NULL, new TEXT, PRIMARY KEY (method, old)){tail}")
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DELETE FROM retention_map")
    mapped.setdefault(method, set()).add(col)
    # values already in the map (the subject's key, met again in each of its tables) stay in the database
    q = sa.text(f'SELECT DISTINCT CAST("{col}" AS TEXT) FROM "{name}" WHERE {where} AND "{col}" IS NOT NULL '
                f'AND NOT EXISTS (SELECT 1 FROM retention_map AS m WHERE m.method = :method '
                f'AND m.old = CAST("{name}"."{col}" AS TEXT))')
    old = [v for (v,) in data.raw_execute(conn, q.bindparams(**params, method=method))]
    if not old:
        return
    new = apply_method(pd.Series(old, dtype=object), method, key)
    new = new.astype(object).where(new.notna(), None).tolist()
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("INSERT INTO retention_map (method, old, new) SELECT :method, o, n "
                             "FROM unnest(CAST(:old AS TEXT[]), CAST(:new AS TEXT[])) AS u(o, n)"),
                     {"method": method, "old": old, "new": new})
    else:
        conn.execute(sa.text("INSERT INTO retention_map (method, old, new) SELECT :method, key, value "
                             "FROM json_each(:map)"), {"method": method, "map": json.dumps(dict(zip(old, new, strict=True)))})


def _forget(conn: sa.Connection, params: dict) -> None:
    """Remove the subject (``params``: its keys) from the sharing index and from ended holds (active holds
    never reach here)."""
    conn.execute(sa.text(f"DELETE FROM retention_shared WHERE {data.keys_sql(conn, 'subject')}"), params)
    conn.execute(sa.text(f"UPDATE retention_holds SET subject = NULL WHERE {data.keys_sql(conn, 'subject')}"),
                 params)


def _purge_spec(sched: Schedule, items: pd.DataFrame) -> Purge:
    what = Purge()
    for (sid, blocked), group in items.groupby(["series", "blocked_tables"]):
        s = sched.get(sid)
        if s.action not in ("destroy", "anonymise"):
            continue
        skip = set(filter(None, blocked.split(";")))
        recs = [r for r in s.records if r.table not in skip]
        keys = set(group["key"])
        for r in recs:
            if s.key not in r.covered():
                for col in r.covered():
                    what.blank.setdefault(s.key, {}).setdefault(col, set()).update(keys)
            elif r.table == s.subject:
                what.rows.setdefault(s.key, set()).update(keys)
            else:
                what.by_table.setdefault(r.table, set()).update(keys)
    return what


def _landing(engine: sa.Engine, run_dir: Path, what: Purge, plan_id: str) -> tuple[dict[str, int], bool]:
    try:
        from statreturns.ingest.landing import remove_children
    except ImportError:
        return {}, False
    from statreturns.ingest.landing import blank_columns

    keys = {"children": what.rows.get("child_id", set()), "school_pupils": what.rows.get("pupil_id", set())}
    tables = {"child_id": "children", "pupil_id": "school_pupils"}
    blanks = {tables[k]: cols for k, cols in what.blank.items() if k in tables}
    if not (any(keys.values()) or blanks) or not sa.inspect(engine).has_table("landing_files"):
        return {}, True
    removed = remove_children(engine, run_dir, keys, plan_id) if any(keys.values()) else {}
    for landing_id, n in (blank_columns(engine, run_dir, blanks, plan_id) if blanks else {}).items():
        removed[landing_id] = removed.get(landing_id, 0) + n
    return removed, True


def _redact(run_dir: Path, plan_id: str, sched: Schedule) -> None:
    """An applied plan keeps counts and keyed pseudonyms, not ids: every key in its detail file is replaced.

    With ``STATRETURNS_PSEUDONYM_KEY`` set, a key becomes its keyed pseudonym (the same one anonymised rows
    carry, so the key holder can still link an item to a record); without it the key is blanked. Row
    numbers, series, statuses and dates stay, so the plan's counts can still be checked.
    """
    from statreturns.retention.anonymise import MissingKeyError, pseudonymise

    folder = plans_dir(run_dir) / plan_id
    detail = read_detail(folder)
    named = (detail["key"] != "") & ~detail["key"].astype(str).str.startswith(PSEUDONYM_PREFIX)
    if not named.any():
        return
    try:
        key = pseudonym_key()
    except MissingKeyError:
        key = None
    detail.loc[named, "key"] = "" if key is None else pseudonymise(detail.loc[named, "key"], key).to_numpy()
    write_bytes_atomic(detail.to_csv(index=False, lineterminator="\n").encode("utf-8"), folder / "detail.csv")


def _secure_delete(conn: sa.Connection) -> None:
    """SQLite keeps deleted rows in free pages unless told to overwrite them: a purge must not leave them.
    A batch's pages are read by its check and then changed table by table: a page cache that holds them
    all (64 MB rather than 2 MB) reads each once and writes it back only at the commit."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete = ON")
        conn.exec_driver_sql(f"PRAGMA cache_size = -{data.SQLITE_CACHE_KB}")


def apply_plan(engine: sa.Engine, run_dir: Path, plan_id: str, actor: str, la: str | None = None) -> ApplyResult:
    """Apply an approved plan; ``la`` keeps the file purge out of other LAs' partition folders."""
    store.ensure(engine)
    row = plan_row(engine, plan_id)
    result = ApplyResult(plan_id)
    if row["status"] == "applied":
        _redact(run_dir, plan_id, load(plans_dir(run_dir) / plan_id / "schedule.yaml"))
        result.already_applied = True
        return result
    if row["status"] != "approved":
        raise ApplyRefused(f"plan {plan_id} is not approved (status: {row['status']})")
    summary, sched, items = _load(run_dir, plan_id, row)
    key = pseudonym_key() if summary.get("anonymises") else None
    with engine.connect() as conn:
        done = {r.batch for r in conn.execute(sa.select(store.batches.c.batch)
                                              .where(store.batches.c.plan_id == plan_id))}
    pending = [b for b in range(len(summary["batches"])) if b not in done]
    crash_after = int(os.environ.get(CRASH_ENV, "0") or 0)
    crash_in = int(os.environ.get(CRASH_IN_ENV, "0") or 0)
    by_batch = dict(tuple(items.groupby("batch")))
    with engine.connect() as conn:
        present = present_tables(conn, sched)
        conn.rollback()  # end the read the catalogue queries began, so each batch has its own transaction
        version = _check(conn, summary, sched, items, pending, present)
        for i, b in enumerate(pending, start=1):
            batch = by_batch[b]
            with _transaction(conn, write=True):
                _secure_delete(conn)
                # unchanged data version: nothing committed by anyone else since the check above
                if (version is None or _data_version(conn) != version) and batch_fingerprint(
                        conn, sched, batch, present) != summary["batches"][b]:
                    raise ApplyRefused(f"plan {plan_id}: records in batch {b} changed during apply; plan again")
                counts, entries = _apply_batch(conn, run_dir, sched, batch, key, present)
                conn.execute(store.batches.insert().values(plan_id=plan_id, batch=b, done_at=audit.now()))
                for e in entries:
                    e.update(plan_id=plan_id, actor=actor, as_of=summary["as_of"])
                audit.append(conn, entries)
                if crash_in == i:
                    os._exit(78)
            for sid, tables in counts.items():
                mine = result.counts.setdefault(sid, {})
                for t, n in tables.items():
                    mine[t] = mine.get(t, 0) + n
            result.batches_applied += 1
            if crash_after and i >= crash_after:
                os._exit(77)
    what = _purge_spec(sched, items)
    result.files = purge(run_dir, what, la)
    result.landing, result.landing_available = _landing(engine, run_dir, what, plan_id)
    with engine.begin() as conn:
        conn.execute(store.plans.update().where(store.plans.c.plan_id == plan_id).values(status="applied"))
        audit.append(conn, [{"event": "apply", "actor": actor, "plan_id": plan_id, "as_of": summary["as_of"],
                             "counts": {"batches": len(summary["batches"]),
                                        "files_edited": len(result.files.edited),
                                        "files_withdrawn": len(result.files.withdrawn),
                                        "landing_rows_removed": sum(result.landing.values())},
                             "detail": {"withdrawn": result.files.withdrawn}}])
    _redact(run_dir, plan_id, sched)
    result.anchor = anchor.write(engine, run_dir, la).line()
    return result
