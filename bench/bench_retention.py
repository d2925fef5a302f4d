"""Retention benchmark: plan and apply the council schedule over a warehouse of N children (default 1,000,000).

    .venv/bin/python bench/bench_retention.py [--children N] [--chunk 100000] [--database-url URL]
                                              [--as-of 2110-01-01] [--batch-size 50000]
                                              [--filled PATH_OR_DATABASE [--fill-only | --reuse]]

Filling a million children takes minutes: ``--filled`` names where a filled warehouse is kept (an SQLite
file, or on PostgreSQL a database on the --database-url server). ``--fill-only`` fills it and stops;
``--reuse`` skips the fill and measures on a fresh copy of it (the file copied; on PostgreSQL the
--database-url database dropped and created again from the filled one as its template).

The warehouse is filled in chunks: one synthetic draw of --chunk children is written repeatedly with its
keys made unique per chunk, so memory stays flat. Prints timings (wall, and this process's CPU: on
PostgreSQL the server backends' CPU is read from /proc and printed beside it), the load average and peak memory; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas import canonical
from statreturns import warehouse
from statreturns.generate import Config, generate
from statreturns.retention import audit, plan, store
from statreturns.retention.apply import apply_plan
from statreturns.retention.schedule import default_path

ID_COLUMNS = ("child_id", "episode_id", "assessment_id", "plan_id", "s47_id", "cpp_id", "pupil_id", "UPN")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> str:
    """The 1-minute load average: other jobs on a shared machine stretch the wall times."""
    return f"{os.getloadavg()[0]:.1f}"


def _sql_ready(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reindex(columns=canonical.columns(name))  # optional columns the generator leaves out: NULL
    for col in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].dt.date.astype(object).where(out[col].notna(), None)
        else:
            out[col] = out[col].astype(object).where(out[col].notna(), None)
    return out


def server_cpu(engine: sa.Engine) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving this database (a server on this machine: read
    from /proc); empty on SQLite, whose work is in this process's CPU."""
    if engine.dialect.name != "postgresql":
        return {}
    with engine.connect() as conn:
        pids = [r for (r,) in conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))]
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[pid] = (int(fields[11]) + int(fields[12])) / tick
    return out


def server_used(engine: sa.Engine, before: dict[int, float]) -> str:
    if engine.dialect.name != "postgresql":
        return ""
    after = server_cpu(engine)
    return f", server backends' CPU {sum(v - before.get(pid, 0.0) for pid, v in after.items()):.1f}s"


