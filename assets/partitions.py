"""Partitions: collection year × local authority.

The years and LAs come from the deployment's environment when the code location loads
(`STATRETURNS_YEARS=2025,2026,2027`, `STATRETURNS_LAS=356,357`; a school or a single council is one
LA). Every process that loads the location reads the same variables, so runs can move between
processes and hosts; nothing here changes after load.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from dagster import MultiPartitionKey, MultiPartitionsDefinition, StaticPartitionsDefinition

DEFAULT_YEARS = ("2025", "2026", "2027")
DEFAULT_LAS = ("356",)


def _listed(variable: str, default: tuple[str, ...], pattern: str) -> list[str]:
    raw = os.environ.get(variable, "").strip()
    values = [v.strip() for v in raw.split(",") if v.strip()] if raw else list(default)
    bad = [v for v in values if not re.fullmatch(pattern, v)]
    if bad:
        raise ValueError(f"{variable}: not valid here: {', '.join(bad)}")
    return sorted(set(values))


def years() -> list[str]:
    return _listed("STATRETURNS_YEARS", DEFAULT_YEARS, r"20\d\d")


def las() -> list[str]:
    return _listed("STATRETURNS_LAS", DEFAULT_LAS, r"\d{3}")


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
