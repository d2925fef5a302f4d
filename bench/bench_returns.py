"""Return benchmarks: generated CIN census XML and SSDA903 CSV sets, timed for read + all rules + write.

    .venv/bin/python bench/bench_returns.py cin --children 10000
    .venv/bin/python bench/bench_returns.py ssda903 --children 80000 [--cold-postcodes]

The SSDA903 run includes last year's return, built from the same generated case history. Its total
counts the postcode directory loaded from the on-disk cache (the usual case); ``--cold-postcodes``
also times the first load on a fresh machine, which builds that cache. Prints children per second
and peak memory; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import gc
import resource
import tempfile
import time
from pathlib import Path

from statreturns.cin.build import build_cin_frames
from statreturns.generate import Config, generate, inject
from statreturns.ssda903.build import build_903_frames


def _tables(children: int, year: int) -> dict:
    cfg = Config(children=children, seed=7, year=year)
    return inject(generate(cfg), cfg.fault_rate, cfg.seed, cfg.year)[0]


def bench_cin(children: int, year: int, tmp: Path) -> None:
    from statreturns.cin.xml_reader import read_cin_xml
    from statreturns.cin.xml_writer import write_cin_xml
    from statreturns.cin.xsd import check_cin_xml
    from statreturns.validate import validate_cin

    frames = build_cin_frames(_tables(children, year), year)
    source = tmp / "in.xml"
    write_cin_xml(frames, source, year=year, lea="356")
    n = len(frames["ChildIdentifiers"])
    t0 = time.perf_counter()
    read = read_cin_xml(source)
    t1 = time.perf_counter()
    result = validate_cin(read.frames, year, xsd_issues=read.xsd_issues)
    t2 = time.perf_counter()
    write_cin_xml(read.frames, tmp / "out.xml", year=year, lea="356")
    t3 = time.perf_counter()
    _print("CIN census", n, source.stat().st_size, t1 - t0, t2 - t1, t3 - t2, result)
    xsd = check_cin_xml(tmp / "out.xml", year)
    print(f"  (read includes the XSD check; checking the written file again: {time.perf_counter() - t3:.1f}s, "
          f"{len(xsd):,} XSD findings)")


def bench_903(children: int, year: int, tmp: Path, cold_postcodes: bool = False) -> None:
    from schemas.rules.ssda903 import LAC
    from statreturns.engine import run_rules
    from statreturns.ssda903.csv_reader import read_csv_set
    from statreturns.ssda903.tables import build_tables as build_903_tables
    from statreturns.ssda903.writer import write_csv_set
    from statreturns.validate import POSTCODES_LOADED, with_postcodes

    # A council's looked-after children are about a fifth of the children it knows: scale the CMS up.
    # Both years' returns come from one case-management history, as they do in a council.
    history = _tables(children * 5, year)
    this_year = build_903_frames(history, year)
    last_year = build_903_frames(history, year - 1)
    write_csv_set(this_year, tmp / "now", year)
    write_csv_set(last_year, tmp / "last", year - 1)
    n = len(this_year["Header"])
    # A council's run starts from the files alone: drop the generated history (millions of Python
    # objects) so that the garbage collector's full passes during the timed stages do not walk it.
    del history, this_year, last_year
    gc.collect()
    c0 = _clocks()
    now = read_csv_set(tmp / "now").tables
    last = read_csv_set(tmp / "last").tables
    c1 = _clocks()
    now_pc, last_pc = with_postcodes(now, "356"), with_postcodes(last, "356")
    c_post = _clocks()
    # validate_903, in its two steps, so that building the shared tables is timed apart from the rules.
    tables = build_903_tables(now_pc, year, la_code="356", previous=last_pc, extra_frames=POSTCODES_LOADED)
    c_build = _clocks()
    result = run_rules(LAC, tables, skip_reasons=tables.absent)
    c2 = _clocks()
    write_csv_set(now, tmp / "out", year)
    c3 = _clocks()
    size = sum(p.stat().st_size for p in (tmp / "now").glob("*.csv"))
    _print("SSDA903 (with last year)", n, size, c1[0] - c0[0], c2[0] - c1[0], c3[0] - c2[0], result)
    stages = {"read": (c0, c1), "postcodes": (c1, c_post), "build tables": (c_post, c_build),
              "rules": (c_build, c2), "write": (c2, c3), "total": (c0, c3)}
    for i, clock in enumerate(("wall", "CPU")):
        print(f"  {clock:>4}: " + "  ".join(f"{name} {b[i] - a[i]:.2f}s" for name, (a, b) in stages.items()))
    if cold_postcodes:
        print(f"  postcode directory, first load on a fresh machine (builds the cache): {_cold_postcodes(tmp):.1f}s "
              "(not in the total: later runs load the cache)")


def _clocks() -> tuple[float, float]:
    """Wall and CPU (this process, all threads) seconds."""
    return time.perf_counter(), time.process_time()


def _cold_postcodes(tmp: Path) -> float:
    """Time to load the postcode directory with an empty cache folder, as on a fresh CI machine."""
    from statreturns.ssda903 import postcodes

    t0 = time.perf_counter()
    postcodes.load_directory(tmp / "postcode-cache")
    return time.perf_counter() - t0


def _print(what: str, n: int, size: int, read: float, rules: float, write: float, result) -> None:
    total = read + rules + write
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    status = result.rule_status["status"].value_counts().to_dict()
    print(f"{what}: {n:,} children, {size / 1e6:,.1f} MB in")
    print(f"  read {read:.1f}s  rules {rules:.1f}s  write {write:.1f}s  total {total:.1f}s  "
          f"children/s {n / total:,.0f}")
    print(f"  findings: {result.errors:,} errors, {result.queries:,} queries; rules {status}")
    print(f"  peak memory (whole process, incl. generating the input): {peak:,.0f} MB")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("return_", choices=["cin", "ssda903"])
    p.add_argument("--children", type=int, default=10_000)
    p.add_argument("--year", type=int, default=2026)
    p.add_argument("--cold-postcodes", action="store_true",
                   help="SSDA903: also time building the postcode cache from scratch (a few seconds)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.return_ == "cin":
            bench_cin(args.children, args.year, Path(tmp))
        else:
            bench_903(args.children, args.year, Path(tmp), cold_postcodes=args.cold_postcodes)


if __name__ == "__main__":
    main()
