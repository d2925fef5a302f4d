"""Limits on one input file, stated and enforced (issue #17): past a row limit the row is quarantined,
past a file limit the file is refused with ``<file>: <limit> exceeded`` before it costs time or memory.

Defaults are generous for a real council or school (a 2 GB CSV still streams); each can be set per
source in the sources YAML under ``limits:`` (see :func:`parse_limits`).

============================  =================  ===========================================================
limit                         default            what happens past it
============================  =================  ===========================================================
``max_file_bytes``            8 GiB              the file is refused before it is landed (any kind)
``max_rows``                  20,000,000         the file is refused (rows of one file, all sheets/tables)
``max_field_chars``           131,072 (128 Ki)   the row is quarantined as ``field_too_long:<column>``
``max_member_bytes``          1 GiB              xlsx: refused if a zip member inflates to more than this
``max_unzipped_bytes``        4 GiB              xlsx: refused if all members together inflate to more
``max_compression_ratio``     100                xlsx: refused if a member over 1 MiB inflates more than this
``max_zip_members``           10,000             xlsx: refused if the zip holds more members
``max_xml_depth``             64                 XML (SIMS, CTF): refused if elements nest deeper
============================  =================  ===========================================================

The xlsx checks read the zip's central directory only, before anything is inflated; inflation then
streams (openpyxl read-only) and :mod:`zipfile` never returns more bytes than the directory declares, so a
member that lies about its size ends in a CRC error, never in more output. XML is parsed with lxml's
``huge_tree`` off (libxml2's own caps: 256 levels, 10 MB per text node) and its size is ``max_file_bytes``.
``max_field_chars`` is the ``csv`` module's own default field limit, four times Excel's cell limit (32,767).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

GIB = 1 << 30
MIB = 1 << 20
RATIO_FLOOR_BYTES = MIB  # smaller members may compress arbitrarily well (a sheet of blanks) and cost nothing


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 8 * GIB
    max_rows: int = 20_000_000
    max_field_chars: int = 131_072
    max_member_bytes: int = GIB
    max_unzipped_bytes: int = 4 * GIB
    max_compression_ratio: int = 100
    max_zip_members: int = 10_000
    max_xml_depth: int = 64


DEFAULT = Limits()
NAMES = tuple(f.name for f in dataclasses.fields(Limits))
_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|KIB|MB|MIB|GB|GIB|K|M|G)?\s*$", re.IGNORECASE)
_UNITS = {None: 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": MIB, "MB": MIB, "MIB": MIB,
          "G": GIB, "GB": GIB, "GIB": GIB}


def parse_limits(entry: object, where: str) -> tuple[Limits | None, str | None]:
    """(limits, None) from a sources entry's ``limits`` mapping, or (None, the problem).

    Values are positive whole numbers; the byte limits also take a unit (``500 MB``, ``2 GiB``: binary units).
    """
    if entry is None:
        return DEFAULT, None
    if not isinstance(entry, dict):
        return None, f"{where}: expected a mapping of limit: value"
    unknown = sorted(map(str, set(entry) - set(NAMES)))
    if unknown:
        return None, f"{where}: unknown limit(s): {', '.join(unknown)} (one of {', '.join(NAMES)})"
    values = {}
    for key, value in entry.items():
        number = _number(value, key.endswith("_bytes"))
        if number is None or number <= 0:
            return None, f"{where}.{key}: expected a positive whole number"
        values[key] = number
    return dataclasses.replace(DEFAULT, **values), None


def _number(value: object, sized: bool) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if sized and isinstance(value, str):
        found = _SIZE.match(value)
        if found:
            return int(found.group(1)) * _UNITS[found.group(2).upper() if found.group(2) else None]
    return None


def exceeded(limit: str, value: int | float, allowed: int) -> str:
    """The reason a file is refused: ``<limit> exceeded`` and the numbers (sizes and counts, no data)."""
    return f"{limit} exceeded ({value:,.0f} > {allowed:,})"
