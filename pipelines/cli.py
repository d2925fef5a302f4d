"""The `statreturns` command line.

    statreturns demo
    statreturns run [--year Y ...] [--la LA ...] [--multiprocess]
    statreturns generate --children N [--seed S] [--year Y] [--fault-rate R] --out DIR
    statreturns validate cin FILE.xml --year Y --out DIR [--draft]
    statreturns validate ssda903 DIR --year Y [--previous DIR] [--la LA] [--extra] --out DIR

Exit codes: 0 no errors (queries allowed), 1 errors found, 2 unreadable input or bad usage, with one
clear line on stderr. Nothing printed here names a child: counts, rule codes and paths only.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


class UsageError(Exception):
    """Bad input or usage: reported as one line on stderr with exit code 2."""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="statreturns", description="England children's statutory returns.")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole pipeline on the bundled demo data")
    demo.add_argument("--run-dir", default=os.environ.get("STATRETURNS_RUN_DIR", "run"))

    run = sub.add_parser("run", help="run the pipeline for collection years x LAs (a backfill)")
    run.add_argument("--year", type=int, action="append", default=[], help="a collection year (repeatable)")
    run.add_argument("--la", action="append", default=[], help="a 3-digit LA number (repeatable)")
    run.add_argument("--run-dir", default=os.environ.get("STATRETURNS_RUN_DIR", "run"))
    run.add_argument("--multiprocess", action="store_true", help="run steps in parallel processes")
    run.add_argument("--max-concurrent", type=int, default=os.cpu_count() or 2)

    gen = sub.add_parser("generate", help="write synthetic council and school extracts")
    gen.add_argument("--children", type=int, default=300)
    gen.add_argument("--seed", type=int, default=20260331)
    gen.add_argument("--year", type=int, default=2026)
    gen.add_argument("--fault-rate", type=float, default=0.03)
    gen.add_argument("--out", type=Path, required=True)

    val = sub.add_parser("validate", help="check a return against the DfE rules")
    vsub = val.add_subparsers(dest="ret", required=True)
    cin = vsub.add_parser("cin", help="a CIN census XML file")
    cin.add_argument("file", type=Path)
    cin.add_argument("--year", type=int, required=True)
    cin.add_argument("--out", type=Path, required=True)
    cin.add_argument("--draft", action="store_true", help="also run the draft 2027 pre-proceedings rules")
    lac = vsub.add_parser("ssda903", help="a folder of SSDA903 CSVs")
    lac.add_argument("folder", type=Path)
    lac.add_argument("--year", type=int, required=True)
    lac.add_argument("--previous", type=Path)
    lac.add_argument("--la", default=None, help="the submitting LA's 3-digit DfE number (for placement location)")
    lac.add_argument("--extra", action="store_true", help="also run the optional D2I local checks")
    lac.add_argument("--out", type=Path, required=True)
    for ext in _extensions():
        ext.add_commands(sub)
    return p


def _extensions() -> tuple:
    from pipelines import cli_ingest, cli_retention

    return (cli_ingest, cli_retention)


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return EXIT_UNREADABLE if exc.code else EXIT_OK
    try:
        if args.command == "demo":
            return _demo(Path(args.run_dir))
        if args.command == "run":
            return _run(args)
        if args.command == "generate":
            return _generate(args)
        for ext in _extensions():
            code = ext.run(args)
            if code is not None:
                return code
        if args.ret == "cin":
            return _validate_cin(args)
        return _validate_903(args)
    except (UsageError, ValueError, OSError) as exc:
        # Our readers' messages name the file and line, never a value.
        print(f"statreturns: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE


def _generate(args: argparse.Namespace) -> int:
    from statreturns.generate import Config, write_extracts

    if args.children < 1:
        raise UsageError("--children must be at least 1")
    started = time.perf_counter()
    summary = write_extracts(Config(children=args.children, seed=args.seed, year=args.year,
                                    fault_rate=args.fault_rate), args.out)
    took = time.perf_counter() - started
    print(f"wrote {summary['rows']:,} rows for {args.children:,} children in {took:.1f}s to {args.out}")
    print(f"faults injected: {summary['faults']:,} (see {args.out / 'faults.csv'})")
    return EXIT_OK


def _report(result, out: Path, what: str) -> int:
    from statreturns.validate import summary_counts, write_issue_files

    paths = write_issue_files(result, out)
    c = summary_counts(result)
    print(f"{what}: {c['errors']:,} errors, {c['queries']:,} queries; rules ran {c['rules_ran']}, "
          f"skipped {c['rules_skipped']}, failed {c['rules_failed']}")
    for p in paths.values():
        print(f"  {p}")
    if c["rules_failed"]:
        print(f"statreturns: {c['rules_failed']} rule(s) raised and reported nothing: see rules.csv",
              file=sys.stderr)
    return EXIT_ERRORS if c["errors"] or c["rules_failed"] else EXIT_OK


def _validate_cin(args: argparse.Namespace) -> int:
    from statreturns.cin.xml_reader import read_cin_xml
    from statreturns.validate import validate_cin

    if not args.file.is_file():
        raise UsageError(f"{args.file}: no such file")
    cin = read_cin_xml(args.file)
    result = validate_cin(cin.frames, args.year, draft=args.draft)
    return _report(result, args.out, f"CIN census {args.year}")


def _read_903(folder: Path):
    from statreturns.ssda903.csv_reader import read_csv_set

    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder of SSDA903 CSV files")
    read = read_csv_set(folder)
    for problem in read.problems:
        print(f"statreturns: {problem}", file=sys.stderr)
    if "Header" not in read.tables and "Episodes" not in read.tables:
        raise UsageError(f"{folder}: no header.csv or episodes.csv found")
    return read.tables


def _validate_903(args: argparse.Namespace) -> int:
    from statreturns.validate import validate_903

    tables = _read_903(args.folder)
    previous = _read_903(args.previous) if args.previous else None
    from statreturns.validate import POSTCODES_LOADED, with_postcodes

    # Placement LA and distance come from the ONS directory; PL_LOCATION needs the LA's number (--la).
    tables = with_postcodes(tables, args.la)
    previous = with_postcodes(previous, args.la) if previous else None
    extra_frames = POSTCODES_LOADED
    result = validate_903(tables, args.year, previous=previous, la_code=args.la, extra=args.extra,
                          extra_frames=extra_frames)
    return _report(result, args.out, f"SSDA903 {args.year}")


DEMO_PARTITION = (2026, "356")  # the bundled demo extracts: generated for collection year 2026, LA 356


def _demo(run_dir: Path) -> int:
    from assets.partitions import Partition

    return _run_partitions([Partition(*DEMO_PARTITION)], run_dir, "demo")


def _run(args: argparse.Namespace) -> int:
    from assets.partitions import Partition, las, years

    chosen_years = [str(y) for y in args.year] or years()
    chosen_las = args.la or las()
    unknown = sorted(set(chosen_years) - set(years())) + sorted(set(chosen_las) - set(las()))
    if unknown:
        raise UsageError(f"not a configured partition: {', '.join(unknown)} "
                         "(set STATRETURNS_YEARS / STATRETURNS_LAS)")
    parts = [Partition(int(y), la) for y in chosen_years for la in chosen_las]
    return _run_partitions(parts, Path(args.run_dir), "run", args.max_concurrent if args.multiprocess else 0)


def _run_partitions(parts: list, run_dir: Path, what: str, max_concurrent: int = 0) -> int:
    from dagster import DagsterInstance

    from pipelines.runner import ensure_dagster_home, run_in_process, run_multiprocess

    run_dir.mkdir(parents=True, exist_ok=True)
    home = ensure_dagster_home(run_dir)
    print(f"statreturns {what}: run folder {run_dir.resolve()}, Dagster home {home}")
    started = time.perf_counter()
    with DagsterInstance.get() as instance:
        if max_concurrent:
            os.environ["STATRETURNS_RUN_DIR"] = str(run_dir)
            outcomes = run_multiprocess(parts, instance, max_concurrent)
        else:
            outcomes = run_in_process(parts, run_dir, instance)
    failed = False
    for outcome in outcomes:
        _print_summary(run_dir, outcome)
        failed = failed or bool(outcome.failed)
    print(f"\nDone: {len(outcomes)} partition(s) in {time.perf_counter() - started:.1f}s.")
    return EXIT_UNREADABLE if failed else EXIT_OK


def _print_summary(run_dir: Path, outcome) -> None:
    import pandas as pd

    part = outcome.partition
    out = run_dir / "outputs" / part.folder()
    meta = outcome.metadata
    print(f"\nCollection year {part.year}, LA {part.la}: {outcome.took:.1f}s")
    for name, m in sorted(meta.items()):
        if name.startswith("source_"):
            print(f"  Source {name.removeprefix('source_')}: {m['rows_in']:,} rows in {m['files']} file(s), "
                  f"{m['rows_landed']:,} landed, {m['rows_quarantined']:,} quarantined"
                  + (f", {m['rows_removed_by_retention']:,} removed by retention" if m.get("rows_removed_by_retention")
                     else ""))
            for note in str(m.get("retention_note") or "").splitlines():
                print(f"    {note}")
    if "canonical_tables" in meta:
        m = meta["canonical_tables"]
        print(f"  Children read: {m['children']:,}; school pupils read: {m['school_pupils']:,}")
    issues_csv = out / "issues.csv"
    if issues_csv.exists():
        issues = pd.read_csv(issues_csv, dtype="str")
        for ret, group in issues.groupby("return"):
            sev = group["severity"].value_counts()
            print(f"  Issues, {ret}: {int(sev.get('error', 0)):,} errors, {int(sev.get('query', 0)):,} queries "
                  f"across {group['rule_code'].nunique()} rules")
    if outcome.blocked:
        print(f"  Submission blocked by DfE errors (fix them, then re-run): {', '.join(outcome.blocked)}")
    if outcome.failed:
        print(f"statreturns: steps failed: {', '.join(outcome.failed)} (see the run in the Dagster UI)",
              file=sys.stderr)
    print(f"  Outputs: {out}")
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        print(f"    {path.relative_to(out)}")


if __name__ == "__main__":
    sys.exit(main())
