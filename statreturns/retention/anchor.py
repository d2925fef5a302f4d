"""The audit log's anchor: its chain head (entry count and hash) kept outside the warehouse.

The hash chain shows an edited or deleted entry inside the log, but not a log cut at its end (the last
entries deleted) or rewritten whole (every hash recomputed): both still chain. So each apply writes the
chain head to an anchor file under the run folder (one line per apply, appended) and prints the same
line for the DPO to keep elsewhere (the DPO's records, a ticket, an email: anywhere the people with
database access cannot edit). ``verify`` checks the log against every anchor line it is given: the log
must still hold that many entries and the entry at that count must have that hash.

A line: ``statreturns-audit-anchor v1 la=<la or -> entries=<n> head=<sha256> at=<UTC time>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from statreturns.retention import audit, store

PREFIX = "statreturns-audit-anchor v1"
_LINE = re.compile(r"statreturns-audit-anchor v1 la=(?P<la>\S+) entries=(?P<n>\d+) head=(?P<head>[0-9a-f]{64})"
                   r"(?: at=(?P<at>\S+))?")


@dataclass(frozen=True)
class Anchor:
    la: str
    entries: int
    head: str
    at: str = ""

    def line(self) -> str:
        return f"{PREFIX} la={self.la} entries={self.entries} head={self.head} at={self.at}"


def anchor_path(run_dir: Path, la: str | None = None) -> Path:
    return run_dir / "retention" / (f"audit-anchor-{la}.txt" if la else "audit-anchor.txt")


def parse(text: str) -> list[Anchor]:
    """Every anchor line in a text (a file, or a line pasted by the DPO)."""
    return [Anchor(m["la"], int(m["n"]), m["head"], m["at"] or "") for m in _LINE.finditer(text)]


def read(path: Path) -> list[Anchor]:
    return parse(path.read_text(encoding="utf-8")) if path.exists() else []


def head(engine: sa.Engine, la: str | None = None) -> Anchor:
    """The log's chain head now."""
    store.ensure(engine)
    with engine.connect() as conn:
        last = conn.execute(sa.select(store.audit.c.seq, store.audit.c.entry_hash)
                            .order_by(store.audit.c.seq.desc()).limit(1)).first()
    n, h = (last.seq, last.entry_hash) if last else (0, audit.GENESIS)
    return Anchor(la or "-", int(n), h, audit.now())


def write(engine: sa.Engine, run_dir: Path, la: str | None = None) -> Anchor:
    """Append the chain head to the run folder's anchor file and return it (its line is for the DPO)."""
    now = head(engine, la)
    path = anchor_path(run_dir, la)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(now.line() + "\n")
    return now


@dataclass
class Check:
    ok: bool
    entries: int  # entries in the log now
    message: str  # what was found (no identifiers: counts and hashes only)


def check(engine: sa.Engine, anchors: list[Anchor]) -> Check:
    """Verify the chain, then that the log still reaches every anchor with the same hash there."""
    verdict = audit.verify(engine)
    if not verdict.ok:
        return Check(False, verdict.entries, f"audit log broken at entry {verdict.first_broken}: {verdict.reason}")
    wanted = {a.entries for a in anchors}
    hashes: dict[int, str] = {}
    if wanted:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(store.audit.c.seq, store.audit.c.entry_hash)
                                .where(store.audit.c.seq.in_(sorted(wanted))))
            hashes = {int(r.seq): r.entry_hash for r in rows}
    for a in sorted(anchors, key=lambda a: a.entries, reverse=True):
        if a.entries == 0:
            continue
        if verdict.entries < a.entries:
            return Check(False, verdict.entries,
                         f"audit log cut at its end: it holds {verdict.entries} entries, the anchor written "
                         f"{a.at or 'earlier'} records {a.entries} (head {a.head[:12]})")
        if hashes.get(a.entries) != a.head:
            return Check(False, verdict.entries,
                         f"audit log rewritten: entry {a.entries} has hash {str(hashes.get(a.entries))[:12]}, "
                         f"the anchor written {a.at or 'earlier'} records {a.head[:12]}")
    return Check(True, verdict.entries, f"audit log verifies: {verdict.entries:,} entries"
                 + (f", consistent with {len(anchors)} anchor(s)" if anchors else ", no anchor to check against"))
