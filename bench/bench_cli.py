"""Whole-command benchmarks: the commands a user runs, timed as subprocesses, in one table.

    .venv/bin/python bench/bench_cli.py                    # every row of issue 12's table but the hub
    .venv/bin/python bench/bench_cli.py --only cin,903-la   # some rows (names in the first column)
    .venv/bin/python bench/bench_cli.py --scale 0.1         # a quick look: every input a tenth the size
    .venv/bin/python bench/bench_cli.py --against 373430c --runs 5   # before/after, run alternately

Each command runs --runs times (default 3) in a fresh interpreter, start to exit (imports, reading,
rules, every output file); the table gives the median wall time, every run, and the peak resident
memory of the process tree (the command and any process it starts, sampled from /proc every 20 ms),
and the median CPU seconds (user + system), which a busy machine inflates less than wall time.
"first run" rows give each run an empty home folder. Inputs are generated first (fixed seeds; not
timed). In-process stage timings are bench/bench_returns.py's; the hub is bench/bench_hub.py.
With --against REV the code of REV (a temporary git worktree) is timed too, alternating with this
checkout run by run (the order swapped each run), since a shared machine's speed can drift by a third
within minutes: a before/after table gives both medians and ranges, how many runs the current code won,
and whether the first runs' findings files are byte-identical.
Prints figures and the machine's load; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_hub import _tree_rss  # noqa: E402 (bench/ is not a package)

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2026
# About these shares of a generated council's children are in each return (measured on seed 7 for 2026, since
# the generator gives every looked-after child a CIN episode): the inputs are sized so the returns hold about
# the number of children issue 12's table names.
CIN_CHILDREN_PER_GENERATED = 0.605
LOOKED_AFTER_PER_GENERATED = 0.263


@dataclass
class Case:
    name: str
    what: str
    target: str
    inputs: Callable[[Path, float], tuple[list[str], str]]  # (command args, input size) for a folder and scale
    empty_home: bool = False


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", *args]


def _cin(children: int) -> Callable[[Path, float], tuple[list[str], str]]:
    def make(folder: Path, scale: float) -> tuple[list[str], str]:
        from statreturns.cin.build import build_cin_frames
        from statreturns.cin.xml_writer import write_cin_xml
        from statreturns.generate import Config, generate, inject

        n = max(int(children * scale), 10)
        path = folder / f"cin-{n}.xml"
        if not path.exists():
            cfg = Config(children=round(n / CIN_CHILDREN_PER_GENERATED), seed=7, year=YEAR)
            frames = build_cin_frames(inject(generate(cfg), cfg.fault_rate, cfg.seed)[0], YEAR)
            write_cin_xml(frames, path, year=YEAR, lea="356")
        kids = path.read_bytes().count(b"<Child>")
        return (["validate", "cin", str(path), "--year", str(YEAR), "--out", "{out}"],
                f"{kids:,} children, {path.stat().st_size / 1e6:.0f} MB XML")
    return make


def _903(children: int, *extra: str) -> Callable[[Path, float], tuple[list[str], str]]:
    def make(folder: Path, scale: float) -> tuple[list[str], str]:
        from statreturns.generate import Config, generate, inject
        from statreturns.ssda903.build import build_903_frames
        from statreturns.ssda903.writer import write_csv_set

        n = max(int(children * scale), 10)
        now, last = folder / f"903-{n}" / "now", folder / f"903-{n}" / "last"
        if not now.exists():
            # Both years' returns come from one case history.
            cfg = Config(children=round(n / LOOKED_AFTER_PER_GENERATED), seed=7, year=YEAR)
            history = inject(generate(cfg), cfg.fault_rate, cfg.seed)[0]
            write_csv_set(build_903_frames(history, YEAR - 1), last, YEAR - 1)
            write_csv_set(build_903_frames(history, YEAR), now, YEAR)
        kids = sum(1 for _ in (now / "header.csv").open()) - 1
        return (["validate", "ssda903", str(now), "--previous", str(last), "--year", str(YEAR), *extra,
                 "--out", "{out}"], f"{kids:,} children + last year")
    return make


def _run_partition(children: int) -> Callable[[Path, float], tuple[list[str], str]]:
    def make(folder: Path, scale: float) -> tuple[list[str], str]:
        from statreturns.generate import Config, write_extracts

        n = max(int(children * scale), 50)
        extracts = folder / f"run-{n}"
        if not extracts.exists():
            write_extracts(Config(children=n, seed=1000, year=YEAR, la_code="356"), extracts)
        return (["run", "--year", str(YEAR), "--la", "356", "--run-dir", "{out}"],
                f"{n:,} children, 1 partition")
    return make


CASES = [
    Case("cin", "validate cin", "<= 1.0 s", _cin(10_000)),
    Case("903-la", "validate ssda903 --la 356, warm", "<= 1.2 s", _903(10_000, "--la", "356")),
    Case("903", "validate ssda903 (no --la)", "<= 1.5 s", _903(10_000)),
    Case("903-first", "validate ssda903 --la 356, first run (empty home)", "<= 2.5 s",
         _903(10_000, "--la", "356"), empty_home=True),
    Case("903-80k", "validate ssda903 --la 356", "<= 6 s, <= 1.5 GB", _903(80_000, "--la", "356")),
    Case("cin-500k", "validate cin", "<= 35 s, <= 4 GB", _cin(500_000)),
    Case("run", "statreturns run (default executor)", "<= 4 s", _run_partition(5_000)),
]


def _time(command: list[str], env: dict[str, str], cwd: Path = ROOT) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system, the process and the children it waited for), peak RSS
    bytes of the process tree, exit code. On a busy machine CPU seconds say more than wall seconds."""
    peak = 0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while proc.poll() is None:
        peak = max(peak, _tree_rss(proc.pid))
        time.sleep(0.02)
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 1):
        print(f"  exit {proc.returncode}: {' '.join(err.strip().splitlines()[-1:])}", file=sys.stderr)
    return took, cpu, peak, proc.returncode


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="", help="comma-separated case names (default: all)")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--scale", type=float, default=1.0, help="multiply every input size (a quick look: 0.1)")
    p.add_argument("--inputs", type=Path, help="keep generated inputs here (reused when present)")
    p.add_argument("--against", metavar="REV", help="also time the code of git revision REV (a temporary "
                   "worktree), alternating with this checkout run by run, and compare their findings files")
    args = p.parse_args()
    chosen = [c for c in CASES if not args.only or c.name in args.only.split(",")]
    # PYTHONDONTWRITEBYTECODE is dropped: an installed package keeps its compiled modules, so a user's
    # command does not recompile the project's ~100 modules on every run (0.2-0.5 s here).
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("STATRETURNS_", "DAGSTER_")) and k != "PYTHONDONTWRITEBYTECODE"}
    base_env["PYTHONPATH"] = str(ROOT)
    with tempfile.TemporaryDirectory(prefix="statreturns-bench-cli-") as tmp:
        work = Path(tmp)
        inputs = args.inputs or work / "in"
        inputs.mkdir(parents=True, exist_ok=True)
        prepared = []
        for case in chosen:
            t0 = time.perf_counter()
            command, size = case.inputs(inputs, args.scale)
            print(f"inputs for {case.name}: {size} ({time.perf_counter() - t0:.0f}s)", file=sys.stderr)
            prepared.append((case, command, size))
        trees = {"now": ROOT}
        if args.against:
            trees["before"] = _worktree(args.against, work / "against")
        load_before = _load()
        rows, paired = [], []
        try:
            for case, command, size in prepared:
                got = {name: _Timings() for name in trees}
                for i in range(args.runs):
                    # Alternating which tree goes first cancels the machine's drift between runs.
                    for name in (list(trees) if i % 2 == 0 else list(trees)[::-1]):
                        out = work / f"out-{name}-{case.name}-{i}"
                        env = {**base_env, "PYTHONPATH": str(trees[name])}
                        if case.name == "run":
                            env.update({"STATRETURNS_LAS": "356", "STATRETURNS_YEARS": str(YEAR),
                                        "DAGSTER_HOME": str(work / f"home-{name}-{case.name}-{i}"),
                                        "STATRETURNS_SOURCES": _sources(inputs, work)})
                        if case.empty_home:
                            home = work / f"empty-home-{name}-{case.name}-{i}"
                            home.mkdir()
                            env["HOME"] = str(home)
                        command_i = _cmd(*(a.replace("{out}", str(out)) for a in command))
                        got[name].add(*_time(command_i, env, cwd=trees[name]))
                        if i > 0 or len(trees) == 1:
                            shutil.rmtree(out, ignore_errors=True)
                now = got["now"]
                rows.append((case.name, f"{case.what}: {size}", statistics.median(now.times), now.times,
                             statistics.median(now.cpus), max(now.peaks), case.target, now.codes))
                if args.against:
                    same = _same_findings(work / f"out-now-{case.name}-0", work / f"out-before-{case.name}-0")
                    paired.append((case.name, got["before"].times, now.times, same))
        finally:
            if args.against:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(trees["before"])],
                               check=False, capture_output=True)
        load_after = _load()
    print(f"\nWhole commands, median of {args.runs} (machine: {os.cpu_count()} cores; load average "
          f"{load_before} before, {load_after} after)")
    print(f"{'case':<10} {'command and input':<78} {'median':>7}  {'runs':<22} {'CPU':>7} {'peak RSS':>9}  "
          "target  exit")
    for name, what, median, times, cpu, peak, target, codes in rows:
        runs = " ".join(f"{t:.2f}" for t in times)
        print(f"{name:<10} {what:<78} {median:>6.2f}s  {runs:<22} {cpu:>6.2f}s {peak / 2**20:>6,.0f} MB  {target}  "
              f"{','.join(map(str, sorted(codes)))}")
    if paired:
        print(f"\nAgainst {args.against}, run alternately (order swapped each run): median wall [range]")
        print(f"{'case':<10} {'before':>22} {'now':>22}  now faster  findings files")
        for name, before, now, same in paired:
            faster = sum(b > n for b, n in zip(before, now, strict=True))
            print(f"{name:<10} {_spread(before):>22} {_spread(now):>22}  {faster} of {len(now):<5}  {same}")


