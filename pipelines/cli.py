"""The `statreturns` command line.

    statreturns demo
    statreturns run [--year Y ...] [--la LA ...] [--sources FILE] [--executor in_process|multiprocess|celery]
                    [--parallel-runs N] [--hub-report]
    statreturns worker [--concurrency N] [--queue Q]
    statreturns generate --children N [--seed S] [--year Y] [--fault-rate R] [--no-cross] --out DIR
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


def _parser(extensions: bool = True) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="statreturns", description="England children's statutory returns.")
    sub = p.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the whole pipeline on the bundled demo data")
    demo.add_argument("--run-dir", default=os.environ.get("STATRETURNS_RUN_DIR", "run"))
    demo.add_argument("--clean", action="store_true",
                      help="a fault-free council (generated into the run folder): the returns pass and the "
                      "submission pack is built")

    run = sub.add_parser("run", help="run the pipeline for collection years x LAs (a backfill)")
    run.add_argument("--year", type=int, action="append", default=[], help="a collection year (repeatable)")
    run.add_argument("--la", action="append", default=[], help="a 3-digit LA number (repeatable)")
    run.add_argument("--run-dir", default=os.environ.get("STATRETURNS_RUN_DIR", "run"))
    run.add_argument("--executor", choices=("in_process", "multiprocess", "celery"), default="in_process",
                     help="where each run's steps execute (default: in the run's own process)")
    run.add_argument("--multiprocess", action="store_true", help="same as --executor multiprocess")
    run.add_argument("--max-concurrent", type=int, default=os.cpu_count() or 2,
                     help="multiprocess: steps of one run at once")
    run.add_argument("--parallel-runs", type=int, default=os.cpu_count() or 2,
                     help="partitions' runs at once (default: the number of cores)")
    run.add_argument("--queue", default=None, help="celery: the workers' queue (default $STATRETURNS_CELERY_QUEUE)")
    run.add_argument("--hub-report", action="store_true",
                     help="then write each year's hub report (every configured LA side by side)")

    worker = sub.add_parser("worker", help="start a Celery worker for Dagster steps (--executor celery)")
    worker.add_argument("--concurrency", type=int, default=os.cpu_count() or 2, help="steps at once")
    worker.add_argument("--queue", default=None, help="the queue to take steps from (default $STATRETURNS_CELERY_QUEUE)")
    worker.add_argument("--name", default=None, help="the worker's name (default: statreturns-<random>@host)")
    run.add_argument("--sources", type=Path, default=None,
                     help="the sources file (default: STATRETURNS_SOURCES, else the demo's)")

    gen = sub.add_parser("generate", help="write synthetic council and school extracts")
    gen.add_argument("--children", type=int, default=300)
    gen.add_argument("--seed", type=int, default=20260331)
    gen.add_argument("--year", type=int, default=2026)
    gen.add_argument("--fault-rate", type=float, default=0.03)
    gen.add_argument("--cross", action=argparse.BooleanOptionalAction, default=True,
                     help="make the returns and the roll agree and inject the cross checks' faults (default); "
                          "--no-cross: each return and the roll made on their own")
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
    lac.add_argument("--la", default=None, help="the submitting LA's 3-digit DfE number (for placement location; "
                     "without it the rules that need it are skipped, with a warning)")
    lac.add_argument("--extra", action="store_true", help="also run the optional D2I local checks")
    lac.add_argument("--out", type=Path, required=True)
    for ext in _extensions() if extensions else ():
        ext.add_commands(sub)
    return p


def _extensions() -> tuple:
    from pipelines import cli_cross, cli_ingest, cli_retention

    return (cli_ingest, cli_retention, cli_cross)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        # `validate` needs none of the extensions' commands (their modules cost a run ~10 ms to import).
        args = _parser(extensions=argv[:1] != ["validate"]).parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return EXIT_UNREADABLE if exc.code else EXIT_OK
    try:
        if args.command == "demo":
            return _demo(Path(args.run_dir), clean=args.clean)
        if args.command == "run":
            return _run(args)
        if args.command == "worker":
            return _worker(args)
        if args.command == "generate":
            return _generate(args)
        if args.command != "validate":
            for ext in _extensions():
                code = ext.run(args)
                if code is not None:
                    return code
        return _validate(args)
    except (UsageError, ValueError, OSError) as exc:
        # Our readers' messages name the file and line, never a value; a broker that is down is an OSError.
        print(f"statreturns: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE


# Packages whose exception classes' messages we write (CinReadError, Ssda903ReadError, ...): they name a file,
# a line, a rule or a setting, never a value read from the data (see DESIGN.md, privacy). Any other exception
# (a ValueError or KeyError from pandas, numpy, Arrow or lxml, or from a builtin our code called) may quote a
# value: `validate` then shows its type and where it was raised, not its text.
OUR_PACKAGES = ("statreturns", "schemas", "pipelines")


def _validate(args: argparse.Namespace) -> int:
    try:
        return _validate_cin(args) if args.ret == "cin" else _validate_903(args)
    except (UsageError, OSError):
        raise  # about the paths given: shown as they are
    except Exception as exc:
        if type(exc).__module__.split(".")[0] in OUR_PACKAGES:
            raise  # ours: shown as main shows it (or a traceback, for a class main does not expect)
        module, line = _raised_at(exc)
        print(f"statreturns: validate {args.ret} stopped: {type(exc).__name__} raised in {module} line {line} "
              "(its message is not shown: it may quote the data)", file=sys.stderr)
        return EXIT_UNREADABLE


def _raised_at(exc: BaseException) -> tuple[str, int]:
    """The module and line where ``exc`` was raised (the innermost frame of its traceback)."""
    tb = exc.__traceback__
    if tb is None:
        return "?", 0
    while tb.tb_next is not None:
        tb = tb.tb_next
    return str(tb.tb_frame.f_globals.get("__name__", "?")), tb.tb_lineno


def _generate(args: argparse.Namespace) -> int:
    from statreturns.generate import Config, write_extracts

    if args.children < 1:
        raise UsageError("--children must be at least 1")
    started = time.perf_counter()
    summary = write_extracts(Config(children=args.children, seed=args.seed, year=args.year,
                                    fault_rate=args.fault_rate, cross=args.cross), args.out)
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
    from statreturns.cin.xml_stream import prefetch

    # Before pandas is imported (half a second): a worker reads the file meanwhile (see xml_stream).
    prefetch(args.file, xsd_year=args.year)
    from pipelines.collector import freeze_imported
    from statreturns.cin.xml_reader import read_cin_xml
    from statreturns.validate import no_draft_rules, validate_cin

    if not args.file.is_file():
        raise UsageError(f"{args.file}: no such file")
    freeze_imported()
    cin = read_cin_xml(args.file, xsd_year=args.year)  # checked against --year's DfE XSD while read
    result = validate_cin(cin.frames, args.year, draft=args.draft, xsd_issues=cin.xsd_issues)
    reason = no_draft_rules(args.year) if args.draft else None
    if reason:
        print(f"statreturns: {reason}; the core rules ran without them (see rules.csv)", file=sys.stderr)
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
    from pipelines.collector import freeze_imported
    from statreturns.validate import validate_903

    freeze_imported()
    tables = _read_903(args.folder)
    previous = _read_903(args.previous) if args.previous else None
    from statreturns.validate import POSTCODES_LOADED, with_postcodes

    # Placement LA and distance come from the ONS directory; PL_LOCATION needs the LA's number (--la).
    tables = with_postcodes(tables, args.la)
    previous = with_postcodes(previous, args.la) if previous else None
    extra_frames = POSTCODES_LOADED
    result = validate_903(tables, args.year, previous=previous, la_code=args.la, extra=args.extra,
                          extra_frames=extra_frames)
    if not args.la:
        from statreturns.ssda903.tables import NO_LA_REASON

        status = result.rule_status
        skipped = status.loc[status["reason"].str.contains(NO_LA_REASON, regex=False), "rule_code"].tolist()
        print(f"statreturns: warning: no submitting LA given (--la): rules {', '.join(skipped)} skipped "
              "(see rules.csv)", file=sys.stderr)
    return _report(result, args.out, f"SSDA903 {args.year}")


DEMO_PARTITION = (2026, "356")  # the bundled demo extracts: generated for collection year 2026, LA 356


CLEAN_DEMO = {"children": 400, "seed": 20260331}  # the fault-free council of `statreturns demo --clean`


def _demo(run_dir: Path, clean: bool = False) -> int:
    from assets.partitions import Partition

    if clean:
        _use_sources(_clean_demo_extracts(run_dir))
    return _run_partitions([Partition(*DEMO_PARTITION)], run_dir, "demo --clean" if clean else "demo")


def _clean_demo_extracts(run_dir: Path) -> Path:
    """Generate the fault-free council into ``run_dir/demo_clean`` (the same seed each time, so re-runs
    read the same extracts) and return its sources file."""
    from statreturns.generate import Config, write_extracts

    year, la = DEMO_PARTITION
    out = run_dir / "demo_clean"
    write_extracts(Config(children=CLEAN_DEMO["children"], seed=CLEAN_DEMO["seed"], year=year, la_code=la,
                          fault_rate=0.0), out)
    print(f"statreturns demo --clean: a fault-free council of {CLEAN_DEMO['children']} children generated in {out}")
    return out / "sources.yaml"


def _run(args: argparse.Namespace) -> int:
    from assets.partitions import Partition, las, years

    chosen_years = [str(y) for y in args.year] or years()
    chosen_las = args.la or las()
    unknown = sorted(set(chosen_years) - set(years())) + sorted(set(chosen_las) - set(las()))
    if unknown:
        raise UsageError(f"not a configured partition: {', '.join(unknown)} "
                         "(set STATRETURNS_YEARS / STATRETURNS_LAS)")
    parts = [Partition(int(y), la) for y in chosen_years for la in chosen_las]
    if args.sources is not None:
        _use_sources(args.sources)
    engine = "multiprocess" if args.multiprocess else args.executor
    if args.parallel_runs < 1 or args.max_concurrent < 1:
        raise UsageError("--parallel-runs and --max-concurrent must be at least 1")
    code = _run_partitions(parts, Path(args.run_dir), "run", engine, parallel=args.parallel_runs,
                           max_concurrent=args.max_concurrent, queue=args.queue)
    if args.hub_report:
        from pipelines.runner import run_hub_reports

        for outcome in run_hub_reports([p.year for p in parts], Path(args.run_dir)):
            made = outcome.metadata.get("hub_report", {})
            print(f"Hub report {outcome.partition.year}: {made.get('councils', 0)} councils, "
                  f"{made.get('blocked', 0)} blocked: {made.get('hub_html', 'not written')}")
            if outcome.failed:
                print("statreturns: the hub report failed (see the run in the Dagster UI)", file=sys.stderr)
                code = EXIT_UNREADABLE
    return code


def _worker(args: argparse.Namespace) -> int:
    from pipelines.worker import run_worker

    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    return run_worker(args.concurrency, queue=args.queue, name=args.name)


def _use_sources(path: Path) -> None:
    """Make ``path`` the run's sources file (checked now: a bad file is a one-line error, exit 2)."""
    from statreturns.ingest.config import load_sources

    if not path.is_file():
        raise UsageError(f"--sources {path}: no such file")
    load_sources(path)
    os.environ["STATRETURNS_SOURCES"] = str(path.resolve())  # for this run and the processes it starts


