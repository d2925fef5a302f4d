"""The code location: every asset, the jobs, schedules, resources. Loaded by `dagster dev -w workspace.yaml`."""

from __future__ import annotations

import os
from pathlib import Path

from dagster import (
    AssetSelection,
    Definitions,
    define_asset_job,
    load_asset_checks_from_modules,
    load_assets_from_modules,
    multiprocess_executor,
)

from assets import cin_census, cross, ingest, reports, retention, ssda903
from assets.resources import Settings, TablesIOManager
from pipelines.progress import progress_logger
from pipelines.schedules import inbox_sensors, schedules_for

MODULES = [ingest, cin_census, ssda903, cross, reports, retention]
RETURN_GROUPS = ("sources", "canonical", "cin_census", "ssda903", "cross", "reports")

all_assets = load_assets_from_modules(MODULES)
all_checks = load_asset_checks_from_modules(MODULES)

main_job = define_asset_job(
    "main", selection=AssetSelection.groups(*RETURN_GROUPS),
    description="One collection year of one LA: ingest, validate, build both returns, report.",
)


def make_definitions(run_dir: str = "run", **settings: object) -> Definitions:
    return Definitions(
        assets=all_assets,
        asset_checks=all_checks,
        jobs=[main_job, *retention.JOBS],
        schedules=[*schedules_for(main_job), *retention.SCHEDULES],
        sensors=inbox_sensors(main_job, Path(run_dir)),
        resources={"settings": Settings(run_dir=run_dir, **settings), "tables_io": TablesIOManager(run_dir=run_dir)},
        loggers={"progress": progress_logger},
        # Backfills launched from the UI run each partition's steps in parallel processes; the CLI and
        # tests run in-process. Celery or Kubernetes executors slot in here (see the README).
        executor=multiprocess_executor,
    )


def settings_from_env() -> dict[str, str]:
    """The deployment's settings from its environment, so every process loading this location agrees."""
    names = {"run_dir": "STATRETURNS_RUN_DIR"}
    return {key: os.environ[var] for key, var in names.items() if os.environ.get(var)}


defs = make_definitions(**settings_from_env())