class _Timings:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.cpus: list[float] = []
        self.peaks: list[int] = []
        self.codes: set[int] = set()

    def add(self, took: float, cpu: float, peak: int, code: int) -> None:
        self.times.append(took)
        self.cpus.append(cpu)
        self.peaks.append(peak)
        self.codes.add(code)


def _spread(times: list[float]) -> str:
    return f"{statistics.median(times):.2f}s [{min(times):.2f}-{max(times):.2f}]"


def _worktree(rev: str, path: Path) -> Path:
    """A checkout of ``rev`` at ``path``, sharing this checkout's installed postcode cache (not in git)."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(path), rev], check=True)
    cache = ROOT / "statreturns" / "ssda903" / "postcode_cache"
    if cache.is_dir() and not (path / cache.relative_to(ROOT)).exists():
        (path / cache.relative_to(ROOT)).symlink_to(cache)
    return path


def _same_findings(now: Path, before: Path) -> str:
    """Whether the first runs wrote the same findings files (byte for byte); "-" when there are none."""
    names = ("issues.csv", "rules.csv", "issues.xlsx")
    if not all((now / n).is_file() and (before / n).is_file() for n in names):
        return "-"
    differ = [n for n in names if (now / n).read_bytes() != (before / n).read_bytes()]
    return "identical" if not differ else "DIFFER: " + ", ".join(differ)


def _sources(inputs: Path, work: Path) -> str:
    from statreturns.generate import write_sources_file

    extracts = next(p for p in inputs.iterdir() if p.name.startswith("run-"))
    return str(write_sources_file(work / "sources.yaml", str(extracts)))


if __name__ == "__main__":
    main()