def _run_partitions(parts: list, run_dir: Path, what: str, engine: str = "in_process", parallel: int = 1,
                    max_concurrent: int | None = None, queue: str | None = None) -> int:
    from pipelines.executors import broker_url, probe_broker, run_config_for
    from pipelines.runner import (
        ensure_dagster_home,
        location_for,
        mark_start,
        run_partitions,
        set_aside_stale,
    )
    from statreturns.deployment import check_settings, sources_file

    check_settings(sources_file())  # a wrong setting is one line and exit 2, before anything runs
    location_for(sources_file())

    if engine == "celery":  # before anything is launched: a broker that is down is one line, not a hang
        probe_broker(broker_url())
    run_dir.mkdir(parents=True, exist_ok=True)
    for part in parts:
        mark_start(run_dir / "outputs" / part.folder())
    home = ensure_dagster_home(run_dir)
    print(f"statreturns {what}: run folder {run_dir.resolve()}, Dagster home {home}")
    started = time.perf_counter()
    if engine != "in_process":  # step processes and workers load the code location from the environment
        os.environ["STATRETURNS_RUN_DIR"] = str(run_dir)
    run_config = None if engine == "in_process" else run_config_for(engine, max_concurrent=max_concurrent, queue=queue)
    outcomes = run_partitions(parts, run_dir, run_config, parallel)
    failed = False
    for outcome in outcomes:
        stale = set_aside_stale(run_dir / "outputs" / outcome.partition.folder())
        _print_summary(run_dir, outcome, len(stale))
        failed = failed or bool(outcome.failed)
    print(f"\nDone: {len(outcomes)} partition(s) in {time.perf_counter() - started:.1f}s.")
    return EXIT_UNREADABLE if failed else EXIT_OK


