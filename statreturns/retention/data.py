"""Reading and fingerprinting the warehouse rows that retention touches."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd
import sqlalchemy as sa

from schemas import canonical
from statreturns.warehouse import PREFIX

# SQLite page cache (KiB) for retention's connections: a batch's pages stay in it between its statements
SQLITE_CACHE_KB = 65_536


def table_name(table: str) -> str:
    return PREFIX + table


def exists(engine_or_conn, table: str) -> bool:
    return sa.inspect(engine_or_conn).has_table(table_name(table))


def ensure_index(engine: sa.Engine, table: str, key: str) -> None:
    """An index on the subject key, so per-batch reads and deletes do not scan the table."""
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE INDEX IF NOT EXISTS "ix_{table_name(table)}_{key}" '
                             f'ON "{table_name(table)}" ("{key}")'))


_READS: ContextVar[dict | None] = ContextVar("retention_reads", default=None)


@contextmanager
def reads_remembered() -> Iterator[None]:
    """Within the block, ``read_columns`` reads each (table, columns) once (the plan reads a child's date of
    birth for several series); the data must not change meanwhile."""
    token = _READS.set({})
    try:
        yield
    finally:
        _READS.reset(token)


def read_columns(engine: sa.Engine, table: str, cols: Iterable[str]) -> pd.DataFrame:
    """Some columns of a canonical table: text as object, dates as datetime64, empty if the table is absent."""
    cols = list(dict.fromkeys(cols))
    memo = _READS.get()
    if memo is not None:
        if (table, *cols) not in memo:
            _READS.set(None)
            try:
                memo[(table, *cols)] = read_columns(engine, table, cols)
            finally:
                _READS.set(memo)
        return memo[(table, *cols)].copy(deep=False)
    if not exists(engine, table):
        return pd.DataFrame({c: pd.Series(dtype=_dtype(table, c)) for c in cols})
    q = sa.select(*[sa.column(c) for c in cols]).select_from(sa.table(table_name(table)))
    with engine.connect() as conn:
        frame = _records(raw_execute(conn, q), cols)
    for c in cols:
        if _dtype(table, c) == "datetime64[ns]":
            frame[c] = pd.to_datetime(frame[c]).astype("datetime64[ns]")
    return frame


def _dtype(table: str, col: str) -> str:
    dtype = str(canonical.MODELS[table].to_schema().columns[col].dtype)
    return "datetime64[ns]" if "datetime" in dtype else "object"


def is_date(table: str, col: str) -> bool:
    return _dtype(table, col) == "datetime64[ns]"


def rows_for(conn: sa.Connection, table: str, key: str, keys: list[str]) -> pd.DataFrame:
    """Every column of the rows whose key is in ``keys``, as the driver returns them (object dtype)."""
    cols = canonical.columns(table)
    q = (sa.select(*[sa.column(c) for c in cols]).select_from(sa.table(table_name(table)))
         .where(sa.column(key).in_(sa.bindparam("keys", list(keys), expanding=True))))
    return _records(raw_execute(conn, q), cols)


def _records(rows: list[tuple], cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows, columns=cols, coerce_float=False) if rows else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in cols})


def raw_execute(conn: sa.Connection, stmt: sa.Executable, many: list[dict] | None = None) -> list[tuple]:
    """Run a statement on the connection's own DBAPI cursor (same transaction), skipping SQLAlchemy's
    per-row work: rows come back as plain tuples. Expanding IN lists are rendered before the call;
    ``many`` runs the statement once per parameter dict (executemany)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    positional = bool(compiled.positiontup)

    def args(values: dict | None) -> tuple | dict:
        params = compiled.construct_params(values)
        return tuple(params[n] for n in compiled.positiontup) if positional else params

    cursor = conn.connection.cursor()
    try:
        if many is not None:
            if many:
                cursor.executemany(compiled.string, [args(v) for v in many])
            return []
        cursor.execute(compiled.string, args(None))
        return cursor.fetchall() if cursor.description else []
    finally:
        cursor.close()


def keys_sql(conn: sa.Connection, column: str) -> str:
    """A condition true where ``column`` is one of the keys bound as ``:keys`` (see ``keys_param``).

    One bound value whatever the number of keys (a JSON array on SQLite, a text array on PostgreSQL), so
    a batch is one statement per table however large it is, and the statement text is the same each time.
    """
    if conn.dialect.name == "postgresql":
        return f'"{column}" = ANY(CAST(:keys AS TEXT[]))'
    return f'"{column}" IN (SELECT value FROM json_each(:keys))'


def keys_param(conn: sa.Connection, keys: Iterable[str]) -> object:
    values = [str(k) for k in keys]
    return values if conn.dialect.name == "postgresql" else json.dumps(values)


