"""The sources file: which extracts a deployment reads, where they are and how to map them.

```yaml
sources:
  - name: council_ssd            # letters, digits, _ and -; unique
    kind: csv                    # csv | xlsx | sims-xml | ctf | sql | cin-xml | ssda903
    location: ../demo/ssd        # a file or folder, relative to this YAML file
    profile: ssd-csv             # a shipped profile (data/profiles/<name>.yaml) or a path to one
    pattern: "*.csv"             # optional: which files of a folder to read (default per kind)
    encoding: windows-1252       # optional: skip sniffing (csv only)
    limits:                      # optional: per-file limits (statreturns.ingest.limits, defaults there)
      max_file_bytes: 2 GiB
      max_field_chars: 32767
  - name: warehouse
    kind: sql
    url_env: SSD_DATABASE_URL    # the SQLAlchemy URL is read from this variable (never put passwords here)
    profile: ssd-sql
    schema: ssd                  # optional: the database schema holding the tables
```
Anything unknown (a kind, a key, a profile's table or column) is an error naming the file and the key.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from statreturns.ingest.errors import IngestError
from statreturns.ingest.limits import DEFAULT, Limits, parse_limits

KINDS = ("csv", "xlsx", "sims-xml", "ctf", "sql", "cin-xml", "ssda903")
DEFAULT_PATTERN = {"csv": "*.csv", "xlsx": "*.xlsx", "sims-xml": "*.xml", "ctf": "*.xml", "cin-xml": "*.xml",
                   "ssda903": "*.csv"}
_KEYS = {"name", "kind", "location", "profile", "pattern", "encoding", "url", "url_env", "schema", "description", "limits"}
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class Source:
    name: str
    kind: str
    profile: str  # a shipped profile name or an absolute path
    location: Path | None = None
    pattern: str | None = None
    encoding: str | None = None
    url: str | None = None
    url_env: str | None = None
    schema: str | None = None
    options: dict = field(default_factory=dict)
    limits: Limits = DEFAULT

    def database_url(self) -> str:
        """The SQL source's URL (from the environment when ``url_env`` is set); an error if there is none."""
        url = os.environ.get(self.url_env, "") if self.url_env else (self.url or "")
        if not url:
            where = f"environment variable {self.url_env}" if self.url_env else "url"
            raise IngestError(f"source {self.name}", f"no database URL ({where} is empty)")
        return url

    def for_partition(self, la: str, year: int) -> Source:
        """This source with ``{la}`` and ``{year}`` in its location filled in (a hub keeps a folder per LA)."""
        if self.location is None:
            return self
        filled = str(self.location).replace("{la}", la).replace("{year}", str(year))
        return dataclasses.replace(self, location=Path(filled))

    def files(self) -> list[Path]:
        """The files this source reads now: the location itself, or the folder's files matching the pattern."""
        assert self.location is not None
        if self.location.is_file():
            return [self.location]
        if not self.location.is_dir():
            raise IngestError(str(self.location), f"source {self.name}: no such file or folder")
        pattern = self.pattern or DEFAULT_PATTERN[self.kind]
        return sorted(p for p in self.location.glob(pattern) if p.is_file() and not p.name.startswith("."))


def load_sources(path: Path) -> list[Source]:
    """Read and check a sources YAML file."""
    from statreturns.ingest.profiles import load_profile

    doc = _load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("sources"), list) or not doc["sources"]:
        raise IngestError(path.name, "expected a mapping with a non-empty 'sources' list")
    unknown = set(doc) - {"sources", "description", "version", "ofsted_lists"}
    if unknown:
        raise IngestError(path.name, f"unknown key(s): {', '.join(sorted(unknown))}")
    sources: list[Source] = []
    for i, entry in enumerate(doc["sources"]):
        source = _source(path, i, entry)
        if source.name in {s.name for s in sources}:
            raise IngestError(path.name, f"sources[{i}].name: '{source.name}' is used twice")
        load_profile(source.profile, base=path.parent)  # checks the profile now, not mid-run
        sources.append(source)
    return sources


def ofsted_lists(path: Path, la: str | None = None, year: int | None = None) -> list[Path]:
    """The Ofsted provider-list workbooks a sources file names under ``ofsted_lists`` (paths relative to
    it; ``{la}`` and ``{year}`` filled in when given), for the SSDA903 rules that compare URNs."""
    doc = _load_yaml(path)
    entries = doc.get("ofsted_lists") if isinstance(doc, dict) else None
    if entries is None:
        return []
    if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
        raise IngestError(path.name, "ofsted_lists: expected a list of workbook paths")
    out = []
    for entry in entries:
        filled = entry.replace("{la}", la or "{la}").replace("{year}", str(year) if year else "{year}")
        out.append((path.parent / filled).resolve())
    return out


def _source(path: Path, i: int, entry: object) -> Source:
    where = f"sources[{i}]"
    if not isinstance(entry, dict):
        raise IngestError(path.name, f"{where}: expected a mapping")
    unknown = set(entry) - _KEYS
    if unknown:
        raise IngestError(path.name, f"{where}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    for key in ("name", "kind", "profile"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise IngestError(path.name, f"{where}.{key}: required (a string)")
    name, kind = entry["name"], entry["kind"]
    if not _NAME.match(name):
        raise IngestError(path.name, f"{where}.name: use letters, digits, _ and - only")
    if kind not in KINDS:
        raise IngestError(path.name, f"{where}.kind: unknown kind '{kind}' (one of {', '.join(KINDS)})")
    if kind == "sql":
        if not (entry.get("url") or entry.get("url_env")):
            raise IngestError(path.name, f"{where}: a sql source needs url or url_env")
        location = None
    else:
        if not isinstance(entry.get("location"), str):
            raise IngestError(path.name, f"{where}.location: required for kind {kind}")
        location = (path.parent / entry["location"]).resolve()
    limits, problem = parse_limits(entry.get("limits"), f"{where}.limits")
    if problem:
        raise IngestError(path.name, problem)
    profile = entry["profile"]
    if profile.endswith((".yaml", ".yml")):
        profile = str((path.parent / profile).resolve())
    return Source(name=name, kind=kind, profile=profile, location=location, pattern=entry.get("pattern"),
                  encoding=entry.get("encoding"), url=entry.get("url"), url_env=entry.get("url_env"),
                  schema=entry.get("schema"), limits=limits)


def _load_yaml(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh)
    except FileNotFoundError:
        raise IngestError(path.name, "no such file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise IngestError(path.name, "not valid YAML", line=mark.line + 1 if mark else None) from None
