"""A regional hub's run: many councils, each validated and built.

    .venv/bin/python bench/bench_hub.py --las 30 --children 15000
    .venv/bin/python bench/bench_hub.py --las 3 --children 2000      # a quick look
    .venv/bin/python bench/bench_hub.py --las 6 --children 5000 --executor in_process --executor celery

Generates one case-management extract per council (real DfE LA numbers), then runs `statreturns run`
for every LA of one collection year in a fresh process, once per `--executor` (default in_process:
each partition's steps in its run's process, `--parallel-runs` partitions at once; multiprocess: steps
in processes of their own; celery: steps on `--workers` `statreturns worker` processes started here
and stopped after, through the local RabbitMQ). Each executor gets a fresh run folder and Dagster
home. Prints the total time, children per second, the peak memory of the whole process tree (sampled
from /proc, workers included) and a SHA-256 over every issues.csv, so that executors can be checked
for the same findings. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
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


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _issues_digest(run_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((run_dir / "outputs").rglob("issues.csv")):
        digest.update(str(path.relative_to(run_dir)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _start_workers(n: int, env: dict[str, str], logs: Path) -> list[subprocess.Popen]:
    workers = []
    for i in range(n):
        log = logs / f"worker{i}.log"
        workers.append(subprocess.Popen([sys.executable, "-m", "pipelines.cli", "worker", "--concurrency", "1",
                                         "--name", f"bench{i}@bench"], env=env, stdout=log.open("w"),
                                        stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + 120
    while not all("ready on queue" in (logs / f"worker{i}.log").read_text() for i in range(n)):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            _stop(workers)
            raise SystemExit(f"workers did not start: see {logs}")
        time.sleep(0.2)
    return workers


def _stop(workers: list[subprocess.Popen]) -> None:
    for w in workers:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(w.pid, signal.SIGKILL)
        w.wait()


def _run(executor: str, args: argparse.Namespace, root: Path, base_env: dict[str, str], total: int,
         n_las: int) -> None:
    run_dir, home = root / f"run_{executor}", root / f"home_{executor}"
    env = {**base_env, "STATRETURNS_RUN_DIR": str(run_dir), "DAGSTER_HOME": str(home),
           "STATRETURNS_CELERY_QUEUE": f"bench-hub-{uuid.uuid4().hex[:8]}"}
    command = [sys.executable, "-m", "pipelines.cli", "run", "--executor", executor, "--parallel-runs",
               str(args.parallel_runs), "--max-concurrent", str(args.max_concurrent), "--run-dir", str(run_dir)]
    workers = _start_workers(args.workers, env, root) if executor == "celery" else []
    try:
        peak = 0
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        while proc.poll() is None:
            peak = max(peak, _tree_rss(proc.pid) + sum(_tree_rss(w.pid) for w in workers))
            time.sleep(0.5)
        reader.join()
        took = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    finally:
        _stop(workers)
        if executor == "celery":
            from kombu import Connection

            with Connection(env.get("STATRETURNS_CELERY_BROKER", "pyamqp://guest:guest@127.0.0.1:5672//")) as conn:
                conn.default_channel.queue_delete(env["STATRETURNS_CELERY_QUEUE"])
    summaries = [line.strip() for line in lines if line.startswith("Collection year")]
    print(f"hub run, executor {executor}: {len(summaries)} partitions ({n_las} LAs, collection year {args.year}) "
          f"in {took:.1f}s with parallel_runs={args.parallel_runs}"
          + (f", {args.workers} workers" if workers else "") + f"; exit code {proc.returncode}")
    print(f"  CPU of the run command and the processes it started: {cpu:.1f}s (user + system"
          + (", workers not counted)" if workers else ")") + f"; load average {_load()}")
    print(f"  {total:,} children in the extracts: {total / took:,.0f} children/s; "
          f"{took / max(len(summaries), 1):.1f}s per LA")
    print(f"  peak memory of the process tree: {peak / 2**30:.2f} GB")
    print(f"  issues.csv digest: {_issues_digest(run_dir)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--las", type=int, default=30)
    p.add_argument("--children", type=int, default=15_000)
    p.add_argument("--year", type=int, default=2026)
    p.add_argument("--executor", action="append", choices=("in_process", "multiprocess", "celery"), default=[])
    p.add_argument("--parallel-runs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--max-concurrent", type=int, default=os.cpu_count() or 2, help="multiprocess: steps at once")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="celery: workers (one process each)")
    p.add_argument("--inputs", type=Path, help="keep the generated extracts here (a council's are reused when present)")
    p.add_argument("--generate-only", action="store_true", help="generate the extracts (with --inputs) and stop")
    args = p.parse_args()
    councils = _councils(args.las)

    with tempfile.TemporaryDirectory(prefix="statreturns-hub-") as tmp:
        root = Path(tmp)
        inputs = args.inputs / f"{args.children}-{args.year}" if args.inputs else root / "in"
        started = time.perf_counter()
        for n, (la, gss) in enumerate(councils):
            done = inputs / la / ".complete"
            if not done.exists():  # written last, so a council cut short is generated again
                write_extracts(Config(children=args.children, seed=1000 + n, year=args.year, la_code=la,
                                      la_gss=gss), inputs / la)
                done.touch()
        print(f"generated {len(councils)} councils x {args.children:,} children in "
              f"{time.perf_counter() - started:.1f}s (missing ones only; in {inputs})")
        if args.generate_only:
            return

        env = {k: v for k, v in os.environ.items() if not k.startswith(("STATRETURNS_", "DAGSTER_"))}
        env.update({
            "STATRETURNS_LAS": ",".join(la for la, _ in councils), "STATRETURNS_YEARS": str(args.year),
            "STATRETURNS_SOURCES": str(write_sources_file(root / "sources.yaml", f"{inputs}/{{la}}")),
            "SOURCE_DATE_EPOCH": "1785000000",
        })
        if os.environ.get("STATRETURNS_CELERY_BROKER"):
            env["STATRETURNS_CELERY_BROKER"] = os.environ["STATRETURNS_CELERY_BROKER"]
        for executor in args.executor or ["in_process"]:
            _run(executor, args, root, env, len(councils) * args.children, len(councils))


if __name__ == "__main__":
    main()
