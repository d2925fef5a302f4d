"""The DfE CIN XSD inside the product: every schema error of a file we write or read is a finding (rule XSD)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from dagster import build_asset_context

from assets.cin_census import cin_census_xml, cin_findings
from assets.partitions import Partition
from assets.resources import Settings
from pipelines.cli import main
from statreturns.cin import xsd
from statreturns.cin.xml_reader import read_cin_xml
from statreturns.cin.xml_writer import write_cin_xml
from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS
from statreturns.report import ReportInput, SubmissionBlocked
from statreturns.report.pack import build_submission_pack
from statreturns.validate import cin_return_xsd_issues, validate_cin
from tests.cin.test_xml_writer import clean_frames

# Injected values: distinctive, so a message that quoted one would be caught.
BAD = {"Ethnicity": "QQZZ", "ReferralSource": "ZZ9", "Disability": "XBADX", "CPPstartDate": "20/05/2025"}


def bad_frames() -> dict[str, pd.DataFrame]:
    frames = clean_frames()
    frames["ChildCharacteristics"].loc[1, "Ethnicity"] = BAD["Ethnicity"]       # SYNB2
    frames["CINdetails"].loc[1, "ReferralSource"] = BAD["ReferralSource"]       # SYNA1's second episode
    frames["Disabilities"].loc[0, "Disability"] = BAD["Disability"]             # SYNA1
    frames["ChildProtectionPlans"].loc[1, "CPPstartDate"] = BAD["CPPstartDate"]  # SYNB2
    return frames


def findings(issues: pd.DataFrame) -> list[tuple[str, str, str]]:
    return sorted(zip(issues["table"], issues["field"], issues["child_id"], strict=True))


EXPECTED = sorted([("ChildCharacteristics", "Ethnicity", "SYNB2"), ("CINdetails", "ReferralSource", "SYNA1"),
                   ("Disabilities", "Disability", "SYNA1"), ("ChildProtectionPlans", "CPPstartDate", "SYNB2")])


def test_schemas_ship_for_2023_to_2026_and_2027_uses_2026() -> None:
    for year in range(2023, 2027):
        assert xsd.schema_file(year).name == f"CIN_schema_{year}.xsd" and xsd.schema_file(year).is_file()
    assert xsd.schema_year(2027) == 2026 and xsd.has_schema(2027)
    for year in (2022, 2028):
        assert not xsd.has_schema(year)
        with pytest.raises(ValueError):
            xsd.schema_year(year)


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2027])
def test_clean_return_has_no_xsd_finding(tmp_path: Path, year: int) -> None:
    path = write_cin_xml(clean_frames(), tmp_path / "clean.xml", year=year, lea="921")
    assert xsd.check_cin_xml(path, year).empty
    assert read_cin_xml(path).xsd_issues.empty


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_injected_bad_codes_are_errors_naming_the_element_never_the_value(tmp_path: Path, year: int) -> None:
    path = write_cin_xml(bad_frames(), tmp_path / "bad.xml", year=year, lea="921")
    issues = xsd.check_cin_xml(path, year)
    assert list(issues.columns) == ISSUE_COLUMNS
    assert findings(issues) == EXPECTED
    assert set(issues["rule_code"]) == {"XSD"} and set(issues["severity"]) == {"error"}
    assert set(issues["return"]) == {"cin"} and set(issues["year"]) == {year} and set(issues["row"]) == {""}
    lines = path.read_text().splitlines()
    for _, f in issues.iterrows():
        line = int(f["message"].split(":")[0].removeprefix("line "))
        assert f"<{f['field']}>" in lines[line - 1]  # the line is the element's own
        assert not any(value in f["message"] for value in BAD.values())
        assert f"DfE CIN XSD {min(year, 2026)}" in f["message"]


def test_return_with_bad_codes_is_reported_today_and_blocks_the_pack(tmp_path: Path) -> None:
    # Before: the writer wrote this XSD-invalid file and no finding said so.
    frames = bad_frames()
    issues = cin_return_xsd_issues(frames, 2026, "921", tmp_path)
    assert findings(issues) == EXPECTED
    assert list(tmp_path.iterdir()) == []  # the file checked was temporary
    result = validate_cin(frames, 2026, xsd_issues=issues)
    xsd_rows = result.issues[result.issues["rule_code"] == "XSD"]
    assert len(xsd_rows) == 4 and result.errors >= 4
    run = ReportInput("921", 2026, pd.Timestamp("2026-04-15T09:00Z").to_pydatetime(), result.issues,
                      result.rule_status, {})
    with pytest.raises(SubmissionBlocked):
        build_submission_pack(run, [], [], tmp_path / "submission")


def test_assets_report_xsd_errors_and_fail_the_blocking_check(tmp_path: Path) -> None:
    part = Partition(2026, "356")
    settings = Settings(run_dir=str(tmp_path / "run"))
    context = build_asset_context(partition_key=part.key, resources={"settings": settings})
    frames = bad_frames()
    found = cin_findings(context, cin_census_tables=frames)
    issues = found["issues"]
    assert findings(issues[issues["rule_code"] == "XSD"]) == EXPECTED
    on_disk = pd.read_csv(settings.partition_outputs(part, "cin") / "issues.csv", dtype=str)
    assert (on_disk["rule_code"] == "XSD").sum() == 4
    assert not list(settings.partition_outputs(part, "cin").glob(".xsd-check-*"))
    context = build_asset_context(partition_key=part.key, resources={"settings": settings})
    result = cin_census_xml(context, cin_census_tables=frames, cin_findings=found)
    assert result.metadata["xsd_errors"] == 4
    check = next(c for c in result.check_results if c.check_name == "no_dfe_errors")
    assert not check.passed and check.metadata["by_rule"].value["XSD"] == 4
    # A clean return's check passes as far as the XSD goes.
    clean = clean_frames()
    empty = {"issues": pd.DataFrame(columns=ISSUE_COLUMNS), "rules": pd.DataFrame(columns=RULE_STATUS_COLUMNS)}
    context = build_asset_context(partition_key=part.key, resources={"settings": settings})
    assert cin_census_xml(context, cin_census_tables=clean, cin_findings=empty).metadata["xsd_errors"] == 0


def test_reader_checks_against_the_header_year_or_the_year_given(tmp_path: Path) -> None:
    path = write_cin_xml(bad_frames(), tmp_path / "bad.xml", year=2026, lea="921")
    read = read_cin_xml(path)
    assert read.xsd_year == 2026
    pd.testing.assert_frame_equal(read.xsd_issues, xsd.check_cin_xml(path, 2026))
    as_2024 = read_cin_xml(path, xsd_year=2024)  # 2024 has GenderCurrent where 2026 has Sex
    assert as_2024.xsd_year == 2024
    assert {"Sex"} <= set(as_2024.xsd_issues["field"]) and "Sex" not in set(read.xsd_issues["field"])
    unchecked = read_cin_xml(path, check_xsd=False)
    assert unchecked.xsd_issues.empty and unchecked.xsd_year is None
    pd.testing.assert_frame_equal(unchecked.frames["CINdetails"], read.frames["CINdetails"])


def test_message_level_structure_is_checked(tmp_path: Path) -> None:
    path = write_cin_xml(clean_frames(), tmp_path / "ok.xml", year=2026, lea="921")
    text = path.read_text()
    stray = text.replace("  <Children>\n", "  <Extra/>\n  <Children>\n    <Note>x</Note>\n", 1)
    stray = stray.replace("  </Children>\n", "    <Note/>\n  </Children>\n")
    bad = tmp_path / "stray.xml"
    bad.write_text(stray)
    issues = xsd.check_cin_xml(bad, 2026)
    assert sorted(zip(issues["table"], issues["field"], strict=True)) == [
        ("Children", "Note"), ("Children", "Note"), ("Message", "Extra")]
    assert read_cin_xml(bad).xsd_issues.equals(issues)
    none = tmp_path / "none.xml"
    none.write_text(text[:text.index("    <Child>")] + "  </Children>\n</Message>\n")
    issues = xsd.check_cin_xml(none, 2026)
    assert issues[["table", "field"]].values.tolist() == [["Message", "Children"]]


def test_cli_reports_xsd_findings_in_issues_csv(tmp_path: Path, capsys) -> None:
    path = write_cin_xml(bad_frames(), tmp_path / "bad.xml", year=2026, lea="921")
    code = main(["validate", "cin", str(path), "--year", "2026", "--out", str(tmp_path / "out")])
    out, err = capsys.readouterr()
    assert code == 1
    issues = pd.read_csv(tmp_path / "out" / "issues.csv", dtype=str, keep_default_na=False)
    assert findings(issues[issues["rule_code"] == "XSD"]) == EXPECTED
    assert not any(value in out + err for value in BAD.values())
