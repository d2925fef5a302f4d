"""Earlier years' returns as sources: a CIN census XML file and an SSDA903 CSV set.

The CIN file is read by :func:`statreturns.cin.xml_reader.read_cin_xml` (whole, it is small); its blocks
become raw tables by their XSD names, ``ChildIdentifiers`` joined with ``ChildCharacteristics`` as
``Child``, with ids made up for plans and S47s (the XML has none). "Lines" of CIN rows are record
numbers within each block (the reader keeps no line). Each SSDA903 CSV is streamed like any CSV and
named by :func:`statreturns.ssda903.csv_reader.table_for_header` (or its usual file name).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from statreturns.cin.xml_reader import CinReadError, read_cin_xml
from statreturns.ingest.errors import IngestError
from statreturns.ingest.raw import RawChunk
from statreturns.ingest.text import layout, read_text
from statreturns.ingest.xmlsafe import refuse_doctype
from statreturns.ssda903.csv_reader import table_for_header, table_for_name
from statreturns.ssda903.tables import COLUMNS as COLUMNS_903


def read_cin(path: Path) -> Iterator[RawChunk]:
    refuse_doctype(path)
    try:
        # An earlier year's return as a source of records: its rows are mapped and quarantined like any
        # extract's, and the return built from them is checked (rules and XSD), so no XSD pass here.
        cin = read_cin_xml(path, check_xsd=False)
    except CinReadError as exc:
        raise IngestError(path.name, f"not a readable CIN census file ({exc})") from None
    frames = dict(cin.frames)
    ids = frames.pop("ChildIdentifiers")
    chars = frames.pop("ChildCharacteristics").drop_duplicates("LAchildID", keep="last")
    frames["Child"] = ids.merge(chars, on="LAchildID", how="left")
    for table, column, prefix in (("CINplanDates", "CINplanID", "PLAN"), ("Section47", "S47ID", "S47")):
        if table in frames:
            frames[table] = frames[table].assign(**{column: prefix + pd.RangeIndex(len(frames[table])).astype("str")})
    frames.pop("Header", None)
    for name, frame in frames.items():
        if len(frame):
            frame = frame.reset_index(drop=True).astype("object")
            yield RawChunk(name, path.name, frame.where(frame.notna(), None),
                           np.arange(1, len(frame) + 1, dtype="int64"))


def read_903_csv(path: Path, encoding: str | None = None) -> Iterator[RawChunk]:
    known = {c.lower() for cols in COLUMNS_903.values() for c in cols}
    lay = layout(path, known, encoding)
    columns = [c.strip().upper() for c in lay.columns]
    name = table_for_header(columns) or (table_for_name(path.name) if "CHILD" in columns else None)
    if name is None:
        raise IngestError(path.name, "not an SSDA903 table (its header matches none)", line=lay.header_line)
    yield from read_text(path, known, raw_name=name, encoding=encoding)
