"""Steps on Celery workers (dagster-celery over RabbitMQ, the Dagster instance on PostgreSQL): a two-council
backfill through two `statreturns worker` processes gives the same files as an in-process run; a worker
killed (kill -9) in the middle of a step does not lose the run; a broker that is down fails in seconds.

Workers are subprocesses in their own process groups, always killed at the end; every test run uses a
queue of its own, so parallel test runs never take each other's steps."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from dagster import RetryPolicy, job, op

from statreturns.generate import Config, write_extracts, write_sources_file
from statreturns.reference import DATA_DIR

LAS = {"356": "E08000007", "357": "E08000008"}
YEAR = "2026"
BROKER = os.environ.get("STATRETURNS_CELERY_BROKER", "pyamqp://guest:guest@127.0.0.1:5672//")
READY_WITHIN = 120  # seconds for a worker to say it is ready
ROOT = DATA_DIR.parent

# A worker whose 903 validation, once started, writes a marker and waits: the test kills it there.
VICTIM = """
import sys, time
from pathlib import Path
import assets.ssda903 as step
real = step.validate_903
def stuck(*args, **kwargs):
    Path(sys.argv[1]).write_text("in the step")
    time.sleep(300)
    return real(*args, **kwargs)
step.validate_903 = stuck
from pipelines.worker import run_worker
sys.exit(run_worker(1, name="victim@test"))
"""


def delete_queue(broker: str, queue: str) -> None:
    """A test run's queue is its own: remove it from RabbitMQ when the run is over."""
    from kombu import Connection

    with Connection(broker, connect_timeout=3) as conn:
        conn.default_channel.queue_delete(queue)


def _broker_answers() -> bool:
    from pipelines.executors import BrokerUnavailable, probe_broker

    try:
        probe_broker(BROKER, timeout=2)
        return True
    except BrokerUnavailable:
        return False


@pytest.fixture(scope="module")
def broker() -> str:
    if not _broker_answers():
        if os.environ.get("CI"):
            pytest.fail(f"RabbitMQ must answer in CI at {BROKER} (.ci/run starts it)")
        pytest.skip("RabbitMQ is not running on 127.0.0.1:5672 (outside CI only)")
    return BROKER


