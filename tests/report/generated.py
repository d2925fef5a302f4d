"""A report input from the project's synthetic generator: both returns validated, full case history."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from statreturns.cin.build import build_cin_frames
from statreturns.generate import Config, generate, inject
from statreturns.report import ReportInput
from statreturns.ssda903.build import build_903_frames
from statreturns.validate import validate_903, validate_cin

GENERATED_AT = datetime(2026, 4, 20, 9, 30, tzinfo=UTC)


def generated_run(children: int = 200, seed: int = 11, year: int = 2026) -> ReportInput:
    cfg = Config(children=children, seed=seed, year=year)
    tables = inject(generate(cfg), cfg.fault_rate, cfg.seed, cfg.year)[0]
    cin = validate_cin(build_cin_frames(tables, year), year)
    lac = validate_903(build_903_frames(tables, year), year, previous=build_903_frames(tables, year - 1),
                       la_code="356")
    issues = pd.concat([cin.issues, lac.issues], ignore_index=True)
    status = pd.concat([cin.rule_status, lac.rule_status], ignore_index=True)
    return ReportInput(la_code="356", year=year, generated_at=GENERATED_AT, issues=issues, rule_status=status,
                       tables=tables)
