"""CSV exports in every encoding and layout, the mapped profile, and bad input: quarantined or refused."""

import codecs
import os
import tracemalloc

import pandas as pd
import pytest

from statreturns.ingest.errors import IngestError
from statreturns.ingest.profiles import load_profile
from statreturns.ingest.run import ingest_source, read_unlanded
from statreturns.ingest.text import layout, read_text, sniff_encoding
from tests.ingest.conftest import LANDED_AT, balanced, source

HEADER = "Adno,UPN,Legal Forename,Legal Surname,DOB,Gender,Date of Admission,SEN Status,EHCP"
ROWS = ["A001,H123456789012,Testy,Fakename,25/10/2015,F,01/09/2020,N,No",
        "a002 ,K123456789013,Madeup,Samplewood,2016-02-03,M,2020-09-01,K,Yes",
        "A003,,Zoë,Ñamefake,3 March 2016,2,01-09-2020,E,Y"]
MIS = load_profile("generic-mis")


def _write(path, text: str, encoding: str):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
def test_every_encoding_reads_the_same_rows(tmp_path, encoding):
    path = _write(tmp_path / "pupils.csv", "\r\n".join([HEADER, *ROWS]) + "\r\n", encoding)
    tables, q = read_unlanded("csv", [path], MIS, "school")
    pupils = tables["school_pupils"]
    assert q.empty
    assert list(pupils["pupil_id"]) == ["A001", "A002", "A003"]  # trimmed and upper-cased
    assert pupils["PersonBirthDate"].dt.strftime("%Y-%m-%d").tolist() == ["2015-10-25", "2016-02-03", "2016-03-03"]
    assert pupils["Sex"].tolist() == ["F", "M", "F"]  # local code 2 mapped
    assert pupils["ehcp"].tolist() == [False, True, True]
    assert pupils.loc[2, "forename"] == "Zoë"


def test_sniffing():
    assert sniff_encoding(codecs.BOM_UTF8 + b"a,b") == "utf-8-sig"
    assert sniff_encoding("a,b\n".encode("utf-16")) == "utf-16"
    assert sniff_encoding("a,b\n".encode("utf-16-le")) == "utf-16-le"
    assert sniff_encoding("Zoë,b\n".encode("cp1252")) == "cp1252"
    assert sniff_encoding("Zoë,b\n".encode()) == "utf-8"


def test_header_found_below_title_rows_and_other_delimiters(tmp_path):
    text = "Pupil list;;\nPrinted 01/02/2026;;\n\n" + "\n".join(r.replace(",", ";") for r in [HEADER, *ROWS]) + "\n"
    path = _write(tmp_path / "report.csv", text, "utf-8")
    lay = layout(path, MIS.known_headers())
    assert (lay.header_line, lay.delimiter) == (4, ";")
    chunks = list(read_text(path, MIS.known_headers()))
    assert chunks[0].lines.tolist() == [5, 6, 7]
    tables, q = read_unlanded("csv", [path], MIS, "school")
    assert len(tables["school_pupils"]) == 3 and q.empty


def test_bad_rows_are_quarantined_with_line_and_reason(tmp_path):
    rows = [*ROWS, ",NOKEY,,,01/01/2015,F,,,",  # line 5: no key
            "A005,X,,,31/02/2015,F,,,",  # line 6: no such date
            "A006,X,,,01/01/2015,Q,,,",  # line 7: unknown sex code, no mapping
            "A007,X,,,01/01/2015,F,,,maybe",  # line 8: not a yes/no
            "A008,X,,,01/01/2015,F,,,No,extra,fields",  # line 9: more fields than the header
            "A001,X,,,01/01/2015,F,,,No"]  # line 10: duplicate key, supersedes line 2
    path = _write(tmp_path / "pupils.csv", "\n".join([HEADER, *rows]) + "\n", "utf-8")
    tables, q = read_unlanded("csv", [path], MIS, "school")
    reasons = dict(zip(q["line"].astype(int), q["reason"], strict=True))
    assert reasons == {5: "missing_key:pupil_id", 6: "bad_date:PersonBirthDate", 7: "unknown_code:Sex",
                       8: "bad_flag:ehcp", 9: "too_many_fields", 2: "duplicate_superseded:pupil_id"}
    assert set(tables["school_pupils"]["pupil_id"]) == {"A001", "A002", "A003"}
    assert len(tables["school_pupils"]) + len(q) == len(rows)  # nothing lost


