"""The pandas-free part of the CIN census reader: the streaming parse into row tuples, and its worker.

:mod:`statreturns.cin.xml_reader` (which see) turns the rows into frames. This module imports lxml
and the package's layout only, so that a worker process running it (``Worker``, or by hand
``python -m statreturns.cin.xml_stream FILE YEAR MODE``) starts in a fraction of the time pandas takes:
it checks a big file against the XSD on the other core while the main process reads the file into
tables (``xml_reader`` starts and collects it).

A command may also call :func:`prefetch` before it imports pandas, so that a worker reads the whole
file (a big one: checks it against the XSD) while the main process is still importing.

The worker prints one pickle on stdout: ``(xsd_year, rows)`` for the XSD check (mode ``xsd``), the
collection year whose schema the file was checked against (None: not checked) and the XSD finding rows
in document order, exactly as the in-process check makes them; ``(xsd_year, rows, table rows)`` for a
whole read (``full``). It exits non-zero, printing nothing, on any error (the main process then does
the work itself, and reports a malformed file from its own read).
"""

from __future__ import annotations

import atexit
import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from statreturns.cin import xsd
from statreturns.cin.layout import CHILD, COLUMNS

ROOT = "Message"
# Leaf columns of each table, i.e. COLUMNS without the key columns the reader fills in itself.
_KEYS = frozenset({CHILD, "CINdetailsID", "AssessmentID", "CPPID"})
_LEAVES = {name: [c for c in cols if c not in _KEYS] for name, cols in COLUMNS.items()}

# libxml2 error types with a plainer wording; any other type is reported by its libxml2 name.
_SYNTAX_REASONS = {
    "ERR_DOCUMENT_EMPTY": "no root element (the file is empty or holds no element)",
    "ERR_DOCUMENT_END": "there is content after the end of the root element",
    "ERR_TAG_NAME_MISMATCH": "a closing tag does not match its opening tag",
    "ERR_TAG_NOT_FINISHED": "the file ends before all elements are closed (truncated?)",
    "ERR_GT_REQUIRED": "a tag is not closed with '>'",
    "ERR_LT_IN_ATTRIBUTE": "an attribute value contains '<'",
    "ERR_UNDECLARED_ENTITY": "an entity reference is not declared",
    "ERR_UNDECLARED_ENTITY_REF": "an entity reference is not declared",
    "ERR_RESOURCE_LIMIT": "a parser safety limit was exceeded (entity expansion or size)",
    "ERR_INVALID_CHAR": "the file contains a character that XML does not allow",
    "ERR_INVALID_ENCODING": "the file is not in the encoding it declares",
}


class CinReadError(ValueError):
    """The file is not a readable CIN census. The message never contains data values."""

    def __init__(self, path: str | os.PathLike[str], line: int | None, reason: str) -> None:
        where = f"line {line}" if line else "line unknown"
        super().__init__(f"{os.fspath(path)}: {where}: {reason}")
        self.path = os.fspath(path)
        self.line = line
        self.reason = reason


class XsdPlan:
    """Which schema to check against, decided at the Header (or the first Child if there is none)."""

    def __init__(self, wanted: int | None, enabled: bool) -> None:
        self.wanted, self.enabled = wanted, enabled
        self.decided = not enabled
        self.check: xsd.XsdCheck | None = None

    def decide(self, header_year: str | None) -> xsd.XsdCheck | None:
        if not self.decided:
            self.decided = True
            year = self.wanted
            if year is None and header_year is not None and header_year.strip().isdigit():
                year = int(header_year)
            if year is not None and xsd.has_schema(year):
                self.check = xsd.XsdCheck(year)
        return self.check


class _Names(dict[object, str]):
    """``tag -> local name`` (namespace dropped), computed once per distinct tag."""

    def __missing__(self, tag: object) -> str:
        name = tag.rpartition("}")[2] if isinstance(tag, str) else ""
        self[tag] = name
        return name


def _strip(value: str | None) -> str | None:
    """Stripped text; None where absent, empty or white space only."""
    return value and value.strip() or None


