"""Limits per input file and names from extracts (issue #17, items 2 and 4): a row past a field limit is
quarantined, a file past a file limit is refused with one line and exit 2, a bomb is refused from the zip
directory before inflating, and file or sheet names never become paths as they are."""

from __future__ import annotations

import tracemalloc
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from pipelines.cli import main
from statreturns.ingest.config import load_sources
from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import DEFAULT, Limits, parse_limits
from statreturns.ingest.names import landed_name, shown
from statreturns.ingest.profiles import load_profile
from statreturns.ingest.readers import read_file
from statreturns.ingest.xlsx import check_zip
from tests.ingest.hostile import lie_about_sizes, write_xlsx_bomb

MIS = load_profile("generic-mis")


def _sources(tmp_path, location: str, kind: str = "csv", limits: str = "") -> str:
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - name: school\n    kind: {kind}\n    location: {location}\n"
                    f"    profile: generic-mis\n{limits}")
    return str(path)


def _ingest(tmp_path, sources: str) -> int:
    return main(["ingest", "--sources", sources, "--run-dir", str(tmp_path / "run")])


def test_a_5mb_field_is_quarantined_not_a_traceback(tmp_path, capsys):
    # the case: one 5 MB field ended ingest with "field larger than field limit", exit 1
    (tmp_path / "pupils.csv").write_text("Adno,Gender,Notes\nA1,F,ok\nA2,M," + "x" * 5_000_000 + "\nA3,F,\n")
    assert _ingest(tmp_path, _sources(tmp_path, "pupils.csv")) == 1
    q = pd.read_csv(tmp_path / "run" / "outputs" / "quarantine" / "school_quarantine.csv")
    assert q[["file", "line", "reason"]].values.tolist() == [["pupils.csv", 3, "field_too_long:Notes"]]
    assert "2 landed, 1 quarantined" in capsys.readouterr().out


@pytest.mark.parametrize("chars", [10, 11])
def test_field_limit_boundary_and_every_long_column_named(tmp_path, chars):
    path = tmp_path / "p.csv"
    path.write_text(f"Adno,Gender,Notes\nA1,F,{'n' * chars}\nA2,{'g' * 11},{'n' * 11}\n")
    chunks = list(read_file("csv", path, MIS, limits=Limits(max_field_chars=10)))
    bad = pd.concat([c.bad for c in chunks])
    assert bad["reason"].tolist() == ([] if chars == 10 else ["field_too_long:Notes"]) + [
        "field_too_long:Gender;field_too_long:Notes"]
    assert sum(len(c.frame) for c in chunks) == (1 if chars == 10 else 0)


def test_too_many_rows_refuses_the_file_with_exit_2(tmp_path, capsys):
    (tmp_path / "pupils.csv").write_text("Adno,Gender\n" + "".join(f"A{i},F\n" for i in range(11)))
    assert _ingest(tmp_path, _sources(tmp_path, "pupils.csv", limits="    limits: {max_rows: 10}\n")) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["statreturns: pupils.csv: max_rows exceeded (11 > 10)"]
    assert _ingest(tmp_path, _sources(tmp_path, "pupils.csv", limits="    limits: {max_rows: 11}\n")) == 0


def test_a_file_over_the_size_limit_is_refused_before_landing(tmp_path, capsys):
    (tmp_path / "pupils.csv").write_text("Adno,Gender\nA1,F\n")
    size = (tmp_path / "pupils.csv").stat().st_size
    limits = f"    limits: {{max_file_bytes: {size - 1}}}\n"
    assert _ingest(tmp_path, _sources(tmp_path, "pupils.csv", limits=limits)) == 2
    assert capsys.readouterr().err.strip() == f"statreturns: pupils.csv: max_file_bytes exceeded ({size} > {size - 1})"
    assert not (tmp_path / "run" / "landing").exists() or not any((tmp_path / "run" / "landing").rglob("*.csv"))


def test_xlsx_bomb_is_refused_from_the_zip_directory_before_inflating(tmp_path):
    bomb = write_xlsx_bomb(tmp_path / "bomb.xlsx", 200_000)  # ~13 MB of sheet in ~40 kB
    sheet = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size / sheet.compress_size > DEFAULT.max_compression_ratio
    tracemalloc.start()
    with pytest.raises(IngestError, match=r"^bomb.xlsx: max_compression_ratio exceeded"):
        list(read_file("xlsx", bomb, MIS))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < sheet.file_size / 10, "refused without inflating the sheet"
    # lowered limits: the member size, then the total, each refuse the same workbook
    with pytest.raises(IngestError, match="max_member_bytes exceeded"):
        check_zip(bomb, Limits(max_member_bytes=sheet.file_size - 1, max_compression_ratio=10**6))
    with pytest.raises(IngestError, match="max_unzipped_bytes exceeded"):
        check_zip(bomb, Limits(max_unzipped_bytes=sheet.file_size, max_compression_ratio=10**6))
    with pytest.raises(IngestError, match="max_zip_members exceeded"):
        check_zip(bomb, Limits(max_zip_members=4, max_compression_ratio=10**6))
    check_zip(bomb, Limits(max_compression_ratio=10**6))  # under every limit: accepted


