"""The XSD check of a big CIN file in a worker process, and the whole read of a prefetched one: same
findings and frames as in-process, and a failed worker never loses findings or hangs the read (the work
is then done in the main process)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from statreturns.cin import xml_reader, xml_stream, xsd
from statreturns.cin.xml_reader import CinReadError, read_cin_xml
from statreturns.cin.xml_writer import write_cin_xml
from statreturns.reference import data_path
from tests.cin.test_xsd import EXPECTED, bad_frames, findings

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    """The bad-codes return plus stray elements at the Message and Children levels."""
    path = write_cin_xml(bad_frames(), tmp_path / "bad.xml", year=2026, lea="921")
    text = path.read_text()
    text = text.replace("  <Children>\n", "  <Extra/>\n  <Children>\n    <Note>x</Note>\n", 1)
    path.write_text(text.replace("  </Children>\n", "    <Note/>\n  </Children>\n"))
    return path


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool, fallback: bool = True,
          **kwargs) -> xml_reader.CinFile:
    """``read_cin_xml`` with or without the XSD worker; ``fallback=False``: the check in-process would fail."""
    monkeypatch.setattr(xml_reader, "WORKER_MIN_BYTES", 0 if worker else 1 << 62)
    monkeypatch.setattr(xml_reader, "_spare_core", lambda: True)  # however busy the test machine is
    with monkeypatch.context() as m:
        if not fallback:
            m.setattr(xml_reader, "xsd_pass", _not_here)
        return read_cin_xml(path, **kwargs)


def _not_here(*args: object) -> None:
    raise AssertionError("done in-process, not by the worker")


def _same(a: xml_reader.CinFile, b: xml_reader.CinFile) -> None:
    assert a.xsd_year == b.xsd_year and a.year == b.year and a.lea == b.lea
    pd.testing.assert_frame_equal(a.xsd_issues, b.xsd_issues)
    assert a.frames.keys() == b.frames.keys()
    for name in a.frames:
        pd.testing.assert_frame_equal(a.frames[name], b.frames[name])


@pytest.mark.parametrize("kwargs", [{}, {"xsd_year": 2024}, {"xsd_year": 2022}, {"check_xsd": False}])
def test_worker_gives_the_same_findings_and_frames(bad_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                   kwargs: dict) -> None:
    here = _read(bad_file, monkeypatch, False, **kwargs)
    there = _read(bad_file, monkeypatch, True, fallback=False, **kwargs)
    _same(here, there)
    if not kwargs:
        assert findings(there.xsd_issues[there.xsd_issues["table"].isin(
            ["ChildCharacteristics", "CINdetails", "Disabilities", "ChildProtectionPlans"])]) == EXPECTED
        assert len(there.xsd_issues) == len(EXPECTED) + 3  # and the three stray elements


def test_worker_process_finds_what_the_check_in_process_finds(bad_file: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "statreturns.cin.xml_stream", str(bad_file), "2026", "xsd"],
                         capture_output=True, check=True, cwd=ROOT).stdout
    year, rows = pickle.loads(out)
    assert year == 2026
    pd.testing.assert_frame_equal(xsd.issues_frame(rows), read_cin_xml(bad_file).xsd_issues)


@pytest.mark.parametrize("module", ["tests.cin.no_such_worker", "json.tool"])
def test_a_failing_worker_falls_back_to_the_check_in_process(bad_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                             module: str) -> None:
    expected = _read(bad_file, monkeypatch, False)
    monkeypatch.setattr(xml_stream.Worker, "module", module)
    _same(_read(bad_file, monkeypatch, True), expected)


def test_a_worker_that_cannot_start_or_overruns_falls_back(bad_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _read(bad_file, monkeypatch, False)
    with monkeypatch.context() as m:
        m.setattr(sys, "executable", str(bad_file.parent / "no-such-python"))
        _same(_read(bad_file, m, True), expected)
    with monkeypatch.context() as m:
        m.setattr(xml_reader, "_WORKER_GRACE_SECONDS", -1e6)  # already overrun when the read ends
        _same(_read(bad_file, m, True), expected)


def test_a_malformed_file_fails_naming_file_and_line_with_the_worker_too(bad_file: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    text = bad_file.read_text()
    bad_file.write_text(text.replace("</ChildIdentifiers>", "</ChildIdentifier>", 1))
    with pytest.raises(CinReadError) as here:
        _read(bad_file, monkeypatch, False)
    with pytest.raises(CinReadError) as there:
        _read(bad_file, monkeypatch, True)
    assert str(here.value) == str(there.value) and here.value.line and str(bad_file) in str(there.value)


def test_the_worker_module_does_not_load_pandas() -> None:
    code = "import sys, statreturns.cin.xml_stream; sys.exit('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0
    assert data_path("xsd", "cin") == xsd.XSD_DIR


def _prefetched_read(path: Path, monkeypatch: pytest.MonkeyPatch | None = None, **kwargs) -> xml_reader.CinFile:
    """``prefetch`` then ``read_cin_xml``; with ``monkeypatch``, the work in-process would fail."""
    xml_stream.prefetch(path, **kwargs)
    assert xml_stream._prefetched  # a worker was started
    try:
        if monkeypatch is None:
            return read_cin_xml(path, **kwargs)
        whole = xml_stream._prefetched[xml_stream._key(path, kwargs.get("xsd_year"), kwargs.get("check_xsd", True))]
        with monkeypatch.context() as m:
            m.setattr(xml_reader, "xsd_pass", _not_here)
            if whole[0].mode != "xsd":
                m.setattr(xml_reader, "full_pass", _not_here)
            return read_cin_xml(path, **kwargs)
    finally:
        assert not xml_stream._prefetched  # and taken by the read


@pytest.mark.parametrize("kwargs", [{}, {"xsd_year": 2024}, {"xsd_year": 2022}, {"check_xsd": False}])
@pytest.mark.parametrize("whole", [True, False])
def test_a_prefetched_read_gives_the_same_findings_and_frames(bad_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                              kwargs: dict, whole: bool) -> None:
    expected = _read(bad_file, monkeypatch, False, **kwargs)
    if not whole:  # a big file: the worker checks it against the XSD, the read is done here
        monkeypatch.setattr(xml_stream, "FULL_READ_MAX_BYTES", 0)
        if kwargs.get("check_xsd") is False:  # then there is nothing for a worker to do
            xml_stream.prefetch(bad_file, **kwargs)
            assert not xml_stream._prefetched
            return
    _same(_prefetched_read(bad_file, monkeypatch, **kwargs), expected)


def test_a_failed_or_stale_prefetch_is_read_in_process(bad_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _read(bad_file, monkeypatch, False)
    with monkeypatch.context() as m:
        m.setattr(xml_stream.Worker, "module", "tests.cin.no_such_worker")
        _same(_prefetched_read(bad_file), expected)
    xml_stream.prefetch(bad_file, xsd_year=2026)
    _same(read_cin_xml(bad_file), expected)  # other arguments: not this prefetch
    xml_stream.prefetch(bad_file)
    bad_file.write_text(bad_file.read_text().replace("SYNA1", "SYNA9"))  # changed since the prefetch
    changed = _read(bad_file, monkeypatch, False)
    assert (changed.frames["ChildIdentifiers"]["LAchildID"] == "SYNA9").any()
    _same(read_cin_xml(bad_file), changed)
    assert list(xml_stream._prefetched) == [xml_stream._key(bad_file, 2026, True)]
    worker = xml_stream._prefetched[xml_stream._key(bad_file, 2026, True)][0]
    xml_stream._stop_prefetched()  # what the interpreter does at exit with a prefetch never read
    assert not xml_stream._prefetched and worker.proc.returncode is not None


def test_a_prefetched_malformed_file_fails_as_it_does_in_process(bad_file: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bad_file.write_text(bad_file.read_text().replace("</ChildIdentifiers>", "</ChildIdentifier>", 1))
    with pytest.raises(CinReadError) as here:
        _read(bad_file, monkeypatch, False)
    with pytest.raises(CinReadError) as there:
        _prefetched_read(bad_file)
    assert str(here.value) == str(there.value)
    xml_stream.prefetch(bad_file.parent / "missing.xml")
    assert not xml_stream._prefetched


def test_no_worker_on_a_busy_machine(bad_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _read(bad_file, monkeypatch, False)
    monkeypatch.undo()  # the real _spare_core again
    monkeypatch.setattr(xml_reader, "WORKER_MIN_BYTES", 0)
    monkeypatch.setattr(os, "getloadavg", lambda: (float(os.cpu_count() or 1), 0.0, 0.0))
    monkeypatch.setattr(xml_stream.Worker, "start", _not_here)
    _same(read_cin_xml(bad_file), expected)
