"""The retention audit log: an append-only table, each entry hash-chained to the one before.

Entries carry plan ids, series, internal keys (plan row ranges or keyed pseudonyms), actions, counts,
dates and actors: never an identifier. ``verify`` recomputes the chain and names the first broken entry.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from statreturns.retention import store

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "event", "plan_id", "series", "internal_key", "action", "counts", "as_of",
          "detail")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def entry_hash(prev_hash: str, row: dict) -> str:
    body = json.dumps({f: row.get(f) for f in FIELDS}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest()


def append(conn: sa.Connection, entries: list[dict]) -> list[int]:
    """Append entries inside the caller's transaction; return their sequence numbers.

    Each entry: event, actor and any of plan_id, series, internal_key, action, counts (dict), as_of,
    detail (dict). The caller commits, so an entry lands together with the change it records.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE retention_audit IN EXCLUSIVE MODE"))
    last = conn.execute(sa.select(store.audit.c.seq, store.audit.c.entry_hash)
                        .order_by(store.audit.c.seq.desc()).limit(1)).first()
    seq, prev = (last.seq, last.entry_hash) if last else (0, GENESIS)
    rows, seqs = [], []
    for e in entries:
        seq += 1
        row = {f: e.get(f) for f in FIELDS if f != "seq"}
        row.update(seq=seq, at=e.get("at") or now())
        for f in ("counts", "detail"):
            if isinstance(row[f], dict):
                row[f] = json.dumps(row[f], sort_keys=True, separators=(",", ":"), default=str)
        row["as_of"] = None if row["as_of"] is None else str(row["as_of"])
        row["prev_hash"] = prev
        row["entry_hash"] = prev = entry_hash(prev, row)
        rows.append(row)
        seqs.append(seq)
    if rows:
        conn.execute(store.audit.insert(), rows)
    return seqs


@dataclass
class Verdict:
    entries: int
    first_broken: int | None  # sequence number of the first entry that does not verify
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify(engine: sa.Engine) -> Verdict:
    """Recompute the chain from the first entry; stop at the first that does not match."""
    store.ensure(engine)
    prev, expected, n = GENESIS, 1, 0
    with engine.connect() as conn:
        result = conn.execution_options(yield_per=10_000).execute(
            sa.select(store.audit).order_by(store.audit.c.seq))
        for r in result.mappings():
            n += 1
            row = dict(r)
            if row["seq"] != expected:
                return Verdict(n, expected, "entry missing (sequence gap)")
            if row["prev_hash"] != prev:
                return Verdict(n, row["seq"], "does not link to the entry before")
            if entry_hash(prev, row) != row["entry_hash"]:
                return Verdict(n, row["seq"], "content does not match its hash")
            prev, expected = row["entry_hash"], expected + 1
    return Verdict(n, None)


def entries(engine: sa.Engine, event: str | None = None) -> list[dict]:
    store.ensure(engine)
    q = sa.select(store.audit).order_by(store.audit.c.seq)
    if event:
        q = q.where(store.audit.c.event == event)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
