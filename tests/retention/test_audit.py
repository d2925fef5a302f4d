"""The audit log: hash-chained, append-only; verify names the first broken entry."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from statreturns.retention import audit, holds, store
from tests.retention.conftest import drop_pg_schema, pg_schema_url


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = sa.create_engine(f"sqlite:///{tmp_path / 'a.sqlite'}")
        yield eng
        eng.dispose()
        return
    base = request.getfixturevalue("postgres_url")
    url, schema = pg_schema_url(base)
    eng = sa.create_engine(url)
    yield eng
    eng.dispose()
    drop_pg_schema(base, schema)


def _fill(engine, n=6):
    store.ensure(engine)
    with engine.begin() as conn:
        audit.append(conn, [{"event": "plan", "actor": "t", "plan_id": f"p{i}", "counts": {"x": i},
                             "as_of": date(2030, 1, 1)} for i in range(n)])


def _unguard(conn):
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("ALTER TABLE retention_audit DISABLE TRIGGER retention_audit_append_only"))
    else:
        conn.execute(sa.text("DROP TRIGGER retention_audit_no_update"))
        conn.execute(sa.text("DROP TRIGGER retention_audit_no_delete"))


def test_chain_verifies(engine):
    _fill(engine)
    holds.add(engine, scope="all", reason="inquiry", authority="letter", start=date(2015, 6, 23), actor="t")
    verdict = audit.verify(engine)
    assert verdict.ok and verdict.entries == 7


def test_append_only_guard_refuses_update_and_delete(engine):
    _fill(engine)
    for stmt in ("UPDATE retention_audit SET actor = 'x' WHERE seq = 2", "DELETE FROM retention_audit WHERE seq = 2"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(sa.text(stmt))
    assert audit.verify(engine).ok


@pytest.mark.parametrize("column,value", [("actor", "mallory"), ("counts", '{"x":99}'), ("plan_id", "p9"),
                                          ("at", "2020-01-01T00:00:00+00:00"), ("entry_hash", "0" * 64)])
@pytest.mark.parametrize("seq", [1, 4, 6])
def test_editing_any_row_makes_verify_fail_and_name_it(engine, column, value, seq):
    _fill(engine)
    with engine.begin() as conn:
        _unguard(conn)
        conn.execute(sa.text(f"UPDATE retention_audit SET {column} = :v WHERE seq = :s"), {"v": value, "s": seq})
    verdict = audit.verify(engine)
    assert not verdict.ok
    assert verdict.first_broken == seq


def test_deleting_a_row_is_detected(engine):
    _fill(engine)
    with engine.begin() as conn:
        _unguard(conn)
        conn.execute(sa.text("DELETE FROM retention_audit WHERE seq = 3"))
    verdict = audit.verify(engine)
    assert verdict.first_broken == 3


def test_anchor_detects_a_log_cut_at_its_end(engine, tmp_path):
    from statreturns.retention import anchor

    _fill(engine)
    written = anchor.write(engine, tmp_path, "356")
    assert written.entries == 6 and anchor.read(anchor.anchor_path(tmp_path, "356")) == [written]
    assert anchor.check(engine, [written]).ok
    with engine.begin() as conn:
        _unguard(conn)
        conn.execute(sa.text("DELETE FROM retention_audit WHERE seq = 6"))
    assert audit.verify(engine).ok  # the chain alone cannot see it
    result = anchor.check(engine, anchor.parse(written.line()))
    assert not result.ok
    assert "cut at its end" in result.message and "holds 5 entries" in result.message and "6" in result.message


def test_anchor_detects_a_log_rewritten_whole(engine, tmp_path):
    from statreturns.retention import anchor

    _fill(engine)
    anchor.write(engine, tmp_path)
    with engine.begin() as conn:
        _unguard(conn)
        conn.execute(sa.text("DELETE FROM retention_audit"))
    with engine.begin() as conn:  # the same number of entries, every hash recomputed
        audit.append(conn, [{"event": "plan", "actor": "mallory", "plan_id": f"p{i}", "counts": {"x": i},
                             "as_of": date(2030, 1, 1)} for i in range(7)])
    assert audit.verify(engine).ok
    result = anchor.check(engine, anchor.read(anchor.anchor_path(tmp_path)))
    assert not result.ok and "rewritten" in result.message and "entry 6" in result.message


def test_anchor_accepts_a_log_that_grew(engine, tmp_path):
    from statreturns.retention import anchor

    _fill(engine, 3)
    first = anchor.write(engine, tmp_path)
    _fill(engine, 2)
    second = anchor.write(engine, tmp_path)
    assert (first.entries, second.entries) == (3, 5)
    assert anchor.check(engine, anchor.read(anchor.anchor_path(tmp_path))).ok
