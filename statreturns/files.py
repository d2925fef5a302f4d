"""Writing files atomically: a reader never sees half a file, and a crash leaves the old one."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv


def write_bytes_atomic(data: bytes, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
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