def _leaves(names: _Names, block: etree._Element) -> dict[str, str | None]:
    """Raw text of each child element of ``block`` by local name (the last wins if a name repeats).

    Sub-blocks are in it too, under their own names, which no column shares: callers only look up
    leaf columns. Creating lxml element proxies is the main cost of this reader, so each child element
    is visited once, and per-element work is kept to a dict store.
    """
    return {names[el.tag]: el.text for el in block}


def _row(values: dict[str, str | None], columns: list[str]) -> list[str | None]:
    """Stripped text of ``columns`` (see ``_strip``)."""
    return [(values.get(c) or "").strip() or None for c in columns]


def _texts(names: _Names, block: etree._Element, wanted: str) -> list[str | None]:
    """Stripped text of each ``wanted`` child element of a list block (None where empty)."""
    return [(el.text or "").strip() or None for el in block if names[el.tag] == wanted]


# Elements that hold other elements; every other element is read as a leaf value.
_BLOCKS = frozenset({
    "ChildIdentifiers", "ChildCharacteristics", "Disabilities", "CINdetails", "Assessments",
    "FactorsIdentifiedAtAssessment", "CINPlanDates", "Section47", "ChildProtectionPlans", "Reviews",
    "PreProceedingsandFGDM", "CollectionDetails", "Source",
})
_EPISODE_TABLES = {"CINPlanDates": "CINplanDates", "Section47": "Section47",
                   "PreProceedingsandFGDM": "PreProceedings"}
_CHILD_LEAVES = _LEAVES["ChildIdentifiers"]
_EPISODE_LEAVES = {name: _LEAVES[table] for name, table in _EPISODE_TABLES.items()}


class Collector:
    """Accumulates one tuple per table row while the file streams past."""

    def __init__(self) -> None:
        self.names = _Names()
        self.rows: dict[str, list[tuple]] = {name: [] for name in COLUMNS}
        self.episode_id = 0
        self.assessment_id = 0
        self.cpp_id = 0

    def header(self, el: etree._Element) -> None:
        values: dict[str, str | None] = {}
        for block in el:
            if self.names[block.tag] in ("CollectionDetails", "Source"):
                # Source may repeat (XSD maxOccurs unbounded): the first one wins.
                for key, value in _leaves(self.names, block).items():
                    if key not in _BLOCKS:
                        values.setdefault(key, value)
        self.rows["Header"].append(tuple(_row(values, COLUMNS["Header"])))

    def child(self, el: etree._Element) -> None:
        names = self.names
        identifiers: dict[str, str | None] = {}
        characteristics: list[etree._Element] = []
        episodes: list[etree._Element] = []
        for block in el:
            name = names[block.tag]
            if name == "CINdetails":
                episodes.append(block)
            elif name == "ChildIdentifiers":
                identifiers.update(_leaves(names, block))
            elif name == "ChildCharacteristics":
                characteristics.append(block)
        child_id = _strip(identifiers.get(CHILD))
        self.rows["ChildIdentifiers"].append((child_id, *_row(identifiers, _CHILD_LEAVES)))
        ethnicity: str | None = None
        disabilities = self.rows["Disabilities"]
        for block in characteristics:
            for sub in block:
                name = names[sub.tag]
                if name == "Disabilities":
                    disabilities.extend((child_id, d) for d in _texts(names, sub, "Disability"))
                elif name == "Ethnicity":
                    ethnicity = sub.text
        self.rows["ChildCharacteristics"].append((child_id, _strip(ethnicity)))
        for block in episodes:
            self.episode(child_id, block)

    def episode(self, child_id: str | None, block: etree._Element) -> None:
        episode_id = str(self.episode_id)
        self.episode_id += 1
        names, rows = self.names, self.rows
        values: dict[str, str | None] = {}
        key = (child_id, episode_id)
        for el in block:  # sub-blocks fill their own tables, so they are read as they come
            name = names[el.tag]
            if name not in _BLOCKS:
                values[name] = el.text
            elif name == "Assessments":
                self.assessment(key, el)
            elif name == "ChildProtectionPlans":
                self.plan(key, el)
            elif name in _EPISODE_TABLES:
                rows[_EPISODE_TABLES[name]].append((*key, *_row(_leaves(names, el), _EPISODE_LEAVES[name])))
        rows["CINdetails"].append((*key, *_row(values, _LEAVES["CINdetails"])))

    def assessment(self, key: tuple[str | None, str], block: etree._Element) -> None:
        assessment_id = str(self.assessment_id)
        self.assessment_id += 1
        names = self.names
        values: dict[str, str | None] = {}
        factors = self.rows["AssessmentFactorsList"]
        for el in block:
            name = names[el.tag]
            if name == "FactorsIdentifiedAtAssessment":
                factors.extend((*key, assessment_id, f) for f in _texts(names, el, "AssessmentFactors"))
            elif name not in _BLOCKS:
                values[name] = el.text
        self.rows["Assessments"].append((*key, assessment_id, *_row(values, _LEAVES["Assessments"])))

    def plan(self, key: tuple[str | None, str], block: etree._Element) -> None:
        cpp_id = str(self.cpp_id)
        self.cpp_id += 1
        names = self.names
        values: dict[str, str | None] = {}
        reviews = self.rows["Reviews"]
        for el in block:
            name = names[el.tag]
            if name == "Reviews":
                # An empty <Reviews/> is kept as one review with no date, so that 8842Q can query it.
                dates = _texts(names, el, "CPPreviewDate") or [None]
                reviews.extend((*key, cpp_id, d) for d in dates)
            elif name not in _BLOCKS:
                values[name] = el.text
        self.rows["ChildProtectionPlans"].append((*key, cpp_id, *_row(values, _LEAVES["ChildProtectionPlans"])))


