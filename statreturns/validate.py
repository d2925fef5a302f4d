"""Validation runs for both returns and the files people read: issues.csv, issues.xlsx, rules.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from statreturns.cin.tables import build_tables as build_cin_tables
from statreturns.cin.tables import date_issues
from statreturns.engine import ISSUE_COLUMNS, RunResult, counts_by_rule, run_rules
from statreturns.files import write_bytes_atomic, write_csv_atomic
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


def file_order(issues: pd.DataFrame) -> pd.DataFrame:
    """Findings in the order people read issues.csv: by return, rule (8 before 100; 205A before 205B),
    child, then row; the return-level findings (no child) of a rule come first."""
    if issues.empty:
        return issues.reset_index(drop=True)
    code = issues["rule_code"].astype("str")
    digits = pd.to_numeric(code.str.extract(r"^(\d+)", expand=False), errors="coerce").fillna(-1)
    child = issues["child_id"].astype("object").where(issues["child_id"].notna(), "").astype("str")
    row = pd.to_numeric(issues["row"], errors="coerce").fillna(-1)
    keys = pd.DataFrame({"r": issues["return"].astype("str"), "d": digits, "c": code, "k": child, "w": row},
                        index=issues.index)
    order = keys.sort_values(["r", "d", "c", "k", "w"], kind="stable").index
    return issues.loc[order].reset_index(drop=True)


def write_issue_files(result: RunResult, out: Path) -> dict[str, Path]:
    """issues.csv (the contract's exact header; see file_order), issues.xlsx for people, rules.csv (what
    ran, what not)."""
    out.mkdir(parents=True, exist_ok=True)
    issues = file_order(result.issues)[ISSUE_COLUMNS]
    paths = {
        "issues_csv": write_csv_atomic(issues, out / "issues.csv"),
        "rules_csv": write_csv_atomic(result.rule_status, out / "rules.csv"),
    }
    paths["issues_xlsx"] = write_issues_xlsx(result, out / "issues.xlsx")
    return paths


def write_issues_xlsx(result: RunResult, path: Path) -> Path:
    """A workbook a caseworker can filter: findings, counts by rule, and rule status."""
    import io

    buffer = io.BytesIO()
    findings = file_order(result.issues)[ISSUE_COLUMNS].rename(columns=str.title)
    counts = counts_by_rule(result.issues)
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as xl:
        findings.to_excel(xl, sheet_name="Findings", index=False)
        counts.to_excel(xl, sheet_name="Counts by rule", index=False)
        result.rule_status.to_excel(xl, sheet_name="Rules run", index=False)
        for name, frame in (("Findings", findings), ("Counts by rule", counts), ("Rules run", result.rule_status)):
            sheet = xl.sheets[name]
            sheet.freeze_panes(1, 0)
            sheet.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))
            for i, col in enumerate(frame.columns):
                width = 60 if col.lower() == "message" else 14
                sheet.set_column(i, i, width)
    return write_bytes_atomic(buffer.getvalue(), path)


def summary_counts(result: RunResult) -> dict[str, int]:
    status = result.rule_status["status"].value_counts()
    return {"errors": result.errors, "queries": result.queries, "rules_ran": int(status.get("ran", 0)),
            "rules_skipped": int(status.get("skipped", 0)), "rules_failed": int(status.get("failed", 0))}
