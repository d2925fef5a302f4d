"""One asset per configured source (``source_<name>``), and a sensor on an inbox folder.

Each asset lands its source's new files, reads them through the source's profile and returns a dict
of canonical DataFrames (the canonical assets combine them). Metadata holds counts only; the quarantine
(file, line, table, reason) goes to a CSV under the outputs folder.
"""

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DefaultSensorStatus,
    PartitionsDefinition,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    asset,
    sensor,
)

from assets.partitions import partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.files import sha256, write_bytes_atomic, write_people_csv
from statreturns.ingest.config import Source, load_sources
from statreturns.ingest.run import ingest_source


def source_assets(sources_file: str | Path, partitions_def: PartitionsDefinition | None = None
                  ) -> list[AssetsDefinition]:
    """One asset per source in ``sources_file`` (checked now, when the code location loads)."""
    return [_source_asset(source, partitions_def) for source in load_sources(Path(sources_file))]


def _source_asset(source: Source, partitions_def: PartitionsDefinition | None) -> AssetsDefinition:
    name = f"source_{source.name.replace('-', '_')}"

    def _asset(context: AssetExecutionContext, settings: Settings) -> dict[str, pd.DataFrame]:
        if partitions_def is not None:
            part = partition_of(context)
            src, area = source.for_partition(part.la, part.year), part.folder().as_posix()
            engine, outputs = settings.warehouse_engine(part.la), settings.partition_outputs(part, "quarantine")
            notes_dir = settings.partition_outputs(part, "sources")
        else:
            src, area = source, ""
            engine, outputs = settings.warehouse_engine(), settings.outputs("quarantine")
            notes_dir = settings.outputs("sources")
        try:
            result = ingest_source(src, Path(settings.run_dir), engine, dt.datetime.now(dt.UTC), area)
        finally:
            engine.dispose()
        write_people_csv(result.quarantine, outputs / f"{source.name}_quarantine.csv")
        notes = result.notes()  # a purged file delivered again: said here, in the CLI summary and the run report
        notes_file = notes_dir / f"{source.name}.txt"
        if notes:
            write_bytes_atomic(("\n".join(notes) + "\n").encode("utf-8"), notes_file)
        else:
            notes_file.unlink(missing_ok=True)
        context.add_output_metadata({**result.counts(), **({"retention_note": "\n".join(notes)} if notes else {})})
        return result.tables

    _asset.__name__ = _asset.__qualname__ = name  # so a withheld error names the asset
    return asset(name=name, group_name="sources", io_manager_key="tables_io", partitions_def=partitions_def,
                 description=f"The {source.kind} source '{source.name}' (profile {Path(source.profile).stem}) "
                 "landed and mapped to canonical tables.")(withhold_data_in_errors(_asset))


def inbox_sensor(inbox: str | Path, target, name: str = "inbox_sensor", minimum_interval_seconds: int = 30,
                 partition_key: str | Callable[[], str] | None = None) -> SensorDefinition:
    """Start a run of ``target`` (assets or a job) when a new file lands in ``inbox``.

    ``partition_key`` may be a function, called at each tick (e.g. the collection year in progress).

    The run key is the file's SHA-256, so the same extract dropped twice starts one run. Files are
    hashed once per (name, size, modification time), remembered in the cursor. Stopped by default.
    """
    folder = Path(inbox)

    @sensor(name=name, target=target, minimum_interval_seconds=minimum_interval_seconds,
            default_status=DefaultSensorStatus.STOPPED, description=f"New extracts in {folder}")
    def _sensor(context: SensorEvaluationContext):
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        if not folder.is_dir():
            return SkipReason(f"inbox {folder} does not exist")
        now: dict[str, str] = {}
        requests = []
        key = partition_key() if callable(partition_key) else partition_key
        for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
            st = path.stat()
            signature = f"{path.name}|{st.st_size}|{st.st_mtime_ns}"
            digest = seen.get(signature) or sha256(path)
            now[signature] = digest
            if signature not in seen:
                requests.append(RunRequest(run_key=digest, partition_key=key,
                                           tags={"statreturns/inbox_file": path.name}))
        context.update_cursor(json.dumps(now, sort_keys=True))
        return requests or SkipReason("no new files")

    return _sensor