def _child_id(names: _Names, el: etree._Element) -> str | None:
    """The child's LAchildID as ``Collector.child`` reads it (the last one in its ChildIdentifiers)."""
    value = None
    for block in el:
        if names[block.tag] == "ChildIdentifiers":
            for sub in block:
                if names[sub.tag] == CHILD:
                    value = sub.text
    return _strip(value)


def _doctype_line(path: Path) -> int | None:
    """Line of the DOCTYPE declaration, found in the file's head (only used on the error path)."""
    with path.open("rb") as fh:
        head = fh.read(1 << 16)
    at = head.find(b"<!DOCTYPE")
    return head.count(b"\n", 0, at) + 1 if at >= 0 else None


def _check_document(path: Path, root: etree._Element, names: _Names) -> None:
    """Refuse entity declarations and external DTDs, then a root that is not a CIN Message."""
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if (dtd is not None and any(True for _ in dtd.iterentities())) or docinfo.system_url or docinfo.public_id:
        raise CinReadError(path, _doctype_line(path) or root.sourceline,
                           "a DOCTYPE declaring entities or an external DTD is not allowed in a CIN census")
    if names[root.tag] != ROOT:
        raise CinReadError(path, root.sourceline, f"the root element is not <{ROOT}>: not a CIN census file")


_ERROR_NAMES = {code: name for name, code in vars(etree.ErrorTypes).items() if isinstance(code, int)}


def syntax_error(path: Path, err: etree.XMLSyntaxError) -> CinReadError:
    # Built from error codes and line numbers only: the libxml2 message text may quote the document.
    code, line = err.code, err.lineno
    if not line:
        # With entity resolution off, some errors surface as lxml's bare "no element found" (line 0);
        # the error log then still holds libxml2's entry. Entries from other files are ignored.
        own = [e for e in err.error_log if e.filename == str(path)]
        if own:
            code, line = own[-1].type, own[-1].line
        elif path.stat().st_size == 0:
            return CinReadError(path, 1, "not well-formed XML: the file is empty")
        else:
            return CinReadError(path, 1, "not well-formed XML: the parser found no usable element")
    type_name = _ERROR_NAMES.get(code, "")
    reason = _SYNTAX_REASONS.get(type_name, f"libxml2 error {type_name or code}")
    return CinReadError(path, line, f"not well-formed XML: {reason}")


