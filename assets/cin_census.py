"""CIN census: the census tables for the year, the DfE findings, and the XML return."""

import pandas as pd
from dagster import AssetExecutionContext, MaterializeResult, asset

from assets.checks import findings_metadata, findings_output, return_check_results, return_check_specs
from assets.partitions import PARTITIONS, partition_of
from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.cin.build import build_cin_frames
from statreturns.validate import cin_return_xsd_issues, validate_cin, write_issue_files


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
    """Every DfE CIN rule for the year, run once, and the DfE XSD's check of the XML these tables make
    (rule XSD): the findings and each rule's status. issues.csv/xlsx for people go to the partition's
    outputs folder."""
    part = partition_of(context)
    out = settings.partition_outputs(part, "cin")
    xsd = cin_return_xsd_issues(cin_census_tables, part.year, part.la, out)
    result = validate_cin(cin_census_tables, part.year, xsd_issues=xsd)
    paths = write_issue_files(result, out)
    context.add_output_metadata({**findings_metadata(result), "issues_file": str(paths["issues_csv"])})
    return findings_output(result)


@asset(group_name="cin_census", check_specs=return_check_specs("cin_census_xml"), partitions_def=PARTITIONS)
@withhold_data_in_errors
def cin_census_xml(context: AssetExecutionContext, settings: Settings, cin_census_tables: dict[str, pd.DataFrame],
                   cin_findings: dict[str, pd.DataFrame]) -> MaterializeResult:
    """The CIN census XML for the LA and year, checked against that year's DfE XSD. Errors block submission.

    The written file is checked again: its XSD findings (counts only in Dagster) replace the ones the
    findings step predicted, so the blocking check always describes the file on disk."""
    from statreturns.cin.xml_writer import write_cin_xml
    from statreturns.cin.xsd import check_cin_xml, has_schema

    part = partition_of(context)
    path = settings.partition_outputs(part, "cin") / f"{part.la}_CIN_{part.year}.xml"
    write_cin_xml(cin_census_tables, path, year=part.year, lea=part.la)
    issues = cin_findings["issues"]
    if has_schema(part.year):
        xsd = check_cin_xml(path, part.year)
        issues = pd.concat([issues[issues["rule_code"] != "XSD"], xsd], ignore_index=True)
    return MaterializeResult(
        metadata={"path": str(path), "bytes": path.stat().st_size,
                  "xsd_errors": int((issues["rule_code"] == "XSD").sum())},
        check_results=return_check_results("cin_census_xml", issues),
    )
