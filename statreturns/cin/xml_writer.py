"""Write raw CIN frames (the :mod:`statreturns.cin.tables` layout) as a CIN census XML file.

Element order follows the DfE XSD of the collection year (``CIN_schema_2023.xsd`` .. ``_2026.xsd``);
2027 has no XSD yet, so it uses the 2026 layout plus the draft ``PreProceedingsandFGDM`` block as the
last item of ``CINdetails`` (where ``cin_notes.md`` places it). Choices the XSDs leave to us:

- Values are stripped. Optional elements are left out when blank; required ones are written empty
  (``<X/>``) when blank, so the file keeps the XSD's structure and only that value is wrong. A Reviews
  row with no date is written as ``<CPPreviewDate/>`` in its plan's ``<Reviews>`` (the reader's form of
  an empty group), so it survives a round trip; blank disabilities and factors are left out.
- 2023-24 write ``GenderCurrent``, 2025 on ``Sex``. Where that column is blank the other one is
  translated (1/2/0/9 <-> M/F/U/U); a value outside those codes is written unchanged.
- Yes/no items are written as 0/1, the only spelling the 2023-2026 XSDs accept; true/false (any case),
  y/n and yes/no are translated, any other value is written unchanged so the defect stays visible.
- Rows link to their parents by key: children by ``LAchildID`` (in ChildIdentifiers order),
  sub-blocks by ``CINdetailsID``, factors by ``AssessmentID``, reviews by ``CPPID``; within a parent,
  rows keep their frame order. If several children share one LAchildID, characteristics are matched
  by order of appearance but all their disabilities and episodes go under the first of them (the
  frames cannot tell them apart). Rows whose parent key matches no parent are not written.

The whole document is built column-wise with pyarrow string kernels (no Python loop over rows), so
500,000 children take seconds. The output is the same bytes for the same input: no clock is read
(DateTime defaults to the reference date at midnight). The file is written to a temporary file in
the target folder, fsynced and renamed over the target.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from statreturns.cin.tables import CHILD, COLUMNS
from statreturns.files import open_atomic

__all__ = ["DEFAULT_RELEASE", "YEARS", "write_cin_xml"]

YEARS = range(2023, 2028)
DEFAULT_RELEASE = "1.0"
_CHUNK = 20_000  # children per write call

# Elements the XSDs require (minOccurs=1); the same in the 2023-2026 XSDs.
_REQUIRED = frozenset({
    "LAchildID", "GenderCurrent", "Sex", "Ethnicity", "CINreferralDate", "ReferralSource", "ReferralNFA",
    "AssessmentActualStartDate", "CINPlanStartDate", "S47ActualStartDate", "ICPCnotRequired",
    "CPPstartDate", "InitialCategoryOfAbuse", "LatestCategoryOfAbuse", "NumberOfPreviousCPP",
})
_KEYS = frozenset({CHILD, "CINdetailsID", "AssessmentID", "CPPID"})
_YES_NO = {"CINdetails": ["ReferralNFA"], "Section47": ["ICPCnotRequired"],
           "PreProceedings": ["FGDMMeetingOffer", "FGDMMeetingFac"]}
# (true, false) spelling each year's XSD accepts: yesnotype is 0/1 in 2023-2026; 2027 assumed the same.
_YES_NO_SPELLING = {year: ("1", "0") for year in YEARS}
_TRUE = ("true", "1", "y", "yes")
_FALSE = ("false", "0", "n", "no")
_SEX_FROM_GENDER = {"1": "M", "2": "F", "0": "U", "9": "U"}
_GENDER_FROM_SEX = {"M": "1", "F": "2", "U": "0"}
_CINDETAILS_HEAD = ["CINreferralDate", "ReferralSource", "PrimaryNeedCode", "CINclosureDate", "ReasonForClosure",
                    "DateOfInitialCPC"]

_S = pa.large_string()  # 64-bit offsets: a national file can pass the 2 GB of a plain string array
_EMPTY = pa.scalar("", _S)
_NULL = pa.scalar(None, _S)
_NO_KEY = "\x00"  # stands for a blank key; \x00 cannot occur in values (refused below)
_NON_CHARS = r"[\x{FFFE}\x{FFFF}]"  # not allowed in XML 1.0
_ESCAPES = [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")]


def _escape(text: str) -> str:
    for char, entity in _ESCAPES:
        text = text.replace(char, entity)
    return text


def _s(text: str) -> pa.Scalar:
    return pa.scalar(text, _S)


def _join(*parts: pa.Array | pa.Scalar) -> pa.Array:
    """Element-wise concatenation; null wherever any part is null."""
    return pc.binary_join_element_wise(*parts, _EMPTY)


def _to_arrow(series: pd.Series) -> pa.Array:
    if pd.api.types.is_datetime64_any_dtype(series):  # parsed dates given instead of raw text
        series = series.dt.strftime("%Y-%m-%d")
    values = series.to_numpy(dtype=object)
    try:
        return pa.array(values, type=_S, from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        # Non-string cells (e.g. numbers from another producer): write their text.
        return pa.array([None if pd.isna(v) else str(v) for v in values], type=_S)


# Byte classes of UTF-8 text: 1 = not allowed in XML 1.0 (C0 controls but tab, LF, CR), 2 = to escape,
# 3 = 0xEF, the lead byte of U+FFFE/U+FFFF (also not allowed), checked with a regex only when seen.
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[[b for b in range(0x20) if b not in (0x09, 0x0A, 0x0D)]] = 1
_BYTE_CLASS[[ord("&"), ord("<"), ord(">"), 0x0D]] = 2
_BYTE_CLASS[0xEF] = 3


def _byte_classes(text: pa.Array) -> np.ndarray:
    """How many bytes of each class (see _BYTE_CLASS) the values of ``text`` hold."""
    data = text.buffers()[2]
    if data is None or len(text) == 0:
        return np.zeros(4, dtype=np.int64)
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)[text.offset:text.offset + len(text) + 1]
    raw = np.frombuffer(data, dtype=np.uint8)[offsets[0]:offsets[-1]]
    return np.bincount(_BYTE_CLASS[raw], minlength=4)


def _clean(frame: pd.DataFrame, table: str, col: str) -> pa.Array:
    """Stripped, XML-escaped text of one column; null where blank or absent."""
    if col not in frame.columns:
        return pa.nulls(len(frame), _S)
    text = pc.utf8_trim_whitespace(_to_arrow(frame[col]))
    text = pc.if_else(pc.equal(text, _EMPTY), _NULL, text)
    classes = _byte_classes(text)
    if classes[1] or (classes[3] and pc.any(pc.match_substring_regex(text, _NON_CHARS)).as_py()):
        raise ValueError(f"{table}.{col}: some values hold characters XML cannot carry")
    if classes[2]:
        for char, entity in _ESCAPES:
            text = pc.replace_substring(text, char, entity)
    return text


def _translate(text: pa.Array, mapping: dict[str, str], lookup: pa.Array | None = None) -> pa.Array:
    """``mapping`` applied to ``lookup`` (default ``text``); ``text`` unchanged where it has no entry."""
    found = pc.index_in(text if lookup is None else lookup, value_set=pa.array(list(mapping), _S))
    return pc.coalesce(pc.take(pa.array(list(mapping.values()), _S), found), text)


def _leaf(text: pa.Array, name: str, depth: int) -> pa.Array:
    """Each row's ``<name>value</name>`` line: empty if blank, ``<name/>`` if blank but required."""
    pad = "  " * depth
    lines = _join(_s(f"{pad}<{name}>"), text, _s(f"</{name}>\n"))
    return pc.fill_null(lines, _s(f"{pad}<{name}/>\n" if name in _REQUIRED else ""))


