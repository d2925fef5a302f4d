"""The DfE's CIN census XSD as a check inside the product: every schema error becomes a finding.

The schemas ship in ``data/xsd/cin/`` (``CIN_schema_2023.xsd`` .. ``_2026.xsd``, by collection year).
2027 has no DfE schema yet: it is checked against the 2026 schema with the draft
``PreProceedingsandFGDM`` block allowed (any content, not validated) as the last item of ``CINdetails``,
which is the layout the writer uses for 2027.

Validation streams: each ``<Child>`` is validated on its own (the schema, parsed once per year, gains
global ``Child`` and ``Header`` elements of the XSD's own ``childtype`` and ``headertype``), so memory
follows one child, not the file. The ``Message`` level (``Header`` then ``Children``, at least one
``Child``, nothing else) is checked by hand against the same XSD rules. Schemas and files are parsed
with entities, DTDs and network access off.

A finding is rule ``XSD``, severity ``error``, table = the element's parent block, field = the element,
child_id = the child's LAchildID, row empty (the line is in the message). libxml2's own messages quote
values, so the message is built from the element name and the error type only: it never holds a value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEMA_YEARS", "XsdCheck", "check_cin_xml", "has_schema", "issues_frame", "schema_file", "schema_year"]

# statreturns.reference.data_path("xsd", "cin"), spelt out: this module is imported by the reader's
# worker process (see statreturns.cin.xml_stream), which loads lxml only, not pandas.
XSD_DIR = Path(__file__).resolve().parent.parent.parent / "data" / "xsd" / "cin"

XS = "http://www.w3.org/2001/XMLSchema"
SCHEMA_YEARS = range(2023, 2027)  # collection years with a DfE XSD in data/xsd/cin
DRAFT_FALLBACK = {2027: 2026}  # no XSD yet: the previous year's, plus the draft block
RULE = "XSD"

# libxml2 schema error types, in plain words; others are named by their libxml2 type.
_REASONS = {
    "SCHEMAV_CVC_ENUMERATION_VALID": "the value is blank or not one of the codes the XSD allows",
    "SCHEMAV_CVC_PATTERN_VALID": "the value does not have the form the XSD requires",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "the value is not of the XSD's type (dates are yyyy-mm-dd)",
    "SCHEMAV_CVC_LENGTH_VALID": "the value does not have the length the XSD requires",
    "SCHEMAV_CVC_MINLENGTH_VALID": "the value is blank or shorter than the XSD allows",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "the value is longer than the XSD allows",
    "SCHEMAV_CVC_MININCLUSIVE_VALID": "the value is below the XSD's minimum",
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": "the value is above the XSD's maximum",
    "SCHEMAV_CVC_TOTALDIGITS_VALID": "the value has more digits than the XSD allows",
    "SCHEMAV_ELEMENT_CONTENT": "an element is missing, out of order, repeated or not allowed here",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "holds text where the XSD allows only elements",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "a required element is missing",
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2": "has an attribute the XSD does not allow",
    "SCHEMAV_CVC_ELT_1": "is not an element the XSD declares",
    "SCHEMAV_CVC_TYPE_3_1_1": "has an attribute the XSD does not allow",
    "SCHEMAV_CVC_TYPE_3_1_2": "holds elements where the XSD expects a value",
}
# An element name from the file is shown only if it looks like one (it is structure, not a value).
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,80}")
_INDEX = re.compile(r"\[\d+\]$")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")


def has_schema(year: int) -> bool:
    """True for the collection years this module can check (2023-2026, and 2027 by its fallback)."""
    return year in SCHEMA_YEARS or year in DRAFT_FALLBACK


def schema_year(year: int) -> int:
    """The year of the DfE XSD used for collection ``year`` (2027: 2026, see the module docstring)."""
    if year in SCHEMA_YEARS:
        return year
    if year in DRAFT_FALLBACK:
        return DRAFT_FALLBACK[year]
    raise ValueError(f"no CIN census XSD for collection year {year} (shipped: {SCHEMA_YEARS[0]}-"
                     f"{SCHEMA_YEARS[-1]}, 2027 checked against 2026)")


def schema_file(year: int) -> Path:
    """The shipped DfE XSD file for collection ``year`` (for 2027, the 2026 file)."""
    return XSD_DIR / f"CIN_schema_{schema_year(year)}.xsd"


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@cache
def _schema(year: int) -> etree.XMLSchema:
    """The year's XSD with global ``Child`` and ``Header`` elements added (and 2027's draft block)."""
    tree = etree.parse(str(schema_file(year)), _safe_parser())
    root = tree.getroot()
    if year in DRAFT_FALLBACK:
        sequence = root.find(f"{{{XS}}}complexType[@name='cindetailstype']/{{{XS}}}sequence")
        draft = etree.SubElement(sequence, f"{{{XS}}}element", name="PreProceedingsandFGDM", minOccurs="0",
                                 maxOccurs="unbounded")
        any_content = etree.SubElement(etree.SubElement(draft, f"{{{XS}}}complexType"), f"{{{XS}}}sequence")
        etree.SubElement(any_content, f"{{{XS}}}any", processContents="skip", minOccurs="0", maxOccurs="unbounded")
    for name, type_name in (("Child", "childtype"), ("Header", "headertype")):
        etree.SubElement(root, f"{{{XS}}}element", name=name, type=type_name)
    return etree.XMLSchema(tree)


def _reason(entry: etree._LogEntry) -> str:
    """Plain words for a schema error, from its type and libxml2's fixed phrases, never its values."""
    reason = _REASONS.get(entry.type_name, f"does not conform to the XSD ({entry.type_name})")
    if entry.type_name == "SCHEMAV_ELEMENT_CONTENT":
        if "Missing child element" in entry.message:
            reason = "lacks a required element"
        elif "not expected" in entry.message:
            reason = "is not expected here (unknown, repeated, out of order, or an element before it is missing)"
        # Element names the XSD expects are structure, not data: they help find the fix.
        expected = _EXPECTED.search(entry.message)
        names = [n.strip() for n in expected.group(1).split(",")] if expected else []
        names = [n for n in names if _NAME.fullmatch(n)]
        if names:
            reason += f"; expected: {', '.join(names)}"
    return reason


