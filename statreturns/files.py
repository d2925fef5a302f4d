"""Writing files atomically: a reader never sees half a file, and a crash leaves the old one.

Each file is written to a temporary file beside it, its data synced to disk, then renamed over the old one,
and the folder synced, so that once a writer returns the new file survives a crash. Several files of one
folder (the issue files of a run) can share that last step: see :func:`atomic_files`.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv


@contextlib.contextmanager
def open_atomic(path: Path, group: AtomicFiles | None = None) -> Iterator[BinaryIO]:
    """A binary file to write in pieces; it replaces `path` only when the block ends without error (with
    ``group``: when the group's block ends, see :func:`atomic_files`)."""
    if group is not None:
        with group.open(path) as fh:
            yield fh
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


class AtomicFiles:
    """Files written as :func:`open_atomic` writes them, for one :func:`atomic_files` block."""

    def __init__(self) -> None:
        self._pending: list[tuple[str, Path, threading.Thread, list[BaseException]]] = []

    @contextlib.contextmanager
    def open(self, path: Path) -> Iterator[BinaryIO]:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        fh = os.fdopen(fd, "wb")
        try:
            yield fh
            fh.flush()
        except BaseException:
            fh.close()
            Path(tmp).unlink(missing_ok=True)
            raise
        errors: list[BaseException] = []
        # The data are synced while the next file is made (fsync waits for the disk, not the processor).
        sync = threading.Thread(target=_sync_and_close, args=(fh, errors), name="statreturns-fsync")
        self._pending.append((tmp, path, sync, errors))
        sync.start()

    def _wait(self) -> list[BaseException]:
        errors = []
        for _, _, sync, failed in self._pending:
            sync.join()
            errors += failed
        return errors

    def finish(self) -> None:
        errors = self._wait()
        if errors:
            self.abandon()
            raise errors[0]
        for tmp, path, _, _ in self._pending:
            os.replace(tmp, path)
        for folder in dict.fromkeys(path.parent for _, path, _, _ in self._pending):
            _fsync_folder(folder)
        self._pending.clear()

    def abandon(self) -> None:
        self._wait()
        for tmp, _, _, _ in self._pending:
            Path(tmp).unlink(missing_ok=True)
        self._pending.clear()


def _sync_and_close(fh: BinaryIO, errors: list[BaseException]) -> None:
    try:
        os.fsync(fh.fileno())
    except BaseException as exc:  # noqa: BLE001 - handed to the writer's thread, which raises it
        errors.append(exc)
    finally:
        fh.close()


@contextlib.contextmanager
def atomic_files(group: bool = True) -> Iterator[AtomicFiles | None]:
    """Several files written atomically together: pass what this yields as ``group`` to the writers.

    Each file keeps :func:`open_atomic`'s guarantee: a reader never sees half a file, a crash leaves the
    old one or the whole new one (its data are synced before the rename), and once the block is done the
    new files survive a crash (their folders are synced, once for all of them, not once per file). The
    files replace the old ones together when the block ends without error, and none of them if it raises,
    so a failed run leaves all the old files rather than some of each. ``group=False`` yields None: each
    file then replaces its old one on its own, as it is written.
    """
    if not group:
        yield None
        return
    files = AtomicFiles()
    try:
        yield files
    except BaseException:
        files.abandon()
        raise
    files.finish()


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder is synced; some platforms cannot open a folder.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(data: bytes, path: Path, group: AtomicFiles | None = None) -> Path:
    with open_atomic(path, group) as fh:
        fh.write(data)
    return path


def write_csv_atomic(frame: pd.DataFrame, path: Path, group: AtomicFiles | None = None) -> Path:
    """All cells as text (blank for missing), UTF-8, \\n line ends, quotes only where a value needs them.

    Arrow writes it fast when no value holds a comma, quote or line break; otherwise (free text, say)
    pandas writes it with minimal quoting. Either way the header line is the bare column names.
    """
    text = frame.astype("object").where(frame.notna(), None)
    table = pa.Table.from_pandas(text.astype("str").where(frame.notna(), None), preserve_index=False)
    sink = pa.BufferOutputStream()
    try:
        pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="none", quoting_header="none"))
        data = sink.getvalue().to_pybytes()
    except pa.ArrowInvalid:  # a value needs quoting
        # The csv module quotes a value holding a line feed but not a lone carriage return (it only looks
        # for the line terminator, "\n"): such a value would split the row, so then every cell is quoted.
        cr = any(_text_like(text[c]) and text[c].astype("string").str.contains("\r", regex=False).any()
                 for c in text.columns)
        data = text.to_csv(index=False, lineterminator="\n", quoting=csv.QUOTE_ALL if cr else csv.QUOTE_MINIMAL
                           ).encode("utf-8")
    return write_bytes_atomic(data, path, group)


