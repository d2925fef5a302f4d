"""Generator benchmark: England-size synthetic extracts (default 500,000 children), rows per second.

    .venv/bin/python bench/bench_generate.py [--children N] [--write]

Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from statreturns.generate import Config, generate, inject, write_extracts


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--children", type=int, default=500_000)
    p.add_argument("--write", action="store_true", help="also write the SSD CSVs and school extract")
    args = p.parse_args()
    cfg = Config(children=args.children, seed=1)
    started = time.perf_counter()
    tables = generate(cfg)
    gen = time.perf_counter() - started
    faulty, faults = inject(tables, cfg.fault_rate, cfg.seed, cfg.year)
    total = time.perf_counter() - started
    rows = sum(len(t) for t in faulty.values())
    print(f"children: {args.children:,}  rows: {rows:,}  faults: {len(faults):,}")
    print(f"generate: {gen:.1f}s  generate+faults: {total:.1f}s  rows/s: {rows / total:,.0f}")
    if args.write:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            write_extracts(cfg, Path(tmp))
            took = time.perf_counter() - started
            print(f"generate+faults+write CSV: {took:.1f}s  rows/s: {rows / took:,.0f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
