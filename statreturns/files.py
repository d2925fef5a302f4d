"""Writing files atomically: a reader never sees half a file, and a crash leaves the old one."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv


@contextlib.contextmanager
def open_atomic(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write in pieces; it replaces `path` only when the block ends without error."""
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


def write_bytes_atomic(data: bytes, path: Path) -> Path:
    with open_atomic(path) as fh:
        fh.write(data)
    return path


def write_csv_atomic(frame: pd.DataFrame, path: Path) -> Path:
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
        data = text.to_csv(index=False, lineterminator="\n").encode("utf-8")
    return write_bytes_atomic(data, path)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
