"""Decompression bomb benchmark (issue #17): an .xlsx whose one sheet inflates to about 400 MB, landed and
refused by `statreturns ingest` in a child process; prints wall time, CPU and the child's peak RSS.

    .venv/bin/python bench/bench_bomb.py [--rows 6500000]

The default is about the issue's bomb (a ~1.7 MB file, ~400 MB of sheet XML). Prints figures; asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ingest.hostile import write_xlsx_bomb  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=6_500_000)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        bomb = write_xlsx_bomb(folder / "pupils.xlsx", args.rows)
        sheet = zipfile.ZipFile(bomb).getinfo("xl/worksheets/sheet1.xml")
        print(f"bomb: {bomb.stat().st_size / 1e6:.2f} MB file, sheet {sheet.file_size / 1e6:.0f} MB inflated "
              f"(ratio {sheet.file_size / sheet.compress_size:.0f}), {args.rows:,} rows; "
              f"written in {time.perf_counter() - started:.1f}s")
        (folder / "sources.yaml").write_text(
            "sources:\n  - {name: school, kind: xlsx, location: pupils.xlsx, profile: generic-mis}\n")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "ingest", "--sources",
                               str(folder / "sources.yaml"), "--run-dir", str(folder / "run")],
                              capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        print(f"ingest: exit {done.returncode}, {wall:.2f}s wall, {cpu:.2f}s CPU, peak RSS "
              f"{after.ru_maxrss / 1024:.0f} MB (the whole CLI process: interpreter, pandas, SQLAlchemy)")
        print(f"stderr: {done.stderr.strip()}")
        from statreturns.ingest.errors import IngestError
        from statreturns.ingest.profiles import load_profile
        from statreturns.ingest.readers import read_file

        tracemalloc.start()
        started, cpu0 = time.perf_counter(), time.process_time()
        with contextlib.suppress(IngestError):
            list(read_file("xlsx", bomb, load_profile("generic-mis")))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"in-process refusal (read_file): {time.perf_counter() - started:.3f}s wall, "
              f"{time.process_time() - cpu0:.3f}s CPU, {peak / 1e6:.2f} MB allocated at peak")


if __name__ == "__main__":
    main()
