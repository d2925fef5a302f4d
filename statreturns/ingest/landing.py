"""The landing area: each extract copied once, immutable, checksummed and registered.

A landed copy lives at ``<run_dir>/landing/<source>/<sha256>/<original name, made safe>``, written atomically and
made read-only. The register is the ``landing_files`` table in the warehouse database, one row per
landed file or query result (query results are landed as UTF-8 CSV files, so they can be purged like
any file). Landing the same content again for the same source is a no-op.

Columns of ``landing_files``: landing_id (SHA-256 of the content as first landed: the row's identity),
source, kind, profile, original_name, stored_path (relative to run_dir, POSIX), sha256 and size_bytes
(of the copy as it is now), landed_at (UTC ISO-8601), rows_in, rows_landed, rows_quarantined,
rows_purged, status (``landed`` or ``withdrawn``), encoding, header_line, key_columns (JSON: raw table
-> canonical key table -> the raw column holding the key, or how to reach it through another raw table),
purged_by (the retention plans that removed rows from the copy).

A file delivered again after a purge (same content hash) is read from its purged copy, so purged children
are not brought back; its rows in are still counted from the file as delivered, and the rows the plans
removed are reported as such (``Landed.purged_copy``).

Landed data is itself subject to retention: :func:`remove_children` purges children's rows from every
landed copy and :func:`landed_rows` finds one child's raw rows for a subject access request.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from statreturns.files import sha256, write_bytes_atomic
from statreturns.ingest.names import landed_name
from statreturns.ingest.normalise import ids

TABLE = "landing_files"
TEXT_KINDS = ("csv", "sql", "ssda903")  # landed copies that can be rewritten row by row
_META = sa.MetaData()
REGISTER = sa.Table(
    TABLE, _META,
    sa.Column("landing_id", sa.String(64), primary_key=True),
    sa.Column("source", sa.String(200), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("profile", sa.Text, nullable=False),
    sa.Column("original_name", sa.Text, nullable=False),
    sa.Column("stored_path", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size_bytes", sa.BigInteger, nullable=False),
    sa.Column("landed_at", sa.String(40), nullable=False),
    sa.Column("rows_in", sa.BigInteger),
    sa.Column("rows_landed", sa.BigInteger),
    sa.Column("rows_quarantined", sa.BigInteger),
    sa.Column("rows_purged", sa.BigInteger, nullable=False, default=0),
    sa.Column("status", sa.String(20), nullable=False, default="landed"),
    sa.Column("encoding", sa.String(40)),
    sa.Column("header_line", sa.Integer),
    sa.Column("key_columns", sa.Text),
    sa.Column("purged_by", sa.Text),  # the retention plans that removed rows from the copy, ";"-separated
    sa.Column("delivered_from", sa.Text),  # the folder the file was delivered in (files it names are found there)
)
ADDED_COLUMNS = ("purged_by", "delivered_from")  # added after the first release: added to older registers


@dataclass(frozen=True)
class Landed:
    landing_id: str
    source: str
    kind: str
    original_name: str
    path: Path  # the landed copy
    new: bool  # False when identical content was already landed for this source
    delivered: Path | None = None  # the file as delivered (None for query results)
    rows_purged: int = 0  # rows retention removed from the landed copy since it was landed
    purged_by: str = ""  # the plans that removed them

    @property
    def purged_copy(self) -> bool:
        """The same content delivered again after a purge: it is read from the purged copy."""
        return not self.new and self.rows_purged > 0


def ensure_register(engine: sa.Engine) -> None:
    _META.create_all(engine, tables=[REGISTER])
    have = {c["name"] for c in sa.inspect(engine).get_columns(TABLE)}
    for col in ADDED_COLUMNS:
        if col not in have:
            with engine.begin() as conn:
                conn.execute(sa.text(f"ALTER TABLE {TABLE} ADD COLUMN {col} TEXT"))


def land_file(engine: sa.Engine, run_dir: Path, source: str, kind: str, profile: str, path: Path,
              landed_at: dt.datetime, area: str = "") -> Landed:
    """Copy ``path`` into the landing area (streamed: never read whole) and register it.

    ``area`` (e.g. ``2026/356`` for a partition) puts the copy under ``landing/<area>/<source>/``.
    """
    folder = run_dir / "landing" / area / source
    folder.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".landing.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, path.open("rb") as src:
            for block in iter(lambda: src.read(1 << 20), b""):
                h.update(block)
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        landed = _register(engine, run_dir, folder, source, kind, profile, path.name, h.hexdigest(), Path(tmp),
                           landed_at, str(path.resolve().parent))
        return dataclasses.replace(landed, delivered=path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def land_bytes(engine: sa.Engine, run_dir: Path, source: str, kind: str, profile: str, name: str, data: bytes,
               landed_at: dt.datetime, area: str = "") -> Landed:
    """Land content held in memory (a query result written as CSV)."""
    folder = run_dir / "landing" / area / source
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".landing.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        digest = hashlib.sha256(data).hexdigest()
        return _register(engine, run_dir, folder, source, kind, profile, name, digest, Path(tmp), landed_at)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _register(engine: sa.Engine, run_dir: Path, folder: Path, source: str, kind: str, profile: str, name: str,
              digest: str, tmp: Path, landed_at: dt.datetime, delivered_from: str | None = None) -> Landed:
    ensure_register(engine)
    with engine.begin() as conn:
        row = conn.execute(sa.select(REGISTER.c.stored_path, REGISTER.c.rows_purged, REGISTER.c.purged_by).where(
            REGISTER.c.landing_id == digest, REGISTER.c.source == source)).first()
        if row is not None:
            return Landed(digest, source, kind, name, run_dir / row.stored_path, new=False,
                          rows_purged=int(row.rows_purged or 0), purged_by=row.purged_by or "")
        final = folder / digest / landed_name(name)  # the name is data: never a path as it is
        final.parent.mkdir(parents=True, exist_ok=True)
        size = tmp.stat().st_size
        os.replace(tmp, final)
        final.chmod(stat.S_IRUSR | stat.S_IRGRP)
        conn.execute(REGISTER.insert().values(
            landing_id=digest, source=source, kind=kind, profile=profile, original_name=name,
            stored_path=final.relative_to(run_dir).as_posix(), sha256=digest, size_bytes=size,
            landed_at=landed_at.astimezone(dt.UTC).isoformat(timespec="seconds"), rows_purged=0, status="landed",
            delivered_from=delivered_from))
    return Landed(digest, source, kind, name, final, new=True)


def record_read(engine: sa.Engine, landed: Landed, rows_in: int, rows_quarantined: int, encoding: str | None,
                header_line: int | None, key_columns: dict, rows_removed: int = 0) -> None:
    """Store what reading the file found: counts (in = landed + quarantined + removed by retention) and its
    key columns. ``rows_in`` counts the file as delivered, also when it is read from a purged copy."""
    with engine.begin() as conn:
        conn.execute(REGISTER.update().where(
            REGISTER.c.landing_id == landed.landing_id, REGISTER.c.source == landed.source).values(
            rows_in=rows_in, rows_landed=rows_in - rows_quarantined - rows_removed, rows_quarantined=rows_quarantined,
            encoding=encoding, header_line=header_line, key_columns=json.dumps(key_columns, sort_keys=True)))


def register(engine: sa.Engine) -> pd.DataFrame:
    ensure_register(engine)
    with engine.connect() as conn:
        return pd.read_sql(sa.select(REGISTER).order_by(REGISTER.c.landed_at, REGISTER.c.stored_path), conn)


# ----------------------------------------------------------------------------------------- retention

def remove_children(engine: sa.Engine, run_dir: Path, keys: dict[str, set[str]],
                    plan_id: str | None = None) -> dict[str, int]:
    """Rewrite every landed copy without the rows whose canonical key is in ``keys``.

    ``keys`` is ``{"children": {child_id, ...}, "school_pupils": {pupil_id, ...}}``; each key is mapped to
    the raw column through the source's profile (``key_columns`` in the register; rows of a raw table
    without a person column, e.g. ``ssd_cla_reviews``, are matched through the table that links them).
    Text copies (csv, sql, ssda903) are rewritten row-wise as UTF-8 CSV with the header row only (any
    title rows above the header go too), atomically, and the register gets the new sha256 and size
    and the purged-row count. XML and XLSX copies cannot be rewritten row-wise: a copy holding any such
    row is deleted and marked ``withdrawn``. ``plan_id`` is recorded in the register's ``purged_by``, so a
    file delivered again can say which plan removed its rows. Returns the rows removed per landing_id
    (withdrawn copies count all their rows).
    """
    from statreturns.ingest.readers import landed_frames

    wanted = {t: {str(k).strip().upper() for k in v} for t, v in keys.items() if v}
    rows = register(engine)
    rows = rows.loc[rows["status"] == "landed"]
    frames = {r.landing_id: landed_frames(run_dir, r) for r in rows.itertuples()}
    plans: dict[str, dict[str, pd.Series]] = {}
    for r in rows.itertuples():
        plans[r.landing_id] = {raw: _matches(frame, _links(r, raw), wanted, rows, frames)
                               for raw, frame in frames[r.landing_id].items()}
    removed: dict[str, int] = {}
    with engine.begin() as conn:
        for r in rows.itertuples():
            hits = sum(int(m.sum()) for m in plans[r.landing_id].values())
            if not hits:
                continue
            path = run_dir / r.stored_path
            where = (REGISTER.c.landing_id == r.landing_id) & (REGISTER.c.source == r.source)
            if r.kind in TEXT_KINDS:
                ((raw, frame),) = frames[r.landing_id].items()
                _rewrite_csv(frame.loc[~plans[r.landing_id][raw].to_numpy()], path)
                conn.execute(REGISTER.update().where(where).values(
                    sha256=sha256(path), size_bytes=path.stat().st_size, encoding="utf-8", header_line=1,
                    rows_purged=int(r.rows_purged or 0) + hits, purged_by=_by(r.purged_by, plan_id)))
                removed[r.landing_id] = hits
            else:
                path.unlink(missing_ok=True)
                total = sum(len(f) for f in frames[r.landing_id].values())
                conn.execute(REGISTER.update().where(where).values(
                    status="withdrawn", rows_purged=int(r.rows_purged or 0) + total, size_bytes=0,
                    purged_by=_by(r.purged_by, plan_id)))
                removed[r.landing_id] = total
    return removed


def blank_columns(engine: sa.Engine, run_dir: Path, blanks: dict[str, dict[str, set[str]]],
                  plan_id: str | None = None) -> dict[str, int]:
    """Blank canonical columns in the landed rows of some persons (a photo's file name when the photo goes).

    ``blanks`` is ``{key table: {canonical column: {key, ...}}}``, e.g. ``{"school_pupils": {"photo_file":
    {pupil_id, ...}}}``; the raw headers come from the source's profile. Text copies are rewritten as
    :func:`remove_children` does; other copies holding such a cell are withdrawn. Returns the cells blanked
    per landing_id.
    """
    from statreturns.ingest.profiles import load_profile, norm_header
    from statreturns.ingest.readers import landed_frames

    wanted = {t: {c: {str(k).strip().upper() for k in keys} for c, keys in cols.items() if keys}
              for t, cols in blanks.items()}
    rows = register(engine)
    rows = rows.loc[rows["status"] == "landed"]
    done: dict[str, int] = {}
    for r in rows.itertuples():
        profile = load_profile(r.profile)
        frames = landed_frames(run_dir, r)
        hits: dict[str, pd.DataFrame] = {}
        n = 0
        for raw, frame in frames.items():
            by_norm = {norm_header(c): c for c in frame.columns}
            for table, cols in wanted.items():
                link, spec = _links(r, raw).get(table), profile.tables.get(table)
                if not isinstance(link, str) or link not in frame.columns or spec is None:
                    continue
                for col, keys in cols.items():
                    raw_cols = [by_norm[norm_header(h)] for h in spec.columns.get(col, ()) if norm_header(h) in by_norm]
                    mask = ids(frame[link]).isin(keys).to_numpy()
                    for rc in raw_cols:
                        cell = mask & frame[rc].notna().to_numpy() & (frame[rc].astype(str) != "").to_numpy()
                        if cell.any():
                            frame = frame.astype({rc: object})
                            frame.loc[cell, rc] = ""
                            n += int(cell.sum())
                            hits[raw] = frame
        if not n:
            continue
        path = run_dir / r.stored_path
        where = (REGISTER.c.landing_id == r.landing_id) & (REGISTER.c.source == r.source)
        with engine.begin() as conn:
            if r.kind in TEXT_KINDS and len(frames) == 1:
                _rewrite_csv(next(iter(hits.values())), path)
                conn.execute(REGISTER.update().where(where).values(
                    sha256=sha256(path), size_bytes=path.stat().st_size, encoding="utf-8", header_line=1,
                    purged_by=_by(r.purged_by, plan_id)))
            else:
                path.unlink(missing_ok=True)
                conn.execute(REGISTER.update().where(where).values(
                    status="withdrawn", size_bytes=0, purged_by=_by(r.purged_by, plan_id),
                    rows_purged=int(r.rows_purged or 0) + sum(len(f) for f in frames.values())))
        done[r.landing_id] = n
    return done


def delivery_folders(conn: sa.Connection) -> list[Path]:
    """The folders extracts were delivered from (where files they name, such as photos, are found)."""
    if not sa.inspect(conn).has_table(TABLE):
        return []
    have = {c["name"] for c in sa.inspect(conn).get_columns(TABLE)}
    if "delivered_from" not in have:
        return []
    found = conn.execute(sa.select(REGISTER.c.delivered_from).distinct()).scalars()
    return sorted({Path(f) for f in found if f})


def _by(before: object, plan_id: str | None) -> str | None:
    plans = [p for p in str(before or "").split(";") if p and str(before) != "nan"]
    if plan_id and plan_id not in plans:
        plans.append(plan_id)
    return ";".join(plans) or None


def landed_rows(engine: sa.Engine, run_dir: Path, table: str, key: str) -> dict[str, pd.DataFrame]:
    """One child's (or pupil's) raw landed rows, per landed file, for a subject access request.

    ``table`` is the canonical key table (``children`` or ``school_pupils``), ``key`` its id. Files without
    any of the person's rows are left out. Multi-table files (workbooks, XML) give one frame per raw table
    with rows, keyed ``<landing_id>:<raw table>``.
    """
    from statreturns.ingest.readers import landed_frames

    wanted = {table: {str(key).strip().upper()}}
    rows = register(engine)
    rows = rows.loc[rows["status"] == "landed"]
    frames = {r.landing_id: landed_frames(run_dir, r) for r in rows.itertuples()}
    out: dict[str, pd.DataFrame] = {}
    for r in rows.itertuples():
        parts = frames[r.landing_id]
        for raw, frame in parts.items():
            hit = _matches(frame, _links(r, raw), wanted, rows, frames)
            if hit.any():
                out[r.landing_id if len(parts) == 1 else f"{r.landing_id}:{raw}"] = frame.loc[hit.to_numpy()]
    return out


def _links(r, raw: str) -> dict:
    return json.loads(r.key_columns or "{}").get(raw, {})


def _matches(frame: pd.DataFrame, links: dict, wanted: dict[str, set[str]], rows: pd.DataFrame,
             frames: dict[str, dict[str, pd.DataFrame]]) -> pd.Series:
    hit = pd.Series(False, index=frame.index)
    for table, link in links.items():
        keys = wanted.get(table)
        if not keys:
            continue
        if isinstance(link, str):
            if link in frame.columns:
                hit |= ids(frame[link]).isin(keys)
            continue
        # reached through another raw table of the same source: the ids it links to these persons
        linked: set[str] = set()
        for other in frames.values():
            via = other.get(link["via"])
            if via is not None and {link["match"], link["person"]} <= set(via.columns):
                linked |= set(ids(via.loc[ids(via[link["person"]]).isin(keys), link["match"]]).dropna())
        if link["column"] in frame.columns:
            hit |= ids(frame[link["column"]]).isin(linked)
    return hit


def _rewrite_csv(frame: pd.DataFrame, path: Path) -> None:
    write_bytes_atomic(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"), path)
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)


