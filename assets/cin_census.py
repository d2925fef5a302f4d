"""CIN census: the census tables for the year, the DfE findings, and the XML return."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.checks import findings_metadata, findings_output, return_check_results, return_check_specs
from assets.partitions import PARTITIONS, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.cin.build import build_cin_frames
from statreturns.validate import validate_cin, write_issue_files


@asset(group_name="cin_census", io_manager_key="tables_io", partitions_def=PARTITIONS)
@withhold_data_in_errors
def cin_census_tables(context: AssetExecutionContext, canonical_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The census's tables for the collection year, in the DfE's XML layout (children in scope only)."""
    frames = build_cin_frames(canonical_tables, partition_of(context).year)
    context.add_output_metadata({"children": len(frames["ChildIdentifiers"]), "episodes": len(frames["CINdetails"])})
    return frames


@asset(group_name="cin_census", io_manager_key="tables_io", partitions_def=PARTITIONS)
@withhold_data_in_errors
def cin_findings(context: AssetExecutionContext, settings: Settings,
                 cin_census_tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every DfE CIN rule for the year, run once: the findings and each rule's status.

    issues.csv/xlsx for people go to the partition's outputs folder."""
    part = partition_of(context)
    result = validate_cin(cin_census_tables, part.year)
    paths = write_issue_files(result, settings.partition_outputs(part, "cin"))
    context.add_output_metadata({**findings_metadata(result), "issues_file": str(paths["issues_csv"])})
    return findings_output(result)


@asset(group_name="cin_census", check_specs=return_check_specs("cin_census_xml"), partitions_def=PARTITIONS)
@withhold_data_in_errors
def cin_census_xml(context: AssetExecutionContext, settings: Settings, cin_census_tables: dict[str, pd.DataFrame],
                   cin_findings: dict[str, pd.DataFrame]) -> MaterializeResult:
    """The CIN census XML for the LA and year, valid against that year's XSD. Errors block submission."""
    from statreturns.cin.xml_writer import write_cin_xml

    part = partition_of(context)
    path = settings.partition_outputs(part, "cin") / f"{part.la}_CIN_{part.year}.xml"
    write_cin_xml(cin_census_tables, path, year=part.year, lea=part.la)
    return MaterializeResult(
        metadata={"path": str(path), "bytes": path.stat().st_size},
        check_results=return_check_results("cin_census_xml", cin_findings["issues"]),
    )