def _wrap(body: pa.Array, name: str, depth: int) -> pa.Array:
    """``<name>`` around each row's body; null bodies stay null."""
    pad = "  " * depth
    return _join(_s(f"{pad}<{name}>\n"), body, _s(f"{pad}</{name}>\n"))


def _group_concat(keys: pa.Array, values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Distinct keys (in order of first appearance) and, for each, its values concatenated in order."""
    encoded = pc.dictionary_encode(keys)
    if len(encoded.dictionary) == len(keys):  # every key once (the usual case): nothing to join
        return encoded.dictionary, values
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(codes, minlength=len(encoded.dictionary)))])
    lists = pa.LargeListArray.from_arrays(pa.array(offsets, pa.int64()), values.take(pa.array(order)))
    return encoded.dictionary, pc.binary_join(lists, _EMPTY)


def _lookup(parent_keys: pa.Array, keys: pa.Array, values: pa.Array) -> pa.Array:
    """For each parent key, the concatenated ``values`` of the rows with that key (null if none)."""
    if len(keys) == 0:
        return pa.nulls(len(parent_keys), _S)
    distinct, joined = _group_concat(keys, values)
    if distinct.equals(parent_keys):  # one row per parent, in parent order
        return joined
    return pc.take(joined, pc.index_in(parent_keys, value_set=distinct))


class _Builder:
    """Renders the Children part of the document, one pyarrow string per child."""

    def __init__(self, frames: dict[str, pd.DataFrame], year: int) -> None:
        self.year = year
        self.frames = {name: frames[name].reset_index(drop=True) if name in frames
                       else pd.DataFrame(columns=COLUMNS[name]) for name in COLUMNS}

    def text(self, table: str, col: str) -> pa.Array:
        text = _clean(self.frames[table], table, col)
        if col in _YES_NO.get(table, ()):
            yes, no = _YES_NO_SPELLING[self.year]
            spelling = dict.fromkeys(_TRUE, yes) | dict.fromkeys(_FALSE, no)
            text = _translate(text, spelling, lookup=pc.utf8_lower(text))
        return text

    def key(self, table: str, col: str) -> pa.Array:
        return pc.fill_null(self.text(table, col), _s(_NO_KEY))

    def lines(self, table: str, columns: list[str], depth: int) -> list[pa.Array]:
        """The leaf lines of ``columns``, one array per column (at least one array)."""
        texts = [(c, self.text(table, c)) for c in columns]
        # A column blank on every row adds nothing unless the XSD requires its element.
        lines = [_leaf(t, c, depth) for c, t in texts if c in _REQUIRED or t.null_count < len(t)]
        return lines or [pa.array([""] * len(self.frames[table]), _S)]

    def listed(self, table: str, col: str, parent: str, parent_keys: pa.Array, wrapper: str,
               depth: int, *, keep_blank: bool = False) -> pa.Array:
        """A list block (e.g. <Disabilities>) for each parent key; "" where it has no items.

        Blank items are left out, unless ``keep_blank``: then each is written as an empty element
        (``<CPPreviewDate/>``), so a group that had no value keeps its place in the file.
        """
        text = self.text(table, col)
        keys = self.key(table, parent)
        if keep_blank:
            pad = "  " * (depth + 1)
            items = pc.fill_null(_join(_s(f"{pad}<{col}>"), text, _s(f"</{col}>\n")), _s(f"{pad}<{col}/>\n"))
        else:
            present = pc.is_valid(text)
            items = _leaf(text, col, depth + 1).filter(present)
            keys = keys.filter(present)
        inner = _lookup(parent_keys, keys, items)
        return pc.fill_null(_wrap(inner, wrapper, depth), _EMPTY)

    def repeated(self, table: str, element: str, parent_keys: pa.Array, depth: int,
                 extra: pa.Array | None = None) -> pa.Array:
        """Each parent's repeating blocks (e.g. <Section47>), concatenated; "" where it has none."""
        lines = self.lines(table, [c for c in COLUMNS[table] if c not in _KEYS], depth + 1)
        if extra is not None:
            lines.append(extra)
        pad = "  " * depth
        # One join per block, wrapper included: each extra pass copies every byte again.
        blocks = _join(_s(f"{pad}<{element}>\n"), *lines, _s(f"{pad}</{element}>\n"))
        return pc.fill_null(_lookup(parent_keys, self.key(table, "CINdetailsID"), blocks), _EMPTY)

    def episodes(self, child_keys: pa.Array) -> pa.Array:
        """Each child's <CINdetails> blocks, concatenated."""
        episode_keys = self.key("CINdetails", "CINdetailsID")
        factors = self.listed("AssessmentFactorsList", "AssessmentFactors", "AssessmentID",
                              self.key("Assessments", "AssessmentID"), "FactorsIdentifiedAtAssessment", 5)
        reviews = self.listed("Reviews", "CPPreviewDate", "CPPID", self.key("ChildProtectionPlans", "CPPID"),
                              "Reviews", 5, keep_blank=True)
        parts = [
            _s("      <CINdetails>\n"),
            *self.lines("CINdetails", _CINDETAILS_HEAD, 4),
            self.repeated("Assessments", "Assessments", episode_keys, 4, extra=factors),
            self.repeated("CINplanDates", "CINPlanDates", episode_keys, 4),
            self.repeated("Section47", "Section47", episode_keys, 4),
            *self.lines("CINdetails", ["ReferralNFA"], 4),
            self.repeated("ChildProtectionPlans", "ChildProtectionPlans", episode_keys, 4, extra=reviews),
        ]
        if self.year >= 2027:
            parts.append(self.repeated("PreProceedings", "PreProceedingsandFGDM", episode_keys, 4))
        blocks = _join(*parts, _s("      </CINdetails>\n"))
        return pc.fill_null(_lookup(child_keys, self.key("CINdetails", CHILD), blocks), _EMPTY)

    def sex(self) -> tuple[str, pa.Array]:
        """This year's sex element, falling back to the other column translated."""
        sex, gender = self.text("ChildIdentifiers", "Sex"), self.text("ChildIdentifiers", "GenderCurrent")
        if self.year >= 2025:
            return "Sex", pc.coalesce(sex, _translate(gender, _SEX_FROM_GENDER))
        return "GenderCurrent", pc.coalesce(gender, _translate(sex, _GENDER_FROM_SEX))

    def identifiers(self) -> list[pa.Array]:
        sex_name, sex_text = self.sex()
        lines = []
        for col in COLUMNS["ChildIdentifiers"]:
            if col == "GenderCurrent":  # the slot of GenderCurrent/Sex in every XSD
                lines.append(_leaf(sex_text, sex_name, 4))
            elif col != "Sex":
                lines.append(_leaf(self.text("ChildIdentifiers", col), col, 4))
        return lines

    def ethnicity(self, child_keys: pa.Array) -> pa.Array:
        """Ethnicity line of each child, matching the n-th child with a key to its n-th characteristics."""
        own = _occurrence_keys(self.key("ChildCharacteristics", CHILD))
        lines = self.lines("ChildCharacteristics", ["Ethnicity"], 4)[0]
        found = pc.take(lines, pc.index_in(_occurrence_keys(child_keys), value_set=own))
        return pc.fill_null(found, _s("        <Ethnicity/>\n"))

    def children(self) -> list[pa.Array | pa.Scalar]:
        """The parts whose row-wise concatenation is each child's <Child> element."""
        child_keys = self.key("ChildIdentifiers", CHILD)
        first = _first_occurrence(child_keys)
        disabilities = self.listed("Disabilities", "Disability", CHILD, child_keys, "Disabilities", 4)
        return [
            _s("    <Child>\n      <ChildIdentifiers>\n"), *self.identifiers(),
            _s("      </ChildIdentifiers>\n      <ChildCharacteristics>\n"), self.ethnicity(child_keys),
            pc.if_else(first, disabilities, _EMPTY), _s("      </ChildCharacteristics>\n"),
            pc.if_else(first, self.episodes(child_keys), _EMPTY), _s("    </Child>\n"),
        ]


def _occurrence_keys(keys: pa.Array) -> pa.Array:
    """``key \\x00 n`` where n counts earlier rows with the same key (0 for the first)."""
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False)
    nth = pd.Series(codes).groupby(codes).cumcount().astype(str).to_numpy(dtype=object)
    return _join(keys, _s("\x00"), pa.array(nth, _S))


