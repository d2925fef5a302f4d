"""Running the main job for partitions (collection year × LA) from the command line.

`statreturns demo` runs one partition in-process; `statreturns run` runs any set of years and LAs, one
Dagster run per partition, in-process or with the multiprocess executor (steps in parallel processes).
Either way the runs are recorded in the Dagster instance under DAGSTER_HOME and show in the UI.
"""

from __future__ import annotations

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


def run_in_process(parts: list[Partition], run_dir: Path, instance, **settings: object) -> list[Outcome]:
    from pipelines.definitions import make_definitions, settings_from_env

    settings = {**{k: v for k, v in settings_from_env().items() if k != "run_dir"}, **settings}
    job = make_definitions(run_dir=str(run_dir), **settings).resolve_job_def("main")
    outcomes = []
    for part in parts:
        started = time.perf_counter()
        result = job.execute_in_process(instance=instance, partition_key=part.key,
                                        run_config={"loggers": {"progress": {}}}, raise_on_error=False)
        outcomes.append(_outcome(part, result.all_events, time.perf_counter() - started))
    return outcomes


def run_multiprocess(parts: list[Partition], instance, max_concurrent: int) -> list[Outcome]:
    """One run per partition with the multiprocess executor. Settings come from the environment
    (STATRETURNS_RUN_DIR, ...), since the step processes load the code location themselves."""
    from dagster import execute_job, reconstructable

    outcomes = []
    # A forkserver with the code location preloaded: each step's process starts in a fraction of a
    # second instead of importing pandas, pandera and Dagster afresh.
    start = {"forkserver": {"preload_modules": ["pipelines.definitions"]}}
    config = {"execution": {"config": {"max_concurrent": max_concurrent, "start_method": start}},
              "loggers": {"progress": {}}}
    for part in parts:
        started = time.perf_counter()
        tags = PARTITIONS.get_tags_for_partition_key(part.key)
        with execute_job(reconstructable(main_job), instance, run_config=config, tags=tags) as result:
            outcomes.append(_outcome(part, result.all_events, time.perf_counter() - started))
    return outcomes
