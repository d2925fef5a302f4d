"""The DfE Common Transfer File (``CTfile/CTFpupilData/Pupil``), read one pupil at a time.

Three raw tables come out: ``Pupil`` (one row per pupil: the pupil's own items, ``BasicDetails`` and
``LookedAfter`` items by their element name, and the latest SEN provision as ``SENprovision``),
``SENhistory`` (one row per ``SEN`` entry) and ``SchoolHistory`` (one row per ``School``), both keyed
by the pupil's ``UPN``. Element names follow the CBDS; older files say ``Gender`` for ``Sex``. Some
suppliers write ``Pupils`` for ``CTFpupilData``: only the ``Pupil`` elements matter here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import DEFAULT, Limits
from statreturns.ingest.raw import RawChunk
from statreturns.ingest.xmlsafe import iter_elements, localname

FLATTEN = ("BasicDetails", "LookedAfter")


def _text(elem) -> str | None:
    return elem.text.strip() or None if elem.text else None


def read_ctf(path: Path, limits: Limits = DEFAULT) -> Iterator[RawChunk]:
    pupils, sen, schools = [], [], []
    p_lines, s_lines, h_lines = [], [], []
    elements = iter_elements(path, "Pupil", limits)
    root = next(elements, None)
    if root is None or localname(root.tag) != "CTfile":
        found = localname(root.tag) if root is not None else "nothing"
        raise IngestError(path.name, f"not a Common Transfer File (root element {found}, expected CTfile)")
    for pupil in elements:
        row: dict[str, str | None] = {}
        own_sen: list[dict] = []
        own_schools: list[dict] = []
        for child in pupil:
            name = localname(child.tag)
            if name in FLATTEN:
                row.update({localname(c.tag): _text(c) for c in child if len(c) == 0})
            elif name == "SENhistory":
                for entry in child.iter("{*}SEN", "SEN"):
                    own_sen.append({localname(c.tag): _text(c) for c in entry if len(c) == 0})
                    s_lines.append(entry.sourceline or 0)
            elif name == "SchoolHistory":
                for school in child.iter("{*}School", "School"):
                    own_schools.append({localname(c.tag): _text(c) for c in school if len(c) == 0})
                    h_lines.append(school.sourceline or 0)
            elif len(child) == 0 and name:
                row[name] = _text(child)
        if own_sen:
            row["SENprovision"] = own_sen[-1].get("SENprovision")
        sen.extend({"UPN": row.get("UPN"), **e} for e in own_sen)
        schools.extend({"UPN": row.get("UPN"), **e} for e in own_schools)
        pupils.append(row)
        p_lines.append(pupil.sourceline or 0)
    yield _chunk(path, "Pupil", pupils, p_lines)
    if sen:
        yield _chunk(path, "SENhistory", sen, s_lines)
    if schools:
        yield _chunk(path, "SchoolHistory", schools, h_lines)


def _chunk(path: Path, name: str, rows: list[dict], lines: list[int]) -> RawChunk:
    frame = pd.DataFrame.from_records(rows).astype("object") if rows else pd.DataFrame()
    return RawChunk(name, path.name, frame.where(frame.notna(), None), np.asarray(lines, dtype="int64"))
