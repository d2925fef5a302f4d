"""SQL sources: any database SQLAlchemy reaches, one query per raw table.

Results are converted to text exactly as a CSV export would hold them (dates ISO, whole numbers without
``.0``) and landed as UTF-8 CSV files named ``<raw table>.csv``; the rest of ingestion then reads the
landed file like any CSV, so a SQL source and a CSV folder of the same layout share one mapping.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from statreturns.ingest.errors import IngestError
from statreturns.ingest.profiles import Profile

SSD_QUERY = "SELECT * FROM {table}"


def queries(profile: Profile, engine: sa.Engine, schema: str | None, source: str) -> dict[str, str]:
    """raw table -> SQL. SSD layout: the profile's template per SSD table that exists; mapped: each table's query."""
    if profile.layout == "ssd":
        present = {t.lower() for t in sa.inspect(engine).get_table_names(schema=schema)}
        if "ssd_person" not in present:
            raise IngestError(f"source {source}", "the database has no ssd_person table")
        prep = engine.dialect.identifier_preparer
        template = profile.query or SSD_QUERY
        return {t: template.format(table=(f"{prep.quote(schema)}." if schema else "") + prep.quote(t))
                for t in profile.raw_tables if t in present}
    out = {t: spec.query for t, spec in profile.tables.items() if spec.query}
    if not out:
        raise IngestError(f"profile {profile.name}", "no table of this profile has a query (needed for sql)")
    return out


def fetch(engine: sa.Engine, name: str, query: str, source: str) -> pd.DataFrame:
    """One query's rows as text cells (None for NULL)."""
    try:
        with engine.connect() as conn:
            frame = pd.read_sql_query(sa.text(query), conn, coerce_float=False)
    except sa.exc.SQLAlchemyError as exc:
        # The DBAPI message can quote parameters; give the error class only.
        cause = getattr(exc, "orig", None) or exc
        raise IngestError(f"source {source} query {name}", f"the query failed ({type(cause).__name__})") from None
    return as_text(frame)


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            midnight = (s.dropna() == s.dropna().dt.normalize()).all()
            text = s.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%dT%H:%M:%S")
        elif pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
            text = s.astype("Int64").astype("str")
        else:
            text = s.map(_scalar_text, na_action="ignore") if s.dtype == object else s.astype("str")
        out[str(col).lower()] = text.astype("object").where(s.notna(), None)
    return pd.DataFrame(out, index=frame.index)


def _scalar_text(value: object) -> str:
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
