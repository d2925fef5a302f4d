"""Retention: schedule-driven destruction and anonymisation, legal holds, plan/approve/apply, audit log.

Plain Python over DataFrames and SQLAlchemy; no Dagster imports. Nothing here logs or raises with a
child's identifier: counts, series ids, table and column names only.
"""
