"""The SSDA903 CSV reader: samples, table matching, encodings, bad rows, problems without values."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from statreturns.ssda903.csv_reader import read_csv_set
from statreturns.ssda903.tables import COLUMNS

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "ssda903"

HEADER = "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB"
EPISODES = ",".join(COLUMNS["Episodes"])


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def test_samples_read_every_table_without_problems():
    result = read_csv_set(SAMPLES)
    assert result.problems == []
    assert set(result.tables) == set(COLUMNS)
    for name, frame in result.tables.items():
        assert list(frame.columns[: len(COLUMNS[name])]) == COLUMNS[name]
        assert isinstance(frame.index, pd.RangeIndex)
    source = next(p for p in SAMPLES.iterdir() if p.name.lower() == "episodes.csv")
    lines = source.read_text(encoding="utf-8-sig").splitlines()
    assert len(result.tables["Episodes"]) == len(lines) - 1
    assert result.sources["DoLo"] == "DoLo.csv"


def test_strings_kept_as_written_and_blanks_become_none(tmp_path):
    write(tmp_path, "header.csv", f"{HEADER}\n007, 1 ,01/02/2015,WBRI,A012345678901,,\n  ,M,,,,0,\n")
    frame = read_csv_set(tmp_path).tables["Header"]
    assert frame["CHILD"].tolist() == ["007", None]
    assert frame["SEX"].tolist() == ["1", "M"]
    assert frame["UPN"].iloc[0] == "A012345678901"
    assert frame["MC_DOB"].tolist() == [None, None]
    assert frame.dtypes.eq(object).all()
    assert frame.index.equals(pd.RangeIndex(2))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_encodings(tmp_path, encoding):
    write(tmp_path, "header.csv", f"{HEADER},NOTE\nC1,F,01/02/2015,WBRI,UN1,,,Zoë £5\r\n", encoding)
    result = read_csv_set(tmp_path)
    assert result.problems == []
    frame = result.tables["Header"]
    assert frame["CHILD"].tolist() == ["C1"]
    assert frame["NOTE"].tolist() == ["Zoë £5"]


def test_names_matched_case_insensitively_and_odd_names_by_header(tmp_path):
    write(tmp_path, "HEADER.CSV", f"{HEADER}\nC1,F,01/02/2015,WBRI,UN1,,\n")
    write(tmp_path, "DoLo.csv", "CHILD,DOB,DOLO_START,DOLO_END\nC1,01/02/2015,01/05/2025,\n")
    write(tmp_path, "our export (episodes) 2026.csv", f"{EPISODES}\nC1,01/04/2025,S,C2,N1,K2,PR1,,,,,,\n")
    result = read_csv_set(tmp_path)
    assert result.problems == []
    assert set(result.tables) == {"Header", "DoLo", "Episodes"}
    assert result.sources["Episodes"] == "our export (episodes) 2026.csv"


def test_unknown_header_is_a_problem_and_the_rest_still_load(tmp_path):
    write(tmp_path, "header.csv", f"{HEADER}\nC1,F,01/02/2015,WBRI,UN1,,\n")
    write(tmp_path, "notes.csv", "WHAT,EVER\nsecret value,x\n")
    result = read_csv_set(tmp_path)
    assert list(result.tables) == ["Header"]
    assert [(p.file, p.line) for p in result.problems] == [("notes.csv", 1)]
    assert "does not match" in result.problems[0].reason


def test_wrong_field_count_rows_are_reported_with_line_and_left_out(tmp_path):
    rows = ["C1,F,01/02/2015,WBRI,UN1,,", "C2,F,01/02/2015,WBRI,UN1,,,SECRETX", "C3,M,01/02/2015",
            "C4,M,,,,,"]
    write(tmp_path, "header.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    result = read_csv_set(tmp_path)
    frame = result.tables["Header"]
    assert frame["CHILD"].tolist() == ["C1", "C4"]
    assert [(p.file, p.line) for p in result.problems] == [("header.csv", 3), ("header.csv", 4)]
    assert all("SECRETX" not in str(p) and "C2" not in str(p) for p in result.problems)
    assert str(result.problems[0]).startswith("header.csv, line 3: row has the wrong number of fields")


def test_many_bad_rows_are_counted_in_a_summary(tmp_path):
    write(tmp_path, "missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\n" + "a,b\n" * 60 + "C1,,M,,\n")
    result = read_csv_set(tmp_path)
    assert len(result.tables["Missing"]) == 1
    assert len(result.problems) == 51
    assert "60 in all" in result.problems[-1].reason


def test_quoted_commas_and_newlines(tmp_path):
    write(tmp_path, "missing.csv", 'CHILD,DOB,MISSING,MIS_START,MIS_END\n"C,1","a\nb",M,,\nC2,,A,,\n')
    result = read_csv_set(tmp_path)
    assert result.problems == []
    assert result.tables["Missing"]["CHILD"].tolist() == ["C,1", "C2"]
    assert result.tables["Missing"]["DOB"].iloc[0] == "a\nb"


def test_extra_columns_kept_after_the_standard_ones(tmp_path):
    write(tmp_path, "uasc.csv", "NOTE,DUC,CHILD,SEX,DOB\nn1,,C1,M,01/01/2010\n")
    frame = read_csv_set(tmp_path).tables["UASC"]
    assert list(frame.columns) == [*COLUMNS["UASC"], "NOTE"]
    assert frame["NOTE"].tolist() == ["n1"]


def test_usual_name_with_missing_columns_loads_with_a_problem(tmp_path):
    cols = [c for c in COLUMNS["Episodes"] if c != "URN"]
    write(tmp_path, "episodes.csv", ",".join(cols) + "\nC1,01/04/2025,S,C2,N1,K2,PR1,,,,,\n")
    result = read_csv_set(tmp_path)
    frame = result.tables["Episodes"]
    assert list(frame.columns) == COLUMNS["Episodes"]
    assert frame["URN"].tolist() == [None]
    assert len(result.problems) == 1 and "URN" in result.problems[0].reason


def test_header_wins_over_a_misleading_name(tmp_path):
    write(tmp_path, "header.csv", f"{EPISODES}\nC1,01/04/2025,S,C2,N1,K2,PR1,,,,,,\n")
    result = read_csv_set(tmp_path)
    assert list(result.tables) == ["Episodes"]
    assert "header matches Episodes" in result.problems[0].reason


def test_second_file_for_a_table_is_reported_not_merged(tmp_path):
    write(tmp_path, "header.csv", f"{HEADER}\nC1,F,01/02/2015,WBRI,UN1,,\n")
    write(tmp_path, "header copy.csv", f"{HEADER}\nC2,F,01/02/2015,WBRI,UN1,,\n")
    result = read_csv_set(tmp_path)
    assert result.tables["Header"]["CHILD"].tolist() == ["C1"]
    assert [p.file for p in result.problems] == ["header copy.csv"]


@pytest.mark.parametrize("text", ["", "\n\n", f"{HEADER.replace('SEX', 'CHILD')}\n"])
def test_empty_or_broken_headers_are_problems(tmp_path, text):
    write(tmp_path, "header.csv", text)
    result = read_csv_set(tmp_path)
    assert result.tables == {}
    assert len(result.problems) == 1


def test_header_only_file_gives_an_empty_table(tmp_path):
    write(tmp_path, "missing.csv", "CHILD,DOB,MISSING,MIS_START,MIS_END\r\n")
    result = read_csv_set(tmp_path)
    assert result.problems == []
    assert result.tables["Missing"].shape == (0, 5)


def test_non_csv_files_are_ignored(tmp_path):
    write(tmp_path, "readme.txt", "not a table")
    assert read_csv_set(tmp_path).tables == {}


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_line_endings(tmp_path, end):
    write(tmp_path, "uasc.csv", end.join(["CHILD,SEX,DOB,DUC", "C1,M,,", "C2,F,,01/01/2030", ""]))
    result = read_csv_set(tmp_path)
    assert result.problems == []
    assert result.tables["UASC"]["CHILD"].tolist() == ["C1", "C2"]
    assert result.tables["UASC"]["DUC"].tolist() == [None, "01/01/2030"]


def test_unterminated_quote_is_a_bad_row(tmp_path):
    write(tmp_path, "missing.csv", 'CHILD,DOB,MISSING,MIS_START,MIS_END\nC1,,M,,\n"C2,,A,,\n')
    result = read_csv_set(tmp_path)
    assert result.tables["Missing"]["CHILD"].tolist() == ["C1"]
    assert [(p.file, p.line) for p in result.problems] == [("missing.csv", 3)]
