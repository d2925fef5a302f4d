"""Excel workbooks (.xlsx), every sheet, read with openpyxl in read-only mode (rows streamed, not loaded).

Each non-empty sheet is a raw table named after the sheet. The header row is found as in CSVs (titles
above it are skipped). Read-only mode does not expose merged ranges: a merged header cell carries its
text in its first cell and blanks after it, which become ``column_N``; a merged title row above the
header is simply skipped. Dates become ISO text and whole numbers lose their ``.0``, so the normaliser
sees the same text a CSV export would hold. Line numbers are the sheet's row numbers.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from statreturns.ingest.errors import IngestError
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


def read_xlsx(path: Path, known: set[str], chunk_rows: int = CHUNK_ROWS) -> Iterator[RawChunk]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise IngestError(path.name, "not a readable .xlsx workbook (cut short, or another format)") from None
    try:
        for sheet in book.worksheets:
            yield from _sheet(path, sheet, known, chunk_rows)
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
    return RawChunk(sheet, f"{path.name}[{sheet}]", frame.where(frame.notna(), None),
                    np.asarray(lines, dtype="int64"))
