"""Mapping profiles: how one system's raw tables and columns become canonical tables.

Two layouts (see data/profiles/*.yaml for the shipped ones and /tmp/README_ingest.md for the format):

* ``layout: mapped`` - each canonical table names the raw tables it is read ``from`` (a glob on the file
  stem, sheet name or record element), its ``key`` column and, per canonical column, the raw header
  or a list of accepted headers (matched ignoring case, spaces and underscores). For SQL sources a
  ``query`` per table gives the rows.
* ``layout: ssd`` - the Standard Safeguarding Dataset tables (``ssd_person``, ``ssd_cla_episodes``, ...),
  mapped by :func:`statreturns.ssd.read_ssd_frames`; ``raw_tables`` lists each table's person column
  (or how to reach a person through another table) so landed copies can be purged per child.

``codes`` (``table.column: map``) maps local codes onto DfE codes; a map is a name from
data/profiles/codes.yaml, one defined under the profile's own ``maps``, or an inline mapping. A value
the map does not list is quarantined, unless the entry says ``{map: NAME, unknown: keep}``: then it
passes unchanged, for the DfE rules to report as a finding (a wrong code is a caseworker's fix, and
quarantining the child would hide the whole record from the return).
"""

from __future__ import annotations

import copy
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from schemas import canonical
from statreturns.ingest.errors import IngestError
from statreturns.reference import DATA_DIR

PROFILES_DIR = DATA_DIR / "profiles"
LAYOUTS = ("mapped", "ssd")
_PROFILE_KEYS = {"profile", "description", "layout", "extends", "tables", "raw_tables", "codes", "maps", "query",
                 "ignore"}
_TABLE_KEYS = {"from", "key", "columns", "query", "duplicates", "required"}
DUPLICATE_RULES = ("keep-last", "keep-all")
KEEP_UNKNOWN = "\0keep"  # marker entry in a code map: values it does not list pass through unchanged


def norm_header(name: object) -> str:
    """A header as matched: lower case, runs of spaces and underscores as one space, ``_x0020_`` decoded."""
    text = re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), str(name))
    return re.sub(r"[\s_]+", " ", text).strip().lower()


@dataclass(frozen=True)
class TableSpec:
    table: str  # canonical table
    sources: tuple[str, ...]  # globs on raw table names
    key: str  # canonical key column (child_id, pupil_id)
    columns: dict[str, tuple[str, ...]]  # canonical column -> accepted raw headers
    required: tuple[str, ...]
    duplicates: str
    query: str | None = None

    def reads(self, raw_name: str) -> bool:
        return any(fnmatch.fnmatch(raw_name.lower(), g.lower()) for g in self.sources)


@dataclass(frozen=True)
class PersonLink:
    """How rows of a raw table reach a person: directly (``column``) or through another raw table."""

    column: str
    via: str | None = None  # raw table holding `match` and `person`
    match: str | None = None
    person: str | None = None


@dataclass(frozen=True)
class Profile:
    name: str
    layout: str
    tables: dict[str, TableSpec] = field(default_factory=dict)  # mapped layout
    raw_tables: dict[str, PersonLink] = field(default_factory=dict)  # ssd layout
    codes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # table -> column -> map
    query: str | None = None  # ssd layout over SQL: a template with {table}
    ignore: dict[str, dict[str, str]] = field(default_factory=dict)  # raw table glob -> {key table: column}

    def ignored(self, raw_name: str) -> dict[str, str] | None:
        """Key columns of a raw table that is landed but deliberately not mapped (None if not ignored)."""
        for glob, keys in self.ignore.items():
            if fnmatch.fnmatch(raw_name.lower(), glob.lower()):
                return keys
        return None

    def known_headers(self) -> set[str]:
        """Every raw header the profile recognises (normalised): used to find the header row."""
        out = {norm_header(h) for spec in self.tables.values() for hs in spec.columns.values() for h in hs}
        out |= {norm_header(link.column) for link in self.raw_tables.values()}
        return out

    def key_columns(self, raw_name: str, headers: list[str]) -> dict[str, str]:
        """Canonical key table -> the raw column of ``raw_name`` holding that key (as spelt in ``headers``)."""
        by_norm = {norm_header(h): h for h in headers}
        if self.layout == "ssd":
            link = self.raw_tables.get(raw_name.lower())
            return {"children": link.column} if link and link.via is None and link.column in headers else {}
        out = {}
        for spec in self.tables.values():
            if spec.table in ("children", "school_pupils") and spec.reads(raw_name):
                found = [by_norm[norm_header(h)] for h in spec.columns.get(spec.key, ()) if norm_header(h) in by_norm]
                if found:
                    out[spec.table] = found[0]
        return out


def load_profile(name: str, base: Path | None = None) -> Profile:
    """A shipped profile by name, or a profile file by path; checked against the canonical model."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else PROFILES_DIR / f"{name}.yaml"
    if not path.is_absolute() and base is not None and not path.exists():
        path = base / path
    doc = _read(path)
    if "extends" in doc:
        parent = _read(PROFILES_DIR / f"{doc['extends']}.yaml")
        doc = {**parent, **{k: v for k, v in doc.items() if k != "extends"}}
    return _build(path.name, doc)


def code_maps() -> dict[str, dict[str, str]]:
    """The shipped code maps (data/profiles/codes.yaml)."""
    doc = _read(PROFILES_DIR / "codes.yaml")
    return {name: {str(k): str(v) for k, v in m.items()} for name, m in doc.get("maps", {}).items()}


_PARSED: dict[tuple[str, int, int], object] = {}  # (file, mtime, size) -> its YAML, parsed once per process


def _read(path: Path) -> dict:
    """The profile file's mapping (a copy: callers may change it). Each file is parsed once while it is
    unchanged: a run loads the same profiles and code maps a dozen times (settings check, the code
    location, each source), and PyYAML's pure-Python parser is the cost."""
    try:
        st = path.stat()
        key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
        if key not in _PARSED:
            with path.open(encoding="utf-8") as fh:
                _PARSED[key] = yaml.safe_load(fh)
        doc = copy.deepcopy(_PARSED[key])
    except FileNotFoundError:
        raise IngestError(path.name, "no such profile") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise IngestError(path.name, "not valid YAML", line=mark.line + 1 if mark else None) from None
    if not isinstance(doc, dict):
        raise IngestError(path.name, "a profile is a mapping")
    return doc


