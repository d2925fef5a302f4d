"""The retention engine's own tables in the warehouse database (created on first use)."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

audit = sa.Table(
    "retention_audit", metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.Text, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("event", sa.Text, nullable=False),
    sa.Column("plan_id", sa.Text),
    sa.Column("series", sa.Text),
    sa.Column("internal_key", sa.Text),
    sa.Column("action", sa.Text),
    sa.Column("counts", sa.Text),
    sa.Column("as_of", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("prev_hash", sa.Text, nullable=False),
    sa.Column("entry_hash", sa.Text, nullable=False),
)

holds = sa.Table(
    "retention_holds", metadata,
    sa.Column("hold_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("scope", sa.Text, nullable=False),  # child | series | all
    sa.Column("subject", sa.Text),  # a child_id or pupil_id when scope is child
    sa.Column("series", sa.Text),  # a series id when scope is series
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("authority", sa.Text, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
)

plans = sa.Table(
    "retention_plans", metadata,
    sa.Column("plan_id", sa.Text, primary_key=True),
    sa.Column("as_of", sa.Date, nullable=False),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("file_hash", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),  # planned | approved | applied
    sa.Column("approved_by", sa.Text),
    sa.Column("created_at", sa.Text, nullable=False),
)

batches = sa.Table(
    "retention_batches", metadata,
    sa.Column("plan_id", sa.Text, primary_key=True),
    sa.Column("batch", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("done_at", sa.Text, nullable=False),
)

# Which subjects each export carried (the sharing register's index): personal data, kept in the
# warehouse and purged with the child; the audit entry itself names no one.
shared = sa.Table(
    "retention_shared", metadata,
    sa.Column("audit_seq", sa.Integer, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
)

_SQLITE_GUARDS = [
    "CREATE TRIGGER IF NOT EXISTS retention_audit_no_update BEFORE UPDATE ON retention_audit "
    "BEGIN SELECT RAISE(ABORT, 'retention_audit is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS retention_audit_no_delete BEFORE DELETE ON retention_audit "
    "BEGIN SELECT RAISE(ABORT, 'retention_audit is append-only'); END",
]
_PG_GUARDS = [
    "CREATE OR REPLACE FUNCTION retention_audit_refuse() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'retention_audit is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS retention_audit_append_only ON retention_audit",
    "CREATE TRIGGER retention_audit_append_only BEFORE UPDATE OR DELETE ON retention_audit "
    "FOR EACH ROW EXECUTE FUNCTION retention_audit_refuse()",
]


def ensure(engine: sa.Engine) -> None:
    """Create the retention tables and the audit log's append-only guard if they are missing."""
    insp = sa.inspect(engine)
    missing = [t for t in metadata.sorted_tables if not insp.has_table(t.name)]
    if not missing:
        return
    with engine.begin() as conn:
        metadata.create_all(conn, tables=missing)
        if audit in missing:
            guards = _PG_GUARDS if engine.dialect.name == "postgresql" else _SQLITE_GUARDS
            for stmt in guards:
                conn.execute(sa.text(stmt))
