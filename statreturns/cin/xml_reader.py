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
not checked and ``CinFile.xsd_year`` is None. For a file of ``WORKER_MIN_BYTES`` or more the check runs
in a second process (``python -m statreturns.cin.xml_stream``, lxml only) on the other core while this
one reads the tables; its findings are the same rows in the same order. If that process cannot start,
fails or overruns, the check is done here after the read, so findings are never lost and a failure
never hangs the read. Smaller files are checked while they stream, as starting an interpreter would
cost more than the check.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from lxml import etree

from statreturns.cin import xsd
from statreturns.cin.layout import COLUMNS
from statreturns.cin.tables import empty_raw
from statreturns.cin.xml_stream import (
    CinReadError,
    Collector,
    XsdPlan,
    gc_paused,
    parse,
    syntax_error,
    xsd_pass,
)
from statreturns.engine import ISSUE_COLUMNS

__all__ = ["WORKER_MIN_BYTES", "CinFile", "CinReadError", "read_cin_xml"]

# Files at least this big have their XSD check done by a worker process (see the module docstring).
WORKER_MIN_BYTES = 4 << 20
# The worker gets this long after the read before the check is done here instead: well past any
# normal lag behind the read (it does less work than the read), so only a stuck worker hits it.
_WORKER_GRACE_SECONDS = 30.0
_PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding ``statreturns``


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


class _XsdWorker:
    """The XSD check of one file in a second interpreter (``statreturns.cin.xml_stream``)."""

    module = "statreturns.cin.xml_stream"

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    @classmethod
    def start(cls, path: Path, xsd_year: int | None) -> _XsdWorker | None:
        """The started worker, or None where a process cannot be started (the check is then done here)."""
        if not sys.executable:
            return None
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH", "")) if p)
        args = [sys.executable, "-m", cls.module, os.fspath(path),
                "" if xsd_year is None else str(xsd_year)]
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, env=env)
        except OSError:
            return None
        return cls(proc)

    def result(self, timeout: float) -> tuple[int | None, list[tuple]] | None:
        """``(year checked, finding rows)``, or None if the worker failed or overran ``timeout`` seconds."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None
        if self.proc.returncode != 0:
            return None
        try:
            year, rows = pickle.loads(out)  # noqa: S301 - our own child process's output
        except Exception:  # noqa: BLE001 - a garbled answer is a failed worker: check here instead
            return None
        if not (year is None or isinstance(year, int)) or not isinstance(rows, list):
            return None
        return year, rows

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


def _frames(collector: Collector) -> dict[str, pd.DataFrame]:
    out: dict[str, pd.DataFrame] = {}
    for name, rows in collector.rows.items():
        # dtype=object keeps None as None (pandas 3 would otherwise infer "str" with NaN).
        out[name] = pd.DataFrame(rows, columns=COLUMNS[name], dtype=object) if rows else empty_raw(name)
    return out


def read_cin_xml(path: str | os.PathLike[str], *, xsd_year: int | None = None, check_xsd: bool = True) -> CinFile:
    """Read a CIN census XML file into raw frames and check it against its year's XSD (module docstring).

    ``xsd_year``: the collection year whose schema applies (default: the Header's Year).
    """
    path = Path(path)
    collector = Collector()
    worker = None
    if check_xsd and path.is_file() and path.stat().st_size >= WORKER_MIN_BYTES:
        worker = _XsdWorker.start(path, xsd_year)
    plan = XsdPlan(xsd_year, check_xsd and worker is None)
    started = time.monotonic()
    try:
        with path.open("rb") as fh, gc_paused():
            try:
                root, children = parse(path, fh, collector, plan)
            except etree.XMLSyntaxError as err:
                raise syntax_error(path, err) from None
            if children is None:
                raise CinReadError(path, root.sourceline,
                                   "no <Children> element under <Message>: not a CIN census file")
            frames = _frames(collector)
    except BaseException:
        if worker is not None:
            worker.stop()
        raise
    header = frames["Header"]
    year_text = header["Year"].iloc[0] if len(header) else None
    lea = header["LEA"].iloc[0] if len(header) else None
    year = int(year_text) if year_text is not None and year_text.isdigit() else None
    if worker is not None:
        found = worker.result(_WORKER_GRACE_SECONDS + 2 * (time.monotonic() - started))
        checked, rows = found if found is not None else xsd_pass(path, xsd_year)
        issues = xsd.issues_frame(rows) if checked is not None else _no_issues()
        return CinFile(frames=frames, year=year, lea=lea, xsd_issues=issues, xsd_year=checked)
    check = plan.check
    return CinFile(frames=frames, year=year, lea=lea, xsd_issues=check.issues() if check else _no_issues(),
                   xsd_year=check.year if check else None)
