"""Legal holds: a child, a series or everything, kept from disposal while the hold stands.

A hold counts for a plan as of a date unless it ended before that date. A hold whose start lies after
the as-of date still counts: a letter asking us to keep records is honoured from the day we record it.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

import pandas as pd
import sqlalchemy as sa

from statreturns.retention import audit, store

SCOPES = ("child", "series", "all")


def add(engine: sa.Engine, *, scope: str, reason: str, authority: str, start: date, actor: str,
        subject: str | None = None, series: str | None = None, end: date | None = None) -> int:
    """Record a hold (and an audit entry naming its id, scope and authority only); return its id."""
    if scope not in SCOPES:
        raise ValueError(f"hold scope must be one of {', '.join(SCOPES)}")
    if scope == "child" and not subject:
        raise ValueError("a child hold needs the child's id")
    if scope == "series" and not series:
        raise ValueError("a series hold needs the series id")
    store.ensure(engine)
    with engine.begin() as conn:
        hold_id = (conn.execute(sa.select(sa.func.max(store.holds.c.hold_id))).scalar() or 0) + 1
        conn.execute(store.holds.insert().values(
            hold_id=hold_id, scope=scope, subject=subject if scope == "child" else None,
            series=series if scope == "series" else None, reason=reason, authority=authority,
            start_date=start, end_date=end))
        audit.append(conn, [{"event": "hold_add", "actor": actor, "series": series,
                             "internal_key": f"hold:{hold_id}", "action": scope,
                             "detail": {"authority": authority, "start": str(start),
                                        "end": None if end is None else str(end)}}])
    return hold_id


def end(engine: sa.Engine, hold_id: int, on: date, actor: str) -> None:
    store.ensure(engine)
    with engine.begin() as conn:
        done = conn.execute(store.holds.update().where(store.holds.c.hold_id == hold_id)
                            .values(end_date=on)).rowcount
        if not done:
            raise ValueError(f"no hold with id {hold_id}")
        audit.append(conn, [{"event": "hold_end", "actor": actor, "internal_key": f"hold:{hold_id}",
                             "detail": {"end": str(on)}}])


def table(engine: sa.Engine) -> pd.DataFrame:
    store.ensure(engine)
    with engine.connect() as conn:
        frame = pd.read_sql(sa.select(store.holds).order_by(store.holds.c.hold_id), conn)
    for col in ("start_date", "end_date"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def active(holds: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Holds that count for a plan as of ``as_of``: those not ended before it."""
    return holds[holds["end_date"].isna() | (holds["end_date"] >= pd.Timestamp(as_of))]


def fingerprint(active_holds: pd.DataFrame) -> str:
    cols = ["hold_id", "scope", "subject", "series", "start_date", "end_date"]
    rows = active_holds[cols].astype("str").sort_values("hold_id").values.tolist()
    return hashlib.sha256(json.dumps(rows).encode("utf-8")).hexdigest()


def held(items: pd.DataFrame, active_holds: pd.DataFrame) -> pd.Series:
    """Boolean per item (columns ``series``, ``key``): is it under any active hold?"""
    if active_holds.empty:
        return pd.Series(False, index=items.index)
    if (active_holds["scope"] == "all").any():
        return pd.Series(True, index=items.index)
    by_series = items["series"].isin(set(active_holds.loc[active_holds.scope == "series", "series"]))
    by_child = items["key"].isin(set(active_holds.loc[active_holds.scope == "child", "subject"]))
    return by_series | by_child