def parse(path: Path, fh: BinaryIO, collector: Collector, plan: XsdPlan,
          extract: bool = True) -> tuple[etree._Element, etree._Element | None]:
    """Stream the file through ``collector`` (and the XSD check); return the root and Children elements.

    ``extract=False`` reads the Header only (for the schema year) and no Child into the tables: the
    XSD check alone, as the worker process runs it.
    """
    names = collector.names
    context = etree.iterparse(
        fh, events=("start", "end"), tag=["{*}Header", "{*}Children", "{*}Child"],
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
        remove_comments=True, remove_pis=True, remove_blank_text=True,
    )
    root: etree._Element | None = None
    children: etree._Element | None = None
    for event, el in context:
        if root is None:
            root = el.getroottree().getroot()
            _check_document(path, root, names)
        name = names[el.tag]
        if event == "start":
            if name == "Children" and children is None and el.getparent() is root:
                children = el
            continue
        if name == "Child":
            if children is None or el.getparent() is not children:
                continue
            if extract:
                collector.child(el)
            check = plan.decide(None)
            if check is not None:
                prev = el.getprevious()
                while prev is not None:  # elements the XSD does not allow between children
                    if isinstance(prev.tag, str) and names[prev.tag] != "Child":
                        check.stray(prev, "Children")
                    prev = prev.getprevious()
                check.child(el, collector.rows["ChildIdentifiers"][-1][0] if extract else _child_id(names, el))
            el.clear(keep_tail=True)
            while el.getprevious() is not None:
                del children[0]
        elif name == "Header" and el.getparent() is root:
            collector.header(el)
            check = plan.decide(collector.rows["Header"][-1][COLUMNS["Header"].index("Year")])
            if check is not None:
                check.header(el)
    if root is None:
        root = context.root
        _check_document(path, root, names)
    check = plan.decide(None)
    if check is not None:
        check.finish(root, children)
    return root, children


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC: millions of new row tuples would trigger many useless full passes."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def xsd_pass(path: Path, xsd_year: int | None) -> tuple[int | None, list[tuple]]:
    """The XSD check alone, as ``read_cin_xml`` does it while it reads: ``(year checked, finding rows)``.

    Raises :class:`CinReadError` if the file is not well-formed XML.
    """
    plan = XsdPlan(xsd_year, True)
    with path.open("rb") as fh, gc_paused():
        try:
            parse(path, fh, Collector(), plan, extract=False)
        except etree.XMLSyntaxError as err:
            raise syntax_error(path, err) from None
    check = plan.check
    return (check.year, check.rows) if check is not None else (None, [])


def full_pass(path: Path, xsd_year: int | None, check_xsd: bool) -> tuple[int | None, list[tuple], dict]:
    """The whole read, as ``read_cin_xml`` does it in-process: ``(year checked, XSD rows, table rows)``.

    Raises :class:`CinReadError` as ``read_cin_xml`` does.
    """
    collector = Collector()
    plan = XsdPlan(xsd_year, check_xsd)
    with path.open("rb") as fh, gc_paused():
        try:
            root, children = parse(path, fh, collector, plan)
        except etree.XMLSyntaxError as err:
            raise syntax_error(path, err) from None
    if children is None:
        raise CinReadError(path, root.sourceline, f"no <Children> element under <{ROOT}>: not a CIN census file")
    check = plan.check
    return (check.year, check.rows, collector.rows) if check is not None else (None, [], collector.rows)


MODES = ("xsd", "full", "full-unchecked")


