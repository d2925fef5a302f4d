"""Validation runs for both returns and the files people read: issues.csv, issues.xlsx, rules.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from statreturns.cin.tables import build_tables as build_cin_tables
from statreturns.cin.tables import date_issues
from statreturns.engine import ISSUE_COLUMNS, RunResult, counts_by_rule, run_rules
from statreturns.files import write_csv_atomic
from statreturns.ssda903.tables import build_tables as build_903_tables


def validate_cin(raw: dict[str, pd.DataFrame], year: int, *, draft: bool = False) -> RunResult:
    from schemas.rules.cin import CIN

    tables = build_cin_tables(raw, year, include_draft=draft)
    sets = ("core", "draft") if draft else ("core",)
    return run_rules(CIN, tables, sets=sets, extra_issues=date_issues(tables),
                     skip_reasons={"PreProceedings": "draft rules not asked for (--draft)"})


def validate_903(raw: dict[str, pd.DataFrame], year: int, *, previous: dict[str, pd.DataFrame] | None = None,
                 la_code: str | None = None, extra: bool = False,
                 extra_frames: dict[str, pd.DataFrame] | None = None) -> RunResult:
    from schemas.rules.ssda903 import LAC

    tables = build_903_tables(raw, year, la_code=la_code, previous=previous, extra_frames=extra_frames)
    sets = ("core", "extra") if extra else ("core",)
    return run_rules(LAC, tables, sets=sets, skip_reasons=tables.absent)


def with_postcodes(tables: dict[str, pd.DataFrame], la_code: str | None) -> dict[str, pd.DataFrame]:
    """Episodes plus placement LA, location and distance from the ONS postcode directory."""
    from statreturns.ssda903 import postcodes

    if "Episodes" not in tables:
        return tables
    return {**tables, "Episodes": postcodes.derive(tables["Episodes"], la_code, postcodes.load_directory())}


POSTCODES_LOADED = {"Postcodes": pd.DataFrame({"loaded": [True]})}


def write_issue_files(result: RunResult, out: Path) -> dict[str, Path]:
    """issues.csv (the contract's exact header), issues.xlsx for people, rules.csv (what ran, what not)."""
    out.mkdir(parents=True, exist_ok=True)
    issues = result.issues[ISSUE_COLUMNS]
    paths = {
        "issues_csv": write_csv_atomic(issues, out / "issues.csv"),
        "rules_csv": write_csv_atomic(result.rule_status, out / "rules.csv"),
    }
    paths["issues_xlsx"] = write_issues_xlsx(result, out / "issues.xlsx")
    return paths


def write_issues_xlsx(result: RunResult, path: Path) -> Path:
    """A workbook a caseworker can filter: findings, counts by rule, and rule status (header frozen and
    filtered, messages wide). Data are written as text or numbers, never as formulas; findings beyond
    Excel's row limit continue on further sheets (see statreturns.workbook)."""
    from statreturns.files import open_atomic
    from statreturns.workbook import Sheet, write_workbook

    findings = result.issues[ISSUE_COLUMNS].rename(columns=str.title)
    sheets = [Sheet(name, frame, widths={c: 60 for c in frame.columns if str(c).lower() == "message"})
              for name, frame in (("Findings", findings), ("Counts by rule", counts_by_rule(result.issues)),
                                  ("Rules run", result.rule_status))]
    with open_atomic(path) as fh:
        write_workbook(fh, sheets)
    return path


def summary_counts(result: RunResult) -> dict[str, int]:
    status = result.rule_status["status"].value_counts()
    return {"errors": result.errors, "queries": result.queries, "rules_ran": int(status.get("ran", 0)),
            "rules_skipped": int(status.get("skipped", 0)), "rules_failed": int(status.get("failed", 0))}
