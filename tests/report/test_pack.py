import hashlib
import io
import json
import os
import zipfile

import pytest

from statreturns.report import SubmissionBlocked, build_submission_pack
from tests.report.frames import issue, run

SECRET_CHILD = "SENTINEL-CHILD-77"


def _files(tmp_path):
    ret = tmp_path / "return"
    ret.mkdir()
    (ret / "999_CIN_2026.xml").write_bytes(b"<Message>synthetic</Message>\n")
    rep = tmp_path / "report"
    rep.mkdir()
    (rep / "report.html").write_text("<!DOCTYPE html><p>report</p>\n", encoding="utf-8")
    (rep / "report.xlsx").write_bytes(b"PK fake workbook")
    return [ret / "999_CIN_2026.xml"], [rep / "report.html", rep / "report.xlsx"]


def test_blocked_while_errors_remain_and_the_message_has_counts_only(tmp_path):
    returns, reports = _files(tmp_path)
    blocked = run([issue(SECRET_CHILD, "8500", "error"), issue(SECRET_CHILD, "8825Q", "query")])
    with pytest.raises(SubmissionBlocked) as caught:
        build_submission_pack(blocked, returns, reports, tmp_path / "pack")
    assert isinstance(caught.value, ValueError)
    text = str(caught.value)
    assert SECRET_CHILD not in text and "errors=1," in text
    assert not (tmp_path / "pack").exists()


def test_pack_holds_files_and_a_manifest_whose_checksums_match(tmp_path):
    returns, reports = _files(tmp_path)
    path = build_submission_pack(run([issue("C1", "8825Q", "query")]), returns, reports, tmp_path / "pack")
    assert path.name == "999_2026_submission_pack.zip"
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        contents = {name: zf.read(name) for name in names}
    assert sorted(names) == ["manifest.json", "report/report.html", "report/report.xlsx", "return/999_CIN_2026.xml"]
    assert (manifest["la_code"], manifest["collection_year"]) == ("999", 2026)
    assert manifest["generated_at"] == "2026-04-20T09:30:00+00:00"
    assert manifest["period"] == {"start": "2025-04-01", "end": "2026-03-31"}
    assert (manifest["counts"]["errors"], manifest["counts"]["queries"]) == (0, 1)
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == set(names) - {"manifest.json"}
    for name, entry in listed.items():
        assert entry["size"] == len(contents[name])
        assert entry["sha256"] == hashlib.sha256(contents[name]).hexdigest()
    assert listed["return/999_CIN_2026.xml"]["kind"] == "return"


def test_same_input_same_bytes_whatever_the_file_times(tmp_path):
    returns, reports = _files(tmp_path)
    ok = run([])
    first = build_submission_pack(ok, returns, reports, tmp_path / "a").read_bytes()
    for p in returns + reports:
        os.utime(p, (1_900_000_000, 1_900_000_000))
    second = build_submission_pack(ok, returns, reports, tmp_path / "b").read_bytes()
    assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest()
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2026, 4, 20, 9, 30, 0)}


def test_two_files_with_one_name_are_refused(tmp_path):
    returns, reports = _files(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "report.html").write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="same name"):
        build_submission_pack(run([]), returns, [*reports, other / "report.html"], tmp_path / "pack")
