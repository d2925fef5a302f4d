"""Read an SSDA903 CSV set from a folder into raw frames, reporting (never raising on) file problems.

Each ``*.csv`` file in the folder is decoded (UTF-8, UTF-8 with BOM, UTF-16 with or without BOM,
otherwise Windows-1252), its header is read, and the file is matched to a table: by its header set
first (a header holding every column of a table, the table with the most columns winning), otherwise
by its usual name (``tables.FILE_NAMES``, case-insensitive) when the header at least has ``CHILD``.
Every cell is read as a string (no type inference: UPNs and codes keep their leading zeros), stripped,
and blank cells become ``None``. Rows with the wrong number of fields are kept out of the table and
reported with their line (the header is line 1; a quoted value spanning lines counts as one line).

Problems carry file names, line numbers and column names only, never a cell value.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from statreturns.ssda903.tables import COLUMNS, FILE_NAMES

# Bad rows listed one by one per file; beyond this, one summary problem gives the count.
MAX_ROW_PROBLEMS = 50

_USUAL_NAMES: dict[str, str] = {name.lower(): table for table, name in FILE_NAMES.items()}
_USUAL_NAMES["dolo.csv"] = "DoLo"
_FIRST_LINE = re.compile(rb"[^\r\n]*")  # up to the first CR or LF: files may end lines with either
_KNOWN_COLUMNS: dict[str, str] = {c.upper(): c for cols in COLUMNS.values() for c in cols}


@dataclass(frozen=True)
class ReadProblem:
    """Something wrong with an input file: where (file, line if known) and why, in plain words."""

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        return f"{where}: {self.reason}"


@dataclass
class ReadResult:
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: list[ReadProblem] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # table -> the file name it was read from


# --- decoding -------------------------------------------------------------------------------------

def decode_bytes(raw: bytes) -> tuple[bytes, str]:
    """UTF-8 bytes without a BOM, and the name of the encoding the file was in."""
    if raw.startswith(codecs.BOM_UTF8):
        body = raw[len(codecs.BOM_UTF8):]
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return _recode(body, "cp1252"), "cp1252"
        return body, "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16").encode("utf-8"), "utf-16"
    sniffed = _sniff_utf16(raw)
    if sniffed:
        return raw.decode(sniffed).encode("utf-8"), sniffed
    if raw.isascii():
        return raw, "ascii"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return _recode(raw, "cp1252"), "cp1252"
    return raw, "utf-8"


def _sniff_utf16(raw: bytes) -> str | None:
    """UTF-16 without a BOM: text of ASCII characters has a NUL in every other byte."""
    head = raw[:1024]
    if len(head) < 4 or b"\x00" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and even == 0:
        return "utf-16-le"
    if even > len(head) // 4 and odd == 0:
        return "utf-16-be"
    return None


def _recode(raw: bytes, encoding: str) -> bytes:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:  # bytes cp1252 leaves undefined: latin-1 maps every byte
        text = raw.decode("latin-1")
    return text.encode("utf-8")


# --- header and table matching --------------------------------------------------------------------

def read_header(data: bytes) -> list[str]:
    """The header row's column names, stripped; known names in their canonical case."""
    first = _FIRST_LINE.match(data).group(0).decode("utf-8")
    cells = next(csv.reader(io.StringIO(first)), [])
    names = []
    for i, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff").strip()
        names.append(_KNOWN_COLUMNS.get(name.upper(), name) or f"UNNAMED_{i + 1}")
    return names


def table_for_header(header: Iterable[str]) -> str | None:
    """The table whose columns the header holds (the largest such table), or None if none or a tie."""
    have = set(header)
    matches = [t for t, cols in COLUMNS.items() if set(cols) <= have]
    if not matches:
        return None
    best = max(len(COLUMNS[t]) for t in matches)
    top = [t for t in matches if len(COLUMNS[t]) == best]
    return top[0] if len(top) == 1 else None


def table_for_name(file_name: str) -> str | None:
    return _USUAL_NAMES.get(file_name.lower())


# --- reading one file ----------------------------------------------------------------------------

@dataclass
class _BadRows:
    lines: list[int | None] = field(default_factory=list)

    def __call__(self, row: pcsv.InvalidRow) -> str:
        self.lines.append(row.number)
        return "skip"


