"""The warehouse: canonical tables in any database SQLAlchemy reaches (SQLite by default, PostgreSQL).

Each load replaces the tables it writes inside one transaction, so a reader sees the old load or the
new one, never half of each. Dates are stored as DATE, flags as BOOLEAN, everything else as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas import canonical

PREFIX = "canonical_"


def default_url(run_dir: Path) -> str:
    run_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(run_dir / 'warehouse.sqlite').resolve()}"


def engine_for(url: str) -> sa.Engine:
    return sa.create_engine(url, future=True)


def _sql_types(table: str) -> dict[str, sa.types.TypeEngine]:
    out: dict[str, sa.types.TypeEngine] = {}
    for name, col in canonical.MODELS[table].to_schema().columns.items():
        dtype = str(col.dtype)
        out[name] = sa.Date() if "datetime" in dtype else sa.Boolean() if dtype == "boolean" else sa.Text()
    return out


def write_tables(engine: sa.Engine, tables: dict[str, pd.DataFrame]) -> dict[str, int]:
    """Replace the warehouse copy of each canonical table in one transaction; return rows written."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for name, frame in tables.items():
            cols = canonical.columns(name)
            data = frame[cols].copy()
            for col, typ in _sql_types(name).items():
                if isinstance(typ, sa.Date):
                    data[col] = data[col].dt.date.astype("object").where(data[col].notna(), None)
                elif isinstance(typ, sa.Boolean):
                    data[col] = data[col].astype("object").where(data[col].notna(), None)
                else:
                    data[col] = data[col].astype("object").where(data[col].notna(), None)
            data.to_sql(PREFIX + name, conn, if_exists="replace", index=False, dtype=_sql_types(name),
                        chunksize=10_000, method="multi")
            counts[name] = len(data)
    return counts


def read_table(engine: sa.Engine, name: str) -> pd.DataFrame:
    """One canonical table back, with the canonical dtypes."""
    with engine.connect() as conn:
        frame = pd.read_sql_table(PREFIX + name, conn)
    for col, typ in _sql_types(name).items():
        if isinstance(typ, sa.Date):
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
        elif isinstance(typ, sa.Boolean):
            frame[col] = frame[col].astype("boolean")
        else:
            frame[col] = frame[col].astype("str").where(frame[col].notna(), None)
    return canonical.MODELS[name].validate(frame[canonical.columns(name)])


def read_tables(engine: sa.Engine, names: list[str] | None = None) -> dict[str, pd.DataFrame]:
    return {name: read_table(engine, name) for name in (names or list(canonical.MODELS))}