def main(argv: list[str]) -> int:
    """Worker entry point: ``FILE YEAR MODE`` (YEAR may be empty; MODE one of ``MODES``): module docstring."""
    name, year_text, mode = argv
    path, year = Path(name), int(year_text) if year_text else None
    try:
        result = xsd_pass(path, year) if mode == "xsd" else full_pass(path, year, mode == "full")
    except Exception:  # noqa: BLE001 - any failure: the caller reads in-process (no message: it may hold data)
        return 1
    sys.stdout.buffer.write(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()
    return 0


class Worker:
    """One file's XSD check (mode ``xsd``) or whole read (``full``, ``full-unchecked``) in a second interpreter."""

    module = "statreturns.cin.xml_stream"

    def __init__(self, proc: subprocess.Popen[bytes], mode: str) -> None:
        self.proc, self.mode = proc, mode

    @classmethod
    def start(cls, path: Path, xsd_year: int | None, mode: str) -> Worker | None:
        """The started worker, or None where a process cannot be started (the work is then done here)."""
        if not sys.executable:
            return None
        # This process's own package first (not whatever the working folder holds), then its ``main``.
        code = (f"import sys; sys.path.insert(0, {str(_PACKAGE_ROOT)!r}); import importlib; "
                f"sys.exit(importlib.import_module({cls.module!r}).main(sys.argv[1:]))")
        args = [sys.executable, "-c", code, os.fspath(path), "" if xsd_year is None else str(xsd_year), mode]
        try:
            proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL)
        except OSError:
            return None
        return cls(proc, mode)

    def result(self, timeout: float) -> tuple | None:
        """The worker's answer (see ``xsd_pass`` and ``full_pass``), or None if it failed or overran
        ``timeout`` seconds (it is then stopped)."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            return None
        if self.proc.returncode != 0:
            return None
        try:
            with gc_paused():
                answer = pickle.loads(out)  # noqa: S301 - our own child process's output
        except Exception:  # noqa: BLE001 - a garbled answer is a failed worker
            return None
        if not isinstance(answer, tuple) or len(answer) != (2 if self.mode == "xsd" else 3):
            return None
        if not (answer[0] is None or isinstance(answer[0], int)) or not isinstance(answer[1], list):
            return None
        if self.mode != "xsd" and not (isinstance(answer[2], dict) and answer[2].keys() == COLUMNS.keys()):
            return None
        return answer

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.communicate()


_PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent  # the folder holding ``statreturns``
# Files below this size are read whole by a prefetch worker; bigger ones only have their XSD check done
# there (the main process reads the tables alongside: see ``prefetch``).
FULL_READ_MAX_BYTES = 64 << 20
_prefetched: dict[tuple[str, int | None, bool], tuple[Worker, tuple[int, int]]] = {}


def _key(path: Path, xsd_year: int | None, check_xsd: bool) -> tuple[str, int | None, bool]:
    return os.path.realpath(path), xsd_year, check_xsd


def _signature(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if path.is_file() else None


def prefetch(path: str | os.PathLike[str], *, xsd_year: int | None = None, check_xsd: bool = True) -> None:
    """Start reading ``path`` in a worker process now, for a later ``read_cin_xml`` with the same arguments.

    For a command to call first, before it imports pandas (about half a second): the worker reads the
    file meanwhile (a file of ``FULL_READ_MAX_BYTES`` or more: checks it against the XSD) and
    ``read_cin_xml`` takes its answer instead of doing that work itself, or does it itself if the worker
    failed. Nothing is raised here: a missing or unreadable file is reported by ``read_cin_xml``.
    A worker whose read never comes is stopped when the interpreter exits.
    """
    path = Path(path)
    signature = _signature(path)
    key = _key(path, xsd_year, check_xsd)
    if signature is None or key in _prefetched:
        return
    if signature[0] < FULL_READ_MAX_BYTES:
        mode = "full" if check_xsd else "full-unchecked"
    elif check_xsd:
        mode = "xsd"
    else:
        return
    worker = Worker.start(path, xsd_year, mode)
    if worker is not None:
        if not _prefetched:
            atexit.register(_stop_prefetched)
        _prefetched[key] = (worker, signature)


def take_prefetched(path: Path, xsd_year: int | None, check_xsd: bool) -> Worker | None:
    """The worker ``prefetch`` started for these arguments, if the file has not changed since."""
    found = _prefetched.pop(_key(path, xsd_year, check_xsd), None)
    if found is None:
        return None
    worker, signature = found
    if _signature(path) != signature:
        worker.stop()
        return None
    return worker


def _stop_prefetched() -> None:
    while _prefetched:
        _prefetched.popitem()[1][0].stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
