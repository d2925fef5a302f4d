"""Purging derived files under the run folder: Parquet and CSV edited row by row, the rest withdrawn.

Tables (Parquet, CSV) that carry a key column lose the rows of destroyed or anonymised subjects and have
destroyed columns blanked; the warehouse is the source to rebuild from. Files that cannot be edited row
by row (XML, HTML, XLSX, zipped packs, JSON, text) are scanned for the subjects' keys and removed when
they hold one: reported as "withdrawn — rebuild" (so are due lists under ``retention/due``). The landing
area and the retention plans have their own rules and are skipped here.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from statreturns.files import unneutralise, write_bytes_atomic, write_csv_atomic

# Key columns by subject key: canonical names and the return formats' own spellings.
KEY_COLUMNS = {"child_id": ("child_id", "CHILD", "LAchildID"), "pupil_id": ("pupil_id",)}
SKIP_DIRS = {"landing", "dagster", "dagster_home", ".dagster"}
PLANS = ("retention", "plans")  # plan folders: their detail is redacted by apply itself
SKIP_SUFFIXES = {".sqlite", ".sqlite-journal", ".sqlite-wal", ".sqlite-shm", ".db"}
TEXT_SUFFIXES = {".xml", ".html", ".htm", ".json", ".txt", ".md", ".csv", ".tsv"}
ZIP_SUFFIXES = {".zip", ".xlsx", ".xlsm", ".docx"}
_TOKEN = re.compile(rb"[A-Za-z0-9_\-]+")


@dataclass
class Purge:
    """What to remove, per subject key (child_id, pupil_id).

    ``rows``: subjects whose identity row (children / school_pupils) was destroyed or anonymised: their rows
    go from every file. ``by_table``: rows of one canonical table only (a series blocked elsewhere by a
    longer one), removed from files named after that table. ``blank``: columns to blank by key.
    """

    rows: dict[str, set[str]] = field(default_factory=dict)  # subject key -> keys
    by_table: dict[str, set[str]] = field(default_factory=dict)  # canonical table -> keys
    blank: dict[str, dict[str, set[str]]] = field(default_factory=dict)  # subject key -> column -> keys

    def all_keys(self) -> set[str]:
        out: set[str] = set()
        for keys in self.rows.values():
            out |= keys
        for cols in self.blank.values():
            for keys in cols.values():
                out |= keys
        return out


@dataclass
class PurgeReport:
    edited: dict[str, int] = field(default_factory=dict)  # file (relative) -> rows removed or blanked
    withdrawn: list[str] = field(default_factory=list)  # files removed: rebuild them


def other_la(rel: Path, la: str | None) -> bool:
    """A path inside another LA's partition folder (a three-digit part that is not ours)."""
    return la is not None and any(p.isdigit() and len(p) == 3 and p != la for p in rel.parts[:-1])


def _files(run_dir: Path, la: str | None = None):
    for path in sorted(run_dir.rglob("*")):
        rel = path.relative_to(run_dir)
        if not path.is_file() or rel.parts[0] in SKIP_DIRS or rel.parts[:2] == PLANS or path.name.startswith("."):
            continue
        if other_la(rel, la):
            continue
        if path.suffix.lower() in SKIP_SUFFIXES:
            continue
        yield path, rel


def _edit(frame: pd.DataFrame, purge: Purge, stem: str) -> tuple[pd.DataFrame, int] | None:
    """Rows removed / cells blanked in a table; None when it has no key column we know."""
    known = False
    drop = pd.Series(False, index=frame.index)
    changed = 0
    for subject, names in KEY_COLUMNS.items():
        for name in names:
            if name not in frame.columns:
                continue
            known = True
            ids = unneutralise(frame[name].astype(object))  # ids in CSVs for people may carry a quote
            drop |= ids.isin(purge.rows.get(subject, set()) | purge.by_table.get(stem, set()))
            for col, keys in purge.blank.get(subject, {}).items():
                if col in frame.columns:
                    hit = ids.isin(keys) & frame[col].notna()
                    if hit.any():
                        frame = frame.astype({col: object})
                        frame.loc[hit, col] = None
                        changed += int(hit.sum())
    if not known:
        return None
    if {"table", "child_id"} <= set(frame.columns):
        # A findings file (issues.csv) names a school roll row's pupil in its child_id column (cross checks).
        pupils = (frame["table"] == "school_pupils").to_numpy() & unneutralise(frame["child_id"].astype(object)).isin(
            purge.rows.get("pupil_id", set()) | purge.by_table.get("school_pupils", set())).to_numpy()
        drop |= pupils
    return frame[~drop], changed + int(drop.sum())


def _holds_token(blob: bytes, keys: set[str]) -> bool:
    return any(tok.decode("utf-8", "ignore") in keys for tok in set(_TOKEN.findall(blob)))


def _zip_holds(path: Path, keys: set[str]) -> bool:
    try:
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                blob = zf.read(name)
                if name.lower().endswith(tuple(ZIP_SUFFIXES)):
                    with zipfile.ZipFile(io.BytesIO(blob)) as inner:
                        if any(_holds_token(inner.read(n), keys) for n in inner.namelist()):
                            return True
                elif _holds_token(blob, keys):
                    return True
    except zipfile.BadZipFile:
        return True  # cannot tell: withdraw
    return False


def purge(run_dir: Path, what: Purge, la: str | None = None) -> PurgeReport:
    """Purge the run folder; with ``la``, other LAs' partition folders are left alone (their own ids)."""
    report = PurgeReport()
    keys = what.all_keys()
    if not (keys or what.by_table) or not run_dir.exists():
        return report
    for path, rel in _files(run_dir, la):
        suffix = path.suffix.lower()
        if suffix == ".parquet":
            frame = pq.read_table(path).to_pandas()
            result = _edit(frame, what, path.stem)
            if result is None:
                if any(frame[c].astype(object).isin(keys).any() for c in frame.columns if frame[c].dtype != float):
                    path.unlink()
                    report.withdrawn.append(str(rel))
                continue
            edited, n = result
            if n:
                buf = io.BytesIO()
                edited.to_parquet(buf, index=False)
                write_bytes_atomic(buf.getvalue(), path)
                report.edited[str(rel)] = n
            continue
        if suffix == ".csv":
            try:
                frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
            except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError):
                frame = pd.DataFrame()  # not a table we can edit: scanned as text below
            result = _edit(frame, what, path.stem)
            if result is not None:
                edited, n = result
                if n:
                    write_csv_atomic(edited, path)
                    report.edited[str(rel)] = n
                continue
        if _zip_holds(path, keys) if suffix in ZIP_SUFFIXES else _holds_token(path.read_bytes(), keys):
            path.unlink()
            report.withdrawn.append(str(rel))
    return report
