"""`statreturns export minimised`: a per-use-case extract for a regional hub, recorded as a share.

Only the configured columns go out; identifiers become keyed pseudonyms, dates of birth a month or a
year, postcodes a sector or district. This is minimisation: the extract is still personal data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas import canonical
from statreturns.files import write_bytes_atomic, write_people_csv
from statreturns.retention import data, sharing
from statreturns.retention.anonymise import METHODS_NEED_KEY, anonymise_frame, pseudonym_key


@dataclass
class ExportResult:
    files: list[Path]
    rows: dict[str, int]
    subjects: int
    audit_seq: int
    content_hash: str


def use_case(name: str, config_path: Path | None = None) -> dict:
    cases = sharing.config(config_path).get("use_cases", {})
    if name not in cases:
        raise ValueError(f"unknown use case {name!r} (configured: {', '.join(sorted(cases))})")
    case = cases[name]
    for table, cols in case["tables"].items():
        if table not in canonical.MODELS:
            raise ValueError(f"use case {name!r}: unknown table {table!r}")
        unknown = set(cols) - set(canonical.columns(table))
        if unknown:
            raise ValueError(f"use case {name!r}: unknown columns in {table}: {sorted(unknown)}")
    return case


def minimised(engine: sa.Engine, out: Path, name: str, recipient: str, actor: str,
              config_path: Path | None = None) -> ExportResult:
    case = use_case(name, config_path)
    needs_key = any(m in METHODS_NEED_KEY for cols in case["tables"].values() for m in cols.values())
    key = pseudonym_key() if needs_key else None
    files, rows, subjects = [], {}, set()
    for table, methods in case["tables"].items():
        frame = data.read_columns(engine, table, canonical.columns(table))
        if "child_id" in frame.columns:
            subjects.update(frame["child_id"].dropna().astype(str))
        cut = anonymise_frame(frame[list(methods)], methods, key)
        for col in cut.columns:
            if data.is_date(table, col):
                cut[col] = pd.to_datetime(cut[col]).dt.strftime("%Y-%m-%d")
        files.append(write_people_csv(cut, out / f"{table}.csv"))
        rows[table] = len(cut)
    manifest = {"use_case": name, "title": case.get("title", name), "recipient": recipient,
                "lawful_basis": case["lawful_basis"], "retention": case.get("retention"), "rows": rows,
                "note": "Minimised extract: keyed pseudonyms and degraded dates/postcodes are still personal data."}
    files.append(write_bytes_atomic(json.dumps(manifest, indent=2).encode("utf-8"), out / "manifest.json"))
    digest = sharing.content_hash(out)
    seq = sharing.record(engine, kind=f"minimised:{name}", recipient=recipient, lawful_basis=case["lawful_basis"],
                         content_hash=digest, subjects=subjects, actor=actor, counts=rows)
    return ExportResult(files, rows, len(subjects), seq, digest)
