"""Retention: the due list and the plan as assets, a job that applies approved plans, and the purge schedule.

Thin: the work is in ``statreturns.retention``. Dagster sees counts by series only; the detail (which
names children) goes to files under the run folder for the DPO. The as-of date is always given: by the
person materialising the assets, or by the schedule as its own run date.

Everything acts per LA partition (the LA dimension of the returns' partitions: ``STATRETURNS_LAS``), each
on that LA's own warehouse: the assets are partitioned by LA, the apply and purge jobs run for one LA,
and the purge schedule asks for one run per LA and schedule.
"""

import warnings
from datetime import date
from pathlib import Path

from dagster import (
    AssetDep,
    AssetExecutionContext,
    Config,
    DefaultScheduleStatus,
    MaterializeResult,
    MultiToSingleDimensionPartitionMapping,
    OpExecutionContext,
    RunRequest,
    ScheduleEvaluationContext,
    StaticPartitionsDefinition,
    asset,
    job,
    op,
    schedule,
)

from assets.privacy import withhold_data_in_errors
from assets.resources import Settings
from statreturns.deployment import las
from statreturns.files import write_people_csv

LA_PARTITIONS = StaticPartitionsDefinition(las())  # the returns' LA dimension, read when the location loads
PARTITION_TAG = "dagster/partition"
with warnings.catch_warnings():  # the mapping is marked beta; it is the documented way from (year, la) to la
    warnings.simplefilter("ignore")
    BY_LA = MultiToSingleDimensionPartitionMapping("la")


class RetentionConfig(Config):
    as_of: str  # YYYY-MM-DD, required: never a frozen default
    schedule: str = "council"  # council, school or a schedule YAML path


class PurgeConfig(Config):
    as_of: str
    schedule: str = "council"


def _schedule_path(name: str) -> Path:
    from statreturns.retention.schedule import default_path

    return default_path(name) if name in ("council", "school") else Path(name)


def _flat(counts: dict[str, dict[str, int]]) -> dict[str, int]:
    return {f"{series}.{status}": n for series, by in sorted(counts.items()) for status, n in sorted(by.items())}


def _la(context, settings: Settings) -> str:
    """The LA partition being worked on (the configured LA when run without partitions)."""
    return context.partition_key if context.has_partition_key else settings.la_code


@asset(group_name="retention", partitions_def=LA_PARTITIONS,
       deps=[AssetDep("warehouse_tables", partition_mapping=BY_LA)])
@withhold_data_in_errors
def retention_due(context: AssetExecutionContext, config: RetentionConfig, settings: Settings) -> MaterializeResult:
    """What the retention schedule makes due on the as-of date (held and superseded items included)."""
    from statreturns.retention import holds
    from statreturns.retention.due import due_items
    from statreturns.retention.plan import counts_by_series
    from statreturns.retention.schedule import load

    as_of = date.fromisoformat(config.as_of)
    la = _la(context, settings)
    engine = settings.warehouse_engine(la)
    try:
        sched = load(_schedule_path(config.schedule))
        items = due_items(engine, sched, as_of, None, holds.active(holds.table(engine), as_of))
    finally:
        engine.dispose()
    path = write_people_csv(items.assign(due=items["due"].dt.date.astype(str)),
                            settings.run_path("retention", "due", la) / f"{sched.name}-{as_of:%Y%m%d}.csv")
    return MaterializeResult(metadata={"as_of": config.as_of, "la": la, "items": len(items),
                                       "detail_file": str(path),
                                       **_flat(counts_by_series(items))})


@asset(group_name="retention", deps=[retention_due], partitions_def=LA_PARTITIONS)
@withhold_data_in_errors
def retention_plan(context: AssetExecutionContext, config: RetentionConfig, settings: Settings) -> MaterializeResult:
    """The plan for the as-of date, written for the DPO and waiting for approval (`statreturns retention approve`)."""
    from statreturns.retention.plan import make_plan

    la = _la(context, settings)
    engine = settings.warehouse_engine(la)
    try:
        result = make_plan(engine, Path(settings.run_dir), _schedule_path(config.schedule),
                           date.fromisoformat(config.as_of), f"dagster:{context.run.run_id[:8]}")
    finally:
        engine.dispose()
    return MaterializeResult(metadata={"plan_id": result.plan_id, "as_of": config.as_of, "la": la,
                                       "batches": result.batches, "content_hash": result.content_hash,
                                       "detail_file": str(result.folder / "detail.csv"), **_flat(result.counts)})