def _first_occurrence(keys: pa.Array) -> pa.Array:
    codes = pc.dictionary_encode(keys).indices.to_numpy(zero_copy_only=False)
    first = np.zeros(len(codes), dtype=bool)
    first[np.unique(codes, return_index=True)[1]] = True
    return pa.array(first)


def _write_children(fh: BinaryIO, parts: list[pa.Array | pa.Scalar], count: int) -> None:
    """Join the parts of a slice of children at a time and write the UTF-8 bytes straight from arrow."""
    for start in range(0, count, _CHUNK):
        chunk = _join(*[p if isinstance(p, pa.Scalar) else p.slice(start, _CHUNK) for p in parts])
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset:chunk.offset + len(chunk) + 1]
        fh.write(memoryview(chunk.buffers()[2])[offsets[0]:offsets[-1]])


def _header(year: int, lea: str | None, reference_date: str, software_code: str, release: str,
            serial_no: str, date_time: str) -> str:
    def leaf(name: str, value: str | None) -> str:
        return f"      <{name}>{_escape(value)}</{name}>\n" if value else f"      <{name}/>\n"

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Message>\n  <Header>\n    <CollectionDetails>\n'
        + leaf("Collection", "CIN") + leaf("Year", str(year)) + leaf("ReferenceDate", reference_date)
        + "    </CollectionDetails>\n    <Source>\n"
        + leaf("SourceLevel", "L") + leaf("LEA", lea) + leaf("SoftwareCode", software_code)
        + leaf("Release", release) + leaf("SerialNo", serial_no) + leaf("DateTime", date_time)
        + "    </Source>\n  </Header>\n  <Children>\n"
    )


