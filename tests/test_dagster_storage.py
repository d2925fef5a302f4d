"""The instance storage deploy/dagster.yaml names: Dagster's SQLite files, one engine per file."""

import os
import shutil
from pathlib import Path

from dagster import DagsterInstance, job, op

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
