"""The XSD check of a big CIN file in a worker process: same findings as in-process, and a failed worker
never loses findings or hangs the read (the check is then done in the main process)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from statreturns.cin import xml_reader, xsd
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


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, worker: bool, **kwargs) -> xml_reader.CinFile:
    monkeypatch.setattr(xml_reader, "WORKER_MIN_BYTES", 0 if worker else 1 << 62)
    return read_cin_xml(path, **kwargs)


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
    there = _read(bad_file, monkeypatch, True, **kwargs)
    _same(here, there)
    if not kwargs:
        assert findings(there.xsd_issues[there.xsd_issues["table"].isin(
            ["ChildCharacteristics", "CINdetails", "Disabilities", "ChildProtectionPlans"])]) == EXPECTED
        assert len(there.xsd_issues) == len(EXPECTED) + 3  # and the three stray elements


def test_worker_process_finds_what_the_check_in_process_finds(bad_file: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "statreturns.cin.xml_stream", str(bad_file), "2026"],
                         capture_output=True, check=True, cwd=ROOT).stdout
    year, rows = pickle.loads(out)
    assert year == 2026
    pd.testing.assert_frame_equal(xsd.issues_frame(rows), read_cin_xml(bad_file).xsd_issues)


@pytest.mark.parametrize("module", ["tests.cin.no_such_worker", "json.tool"])
def test_a_failing_worker_falls_back_to_the_check_in_process(bad_file: Path, monkeypatch: pytest.MonkeyPatch,
                                                             module: str) -> None:
    expected = _read(bad_file, monkeypatch, False)
    monkeypatch.setattr(xml_reader._XsdWorker, "module", module)
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
