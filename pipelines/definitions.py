"""The code location: every asset, the main job, resources. Loaded by `dagster dev -w workspace.yaml`."""

from __future__ import annotations

from dagster import Definitions, define_asset_job, load_asset_checks_from_modules, load_assets_from_modules

from assets import cin_census, ingest, reports, ssda903
from assets.resources import Settings, TablesIOManager
from pipelines.progress import progress_logger

MODULES = [ingest, cin_census, ssda903, reports]

all_assets = load_assets_from_modules(MODULES)
all_checks = load_asset_checks_from_modules(MODULES)

main_job = define_asset_job("main", selection="*", description="The whole pipeline: ingest, validate, build.")


def make_definitions(run_dir: str = "run", **settings: object) -> Definitions:
    return Definitions(
        assets=all_assets,
        asset_checks=all_checks,
        jobs=[main_job],
        resources={"settings": Settings(run_dir=run_dir, **settings), "tables_io": TablesIOManager(run_dir=run_dir)},
        loggers={"progress": progress_logger},
    )


defs = make_definitions()