def test_truncated_file_quarantines_the_cut_row(tmp_path, engine):
    text = "\n".join([HEADER, *ROWS]) + "\nA004,H1234"  # cut mid-row
    path = _write(tmp_path / "pupils.csv", text, "utf-8")
    result = ingest_source(source("school", "csv", path, "generic-mis"), tmp_path / "run", engine, LANDED_AT)
    assert result.quarantine[["line", "reason"]].values.tolist() == [[5, "truncated_row"]]
    assert result.counts()["rows_in"] == 4 and balanced(result)


def test_unterminated_quote_fails_with_file_and_line(tmp_path):
    path = _write(tmp_path / "pupils.csv", "\n".join([HEADER, *ROWS]) + '\nA004,"H12', "utf-8")
    with pytest.raises(IngestError, match=r"pupils.csv: line 5: a quoted value never ends"):
        read_unlanded("csv", [path], MIS, "school")


def test_wrong_encoding_is_a_clear_error(tmp_path):
    path = _write(tmp_path / "pupils.csv", "\n".join([HEADER, *ROWS]) + "\n", "utf-8")
    with pytest.raises(IngestError, match=r"pupils.csv: line 1: not ascii text"):
        list(read_text(path, MIS.known_headers(), encoding="ascii"))
    # valid UTF-8 for the first megabyte, then a byte that is not: named with a line, no value
    big = _write(tmp_path / "big.csv", HEADER + "\n" + "A1,X,,,01/01/2015,F,,,No\n" * 60_000, "utf-8")
    with big.open("ab") as fh:
        fh.write(b"A2,\xff\xfe,,,01/01/2015,F,,,No\n")
    with pytest.raises(IngestError, match=r"big.csv: line \d+: not utf-8 text"):
        list(read_text(big, MIS.known_headers()))


def test_a_missing_key_column_fails_the_file(tmp_path):
    path = _write(tmp_path / "pupils.csv", "UPN,Legal Surname\nH1,Fakename\n", "utf-8")
    with pytest.raises(IngestError, match=r"pupils.csv: column missing: none of Adno"):
        read_unlanded("csv", [path], MIS, "school")


def test_empty_file_fails(tmp_path):
    path = _write(tmp_path / "pupils.csv", "", "utf-8")
    with pytest.raises(IngestError, match="pupils.csv: empty file"):
        read_unlanded("csv", [path], MIS, "school")


def _lazy_big_csv(path, megabytes: int) -> int:
    line = "A{:09d},H123456789012,Testy,Fakename,25/10/2015,F,01/09/2020,N,No\n"
    block = 20_000
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        while fh.tell() < megabytes * 1_000_000:
            fh.write("".join(line.format(i) for i in range(n, n + block)))
            n += block
    return n


def _stream(path) -> tuple[int, int, int]:
    tracemalloc.start()
    rows, chunks = 0, 0
    for chunk in read_text(path, MIS.known_headers(), chunk_rows=20_000):
        rows += len(chunk.frame)
        chunks += 1
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return rows, chunks, peak


def test_a_big_file_is_streamed_in_chunks_not_loaded_whole(tmp_path):
    # Peak memory must not grow with the file: a file 4 times bigger peaks about the same.
    # STATRETURNS_BIG_CSV_MB=2000 makes the big one the 2 GB case (bench/bench_ingest.py measures it).
    mb = int(os.environ.get("STATRETURNS_BIG_CSV_MB", "40"))
    small, big = tmp_path / "small.csv", tmp_path / "big.csv"
    n_small, n_big = _lazy_big_csv(small, max(1, mb // 4)), _lazy_big_csv(big, mb)
    rows_small, _, peak_small = _stream(small)
    rows_big, chunks, peak_big = _stream(big)
    assert (rows_small, rows_big) == (n_small, n_big) and chunks == -(-n_big // 20_000)
    assert peak_big < 1.5 * peak_small


def test_columns_named_any_accepted_way(tmp_path):
    text = "admission number,Unique Pupil Number,FORENAME,surname,Date_of_Birth,sex\nA9,H1,Testy,Fakename,2015-01-01,m\n"
    path = _write(tmp_path / "arbor.csv", text, "utf-8")
    tables, q = read_unlanded("csv", [path], MIS, "school")
    row = tables["school_pupils"].iloc[0]
    assert (row["pupil_id"], row["UPN"], row["Sex"]) == ("A9", "H1", "M") and q.empty
    assert pd.isna(row["entry_date"])