def _print_summary(run_dir: Path, outcome, stale: int = 0) -> None:
    """What this run did, from its own events only (never a file an earlier run left)."""
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
    for step, ret in (("cin_findings", "cin"), ("ssda903_findings", "ssda903")):
        if step in meta:
            m = meta[step]
            print(f"  Issues, {ret}: {m['errors']:,} errors, {m['queries']:,} queries; rules ran {m['rules_ran']}, "
                  f"skipped {m['rules_skipped']}, failed {m['rules_failed']}")
        else:
            print(f"  Issues, {ret}: not checked in this run (the step did not complete)")
    if outcome.blocked:
        print(f"  Submission blocked by DfE errors (fix them, then re-run): {', '.join(outcome.blocked)}")
    elif "submission_pack" in meta:
        m = meta["submission_pack"]
        print(f"  No DfE errors: submission pack built ({m['files']} files) and entered in the sharing register "
              f"(entry {m['sharing_register_entry']}): {m['pack']}")
    if outcome.failed:
        print(f"statreturns: steps failed: {', '.join(outcome.failed)} (see the run in the Dagster UI)",
              file=sys.stderr)
    print(f"  Outputs: {out}")
    for path in sorted(p for p in out.rglob("*") if p.is_file() and p.relative_to(out).parts[0] != "stale"):
        print(f"    {path.relative_to(out)}")
    if stale:
        print(f"  {stale} file(s) an earlier run wrote and this run did not were moved to {out / 'stale'}")


if __name__ == "__main__":
    sys.exit(main())
