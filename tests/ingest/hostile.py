"""Hostile inputs built on the fly (issue #17): decompression bombs and lying zip directories. Synthetic."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>")
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Pupils" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
              '<row r="1"><c r="A1" t="inlineStr"><is><t>Adno</t></is></c>'
              '<c r="B1" t="inlineStr"><is><t>Gender</t></is></c></row>')
SHEET_TAIL = "</sheetData></worksheet>"


ROW = '<row><c><v>1</v></c><c t="inlineStr"><is><t>F</t></is></c></row>'  # no r="": rows are identical


def write_xlsx_bomb(path: Path, rows: int) -> Path:
    """A valid workbook whose one sheet holds ``rows`` near-identical rows, streamed into the zip (the
    sheet is never held whole): identical rows, so it compresses about 500 to 1."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            fh.write(SHEET_HEAD.encode())
            block = (ROW * 10_000).encode()
            for _ in range(rows // 10_000):
                fh.write(block)
            fh.write((ROW * (rows % 10_000)).encode())
            fh.write(SHEET_TAIL.encode())
    return path


def lie_about_sizes(path: Path, member: str, declared: int) -> Path:
    """Rewrite the zip's local and central headers of ``member`` to declare ``declared`` bytes inflated."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:  # local headers: size at offset 22
        if data[at + 30:at + 30 + len(name)] == name:
            struct.pack_into("<I", data, at + 22, declared)
        at += 4
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:  # central directory: size at offset 24
        if data[at + 46:at + 46 + len(name)] == name:
            struct.pack_into("<I", data, at + 24, declared)
        at += 4
    path.write_bytes(bytes(data))
    return path
