"""The hub report: every council (LA partition) of one collection year side by side, counts only.

One asset per collection year, downstream of every LA's partition of that year: the run report and both
return files. It reads the files those runs wrote (statreturns.report.hub) and writes
`outputs/<year>/hub/hub_report.html` and `.xlsx`; Dagster sees counts of councils only.
"""

import warnings

from dagster import (
    AssetDep,
    AssetExecutionContext,
    MaterializeResult,
    MultiToSingleDimensionPartitionMapping,
    StaticPartitionsDefinition,
    asset,
    define_asset_job,
)

from assets.partitions import las, years
from assets.privacy import withhold_data_in_errors
from assets.reports import _generated_at
from assets.resources import Settings
from statreturns.report.hub import build_hub_report

YEARS = StaticPartitionsDefinition(years())
with warnings.catch_warnings():  # beta in Dagster 1.13: pinned, and covered by tests/report/test_hub.py
    warnings.simplefilter("ignore")
    _EVERY_LA_OF_THE_YEAR = MultiToSingleDimensionPartitionMapping(partition_dimension_name="year")


@asset(group_name="hub", partitions_def=YEARS,
       deps=[AssetDep(name, partition_mapping=_EVERY_LA_OF_THE_YEAR)
             for name in ("validation_report", "cin_census_xml", "ssda903_files")])
@withhold_data_in_errors
def hub_report(context: AssetExecutionContext, settings: Settings) -> MaterializeResult:
    """Councils compared for the year: children in each return, findings per 100 children by rule,
    councils blocked from submission, the trend against last year. Counts from 1 to 9 shown as <10."""
    year = int(context.partition_key)
    made = build_hub_report(settings.outputs(), year, las(), _generated_at())
    return MaterializeResult(metadata={"councils": made["councils"], "blocked": made["blocked"],
                                       "hub_html": str(made["html"]), "hub_xlsx": str(made["xlsx"])})


hub_job = define_asset_job("hub", selection=["hub_report"],
                           description="The hub report for one collection year, after its LAs' runs.")
