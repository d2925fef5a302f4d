"""Workbooks people open (issues.xlsx, report.xlsx), written fast and with data as data, never formulas.

The sheet XML is built column by column with Arrow's string kernels and streamed into the zip in
blocks of rows, so a million findings take seconds and memory stays bounded by one block. Every
text value is an inline string cell (there is no code path that writes a formula, a hyperlink or a
shared formula): a child id of ``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM(1)`` or ``-2+3`` opens as
that text. Numbers are numbers only where the column holds numbers (an int or a float in the frame);
text that looks like a number stays text. Blank and missing values write no cell.

A sheet with more data rows than Excel holds (1,048,576 rows including the header) continues on
further sheets named ``<name> (1 of N)``, ``<name> (2 of N)``, ...: the split is in the sheet names.
The bytes depend only on the data (no clock, fixed zip timestamps), so the same input gives the same file.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EXCEL_MAX_ROWS = 1_048_576  # rows per sheet, the header row included
EXCEL_MAX_CHARS = 32_767  # characters per cell: longer text is cut there (Excel would refuse it)
BLOCK_ROWS = 50_000  # rows built and compressed at a time

# Cell styles (indexes into styles.xml's cellXfs).
PLAIN, HEADER_SHADED, WRAP = 0, 1, 2

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
# Characters XML 1.0 cannot carry, and text already shaped like Excel's escape for them (_xHHHH_).
_NEEDS_ESCAPE = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x{fffe}\\x{ffff}]|_x[0-9A-Fa-f]{4}_"
_NEEDS_ESCAPE_PY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")


@dataclass
class Sheet:
    """One sheet's data: the header is the frame's column names; ``widths`` by column name (default
    ``default_width``); ``column_style`` by column name (the style of the column's empty cells, as
    Excel's column formats are); the header row frozen and filtered."""

    name: str
    frame: pd.DataFrame
    widths: dict[str, float] = field(default_factory=dict)
    default_width: float = 14
    header_style: int = PLAIN
    column_style: dict[str, int] = field(default_factory=dict)


def sheet_parts(sheet: Sheet, max_rows: int = EXCEL_MAX_ROWS) -> list[tuple[str, pd.DataFrame]]:
    """The sheet as (name, rows) parts: one part if it fits Excel's row limit, else ``name (i of n)``."""
    per_sheet = max_rows - 1
    n = len(sheet.frame)
    if n <= per_sheet:
        return [(sheet.name, sheet.frame)]
    count = -(-n // per_sheet)
    parts = []
    for i in range(count):
        suffix = f" ({i + 1} of {count})"
        parts.append((sheet.name[:31 - len(suffix)] + suffix, sheet.frame.iloc[i * per_sheet:(i + 1) * per_sheet]))
    return parts  # Excel's sheet names are at most 31 characters


def write_workbook(target: BinaryIO, sheets: Sequence[Sheet], *, title: str | None = None,
                   created: datetime | None = None, max_rows: int = EXCEL_MAX_ROWS) -> list[str]:
    """Write the workbook to a binary file object; returns the sheet names written (after splitting)."""
    parts = [(sheet, name, rows) for sheet in sheets for name, rows in sheet_parts(sheet, max_rows)]
    names = [name for _, name, _ in parts]
    if len(set(names)) != len(names):
        raise ValueError("workbook: sheet names must be unique")
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        _put(zf, "[Content_Types].xml", _content_types(len(parts)))
        _put(zf, "_rels/.rels", _root_rels())
        _put(zf, "docProps/app.xml", _app())
        _put(zf, "docProps/core.xml", _core(title, created))
        _put(zf, "xl/workbook.xml", _workbook(parts))
        _put(zf, "xl/_rels/workbook.xml.rels", _workbook_rels(len(parts)))
        _put(zf, "xl/styles.xml", _STYLES)
        for i, (sheet, _, rows) in enumerate(parts, start=1):
            with zf.open(_info(f"xl/worksheets/sheet{i}.xml"), "w", force_zip64=True) as fh:
                for chunk in _sheet_xml(sheet, rows, selected=i == 1):
                    fh.write(chunk)
    return names


def _put(zf: zipfile.ZipFile, name: str, text: str) -> None:
    zf.writestr(_info(name), text.encode())


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, _ZIP_TIME)  # a fixed time: the same data gives the same bytes
    info.compress_type = zipfile.ZIP_DEFLATED
    # Fastest deflate: the sheet XML is repetitive, so level 1 is nearly as small and several times faster.
    info._compresslevel = 1  # noqa: SLF001 (ZipFile.open(ZipInfo) takes the level only from here)
    return info


def column_letter(i: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _excel_width(width: float) -> float:
    # The stored width for a width in characters, as Excel (and xlsxwriter) round it to whole pixels.
    pixels = int(width * 7 + 0.5) + 5
    return int(pixels / 7 * 256) / 256


def _sheet_xml(sheet: Sheet, rows: pd.DataFrame, *, selected: bool) -> Iterator[bytes]:
    columns = [str(c) for c in rows.columns]
    last_col = column_letter(max(len(columns) - 1, 0))
    n = len(rows)
    cols = "".join(
        f'<col min="{i + 1}" max="{i + 1}" width="{_excel_width(sheet.widths.get(c, sheet.default_width))}" '
        f'customWidth="1"{_style_attr(sheet.column_style.get(c, PLAIN), "style")}/>' for i, c in enumerate(columns))
    view = ' tabSelected="1"' if selected else ""
    head = (f'{_XML_DECL}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}"><dimension ref="A1:{last_col}{n + 1}"/>'
            f'<sheetViews><sheetView{view} workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
            'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}<sheetData>')
    header = "".join(f'<c r="{column_letter(i)}1" t="inlineStr"{_style_attr(sheet.header_style)}><is>'
                     f'<t xml:space="preserve">{_escape_text(c)}</t></is></c>' for i, c in enumerate(columns))
    yield (head + f'<row r="1">{header}</row>').encode("utf-8")
    for start in range(0, n, BLOCK_ROWS):
        yield _rows_xml(rows.iloc[start:start + BLOCK_ROWS], first_row=start + 2)
    yield (f'</sheetData><autoFilter ref="A1:{last_col}{max(n, 1) + 1}"/>'
           '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
           '</worksheet>').encode()


def _style_attr(style: int, name: str = "s") -> str:
    return f' {name}="{style}"' if style else ""


_TEXT_OPEN, _TEXT_CLOSE = '<c t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>"
_NUMBER_OPEN, _NUMBER_CLOSE, _BLANK = "<c><v>", "</v></c>", "<c/>"


def _rows_xml(block: pd.DataFrame, first_row: int) -> memoryview | bytes:
    """The <row> elements of a block of rows, as UTF-8 bytes.

    Cells carry no reference (they are positional, as the format allows) and a blank value is an
    empty ``<c/>``, so a column of text without blanks costs one pass of one concatenation."""
    if block.empty:
        return b""
    numbers = pc.cast(pa.array(np.arange(first_row, first_row + len(block), dtype=np.int64)), pa.large_string())
    parts: list = ['<row r="', numbers, '">']
    for i in range(block.shape[1]):
        parts.extend(_cells(block.iloc[:, i]))
    parts.append("</row>")
    merged: list = []  # neighbouring constant pieces joined first: fewer arguments, one pass
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        else:
            merged.append(part)
    return _data(_join(*(_s(p) if isinstance(p, str) else p for p in merged)))


def _data(arr: pa.Array) -> memoryview:
    """The UTF-8 bytes of a large_string array's values, one after another (no copy)."""
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
    return memoryview(arr.buffers()[2])[offsets[0]:offsets[-1]] if len(arr) and offsets[-1] else memoryview(b"")


def _cells(values: pd.Series) -> list:
    """One column's <c> elements, as pieces to concatenate (constant strings and arrays without nulls):
    numbers as numbers, the rest as text, ``<c/>`` where blank."""
    text, number = _split(values)
    if text is not None:
        text = _escape(text)
        if number is None and text.null_count == 0:
            return [_TEXT_OPEN, text, _TEXT_CLOSE]
    if number is not None and text is None and number.null_count == 0:
        return [_NUMBER_OPEN, number, _NUMBER_CLOSE]
    cells = []
    if text is not None:
        cells.append(_join(_s(_TEXT_OPEN), text, _s(_TEXT_CLOSE)))
    if number is not None:
        cells.append(_join(_s(_NUMBER_OPEN), number, _s(_NUMBER_CLOSE)))
    return [pc.coalesce(*cells, _s(_BLANK))]


def _s(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _join(*parts: pa.Array | pa.Scalar, **options: str) -> pa.Array:
    """Element-wise concatenation; null where any part is null (unless options say to replace nulls)."""
    return pc.binary_join_element_wise(*parts, _s(""), **options)


def _split(values: pd.Series) -> tuple[pa.Array | None, pa.Array | None]:
    """(text, number) Arrow string arrays for a column, each null where the value is not of that kind."""
    if pd.api.types.is_bool_dtype(values.dtype):
        values = values.astype("object")
    if pd.api.types.is_numeric_dtype(values.dtype):
        return None, _numbers(values)
    arr = values.to_numpy(dtype=object, na_value=None)
    if not pd.api.types.is_string_dtype(values.dtype) or values.dtype == object:
        is_num = np.fromiter((type(v) in _NUMBER_TYPES for v in arr), dtype=bool, count=len(arr))
        if is_num.any():
            number = _numbers(pd.Series(np.where(is_num, arr, None), dtype=object))
            text = np.where(is_num, None, arr)
            return _text(text), number
    return _text(arr), None


_NUMBER_TYPES = {int, float, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
                 np.float16, np.float32, np.float64}


def _numbers(values: pd.Series) -> pa.Array:
    """Numbers as Excel stores them (up to 16 significant digits), null where missing or not finite."""
    floats = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    ok = np.isfinite(floats)
    whole = ok & (floats == np.round(floats)) & (np.abs(floats) < 1e15)
    out = np.full(len(floats), None, dtype=object)
    if whole.any():
        out[whole] = floats[whole].astype(np.int64).astype(str)
    frac = ok & ~whole
    if frac.any():
        out[frac] = [f"{x:.16G}" for x in floats[frac]]
    return pa.array(out, pa.large_string())


def _text(values: np.ndarray) -> pa.Array:
    """Text values (None where missing or blank); anything that is not a string is written as its str()."""
    try:
        arr = pa.array(values, pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        values = np.array([v if v is None or type(v) is str else str(v) for v in values], dtype=object)
        arr = pa.array(values, pa.large_string(), from_pandas=True)
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.large_string()), arr)


def _escape(arr: pa.Array) -> pa.Array:
    """XML text content: & < > escaped, CR kept as a character reference, text cut at Excel's limit,
    and characters XML cannot carry written as Excel's _xHHHH_ (row by row, only where present)."""
    if (pc.max(pc.utf8_length(arr)).as_py() or 0) > EXCEL_MAX_CHARS:
        arr = pc.utf8_slice_codeunits(arr, 0, EXCEL_MAX_CHARS)
    if _may_need_escape(arr):
        odd = pc.fill_null(pc.match_substring_regex(arr, _NEEDS_ESCAPE), False)
        values = arr.to_numpy(zero_copy_only=False).copy()
        mask = odd.to_numpy(zero_copy_only=False)
        values[mask] = [_NEEDS_ESCAPE_PY.sub(_excel_escape, v) for v in values[mask]]
        arr = pa.array(values, pa.large_string())
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        arr = pc.replace_substring(arr, char, entity)
    return arr


def _may_need_escape(arr: pa.Array) -> bool:
    """A quick look at the raw bytes (the regex per value is slow): a control character other than tab,
    LF and CR, U+FFFE/U+FFFF, or "_x" anywhere."""
    data = _data(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
    raw = np.frombuffer(data, dtype=np.uint8)
    if ((raw < 32) & (raw != 9) & (raw != 10) & (raw != 13)).any():
        return True
    blob = data.tobytes()
    return b"_x" in blob or b"\xef\xbf\xbe" in blob or b"\xef\xbf\xbf" in blob


def escape(text: str) -> str:
    """XML text: & < > as entities (xml.sax.saxutils would import urllib and more: 0.1 s a run)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    """An XML attribute value in double quotes."""
    return '"' + escape(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\r", "&#13;").replace(
        "\t", "&#9;") + '"'


def _excel_escape(match: re.Match) -> str:
    text = match.group(0)
    if len(text) > 1:  # literal "_xHHHH_" in the data: escape its underscore so it reads back as itself
        return "_x005F" + text
    return f"_x{ord(text):04X}_"


def _escape_text(text: str) -> str:
    text = _NEEDS_ESCAPE_PY.sub(_excel_escape, text[:EXCEL_MAX_CHARS])
    return escape(text).replace("\r", "&#13;")


# --- the package's fixed parts ---------------------------------------------------------------------

def _content_types(sheets: int) -> str:
    ws = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{ws}"/>'
                        for i in range(1, sheets + 1))
    return (f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            f'{overrides}<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>')


def _root_rels() -> str:
    return (f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG_REL}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            '</Relationships>')


def _app() -> str:
    return (f'{_XML_DECL}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/'
            'extended-properties"><Application>statreturns</Application></Properties>')


def _core(title: str | None, created: datetime | None) -> str:
    parts = "<dc:creator>statreturns</dc:creator>"
    if title:
        parts = f"<dc:title>{escape(title)}</dc:title>{parts}"
    if created is not None:
        stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        parts += f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
    return (f'{_XML_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'{parts}</cp:coreProperties>')


def _workbook(parts: list[tuple[Sheet, str, pd.DataFrame]]) -> str:
    sheets = "".join(f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
                     for i, (_, name, _) in enumerate(parts, start=1))
    filters = ""
    for i, (_, name, rows) in enumerate(parts):
        last_col = column_letter(max(rows.shape[1] - 1, 0))
        quoted = "'" + name.replace("'", "''") + "'"
        filters += (f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                    f'{escape(quoted)}!$A$1:${last_col}${max(len(rows), 1) + 1}</definedName>')
    return (f'{_XML_DECL}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><bookViews><workbookView/></bookViews>'
            f'<sheets>{sheets}</sheets><definedNames>{filters}</definedNames></workbook>')


def _workbook_rels(sheets: int) -> str:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                   for i in range(1, sheets + 1))
    return (f'{_XML_DECL}<Relationships xmlns="{_PKG_REL}">{rels}'
            f'<Relationship Id="rId{sheets + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')


# PLAIN; HEADER_SHADED (bold, light grey fill, medium bottom border, wrapped, top-aligned); WRAP.
_STYLES = (
    f'{_XML_DECL}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><color theme="1"/><name val="Calibri"/><family val="2"/>'
    '<scheme val="minor"/></font><font><b/><sz val="11"/><color theme="1"/><name val="Calibri"/>'
    '<family val="2"/><scheme val="minor"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
    '</fill><fill><patternFill patternType="solid"><fgColor rgb="FFF3F2F1"/><bgColor indexed="64"/>'
    '</patternFill></fill></fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left/><right/><top/><bottom style="medium"><color auto="1"/></bottom><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" '
    'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
    'defaultPivotStyle="PivotStyleLight16"/></styleSheet>')
