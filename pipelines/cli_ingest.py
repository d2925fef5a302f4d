"""`statreturns` commands for ingest (wired into pipelines/cli.py).

    statreturns sources check FILE
    statreturns ingest --sources FILE [--source NAME ...] --run-dir DIR [--database-url URL]

``ingest`` lands and reads each source, prints counts per source, and writes the quarantine to
``DIR/outputs/quarantine/<source>_quarantine.csv`` (file, line, reason: no values). Exit codes: 0 every
row landed; 1 some rows were quarantined (the rest landed: see the quarantine files); 2 an unreadable
input, a bad sources file or bad usage, with one line on stderr.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add this module's sub-commands to the top-level parser."""
    src = sub.add_parser("sources", help="check a sources YAML file")
    ssub = src.add_subparsers(dest="sources_command", required=True)
    chk = ssub.add_parser("check", help="validate a sources file and the profiles it names")
    chk.add_argument("file", type=Path)
    ing = sub.add_parser("ingest", help="land and read the extracts a sources file lists")
    ing.add_argument("--sources", type=Path, required=True)
    ing.add_argument("--source", action="append", default=None, help="only this source (repeatable)")
    ing.add_argument("--run-dir", type=Path, default=Path(os.environ.get("STATRETURNS_RUN_DIR", "run")))
    ing.add_argument("--database-url", default=None, help="warehouse URL (default STATRETURNS_DATABASE_URL, "
                                                           "else SQLite in the run folder)")


def run(args: argparse.Namespace) -> int | None:
    """Run the command if it is one of ours and return its exit code; None if it is not ours."""
    if args.command == "sources":
        return _check(args.file)
    if args.command == "ingest":
        return _ingest(args)
    return None


def _check(file: Path) -> int:
    from statreturns.ingest.config import load_sources

    sources = load_sources(file)
    for s in sources:
        where = s.location if s.location is not None else (f"${s.url_env}" if s.url_env else "url")
        print(f"{s.name}: {s.kind}, profile {Path(s.profile).stem}, {where}")
    print(f"{file}: {len(sources)} source(s) OK")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from pipelines.cli import UsageError
    from statreturns import warehouse
    from statreturns.files import write_people_csv
    from statreturns.ingest.config import load_sources
    from statreturns.ingest.run import ingest_source

    sources = load_sources(args.sources)
    if args.source:
        unknown = sorted(set(args.source) - {s.name for s in sources})
        if unknown:
            raise UsageError(f"{args.sources.name}: no source named {', '.join(unknown)}")
        sources = [s for s in sources if s.name in args.source]
    url = args.database_url or os.environ.get("STATRETURNS_DATABASE_URL") or warehouse.default_url(args.run_dir)
    engine = warehouse.engine_for(url)
    quarantined = 0
    try:
        for source in sources:
            result = ingest_source(source, args.run_dir, engine, dt.datetime.now(dt.UTC))
            c = result.counts()
            path = write_people_csv(result.quarantine,
                                    args.run_dir / "outputs" / "quarantine" / f"{source.name}_quarantine.csv")
            print(f"{source.name}: {c['files']} file(s) ({c['files_new']} new), {c['rows_in']:,} rows in, "
                  f"{c['rows_landed']:,} landed, {c['rows_quarantined']:,} quarantined")
            if c["rows_quarantined"]:
                print(f"  quarantine: {path}")
            quarantined += c["rows_quarantined"]
    finally:
        engine.dispose()
    return 1 if quarantined else 0
