"""The deployment's collection years and LAs, from its environment (no Dagster here).

`STATRETURNS_YEARS=2025,2026,2027` and `STATRETURNS_LAS=356,357` (a school or a single council is one
LA). The Dagster partitions and the command line read the same variables, so they always agree.
"""

from __future__ import annotations

import os
import re

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


def default_la() -> str | None:
    """The LA a command acts on when none is named: `STATRETURNS_LA`, else the only configured LA."""
    configured = las()
    return os.environ.get("STATRETURNS_LA") or (configured[0] if len(configured) == 1 else None)