def test_an_ordinary_workbook_passes_and_the_ratio_floor_spares_small_members(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Adno", "Gender"])
    for i in range(2000):
        ws.append([f"A{i}", "F"])
    wb.save(tmp_path / "ok.xlsx")
    assert sum(len(c.frame) for c in read_file("xlsx", tmp_path / "ok.xlsx", MIS)) == 2000
    check_zip(tmp_path / "ok.xlsx", Limits(max_compression_ratio=2))  # every member is under 1 MiB


def test_a_bomb_is_refused_before_it_is_landed(tmp_path, capsys):
    write_xlsx_bomb(tmp_path / "pupils.xlsx", 100_000)
    assert _ingest(tmp_path, _sources(tmp_path, "pupils.xlsx", kind="xlsx")) == 2
    assert capsys.readouterr().err.startswith("statreturns: pupils.xlsx: max_compression_ratio exceeded (")
    assert not list((tmp_path / "run").rglob("*.xlsx"))


def test_a_zip_that_lies_about_sizes_ends_in_a_clear_error(tmp_path):
    bomb = write_xlsx_bomb(tmp_path / "liar.xlsx", 50_000)
    lie_about_sizes(bomb, "xl/worksheets/sheet1.xml", 4000)  # claims 4 kB, inflates to ~3 MB
    assert zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml").file_size == 4000
    tracemalloc.start()
    with pytest.raises(IngestError, match=r"^liar.xlsx"):
        list(read_file("xlsx", bomb, MIS))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000, "zipfile stopped at the declared size"


@pytest.mark.parametrize("depth", [64, 65])
def test_xml_depth_limit(tmp_path, depth):
    inner = "<a>" * (depth - 2) + "x" + "</a>" * (depth - 2)  # SuperStarReport + Record + nested levels
    (tmp_path / "s.xml").write_text(f"<SuperStarReport><Record><Adno>1</Adno>{inner}</Record></SuperStarReport>")
    if depth > DEFAULT.max_xml_depth:
        with pytest.raises(IngestError, match=r"^s.xml: line 1: max_xml_depth exceeded \(65 > 64\)"):
            list(read_file("sims-xml", tmp_path / "s.xml", MIS))
    else:
        assert sum(len(c.frame) for c in read_file("sims-xml", tmp_path / "s.xml", MIS)) == 1


def test_limits_in_the_sources_file(tmp_path):
    (tmp_path / "p.csv").write_text("Adno\nA1\n")
    limits = "    limits: {max_file_bytes: 2 GiB, max_field_chars: 32767, max_compression_ratio: 50}\n"
    (source,) = load_sources(tmp_path / _sources(tmp_path, "p.csv", limits=limits).rsplit("/", 1)[1])
    assert source.limits == Limits(max_file_bytes=2 << 30, max_field_chars=32767, max_compression_ratio=50)
    for bad, message in (("{max_rowz: 3}", "unknown limit(s): max_rowz"), ("{max_rows: 0}", "max_rows: expected"),
                         ("{max_rows: 10 MB}", "max_rows: expected"), ("[1]", "expected a mapping")):
        _sources(tmp_path, "p.csv", limits=f"    limits: {bad}\n")
        with pytest.raises(IngestError, match="sources.yaml: sources\\[0\\].limits"):
            load_sources(tmp_path / "sources.yaml")
        assert message in parse_limits(__import__("yaml").safe_load(bad), "x")[1]


def test_names_never_become_paths():
    assert landed_name("pupils.csv") == "pupils.csv"
    for name in ("../x.csv", "..\\..\\x.csv", "a\nb.csv", "nul\x00.csv", "x" * 300 + ".csv", "..", ".hidden",
                 "CON.csv", "é" * 200 + ".xlsx", "a/b/../../c.csv"):
        safe = landed_name(name)
        assert "/" not in safe and "\\" not in safe and not safe.startswith(".") and safe not in ("", "..")
        assert all(ord(c) >= 32 for c in safe) and len(safe.encode()) <= 120
    assert landed_name("../x.csv") != landed_name("x.csv")  # a changed name carries a hash of the original
    assert shown("a\nb\x00c\u202e.csv") == "a\\x0ab\\x00c\\u202e.csv"
    assert shown("y" * 500).endswith("…(500 chars)") and len(shown("y" * 500)) < 150
    assert shown(shown("y" * 500)) == shown("y" * 500)  # a message naming a shown name shows it once


def test_hostile_file_and_sheet_names_are_landed_safely_and_shown_escaped(tmp_path, capsys):
    odd = "pupils\nfake line\x7f" + "z" * 200 + ".xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet=1+2"
    ws.append(["Adno", "Gender"])
    ws.append(["A1", "F"])
    ws.append(["A2", "Q"])
    folder = tmp_path / "in"
    folder.mkdir()
    wb.save(folder / odd)
    assert _ingest(tmp_path, _sources(tmp_path, "in", kind="xlsx")) == 1
    landed = [p for p in (tmp_path / "run" / "landing").rglob("*.xlsx")]
    assert len(landed) == 1 and landed[0].name == landed_name(odd) and "\n" not in str(landed[0])
    assert landed[0].resolve().is_relative_to((tmp_path / "run" / "landing").resolve())
    q = pd.read_csv(tmp_path / "run" / "outputs" / "quarantine" / "school_quarantine.csv")
    assert q["file"].tolist() == [f"{shown(odd)}[Sheet=1+2]"] and "\n" not in q["file"][0]
    out = capsys.readouterr().out
    assert "fake line" not in out.replace("\\x0afake line", "")  # no raw newline from a name in the output


def test_an_unreadable_file_with_an_odd_name_fails_on_one_line(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad\nname.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert _ingest(tmp_path, _sources(tmp_path, "in", kind="xlsx")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("statreturns: bad\\x0aname.xlsx: not a readable .xlsx")
