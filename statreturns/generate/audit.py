"""Run the generator's output through the pipeline's own path and list what the DfE rules find.

The extracts are written as files (the SSD CSV set and the school's pupil report), read back through
the sources file `statreturns generate` writes, and both returns are built for the collection year and
the year before (from the same case history, as a council does) and checked with every core rule, and
the collection year's returns and roll with the cross checks (X01...). A fault-free council must give no
finding; an injected fault must give the rules ``faults.csv`` names.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

FINDING_COLUMNS = ["return", "year", "rule_code", "severity", "child_id"]


def read_back(folder: Path) -> dict[str, pd.DataFrame]:
    """The canonical tables of extracts written by `write_extracts` into ``folder``, read as a run does."""
    from statreturns.ingest.config import load_sources
    from statreturns.ingest.run import combine, ingest_source

    with tempfile.TemporaryDirectory() as run_dir:
        engine = sa.create_engine("sqlite://")
        try:
            results = [ingest_source(source, Path(run_dir), engine, dt.datetime.now(dt.UTC))
                       for source in load_sources(folder / "sources.yaml")]
        finally:
            engine.dispose()
    return combine(results)


def providers(folder: Path, la: str = "356") -> pd.DataFrame | None:
    """The Ofsted provider lists the sources file in ``folder`` names (None when it names none)."""
    from statreturns.ingest.config import ofsted_lists
    from statreturns.ssda903 import postcodes
    from statreturns.ssda903.ofsted import load_provider_lists

    paths = ofsted_lists(folder / "sources.yaml", la)
    return load_provider_lists(paths, postcodes.load_directory()) if paths else None


def findings(tables: dict[str, pd.DataFrame], year: int, la: str,
             providers: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every core-rule finding of both returns for ``year`` and ``year - 1`` and every cross-check finding
    for ``year`` (FINDING_COLUMNS), plus a row with severity ``failed`` for a rule that raised;
    ``attrs["ran"]`` lists the rules that ran.

    The cross checks run for the collection year only: the roll is the school's as on its reference date,
    so last year's returns cannot be held against it."""
    from statreturns.cin.build import build_cin_frames
    from statreturns.cross import validate_cross
    from statreturns.ssda903.build import build_903_frames
    from statreturns.validate import POSTCODES_LOADED, validate_903, validate_cin, with_postcodes

    parts = []
    ran: set[tuple[str, int, str]] = set()
    for y in (year, year - 1):
        cin_frames, lac_frames = build_cin_frames(tables, y), build_903_frames(tables, y)
        cin = validate_cin(cin_frames, y)
        extra = dict(POSTCODES_LOADED)
        if providers is not None:
            extra["OfstedProviderLists"] = providers
        now = with_postcodes(lac_frames, la)
        before = with_postcodes(build_903_frames(tables, y - 1), la)
        lac = validate_903(now, y, previous=before, la_code=la, extra_frames=extra)
        results = [cin, lac]
        if y == year:
            results.append(validate_cross(cin_frames, lac_frames, tables.get("school_pupils"), y, la_code=la))
        for result in results:
            parts.append(result.issues.reindex(columns=FINDING_COLUMNS))
            status = result.rule_status
            ran |= set(zip(status.loc[status["status"] == "ran", "return"], status.loc[status["status"] == "ran", "year"].astype(int),
                           status.loc[status["status"] == "ran", "rule_code"], strict=True))
            failed = status.loc[status["status"] == "failed"]
            parts.append(failed.assign(severity="failed", child_id=None).reindex(columns=FINDING_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    out["child_id"] = out["child_id"].astype("string").str.strip()
    out.attrs["ran"] = ran  # (return, year, rule_code) of every rule that ran
    return out


def by_rule(found: pd.DataFrame) -> pd.DataFrame:
    """Counts of findings and children per (return, year, rule, severity)."""
    if found.empty:
        return pd.DataFrame(columns=["return", "year", "rule_code", "severity", "findings", "children"])
    g = found.groupby(["return", "year", "rule_code", "severity"], dropna=False)
    return g.agg(findings=("child_id", "size"), children=("child_id", "nunique")).reset_index()
