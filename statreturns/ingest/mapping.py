"""The mapped layout: raw chunks -> canonical tables, row by row accounted for.

Per chunk: columns are picked by the profile's accepted headers, identifiers trimmed and upper-cased,
codes mapped, dates and yes/no items parsed; a row missing its key or holding a value that cannot be
read is quarantined with its line and reason. Per table, once all chunks are in: the duplicate rule
(:func:`normalise.superseded`) and the canonical pandera model; what fails either is quarantined too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from schemas import canonical
from statreturns.ingest import normalise
from statreturns.ingest.checked import check
from statreturns.ingest.errors import IngestError
from statreturns.ingest.profiles import Profile, TableSpec, norm_header
from statreturns.ingest.raw import RawChunk

LINEAGE = ["_file", "_line", "_landing"]


def _dtype_columns(table: str, kind: str) -> list[str]:
    cols = canonical.MODELS[table].to_schema().columns
    if kind == "date":
        return [c for c, col in cols.items() if "datetime" in str(col.dtype)]
    return [c for c, col in cols.items() if str(col.dtype) == "boolean"]


def _unique_columns(table: str) -> list[str]:
    return [c for c, col in canonical.MODELS[table].to_schema().columns.items() if col.unique]


@dataclass
class Mapper:
    profile: Profile
    source: str
    parts: dict[str, list[pd.DataFrame]] = field(default_factory=dict)
    quarantine: list[pd.DataFrame] = field(default_factory=list)  # file, line, table, reason, _landing

    def add(self, chunk: RawChunk, landing_id: str) -> dict[str, str]:
        """Map one chunk; returns {canonical key table: raw key column} for the landing register."""
        self._bad(chunk, landing_id)
        specs = [s for s in self.profile.tables.values() if s.reads(chunk.raw_name) or s.table == chunk.raw_name]
        if not specs:
            ignored = self.profile.ignored(chunk.raw_name)
            if ignored is None:
                self._reject(chunk, landing_id, "no_table_for_rows", "")
                return {}
            return ignored
        keys = {}
        for spec in specs:
            picked = self._pick(spec, chunk)
            if spec.table in ("children", "school_pupils") and spec.key in picked:  # no key column: no rows
                keys[spec.table] = picked[spec.key][0]
            self._map(spec, chunk, picked, landing_id)
        return keys

    def _pick(self, spec: TableSpec, chunk: RawChunk) -> dict[str, list[str]]:
        """Canonical column -> the raw columns present that may hold it, in the profile's order."""
        by_norm = {norm_header(c): c for c in chunk.frame.columns}
        picked = {}
        for col, names in spec.columns.items():
            found = list(dict.fromkeys(by_norm[norm_header(n)] for n in names if norm_header(n) in by_norm))
            if found:
                picked[col] = found
            elif col in spec.required and len(chunk.frame):
                raise IngestError(chunk.file, f"column missing: none of {', '.join(names)} (for {spec.table}.{col})")
        return picked

    def _map(self, spec: TableSpec, chunk: RawChunk, picked: dict[str, list[str]], landing_id: str) -> None:
        raw = chunk.frame
        # several accepted headers present (CTF Sex in new files, Gender in old): the first non-blank wins
        out = pd.DataFrame({col: _coalesce(raw, names) for col, names in picked.items()}, index=raw.index)
        out = out.reindex(columns=list(spec.columns), fill_value=None)
        bad = pd.Series("", index=raw.index, dtype="object")
        for col in out.columns:
            out[col] = normalise.ids(out[col]) if col in normalise.ID_COLUMNS else normalise.text(out[col])
        for col in spec.required:
            bad = bad.mask(out[col].isna(), bad + f"missing_key:{col};")
        for col, mapping in self.profile.codes.get(spec.table, {}).items():
            if col in out.columns:
                out[col], unknown = normalise.map_codes(out[col], mapping)
                bad = bad.mask(unknown, bad + f"unknown_code:{col};")
        for col in _dtype_columns(spec.table, "date"):
            if col in out.columns:
                out[col], invalid = normalise.parse_dates(out[col])
                bad = bad.mask(invalid, bad + f"bad_date:{col};")
        for col in _dtype_columns(spec.table, "bool"):
            if col in out.columns:
                out[col], invalid = normalise.parse_flags(out[col])
                bad = bad.mask(invalid, bad + f"bad_flag:{col};")
        failed = (bad != "").to_numpy()
        out = out.assign(_file=chunk.file, _line=chunk.lines, _landing=landing_id)
        if failed.any():
            self._quarantine(out.loc[failed], spec.table, bad[failed].str.rstrip(";"))
        self.parts.setdefault(spec.table, []).append(out.loc[~failed])

    def _bad(self, chunk: RawChunk, landing_id: str) -> None:
        if len(chunk.bad):
            self.quarantine.append(pd.DataFrame({
                "file": chunk.file, "line": chunk.bad["line"].to_numpy(), "table": chunk.raw_name,
                "reason": chunk.bad["reason"].to_numpy(), "_landing": landing_id}))

    def _reject(self, chunk: RawChunk, landing_id: str, reason: str, table: str) -> None:
        if len(chunk.frame):
            self.quarantine.append(pd.DataFrame({"file": chunk.file, "line": chunk.lines, "table": table or
                                                 chunk.raw_name, "reason": reason, "_landing": landing_id}))

    def _quarantine(self, rows: pd.DataFrame, table: str, reasons: pd.Series | str) -> None:
        self.quarantine.append(pd.DataFrame({
            "file": rows["_file"].to_numpy(), "line": rows["_line"].to_numpy(), "table": table,
            "reason": reasons.to_numpy() if isinstance(reasons, pd.Series) else reasons,
            "_landing": rows["_landing"].to_numpy()}))

    def finish(self) -> dict[str, pd.DataFrame]:
        """Canonical tables (with lineage columns) after the duplicate rule and the canonical model."""
        out = {}
        for table, parts in self.parts.items():
            frame = pd.concat(parts, ignore_index=True) if parts else canonical.empty(table)
            unique = [c for c in _unique_columns(table) if c in frame.columns]
            if unique and self.profile.tables[table].duplicates == "keep-last":
                for col in unique:
                    old = normalise.superseded(frame, [col])
                    if old.any():
                        self._quarantine(frame.loc[old], table, f"duplicate_superseded:{col}")
                        frame = frame.loc[~old].reset_index(drop=True)
            checked = check(canonical.MODELS[table], frame.drop(columns=LINEAGE), table)
            if len(checked.quarantined):
                rows = frame.loc[checked.quarantined.index]
                self._quarantine(rows, table, checked.quarantined["reason"].astype("str"))
            lineage = frame.loc[checked.valid.index, LINEAGE]
            out[table] = checked.valid.assign(**{c: lineage[c].to_numpy() for c in LINEAGE}).reset_index(drop=True)
        return out

    def quarantined(self) -> pd.DataFrame:
        cols = ["file", "line", "table", "reason", "_landing"]
        if not self.quarantine:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
        q = pd.concat(self.quarantine, ignore_index=True)[cols]
        return q.assign(line=pd.array(q["line"].to_numpy(dtype="float64"), dtype="Int64"))


def _coalesce(raw: pd.DataFrame, names: list[str]) -> pd.Series:
    out = normalise.text(raw[names[0]])
    for name in names[1:]:
        out = out.where(out.notna(), normalise.text(raw[name]))
    return out


def lines_quarantined(q: pd.DataFrame) -> pd.Series:
    """Distinct quarantined rows per landing_id (a row failing in two tables counts once)."""
    if q.empty:
        return pd.Series(dtype="int64")
    return q.drop_duplicates(["_landing", "file", "line"]).groupby("_landing").size()


