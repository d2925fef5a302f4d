"""Read the SSDA903 XML form (root ``EXPSSDA903``) into the same raw frames as the CSV reader.

Layout read (lac_notes.md section 5), one ``<CHILD>`` per child::

    <CHILD>
      <HEADER>  CHILDID (-> CHILD), UPN, SEX, DOB, ETHNIC, UASC (0/1 flag), MOTHER, MC_DOB,
                DUC, IN_TOUCH, ACTIV, ACCOM, DATE_INT, DATE_MATCH, FOSTER_CARE, NB_ADOPTR,
                SEX_ADOPTR, LS_ADOPTR, and nested blocks:
        <AREVIEW>     REVIEW, REVIEW_CODE                         (repeating)  -> Reviews
        <AMISSING>    MISSING, MIS_START, MIS_END                 (repeating)  -> Missing
        <OC2>         the OC2 fields                                           -> OC2
        <PERMANENCE>  PREV_PERM, LA_PERM, DATE_PERM                            -> PrevPerm
        <AD_PLACED>   DATE_PLACED, DATE_PLACED_CEASED, REASON_PLACED_CEASED    -> PlacedAdoption
      </HEADER>
      <EPISODE>       the Episodes fields, with PL (-> PLACE)     (repeating)  -> Episodes
      <SW_EPISODE>    SW_ID, SW_DECOM, SW_DEC, SW_REASON          (repeating)  -> SWEpisodes
      <DOLO>          DOLO_START, DOLO_END                        (repeating)  -> DoLo
    </CHILD>

The DfE XML has no social-worker or DoLo blocks; ``SW_EPISODE`` (also accepted: ``SWEPISODE``) and
``DOLO`` are this project's names, chosen to match the CSV columns. Any block may also sit directly
under ``<CHILD>``. Every row gets the child's CHILD (and DOB where the table has one, unless the block
gives its own). Header leaves feed three more tables: UASC (a row when the UASC flag is 1 or DUC is
given), OC3 (when any of IN_TOUCH/ACTIV/ACCOM is given) and AD1 (when any AD1 field is given). The
XML UASC flag is kept as the Header column ``UASC``; other unknown leaves become extra Header columns.
All tables but SWEpisodes and DoLo are present (perhaps empty); those two only when the file has such
a block. Values are stripped strings, None for blank.

The parser refuses any DOCTYPE (so no entity expansion and no external entities), does not load DTDs
and does not touch the network. Malformed XML raises ``Ssda903ReadError`` naming the file and line.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
from lxml import etree

from statreturns.ssda903.csv_reader import ReadProblem, ReadResult
from statreturns.ssda903.tables import COLUMNS

ROOT = "EXPSSDA903"

BLOCKS: dict[str, str] = {
    "AREVIEW": "Reviews",
    "AMISSING": "Missing",
    "OC2": "OC2",
    "PERMANENCE": "PrevPerm",
    "AD_PLACED": "PlacedAdoption",
    "EPISODE": "Episodes",
    "SW_EPISODE": "SWEpisodes",
    "SWEPISODE": "SWEpisodes",
    "DOLO": "DoLo",
}
RENAMES: dict[str, dict[str, str]] = {"Header": {"CHILDID": "CHILD"}, "Episodes": {"PL": "PLACE"}}
OPTIONAL_TABLES = {"SWEpisodes", "DoLo"}  # present only when the file has such a block

# Header leaves that belong to other tables (a row there when any of the trigger fields is given).
_FROM_HEADER: dict[str, list[str]] = {
    "UASC": ["DUC"],
    "OC3": ["IN_TOUCH", "ACTIV", "ACCOM"],
    "AD1": ["DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"],
}
_NOT_HEADER_COLUMNS = {c for cols in _FROM_HEADER.values() for c in cols}


class Ssda903ReadError(ValueError):
    """The XML file cannot be read at all (malformed, or forbidden constructs). No values inside."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if "{" in tag else tag


def _text(elem: etree._Element) -> str | None:
    value = (elem.text or "").strip()
    return value or None


def _leaves(block: etree._Element, renames: dict[str, str] | None = None) -> dict[str, str | None]:
    renames = renames or {}
    out: dict[str, str | None] = {}
    for leaf in block:
        if isinstance(leaf.tag, str) and len(leaf) == 0:
            name = _local(leaf.tag)
            out[renames.get(name, name)] = _text(leaf)
    return out


class _Collector:
    """Accumulates rows per table while the file is parsed one child at a time."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {name: [] for name in COLUMNS}
        self.seen: set[str] = set()
        self.unknown: Counter[str] = Counter()

    def add_child(self, child: etree._Element) -> None:
        header: dict[str, str | None] = {}
        blocks: list[tuple[str, etree._Element]] = []
        for sub in child:
            if not isinstance(sub.tag, str):
                continue  # comments, processing instructions
            tag = _local(sub.tag)
            if tag == "HEADER":
                header.update(_leaves(sub, RENAMES["Header"]))
                blocks.extend((_local(b.tag), b) for b in sub if isinstance(b.tag, str) and len(b))
            elif len(sub) == 0:
                header[RENAMES["Header"].get(tag, tag)] = _text(sub)
            else:
                blocks.append((tag, sub))
        self._add_header(header)
        for tag, block in blocks:
            self._add_block(tag, block, header)

    def _add_header(self, header: dict[str, str | None]) -> None:
        self.rows["Header"].append({k: v for k, v in header.items() if k not in _NOT_HEADER_COLUMNS})
        keys = {"CHILD": header.get("CHILD"), "DOB": header.get("DOB")}
        for table, triggers in _FROM_HEADER.items():
            wanted = any(header.get(f) is not None for f in triggers)
            if table == "UASC":
                wanted = wanted or header.get("UASC") == "1"
            if wanted:
                row = {c: header.get(c) for c in COLUMNS[table]}
                self.rows[table].append({**row, **keys})

    def _add_block(self, tag: str, block: etree._Element, header: dict[str, str | None]) -> None:
        table = BLOCKS.get(tag)
        if table is None:
            self.unknown[tag] += 1
            return
        self.seen.add(table)
        row = _leaves(block, RENAMES.get(table))
        row["CHILD"] = header.get("CHILD")
        if "DOB" in COLUMNS[table] and row.get("DOB") is None:
            row["DOB"] = header.get("DOB")
        self.rows[table].append(row)

    def result(self, file_name: str) -> ReadResult:
        out = ReadResult()
        for table, rows in self.rows.items():
            if table in OPTIONAL_TABLES and table not in self.seen:
                continue
            out.tables[table] = _frame(rows, COLUMNS[table])
            out.sources[table] = file_name
        for tag, count in sorted(self.unknown.items()):
            reason = f"element {tag} not recognised; {count} ignored"
            out.problems.append(ReadProblem(file_name, None, reason))
        return out


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    extras = list(dict.fromkeys(k for row in rows for k in row if k not in columns))
    cols = [*columns, *extras]
    data = {c: pd.Series([row.get(c) for row in rows], dtype=object) for c in cols}
    return pd.DataFrame(data, columns=cols, index=pd.RangeIndex(len(rows)))


def _refuse_doctype(elem: etree._Element, name: str) -> None:
    info = elem.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise Ssda903ReadError(f"{name}: a DOCTYPE declaration is not allowed (line {elem.sourceline})")


def _check_prolog(path: Path, name: str) -> None:
    """Parse only up to the root element's start: refuse a DOCTYPE before anything else is read."""
    context = etree.iterparse(
        str(path), events=("start",), resolve_entities=False, no_network=True, load_dtd=False,
        huge_tree=False,
    )
    try:
        for _event, elem in context:
            _refuse_doctype(elem, name)
            if _local(elem.tag) != ROOT:
                raise Ssda903ReadError(f"{name}: root element is not {ROOT} (line {elem.sourceline})")
            return
    except etree.XMLSyntaxError as exc:
        raise Ssda903ReadError(f"{name}: malformed XML near line {exc.lineno}") from None
    raise Ssda903ReadError(f"{name}: no root element")


def read_xml(path: str | Path) -> ReadResult:
    """Read one EXPSSDA903 XML file; raises Ssda903ReadError if it is malformed or not that form."""
    path = Path(path)
    name = path.name
    _check_prolog(path, name)
    collector = _Collector()
    # Only the root's start and each CHILD's end reach Python; the rest is parsed in C.
    context = etree.iterparse(
        str(path), events=("start", "end"), tag=(f"{{*}}{ROOT}", "{*}CHILD"), resolve_entities=False,
        no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True,
    )
    root = None
    try:
        for event, elem in context:
            if root is None:
                root = elem  # the prolog check has vetted it
            elif event == "end" and elem.getparent() is root:
                collector.add_child(elem)
                elem.clear(keep_tail=False)
                while elem.getprevious() is not None:
                    del root[0]  # free children already read
    except etree.XMLSyntaxError as exc:
        raise Ssda903ReadError(f"{name}: malformed XML near line {exc.lineno}") from None
    for elem in root if root is not None else ():  # anything left under the root is not a CHILD
        if isinstance(elem.tag, str) and _local(elem.tag) != "CHILD":
            collector.unknown[_local(elem.tag)] += 1
    return collector.result(name)
