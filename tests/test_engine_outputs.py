"""The issue files of a run are written together (statreturns.files.atomic_files): each still atomically
(a reader never sees half a file; a crash leaves the old one), replacing the old files only when all were
written, and never leaving a temporary file behind."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from statreturns import files
from statreturns.files import atomic_files, write_bytes_atomic, write_people_csv


def _old(folder: Path) -> dict[str, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    old = {"a.csv": b"old a\n", "b.bin": b"old b"}
    for name, data in old.items():
        (folder / name).write_bytes(data)
    return old


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_group_replaces_every_file_and_leaves_no_temporary_file(tmp_path):
    _old(tmp_path)
    frame = pd.DataFrame({"x": ["1", "=2"], "y": ["a,b", None]})
    with atomic_files() as group:
        write_people_csv(frame, tmp_path / "a.csv", group)
        write_bytes_atomic(b"new b", tmp_path / "b.bin", group)
        with files.open_atomic(tmp_path / "c.bin", group) as fh:
            fh.write(b"new c")
        assert (tmp_path / "b.bin").read_bytes() == b"old b"  # not yet: all at the end
    alone = tmp_path / "alone"
    write_people_csv(frame, alone / "a.csv")
    assert _contents(tmp_path / "alone") == {"a.csv": (tmp_path / "a.csv").read_bytes()}
    names = sorted(p.name for p in tmp_path.iterdir() if p.is_file())
    assert names == ["a.csv", "b.bin", "c.bin"]
    assert (tmp_path / "b.bin").read_bytes() == b"new b" and (tmp_path / "c.bin").read_bytes() == b"new c"


def test_a_group_that_fails_leaves_every_old_file(tmp_path):
    old = _old(tmp_path)
    with pytest.raises(RuntimeError), atomic_files() as group:
        write_bytes_atomic(b"new a", tmp_path / "a.csv", group)
        with files.open_atomic(tmp_path / "b.bin", group) as fh:
            fh.write(b"half of b")
            raise RuntimeError("stopped while writing")
    assert _contents(tmp_path) == old


def test_a_file_whose_data_cannot_be_synced_leaves_every_old_file(tmp_path, monkeypatch):
    old = _old(tmp_path)
    real = os.fsync

    def failing(fd: int) -> None:
        if os.path.isfile(f"/proc/self/fd/{fd}") and "b.bin" in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(28, "No space left on device")
        real(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to tell the files apart")
    monkeypatch.setattr(files.os, "fsync", failing)
    with pytest.raises(OSError), atomic_files() as group:
        write_bytes_atomic(b"new a", tmp_path / "a.csv", group)
        write_bytes_atomic(b"new b", tmp_path / "b.bin", group)
    assert _contents(tmp_path) == old


def test_without_a_group_each_file_is_replaced_as_it_is_written(tmp_path):
    _old(tmp_path)
    with pytest.raises(RuntimeError), atomic_files(group=False) as group:
        assert group is None
        write_bytes_atomic(b"new a", tmp_path / "a.csv", group)
        raise RuntimeError("stopped")
    assert _contents(tmp_path) == {"a.csv": b"new a", "b.bin": b"old b"}
