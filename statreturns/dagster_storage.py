"""Dagster's SQLite instance storage with one SQLAlchemy engine per database file.

Dagster's SQLite run and event-log storages build a new engine for every query (NullPool, disposed
after use). Building it costs more CPU than the query: ~1.1 ms of ~2.3 ms a connection, and a
partition's run makes ~650 of them (every event is stored, asset events twice). These subclasses
keep each file's engine, and its connections open until the instance is disposed (see _engine):
the same files, tables and locking (SQLite's, per transaction), so a home written with them opens
with Dagster's default storage and back. deploy/dagster.yaml names this class.

Dagster also checks (and on a new file stamps) each database's Alembic revision through a new
ScriptDirectory every time, which reads Dagster's ~90 migration scripts again: nine times for a
fresh home's first run, twice for every later run's event-log shard (~0.1 CPU-s each). Here the
ScriptDirectory is made once per process (see _cached_script_directory).

Creating those files costs more: the tables, indexes and Alembic stamps of a new home's three databases
(~0.3 CPU-s, and several fsyncs) and of every run's event-log shard (~0.05 CPU-s each). They are made
once per installation and Dagster version, by Dagster's own storages, into a template folder
(``~/.cache/statreturns/dagster-<version>-<TEMPLATE_FORMAT>``), and a new home or shard starts as a copy
of the template's file (see _seed). The copies are the same empty, stamped databases Dagster makes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from dagster._core.storage.base_storage import DagsterStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import ALEMBIC_SCRIPTS_LOCATION
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from sqlalchemy import Connection, Engine, create_engine, event

_from_config = ScriptDirectory.from_config.__func__  # type: ignore[attr-defined]
_SCRIPTS: dict[tuple[str, ...], ScriptDirectory] = {}  # a config's settings -> the directory they make


def _cached_script_directory(cls: type[ScriptDirectory], config: Config) -> ScriptDirectory:
    """ScriptDirectory.from_config, made once per process for Dagster's own migration scripts (installed
    files, unchanged while the process runs; its run, event-log and schedule storages name the same
    location with the same settings). Any other location is read afresh, as Alembic does."""
    if config.get_main_option("script_location") != ALEMBIC_SCRIPTS_LOCATION:
        return _from_config(cls, config)
    settings = {k: v for k, v in (config.get_section(config.config_ini_section) or {}).items()
                if k != "here"}  # the ini file's own folder: a default for interpolation, none of the settings
    key = (ALEMBIC_SCRIPTS_LOCATION, repr(sorted(settings.items())), repr(config.messaging_opts))
    if key not in _SCRIPTS:
        _SCRIPTS[key] = _from_config(cls, config)
    return _SCRIPTS[key]


ScriptDirectory.from_config = classmethod(_cached_script_directory)  # type: ignore[method-assign]


def _engine(conn_string: str, **connect_args: object) -> Engine:
    """An engine that keeps its SQLite connections open (SQLAlchemy's default pool for a file).

    Dagster opens and closes the file for every query; in WAL mode (Dagster's journal for these files)
    the close of a file's last connection checkpoints the log into the database and deletes it: two
    more fsyncs and a new -wal file for every event stored, most of a run's Dagster bookkeeping time.
    Kept open, the log is checkpointed as SQLite does by itself (every 1,000 pages) and when the
    instance is disposed, which closes the connections (before the runner forks, see pipelines.runner)."""
    engine = create_engine(conn_string, connect_args=connect_args)
    event.listen(engine, "connect", _synchronous_normal)
    return engine


def _synchronous_normal(dbapi_connection, _record) -> None:  # noqa: ANN001 - SQLAlchemy's listener
    """WAL's usual setting: a commit appends to the log without an fsync; the log is synced at each
    checkpoint. The file is never corrupted; a power cut may lose the last events, which is Dagster's
    bookkeeping of a run (the outputs and the warehouse are written elsewhere, durably). Per connection,
    so a home opened with Dagster's default storage keeps Dagster's own setting."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class _Engines(dict[str, Engine]):
    """Connection string -> its engine, made on first use."""

    def __init__(self, **connect_args: object) -> None:
        super().__init__()
        self.connect_args = connect_args

    def __missing__(self, conn_string: str) -> Engine:
        engine = _engine(conn_string, **self.connect_args)
        self[conn_string] = engine
        return engine

    def dispose(self) -> None:
        for engine in self.values():
            engine.dispose()
        self.clear()


TEMPLATE_FORMAT = 1  # bump when what goes into the template folder changes
TEMPLATE_SHARD = "shard"  # the template of a run's event-log shard: history/runs/shard.db
HOME_FILES = ("history/runs.db", "history/runs/index.db", "schedules/schedules.db")  # a home's databases


def template_dir() -> Path:
    """Where the installation's empty, stamped databases are kept, per Dagster version."""
    from dagster.version import __version__

    return Path.home() / ".cache" / "statreturns" / f"dagster-{__version__}-{TEMPLATE_FORMAT}"


@functools.cache
def _template() -> Path | None:
    """The template folder, made by Dagster's own storages on first use; None if it cannot be made
    (then Dagster creates every file itself, as it would without this module)."""
    target = template_dir()
    if all((target / f).is_file() for f in (*HOME_FILES, f"history/runs/{TEMPLATE_SHARD}.db")):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    except OSError:
        return None
    try:
        base = str(tmp)
        runs = SqliteRunStorage.from_local(_runs_directory(base))
        events = SqliteEventLogStorage(_event_logs_directory(base))
        with events._connect(TEMPLATE_SHARD):  # noqa: SLF001 - creates and stamps the shard, as for a run
            pass
        schedules = SqliteScheduleStorage.from_local(_schedule_directory(base))
        for storage in (runs, events, schedules):
            storage.dispose()
        # Dagster's storages close each file after use, which checkpoints its log: only whole .db files.
        if any(p.name.endswith(("-wal", "-shm", "-journal")) for p in tmp.rglob("*")):
            return None
        os.rename(tmp, target)  # fails if another process made it meanwhile: theirs is the same
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target if all((target / f).is_file() for f in HOME_FILES) else None


def _seed(template_file: Path, target: Path) -> None:
    """Put a copy of ``template_file`` at ``target`` unless a file is already there (never replaced:
    another process may have created it and be writing to it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-")
    os.close(fd)
    try:
        shutil.copyfile(template_file, tmp)
        os.link(tmp, target)  # atomic, and fails if the target exists
    except FileExistsError:
        pass
    finally:
        os.unlink(tmp)


def seed_home(base_dir: str) -> bool:
    """Start a new home (none of its databases there yet) from the template; False if not done."""
    base = Path(base_dir)
    if any((base / f).exists() for f in HOME_FILES):
        return False  # an existing home, or part of one: Dagster creates (and reindexes) what is missing
    template = _template()
    if template is None:
        return False
    try:
        for name in HOME_FILES:
            _seed(template / name, base / name)
    except OSError:
        return False
    return True


class EventLogStorage(SqliteEventLogStorage):
    """Dagster's run-sharded SQLite event log; each shard's engine kept."""

    @property
    def _engines(self) -> _Engines:
        engines = self.__dict__.get("_statreturns_engines")
        if engines is None:
            engines = self.__dict__["_statreturns_engines"] = _Engines(timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        return engines

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As SqliteEventLogStorage._connect, without a new engine each time.
        with self._db_lock:
            engine = self._engines[self.conn_string_for_shard(shard)]
            if shard not in self._initialized_dbs:
                self._seed_shard(shard)
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                sqlite = conn.connection.dbapi_connection
                changes = sqlite.total_changes
                with conn.begin():
                    yield conn
                wrote = sqlite.total_changes != changes
            if wrote and shard != INDEX_SHARD_NAME:
                # Dagster's UI follows a live run by watching its shard's .db file for changes; with the
                # connection kept open, new events sit in the -wal file until a checkpoint, so the .db
                # is touched instead (after the commit; never after a read, or a watcher's read would
                # wake the watcher again).
                os.utime(self.path_for_shard(shard))

    def _seed_shard(self, shard: str) -> None:
        """A new run's shard starts as a copy of the template's (Dagster's _initdb then finds it stamped)."""
        path = Path(self.path_for_shard(shard))
        if shard == INDEX_SHARD_NAME or path.exists():
            return
        template = _template()
        if template is not None:
            with contextlib.suppress(OSError):
                _seed(template / "history" / "runs" / f"{TEMPLATE_SHARD}.db", path)

    def dispose(self) -> None:
        self._engines.dispose()
        super().dispose()


class RunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage; its engine kept."""

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        engine = self.__dict__.get("_statreturns_engine")
        if engine is None:
            engine = self.__dict__["_statreturns_engine"] = _engine(self._conn_string)
        with engine.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        engine = self.__dict__.pop("_statreturns_engine", None)
        if engine is not None:
            engine.dispose()
        super().dispose()


class SqliteStorage(DagsterSqliteStorage):
    """DagsterSqliteStorage (same config, same files) built from the two storages above."""

    def __init__(self, base_dir: str, inst_data=None) -> None:  # noqa: ANN001 - Dagster's signature
        # As DagsterSqliteStorage.__init__, with the two storages above, a new home seeded first.
        seed_home(base_dir)
        self.base_dir = base_dir
        self._run_storage = RunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = EventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        DagsterStorage.__init__(self)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> SqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)
