"""Ingest benchmark: 500,000 children's CSV extracts landed and mapped, rows per second and peak memory.

    .venv/bin/python bench/bench_ingest.py [--children N] [--extracts DIR] [--big-csv-mb MB]

The extracts are written by ``statreturns generate`` in a child process (so its memory is not
counted), or taken from ``--extracts DIR`` (a folder holding ssd/ and school/pupils.csv).
``--big-csv-mb 2000`` also lands and streams a lazily written 2 GB pupil CSV (in a process of its own,
so its peak memory is its own). Its mapped output is not kept: a source's canonical tables are held in
memory, so a file mapped whole must map to what memory holds; reading and landing never hold it. Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from statreturns.ingest.config import Source
from statreturns.ingest.profiles import load_profile
from statreturns.ingest.run import ingest_source
from statreturns.ingest.text import read_text

BIG_HEADER = "Adno,UPN,Legal Forename,Legal Surname,DOB,Gender,Date of Admission,SEN Status,EHCP\n"
BIG_ROW = "A{:09d},H123456789012,Testy,Fakename,25/10/2015,F,01/09/2020,N,No\n"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _ingest(name: str, kind: str, location: Path, profile: str, run: Path, engine: sa.Engine) -> None:
    started = time.perf_counter()
    result = ingest_source(Source(name=name, kind=kind, profile=profile, location=location), run, engine,
                           dt.datetime.now(dt.UTC))
    took = time.perf_counter() - started
    c = result.counts()
    print(f"{name}: {c['files']} files, {c['rows_in']:,} rows in, {c['rows_landed']:,} landed, "
          f"{c['rows_quarantined']:,} quarantined in {took:.1f}s = {c['rows_in'] / took:,.0f} rows/s; "
          f"peak memory so far {_peak_mb():,.0f} MB")


def _big_csv(path: Path, megabytes: int) -> int:
    n, block = 0, 50_000
    with path.open("w", encoding="utf-8") as fh:
        fh.write(BIG_HEADER)
        while fh.tell() < megabytes * 1_000_000:
            fh.write("".join(BIG_ROW.format(i) for i in range(n, n + block)))
            n += block
    return n


def _big(megabytes: int) -> None:
    """Land (hash + copy) and stream a lazily written CSV, in this process alone so its peak is its own."""
    from statreturns.ingest import landing

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        big = tmp_path / "big.csv"
        n = _big_csv(big, megabytes)
        before = _peak_mb()
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
        started = time.perf_counter()
        landed = landing.land_file(engine, tmp_path / "run", "big", "csv", "generic-mis", big,
                                   dt.datetime.now(dt.UTC))
        took_land = time.perf_counter() - started
        big.unlink()
        started = time.perf_counter()
        rows = sum(len(c.frame) for c in read_text(landed.path, load_profile("generic-mis").known_headers()))
        took = time.perf_counter() - started
        engine.dispose()
        print(f"big CSV: {landed.path.stat().st_size / 1e9:.2f} GB, landed (SHA-256 + copy) in {took_land:.1f}s; "
              f"{rows:,} rows (written {n:,}) streamed in {took:.1f}s = {rows / took:,.0f} rows/s; peak memory "
              f"{_peak_mb():,.0f} MB (after writing the file: {before:,.0f} MB)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--children", type=int, default=500_000)
    p.add_argument("--extracts", type=Path, default=None)
    p.add_argument("--big-csv-mb", type=int, default=0)
    p.add_argument("--big-only", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.big_only:
        _big(args.big_csv_mb)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        extracts = args.extracts
        if extracts is None:
            extracts = tmp_path / "extracts"
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pipelines.cli", "generate", "--children", str(args.children),
                            "--out", str(extracts)], check=True, stdout=subprocess.DEVNULL)
            print(f"generated {args.children:,} children's extracts in {time.perf_counter() - started:.1f}s")
        size = sum(f.stat().st_size for f in extracts.rglob("*.csv"))
        print(f"extracts: {size / 1e6:,.0f} MB of CSV; baseline memory {_peak_mb():,.0f} MB")
        run = tmp_path / "run"
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
        _ingest("council_ssd", "csv", extracts / "ssd", "ssd-csv", run, engine)
        _ingest("school_pupils", "csv", extracts / "school" / "pupils.csv", "generic-mis", run, engine)
        _ingest("council_ssd_again", "csv", extracts / "ssd", "ssd-csv", run, engine)
        engine.dispose()
    if args.big_csv_mb:
        subprocess.run([sys.executable, __file__, "--big-only", "--big-csv-mb", str(args.big_csv_mb)], check=True)


if __name__ == "__main__":
    main()
