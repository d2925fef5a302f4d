"""SIMS CommandReporter output: ``<SuperStarReport><Record><Adno>..</Adno>...</Record>``.

Field elements are named from the report's captions with characters XML cannot hold encoded as
``_xHHHH_`` (``Legal_x0020_Surname`` is "Legal Surname"); we decode them so the same profile reads the
XML and the CSV or XLSX output of the same report. A ``<CommandReporterError>`` document is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import DEFAULT, Limits
from statreturns.ingest.raw import RawChunk
from statreturns.ingest.xmlsafe import iter_elements, localname

CHUNK_RECORDS = 50_000


def decode_name(name: str) -> str:
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), name)


def read_sims_xml(path: Path, chunk_records: int = CHUNK_RECORDS, limits: Limits = DEFAULT) -> Iterator[RawChunk]:
    rows: list[dict[str, str | None]] = []
    lines: list[int] = []
    elements = iter_elements(path, "Record", limits)
    root = next(elements, None)
    if root is None or localname(root.tag) != "SuperStarReport":
        found = localname(root.tag) if root is not None else "nothing"
        reason = ("SIMS returned an error report (CommandReporterError), not data" if found == "CommandReporterError"
                  else f"not a SIMS report (root element {found}, expected SuperStarReport)")
        raise IngestError(path.name, reason, line=getattr(root, "sourceline", None))
    for record in elements:
        rows.append({decode_name(localname(f.tag)): (f.text.strip() or None) if f.text else None for f in record
                     if localname(f.tag)})
        lines.append(record.sourceline or 0)
        if len(rows) >= chunk_records:
            yield _chunk(path, rows, lines)
            rows, lines = [], []
    if rows:
        yield _chunk(path, rows, lines)


def _chunk(path: Path, rows: list[dict], lines: list[int]) -> RawChunk:
    frame = pd.DataFrame.from_records(rows).astype("object")
    return RawChunk(path.stem, path.name, frame.where(frame.notna(), None), np.asarray(lines, dtype="int64"))
