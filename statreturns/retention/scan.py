"""Proof of disposal: search every byte under a run folder, and every table of a warehouse, for identifiers.

Used by the "nothing left behind" tests and by the DPO's check after a far-future purge: the identifiers
(person ids, pupil admission numbers, UPNs, postcodes, surnames) are read from the input extracts
themselves, never from the warehouse, so a record the pipeline lost track of is still searched for.

What is searched: each file's raw bytes (so SQLite files, Dagster's run storage and compute logs, free
pages of a database file included), the members of zip containers (XLSX, submission packs) and the
values of Parquet files (their pages are compressed), and on a server database every row of every
table in the warehouse's schema as text. A match is a whole token, case-insensitive; a postcode also
matches without its space. Results are counts by kind and the places they were found: never the
identifiers themselves, so the report can be printed or logged.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import sqlalchemy as sa

KINDS = ("id", "upn", "postcode", "surname")


@dataclass
class Identifiers:
    """Identifier values by kind (``id``, ``upn``, ``postcode``, ``surname``)."""

    values: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kind: str, values: Iterable[object]) -> None:
        clean = {str(v).strip() for v in values if v is not None and not pd.isna(v) and str(v).strip()}
        self.values.setdefault(kind, set()).update(clean)

    def total(self) -> int:
        return len(self.flat())

    def flat(self) -> dict[str, str]:
        """Normalised value (upper case, no spaces for postcodes) -> kind."""
        out: dict[str, str] = {}
        for kind in KINDS:
            for v in self.values.get(kind, ()):
                out.setdefault(_norm(v, kind), kind)
        return out


def _norm(value: str, kind: str) -> str:
    v = value.upper()
    return v.replace(" ", "") if kind == "postcode" else v


def from_extracts(ssd_folder: Path | None = None, pupils_csv: Path | None = None) -> Identifiers:
    """The identifiers of a Standard Safeguarding Dataset folder and a generic MIS pupil extract."""
    found = Identifiers()

    def read(path: Path) -> pd.DataFrame:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""]) if path.exists() \
            else pd.DataFrame()

    if ssd_folder is not None:
        person = read(ssd_folder / "ssd_person.csv")
        found.add("id", person.get("pers_person_id", []))
        found.add("surname", person.get("pers_surname", []))
        links = read(ssd_folder / "ssd_linked_identifiers.csv")
        if not links.empty:
            upn = links["link_identifier_type"].str.contains("pupil", case=False, na=False)
            found.add("upn", links.loc[upn, "link_identifier_value"])
        found.add("postcode", read(ssd_folder / "ssd_address.csv").get("addr_address_postcode", []))
        found.add("postcode", read(ssd_folder / "ssd_cla_placement.csv").get("clap_cla_placement_postcode", []))
    if pupils_csv is not None:
        pupils = read(pupils_csv)
        found.add("id", pupils.get("Adno", []))
        found.add("upn", pupils.get("UPN", []))
        found.add("surname", pupils.get("Legal Surname", []))
    return found


@dataclass
class Finding:
    where: str  # a file relative to the run folder (with ``!member`` inside a zip), or ``db:<table>``
    counts: dict[str, int]  # kind -> distinct identifiers found there


@dataclass
class ScanResult:
    searched: int  # identifiers searched for
    found: dict[str, set[str]] = field(default_factory=dict)  # kind -> normalised values found (not printed)
    places: list[Finding] = field(default_factory=list)
    files: int = 0
    tables: int = 0

    @property
    def left(self) -> int:
        return sum(len(v) for v in self.found.values())

    def by_kind(self) -> dict[str, int]:
        return {k: len(self.found.get(k, ())) for k in KINDS}

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {n}" for k, n in self.by_kind().items())
        return (f"{self.left} of {self.searched} identifiers found ({kinds}) in {len(self.places)} place(s); "
                f"searched {self.files} file(s) and {self.tables} database table(s)")


class _Matcher:
    def __init__(self, idents: Identifiers) -> None:
        self.kind = idents.flat()
        names = sorted(self.kind, key=len, reverse=True)
        # postcodes match with or without their space (and with several)
        alts = []
        for n in names:
            if self.kind[n] == "postcode" and len(n) > 3:
                alts.append(re.escape(n[:-3]) + r"\s*" + re.escape(n[-3:]))
            else:
                alts.append(re.escape(n))
        pattern = r"(?<![A-Za-z0-9])(?:" + "|".join(alts) + r")(?![A-Za-z0-9])" if alts else r"(?!x)x"
        self.text = re.compile(pattern, re.IGNORECASE)
        self.bytes = re.compile(pattern.encode("utf-8"), re.IGNORECASE)

    def hits(self, blob: bytes | str) -> dict[str, set[str]]:
        rx = self.bytes if isinstance(blob, bytes) else self.text
        out: dict[str, set[str]] = {}
        for m in set(rx.findall(blob)):
            text = m.decode("utf-8", "ignore") if isinstance(m, bytes) else m
            norm = text.upper()
            kind = self.kind.get(norm) or self.kind.get(re.sub(r"\s+", "", norm))
            if kind:
                out.setdefault(kind, set()).add(re.sub(r"\s+", "", norm) if kind == "postcode" else norm)
        return out


def _blobs(path: Path) -> Iterator[tuple[str, bytes | str]]:
    """The raw bytes of a file, and the decoded content of containers whose bytes are compressed."""
    data = path.read_bytes()
    yield "", data
    if data[:4] == b"PK\x03\x04":
        yield from _zip_blobs(data, "")
    if path.suffix.lower() == ".parquet" or data[:4] == b"PAR1":
        table = None
        with contextlib.suppress(Exception):  # not a readable Parquet file: its raw bytes were searched
            table = pq.read_table(io.BytesIO(data)).to_pandas().astype(str).to_csv(index=False)
        if table is not None:
            yield "", table
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        yield "", data.decode("utf-16", "ignore")


def _zip_blobs(data: bytes, prefix: str) -> Iterator[tuple[str, bytes | str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            for name in zf.namelist():
                inner = zf.read(name)
                yield f"{prefix}!{name}", inner
                if inner[:4] == b"PK\x03\x04":
                    yield from _zip_blobs(inner, f"{prefix}!{name}")
    except (zipfile.BadZipFile, OSError, RuntimeError):
        pass


def scan(idents: Identifiers, run_dir: Path | None = None, engine: sa.Engine | None = None,
         extra_dirs: Iterable[Path] = ()) -> ScanResult:
    """Search the run folder (and ``extra_dirs``, e.g. a Dagster home elsewhere) and the warehouse."""
    matcher = _Matcher(idents)
    result = ScanResult(searched=idents.total())

    def note(where: str, hits: dict[str, set[str]]) -> None:
        if hits:
            result.places.append(Finding(where, {k: len(v) for k, v in sorted(hits.items())}))
            for k, v in hits.items():
                result.found.setdefault(k, set()).update(v)

    for root in [p for p in (run_dir, *extra_dirs) if p is not None]:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file():
                continue
            result.files += 1
            rel = path.relative_to(root).as_posix()
            merged: dict[str, dict[str, set[str]]] = {}
            for member, blob in _blobs(path):
                for k, v in matcher.hits(blob).items():
                    merged.setdefault(rel + member, {}).setdefault(k, set()).update(v)
            for where, hits in merged.items():
                note(where, hits)
    if engine is not None and engine.dialect.name != "sqlite":
        # every table of every schema of the database: other LAs' schemas and the Dagster storage included
        insp = sa.inspect(engine)
        schemas = [n for n in insp.get_schema_names() if n not in ("information_schema", "pg_catalog")
                   and not n.startswith("pg_")]
        with engine.connect() as conn:
            for schema in sorted(schemas):
                for name in sorted(insp.get_table_names(schema=schema)):
                    result.tables += 1
                    rows = conn.execute(sa.text(f'SELECT t::text FROM "{schema}"."{name}" AS t')).scalars()
                    note(f"db:{schema}.{name}", matcher.hits("\n".join(rows)))
    elif engine is not None:
        # an SQLite warehouse is a file: searched byte by byte (free pages too) if it is not under run_dir
        db = engine.url.database
        if db and run_dir is not None and not Path(db).resolve().is_relative_to(run_dir.resolve()):
            path = Path(db)
            for suffix in ("", "-journal", "-wal", "-shm"):
                p = path.with_name(path.name + suffix)
                if p.exists():
                    result.files += 1
                    note(f"db:{p.name}", matcher.hits(p.read_bytes()))
    return result
