"""SSDA903: the return's tables for the year, the DfE findings, and the CSV set."""

import os

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.checks import findings_metadata, findings_output, return_check_results, return_check_specs
from assets.partitions import PARTITIONS, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.ssda903.build import build_903_frames
from statreturns.validate import POSTCODES_LOADED, validate_903, with_postcodes, write_issue_files


@asset(group_name="ssda903", io_manager_key="tables_io", partitions_def=PARTITIONS)
@withhold_data_in_errors
def ssda903_tables(context: AssetExecutionContext, canonical_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The 903 tables for the collection year (children looked after at any time in it)."""
    frames = build_903_frames(canonical_tables, partition_of(context).year)
    context.add_output_metadata({"children": len(frames["Header"]), "episodes": len(frames["Episodes"])})
    return frames


@asset(group_name="ssda903", io_manager_key="tables_io", partitions_def=PARTITIONS)
@withhold_data_in_errors
def ssda903_findings(context: AssetExecutionContext, settings: Settings, canonical_tables: dict[str, pd.DataFrame],
                     ssda903_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every DfE 903 rule for the year, with last year's return built from the same case history, so
    the previous-year rules run too. issues.csv/xlsx for people go to the partition's outputs folder."""
    part = partition_of(context)
    tables = with_postcodes(ssda903_tables, part.la)
    previous = with_postcodes(build_903_frames(canonical_tables, part.year - 1), part.la)
    result = validate_903(tables, part.year, previous=previous, la_code=part.la,
                          extra_frames={**POSTCODES_LOADED, **_ofsted_lists(part)})
    paths = write_issue_files(result, settings.partition_outputs(part, "ssda903"))
    context.add_output_metadata({**findings_metadata(result), "issues_file": str(paths["issues_csv"])})
    return findings_output(result)


def _ofsted_lists(part) -> dict[str, pd.DataFrame]:
    """The Ofsted provider lists the sources file names (``ofsted_lists``), for the URN rules; none
    named, those rules are skipped and rules.csv says why."""
    from assets.ingest import sources_file
    from statreturns.ingest.config import ofsted_lists
    from statreturns.ssda903 import postcodes
    from statreturns.ssda903.ofsted import cached_provider_lists

    paths = ofsted_lists(sources_file(), part.la, part.year)
    if not paths:
        return {}
    # The same workbooks serve every partition a process runs (a backfill, the hub's councils): read
    # once per process while their files are unchanged, and once per installation while their bytes are
    # (cached_provider_lists: the lists are public data, no personal data).
    stamp = tuple((str(p), os.stat(p).st_size, os.stat(p).st_mtime_ns) for p in paths)
    if stamp not in _OFSTED_READ:
        _OFSTED_READ.clear()
        _OFSTED_READ[stamp] = cached_provider_lists(paths, postcodes.load_directory())
    return {"OfstedProviderLists": _OFSTED_READ[stamp].copy()}


_OFSTED_READ: dict[tuple, pd.DataFrame] = {}  # the provider lists last read, by their files' names, sizes and times


@asset(group_name="ssda903", check_specs=return_check_specs("ssda903_files"), partitions_def=PARTITIONS)
@withhold_data_in_errors
def ssda903_files(context: AssetExecutionContext, settings: Settings, ssda903_tables: dict[str, pd.DataFrame],
                  ssda903_findings: dict[str, pd.DataFrame]) -> MaterializeResult:
    """The 903 CSV set for the year. Errors block submission."""
    from statreturns.ssda903.writer import write_csv_set

    part = partition_of(context)
    folder = settings.partition_outputs(part, "ssda903", f"{part.la}_903_{part.year}")
    written = write_csv_set(ssda903_tables, folder, part.year)
    return MaterializeResult(
        metadata={"folder": str(folder), "files": len(written)},
        check_results=return_check_results("ssda903_files", ssda903_findings["issues"]),
    )
