"""A regional hub's run: many councils, each validated and built, with the multiprocess executor.

    .venv/bin/python bench/bench_hub.py --las 30 --children 15000
    .venv/bin/python bench/bench_hub.py --las 3 --children 2000      # a quick look

Generates one case-management extract per council (real DfE LA numbers), then runs `statreturns run`
for every LA of one collection year in a fresh process: one Dagster run per partition, steps in
parallel processes. Prints the total time, children per second and the peak memory of the whole
process tree (sampled from /proc). Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from statreturns.generate import Config, write_extracts, write_sources_file
from statreturns.reference import DATA_DIR


def _councils(n: int) -> list[tuple[str, str]]:
    with open(DATA_DIR / "reference" / "la_codes.csv", newline="") as f:
        rows = [r for r in csv.DictReader(f) if not r["end_year"]]
    return [(r["la_number"], r["gss_code"]) for r in rows[:n]]


def _tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        children = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(children)
        frontier.extend(children)
    return sum(rss.get(p, 0) for p in tree)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--las", type=int, default=30)
    p.add_argument("--children", type=int, default=15_000)
    p.add_argument("--year", type=int, default=2026)
    p.add_argument("--max-concurrent", type=int, default=os.cpu_count() or 2)
    args = p.parse_args()
    councils = _councils(args.las)

    with tempfile.TemporaryDirectory(prefix="statreturns-hub-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        for n, (la, gss) in enumerate(councils):
            write_extracts(Config(children=args.children, seed=1000 + n, year=args.year, la_code=la, la_gss=gss),
                           root / "in" / la)
        print(f"generated {len(councils)} councils x {args.children:,} children in "
              f"{time.perf_counter() - started:.1f}s")

        env = {k: v for k, v in os.environ.items() if not k.startswith(("STATRETURNS_", "DAGSTER_"))}
        env.update({
            "STATRETURNS_LAS": ",".join(la for la, _ in councils), "STATRETURNS_YEARS": str(args.year),
            "STATRETURNS_SOURCES": str(write_sources_file(root / "sources.yaml", f"{root}/in/{{la}}")),
            "STATRETURNS_RUN_DIR": str(root / "run"), "DAGSTER_HOME": str(root / "home"),
        })
        command = [sys.executable, "-m", "pipelines.cli", "run", "--multiprocess",
                   "--max-concurrent", str(args.max_concurrent), "--run-dir", str(root / "run")]
        peak = 0
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.5)
        reader.join()
        took = time.perf_counter() - started
        summaries = [line.strip() for line in lines if line.startswith("Collection year")]
        total = len(councils) * args.children
        print(f"hub run: {len(summaries)} partitions ({len(councils)} LAs, collection year {args.year}) "
              f"in {took:.1f}s with max_concurrent={args.max_concurrent}; exit code {proc.returncode}")
        print(f"  {total:,} children in the extracts: {total / took:,.0f} children/s; "
              f"{took / max(len(summaries), 1):.1f}s per LA")
        print(f"  peak memory of the process tree: {peak / 2**30:.2f} GB")


if __name__ == "__main__":
    main()
