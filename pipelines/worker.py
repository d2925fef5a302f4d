"""`statreturns worker`: a Celery worker that runs Dagster steps sent by runs using the celery executor.

A worker keeps no state of its own: the run folder, the warehouse and the Dagster instance are shared
(DAGSTER_HOME on one machine, or a PostgreSQL-backed instance, deploy/dagster.postgres.yaml), and the
deployment's settings come from the same environment variables as every other process of the location
(STATRETURNS_LAS, STATRETURNS_YEARS, STATRETURNS_SOURCES, STATRETURNS_RUN_DIR, ...).

A lost worker. dagster-celery's step task acknowledges its message when a worker takes it (Celery's
default), so a worker killed mid-step loses the step and the run waits forever for a result that never
comes. Here the step task acknowledges late and rejects on a lost pool process, so the broker hands the
step to another worker. Whether that second attempt may run is the step's Dagster retry policy: steps
without one (retention's apply, which resumes by its own batches when run again) fail the run instead,
and no step runs more often than its policy's max_retries + 1, counted from the run's own event log.
"""

from __future__ import annotations

import socket
import sys
import uuid

from celery import Celery, signals
from dagster import DagsterEventType, DagsterInstance
from dagster._core.definitions.dependency import NodeHandle
from dagster._core.definitions.reconstruct import ReconstructableJob
from dagster._grpc.types import ExecuteStepArgs
from dagster._serdes import unpack_value
from dagster_celery.config import TASK_EXECUTE_PLAN_NAME
from dagster_celery.executor import CeleryExecutor
from dagster_celery.make_app import make_app
from dagster_celery.tasks import create_task

from pipelines.executors import broker_url, celery_settings, probe_broker, queue_name

WORKER_KEY = "Celery worker"  # metadata of dagster-celery's engine event each time a worker starts a step


class StepNotRetried(RuntimeError):
    """A step came back from a lost worker and its retry policy does not allow another attempt."""


def attempts_so_far(instance: DagsterInstance, run_id: str, step_key: str) -> int:
    """How many times a worker has started this step in this run (from the run's engine events)."""
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT).records
    return sum(1 for r in records if r.event_log_entry.step_key == step_key
               and WORKER_KEY in r.event_log_entry.dagster_event.engine_event_data.metadata)


def check_may_run(packed_args: dict, executable: dict) -> None:
    """Raise StepNotRetried when this step was already started and its retry policy forbids another go."""
    args = unpack_value(packed_args, as_type=ExecuteStepArgs)
    (step_key,) = args.step_keys_to_execute or ("",)
    with DagsterInstance.from_ref(args.instance_ref) as instance:
        done = attempts_so_far(instance, args.run_id, step_key)
    if not done:
        return
    job = ReconstructableJob.from_dict(executable).get_definition()
    policy = job.get_retry_policy_for_handle(NodeHandle.from_string(step_key)) if step_key else None
    if policy is None:
        raise StepNotRetried(f"step {step_key} was started {done} time(s) on a worker that was lost; it has no "
                             "retry policy, so it is not run again automatically: re-run it")
    if done > policy.max_retries:
        raise StepNotRetried(f"step {step_key} was started {done} time(s); its retry policy allows "
                             f"{policy.max_retries} retries")


def make_worker_app(broker: str, queue: str) -> Celery:
    """The workers' Celery app: dagster-celery's, with its step task acknowledged late and gated as above."""
    app = make_app(CeleryExecutor.for_cli(broker=broker, backend="rpc://",
                                          config_source=celery_settings(queue)).app_args())
    # dagster-celery's own step task, bound to an app of its own so that ours can take its name.
    dagster_step = create_task(Celery("statreturns-dagster-step", set_as_current=False), shared=False)

    @app.task(bind=True, name=TASK_EXECUTE_PLAN_NAME, acks_late=True, reject_on_worker_lost=True, shared=False)
    def execute_plan(self, execute_step_args_packed: dict, executable_dict: dict) -> list:
        check_may_run(execute_step_args_packed, executable_dict)
        dagster_step.push_request(hostname=self.request.hostname, id=self.request.id)
        try:
            return dagster_step.run(execute_step_args_packed, executable_dict)
        finally:
            dagster_step.pop_request()

    return app


def run_worker(concurrency: int, queue: str | None = None, broker: str | None = None,
               name: str | None = None, loglevel: str = "WARNING") -> int:
    """Start a worker in this process (blocks); prints one line when it can take work."""
    url, queue = broker_url(broker), queue_name(queue)
    probe_broker(url)
    import pipelines.definitions  # noqa: F401 - the code location, loaded once before the pool forks

    name = name or f"statreturns-{uuid.uuid4().hex[:6]}@{socket.gethostname()}"
    app = make_worker_app(url, queue)

    @signals.worker_ready.connect(weak=False)
    def _ready(**_: object) -> None:
        print(f"statreturns worker {name}: ready on queue {queue} with {concurrency} process(es)", flush=True)

    # Dagster's events are the record of what a step did; Celery's own log stays at warnings, so the
    # task results (serialised events, counts only) are not echoed, and its banner is not printed.
    worker = app.Worker(hostname=name, concurrency=concurrency, queues=[queue], loglevel=loglevel, quiet=True,
                        redirect_stdouts=False, prefetch_multiplier=1, without_gossip=True,
                        without_mingle=True, without_heartbeat=True)
    worker.start()
    sys.stdout.flush()
    return int(worker.exitcode or 0)
