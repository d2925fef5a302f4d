"""The warehouse: canonical tables in any database SQLAlchemy reaches (SQLite by default, PostgreSQL).

Each load replaces the tables it writes inside one transaction, so a reader sees the old load or the
new one, never half of each; concurrent loads of the same warehouse wait for each other. Dates are
stored as DATE, flags as BOOLEAN, everything else as text.

Each local authority's data is kept apart (councils are separate data controllers): by default one
SQLite file per LA; on a server, one schema per LA (`la_356`), or a URL with `{la}` in it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas import canonical

PREFIX = "canonical_"


SQLITE_WAIT_SECONDS = 120


def default_url(run_dir: Path, la: str | None = None) -> str:
    """An SQLite file in the run folder: `warehouse/<la>.sqlite` per LA, or `warehouse.sqlite`."""
    path = run_dir / "warehouse" / f"{la}.sqlite" if la else run_dir / "warehouse.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def url_for_la(url: str, la: str) -> tuple[str, str | None]:
    """(URL, schema) holding one LA's warehouse. `{la}` in the URL is replaced; otherwise a server
    database keeps each LA in its own schema. An SQLite URL without `{la}` would mix LAs: refused."""
    if "{la}" in url:
        return url.replace("{la}", la), None
    if sa.make_url(url).get_backend_name() == "sqlite":
        from statreturns.deployment import ConfigError

        raise ConfigError("STATRETURNS_DATABASE_URL: an SQLite warehouse URL must contain {la} (one file per LA)")
    return url, f"la_{la}"


def engine_for(url: str, schema: str | None = None) -> sa.Engine:
    """An engine; with `schema`, every connection works in that schema (created on first connect)."""
    backend = sa.make_url(url).get_backend_name()
    if backend == "sqlite":
        return sa.create_engine(url, connect_args={"timeout": SQLITE_WAIT_SECONDS})
    engine = sa.create_engine(url)
    if schema is None:
        return engine
    if not schema.replace("_", "").isalnum():
        raise ValueError(f"bad schema name {schema!r}")

    @sa.event.listens_for(engine, "connect")
    def _use_schema(dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            cursor.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()

    return engine


def _wait_for_other_loads(conn: sa.Connection) -> None:
    # Two runs (say two years of one LA) may load the same warehouse at once: take turns.
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(current_schema()))"))


def sql_types(table: str) -> dict[str, sa.types.TypeEngine]:
    """Column types of a canonical table in the warehouse: DATE, BOOLEAN, else TEXT."""
    out: dict[str, sa.types.TypeEngine] = {}
    for name, col in canonical.MODELS[table].to_schema().columns.items():
        dtype = str(col.dtype)
        out[name] = sa.Date() if "datetime" in dtype else sa.Boolean() if dtype == "boolean" else sa.Text()
    return out


def write_tables(engine: sa.Engine, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Replace the warehouse copy of each canonical table in one transaction; return rows written."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        _wait_for_other_loads(conn)
        for name, frame in tables.items():
            types = sql_types(name)
            data = frame.reindex(columns=canonical.columns(name))  # an optional column a source did not give is stored blank
            table = sa.Table(PREFIX + name, sa.MetaData(), *(sa.Column(c, types[c]) for c in data.columns))
            table.drop(conn, checkfirst=True)
            table.create(conn)
            _insert(conn, table, {col: _values(data[col], types[col], conn.dialect) for col in data.columns})
            counts[name] = len(data)
    return counts


def _values(s: pd.Series, typ: sa.types.TypeEngine, dialect: sa.Dialect) -> list:
    """A column as the driver takes it: Python values, None where missing, through the type's bind
    processor as SQLAlchemy would apply it (on SQLite a DATE becomes 'YYYY-MM-DD', a flag 0 or 1)."""
    if isinstance(typ, sa.Date):
        s = s.dt.date
    values = s.astype("object").where(s.notna(), None).tolist()
    process = typ.bind_processor(dialect)
    return values if process is None else [process(v) for v in values]


def _insert(conn: sa.Connection, table: sa.Table, columns: dict[str, list]) -> None:
    """One prepared INSERT run over all rows by the driver's executemany. SQLAlchemy's own executemany
    (and pandas' to_sql on top of it) builds a parameter dict per row, most of a partition's load time;
    a multi-row VALUES statement would break PostgreSQL's 65,535-parameter limit past ~4,600 children."""
    compiled = table.insert().compile(dialect=conn.dialect)
    names = {compiled.escaped_bind_names.get(c, c): c for c in columns}  # bind name -> column
    if compiled.positional:
        rows: list = list(zip(*(columns[names[b]] for b in compiled.positiontup), strict=True))
    else:
        rows = [dict(zip(names, row, strict=True)) for row in zip(*columns.values(), strict=True)]
    if rows:
        conn.exec_driver_sql(str(compiled), rows)


def read_table(engine: sa.Engine, name: str) -> pd.DataFrame:
    """One canonical table back, with the canonical dtypes."""
    with engine.connect() as conn:
        frame = pd.read_sql_table(PREFIX + name, conn)
    for col, typ in sql_types(name).items():
        if isinstance(typ, sa.Date):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        elif isinstance(typ, sa.Boolean):
            frame[col] = frame[col].astype("boolean")
        else:
            frame[col] = frame[col].astype("str").where(frame[col].notna(), None)
    return canonical.MODELS[name].validate(frame[canonical.columns(name)])


def read_tables(engine: sa.Engine, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    return {name: read_table(engine, name) for name in (names or list(canonical.MODELS))}
