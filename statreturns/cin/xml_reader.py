"""Streaming reader for the CIN census XML (collection years 2023 to the 2027 draft).

``read_cin_xml`` returns the raw frames described in :mod:`statreturns.cin.tables`: string or ``None``
cells, a RangeIndex in document order, and file-wide 0-based ``CINdetailsID``, ``AssessmentID`` and
``CPPID`` counters. Element text is stripped and an empty element reads as ``None``. An empty
``<Reviews/>`` group reads as one Reviews row with no CPPreviewDate (rule 8842Q queries it).

The file is parsed with ``lxml.etree.iterparse``: each ``<Child>`` is turned into plain tuples at its
end event and then freed, so memory follows the size of the tables, not of the tree. Entities are never
expanded or fetched; a DOCTYPE that declares entities or names an external DTD is refused. The parse
itself lives in :mod:`statreturns.cin.xml_stream` (no pandas there); this module makes the frames.

Errors raise :class:`CinReadError` naming the file, the line and a plain reason. They never quote
element text: the file holds personal data.

Each child is also checked against the DfE XSD of the collection year (:mod:`statreturns.cin.xsd`):
``xsd_year`` if given, else the Header's Year. The schema errors come back as findings in
``CinFile.xsd_issues`` (rule ``XSD``); a year with no schema (no Header, or a Year outside 2023-2027) is
not checked and ``CinFile.xsd_year`` is None. For a file of ``WORKER_MIN_BYTES`` or more, on a machine
with an idle core, the check runs in a second process (:mod:`statreturns.cin.xml_stream`, lxml only)
on that core while this one reads the tables; its findings are the same rows in the same order. If that process cannot start,
fails or overruns, the check is done here after the read, so findings are never lost and a failure
never hangs the read. Smaller files are checked while they stream, as starting an interpreter would
cost more than the check.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from statreturns.cin import xsd
from statreturns.cin.layout import COLUMNS
from statreturns.cin.tables import empty_raw
from statreturns.cin.xml_stream import (
    CinReadError,
    Worker,
    full_pass,
    gc_paused,
    take_prefetched,
    xsd_pass,
)
from statreturns.engine import ISSUE_COLUMNS

__all__ = ["WORKER_MIN_BYTES", "CinFile", "CinReadError", "read_cin_xml"]

# Files at least this big have their XSD check done by a worker process (see the module docstring).
WORKER_MIN_BYTES = 4 << 20
# The worker gets this long after the read before the check is done here instead: well past any
# normal lag behind the read (it does less work than the read), so only a stuck worker hits it.
_WORKER_GRACE_SECONDS = 30.0
# A prefetch worker reading the whole file gets this long per MB (it reads about 20 MB a second).
_FULL_READ_SECONDS_PER_MB = 1.0


def _no_issues() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS})


@dataclass
class CinFile:
    """The raw frames of one CIN census file, its Header Year and LEA, and its XSD findings."""

    frames: dict[str, pd.DataFrame]
    year: int | None
    lea: str | None
    xsd_issues: pd.DataFrame = field(default_factory=_no_issues)
    xsd_year: int | None = None  # the collection year whose schema the file was checked against


def _spare_core() -> bool:
    """True when a core is idle (1-minute load average at least half a core below the core count): a
    worker only pays when it runs beside this process, not when it competes for a busy machine."""
    try:
        return os.getloadavg()[0] <= (os.cpu_count() or 1) - 0.5
    except OSError:  # no load average on this platform
        return False


def _frames(table_rows: dict[str, list[tuple]]) -> dict[str, pd.DataFrame]:
    """One frame per table; each table's row tuples are let go as soon as its frame is made (peak memory)."""
    out: dict[str, pd.DataFrame] = {}
    for name in list(table_rows):
        rows = table_rows.pop(name)
        # dtype=object keeps None as None (pandas 3 would otherwise infer "str" with NaN).
        out[name] = pd.DataFrame(rows, columns=COLUMNS[name], dtype=object) if rows else empty_raw(name)
        del rows
    return out


def read_cin_xml(path: str | os.PathLike[str], *, xsd_year: int | None = None, check_xsd: bool = True) -> CinFile:
    """Read a CIN census XML file into raw frames and check it against its year's XSD (module docstring).

    ``xsd_year``: the collection year whose schema applies (default: the Header's Year).
    """
    path = Path(path)
    worker = take_prefetched(path, xsd_year, check_xsd)
    if worker is not None and worker.mode != "xsd":
        found = worker.result(_WORKER_GRACE_SECONDS + _FULL_READ_SECONDS_PER_MB * path.stat().st_size / 1e6)
        if found is not None:
            checked, rows, table_rows = found
            return _cin_file(_frames(table_rows), checked, rows)
        worker = None  # failed: read here, as if there had been no prefetch
    if (worker is None and check_xsd and path.is_file() and path.stat().st_size >= WORKER_MIN_BYTES
            and _spare_core()):
        worker = Worker.start(path, xsd_year, "xsd")
    started = time.monotonic()
    try:
        with gc_paused():  # the frames too: they are made of the same millions of row tuples
            checked, rows, table_rows = full_pass(path, xsd_year, check_xsd and worker is None)
            frames = _frames(table_rows)
    except BaseException:
        if worker is not None:
            worker.stop()
        raise
    if worker is not None:
        found = worker.result(_WORKER_GRACE_SECONDS + 2 * (time.monotonic() - started))
        checked, rows = found if found is not None else xsd_pass(path, xsd_year)
    return _cin_file(frames, checked, rows)


def _cin_file(frames: dict[str, pd.DataFrame], checked: int | None, xsd_rows: list[tuple]) -> CinFile:
    header = frames["Header"]
    year_text = header["Year"].iloc[0] if len(header) else None
    lea = header["LEA"].iloc[0] if len(header) else None
    year = int(year_text) if year_text is not None and year_text.isdigit() else None
    issues = xsd.issues_frame(xsd_rows) if checked is not None else _no_issues()
    return CinFile(frames=frames, year=year, lea=lea, xsd_issues=issues, xsd_year=checked)
