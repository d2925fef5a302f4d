"""Delimited text exports (CSV, tab or semicolon separated), streamed in chunks.

The encoding is sniffed from the first megabyte: a BOM (UTF-8, UTF-16), UTF-16 without a BOM (every
other byte zero), else UTF-8 if it decodes, else Windows-1252. The header row is found among the first
30 rows (report titles above it are skipped). Line numbers count one line per record, header = its
own line: a quoted value spanning several lines shifts the numbers after it.

A row with more fields than the header is quarantined (``too_many_fields``); a last row with fewer
fields than the header is quarantined as ``truncated_row`` (the file was cut short). A file that
cannot be decoded or parsed fails with :class:`IngestError` naming the file and line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from statreturns.ingest.errors import IngestError
from statreturns.ingest.raw import RawChunk, find_header, header_names

SNIFF_BYTES = 1 << 20
HEADER_ROWS = 30
SNIFF_LINE_CHARS = 65_536
CHUNK_ROWS = 200_000
_BAD_LINE = re.compile(r"Skipping line (\d+)")


@dataclass(frozen=True)
class TextLayout:
    encoding: str
    delimiter: str
    header_line: int  # 1-based
    columns: list[str]


def sniff_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        if sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
            return "utf-16-le"
        if sample[0::2].count(0) > len(sample) // 4 and sample[1::2].count(0) == 0:
            return "utf-16-be"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"  # the sample cut a character in two
    return "cp1252"


def layout(path: Path, known: set[str], encoding: str | None = None) -> TextLayout:
    with path.open("rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if not head.strip():
        raise IngestError(path.name, "empty file (no header row)")
    encoding = encoding or sniff_encoding(head)
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
        sample = decoder.decode(head, final=False)
    except LookupError:
        raise IngestError(path.name, f"unknown encoding {encoding}") from None
    except UnicodeDecodeError:
        raise IngestError(path.name, f"not {encoding} text", line=1) from None
    # Only the first rows' start matters for finding the header: a huge field is cut (the csv module would
    # refuse a field over its field_size_limit); pandas reads the whole field later.
    lines = [line[:SNIFF_LINE_CHARS] for line in sample.lstrip("\ufeff").splitlines()[:HEADER_ROWS]]
    delimiter = _delimiter(lines)
    try:
        rows = list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:  # e.g. a NUL byte or a quote left open across the cut: split plainly
        rows = [line.split(delimiter) for line in lines]
    at = find_header(rows, known, path.name)
    return TextLayout(encoding, delimiter, at + 1, header_names(rows[at]))


def _delimiter(lines: list[str]) -> str:
    counts = {d: max((line.count(d) for line in lines), default=0) for d in (",", "\t", ";", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def read_text(path: Path, known: set[str], raw_name: str | None = None, encoding: str | None = None,
              chunk_rows: int = CHUNK_ROWS) -> Iterator[RawChunk]:
    """Yield the file's rows in chunks of at most ``chunk_rows`` (never the whole file at once)."""
    lay = layout(path, known, encoding)
    name = raw_name or path.stem
    next_line = lay.header_line + 1
    truncated = _last_row_short(path, lay)
    held: RawChunk | None = None
    reader = None
    try:
        reader = pd.read_csv(path, encoding=lay.encoding, sep=lay.delimiter, skiprows=lay.header_line, header=None,
                             names=lay.columns, dtype="object", keep_default_na=False, na_values=[""],
                             chunksize=chunk_rows, on_bad_lines="warn", skip_blank_lines=True, engine="c")
        while True:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    frame = next(reader)
                except StopIteration:
                    break
            skipped = sorted(int(n) for w in caught for n in _BAD_LINE.findall(str(w.message)))
            # pandas counts lines from the top of the file, skipped title rows included
            bad = pd.DataFrame({"line": skipped, "reason": "too_many_fields"})
            lines = _lines(next_line, len(frame), bad["line"].to_numpy())
            next_line = int(max(lines.max(initial=next_line - 1), bad["line"].max() if len(bad) else 0)) + 1
            if held is not None:
                yield held
            held = RawChunk(name, path.name, _clean(frame), lines, bad, lay.encoding, lay.header_line)
    except UnicodeDecodeError:
        raise IngestError(path.name, f"not {lay.encoding} text (a byte sequence does not decode)",
                          line=next_line) from None
    except pd.errors.ParserError as exc:
        found = re.search(r"(line|row) (\d+)", str(exc))
        # pandas counts from the top of the file: "line N" from 1, "row N" (an unclosed quote) from 0
        line = int(found.group(2)) + (found.group(1) == "row") if found else next_line
        reason = "a quoted value never ends (the file was cut short?)" if "EOF" in str(exc) else "cannot split into fields"
        raise IngestError(path.name, reason, line=line) from None
    finally:
        if reader is not None:
            reader.close()
    if held is not None:
        yield _drop_truncated(held) if truncated else held


def _drop_truncated(chunk: RawChunk) -> RawChunk:
    """Move the chunk's last row (a row cut short) to its bad rows."""
    if chunk.frame.empty:
        return chunk
    last = int(chunk.lines[-1])
    bad = pd.concat([chunk.bad, pd.DataFrame({"line": [last], "reason": ["truncated_row"]})], ignore_index=True)
    return RawChunk(chunk.raw_name, chunk.file, chunk.frame.iloc[:-1], chunk.lines[:-1], bad, chunk.encoding,
                    chunk.header_line)


def _lines(start: int, n: int, skipped: np.ndarray) -> np.ndarray:
    """Line numbers for ``n`` parsed rows from ``start``, stepping over the lines skipped as bad."""
    lines = np.arange(start, start + n + len(skipped), dtype="int64")
    return lines[~np.isin(lines, skipped)][:n]


def _clean(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype("object").where(frame.notna(), None)


def _last_row_short(path: Path, lay: TextLayout) -> bool:
    """True when the file's last line has fewer fields than the header (a file cut short)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    if tail.endswith(b"\n") or tail.endswith(b"\n\x00"):
        return False  # ends on a complete line
    step = 2 if lay.encoding.startswith("utf-16") else 1
    if step == 2 and len(tail) % 2:
        tail = tail[1:]
    codec = {"utf-16": "utf-16-le", "utf-8-sig": "utf-8"}.get(lay.encoding, lay.encoding)
    text = tail.decode(codec, errors="ignore")
    last = text.splitlines()[-1] if text.splitlines() else ""
    try:
        fields = next(csv.reader(io.StringIO(last), delimiter=lay.delimiter))
    except (StopIteration, csv.Error):
        return False
    return 0 < len(fields) < len(lay.columns)
