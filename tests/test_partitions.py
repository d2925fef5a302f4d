"""Partitions (collection year × LA): the whole graph for two LAs and two years, on generated data, with
the Dagster instance on SQLite and on PostgreSQL (dagster-postgres). The partitions come from the
environment when the code location loads, so each run is a fresh `statreturns` process, as a hub runs it."""

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.schedules import collection_year
from statreturns.generate import Config, write_extracts, write_sources_file
from statreturns.reference import DATA_DIR

LAS = {"356": "E08000007", "357": "E08000008"}
YEARS = ("2025", "2026")
ASSETS = ("source_council_ssd", "canonical_tables", "warehouse_tables", "cin_findings", "cin_census_xml", "ssda903_findings",
          "ssda903_files", "validation_report")


@pytest.fixture(scope="module")
def extracts(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("extracts")
    for n, (la, gss) in enumerate(LAS.items()):
        write_extracts(Config(children=120, seed=500 + n, la_code=la, la_gss=gss), root / la)
    return root


def _env(extracts: Path, tmp: Path, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATRETURNS_", "DAGSTER_"))}
    env.update({
        "STATRETURNS_LAS": ",".join(LAS), "STATRETURNS_YEARS": ",".join(YEARS),
        "STATRETURNS_SOURCES": str(write_sources_file(tmp / "sources.yaml", f"{extracts}/{{la}}")),
        "STATRETURNS_RUN_DIR": str(tmp / "run"), "DAGSTER_HOME": str(home), **extra,
    })
    return env


def _statreturns(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], env=env, capture_output=True,
                          text=True, timeout=600, check=False)


LIST_PARTITIONS = """
import json
from dagster import DagsterInstance, AssetKey
from pipelines.definitions import defs
ASSETS = {assets!r}
job = defs.resolve_job_def("main")
keys = sorted(str(k) for k in job.partitions_def.get_partition_keys())
with DagsterInstance.get() as instance:
    done = {a: sorted(str(k) for k in instance.get_materialized_partitions(AssetKey(a))) for a in ASSETS}
    runs = len(instance.get_run_records())
print(json.dumps({"keys": keys, "done": done, "runs": runs}))
"""


def _check_whole_graph(env: dict[str, str], tmp: Path) -> None:
    listed = _statreturns(env, "run", "--run-dir", str(tmp / "run"))
    assert listed.returncode == 0, listed.stderr[-2000:]
    script = LIST_PARTITIONS.replace("{assets!r}", repr(ASSETS))
    state = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                           timeout=300, check=True)
    found = json.loads(state.stdout.strip().splitlines()[-1])
    expected = sorted(f"{la}|{year}" for la in LAS for year in YEARS)
    assert found["keys"] == expected
    assert found["runs"] == 4
    for asset in ASSETS:
        assert found["done"][asset] == expected, asset
    for la in LAS:
        for year in YEARS:
            out = tmp / "run" / "outputs" / year / la
            assert (out / "issues.csv").exists()
            assert (out / "cin" / f"{la}_CIN_{year}.xml").exists()
            assert (out / "ssda903" / f"{la}_903_{year}" / "header.csv").exists()
    assert "Collection year 2025, LA 357" in listed.stdout


@pytest.mark.slow
def test_two_las_two_years_on_the_embedded_sqlite_instance(extracts, tmp_path):
    _check_whole_graph(_env(extracts, tmp_path, tmp_path / "home"), tmp_path)
    # One warehouse per LA: councils' data never share a file.
    assert sorted(p.name for p in (tmp_path / "run" / "warehouse").iterdir()) == ["356.sqlite", "357.sqlite"]


@pytest.mark.slow
@pytest.mark.postgres
def test_two_las_two_years_on_postgres_instance_storage(extracts, tmp_path, postgres_url):
    db = f"statreturns_dagster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((DATA_DIR.parent / "deploy" / "dagster.postgres.yaml").read_text())
    url = sa.make_url(postgres_url)
    db_url = url.set(database=db).render_as_string(hide_password=False)
    try:
        env = _env(extracts, tmp_path, home, DAGSTER_PG_HOST=url.host or "127.0.0.1",
                   DAGSTER_PG_PORT=str(url.port or 5432), DAGSTER_PG_USER=url.username or "postgres",
                   DAGSTER_PG_PASSWORD=url.password or "", DAGSTER_PG_DB=db,
                   STATRETURNS_DATABASE_URL=db_url)
        _check_whole_graph(env, tmp_path)
        # The instance really is PostgreSQL, and each LA's warehouse its own schema.
        with sa.create_engine(db_url).connect() as conn:
            tables = set(conn.execute(sa.text("SELECT table_name FROM information_schema.tables")).scalars())
            schemas = set(conn.execute(sa.text("SELECT schema_name FROM information_schema.schemata")).scalars())
        assert {"runs", "event_logs"} <= tables
        assert {"la_356", "la_357"} <= schemas
        assert not list(home.glob("**/*.db")), "the SQLite instance storage was used"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
        admin.dispose()


def test_a_run_for_a_partition_that_is_not_configured_is_a_usage_error(tmp_path):
    env = _env(tmp_path, tmp_path, tmp_path / "home")
    done = _statreturns(env, "run", "--year", "2019", "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 2
    assert "not a configured partition: 2019" in done.stderr


@pytest.mark.parametrize(("day", "year"), [("2026-03-31", 2026), ("2026-04-01", 2027), ("2026-11-28", 2027),
                                           ("2027-01-08", 2027)])
def test_the_collection_year_of_a_day(day, year):
    assert collection_year(datetime.fromisoformat(day).date()) == year


def test_schedules_ask_for_one_run_per_la_of_the_year_in_progress(monkeypatch):
    from dagster import build_schedule_context

    from pipelines.definitions import make_definitions

    defs = make_definitions(run_dir="unused")
    nightly = defs.resolve_schedule_def("nightly_validation")
    annual = defs.resolve_schedule_def("annual_submission")
    assert nightly.default_status.value == "STOPPED" and annual.default_status.value == "STOPPED"
    when = datetime.fromisoformat("2026-04-15T06:00:00+01:00")
    repo = defs.get_repository_def()
    requests = annual.evaluate_tick(build_schedule_context(scheduled_execution_time=when,
                                                           repository_def=repo)).run_requests
    assert [r.partition_key for r in requests] == ["356|2026"]
    later = datetime.fromisoformat("2031-01-01T02:00:00+00:00")
    skipped = nightly.evaluate_tick(build_schedule_context(scheduled_execution_time=later, repository_def=repo))
    assert not skipped.run_requests and "2031" in skipped.skip_message


def test_a_new_extract_in_an_la_inbox_asks_for_that_las_year_in_progress(tmp_path, monkeypatch):
    from datetime import date

    from dagster import build_sensor_context

    from pipelines.definitions import make_definitions

    monkeypatch.setenv("STATRETURNS_INBOX", str(tmp_path / "inbox"))
    (tmp_path / "inbox" / "356").mkdir(parents=True)
    (tmp_path / "inbox" / "356" / "ssd_person.csv").write_text("pers_person_id\nP1\n")
    defs = make_definitions(run_dir=str(tmp_path / "run"))
    sensor = defs.resolve_sensor_def("inbox_356")
    assert sensor.default_status.value == "STOPPED"
    result = sensor.evaluate_tick(build_sensor_context(repository_def=defs.get_repository_def()))
    assert [r.partition_key for r in result.run_requests] == [f"356|{collection_year(date.today())}"]
    again = sensor.evaluate_tick(build_sensor_context(cursor=result.cursor, repository_def=defs.get_repository_def()))
    assert not again.run_requests