# ---- CSVs for people: no formula from data (issue #17) -------------------------------------------------
# A spreadsheet opening a CSV runs a cell that starts with one of these as a formula (OWASP "CSV
# injection"). Such a cell is written with a single quote in front, which the spreadsheet shows as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Our reading of "plainly a number": an optional sign, digits with at most one decimal point, an optional
# exponent (-3, +44, -0.5, 1e-3). A spreadsheet reads these as numbers, never as formulas, so they are left
# as they are; anything else starting with a trigger (-3+1, +44 20 7946 0000, -, =1) gets the quote.
PLAIN_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
QUOTE = "'"


def _text_like(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, (pd.StringDtype, pd.CategoricalDtype))


def _needs_quote(text: pd.Series) -> np.ndarray:
    """True where a text value would start a formula, or already starts with the quote (quoted again, so
    that :func:`unneutralise` can always take exactly one quote off)."""
    first = text.str[:1]
    trigger = first.isin(FORMULA_TRIGGERS).to_numpy(dtype=bool, copy=True)
    if trigger.any():
        number = text.str.fullmatch(PLAIN_NUMBER).fillna(False).to_numpy(dtype=bool)
        trigger &= ~number
    return trigger | (first == QUOTE).fillna(False).to_numpy(dtype=bool)


def _may_need_quote(values: pd.Series) -> bool:
    """False when no value starts with a trigger or the quote (checked in Arrow: most columns, fast)."""
    try:
        text = pa.array(values.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return True  # not all text: the exact pandas path decides
    first = pc.utf8_slice_codeunits(text, 0, 1)
    return bool(pc.any(pc.is_in(first, value_set=pa.array([*FORMULA_TRIGGERS, QUOTE]))).as_py())


def neutralise(values: pd.Series) -> pd.Series:
    """One column with formula-like text prefixed by a single quote (other values and types unchanged)."""
    if not _text_like(values) or values.empty:
        return values
    if isinstance(values.dtype, pd.CategoricalDtype):  # the categories only: few values
        categories = pd.Series(values.cat.categories)
        if _text_like(categories):
            quoted = neutralise(categories.astype(object))
            if not quoted.equals(categories.astype(object)):
                return pd.Series(pd.Categorical.from_codes(values.cat.codes, categories=quoted.array),
                                 index=values.index, name=values.name)
        return values
    if not _may_need_quote(values):
        return values
    text = values.astype("string")
    hit = _needs_quote(text)
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit] = (QUOTE + text[hit]).astype(object)
    return out


def _each_column(frame: pd.DataFrame, change: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    """``change`` applied to every column and to the column names (a shallow copy; ``frame`` is unchanged)."""
    out = frame.copy(deep=False)
    for i in range(out.shape[1]):
        out.isetitem(i, change(out.iloc[:, i]))
    out.columns = list(change(pd.Series([str(c) for c in frame.columns], dtype=object)))
    return out


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell and column name of a table for people, neutralised (see FORMULA_TRIGGERS)."""
    return _each_column(frame, neutralise)


def unneutralise(values: pd.Series) -> pd.Series:
    """The text as it was before :func:`neutralise` (one leading quote taken off), to read our CSVs back."""
    if not _text_like(values) or values.empty:
        return values
    text = values.astype("string")
    hit = text.str.startswith(QUOTE).fillna(False).to_numpy(dtype=bool)
    if not hit.any():
        return values
    out = values.astype(object).copy()
    out[hit] = text[hit].str[1:].astype(object)
    return out


def unneutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return _each_column(frame, unneutralise)


def write_people_csv(frame: pd.DataFrame, path: Path, group: AtomicFiles | None = None) -> Path:
    """A CSV meant to be opened by people (issues, rules, quarantine, reports, subject access, exports):
    as :func:`write_csv_atomic`, with formula-like cells neutralised. Not for DfE return files (their
    format is fixed) nor for landed copies of extracts (data kept as it came)."""
    return write_csv_atomic(neutralise_frame(frame), path, group)


def read_people_csv(path: Path, **kwargs) -> pd.DataFrame:
    """A CSV written by :func:`write_people_csv`, read back as text with the values as they were."""
    return unneutralise_frame(pd.read_csv(path, dtype=str, keep_default_na=False, **kwargs))


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
