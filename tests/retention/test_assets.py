"""The Dagster side: due list and plan assets (counts only in metadata), the apply job, the purge schedule."""

from datetime import date, datetime

import dagster as dg

from assets import retention as ra
from assets.resources import Settings
from statreturns.retention import plan
from statreturns.retention.schedule import default_path
from tests.retention.conftest import snapshot


def _resources(world):
    # Settings resolves the LA's warehouse from a URL holding {la}: the test database stands for LA 356
    url = world.url.replace("356.sqlite", "{la}.sqlite") if world.url.startswith("sqlite") else (
        world.url + "&application_name=la{la}")
    return {"settings": Settings(run_dir=str(world.run_dir), database_url=url, la_code="356")}


def _metadata_text(result) -> str:
    return " ".join(str(m) for e in result.get_asset_materialization_events()
                    for m in e.materialization.metadata.values())


def test_due_and_plan_assets_carry_counts_only(world):
    config = {"ops": {"retention_due": {"config": {"as_of": "2110-01-01"}},
                      "retention_plan": {"config": {"as_of": "2110-01-01"}}}}
    result = dg.materialize([ra.retention_due, ra.retention_plan], resources=_resources(world), run_config=config,
                            partition_key="356")
    assert result.success
    mats = {e.asset_key.path[-1]: e.materialization.metadata for e in result.get_asset_materialization_events()}
    assert mats["retention_plan"]["plan_id"].value.startswith("21100101-")
    assert mats["retention_due"]["cin_record.due"].value > 0
    text = _metadata_text(result)
    ids = set(world.tables["children"].child_id) | set(world.tables["children"].UPN.dropna())
    assert sum(i in text for i in ids) == 0


def test_apply_job_applies_approved_plans_only(world):
    result = plan.make_plan(world.engine, world.run_dir, default_path("council"), date(2110, 1, 1), "t")
    before = snapshot(world.engine)
    run = ra.retention_apply.execute_in_process(resources=_resources(world), partition_key="356")
    assert run.success and snapshot(world.engine) == before  # not approved yet
    plan.approve(world.engine, result.plan_id, "dpo")
    assert ra.retention_apply.execute_in_process(resources=_resources(world), partition_key="356").success
    assert plan.plan_row(world.engine, result.plan_id)["status"] == "applied"


def test_purge_schedule_is_stopped_and_uses_the_run_date(world):
    assert ra.retention_purge.default_status == dg.DefaultScheduleStatus.STOPPED
    ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 9, 1, 3, 0))
    requests = ra.retention_purge.evaluate_tick(ctx).run_requests
    configs = [r.run_config["ops"]["purge_auto_approved"]["config"] for r in requests]
    assert {c["as_of"] for c in configs} == {"2026-09-01"}
    assert {(r.tags[ra.PARTITION_TAG], c["schedule"]) for r, c in zip(requests, configs, strict=True)} == {
        ("356", "school"), ("356", "council")}
    run = ra.retention_purge_job.execute_in_process(
        resources=_resources(world), partition_key="356",
        run_config={"ops": {"purge_auto_approved": {"config": {"as_of": "2026-09-01", "schedule": "school"}}}})
    assert run.success
    plan_id = run.output_for_node("purge_auto_approved")
    row = plan.plan_row(world.engine, plan_id)
    assert row["status"] == "applied" and "auto-approve" in row["approved_by"]
    detail = plan.read_detail(plan.plans_dir(world.run_dir) / plan_id)
    assert set(detail.series) <= {"photos"}


def test_due_list_file_is_withdrawn_when_its_children_are_destroyed(world):
    config = {"ops": {"retention_due": {"config": {"as_of": "2110-01-01"}},
                      "retention_plan": {"config": {"as_of": "2110-01-01"}}}}
    result = dg.materialize([ra.retention_due, ra.retention_plan], resources=_resources(world), run_config=config,
                            partition_key="356")
    plan_id = next(e.materialization.metadata["plan_id"].value for e in result.get_asset_materialization_events()
                   if e.asset_key.path[-1] == "retention_plan")
    plan.approve(world.engine, plan_id, "dpo")
    assert ra.retention_apply.execute_in_process(resources=_resources(world), partition_key="356").success
    assert not list((world.run_dir / "retention" / "due").rglob("*.csv"))


def test_retention_acts_per_la_partition(tmp_path, monkeypatch):
    """Two LAs, each with its own warehouse: the assets, the apply job and the purge schedule act per LA."""
    import importlib

    import pytest
    import sqlalchemy as sa

    from statreturns.retention import store
    from tests.retention.conftest import KEY, build_world

    monkeypatch.setenv("STATRETURNS_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("STATRETURNS_LAS", "356,357")
    mod = importlib.reload(ra)
    try:
        run_dir = tmp_path / "run"
        worlds = {la: build_world(f"sqlite:///{tmp_path / la}.sqlite", run_dir, seed=int(la)) for la in ("356", "357")}
        settings = {"settings": Settings(run_dir=str(run_dir), database_url=f"sqlite:///{tmp_path}/{{la}}.sqlite")}
        ctx = dg.build_schedule_context(scheduled_execution_time=datetime(2026, 9, 1, 3, 0))
        assert {(r.tags[mod.PARTITION_TAG], r.run_config["ops"]["purge_auto_approved"]["config"]["schedule"])
                for r in mod.retention_purge.evaluate_tick(ctx).run_requests} == {
            (la, s) for la in ("356", "357") for s in ("school", "council")}
        config = {"ops": {"retention_due": {"config": {"as_of": "2110-01-01"}},
                          "retention_plan": {"config": {"as_of": "2110-01-01"}}}}
        result = dg.materialize([mod.retention_due, mod.retention_plan], resources=settings, run_config=config,
                                partition_key="357")
        assert result.success
        plan_id = next(e.materialization.metadata["plan_id"].value for e in result.get_asset_materialization_events()
                       if e.asset_key.path[-1] == "retention_plan")
        with pytest.raises(ValueError, match="no retention plan"):  # planned in 357's warehouse only
            plan.plan_row(worlds["356"].engine, plan_id)
        plan.approve(worlds["357"].engine, plan_id, "dpo")
        before = snapshot(worlds["356"].engine)
        assert mod.retention_apply.execute_in_process(resources=settings, partition_key="357").success
        assert plan.plan_row(worlds["357"].engine, plan_id)["status"] == "applied"
        assert snapshot(worlds["356"].engine) == before
        with worlds["356"].engine.connect() as conn:
            store.ensure(worlds["356"].engine)
            assert conn.execute(sa.select(sa.func.count()).select_from(store.plans)).scalar() == 0
        for w in worlds.values():
            w.engine.dispose()
    finally:
        monkeypatch.delenv("STATRETURNS_LAS")
        importlib.reload(ra)
