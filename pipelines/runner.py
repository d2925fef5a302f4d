"""Running the main job for partitions (collection year × LA) from the command line.

`statreturns demo` runs one partition in-process; `statreturns run` runs any set of years and LAs, one
Dagster run per partition, several partitions at once (a pool of processes), each run's steps in its
own process by default, or with the multiprocess executor (steps in parallel processes) or the Celery
executor (steps on `statreturns worker` processes). Either way the runs are recorded in the Dagster
instance under DAGSTER_HOME and show in the UI.
"""

from __future__ import annotations

import functools
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from assets.partitions import PARTITIONS, Partition
from statreturns.reference import DATA_DIR

DAGSTER_YAML = DATA_DIR.parent / "deploy" / "dagster.yaml"


@dataclass
class Outcome:
    """What one partition's run did, in counts and step names only."""

    partition: Partition
    took: float
    blocked: list[str] = field(default_factory=list)  # steps stopped by a failed blocking check (DfE errors)
    failed: list[str] = field(default_factory=list)  # steps that raised
    metadata: dict[str, dict] = field(default_factory=dict)  # asset -> its materialisation metadata


def ensure_dagster_home(run_dir: Path) -> Path:
    """DAGSTER_HOME, defaulting to the run folder's own; an instance config is put there if missing."""
    home = Path(os.environ.get("DAGSTER_HOME") or (run_dir / "dagster_home").resolve())
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "dagster.yaml").exists():
        shutil.copyfile(DAGSTER_YAML, home / "dagster.yaml")
    return home


STARTED = ".run_started"  # touched in a partition's outputs folder when its run starts
STALE = "stale"  # where outputs no step of the latest run wrote are moved


