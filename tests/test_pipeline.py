"""The code location loads, and `statreturns demo` runs the whole graph end to end, twice, identically,
without a child's identifier reaching anything Dagster stores."""

from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import main
from pipelines.definitions import make_definitions
from statreturns.engine import ISSUE_COLUMNS
from statreturns.reference import DATA_DIR


def test_definitions_load_with_every_stage():
    defs = make_definitions(run_dir="unused")
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    assert {"source_council_ssd", "source_school_pupils", "canonical_tables", "warehouse_tables", "cin_census_tables", "cin_findings",
            "cin_census_xml", "ssda903_tables", "ssda903_findings", "ssda903_files", "cross_findings", "validation_report",
            "submission_pack"} <= keys
    assert defs.resolve_job_def("main") is not None


@pytest.mark.slow
def test_demo_runs_everything_and_is_repeatable(tmp_path, monkeypatch, capsys):
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("STATRETURNS_DATABASE_URL", f"sqlite:///{tmp_path / 'wh_{la}.sqlite'}")
    run = tmp_path / "run"
    assert main(["demo", "--run-dir", str(run)]) == 0
    printed = capsys.readouterr().out
    out = run / "outputs" / "2026" / "356"
    assert (out / "issues.csv").read_text().splitlines()[0] == ",".join(ISSUE_COLUMNS)
    issues = pd.read_csv(out / "issues.csv", dtype="str")
    assert set(issues["return"]) == {"cin", "ssda903", "cross"}
    assert set(issues["severity"]) <= {"error", "query"}
    # The pipeline passes its partition's LA: no 903 rule is skipped for want of it.
    rules = pd.read_csv(out / "ssda903" / "rules.csv", dtype="str", keep_default_na=False)
    assert not rules["reason"].str.contains("no submitting LA", regex=False).any()
    assert rules.set_index("rule_code").loc["179", "status"] == "ran"
    assert set(issues.loc[issues["return"] == "cross", "severity"]) == {"query"}  # never an error
    assert (out / "cross" / "issues.csv").exists() and (out / "cross" / "rules.csv").exists()
    xml = out / "cin" / "356_CIN_2026.xml"
    assert xml.exists() and (out / "ssda903" / "356_903_2026" / "episodes.csv").exists()
    assert (tmp_path / "wh_356.sqlite").exists()
    assert (out / "report.html").exists() and (out / "report.xlsx").exists()
    assert not (out / "submission").exists(), "the demo has DfE errors: no submission pack"
    assert "Children read: 400" in printed and "Outputs:" in printed
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.suffix in (".csv", ".xml")}

    # The retention commands find the LA's warehouse the demo wrote, with no --la or URL given.
    capsys.readouterr()
    assert main(["retention", "plan", "--as-of", "2026-04-01", "--schedule", "school", "--run-dir", str(run)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("20260401-")

    assert main(["demo", "--run-dir", str(run)]) == 0
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.suffix in (".csv", ".xml")}
    assert first == second

    # Nothing Dagster stored (event log, runs, compute logs) holds an identifier or a name from the data.
    people = pd.read_csv(DATA_DIR / "demo" / "ssd" / "ssd_person.csv", dtype="str")
    upns = pd.read_csv(DATA_DIR / "demo" / "ssd" / "ssd_linked_identifiers.csv", dtype="str")
    sentinels = set(people["pers_person_id"]) | set(upns["link_identifier_value"]) | set(people["pers_surname"])
    stored = b"".join(p.read_bytes() for p in Path(home).rglob("*") if p.is_file())
    leaked = [s for s in sentinels if s.encode() in stored]
    assert not leaked, f"{len(leaked)} identifiers found in Dagster storage"
    assert not [s for s in sentinels if s in printed]


def test_a_failing_asset_never_puts_data_into_the_event_log(tmp_path):
    """An unexpected exception quoting a value reaches Dagster as its type only."""
    from dagster import DagsterInstance, asset, materialize

    from assets.privacy import withhold_data_in_errors

    @asset
    @withhold_data_in_errors
    def leaky() -> None:
        raise KeyError("SENTINEL-CHILD-P9999999")

    with DagsterInstance.ephemeral() as instance:
        result = materialize([leaky], instance=instance, raise_on_error=False)
        assert not result.success
        stored = " ".join(str(e.event_specific_data) for e in result.all_events)
        logs = " ".join(str(r.dagster_event) for r in instance.all_logs(result.run_id))
    assert "SENTINEL" not in stored and "SENTINEL" not in logs
    assert "KeyError" in stored


def test_clean_demo_builds_the_pack_and_a_later_blocked_run_leaves_nothing_stale(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.setenv("STATRETURNS_DATABASE_URL", f"sqlite:///{tmp_path / 'wh_{la}.sqlite'}")
    monkeypatch.delenv("STATRETURNS_SOURCES", raising=False)
    run = tmp_path / "run"
    assert main(["demo", "--clean", "--run-dir", str(run)]) == 0
    printed = capsys.readouterr().out
    out = run / "outputs" / "2026" / "356"
    pack = out / "submission" / "356_2026_submission_pack.zip"
    assert pack.exists()
    assert "submission pack built" in printed and "entered in the sharing register" in printed
    assert "Issues, cin: 0 errors" in printed and "Issues, ssda903: 0 errors" in printed
    issues = pd.read_csv(out / "issues.csv", dtype="str")
    # No finding at all: no DfE rule, and no cross check (the generated council is cross-consistent).
    assert issues.empty, issues.groupby(["return", "rule_code"]).size().to_string()
    rules = pd.read_csv(out / "ssda903" / "rules.csv", dtype="str")
    assert not rules.loc[rules["rule_code"].isin(["219", "221", "224", "227", "228", "229", "1008"]),
                         "status"].ne("ran").any(), "the Ofsted rules run on the generated provider list"

    # The default demo has DfE errors: its pack is blocked, and the clean run's pack must not look current.
    monkeypatch.delenv("STATRETURNS_SOURCES", raising=False)
    assert main(["demo", "--run-dir", str(run)]) == 0
    printed = capsys.readouterr().out
    assert not pack.exists() and (out / "stale" / "submission" / "356_2026_submission_pack.zip").exists()
    assert "Submission blocked" in printed and "moved to" in printed
    assert "submission pack built" not in printed


def test_a_wrong_setting_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    cases = {"STATRETURNS_DATABASE_URL": "sqlite:///one-file-for-all.db", "STATRETURNS_LAS": "35",
             "STATRETURNS_SOURCES": str(tmp_path / "missing.yaml")}
    for setting, value in cases.items():
        monkeypatch.setenv(setting, value)
        assert main(["run", "--year", "2026", "--run-dir", str(tmp_path / "run")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(f"statreturns: {setting}"), err
        monkeypatch.delenv(setting)
    assert not (tmp_path / "run").exists(), "nothing ran"