@pytest.fixture(scope="module")
def hub(tmp_path_factory, postgres_url, broker) -> Iterator[dict]:
    """Two councils' extracts, and the environment of a deployment whose Dagster instance is a fresh
    PostgreSQL database (dropped at the end) and whose workers listen on a queue of this test run."""
    root = tmp_path_factory.mktemp("celery")
    for n, (la, gss) in enumerate(LAS.items()):
        write_extracts(Config(children=120, seed=700 + n, la_code=la, la_gss=gss), root / "in" / la)
    db = f"statreturns_celery_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    home = root / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "deploy" / "dagster.postgres.yaml").read_text())
    url = sa.make_url(postgres_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATRETURNS_", "DAGSTER_"))}
    env.update({
        "PYTHONPATH": str(ROOT), "STATRETURNS_LAS": ",".join(LAS), "STATRETURNS_YEARS": YEAR,
        "STATRETURNS_SOURCES": str(write_sources_file(root / "sources.yaml", f"{root}/in/{{la}}")),
        "DAGSTER_HOME": str(home), "STATRETURNS_CELERY_BROKER": broker,
        "STATRETURNS_CELERY_QUEUE": f"statreturns-test-{uuid.uuid4().hex[:12]}",
        "SOURCE_DATE_EPOCH": "1785000000",  # the report's stamp, the same for every run
        "DAGSTER_PG_HOST": url.host or "127.0.0.1", "DAGSTER_PG_PORT": str(url.port or 5432),
        "DAGSTER_PG_USER": url.username or "postgres", "DAGSTER_PG_PASSWORD": url.password or "", "DAGSTER_PG_DB": db,
    })
    try:
        yield {"root": root, "env": env, "db_url": url.set(database=db)}
    finally:
        delete_queue(broker, env["STATRETURNS_CELERY_QUEUE"])
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


class Workers:
    """Worker subprocesses, each in its own process group; `stop` kills every one of them."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.procs = env, logs, {}

    def start(self, name: str, *command: str) -> subprocess.Popen:
        command = command or (sys.executable, "-m", "pipelines.cli", "worker", "--concurrency", "1",
                              "--name", f"{name}@test")
        log = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True, cwd=ROOT)
        self.procs[name] = (proc, log)
        deadline = time.monotonic() + READY_WITHIN
        while "ready on queue" not in (self.logs / f"{name}.log").read_text():
            assert proc.poll() is None, f"worker {name} exited: {(self.logs / f'{name}.log').read_text()[-1500:]}"
            assert time.monotonic() < deadline, f"worker {name} not ready within {READY_WITHIN}s"
            time.sleep(0.2)
        return proc

    def kill(self, name: str) -> None:
        proc, log = self.procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the worker and its pool processes, as a lost machine
        proc.wait(timeout=30)
        log.close()

    def stop(self) -> None:
        for name in list(self.procs):
            self.kill(name)


@pytest.fixture
def workers(hub, tmp_path) -> Iterator[Workers]:
    pool = Workers(hub["env"], tmp_path)
    try:
        yield pool
    finally:
        pool.stop()


def _run(env: dict[str, str], run_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--run-dir", str(run_dir), *args],
                          env={**env, "STATRETURNS_RUN_DIR": str(run_dir)}, capture_output=True, text=True,
                          timeout=600, check=False, cwd=ROOT)


def _content(path: Path) -> bytes:
    """A file's bytes; for a workbook, every part but docProps/core.xml, which holds the time it was
    written (issues.xlsx is stamped with the clock; the report's workbook with the run's stamp)."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as book:
        return b"".join(name.encode() + book.read(name) for name in sorted(book.namelist()) if name != "docProps/core.xml")


def _files(run_dir: Path) -> dict[str, bytes]:
    out = run_dir / "outputs"
    return {str(p.relative_to(out)): _content(p) for p in sorted(out.rglob("*")) if p.is_file()}


def _worker_starts(db_url) -> list[tuple[str, str, str]]:
    """(run id, step, worker) for every step a worker started, from the instance's event log."""
    from dagster import DagsterEventType, EventLogEntry
    from dagster._serdes import deserialize_value

    engine = sa.create_engine(db_url.set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT run_id, step_key, event FROM event_logs WHERE dagster_event_type = :t"),
                                {"t": DagsterEventType.ENGINE_EVENT.value}).all()
    finally:
        engine.dispose()
    starts = []
    for run_id, step, event in rows:
        metadata = deserialize_value(event, EventLogEntry).dagster_event.engine_event_data.metadata
        if "Celery worker" in metadata:
            starts.append((run_id, step, metadata["Celery worker"].value))
    return starts


@pytest.fixture(scope="module")
def in_process(hub) -> dict[str, bytes]:
    """The reference: the same backfill with every run's steps in-process."""
    run_dir = hub["root"] / "run_in_process"
    done = _run(hub["env"], run_dir, "--parallel-runs", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    return _files(run_dir)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_backfill_on_two_workers_gives_the_in_process_files(hub, workers, in_process):
    workers.start("one")
    workers.start("two")
    run_dir = hub["root"] / "run_celery"
    started = time.perf_counter()
    done = _run(hub["env"], run_dir, "--executor", "celery", "--parallel-runs", "2")
    took = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Collection year 2026, LA 357" in done.stdout
    files = _files(run_dir)
    assert sorted(files) == sorted(in_process)
    assert {name for name in files if files[name] != in_process[name]} == set()
    assert any(name.endswith("_CIN_2026.xml") for name in files) and any(name.endswith("report.html") for name in files)
    starts = _worker_starts(hub["db_url"])
    assert {worker for _, _, worker in starts} == {"one@test", "two@test"}, "both workers took steps"
    assert len({run for run, _, _ in starts}) == 2
    print(f"celery backfill (2 LAs x 120 children, 2 workers): {took:.1f}s")


@pytest.mark.slow
@pytest.mark.postgres
def test_a_worker_killed_mid_step_does_not_lose_the_run(hub, workers, in_process, tmp_path):
    marker = tmp_path / "victim-in-step"
    env = hub["env"]
    victim = workers.start("victim", sys.executable, "-c", VICTIM, str(marker))
    run_dir = hub["root"] / "run_killed"
    launch = subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", "--run-dir", str(run_dir), "--la", "356",
                               "--executor", "celery"], env={**env, "STATRETURNS_RUN_DIR": str(run_dir)},
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert launch.poll() is None, launch.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the victim never reached the 903 validation step"
            time.sleep(0.2)
        workers.start("rescuer")
        workers.kill("victim")
        assert victim.poll() is not None
        stdout, stderr = launch.communicate(timeout=300)
    finally:
        if launch.poll() is None:
            os.killpg(launch.pid, signal.SIGKILL)
            launch.wait(timeout=30)
    assert launch.returncode == 0, stderr[-2000:]
    files = _files(run_dir)
    expected = {name: data for name, data in in_process.items() if name.startswith(f"{YEAR}/356/")}
    assert sorted(files) == sorted(expected)
    assert {name for name in files if files[name] != expected[name]} == set()
    starts = [(step, worker) for _, step, worker in _worker_starts(hub["db_url"]) if step == "ssda903_findings"]
    assert ("ssda903_findings", "victim@test") in starts and ("ssda903_findings", "rescuer@test") in starts


def test_a_broker_that_is_down_fails_the_launch_in_seconds_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATRETURNS_", "DAGSTER_"))}
    env.update({"PYTHONPATH": str(ROOT), "DAGSTER_HOME": str(tmp_path / "home"),
                "STATRETURNS_CELERY_BROKER": "pyamqp://guest:secret@127.0.0.1:1//"})
    for command in (["run", "--run-dir", str(tmp_path / "run"), "--executor", "celery"], ["worker"]):
        # A hang fails on the timeout; the probe itself gives up after about 3 seconds.
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", *command], env=env, capture_output=True,
                              text=True, timeout=90, check=False, cwd=ROOT)
        assert done.returncode == 2, done.stderr[-1000:]
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("statreturns: the Celery broker amqp://guest:**@127.0.0.1:1//") and "does not answer" in line
        assert "secret" not in done.stderr + done.stdout
        assert not (tmp_path / "home").exists(), "something was launched"


