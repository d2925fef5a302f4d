"""Write SSDA903 tables as the DfE CSV set: exact headers, dd/mm/yyyy dates, deterministic bytes.

Each table goes to its usual file name (``tables.FILE_NAMES``) with exactly the ``tables.COLUMNS``
header (absent columns written blank, extra columns left out), rows in the order given, ``\\n`` line
ends, UTF-8 without a BOM. Date cells may be datetimes (written dd/mm/yyyy) or strings (written as
they are); where a parsed frame keeps ``<col>_raw``, a date that did not parse is written from its raw
text so nothing is lost. Each file is written to a temporary file, fsynced, then moved into place.
Tables not in force for the year are not written: DoLo only from 2027 (2026/27), SWEpisodes from 2024.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from statreturns.files import write_bytes_atomic
from statreturns.ssda903.tables import COLUMNS, DATE_COLUMNS, FILE_NAMES, per_value

FIRST_YEAR: dict[str, int] = {"SWEpisodes": 2024, "DoLo": 2027}
UK_DATE = "%d/%m/%Y"


def _format_cell(value: object) -> str:
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):  # None, NaN, NaT, pd.NA
        return ""
    if isinstance(value, dt.date):  # datetime, date and pd.Timestamp
        return value.strftime(UK_DATE)
    return str(value)


def _date_column(frame: pd.DataFrame, col: str) -> pd.Series:
    s = frame[col]
    if pd.api.types.is_datetime64_any_dtype(s):
        text = s.dt.strftime(UK_DATE)
        raw_col = f"{col}_raw"
        if raw_col in frame.columns:  # keep unparseable raw text rather than writing a blank
            text = text.where(s.notna(), frame[raw_col])
        return _cells(text)
    return _cells(s)


def _cells(s: pd.Series) -> pd.Series:
    """Each cell's text, formatted once per distinct value (codes and dates repeat down a column).

    Text as the readers give it (strings, blanks missing) is written as it is, blanks as "".
    """
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty"):
        return s.where(s.notna(), "")
    return per_value(s, lambda v: v.map(_format_cell).astype(object))[0]


def table_text(name: str, frame: pd.DataFrame) -> str:
    """The CSV text of one table, header first."""
    base = name.removesuffix("_last")
    dates = set(DATE_COLUMNS.get(base, []))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS[base])
    columns = []
    for col in COLUMNS[base]:
        if col not in frame.columns:
            columns.append([""] * len(frame))
        elif col in dates:
            columns.append(_date_column(frame, col).tolist())
        else:
            columns.append(_cells(frame[col]).tolist())
    plain = _plain_rows(columns, len(frame))
    if plain is not None:
        return out.getvalue() + plain
    writer.writerows(zip(*columns, strict=True))
    return out.getvalue()


def _plain_rows(columns: list[list], rows: int) -> str | None:
    """The rows joined with commas, if no cell needs quoting: the bytes ``csv.writer`` would write
    (QUOTE_MINIMAL quotes only cells holding a comma, quote or line break), several times faster.

    None if any cell holds a comma, quote, CR, LF or NUL, or is not a string: ``csv.writer`` then.
    """
    if len(columns) < 2:  # csv.writer quotes a row's only cell when it is empty
        return None
    if not rows:
        return ""
    try:
        text = "\n".join(map(",".join, zip(*columns, strict=True))) + "\n"
    except TypeError:
        return None
    if text.count(",") != rows * (len(columns) - 1) or text.count("\n") != rows:
        return None
    if '"' in text or "\r" in text or "\x00" in text:
        return None
    return text


def in_force(name: str, year: int) -> bool:
    return year >= FIRST_YEAR.get(name, 0)


def write_csv_set(tables: Mapping[str, pd.DataFrame], folder: str | Path, year: int) -> list[Path]:
    """Write the tables in force for ``year`` to ``folder``; returns the paths written, in table order."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in COLUMNS:
        if name not in tables or not in_force(name, year):
            continue
        path = folder / FILE_NAMES[name]
        write_bytes_atomic(table_text(name, tables[name]).encode("utf-8"), path)
        written.append(path)
    return written
