"""The code location: every asset, the jobs, schedules, resources. Loaded by `dagster dev -w workspace.yaml`."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import (
    AssetSelection,
    Definitions,
    RetryPolicy,
    define_asset_job,
    load_asset_checks_from_modules,
    load_assets_from_modules,
)

from assets import cin_census, cross, hub, ingest, reports, retention, ssda903
from assets.resources import Settings, TablesIOManager
from pipelines.executors import statreturns_executor
from pipelines.progress import progress_logger
from pipelines.schedules import inbox_sensors, schedules_for

MODULES = [ingest, cin_census, ssda903, cross, reports, retention, hub]
RETURN_GROUPS = ("sources", "canonical", "cin_census", "ssda903", "cross", "reports")

all_assets = load_assets_from_modules(MODULES)
all_checks = load_asset_checks_from_modules(MODULES)

main_job = define_asset_job(
    "main", selection=AssetSelection.groups(*RETURN_GROUPS),
    description="One collection year of one LA: ingest, validate, build both returns, report.",
    # Every step of it rewrites its own outputs whole, so a step that failed or whose worker was lost
    # may run again. Retention's apply job has no retry policy: it resumes by its own batches when run again.
    op_retry_policy=RetryPolicy(max_retries=2),
)


def make_definitions(run_dir: str = "run", **settings: object) -> Definitions:
    return Definitions(
        assets=all_assets,
        asset_checks=all_checks,
        jobs=[main_job, hub.hub_job, *retention.JOBS],
        schedules=[*schedules_for(main_job), *retention.SCHEDULES],
        sensors=inbox_sensors(main_job, Path(run_dir)),
        resources={"settings": Settings(run_dir=run_dir, **settings), "tables_io": TablesIOManager(run_dir=run_dir)},
        loggers={"progress": progress_logger},
        # In-process by default (UI backfills: one run per partition, the instance's run queue runs as many
        # at once as there are cores); `multiprocess` or `celery` chosen in the run config (pipelines.executors).
        executor=statreturns_executor,
    )


def settings_from_env() -> dict[str, str]:
    """The deployment's settings from its environment, so every process loading this location agrees."""
    names = {"run_dir": "STATRETURNS_RUN_DIR"}
    return {key: os.environ[var] for key, var in names.items() if os.environ.get(var)}


defs = make_definitions(**settings_from_env())
