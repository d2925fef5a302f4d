"""The source assets under Dagster, the inbox sensor, and the ingest commands."""

from pathlib import Path

import pandas as pd
import yaml
from dagster import DagsterInstance, build_sensor_context, materialize

from assets.resources import Settings, TablesIOManager
from assets.sources import inbox_sensor, source_assets
from pipelines.cli import main
from statreturns.ingest import landing

REPO = Path(__file__).resolve().parents[2]


def _sources_file(tmp_path, ssd_folder, pupils_csv) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [
        {"name": "council", "kind": "csv", "location": str(ssd_folder), "profile": "ssd-csv"},
        {"name": "school", "kind": "csv", "location": str(pupils_csv), "profile": "generic-mis"},
    ]}))
    return path


def test_source_assets_materialise_with_counts_only(tmp_path, ssd_folder, pupils_csv):
    assets = source_assets(_sources_file(tmp_path, ssd_folder, pupils_csv))
    assert [a.key.to_user_string() for a in assets] == ["source_council", "source_school"]
    run = tmp_path / "run"
    result = materialize(assets, resources={"settings": Settings(run_dir=str(run)),
                                            "tables_io": TablesIOManager(run_dir=str(run))})
    assert result.success
    for event in result.get_asset_materialization_events():
        meta = event.materialization.metadata
        assert all(isinstance(v.value, int) for v in meta.values())  # counts only: no values, no paths
        assert meta["rows_in"].value == meta["rows_landed"].value + meta["rows_quarantined"].value
    school = result.output_for_node("source_school")
    assert set(school) == {"school_pupils"} and len(school["school_pupils"]) > 0
    assert (run / "outputs" / "quarantine" / "council_quarantine.csv").exists()
    engine = Settings(run_dir=str(run)).warehouse_engine()  # the landing register lives in the warehouse
    try:
        assert len(landing.register(engine)) == len(list(ssd_folder.glob("*.csv"))) + 1
    finally:
        engine.dispose()


def test_unreadable_source_fails_the_asset_with_file_and_line(tmp_path, pupils_csv):
    pupils_csv.write_text('Adno,UPN\nA1,"H1\n')
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [
        {"name": "school", "kind": "csv", "location": str(pupils_csv), "profile": "generic-mis"}]}))
    run = tmp_path / "run"
    result = materialize(source_assets(path), raise_on_error=False,
                         resources={"settings": Settings(run_dir=str(run)),
                                    "tables_io": TablesIOManager(run_dir=str(run))})
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "IngestError: pupils.csv: line 2: a quoted value never ends" in failure.event_specific_data.error.to_string()


def test_inbox_sensor_requests_one_run_per_new_content(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sensor = inbox_sensor(inbox, target="source_school")
    assert sensor.default_status.value == "STOPPED"
    with DagsterInstance.ephemeral() as instance:
        ctx = build_sensor_context(instance=instance)
        assert sensor.evaluate_tick(ctx).run_requests == []
        (inbox / "pupils.csv").write_text("Adno\nA1\n")
        (inbox / ".partial").write_text("ignored")
        ctx = build_sensor_context(instance=instance, cursor=None)
        first = sensor.evaluate_tick(ctx)
        assert len(first.run_requests) == 1 and len(first.run_requests[0].run_key) == 64
        ctx = build_sensor_context(instance=instance, cursor=first.cursor)
        assert sensor.evaluate_tick(ctx).run_requests == []  # nothing new


def test_cli_sources_check_and_ingest(tmp_path, ssd_folder, pupils_csv, capsys):
    sources = _sources_file(tmp_path, ssd_folder, pupils_csv)
    assert main(["sources", "check", str(sources)]) == 0
    assert main(["ingest", "--sources", str(sources), "--run-dir", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    assert "council:" in out and "school:" in out and "landed" in out
    assert main(["ingest", "--sources", str(sources), "--source", "nosuch", "--run-dir", str(tmp_path)]) == 2
    assert "no source named nosuch" in capsys.readouterr().err


def test_cli_exit_codes_for_quarantine_and_bad_files(tmp_path, capsys):
    data = tmp_path / "pupils.csv"
    data.write_text("Adno,Gender\nA1,F\nA2,Q\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: school, kind: csv, location: pupils.csv, profile: generic-mis}\n")
    assert main(["ingest", "--sources", str(sources), "--run-dir", str(tmp_path / "run")]) == 1
    q = pd.read_csv(tmp_path / "run" / "outputs" / "quarantine" / "school_quarantine.csv")
    assert q[["file", "line", "reason"]].values.tolist() == [["pupils.csv", 3, "unknown_code:Sex"]]
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources:\n  - {name: school, kind: parquet, location: x, profile: generic-mis}\n")
    assert main(["sources", "check", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["statreturns: bad.yaml: sources[0].kind: unknown kind 'parquet' "
                   "(one of csv, xlsx, sims-xml, ctf, sql, cin-xml, ssda903)"]


def test_demo_sources_through_the_cli(tmp_path, capsys):
    assert main(["sources", "check", str(REPO / "data" / "sources" / "demo.yaml")]) == 0


def test_partitioned_source_assets_land_per_la(tmp_path, pupils_csv):
    from dagster import MultiPartitionKey, MultiPartitionsDefinition, StaticPartitionsDefinition

    folder = tmp_path / "extracts" / "356"
    folder.mkdir(parents=True)
    (folder / "pupils.csv").write_bytes(pupils_csv.read_bytes())
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [
        {"name": "school", "kind": "csv", "location": "extracts/{la}/pupils.csv", "profile": "generic-mis"}]}))
    parts = MultiPartitionsDefinition({"year": StaticPartitionsDefinition(["2026"]),
                                       "la": StaticPartitionsDefinition(["356"])})
    run = tmp_path / "run"
    result = materialize(source_assets(path, partitions_def=parts),
                         partition_key=MultiPartitionKey({"year": "2026", "la": "356"}),
                         resources={"settings": Settings(run_dir=str(run)),
                                    "tables_io": TablesIOManager(run_dir=str(run))})
    assert result.success
    assert len(list((run / "landing" / "2026" / "356" / "school").iterdir())) == 1
    assert (run / "outputs" / "2026" / "356" / "quarantine" / "school_quarantine.csv").exists()
