"""Tiny-frame helpers for per-rule tests: build the shared tables from a few rows, run one rule."""

from __future__ import annotations

import pandas as pd

from statreturns.cin.tables import COLUMNS as CIN_COLUMNS
from statreturns.cin.tables import build_tables as build_cin
from statreturns.engine import RuleSet
from statreturns.ssda903.tables import COLUMNS as LAC_COLUMNS
from statreturns.ssda903.tables import build_tables as build_lac


def frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A raw frame of strings; keys not given are None (absent in the file)."""
    return pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns, dtype="object")


def cin_tables(year: int = 2026, include_draft: bool = False, **tables: list[dict]):
    raw = {name: frame(rows, CIN_COLUMNS[name]) for name, rows in tables.items()}
    return build_cin(raw, year, include_draft=include_draft)


def lac_tables(year: int = 2026, previous: dict[str, list[dict]] | None = None, la_code: str | None = None,
               extra_frames: dict[str, pd.DataFrame] | None = None, **tables: list[dict]):
    raw = {name: frame(rows, LAC_COLUMNS[name]) for name, rows in tables.items()}
    prev = None
    if previous is not None:
        prev = {name: frame(rows, LAC_COLUMNS[name]) for name, rows in previous.items()}
    return build_lac(raw, year, la_code=la_code, previous=prev, extra_frames=extra_frames)


def failing_rows(ruleset: RuleSet, code: str, tables) -> list[int]:
    """0-based positions of the rows of the rule's table that the rule flags."""
    rule = ruleset.get(code, tables.year)
    frame = tables[rule.table]
    result = rule.func(tables)
    if isinstance(result, pd.Index):
        labels = frame.index.intersection(result)
    else:
        mask = result.reindex(frame.index).fillna(False).astype(bool)
        labels = frame.index[mask.to_numpy()]
    return sorted(int(i) for i in frame.index.get_indexer(labels))


def junk_shaped(shape: str, columns: list[str]) -> list[dict]:
    """Rows of one table that rules must survive: none, blank, or unparseable dates and unknown codes."""
    if shape == "empty":
        return []
    if shape == "blank":
        return [{"CHILD": "1"}, {}]
    return [{c: "31/02/2025" if c != "CHILD" else "1" for c in columns}, {c: "zz" for c in columns}]


def run_903_module_on_junk(ruleset: RuleSet, module: str, year: int, shape: str) -> None:
    """Every 903 rule of `module` runs on junk-shaped tables (this year and last) without raising."""
    tables = {name: junk_shaped(shape, cols) for name, cols in LAC_COLUMNS.items()}
    t = lac_tables(year, previous=tables, **tables)
    rules = [r for r in ruleset.rules if r.func.__module__.endswith(f".{module}") and r.applies_to(year)]
    assert rules
    for r in rules:
        assert all(t.has(n) for n in r.needs)
        failing_rows(ruleset, r.code, t)