def _local(tag: object) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _shown(name: str) -> str:
    return name if _NAME.fullmatch(name) else "(an element)"


@dataclass
class XsdCheck:
    """Collects the XSD findings of one file while it streams past (see :func:`check_cin_xml`)."""

    year: int
    rows: list[tuple] = field(default_factory=list)
    children: int = 0

    def __post_init__(self) -> None:
        self.schema = _schema(self.year)
        self.used = schema_year(self.year)

    def _finding(self, table: str, name: str, child_id: str, line: int | None, reason: str) -> None:
        where = f"line {line}" if line else "line unknown"
        self.rows.append(("cin", self.year, RULE, "error", table, name, child_id, "",
                          f"{where}: {_shown(name)}: {reason} (DfE CIN XSD {self.used})"))

    def _validate(self, el: etree._Element, root_name: str, child_id: str) -> None:
        if self.schema.validate(el):
            return
        for entry in self.schema.error_log:
            steps = [_INDEX.sub("", s) for s in (entry.path or "").split("/") if s]
            name = steps[-1] if steps else root_name
            table = steps[-2] if len(steps) > 1 else root_name
            self._finding(table, name, child_id, entry.line, _reason(entry))

    def header(self, el: etree._Element) -> None:
        self._validate(el, "Header", "")

    def child(self, el: etree._Element, child_id: str | None) -> None:
        """Validate one ``<Child>``; call it before the element is cleared."""
        self.children += 1
        self._validate(el, "Child", child_id or "")

    def stray(self, el: etree._Element, parent: str) -> None:
        """An element the XSD does not allow at the Message or Children level."""
        self._finding(parent, _local(el.tag), "", el.sourceline, "is not allowed here by the XSD")

    def finish(self, root: etree._Element, children: etree._Element | None) -> None:
        """Message-level structure: Header (optional) then Children, with at least one Child."""
        seen: list[str] = []
        for el in root:
            if not isinstance(el.tag, str):
                continue
            name = _local(el.tag)
            if name not in ("Header", "Children") or name in seen or (name == "Header" and seen):
                self.stray(el, "Message")
            seen.append(name)
        if children is not None:
            for el in children:
                if isinstance(el.tag, str) and _local(el.tag) != "Child":
                    self.stray(el, "Children")
            if self.children == 0:
                self._finding("Message", "Children", "", children.sourceline,
                              "holds no Child element (the XSD requires at least one)")

    def issues(self) -> pd.DataFrame:
        return issues_frame(self.rows)


def issues_frame(rows: list[tuple]) -> pd.DataFrame:
    """XSD finding rows (as ``XsdCheck.rows``) as an issues frame."""
    import pandas as pd

    from statreturns.engine import ISSUE_COLUMNS

    return pd.DataFrame(rows, columns=ISSUE_COLUMNS).astype({"year": "int64"})


def _siblings_before(el: etree._Element) -> Iterator[etree._Element]:
    prev = el.getprevious()
    while prev is not None:
        yield prev
        prev = prev.getprevious()


def check_cin_xml(path: str | os.PathLike[str], year: int) -> pd.DataFrame:
    """XSD findings (issues.csv columns, rule ``XSD``) of a CIN census file against ``year``'s schema.

    Streams the file. Raises ``lxml.etree.XMLSyntaxError`` if it is not well-formed XML (read it with
    :func:`statreturns.cin.xml_reader.read_cin_xml` for a finding-free error naming file and line).
    """
    check = XsdCheck(year)
    root = children = None
    context = etree.iterparse(os.fspath(path), events=("start", "end"), tag=["{*}Header", "{*}Children", "{*}Child"],
                              resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                              remove_comments=True, remove_pis=True)
    for event, el in context:
        if root is None:
            root = el.getroottree().getroot()
        name = _local(el.tag)
        if event == "start":
            if name == "Children" and children is None and el.getparent() is root:
                children = el
            continue
        if name == "Child" and children is not None and el.getparent() is children:
            for prev in _siblings_before(el):
                if isinstance(prev.tag, str) and _local(prev.tag) != "Child":
                    check.stray(prev, "Children")
            check.child(el, (el.findtext("{*}ChildIdentifiers/{*}LAchildID") or "").strip())
            el.clear(keep_tail=True)
            while el.getprevious() is not None:
                del children[0]
        elif name == "Header" and el.getparent() is root:
            check.header(el)
    if root is None:
        root = context.root
    check.finish(root, children)
    return check.issues()
