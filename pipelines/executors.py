"""How a run's steps execute: one executor whose run config picks the engine.

    execution: {config: {in_process: {}}}                          # the default: every step in the run's process
    execution: {config: {multiprocess: {max_concurrent: 2}}}       # each step in a process of its own
    execution: {config: {celery: {broker: ..., queue: ...}}}       # each step on a Celery worker (dagster-celery)

In-process is the default because a partition's run costs what its data costs: a step process pays the
imports (pandas, pandera, Dagster) before doing any work, and the steps of one partition mostly wait on
each other anyway. Partitions run side by side instead (the CLI's `--parallel-runs`, the UI's run queue).
Celery sends each step to `statreturns worker` processes on any machine that shares the run folder,
the warehouse and the Dagster instance; the broker is probed before a run starts, so a broker that is
down fails in seconds with one line rather than a hang.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from dagster import Executor, Field, InitExecutorContext, Noneable, Selector, StringSource, executor
from dagster._core.definitions.executor_definition import (
    IN_PROC_CONFIG,
    MULTI_PROC_CONFIG,
    ExecutorRequirement,
    in_process_executor,
    multiple_process_executor_requirements,
    multiprocess_executor,
)
from dagster._core.execution.retries import RetryMode, get_retries_config

BROKER_ENV = "STATRETURNS_CELERY_BROKER"
QUEUE_ENV = "STATRETURNS_CELERY_QUEUE"
DEFAULT_BROKER = "pyamqp://guest:guest@127.0.0.1:5672//"
DEFAULT_QUEUE = "statreturns"
ENGINES = ("in_process", "multiprocess", "celery")


class BrokerUnavailable(ConnectionError):
    """The Celery broker did not answer: nothing was launched (an OSError, reported as one line)."""


def broker_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get(BROKER_ENV) or DEFAULT_BROKER


def queue_name(explicit: str | None = None) -> str:
    return explicit or os.environ.get(QUEUE_ENV) or DEFAULT_QUEUE


def probe_broker(url: str, timeout: float = 3.0) -> None:
    """Connect to the broker once, or raise BrokerUnavailable within about `timeout` seconds.

    The message shows the broker without its password."""
    from kombu import Connection

    conn = Connection(url, connect_timeout=timeout)
    try:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the same answer
        raise BrokerUnavailable(f"the Celery broker {conn.as_uri()} does not answer "
                                f"({type(exc).__name__}): start it, or set {BROKER_ENV}") from None
    finally:
        conn.release()


CELERY_CONFIG = Field(
    {
        "broker": Field(Noneable(StringSource), is_required=False, default_value=None,
                        description=f"The broker URL; default ${BROKER_ENV}, else the local RabbitMQ."),
        "queue": Field(Noneable(StringSource), is_required=False, default_value=None,
                       description=f"The queue the workers listen on; default ${QUEUE_ENV}, else 'statreturns'."),
        "retries": get_retries_config(),
    },
    description="Send each step to `statreturns worker` processes through a Celery broker.",
)


def _requirements(config: Mapping[str, object]) -> list[ExecutorRequirement]:
    return [] if "in_process" in config else list(multiple_process_executor_requirements())


@executor(
    name="statreturns",
    config_schema=Field(Selector({"in_process": IN_PROC_CONFIG, "multiprocess": MULTI_PROC_CONFIG,
                                  "celery": CELERY_CONFIG}), default_value={"in_process": {}}),
    requirements=_requirements,
)
def statreturns_executor(init_context: InitExecutorContext) -> Executor:
    """In-process by default; multiprocess or Celery when the run config says so."""
    (engine, config), = init_context.executor_config.items()
    if engine == "celery":
        return celery_executor_for(config)
    chosen = in_process_executor if engine == "in_process" else multiprocess_executor
    return chosen.executor_creation_fn(init_context._replace(executor_config=config))


def celery_executor_for(config: Mapping[str, object]) -> Executor:
    from dagster_celery.executor import CeleryExecutor

    url = broker_url(config.get("broker"))
    probe_broker(url)
    return CeleryExecutor(broker=url, backend="rpc://", config_source=celery_settings(queue_name(config.get("queue"))),
                          retries=RetryMode.from_config(config["retries"]))


def celery_settings(queue: str) -> dict[str, object]:
    """Celery settings shared by the launching side and the workers (both must agree on the queue)."""
    return {"task_default_queue": queue, "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": False, "broker_connection_timeout": 3}


def run_config_for(engine: str, *, max_concurrent: int | None = None, broker: str | None = None,
                   queue: str | None = None) -> dict:
    """The `execution` part of a run's config for one of ENGINES."""
    if engine == "in_process":
        return {"execution": {"config": {"in_process": {}}}}
    if engine == "multiprocess":
        # A forkserver with the code location preloaded: each step's process starts in a fraction of a
        # second instead of importing pandas, pandera and Dagster afresh.
        start = {"forkserver": {"preload_modules": ["pipelines.definitions"]}}
        return {"execution": {"config": {"multiprocess": {"max_concurrent": max_concurrent, "start_method": start}}}}
    if engine == "celery":
        return {"execution": {"config": {"celery": {"broker": broker, "queue": queue}}}}
    raise ValueError(f"unknown executor {engine!r}: one of {', '.join(ENGINES)}")
