"""The submission_pack asset: built once no DfE error remains, refused otherwise, and entered in the
sharing register with the children it carries (so the DPO can say who was sent what)."""

import zipfile

import pandas as pd
import pytest
from dagster import build_asset_context

from assets.partitions import Partition
from assets.reports import submission_pack
from assets.resources import Settings
from statreturns.cin.build import build_cin_frames
from statreturns.cin.xml_writer import write_cin_xml
from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS
from statreturns.generate import Config, generate
from statreturns.report import ReportInput, SubmissionBlocked, build_report
from statreturns.retention.sharing import shared_with
from statreturns.ssda903.build import build_903_frames
from statreturns.ssda903.writer import write_csv_set

PART = Partition(2026, "356")


def _findings(errors: int = 0) -> dict[str, pd.DataFrame]:
    issues = pd.DataFrame([["cin", 2026, "8500", "error", "ChildIdentifiers", "LAchildID", "X", "0", "m"]] * errors,
                          columns=ISSUE_COLUMNS)
    rules = pd.DataFrame([["cin", 2026, "8500", "error", "ran", "", errors]], columns=RULE_STATUS_COLUMNS)
    return {"issues": issues, "rules": rules}


@pytest.fixture
def run_folder(tmp_path):
    tables = generate(Config(children=80, seed=77))
    out = tmp_path / "run" / "outputs" / "2026" / "356"
    (out / "cin").mkdir(parents=True)
    write_cin_xml(build_cin_frames(tables, 2026), out / "cin" / "356_CIN_2026.xml", year=2026, lea="356")
    write_csv_set(build_903_frames(tables, 2026), out / "ssda903" / "356_903_2026", 2026)
    empty = _findings()
    build_report(ReportInput("356", 2026, pd.Timestamp("2026-04-15T09:00Z").to_pydatetime(), empty["issues"],
                             empty["rules"], tables), out)
    return tmp_path, tables


def _run(tmp_path, tables, cin, ssda903):
    settings = Settings(run_dir=str(tmp_path / "run"))
    context = build_asset_context(partition_key=PART.key, resources={"settings": settings})
    return submission_pack(context, canonical_tables=tables, cin_findings=cin, ssda903_findings=ssda903)


def test_a_clean_return_is_packed_and_entered_in_the_sharing_register(run_folder):
    tmp_path, tables = run_folder
    result = _run(tmp_path, tables, _findings(), _findings())
    pack = tmp_path / "run" / "outputs" / "2026" / "356" / "submission" / "356_2026_submission_pack.zip"
    assert pack.exists()
    with zipfile.ZipFile(pack) as zf:
        names = zf.namelist()
    assert "manifest.json" in names and any(n.endswith("356_CIN_2026.xml") for n in names)
    assert any(n.endswith("report.html") for n in names)
    assert result.metadata["sharing_register_entry"] >= 1
    # The register can answer "who did we send this child's data to?" for a child in the CIN return.
    child = build_cin_frames(tables, 2026)["ChildIdentifiers"]["LAchildID"].iloc[0]
    engine = Settings(run_dir=str(tmp_path / "run")).warehouse_engine("356")
    try:
        shares = shared_with(engine, child)
    finally:
        engine.dispose()
    assert [s["action"] for s in shares] == ["submission_pack"]


def test_an_error_blocks_the_pack(run_folder):
    tmp_path, tables = run_folder
    with pytest.raises(SubmissionBlocked):
        _run(tmp_path, tables, _findings(errors=2), _findings())
    assert not (tmp_path / "run" / "outputs" / "2026" / "356" / "submission").exists()
