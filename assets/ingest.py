"""Ingest: council (SSD layout) and school MIS extracts read into canonical tables, and the warehouse."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.partitions import PARTITIONS, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns import warehouse
from statreturns.files import write_csv_atomic
from statreturns.school import read_pupils
from statreturns.ssd import read_ssd, strip_lineage


@asset(group_name="ingest", io_manager_key="tables_io", partitions_def=PARTITIONS)
@withhold_data_in_errors
def ssd_canonical(context: AssetExecutionContext, settings: Settings) -> dict[str, pd.DataFrame]:
    """The council's case-management extract (Standard Safeguarding Dataset CSVs) as canonical tables."""
    part = partition_of(context)
    result = read_ssd(settings.extract(settings.ssd_extract, part))
    path = write_csv_atomic(result.quarantine,
                            settings.partition_outputs(part, "quarantine") / "ssd_quarantine.csv")
    tables = strip_lineage(result.tables)
    context.add_output_metadata({
        "rows_in": sum(result.rows_in.values()),
        "children": len(tables["children"]),
        "quarantined_rows": len(result.quarantine),
        "quarantine_file": str(path),
    })
    return tables


@asset(group_name="ingest", io_manager_key="tables_io", partitions_def=PARTITIONS)
@withhold_data_in_errors
def school_pupils(context: AssetExecutionContext, settings: Settings) -> pd.DataFrame:
    """The school MIS pupil extract as the canonical school_pupils table."""
    part = partition_of(context)
    pupils, quarantine = read_pupils(settings.extract(settings.school_extract, part))
    write_csv_atomic(quarantine, settings.partition_outputs(part, "quarantine") / "school_quarantine.csv")
    context.add_output_metadata({"pupils": len(pupils), "quarantined_rows": len(quarantine)})
    return pupils


@asset(group_name="canonical", partitions_def=PARTITIONS)
@withhold_data_in_errors
def warehouse_tables(context: AssetExecutionContext, settings: Settings,
                     ssd_canonical: dict[str, pd.DataFrame], school_pupils: pd.DataFrame) -> MaterializeResult:
    """Every canonical table loaded into the LA's warehouse (SQLite by default, PostgreSQL by URL)."""
    tables = {**ssd_canonical, "school_pupils": school_pupils}
    engine = settings.warehouse_engine(partition_of(context).la)
    try:
        counts = warehouse.write_tables(engine, tables)
    finally:
        engine.dispose()
    return MaterializeResult(metadata={"tables": len(counts), "rows": sum(counts.values()),
                                       "dialect": engine.dialect.name})
