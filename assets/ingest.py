"""Ingest: one asset per configured source (landed, mapped, quarantined), combined into the canonical
tables, which are loaded into the LA's warehouse.

The sources file comes from `STATRETURNS_SOURCES` (default: the demo's, `data/sources/demo.yaml`) and is
checked when the code location loads, so a bad file fails loudly before any run.
"""

import os
from pathlib import Path

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, MaterializeResult, asset

from assets.partitions import PARTITIONS, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from assets.sources import source_assets
from schemas import canonical
from statreturns import warehouse
from statreturns.reference import DATA_DIR

DEMO_SOURCES = DATA_DIR / "sources" / "demo.yaml"


def sources_file() -> Path:
    return Path(os.environ.get("STATRETURNS_SOURCES") or DEMO_SOURCES)


LOADED_FROM = sources_file().resolve()  # the sources file this module's source assets were built from
SOURCE_ASSETS = source_assets(LOADED_FROM, PARTITIONS)


def combine(sources: dict[str, dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """One frame per canonical table across every source (empty where no source gives it). Two sources
    holding the same child are not merged silently: the DfE duplicate-id rules report them."""
    out = {}
    for table in canonical.MODELS:
        frames = [tables[table] for _, tables in sorted(sources.items()) if len(tables.get(table, ()))]
        out[table] = pd.concat(frames, ignore_index=True) if frames else canonical.empty(table)
    return out


@asset(group_name="canonical", io_manager_key="tables_io", partitions_def=PARTITIONS,
       ins={a.key.path[-1]: AssetIn(a.key) for a in SOURCE_ASSETS})
@withhold_data_in_errors
def canonical_tables(context: AssetExecutionContext, **sources: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every canonical table of the partition (children, episodes, plans, looked-after episodes, school
    pupils, ...), from all of its sources."""
    tables = combine(sources)
    context.add_output_metadata({"sources": len(sources), "children": len(tables["children"]),
                                 "school_pupils": len(tables["school_pupils"]),
                                 "rows": sum(len(f) for f in tables.values())})
    return tables


@asset(group_name="canonical", partitions_def=PARTITIONS)
@withhold_data_in_errors
def warehouse_tables(context: AssetExecutionContext, settings: Settings,
                     canonical_tables: dict[str, pd.DataFrame]) -> MaterializeResult:
    """Every canonical table loaded into the LA's warehouse (SQLite by default, PostgreSQL by URL)."""
    engine = settings.warehouse_engine(partition_of(context).la)
    try:
        counts = warehouse.write_tables(engine, canonical_tables)
    finally:
        engine.dispose()
    return MaterializeResult(metadata={"tables": len(counts), "rows": sum(counts.values()),
                                       "dialect": engine.dialect.name})