def _apply_one(context: OpExecutionContext, settings: Settings, engine, plan_id: str, la: str) -> None:
    from statreturns.retention.apply import apply_plan

    result = apply_plan(engine, Path(settings.run_dir), plan_id, f"dagster:{context.run.run_id[:8]}", la=la)
    context.log.info(f"plan {plan_id}: {result.batches_applied} batch(es) applied, "
                     f"{len(result.files.edited)} file(s) edited, {len(result.files.withdrawn)} withdrawn; "
                     f"audit anchor: {result.anchor}")


@op
@withhold_data_in_errors
def apply_approved_plans(context: OpExecutionContext, settings: Settings) -> int:
    """Apply every approved plan not yet applied (each resumes where a crash left it)."""
    import sqlalchemy as sa

    from statreturns.retention import store

    la = _la(context, settings)
    engine = settings.warehouse_engine(la)
    try:
        store.ensure(engine)
        with engine.connect() as conn:
            ids = [r.plan_id for r in conn.execute(sa.select(store.plans.c.plan_id)
                                                   .where(store.plans.c.status == "approved")
                                                   .order_by(store.plans.c.created_at))]
        for plan_id in ids:
            _apply_one(context, settings, engine, plan_id, la)
    finally:
        engine.dispose()
    return len(ids)


@job(description="Apply the approved retention plans of one LA.", partitions_def=LA_PARTITIONS)
def retention_apply():
    apply_approved_plans()


@op
@withhold_data_in_errors
def purge_auto_approved(context: OpExecutionContext, config: PurgeConfig, settings: Settings) -> str:
    """Plan the auto-approve series as of the run date, approve as the schedule, and apply."""
    from statreturns.retention.plan import approve, make_plan, plan_row
    from statreturns.retention.schedule import load

    path = _schedule_path(config.schedule)
    series = [s.id for s in load(path).series if s.auto_approve]
    if not series:
        context.log.info("no series in this schedule is marked auto_approve: nothing to purge")
        return ""
    la = _la(context, settings)
    engine = settings.warehouse_engine(la)
    try:
        result = make_plan(engine, Path(settings.run_dir), path, date.fromisoformat(config.as_of),
                           "schedule:retention_purge", series)
        if plan_row(engine, result.plan_id)["status"] == "planned":
            approve(engine, result.plan_id, "schedule:retention_purge (auto-approve series)")
        _apply_one(context, settings, engine, result.plan_id, la)
    finally:
        engine.dispose()
    return result.plan_id


@job(description="The automated purge of one LA: only series marked auto_approve, as of the scheduled date.",
     partitions_def=LA_PARTITIONS)
def retention_purge_job():
    purge_auto_approved()


def _purge_request(context: ScheduleEvaluationContext, schedule_name: str, la: str) -> RunRequest:
    as_of = context.scheduled_execution_time.date().isoformat()
    return RunRequest(run_key=f"{schedule_name}-{la}-{as_of}", tags={PARTITION_TAG: la}, run_config={
        "ops": {"purge_auto_approved": {"config": {"as_of": as_of, "schedule": schedule_name}}}})


@schedule(job=retention_purge_job, cron_schedule="0 3 * * *", default_status=DefaultScheduleStatus.STOPPED,
          execution_timezone="Europe/London")
def retention_purge(context: ScheduleEvaluationContext) -> list[RunRequest]:
    """Nightly purge of the auto-approve series of both shipped schedules (e.g. school photos on leaving), one
    run per LA partition and schedule, each on that LA's warehouse."""
    return [_purge_request(context, name, la) for la in LA_PARTITIONS.get_partition_keys()
            for name in ("school", "council")]


ASSETS = [retention_due, retention_plan]
JOBS = [retention_apply, retention_purge_job]
SCHEDULES = [retention_purge]
