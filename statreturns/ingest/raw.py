"""What every reader yields: a chunk of one raw table, all cells text, with the line each row came from."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from statreturns.ingest.profiles import norm_header


@dataclass
class RawChunk:
    raw_name: str  # the raw table: file stem, sheet name, XML record element or query name
    file: str  # the file name quarantine rows point at
    frame: pd.DataFrame  # columns as the source spells them, object dtype, None for blank
    lines: np.ndarray  # the source line (or record number) of each row
    bad: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"line": [], "reason": []}))
    # rows the reader itself could not split into fields: counted in, quarantined, never mapped
    encoding: str | None = None  # text files: the encoding read (for the landing register)
    header_line: int | None = None


def find_header(rows: list[list[str]], known: set[str], file: str) -> int:
    """The 0-based index of the header row among the first rows: the one naming most known columns.

    Report exports put titles, dates and blank lines above the header. Without any known name we take
    the first row with the most non-empty cells.
    """
    if not rows:
        from statreturns.ingest.errors import IngestError

        raise IngestError(file, "empty file (no header row)")
    scores = [sum(norm_header(c) in known for c in row if c) for row in rows]
    if max(scores) > 0:
        return int(np.argmax(scores))
    filled = [sum(bool(str(c).strip()) for c in row) for row in rows]
    return int(np.argmax(filled))


def header_names(cells: list[object]) -> list[str]:
    """Header cells as column names: blanks (e.g. the tail of a merged cell) and repeats made unique."""
    out: list[str] = []
    for i, cell in enumerate(cells):
        name = str(cell).strip() if cell is not None and str(cell).strip() else f"column_{i + 1}"
        base, n = name, 2
        while name in out:
            name, n = f"{base}_{n}", n + 1
        out.append(name)
    return out
