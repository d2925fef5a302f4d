"""The instance storage deploy/dagster.yaml names: Dagster's SQLite files, one engine per file."""

import os
import shutil
import sqlite3
from pathlib import Path

from dagster import DagsterInstance, job, op

from statreturns import dagster_storage
from statreturns.dagster_storage import EventLogStorage, RunStorage

ROOT = Path(__file__).resolve().parent.parent


@op
def _one() -> int:
    return 1


@job
def _tiny():
    _one()


def test_runs_recorded_with_it_open_with_dagsters_default_storage(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, EventLogStorage)
        assert isinstance(instance.run_storage, RunStorage)
        first = _tiny.execute_in_process(instance=instance)
        second = _tiny.execute_in_process(instance=instance)  # the same engines, used again
        events = {r.run_id: len(instance.all_logs(r.run_id)) for r in (first, second)}
    assert first.success and second.success and min(events.values()) > 0

    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # Dagster's own SQLite storage
    with DagsterInstance.get() as instance:
        assert not isinstance(instance.event_log_storage, EventLogStorage)
        assert instance.get_runs_count() == 2
        assert {run_id: len(instance.all_logs(run_id)) for run_id in events} == events


def test_a_runs_shard_file_changes_when_its_events_are_written(tmp_path, monkeypatch):
    """Dagster's UI follows a live run by watching the run's .db file (connections stay open, so the
    events land in the -wal file first): a write touches the .db, a read does not."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.get() as instance:
        run = _tiny.execute_in_process(instance=instance).dagster_run
        shard = Path(instance.event_log_storage.path_for_shard(run.run_id))
        old = shard.stat().st_mtime_ns - 10**9
        os.utime(shard, ns=(old, old))
        instance.all_logs(run.run_id)
        assert shard.stat().st_mtime_ns == old
        instance.report_engine_event("written after the run", run)
        assert shard.stat().st_mtime_ns > old


def _layout(db: Path) -> tuple:
    """A database's schema, journal mode, and which data migrations it records as done (no timestamps)."""
    con = sqlite3.connect(db)
    try:
        schema = sorted(con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        done = sorted(con.execute("SELECT name FROM secondary_indexes")) if "secondary_indexes" in tables else []
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608
        return schema, con.execute("PRAGMA journal_mode").fetchone(), done, counts
    finally:
        con.close()


def _home(tmp_path: Path, name: str, config: str | None = None) -> Path:
    home = tmp_path / name
    home.mkdir()
    if config is None:
        shutil.copyfile(ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    else:
        (home / "dagster.yaml").write_text(config)
    return home


def test_a_new_home_and_run_shard_start_as_the_files_dagster_makes(tmp_path, monkeypatch):
    monkeypatch.setattr(dagster_storage, "template_dir", lambda: tmp_path / "template")
    dagster_storage._template.cache_clear()
    seeded = []
    seed = dagster_storage._seed
    monkeypatch.setattr(dagster_storage, "_seed", lambda src, dst: seeded.append(dst.name) or seed(src, dst))
    ours, dagsters = _home(tmp_path, "ours"), _home(tmp_path, "dagsters", "telemetry:\n  enabled: false\n")
    run_ids = {}
    for home in (ours, dagsters):
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        with DagsterInstance.get() as instance:
            run_ids[home] = _tiny.execute_in_process(instance=instance).run_id
    try:
        assert (tmp_path / "template" / "history" / "runs" / "shard.db").is_file()  # made on first use
        assert sorted(seeded) == sorted(["runs.db", "index.db", "schedules.db", f"{run_ids[ours]}.db"])
        assert not [p for p in (tmp_path / "template").rglob("*") if p.name.endswith(("-wal", "-shm"))]
        for name in dagster_storage.HOME_FILES:
            assert _layout(ours / name) == _layout(dagsters / name), name
        shard = Path("history", "runs")
        assert (_layout(ours / shard / f"{run_ids[ours]}.db")
                == _layout(dagsters / shard / f"{run_ids[dagsters]}.db"))
        assert not (ours / shard / "shard.db").exists()
        assert not [p for p in ours.rglob(".*") if p.is_file()]  # no temporary copies left behind
        # and a seeded home opens with Dagster's own storage
        (ours / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        monkeypatch.setenv("DAGSTER_HOME", str(ours))
        with DagsterInstance.get() as instance:
            assert instance.get_runs_count() == 1 and len(instance.all_logs(run_ids[ours])) > 0
    finally:
        dagster_storage._template.cache_clear()


def test_only_a_home_with_none_of_its_databases_is_seeded(tmp_path, monkeypatch):
    monkeypatch.setattr(dagster_storage, "template_dir", lambda: tmp_path / "template")
    dagster_storage._template.cache_clear()
    try:
        home = tmp_path / "home"
        assert dagster_storage.seed_home(str(home))
        runs = home / "history" / "runs.db"
        runs.write_bytes(b"kept")
        (home / "history" / "runs" / "index.db").unlink()  # partly there: Dagster creates (and reindexes) the rest
        assert not dagster_storage.seed_home(str(home))
        assert runs.read_bytes() == b"kept" and not (home / "history" / "runs" / "index.db").exists()
    finally:
        dagster_storage._template.cache_clear()