def _build(file: str, doc: dict) -> Profile:
    unknown = set(doc) - _PROFILE_KEYS
    if unknown:
        raise IngestError(file, f"unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    layout = doc.get("layout", "mapped")
    if layout not in LAYOUTS:
        raise IngestError(file, f"layout: unknown layout '{layout}' (one of {', '.join(LAYOUTS)})")
    tables = {t: _table(file, t, spec) for t, spec in (doc.get("tables") or {}).items()}
    if layout == "mapped" and not tables:
        raise IngestError(file, "tables: a mapped profile maps at least one canonical table")
    raw_tables = {str(t).lower(): _link(file, t, v) for t, v in (doc.get("raw_tables") or {}).items()}
    if layout == "ssd" and "ssd_person" not in raw_tables:
        raise IngestError(file, "raw_tables: an ssd profile lists ssd_person")
    maps = {**code_maps(), **{k: {str(a): str(b) for a, b in v.items()} for k, v in (doc.get("maps") or {}).items()}}
    codes: dict[str, dict[str, dict[str, str]]] = {}
    for target, ref in (doc.get("codes") or {}).items():
        table, _, column = str(target).partition(".")
        _check_column(file, f"codes.{target}", table, column)
        keep = False
        if isinstance(ref, dict) and set(ref) <= {"map", "unknown"} and "map" in ref:
            if ref.get("unknown", "quarantine") not in ("quarantine", "keep"):
                raise IngestError(file, f"codes.{target}.unknown: quarantine or keep")
            keep, ref = ref.get("unknown") == "keep", ref["map"]
        if isinstance(ref, dict):
            mapping = {str(a): str(b) for a, b in ref.items()}
        elif ref in maps:
            mapping = maps[ref]
        else:
            raise IngestError(file, f"codes.{target}: unknown code map '{ref}'")
        codes.setdefault(table, {})[column] = {**mapping, KEEP_UNKNOWN: "1"} if keep else mapping
    ignore = doc.get("ignore") or {}
    if not isinstance(ignore, dict) or not all(isinstance(v, dict) for v in ignore.values()):
        raise IngestError(file, "ignore: a mapping of raw table -> {key table: raw key column} (may be {})")
    return Profile(name=str(doc.get("profile", file)), layout=layout, tables=tables, raw_tables=raw_tables,
                   codes=codes, query=doc.get("query"), ignore={str(k): dict(v) for k, v in ignore.items()})


def _check_column(file: str, where: str, table: str, column: str) -> None:
    if table not in canonical.MODELS:
        raise IngestError(file, f"{where}: unknown canonical table '{table}'")
    if column not in canonical.columns(table):
        raise IngestError(file, f"{where}: '{column}' is not a column of canonical table {table}")


def _table(file: str, table: str, spec: object) -> TableSpec:
    where = f"tables.{table}"
    if table not in canonical.MODELS:
        raise IngestError(file, f"{where}: unknown canonical table '{table}'")
    if not isinstance(spec, dict) or not isinstance(spec.get("columns"), dict):
        raise IngestError(file, f"{where}: expected a mapping with 'columns'")
    unknown = set(spec) - _TABLE_KEYS
    if unknown:
        raise IngestError(file, f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    columns: dict[str, tuple[str, ...]] = {}
    for col, raw in spec["columns"].items():
        _check_column(file, f"{where}.columns.{col}", table, col)
        names = raw if isinstance(raw, list) else [raw]
        if not names or not all(isinstance(n, str | int) for n in names):
            raise IngestError(file, f"{where}.columns.{col}: a header or a list of headers")
        columns[col] = tuple(str(n) for n in names)
    key = spec.get("key", "pupil_id" if table == "school_pupils" else "child_id")
    required = tuple(spec.get("required", [key]))
    for col in (key, *required):
        if col not in columns:
            raise IngestError(file, f"{where}: key/required column '{col}' is not mapped")
    duplicates = spec.get("duplicates", "keep-last")
    if duplicates not in DUPLICATE_RULES:
        raise IngestError(file, f"{where}.duplicates: one of {', '.join(DUPLICATE_RULES)}")
    sources = spec.get("from", "*")
    sources = tuple(sources if isinstance(sources, list) else [sources])
    return TableSpec(table=table, sources=sources, key=key, columns=columns, required=required,
                     duplicates=duplicates, query=spec.get("query"))


def _link(file: str, table: object, value: object) -> PersonLink:
    if isinstance(value, str):
        return PersonLink(column=value)
    if isinstance(value, dict) and {"column", "via", "match", "person"} <= set(value):
        return PersonLink(column=str(value["column"]), via=str(value["via"]).lower(), match=str(value["match"]),
                          person=str(value["person"]))
    raise IngestError(file, f"raw_tables.{table}: a person column, or column/via/match/person")
