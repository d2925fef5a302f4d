"""Schedules: the nightly validation run, the termly and annual submission runs. All start stopped.

A schedule asks for one run per LA of the collection year it is about; a year outside the configured
partitions is skipped with a reason rather than guessed at.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    schedule,
)

from assets.partitions import Partition, las, years
from assets.sources import inbox_sensor


def collection_year(day: date) -> int:
    """The collection whose period holds `day`: 1 April (Y-1) to 31 March (Y) is collection Y."""
    return day.year if (day.month, day.day) <= (3, 31) else day.year + 1


def _requests(job_name: str, year: int, why: str) -> list[RunRequest] | SkipReason:
    if str(year) not in years():
        return SkipReason(f"collection year {year} is not among the configured years (STATRETURNS_YEARS)")
    return [RunRequest(run_key=f"{job_name}:{why}:{year}:{la}", partition_key=Partition(year, la).key,
                       tags={"statreturns/run": why}) for la in las()]


def schedules_for(job) -> list[ScheduleDefinition]:
    @schedule(job=job, cron_schedule="0 2 * * *", execution_timezone="Europe/London",
              default_status=DefaultScheduleStatus.STOPPED,
              description="Every night: validate the collection year in progress, so errors surface early.")
    def nightly_validation(context: ScheduleEvaluationContext):
        day = context.scheduled_execution_time.date()
        return _requests(job.name, collection_year(day), f"nightly-{day.isoformat()}")

    @schedule(job=job, cron_schedule="0 6 8 1,5,10 *", execution_timezone="Europe/London",
              default_status=DefaultScheduleStatus.STOPPED,
              description="Termly (after the school census days of October, January and May): the "
                          "year in progress, for a submission-ready check.")
    def termly_submission(context: ScheduleEvaluationContext):
        day = context.scheduled_execution_time.date()
        return _requests(job.name, collection_year(day), f"termly-{day.isoformat()}")

    @schedule(job=job, cron_schedule="0 6 15 4 *", execution_timezone="Europe/London",
              default_status=DefaultScheduleStatus.STOPPED,
              description="Annual: on 15 April, the collection year that closed on 31 March, for submission.")
    def annual_submission(context: ScheduleEvaluationContext):
        day = context.scheduled_execution_time.date()
        return _requests(job.name, collection_year(day) - 1, f"annual-{day.isoformat()}")

    return [nightly_validation, termly_submission, annual_submission]


def inbox_sensors(job, run_dir: Path) -> list:
    """One sensor per LA on `<inbox>/<la>/` (`STATRETURNS_INBOX`, default `<run>/inbox`): a new extract
    there starts the main job for that LA's collection year in progress. Stopped by default."""
    inbox = Path(os.environ.get("STATRETURNS_INBOX") or run_dir / "inbox")

    def current(la: str):
        return lambda: str(Partition(collection_year(date.today()), la).key)

    return [inbox_sensor(inbox / la, target=job, name=f"inbox_{la}", partition_key=current(la)) for la in las()]
