"""One entry point per landed file: the reader its source's kind calls for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from statreturns.ingest.ctf import read_ctf
from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import DEFAULT, Limits, exceeded
from statreturns.ingest.names import shown
from statreturns.ingest.profiles import Profile, load_profile
from statreturns.ingest.raw import RawChunk
from statreturns.ingest.returns import read_903_csv, read_cin
from statreturns.ingest.sims_xml import read_sims_xml
from statreturns.ingest.text import read_text
from statreturns.ingest.xlsx import read_xlsx


def read_file(kind: str, path: Path, profile: Profile, encoding: str | None = None,
              raw_name: str | None = None, limits: Limits = DEFAULT) -> Iterator[RawChunk]:
    """Raw chunks of one file. ``path`` is the landed copy; chunks name the file by its landed name.

    The file is refused past ``limits`` (size before reading, rows as they stream); a row holding a field
    longer than ``limits.max_field_chars`` is moved to the chunk's bad rows as ``field_too_long:<column>``.
    """
    if kind not in READERS:
        raise ValueError(f"unknown source kind {kind}")
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise IngestError(path.name, exceeded("max_file_bytes", size, limits.max_file_bytes))
    return _limited(READERS[kind](path, profile.known_headers(), raw_name, encoding, limits), path, limits)


READERS = {
    "csv": lambda path, known, raw_name, encoding, limits: read_text(path, known, raw_name=raw_name,
                                                                     encoding=encoding),
    "sql": lambda path, known, raw_name, encoding, limits: read_text(path, known, raw_name=raw_name,
                                                                     encoding=encoding),
    "xlsx": lambda path, known, raw_name, encoding, limits: read_xlsx(path, known, limits=limits),
    "sims-xml": lambda path, known, raw_name, encoding, limits: read_sims_xml(path, limits=limits),
    "ctf": lambda path, known, raw_name, encoding, limits: read_ctf(path, limits=limits),
    "cin-xml": lambda path, known, raw_name, encoding, limits: read_cin(path),
    "ssda903": lambda path, known, raw_name, encoding, limits: read_903_csv(path, encoding=encoding),
}


def _limited(chunks: Iterator[RawChunk], path: Path, limits: Limits) -> Iterator[RawChunk]:
    rows = 0
    for chunk in chunks:
        rows += len(chunk.frame) + len(chunk.bad)
        if rows > limits.max_rows:
            raise IngestError(path.name, exceeded("max_rows", rows, limits.max_rows))
        yield too_long_to_bad(chunk, limits.max_field_chars)


def _longest(values) -> int:
    """The longest text in a column (a quick bound; the exact per-row check runs only past the limit)."""
    try:
        return max(map(len, filter(None, values)), default=0)
    except TypeError:  # not all text (a float NaN, a number): the pandas path
        return int(pd.Series(values, dtype=object).str.len().max(skipna=True) or 0)


def too_long_to_bad(chunk: RawChunk, max_chars: int) -> RawChunk:
    """The chunk with rows holding a field over ``max_chars`` characters moved to its bad rows, with the
    reason ``field_too_long:<column>`` (columns joined by ``;`` when several are too long)."""
    frame = chunk.frame
    if frame.empty:
        return chunk
    reasons = pd.Series("", index=frame.index, dtype="object")
    for col in frame.columns:
        s = frame[col]
        if not (s.dtype == object or isinstance(s.dtype, pd.StringDtype)) or _longest(s.to_numpy()) <= max_chars:
            continue
        long = (s.str.len() > max_chars).fillna(False).to_numpy(dtype=bool)  # non-text cells: NaN -> False
        if long.any():
            reasons[long] = reasons[long] + f"field_too_long:{shown(col)};"
    hit = (reasons != "").to_numpy()
    if not hit.any():
        return chunk
    bad = pd.concat([chunk.bad, pd.DataFrame({"line": chunk.lines[hit], "reason": reasons[hit].str.rstrip(";")
                                              .to_numpy()})], ignore_index=True)
    return RawChunk(chunk.raw_name, chunk.file, frame.loc[~hit].reset_index(drop=True), chunk.lines[~hit], bad,
                    chunk.encoding,
                    chunk.header_line)


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