def mark_start(out: Path) -> None:
    """Note the start of a run of the partition whose outputs are ``out`` (its modification time)."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(out / STALE, ignore_errors=True)  # what an even earlier run set aside
    marker = out / STARTED
    marker.write_bytes(b"")
    os.utime(marker)


def set_aside_stale(out: Path) -> list[Path]:
    """Move every output the latest run did not write (its step failed, was blocked or did not run) into
    ``out/stale/``, so nothing of an earlier run looks current. Returns the moved files' new paths."""
    marker = out / STARTED
    if not marker.exists():
        return []
    started = marker.stat().st_mtime_ns
    moved = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        rel = path.relative_to(out)
        if rel.parts[0] == STALE or path == marker or path.stat().st_mtime_ns >= started:
            continue
        target = out / STALE / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved.append(target)
    for folder in sorted((p for p in out.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if folder.name != STALE and not any(folder.iterdir()):
            folder.rmdir()
    marker.unlink()
    return moved


def location_for(sources: Path) -> None:
    """Make an in-process run read ``sources``: the source assets are built when the code location is
    imported, so a location imported for another sources file is rebuilt (a new process reads the
    environment afresh)."""
    import importlib
    import sys

    os.environ["STATRETURNS_SOURCES"] = str(sources)
    ingest = sys.modules.get("assets.ingest")
    if ingest is not None and sources.resolve() != ingest.LOADED_FROM:
        importlib.reload(ingest)
        if "pipelines.definitions" in sys.modules:
            importlib.reload(sys.modules["pipelines.definitions"])
        _job_for.cache_clear()  # jobs built from the old location would read the old sources


def main_job():
    """The main job as the code location defines it (module-level, so Dagster can reconstruct it)."""
    from pipelines.definitions import defs

    return defs.resolve_job_def("main")


def _outcome(part: Partition, events, took: float) -> Outcome:
    out = Outcome(part, took)
    for event in events:
        kind = event.event_type_value
        if kind == "STEP_FAILURE":
            error = event.event_specific_data.error
            # A failed blocking check is the pipeline working: DfE errors hold the return back.
            blocked = error is not None and error.cls_name == "DagsterAssetCheckFailedError"
            (out.blocked if blocked else out.failed).append(event.step_key)
        elif kind == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            out.metadata[mat.asset_key.to_user_string()] = {k: v.value for k, v in mat.metadata.items()}
    return out


@functools.lru_cache(maxsize=4)
def _job_for(run_dir: str, settings: tuple[tuple[str, object], ...], name: str = "main"):
    """A job of the code location with the run folder's resources, built once per process."""
    from pipelines.definitions import make_definitions

    return make_definitions(run_dir=run_dir, **dict(settings)).resolve_job_def(name)


def _settings(**settings: object) -> tuple[tuple[str, object], ...]:
    from pipelines.definitions import settings_from_env

    return tuple(sorted({**{k: v for k, v in settings_from_env().items() if k != "run_dir"}, **settings}.items()))


def run_in_process(parts: list[Partition], run_dir: Path, instance, **settings: object) -> list[Outcome]:
    job = _job_for(str(run_dir), _settings(**settings))
    outcomes = []
    for part in parts:
        started = time.perf_counter()
        result = job.execute_in_process(instance=instance, partition_key=part.key,
                                        run_config={"loggers": {"progress": {}}}, raise_on_error=False)
        outcomes.append(_outcome(part, result.all_events, time.perf_counter() - started))
    return outcomes


def resources_config(run_dir: Path) -> dict:
    """The run folder as run config, so that it travels with the run to step processes and workers
    (which load the code location themselves, with their own environment)."""
    folder = {"config": {"run_dir": str(run_dir.resolve())}}
    return {"resources": {"settings": folder, "tables_io": folder}}


def run_job(parts: list[Partition], instance, run_config: dict, run_dir: Path) -> list[Outcome]:
    """One run per partition of the code location's main job, with the executor the run config picks
    (multiprocess or celery). Other settings come from the environment (STATRETURNS_SOURCES, ...), which
    every process loading the code location shares."""
    from dagster import execute_job, reconstructable

    outcomes = []
    config = {**run_config, **resources_config(run_dir), "loggers": {"progress": {}}}
    for part in parts:
        started = time.perf_counter()
        tags = PARTITIONS.get_tags_for_partition_key(part.key)
        with execute_job(reconstructable(main_job), instance, run_config=config, tags=tags) as result:
            outcomes.append(_outcome(part, result.all_events, time.perf_counter() - started))
    return outcomes


_POOL_INSTANCE = None  # each pool process's own Dagster instance, opened after the fork


def _open_instance() -> None:
    global _POOL_INSTANCE  # noqa: PLW0603 - one per pool process, for every partition it runs
    from multiprocessing.util import Finalize

    from dagster import DagsterInstance

    _POOL_INSTANCE = DagsterInstance.get()
    # Partitions already run side by side on the cores: a rule engine forking for a second core there only
    # adds the fork's cost (see statreturns.engine). A value the user set is kept.
    os.environ.setdefault("STATRETURNS_WORKERS", "1")
    # Closed when the pool process exits (its storage keeps SQLite connections open: see
    # statreturns.dagster_storage), so each file's log is checkpointed and its -wal file removed.
    Finalize(_POOL_INSTANCE, _POOL_INSTANCE.dispose, exitpriority=10)


def _one_partition(part: Partition, run_dir: str, run_config: dict | None) -> Outcome:
    """One partition's run in a process of the pool."""
    if run_config is None:
        return run_in_process([part], Path(run_dir), _POOL_INSTANCE)[0]
    return run_job([part], _POOL_INSTANCE, run_config, Path(run_dir))[0]


def run_partitions(parts: list[Partition], run_dir: Path, run_config: dict | None, parallel: int) -> list[Outcome]:
    """Every partition's run, `parallel` at a time, each in a process of a pool forked from this one
    (which has the code location imported already, so a run starts in milliseconds). `run_config`
    None runs each partition's steps in-process; else it picks the executor (see pipelines.executors).
    Outcomes come back in the order of `parts`."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from dagster import DagsterInstance

    import pipelines.definitions  # noqa: F401 - loaded before the fork, once for every run
    from pipelines.collector import freeze_imported

    freeze_imported()  # before the fork: see there
    if parallel <= 1 or len(parts) <= 1:
        with DagsterInstance.get() as instance:
            if run_config is None:
                return run_in_process(parts, run_dir, instance)
            return run_job(parts, instance, run_config, run_dir)
    # The instance's storage is created (and migrated) here, once: runs starting together on a fresh
    # instance would otherwise each try to create it.
    with DagsterInstance.get() as instance:
        instance.get_runs_count()
    # Fork: the pool's processes inherit the imported code location and the environment; no Dagster
    # instance is open in this process any more, so none is shared across the fork.
    pool = ProcessPoolExecutor(max_workers=min(parallel, len(parts)), mp_context=multiprocessing.get_context("fork"),
                               initializer=_open_instance)
    with pool:
        futures = [pool.submit(_one_partition, part, str(run_dir), run_config) for part in parts]
        return [future.result() for future in futures]


def run_hub_reports(years: list[int], run_dir: Path) -> list[Outcome]:
    """The hub report of each collection year (councils side by side), in-process, after the LAs' runs."""
    from dagster import DagsterInstance

    job = _job_for(str(run_dir), _settings(), "hub")
    outcomes = []
    with DagsterInstance.get() as instance:
        for year in sorted(set(years)):
            started = time.perf_counter()
            result = job.execute_in_process(instance=instance, partition_key=str(year), raise_on_error=False)
            outcomes.append(_outcome(Partition(year, "hub"), result.all_events, time.perf_counter() - started))
    return outcomes