def rows_digest(conn: sa.Connection, table: str, key: str, keys: list[str],
                bound: object | None = None) -> tuple[int, str]:
    """Row count and order-independent SHA-256 of every column of the rows whose key is in ``keys``.

    One statement per table and batch. The database renders each row as one line of quoted values and
    sorts the lines; PostgreSQL also hashes them, SQLite (no hash function) hands back the lines joined.
    The digest is only ever compared with one made by the same database. ``bound``: ``keys_param(keys)``
    when the caller has it already.
    """
    cols = canonical.columns(table)
    where = keys_sql(conn, key)
    params = {"keys": keys_param(conn, keys) if bound is None else bound}
    if conn.dialect.name == "postgresql":
        # a row's text form (NULL and '' stay apart): one cast, about 40% less server work than quoting
        # and concatenating each column
        line = "CAST(ROW(" + ", ".join(f'"{c}"' for c in cols) + ") AS TEXT)"
        agg = "string_agg(r, E'\\n' ORDER BY r COLLATE \"C\")"
        q = sa.text(f"SELECT count(*), encode(sha256(convert_to(coalesce({agg}, ''), 'UTF8')), 'hex') "
                    f'FROM (SELECT {line} AS r FROM "{table_name(table)}" WHERE {where}) AS s')
        n, digest = conn.execute(q, params).one()
        return int(n), str(digest)
    # a row is one json_array() call (half the work of quoting and concatenating each column; it keeps
    # types apart as quote() did); the sorted lines come back as one string (a subquery's order is kept by
    # the aggregate above it), without a Python object per row
    line = "json_array(" + ", ".join(f'"{c}"' for c in cols) + ")"
    q = sa.text(f"SELECT count(*), coalesce(group_concat(r, char(10)), '') "
                f'FROM (SELECT {line} AS r FROM "{table_name(table)}" WHERE {where} ORDER BY 1)')
    ((n, joined),) = raw_execute(conn, q.bindparams(**params))
    return int(n), hashlib.sha256(joined.encode("utf-8")).hexdigest()


def storage_order(conn: sa.Connection, table: str, key: str) -> pd.Series:
    """Each subject's place in the table's storage order (its first row there), by key.

    Batches that follow it take subjects whose rows lie together in every table loaded in the same order,
    so a batch reads and rewrites a few pages rather than some of every page (which made a batch's cost
    grow with the warehouse and the whole run grow faster than linearly). Only speed depends on it.
    """
    order = "rowid" if conn.dialect.name == "sqlite" else "ctid"
    q = sa.text(f'SELECT "{key}" FROM "{table_name(table)}" WHERE "{key}" IS NOT NULL ORDER BY {order}')
    keys = pd.unique(np.array([k for (k,) in raw_execute(conn, q)], dtype=object))
    return pd.Series(np.arange(len(keys)), index=pd.Index(keys, dtype=object))


def fingerprint(frame: pd.DataFrame) -> str:
    """Order-independent hash of a frame's rows (values as text)."""
    if frame.empty:
        return hashlib.sha256(b"empty").hexdigest()
    hashes = pd.util.hash_pandas_object(frame.astype("str"), index=False).to_numpy()
    return hashlib.sha256(np.sort(hashes).tobytes()).hexdigest()


def date_columns(table: str) -> list[str]:
    return [c for c in canonical.columns(table) if is_date(table, c)]


def latest_dates(engine: sa.Engine, table: str, key: str, keys: list[str] | None = None) -> pd.Series:
    """Per subject key, the latest date in any date column of the table (one grouped query; with ``keys``,
    only those subjects, in batches)."""
    cols = date_columns(table)
    if not cols or not exists(engine, table) or (keys is not None and not keys):
        return pd.Series(dtype="datetime64[ns]")
    q = (sa.select(sa.column(key), *[sa.func.max(sa.column(c)).label(c) for c in cols])
         .select_from(sa.table(table_name(table))).where(sa.column(key).is_not(None)).group_by(sa.column(key)))
    with engine.connect() as conn:
        if keys is None:
            frame = _records(raw_execute(conn, q), [key, *cols])
        else:
            frame = pd.concat([_records(raw_execute(conn, q.where(sa.column(key).in_(
                sa.bindparam("keys", keys[i:i + 5_000], expanding=True)))), [key, *cols])
                for i in range(0, len(keys), 5_000)], ignore_index=True)
    if frame.empty:
        return pd.Series(dtype="datetime64[ns]")
    dates = pd.concat([pd.to_datetime(frame[c], errors="coerce").astype("datetime64[ns]") for c in cols], axis=1)
    return pd.Series(dates.max(axis=1).to_numpy(), index=pd.Index(frame[key], dtype=object))


def last_landed(engine: sa.Engine) -> pd.Timestamp:
    """When data was last landed for this warehouse (NaT without a landing register)."""
    if not sa.inspect(engine).has_table("landing_files"):
        return pd.NaT
    with engine.connect() as conn:
        value = conn.execute(sa.text("SELECT MAX(landed_at) FROM landing_files")).scalar()
    if value is None:
        return pd.NaT
    return pd.Timestamp(str(value)[:10])