def fill(engine: sa.Engine, children: int, chunk: int) -> int:
    base = generate(Config(children=min(chunk, children), seed=7))
    store.metadata.drop_all(engine)  # a server database reused by an earlier run: its plans and audit log go
    warehouse.write_tables(engine, {k: v.iloc[0:0] for k, v in base.items()})  # typed, empty tables
    rows, done, i = 0, 0, 0
    while done < children:
        n = min(chunk, children - done)
        keep = set(base["children"]["child_id"].iloc[:n])
        with engine.begin() as conn:
            for name, frame in base.items():
                part = frame[frame["child_id"].isin(keep)] if "child_id" in frame.columns else frame.iloc[:0]
                if name == "school_pupils":
                    part = frame.iloc[: max(1, len(frame) * n // len(base["children"]))]
                part = part.copy()
                for col in ID_COLUMNS:
                    if col in part.columns:
                        part[col] = part[col].astype(object).where(part[col].isna(), part[col].astype(str) + f"-{i}")
                _sql_ready(name, part).to_sql(warehouse.PREFIX + name, conn, if_exists="append", index=False,
                                              chunksize=50_000, dtype=warehouse.sql_types(name))
                rows += len(part)
        done += n
        i += 1
        print(f"  filled {done:,} children ({rows:,} rows)", flush=True)
    return rows


def _pg_admin(url: str) -> tuple[sa.Engine, str]:
    """An autocommit engine on the server's ``postgres`` database, and the database name of ``url``."""
    u = sa.make_url(url)
    return sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT"), str(u.database)


def _pg_recreate(url: str, template: str | None) -> None:
    admin, name = _pg_admin(url)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
    admin.dispose()


def prepare(args: argparse.Namespace, tmp: Path) -> str:
    """The URL to measure on: filled here, or a copy of ``--filled``; with --fill-only, the filled one."""
    if args.database_url is None:
        work = Path(tmp) / "warehouse.sqlite"
        if args.reuse:
            shutil.copyfile(args.filled, work)
        return f"sqlite:///{args.filled if args.fill_only else work}"
    if not args.filled:
        return args.database_url
    filled = sa.make_url(args.database_url).set(database=args.filled).render_as_string(hide_password=False)
    if args.fill_only:
        _pg_recreate(filled, None)
        return filled
    if args.reuse:
        _pg_recreate(args.database_url, args.filled)
    return args.database_url


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--children", type=int, default=1_000_000)
    p.add_argument("--chunk", type=int, default=100_000)
    p.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    p.add_argument("--as-of", default="2110-01-01")
    p.add_argument("--batch-size", type=int, default=plan.BATCH_SIZE)
    p.add_argument("--filled", default=None, help="a filled warehouse kept between runs: SQLite file or PG database")
    how = p.add_mutually_exclusive_group()
    how.add_argument("--fill-only", action="store_true", help="fill --filled and stop")
    how.add_argument("--reuse", action="store_true", help="measure on a copy of --filled (no fill)")
    args = p.parse_args()
    if (args.fill_only or args.reuse) and not args.filled:
        p.error("--fill-only and --reuse need --filled")
    os.environ.setdefault("STATRETURNS_PSEUDONYM_KEY", "bench-key-not-secret")
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        started = time.perf_counter()
        url = prepare(args, Path(tmp))
        engine = warehouse.engine_for(url)
        if args.reuse:
            with engine.connect() as conn:
                n = conn.execute(sa.text(f'SELECT count(*) FROM "{warehouse.PREFIX}children"')).scalar()
            print(f"children: {n:,}  reused a copy of {args.filled}: {time.perf_counter() - started:.1f}s  "
                  f"({engine.dialect.name})")
        else:
            rows = fill(engine, args.children, args.chunk)
            print(f"children: {args.children:,}  warehouse rows: {rows:,}  fill: {time.perf_counter() - started:.1f}s"
                  f"  ({engine.dialect.name})")
        if args.fill_only:
            engine.dispose()
            return
        started, cpu, server = time.perf_counter(), time.process_time(), server_cpu(engine)
        result = plan.make_plan(engine, run_dir, default_path("council"), date.fromisoformat(args.as_of), "bench",
                                batch_size=args.batch_size)
        took_plan, cpu_plan = time.perf_counter() - started, time.process_time() - cpu
        items = sum(sum(c.values()) for c in result.counts.values())
        print(f"plan: {took_plan:.1f}s (this process's CPU {cpu_plan:.1f}s{server_used(engine, server)})  items: {items:,}  "
              f"batches: {result.batches}  peak memory so far: {peak_mb():,.0f} MB  load: {load()}")
        for series, counts in sorted(result.counts.items()):
            print(f"  {series}: {counts}")
        plan.approve(engine, result.plan_id, "bench")
        started, cpu, server = time.perf_counter(), time.process_time(), server_cpu(engine)
        applied = apply_plan(engine, run_dir, result.plan_id, "bench")
        took_apply, cpu_apply = time.perf_counter() - started, time.process_time() - cpu
        changed = sum(n for tables in applied.counts.values() for t, n in tables.items() if t != "flagged")
        print(f"apply: {took_apply:.1f}s (this process's CPU {cpu_apply:.1f}s{server_used(engine, server)})  batches: {applied.batches_applied}  "
              f"rows changed: {changed:,}  rows/s: {changed / took_apply:,.0f}  load: {load()}")
        started = time.perf_counter()
        verdict = audit.verify(engine)
        print(f"verify: {time.perf_counter() - started:.1f}s  entries: {verdict.entries:,}  ok: {verdict.ok}")
        print(f"peak memory: {peak_mb():,.0f} MB")
        engine.dispose()


if __name__ == "__main__":
    main()
