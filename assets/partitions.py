"""Partitions: collection year × local authority.

The years and LAs come from the deployment's environment when the code location loads
(`statreturns.deployment`: `STATRETURNS_YEARS=2025,2026,2027`, `STATRETURNS_LAS=356,357`). Every process that loads the location reads the same variables, so runs can move between
processes and hosts; nothing here changes after load.
"""

from dataclasses import dataclass
from pathlib import Path

from dagster import MultiPartitionKey, MultiPartitionsDefinition, StaticPartitionsDefinition

from statreturns.deployment import las, years

__all__ = ["PARTITIONS", "Partition", "las", "partition_of", "partitions_def", "years"]

def partitions_def() -> MultiPartitionsDefinition:
    return MultiPartitionsDefinition({
        "year": StaticPartitionsDefinition(years()),
        "la": StaticPartitionsDefinition(las()),
    })


PARTITIONS = partitions_def()


@dataclass(frozen=True)
class Partition:
    """One collection year of one LA."""

    year: int
    la: str

    @property
    def key(self) -> MultiPartitionKey:
        return MultiPartitionKey({"year": str(self.year), "la": self.la})

    def folder(self) -> Path:
        """Where this partition's files live under an outputs or tables folder."""
        return Path(str(self.year)) / self.la


def partition_of(context) -> Partition:
    """The partition an asset, IO or check context is working on."""
    key = context.partition_key
    dims = key.keys_by_dimension
    return Partition(year=int(dims["year"]), la=dims["la"])
