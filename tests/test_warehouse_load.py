"""Loading a council of realistic size into the warehouse: more rows than one multi-row INSERT may carry
on PostgreSQL (65,535 parameters: 14 columns x 5,000 children), read back unchanged, on both backends."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from schemas import canonical
from statreturns import warehouse

CHILDREN = 5_000


def _tables() -> dict[str, pd.DataFrame]:
    tables = {name: canonical.empty(name) for name in canonical.MODELS}
    children = canonical.empty("children").reindex(range(CHILDREN))
    children["child_id"] = [f"C{i:06d}" for i in range(CHILDREN)]
    children["Sex"] = ["M", "F"] * (CHILDREN // 2)
    children["PersonBirthDate"] = pd.to_datetime("2015-01-01") + pd.to_timedelta(range(CHILDREN), unit="D")
    tables["children"] = canonical.MODELS["children"].validate(children.astype(canonical.empty("children").dtypes))
    return tables


def _round_trip(engine: sa.Engine) -> None:
    tables = _tables()
    counts = warehouse.write_tables(engine, tables)
    assert counts["children"] == CHILDREN
    back = warehouse.read_table(engine, "children")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), tables["children"].reset_index(drop=True))


def test_a_council_of_five_thousand_children_loads_on_sqlite(tmp_path):
    engine = warehouse.engine_for(warehouse.default_url(tmp_path, "356"))
    try:
        _round_trip(engine)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_council_of_five_thousand_children_loads_on_postgres(postgres_url):
    la = f"t{uuid.uuid4().hex[:8]}"
    url, schema = warehouse.url_for_la(postgres_url, la)
    engine = warehouse.engine_for(url, schema)
    try:
        _round_trip(engine)
    finally:
        engine.dispose()
        admin = sa.create_engine(postgres_url)
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()