def test_every_step_of_the_main_job_may_be_retried_but_retention_apply_may_not():
    from dagster._core.definitions.dependency import NodeHandle

    from pipelines.definitions import defs

    main = defs.resolve_job_def("main")
    for node in main.nodes:
        assert main.get_retry_policy_for_handle(NodeHandle(node.name, None)).max_retries == 2, node.name
    for name in ("retention_apply", "retention_purge_job"):
        job = defs.resolve_job_def(name)
        for node in job.nodes:
            assert job.get_retry_policy_for_handle(NodeHandle(node.name, None)) is None, (name, node.name)


@op
def _only_step() -> int:
    return 1


@job
def _no_policy():
    _only_step()


@job(op_retry_policy=RetryPolicy(max_retries=1))
def _one_retry():
    _only_step()


@pytest.mark.parametrize(("job_def", "earlier", "refused"), [
    (_no_policy, 0, None), (_no_policy, 1, "has no retry policy"),
    (_one_retry, 1, None), (_one_retry, 2, "allows 1 retries"),
])
def test_a_step_back_from_a_lost_worker_runs_again_only_as_its_retry_policy_allows(job_def, earlier, refused):
    """The worker's gate: `earlier` workers already started the step in this run."""
    from dagster import reconstructable
    from dagster._core.events import EngineEventData
    from dagster._core.test_utils import create_run_for_test, instance_for_test
    from dagster._grpc.types import ExecuteStepArgs
    from dagster._serdes import pack_value

    from pipelines.worker import StepNotRetried, check_may_run

    recon = reconstructable(job_def)
    with instance_for_test() as instance:
        run = create_run_for_test(instance, job_name=job_def.name)
        for n in range(earlier):
            instance.report_engine_event("Executing steps _only_step in celery worker", run,
                                         EngineEventData({"Celery worker": f"w{n}@test"}), step_key="_only_step")
        instance.report_engine_event("another step's worker", run, EngineEventData({"Celery worker": "x@test"}),
                                     step_key="other_step")
        args = ExecuteStepArgs(job_origin=recon.get_python_origin(), run_id=run.run_id,
                               step_keys_to_execute=["_only_step"], instance_ref=instance.get_ref())
        if refused is None:
            check_may_run(pack_value(args), recon.to_dict())
        else:
            with pytest.raises(StepNotRetried, match=refused):
                check_may_run(pack_value(args), recon.to_dict())


def test_the_run_config_picks_the_engine_and_in_process_is_the_default():
    from dagster import validate_run_config

    from pipelines.definitions import defs
    from pipelines.executors import BrokerUnavailable, celery_executor_for, run_config_for

    main = defs.resolve_job_def("main")
    assert main.executor_def.name == "statreturns"
    assert list(validate_run_config(main, {})["execution"]["statreturns"]) == ["in_process"]
    for engine in ("in_process", "multiprocess", "celery"):
        chosen = validate_run_config(main, run_config_for(engine, max_concurrent=2, queue="q"))
        assert list(chosen["execution"]["statreturns"]) == [engine]
    with pytest.raises(ValueError, match="unknown executor"):
        run_config_for("threads")
    with pytest.raises(BrokerUnavailable, match="does not answer"):
        celery_executor_for({"broker": "pyamqp://guest:guest@127.0.0.1:1//", "queue": None,
                             "retries": {"enabled": {}}})
