"""`statreturns dsar CHILD_ID`: everything held on one child or pupil, written to a folder.

Warehouse rows from every canonical table, raw landed rows, findings from the run's issue files, legal
holds naming them and the exports that carried their data. The folder is for the person who asked; the
command itself prints counts only. The export is recorded in the sharing register.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas import canonical
from statreturns.files import read_people_csv, write_bytes_atomic, write_people_csv
from statreturns.retention import data, holds, sharing
from statreturns.retention.files import KEY_COLUMNS, PLANS, SKIP_DIRS, other_la


@dataclass
class DsarResult:
    folder: Path
    counts: dict[str, int]  # part -> rows
    audit_seq: int


def _warehouse(engine: sa.Engine, subject: str, out: Path, counts: dict[str, int]) -> None:
    for table in canonical.MODELS:
        key = next((k for k in ("child_id", "pupil_id") if k in canonical.columns(table)), None)
        if key is None or not data.exists(engine, table):
            continue
        with engine.connect() as conn:
            rows = data.rows_for(conn, table, key, [subject])
        if len(rows):
            write_people_csv(rows, out / "warehouse" / f"{table}.csv")
            counts[f"warehouse/{table}"] = len(rows)


def _landed(engine: sa.Engine, run_dir: Path, subject: str, out: Path, counts: dict[str, int]) -> None:
    if not sa.inspect(engine).has_table("landing_files"):
        return
    from statreturns.ingest.landing import landed_rows
    from statreturns.ingest.names import landed_name

    for table in ("children", "school_pupils"):
        for name, frame in landed_rows(engine, run_dir, table, subject).items():
            safe = landed_name(name.replace(":", "__"))  # "<landing id>:<sheet>": a sheet name is data
            write_people_csv(frame, out / "landed" / f"{safe}.csv")
            counts[f"landed/{safe}"] = len(frame)


def _findings(run_dir: Path, subject: str, out: Path, counts: dict[str, int], la: str | None) -> None:
    names = {n for ns in KEY_COLUMNS.values() for n in ns}
    found = []
    for path in sorted(run_dir.rglob("*.csv")):
        rel = path.relative_to(run_dir)
        if rel.parts[0] in SKIP_DIRS or rel.parts[:2] == PLANS or other_la(rel, la):
            continue
        try:
            head = pd.read_csv(path, nrows=0)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError):
            continue
        cols = [c for c in head.columns if c in names]
        if not cols:
            continue
        frame = read_people_csv(path)  # issues and quarantine files hold neutralised text
        hit = frame[cols].eq(subject).any(axis=1)
        if hit.any():
            found.append(frame.loc[hit].assign(source_file=str(rel)))
    if found:
        frame = pd.concat(found, ignore_index=True)
        write_people_csv(frame, out / "findings.csv")
        counts["findings"] = len(frame)


def export(engine: sa.Engine, run_dir: Path, subject: str, out: Path, actor: str,
           la: str | None = None) -> DsarResult:
    counts: dict[str, int] = {}
    out.mkdir(parents=True, exist_ok=True)
    _warehouse(engine, subject, out, counts)
    _landed(engine, run_dir, subject, out, counts)
    _findings(run_dir, subject, out, counts, la)
    held = holds.table(engine)
    held = held[held["subject"] == subject]
    if len(held):
        write_people_csv(held.drop(columns=["subject"]), out / "legal_holds.csv")
        counts["legal_holds"] = len(held)
    shares = sharing.shared_with(engine, subject)
    if shares:
        frame = pd.DataFrame([{"when": s["at"], "what": s["action"], **json.loads(s["detail"])} for s in shares])
        write_people_csv(frame, out / "shared_with.csv")
        counts["shared_with"] = len(frame)
    write_bytes_atomic(json.dumps({"subject": subject, "parts": counts}, indent=2).encode("utf-8"),
                       out / "manifest.json")
    conf = sharing.config().get("exports", {}).get("dsar", {})
    seq = sharing.record(engine, kind="dsar", recipient=conf.get("recipient", "data subject"),
                         lawful_basis=conf.get("lawful_basis", "UK GDPR Art 15"),
                         content_hash=sharing.content_hash(out), subjects=[subject], actor=actor,
                         counts={"parts": len(counts)})
    return DsarResult(out, counts, seq)
