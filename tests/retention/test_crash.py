"""Crash safety: a process killed during apply leaves whole batches; a rerun completes; the chain verifies."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from statreturns.retention import audit, plan, store
from statreturns.retention.apply import CRASH_ENV, CRASH_IN_ENV, apply_plan
from statreturns.retention.schedule import default_path
from tests.retention.conftest import KEY, build_world, drop_pg_schema, pg_schema_url, snapshot

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2110, 1, 1)


def _cli_apply(url: str, run_dir: Path, plan_id: str, **env: str) -> subprocess.CompletedProcess:
    code = ("import sys; from pipelines.cli import main; "
            f"sys.exit(main(['retention', 'apply', {plan_id!r}, '--run-dir', {str(run_dir)!r}, "
            f"'--database-url', {url!r}]))")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "STATRETURNS_PSEUDONYM_KEY": KEY, **env}, timeout=300)


def _done_batches(engine, plan_id):
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(store.batches)
                            .where(store.batches.c.plan_id == plan_id)).scalar()


@pytest.fixture
def twin_url(db_url, tmp_path, request):
    """A second, identical database of the same dialect: the uninterrupted reference run."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'twin.sqlite'}"
        return
    base = request.getfixturevalue("postgres_url")
    url, schema = pg_schema_url(base)
    yield url
    drop_pg_schema(base, schema)


@pytest.mark.parametrize("how,env_name,code", [("after batch", CRASH_ENV, 77), ("inside batch", CRASH_IN_ENV, 78)])
def test_killed_apply_resumes_to_the_same_end_state(db_url, twin_url, tmp_path, monkeypatch, how, env_name, code):
    monkeypatch.setenv("STATRETURNS_PSEUDONYM_KEY", KEY)
    w = build_world(db_url, tmp_path / "run")
    twin = build_world(twin_url, tmp_path / "twin")
    try:
        result = plan.make_plan(w.engine, w.run_dir, default_path("council"), AS_OF, "t", batch_size=10)
        assert result.batches >= 4
        plan.approve(w.engine, result.plan_id, "dpo")
        crashed = _cli_apply(db_url, w.run_dir, result.plan_id, **{env_name: "2"})
        assert crashed.returncode == code
        w.engine.dispose()
        assert _done_batches(w.engine, result.plan_id) == (2 if how == "after batch" else 1)
        assert plan.plan_row(w.engine, result.plan_id)["status"] == "approved"
        assert audit.verify(w.engine).ok
        rerun = _cli_apply(db_url, w.run_dir, result.plan_id)
        assert rerun.returncode == 0, "rerun failed"
        assert _done_batches(w.engine, result.plan_id) == result.batches
        assert audit.verify(w.engine).ok
        ref = plan.make_plan(twin.engine, twin.run_dir, default_path("council"), AS_OF, "t", batch_size=10)
        assert ref.plan_id == result.plan_id
        plan.approve(twin.engine, ref.plan_id, "dpo")
        apply_plan(twin.engine, twin.run_dir, ref.plan_id, "t")
        assert snapshot(w.engine) == snapshot(twin.engine)
    finally:
        w.engine.dispose()
        twin.engine.dispose()