def _atomic_write(path: Path, head: str, children: list[pa.Array | pa.Scalar], count: int, tail: str) -> None:
    with open_atomic(path) as fh:
        fh.write(head.encode("utf-8"))
        _write_children(fh, children, count)
        fh.write(tail.encode("utf-8"))


def write_cin_xml(frames: dict[str, pd.DataFrame], path: str | os.PathLike[str], *, year: int,
                  lea: str | None, reference_date: str | None = None, software_code: str = "statreturns",
                  release: str = DEFAULT_RELEASE, serial_no: str = "001", date_time: str | None = None) -> Path:
    """Write ``frames`` as the CIN census XML of collection ``year`` (2023-2027) and return the path.

    ``reference_date`` defaults to 31 March of ``year`` and ``date_time`` to that date at midnight, so
    the same frames always give the same bytes. ``lea`` None falls back to the Header frame's LEA.
    """
    if year not in YEARS:
        raise ValueError(f"CIN census year {year} is not supported (supported: {YEARS[0]}-{YEARS[-1]})")
    if lea is None and "Header" in frames and len(frames["Header"]):
        header_lea = frames["Header"]["LEA"].iloc[0]
        lea = None if pd.isna(header_lea) else str(header_lea).strip()
    reference_date = reference_date or f"{year}-03-31"
    date_time = date_time or f"{reference_date}T00:00:00"
    builder = _Builder(frames, year)
    children = builder.children()
    head = _header(year, lea, reference_date, software_code, release, serial_no, date_time)
    path = Path(path)
    _atomic_write(path, head, children, len(builder.frames["ChildIdentifiers"]), "  </Children>\n</Message>\n")
    return path
