"""One entry point per landed file: the reader its source's kind calls for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from statreturns.ingest.ctf import read_ctf
from statreturns.ingest.profiles import Profile, load_profile
from statreturns.ingest.raw import RawChunk
from statreturns.ingest.returns import read_903_csv, read_cin
from statreturns.ingest.sims_xml import read_sims_xml
from statreturns.ingest.text import read_text
from statreturns.ingest.xlsx import read_xlsx


def read_file(kind: str, path: Path, profile: Profile, encoding: str | None = None,
              raw_name: str | None = None) -> Iterator[RawChunk]:
    """Raw chunks of one file. ``path`` is the landed copy; chunks name the file by its landed name."""
    known = profile.known_headers()
    if kind in ("csv", "sql"):
        return read_text(path, known, raw_name=raw_name, encoding=encoding)
    if kind == "xlsx":
        return read_xlsx(path, known)
    if kind == "sims-xml":
        return read_sims_xml(path)
    if kind == "ctf":
        return read_ctf(path)
    if kind == "cin-xml":
        return read_cin(path)
    if kind == "ssda903":
        return read_903_csv(path, encoding=encoding)
    raise ValueError(f"unknown source kind {kind}")


def landed_frames(run_dir: Path, row) -> dict[str, pd.DataFrame]:
    """A landed copy read back whole, by raw table (for retention and subject access, not for ingest)."""
    profile = load_profile(row.profile)
    path = run_dir / row.stored_path
    parts: dict[str, list[pd.DataFrame]] = {}
    encoding = row.encoding if isinstance(row.encoding, str) else None
    for chunk in read_file(row.kind, path, profile, encoding=encoding,
                           raw_name=Path(row.original_name).stem if row.kind == "sql" else None):
        parts.setdefault(chunk.raw_name, []).append(chunk.frame)
    return {name: pd.concat(frames, ignore_index=True) for name, frames in parts.items()}
