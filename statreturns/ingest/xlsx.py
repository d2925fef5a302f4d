"""Excel workbooks (.xlsx), every sheet, read with openpyxl in read-only mode (rows streamed, not loaded).

Each non-empty sheet is a raw table named after the sheet. The header row is found as in CSVs (titles
above it are skipped). Read-only mode does not expose merged ranges: a merged header cell carries its
text in its first cell and blanks after it, which become ``column_N``; a merged title row above the
header is simply skipped. Dates become ISO text and whole numbers lose their ``.0``, so the normaliser
sees the same text a CSV export would hold. Line numbers are the sheet's row numbers.
"""

from __future__ import annotations

import datetime as dt
import struct
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import DEFAULT, RATIO_FLOOR_BYTES, Limits, exceeded
from statreturns.ingest.names import shown
from statreturns.ingest.raw import RawChunk, find_header, header_names

HEADER_ROWS = 30
CHUNK_ROWS = 50_000


def _cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def check_zip(path: Path, limits: Limits = DEFAULT) -> None:
    """Refuse a workbook whose zip directory promises too much, before a byte is inflated: too many
    members, a member inflating past ``max_member_bytes`` or (over 1 MiB) by more than
    ``max_compression_ratio``, or all of them past ``max_unzipped_bytes``. :mod:`zipfile` never inflates a
    member past the size its directory entry declares, so these sizes are also caps on what is read."""
    try:
        with zipfile.ZipFile(path) as zf:
            members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError, struct.error,
            NotImplementedError, UnicodeDecodeError):
        raise IngestError(path.name, "not a readable .xlsx workbook (cut short, or another format)") from None
    if len(members) > limits.max_zip_members:
        raise IngestError(path.name, exceeded("max_zip_members", len(members), limits.max_zip_members))
    total = 0
    for m in members:
        if m.file_size > limits.max_member_bytes:
            raise IngestError(path.name, exceeded("max_member_bytes", m.file_size, limits.max_member_bytes))
        ratio = m.file_size / max(m.compress_size, 1)
        if m.file_size > RATIO_FLOOR_BYTES and ratio > limits.max_compression_ratio:
            raise IngestError(path.name, exceeded("max_compression_ratio", ratio, limits.max_compression_ratio))
        total += m.file_size
    if total > limits.max_unzipped_bytes:
        raise IngestError(path.name, exceeded("max_unzipped_bytes", total, limits.max_unzipped_bytes))


def read_xlsx(path: Path, known: set[str], chunk_rows: int = CHUNK_ROWS, limits: Limits = DEFAULT
              ) -> Iterator[RawChunk]:
    from openpyxl import load_workbook

    check_zip(path, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            book = load_workbook(path, read_only=True, data_only=True)
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever openpyxl trips on, the file is unreadable
        raise IngestError(path.name, f"not a readable .xlsx workbook ({type(exc).__name__})") from None
    try:
        for sheet in book.worksheets:
            try:
                yield from _sheet(path, sheet, known, chunk_rows)
            except IngestError:
                raise
            except Exception as exc:  # noqa: BLE001 - a sheet that cannot be parsed (cut short, CRC error, ...)
                # the exception's type only: its message may quote the sheet's XML
                raise IngestError(f"{path.name}[{sheet.title}]",
                                  f"not a readable worksheet ({type(exc).__name__})") from None
    finally:
        book.close()


def _sheet(path: Path, sheet, known: set[str], chunk_rows: int) -> Iterator[RawChunk]:
    rows = sheet.iter_rows(values_only=True)
    head = []
    for _ in range(HEADER_ROWS):
        row = next(rows, None)
        if row is None:
            break
        head.append([_cell(v) for v in row])
    if not any(any(c for c in row) for row in head):
        return  # an empty sheet
    at = find_header([[c or "" for c in row] for row in head], known, f"{path.name} [{sheet.title}]")
    columns = header_names(head[at])
    width = len(columns)
    body = head[at + 1:]
    line = at + 2
    batch: list[list[str | None]] = []
    lines: list[int] = []
    for row in (*body, *([_cell(v) for v in r] for r in rows)):
        cells = list(row[:width]) + [None] * (width - len(row))
        if any(c is not None for c in cells):
            batch.append(cells)
            lines.append(line)
        line += 1
        if len(batch) >= chunk_rows:
            yield _chunk(path, sheet.title, columns, batch, lines)
            batch, lines = [], []
    if batch:
        yield _chunk(path, sheet.title, columns, batch, lines)


def _chunk(path: Path, sheet: str, columns: list[str], rows: list, lines: list[int]) -> RawChunk:
    frame = pd.DataFrame(rows, columns=columns, dtype="object")
    return RawChunk(sheet, f"{path.name}[{shown(sheet)}]", frame.where(frame.notna(), None),
                    np.asarray(lines, dtype="int64"))
