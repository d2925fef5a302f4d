"""Validation runs for both returns and the files people read: issues.csv, issues.xlsx, rules.csv."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS, RunResult, counts_by_rule, run_rules
from statreturns.files import AtomicFiles, atomic_files, write_people_csv


def no_draft_rules(year: int) -> str | None:
    """Why ``--draft`` adds nothing in ``year`` (None when that year has draft CIN rules)."""
    from schemas.rules.cin import CIN

    if CIN.select(year, ("draft",)):
        return None
    years = sorted({y for r in CIN.rules if r.set_name == "draft" for y in r.years})
    known = ", ".join(map(str, years)) or "no year"
    return f"--draft: no draft rules for collection year {year} (draft rules exist for {known})"


def validate_cin(raw: dict[str, pd.DataFrame], year: int, *, draft: bool = False,
                 xsd_issues: pd.DataFrame | None = None, workers: int | None = 1) -> RunResult:
    """Every CIN rule for ``year`` (and its draft rules with ``draft``); dates that do not parse.

    ``xsd_issues``: the DfE XSD's findings for the file (rule ``XSD``, from the reader or from
    ``cin_return_xsd_issues``), merged in as errors like any other, so they block the submission.

    ``draft`` in a year with no draft rules runs the core rules and lists each draft rule in the rule
    status as skipped, saying why (``no_draft_rules``), instead of leaving them out silently.

    ``workers``: as for ``run_rules``; 1 by default (see below); None follows ``STATRETURNS_WORKERS``.
    """
    from schemas.rules.cin import CIN
    from statreturns.cin.tables import build_tables as build_cin_tables
    from statreturns.cin.tables import date_issues

    tables = build_cin_tables(raw, year, include_draft=draft)
    sets = ("core", "draft") if draft else ("core",)
    extra = date_issues(tables)
    if xsd_issues is not None and len(xsd_issues):
        extra = pd.concat([extra, xsd_issues[ISSUE_COLUMNS]], ignore_index=True) if len(extra) else xsd_issues
    # Serially by default: the CIN rules spend most of their time building lookups they share (tables.memo), which a
    # forked process would build again. Measured whole `validate cin` (quiet, 2 cores): 10,045 children
    # 0.76-0.91 s serial against 0.87-0.99 s forked (4 pairs); 499,490 children 33.4 s / 40 CPU-s serial
    # against 37.2 s / 51 CPU-s and 1.3 GB more forked.
    result = run_rules(CIN, tables, sets=sets, extra_issues=extra, workers=workers,
                       skip_reasons={"PreProceedings": "draft rules not asked for (--draft)"})
    reason = no_draft_rules(year) if draft else None
    if reason:
        draft_rules = {r.code: r for r in CIN.rules if r.set_name == "draft"}.values()
        skipped = pd.DataFrame([("cin", year, r.code, r.severity, "skipped", reason, 0) for r in draft_rules],
                               columns=RULE_STATUS_COLUMNS)
        result.rule_status = pd.concat([result.rule_status, skipped], ignore_index=True)
    return result


def cin_return_xsd_issues(frames: dict[str, pd.DataFrame], year: int, lea: str | None,
                         folder: Path) -> pd.DataFrame:
    """The XSD findings of the CIN census ``write_cin_xml`` makes of ``frames`` (same year and LEA).

    The writer gives the same bytes for the same frames, so the file is written to a temporary file in
    ``folder``, checked against the year's schema and removed; the return itself is written by its own
    step. A year without a schema (see ``statreturns.cin.xsd``) gives no findings.
    """
    import os
    import tempfile

    from statreturns.cin import xsd
    from statreturns.cin.xml_writer import write_cin_xml

    if not xsd.has_schema(year):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS})
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".xsd-check-", suffix=".xml", dir=folder)
    os.close(fd)
    try:
        write_cin_xml(frames, name, year=year, lea=lea)
        return xsd.check_cin_xml(name, year)
    finally:
        Path(name).unlink(missing_ok=True)


def validate_903(raw: dict[str, pd.DataFrame], year: int, *, previous: dict[str, pd.DataFrame] | None = None,
                 la_code: str | None = None, extra: bool = False,
                 extra_frames: dict[str, pd.DataFrame] | None = None) -> RunResult:
    from schemas.rules.ssda903 import LAC
    from statreturns.ssda903.tables import build_tables as build_903_tables

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
    with atomic_files() as group:  # the three replace the old ones together (see files.atomic_files)
        paths = {
            "issues_csv": write_people_csv(issues, out / "issues.csv", group),
            "rules_csv": write_people_csv(result.rule_status, out / "rules.csv", group),
        }
        paths["issues_xlsx"] = write_issues_xlsx(result, out / "issues.xlsx", ordered=issues, group=group)
    return paths


def write_issues_xlsx(result: RunResult, path: Path, *, ordered: pd.DataFrame | None = None,
                      group: AtomicFiles | None = None) -> Path:
    """A workbook a caseworker can filter: findings, counts by rule, and rule status (header frozen and
    filtered, messages wide). Data are written as text or numbers, never as formulas; findings beyond
    Excel's row limit continue on further sheets (see statreturns.workbook). ``ordered``: the findings
    already in ``file_order`` with ISSUE_COLUMNS, when the caller has them; ``group``: see
    files.atomic_files."""
    from statreturns.files import open_atomic
    from statreturns.workbook import Sheet, write_workbook

    if ordered is None:
        ordered = file_order(result.issues)[ISSUE_COLUMNS]
    findings = ordered.rename(columns=str.title)
    sheets = [Sheet(name, frame, widths={c: 60 for c in frame.columns if str(c).lower() == "message"})
              for name, frame in (("Findings", findings), ("Counts by rule", counts_by_rule(result.issues)),
                                  ("Rules run", result.rule_status))]
    with open_atomic(path, group) as fh:
        write_workbook(fh, sheets)
    return path


def summary_counts(result: RunResult) -> dict[str, int]:
    status = result.rule_status["status"].value_counts()
    return {"errors": result.errors, "queries": result.queries, "rules_ran": int(status.get("ran", 0)),
            "rules_skipped": int(status.get("skipped", 0)), "rules_failed": int(status.get("failed", 0))}
