"""Ingest one source: land its files (or query results), read them, map them to canonical tables.

Row accounting, per landed file and in total: rows_in = rows_landed + rows_quarantined + rows_removed, always
(rows_removed: rows a retention plan removed from the landed copy of a file delivered again unchanged; the
file is then read from its purged copy and its rows in are counted from the file as delivered). A row
quarantined in two canonical tables (one SSD permanence row feeds AD1 and placed-for-adoption) counts
once. Rows of an SSD extract that are folded into another row (a placement joined to its episode)
count as landed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from schemas import canonical
from statreturns.ingest import landing, sql
from statreturns.ingest.config import Source
from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import exceeded
from statreturns.ingest.mapping import Mapper, lines_quarantined
from statreturns.ingest.names import shown
from statreturns.ingest.profiles import Profile, load_profile
from statreturns.ingest.raw import RawChunk
from statreturns.ingest.readers import read_file
from statreturns.ingest.xlsx import check_zip
from statreturns.ssd import QUARANTINE_COLUMNS, read_ssd_frames, strip_lineage


@dataclass
class FileCount:
    landing_id: str
    file: str
    new: bool
    rows_in: int
    rows_quarantined: int
    rows_removed: int = 0  # removed by retention plans from the landed copy (a purged file delivered again)
    purged_by: str = ""

    @property
    def rows_landed(self) -> int:
        return self.rows_in - self.rows_quarantined - self.rows_removed

    @property
    def note(self) -> str:
        """What a person needs to know about this file, or "" (no identifiers: counts and plan ids)."""
        if not self.rows_removed:
            return ""
        plans = ", ".join(p for p in self.purged_by.split(";") if p) or "an earlier plan"
        return f"{self.file}: unchanged since landing; {self.rows_removed:,} rows removed by plan {plans}"


@dataclass
class IngestResult:
    source: str
    tables: dict[str, pd.DataFrame]  # canonical tables, no lineage columns
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS: source, file, line, table, reason (no values)
    files: list[FileCount] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        rows_in = sum(f.rows_in for f in self.files)
        quarantined = sum(f.rows_quarantined for f in self.files)
        removed = sum(f.rows_removed for f in self.files)
        out = {"files": len(self.files), "files_new": sum(f.new for f in self.files), "rows_in": rows_in,
               "rows_landed": rows_in - quarantined - removed, "rows_quarantined": quarantined,
               **{f"rows_{t}": len(v) for t, v in sorted(self.tables.items()) if len(v)}}
        if removed:
            out["rows_removed_by_retention"] = removed
        return out

    def notes(self) -> list[str]:
        """One line per file delivered again after a purge (for the CLI, the run report, asset metadata)."""
        return [f.note for f in self.files if f.note]


def ingest_source(source: Source, run_dir: Path, engine: sa.Engine, landed_at: dt.datetime,
                  area: str = "") -> IngestResult:
    """Land and read every file of ``source``; ``landed_at`` is the time recorded for new landings.

    ``area`` separates landed copies of different partitions (``<year>/<la>``) under ``run_dir/landing``.
    """
    profile = load_profile(source.profile)
    landed = _land(source, profile, run_dir, engine, landed_at, area)
    if profile.layout == "ssd":
        return _ssd(source, profile, landed, engine)
    return _mapped(source, profile, landed, engine)


def _land(source: Source, profile: Profile, run_dir: Path, engine: sa.Engine, landed_at: dt.datetime,
          area: str) -> list[landing.Landed]:
    if source.kind != "sql":
        for path in source.files():  # refused before a byte is copied
            size = path.stat().st_size
            if size > source.limits.max_file_bytes:
                raise IngestError(path.name, exceeded("max_file_bytes", size, source.limits.max_file_bytes))
            if source.kind == "xlsx":
                check_zip(path, source.limits)  # a bomb is not even landed
        return [landing.land_file(engine, run_dir, source.name, source.kind, source.profile, path, landed_at, area)
                for path in source.files()]
    db = sa.create_engine(source.database_url())
    try:
        out = []
        for name, query in sql.queries(profile, db, source.schema, source.name).items():
            frame = sql.fetch(db, name, query, source.name)
            data = frame.to_csv(index=False, lineterminator="\n").encode("utf-8")
            out.append(landing.land_bytes(engine, run_dir, source.name, "sql", source.profile, f"{name}.csv", data,
                                          landed_at, area))
        return out
    finally:
        db.dispose()


def _chunks(source: Source, profile: Profile, item: landing.Landed):
    raw_name = Path(item.original_name).stem if source.kind == "sql" else None
    chunks = read_file(source.kind, item.path, profile, encoding=source.encoding, raw_name=raw_name,
                       limits=source.limits)
    try:
        for chunk in chunks:
            # quarantine rows name the file as the user knows it (escaped), not the landed copy's hash folder
            chunk.file = chunk.file.replace(item.path.name, shown(item.original_name), 1)
            yield chunk
    except IngestError as exc:
        if not exc.file.startswith(item.path.name):
            raise
        raise IngestError(item.original_name + exc.file[len(item.path.name):], exc.reason, exc.line) from None


def _mapped(source: Source, profile: Profile, landed: list[landing.Landed], engine: sa.Engine) -> IngestResult:
    mapper = Mapper(profile, source.name)
    rows_in: dict[str, int] = {}
    keys: dict[str, dict] = {}
    text: dict[str, tuple] = {}
    for item in landed:
        n = 0
        for chunk in _chunks(source, profile, item):
            text.setdefault(item.landing_id, (chunk.encoding, chunk.header_line))
            n += len(chunk.frame) + len(chunk.bad)
            found = mapper.add(chunk, item.landing_id)
            if found:
                keys.setdefault(item.landing_id, {})[chunk.raw_name] = found
        rows_in[item.landing_id] = n
    tables = mapper.finish()
    q = mapper.quarantined()
    return _result(source, landed, tables, q, rows_in, keys, engine, text)


def _ssd(source: Source, profile: Profile, landed: list[landing.Landed], engine: sa.Engine) -> IngestResult:
    raw: dict[str, pd.DataFrame] = {}
    owner: dict[str, landing.Landed] = {}
    reader_bad: list[pd.DataFrame] = []
    rows_in: dict[str, int] = {}
    text: dict[str, tuple] = {}
    for item in landed:
        parts: list[RawChunk] = list(_chunks(source, profile, item))
        if parts:
            text[item.landing_id] = (parts[0].encoding, parts[0].header_line)
        name = Path(item.original_name).stem.lower()
        frame = pd.concat([p.frame for p in parts], ignore_index=True) if parts else pd.DataFrame()
        lines = pd.concat([pd.Series(p.lines) for p in parts], ignore_index=True) if parts else pd.Series([])
        frame.columns = [str(c).strip().lower() for c in frame.columns]
        frame.index = pd.Index(lines.to_numpy(dtype="int64") - 2)  # read_ssd_frames: index + 2 is the line
        raw[name], owner[name] = frame, item
        bad = [p.bad for p in parts if len(p.bad)]
        if bad:
            reader_bad.append(pd.concat(bad).assign(file=f"{name}.csv", table=name, _landing=item.landing_id))
        rows_in[item.landing_id] = len(frame) + sum(len(b) for b in bad)
    if "ssd_person" not in raw:
        raise IngestError(f"source {source.name}", "no ssd_person table in the extract")
    for name in [n for n in raw if n not in profile.raw_tables]:  # not an SSD table this profile knows
        frame = raw.pop(name)
        reader_bad.append(pd.DataFrame({"line": frame.index.to_numpy() + 2, "reason": "no_table_for_rows",
                                        "file": f"{name}.csv", "table": name, "_landing": owner[name].landing_id}))
    read = read_ssd_frames(raw, source=source.name, codes=profile.codes)
    q = read.quarantine.assign(_landing=read.quarantine["file"].str.removesuffix(".csv").map(
        {n: o.landing_id for n, o in owner.items()}))
    q = pd.concat([q, *reader_bad], ignore_index=True)
    q["file"] = q["file"].str.removesuffix(".csv").map({n: shown(o.original_name) for n, o in owner.items()}).fillna(q["file"])
    keys = {o.landing_id: {n: _ssd_link(profile, n)} for n, o in owner.items() if _ssd_link(profile, n)}
    return _result(source, landed, read.tables, q, rows_in, keys, engine, text)


def _ssd_link(profile: Profile, raw_name: str) -> dict:
    link = profile.raw_tables.get(raw_name)
    if link is None:
        return {}
    if link.via is None:
        return {"children": link.column}
    return {"children": {"column": link.column, "via": link.via, "match": link.match, "person": link.person}}


def _result(source: Source, landed: list[landing.Landed], tables: dict[str, pd.DataFrame], q: pd.DataFrame,
            rows_in: dict[str, int], keys: dict[str, dict], engine: sa.Engine,
            text: dict[str, tuple]) -> IngestResult:
    per_file = lines_quarantined(q)
    files = []
    for item in landed:
        n = rows_in.get(item.landing_id, 0)
        quarantined = min(int(per_file.get(item.landing_id, 0)), n)
        removed = 0
        if item.purged_copy:  # rows in as delivered: the purged copy has lost the rows a plan removed
            delivered = _rows_delivered(source, item)
            n, removed = (delivered, max(delivered - n, 0)) if delivered is not None else (
                n + item.rows_purged, item.rows_purged)
        files.append(FileCount(item.landing_id, item.original_name, item.new, n, quarantined, removed,
                               item.purged_by))
        encoding, header_line = text.get(item.landing_id, (None, None))
        landing.record_read(engine, item, n, quarantined, encoding, header_line, keys.get(item.landing_id, {}),
                            removed)
    quarantine = q.assign(source=source.name).reindex(columns=QUARANTINE_COLUMNS)
    return IngestResult(source.name, {t: strip_lineage({t: f})[t].drop(columns=["_landing"], errors="ignore")
                                      for t, f in tables.items()}, quarantine, files)


def _rows_delivered(source: Source, item: landing.Landed) -> int | None:
    """Rows of the file as delivered (counted only, never mapped); None for a query result."""
    if item.delivered is None or not item.delivered.exists():
        return None
    profile = load_profile(source.profile)
    raw_name = Path(item.original_name).stem if source.kind == "sql" else None
    return sum(len(c.frame) + len(c.bad) for c in read_file(source.kind, item.delivered, profile,
                                                            encoding=source.encoding, raw_name=raw_name))


def combine(results: list[IngestResult]) -> dict[str, pd.DataFrame]:
    """Every source's canonical tables, one frame per canonical table (empty where no source gave it)."""
    out = {}
    for table in canonical.MODELS:
        frames = [r.tables[table] for r in results if table in r.tables and len(r.tables[table])]
        out[table] = pd.concat(frames, ignore_index=True) if frames else canonical.empty(table)
    return out


def read_unlanded(kind: str, paths: list[Path], profile: Profile, source: str) -> tuple[dict[str, pd.DataFrame],
                                                                                        pd.DataFrame]:
    """Map files of a mapped-layout profile without landing them (tools and tests): (tables, quarantine)."""
    mapper = Mapper(profile, source)
    for path in paths:
        for chunk in read_file(kind, path, profile):
            mapper.add(chunk, "")
    tables = {t: f.drop(columns=["_file", "_line", "_landing"]) for t, f in mapper.finish().items()}
    q = mapper.quarantined().assign(source=source).reindex(columns=QUARANTINE_COLUMNS)
    return tables, q