def _parse(data: bytes, header: list[str]) -> tuple[pa.Table, _BadRows]:
    """Single-threaded: bad rows' line numbers are only known so, and for files of a return's size
    Arrow's threads cost more CPU than they save (more so on a busy machine)."""
    bad = _BadRows()
    table = pcsv.read_csv(
        pa.BufferReader(data),
        read_options=pcsv.ReadOptions(use_threads=False, column_names=header, skip_rows=1),
        parse_options=pcsv.ParseOptions(newlines_in_values=True, invalid_row_handler=bad),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, bad


def _object_column(col: pa.ChunkedArray) -> np.ndarray:
    """Stripped strings with None for blank, as an object array.

    Dictionary-encoding first makes one Python string per distinct value (codes and dates repeat a
    lot), which is several times faster and smaller than one string object per cell.
    """
    encoded = pc.dictionary_encode(col).combine_chunks()
    # Trimmed per distinct value; values that only differ in white space then share a trimmed text.
    values = np.asarray(pc.utf8_trim_whitespace(encoded.dictionary).to_numpy(zero_copy_only=False), dtype=object)
    values = np.append(values, None)
    values[values == ""] = None
    return values[encoded.indices.fill_null(len(values) - 1).to_numpy()]


def _to_frame(table: pa.Table) -> pd.DataFrame:
    """Object columns of stripped strings and None (as the tables contract and rule tests use)."""
    # All columns encoded as one array: one dictionary (dates and codes recur across columns) and one
    # conversion call per file instead of one per column, whose fixed cost was most of the time.
    n = table.num_rows
    values = _object_column(pa.chunked_array([c for col in table.columns for c in col.chunks], pa.string()))
    columns = {
        name: pd.Series(values[i * n:(i + 1) * n], dtype=object) for i, name in enumerate(table.column_names)
    }
    return pd.DataFrame(columns, index=pd.RangeIndex(table.num_rows), copy=False)


def read_table_file(data: bytes, header: list[str], file_name: str) -> tuple[pd.DataFrame, list[ReadProblem]]:
    """Parse one decoded file whose header is known; rows with the wrong field count are reported."""
    table, bad = _parse(data, header)
    problems = [
        ReadProblem(file_name, line, f"row has the wrong number of fields (expected {len(header)}); "
                    "row not read")
        for line in bad.lines[:MAX_ROW_PROBLEMS]
    ]
    if len(bad.lines) > MAX_ROW_PROBLEMS:
        problems.append(ReadProblem(
            file_name, None,
            f"{len(bad.lines) - MAX_ROW_PROBLEMS} more rows with the wrong number of fields not read "
            f"({len(bad.lines)} in all)",
        ))
    return _to_frame(table), problems


def conform(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """The table's columns in ``COLUMNS`` order (absent ones all None), then any extra columns."""
    expected = COLUMNS[table]
    for col in expected:
        if col not in frame.columns:
            frame[col] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    extras = [c for c in frame.columns if c not in expected]
    return frame[[*expected, *extras]]


# --- the folder ----------------------------------------------------------------------------------

def _csv_files(folder: Path) -> list[Path]:
    files = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".csv"]
    # Files with a usual name first, so they win over an oddly named copy of the same table.
    return sorted(files, key=lambda p: (table_for_name(p.name) is None, p.name.lower()))


def _match(header: list[str], file_name: str) -> tuple[str | None, list[ReadProblem]]:
    by_header = table_for_header(header)
    by_name = table_for_name(file_name)
    if by_header is not None:
        if by_name is not None and by_name != by_header:
            return by_header, [ReadProblem(
                file_name, 1, f"file name suggests {by_name} but the header matches {by_header}; "
                f"read as {by_header}")]
        return by_header, []
    if by_name is not None and "CHILD" in header:
        missing = [c for c in COLUMNS[by_name] if c not in header]
        return by_name, [ReadProblem(file_name, 1, f"{by_name} header lacks columns: {', '.join(missing)}")]
    return None, [ReadProblem(file_name, 1, "header does not match any SSDA903 table; file not read")]


def read_csv_file(path: Path, result: ReadResult) -> None:
    """Read one file into ``result`` (a table, or problems)."""
    name = path.name
    data, _encoding = decode_bytes(path.read_bytes())
    if not data or data.isspace():
        result.problems.append(ReadProblem(name, None, "file is empty; file not read"))
        return
    header = read_header(data)
    if len(set(header)) != len(header):
        result.problems.append(ReadProblem(name, 1, "header repeats a column name; file not read"))
        return
    table, problems = _match(header, name)
    result.problems.extend(problems)
    if table is None:
        return
    if table in result.tables:
        result.problems.append(ReadProblem(
            name, None, f"{result.sources[table]} already supplies {table}; file not read"))
        return
    try:
        frame, row_problems = read_table_file(data, header, name)
    except pa.ArrowInvalid:
        result.problems.append(ReadProblem(name, None, "file could not be parsed as CSV; file not read"))
        return
    result.problems.extend(row_problems)
    result.tables[table] = conform(frame, table)
    result.sources[table] = name


def read_csv_set(folder: str | Path) -> ReadResult:
    """Read every CSV file of an SSDA903 set in ``folder``; problems are collected, not raised."""
    folder = Path(folder)
    result = ReadResult()
    for path in _csv_files(folder):
        read_csv_file(path, result)
    return result
