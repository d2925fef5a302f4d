"""The SSDA903 CSV writer: exact headers, dates, year-dependent tables, round trips, atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from statreturns import files
from statreturns.ssda903 import writer
from statreturns.ssda903.csv_reader import read_csv_set
from statreturns.ssda903.tables import COLUMNS, FILE_NAMES, build_tables
from statreturns.ssda903.writer import write_csv_set

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "ssda903"


def raw(table: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{c: r.get(c) for c in COLUMNS[table]} for r in rows], dtype=object)


def test_samples_round_trip(tmp_path):
    first = read_csv_set(SAMPLES)
    write_csv_set(first.tables, tmp_path, 2027)
    again = read_csv_set(tmp_path)
    assert again.problems == []
    assert set(again.tables) == set(first.tables)
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(again.tables[name], frame, check_dtype=True)


def test_parsed_tables_write_back_to_the_same_raw_tables(tmp_path):
    first = read_csv_set(SAMPLES)
    write_csv_set(build_tables(first.tables, 2027).frames, tmp_path, 2027)
    again = read_csv_set(tmp_path)
    for name in ["Header", "Episodes", "PrevPerm", "Reviews"]:
        pd.testing.assert_frame_equal(again.tables[name], first.tables[name])


def test_bytes_are_deterministic_and_exact(tmp_path):
    tables = {"Missing": raw("Missing", [{"CHILD": "C1", "MISSING": "M", "MIS_START": "01/05/2025"},
                                         {"CHILD": "C,2", "MISSING": "A"}])}
    write_csv_set(tables, tmp_path / "a", 2026)
    write_csv_set(tables, tmp_path / "b", 2026)
    a = (tmp_path / "a" / "missing.csv").read_bytes()
    assert a == (tmp_path / "b" / "missing.csv").read_bytes()
    assert a == b'CHILD,DOB,MISSING,MIS_START,MIS_END\nC1,,M,01/05/2025,\n"C,2",,A,,\n'


def test_headers_are_exact_and_extras_dropped(tmp_path):
    frame = raw("UASC", [{"CHILD": "C1"}]).assign(NOTE="x")[["NOTE", "DUC", "CHILD", "SEX", "DOB"]]
    write_csv_set({"UASC": frame}, tmp_path, 2026)
    assert (tmp_path / "uasc.csv").read_text(encoding="utf-8") == "CHILD,SEX,DOB,DUC\nC1,,,\n"


def test_missing_columns_written_blank(tmp_path):
    write_csv_set({"OC3": pd.DataFrame({"CHILD": ["C1"]})}, tmp_path, 2026)
    assert (tmp_path / "oc3.csv").read_text(encoding="utf-8") == "CHILD,DOB,IN_TOUCH,ACTIV,ACCOM\nC1,,,,\n"


def test_dates_from_datetimes_strings_and_raw_text(tmp_path):
    frame = pd.DataFrame({
        "CHILD": ["C1", "C2", "C3"],
        "DOB": pd.to_datetime(["2010-02-01", None, "2011-12-31"]).astype("datetime64[us]"),
        "DOLO_START": ["05/06/2026", None, pd.Timestamp("2026-07-08")],
        "DOLO_END": pd.to_datetime([None, None, None]),
        "DOLO_END_raw": [None, "31/02/2026", None],
    })
    write_csv_set({"DoLo": frame}, tmp_path, 2027)
    assert (tmp_path / "dolo.csv").read_text(encoding="utf-8").splitlines() == [
        "CHILD,DOB,DOLO_START,DOLO_END",
        "C1,01/02/2010,05/06/2026,",
        "C2,,,31/02/2026",
        "C3,31/12/2011,08/07/2026,",
    ]


@pytest.mark.parametrize(("year", "dolo"), [(2025, False), (2026, False), (2027, True)])
def test_tables_in_force_by_year(tmp_path, year, dolo):
    tables = {"DoLo": raw("DoLo", [{"CHILD": "C1"}]), "SWEpisodes": raw("SWEpisodes", [{"CHILD": "C1"}])}
    written = write_csv_set(tables, tmp_path, year)
    names = sorted(p.name for p in written)
    assert names == sorted(["sw_episodes.csv", *(["dolo.csv"] if dolo else [])])
    assert (tmp_path / FILE_NAMES["DoLo"]).exists() is dolo


def test_utf8_without_bom_and_lf_only(tmp_path):
    write_csv_set({"Header": raw("Header", [{"CHILD": "Zoë"}])}, tmp_path, 2026)
    data = (tmp_path / "header.csv").read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf")
    assert b"\r" not in data
    assert "Zoë".encode() in data


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "header.csv"
    target.write_text("old", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)  # the one atomic write all writers use
    with pytest.raises(OSError):
        write_csv_set({"Header": raw("Header", [{"CHILD": "C1"}])}, tmp_path, 2026)
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["header.csv"]


@pytest.mark.parametrize("awkward", [None, "a,b", 'say "x"', "two\nlines", "cr\rhere", " spaced ", ""])
def test_table_text_is_what_csv_writer_writes(awkward):
    import csv
    import io

    rows = [{"CHILD": "1", "SEX": "M", "ETHNIC": "WBRI"}, {"CHILD": "2", "SEX": "F", "UPN": awkward}]
    text = writer.table_text("Header", raw("Header", rows))
    expected = io.StringIO()
    out = csv.writer(expected, lineterminator="\n")
    out.writerow(COLUMNS["Header"])
    out.writerows([[r.get(c) or "" for c in COLUMNS["Header"]] for r in rows])
    assert text == expected.getvalue()
