"""SSDA903: the return's tables for the year, the DfE findings, and the CSV set."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.checks import findings_metadata, return_check_results, return_check_specs
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.ssda903.build import build_903_frames
from statreturns.validate import POSTCODES_LOADED, validate_903, with_postcodes, write_issue_files


@asset(group_name="ssda903", io_manager_key="tables_io")
@withhold_data_in_errors
def ssda903_tables(context: AssetExecutionContext, settings: Settings,
                   ssd_canonical: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The 903 tables for the collection year (children looked after at any time in it)."""
    frames = build_903_frames(ssd_canonical, settings.year)
    context.add_output_metadata({"children": len(frames["Header"]), "episodes": len(frames["Episodes"])})
    return frames


@asset(group_name="ssda903", io_manager_key="tables_io")
@withhold_data_in_errors
def ssda903_findings(context: AssetExecutionContext, settings: Settings,
                     ssda903_tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every DfE 903 rule for the year, run once; issues.csv/xlsx for people go to the outputs folder."""
    tables = with_postcodes(ssda903_tables, settings.la_code)
    result = validate_903(tables, settings.year, la_code=settings.la_code, extra_frames=POSTCODES_LOADED)
    paths = write_issue_files(result, settings.outputs("ssda903"))
    context.add_output_metadata({**findings_metadata(result),
                                 "issues_file": str(paths["issues_csv"])})
    return result.issues


@asset(group_name="ssda903", check_specs=return_check_specs("ssda903_files"))
@withhold_data_in_errors
def ssda903_files(settings: Settings, ssda903_tables: dict[str, pd.DataFrame],
                  ssda903_findings: pd.DataFrame) -> MaterializeResult:
    """The 903 CSV set for the year. Errors block submission."""
    from statreturns.ssda903.writer import write_csv_set

    folder = settings.outputs("ssda903", f"{settings.la_code}_903_{settings.year}")
    written = write_csv_set(ssda903_tables, folder, settings.year)
    return MaterializeResult(
        metadata={"folder": str(folder), "files": len(written)},
        check_results=return_check_results("ssda903_files", ssda903_findings),
    )
