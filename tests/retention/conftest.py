"""Fixtures: a synthetic warehouse (SQLite or PostgreSQL) with derived files that hold the same records."""

import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from statreturns import warehouse
from statreturns.generate import Config, generate

KEY = "test-pseudonym-key-not-secret"


@dataclass
class World:
    url: str
    engine: sa.Engine = field(repr=False)
    run_dir: Path = field(repr=False)
    tables: dict[str, pd.DataFrame] = field(repr=False)


def pg_schema_url(base: str) -> tuple[str, str]:
    schema = f"rt_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{base}?options=-csearch_path%3D{schema}", schema


def drop_pg_schema(base: str, schema: str) -> None:
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / '356.sqlite'}"  # named for LA 356, as Settings resolves it
        return
    base = request.getfixturevalue("postgres_url")
    url, schema = pg_schema_url(base)
    yield url
    drop_pg_schema(base, schema)


def write_derived(run_dir: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Copies of the records where the pipeline puts them: Parquet, issues.csv, return XML, an XLSX, a zip."""
    parquet = run_dir / "tables" / "ssd_canonical"
    parquet.mkdir(parents=True, exist_ok=True)
    for name in ("children", "cin_episodes", "la_episodes"):
        tables[name].to_parquet(parquet / f"{name}.parquet", index=False)
    (run_dir / "tables" / "school_pupils").mkdir(parents=True, exist_ok=True)
    tables["school_pupils"].to_parquet(run_dir / "tables" / "school_pupils" / "__frame__.parquet", index=False)
    out = run_dir / "outputs" / "2026" / "356"
    out.mkdir(parents=True, exist_ok=True)
    kids = tables["children"]
    issues = pd.DataFrame({"return": "cin", "year": "2026", "rule_code": "8500", "severity": "error",
                           "table": "ChildIdentifiers", "field": "UPN", "child_id": kids["child_id"],
                           "row": range(len(kids)), "message": "synthetic finding"})
    issues.to_csv(out / "issues.csv", index=False)
    ids = kids["child_id"].tolist()
    (out / "cin_census.xml").write_text("<Message>" + "".join(
        f"<Child><LAchildID>{i}</LAchildID></Child>" for i in ids[:5]) + "</Message>", encoding="utf-8")
    (out / "report.html").write_text(f"<p>{ids[-1]}</p>", encoding="utf-8")
    issues.head(10).to_excel(out / "issues.xlsx", index=False)
    with zipfile.ZipFile(out / "submission_pack.zip", "w") as zf:
        zf.writestr("cin.xml", (out / "cin_census.xml").read_text(encoding="utf-8"))
    photos = run_dir / "photos"
    photos.mkdir(exist_ok=True)
    for p in tables["school_pupils"]["photo_file"].dropna():
        (run_dir / p).write_bytes(b"synthetic photo")


def build_world(url: str, run_dir: Path, children: int = 120, seed: int = 11) -> World:
    tables = generate(Config(children=children, seed=seed))
    engine = warehouse.engine_for(url)
    warehouse.write_tables(engine, tables)
    write_derived(run_dir, tables)
    return World(url, engine, run_dir, tables)


@pytest.fixture
def world(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("STATRETURNS_PSEUDONYM_KEY", KEY)
    w = build_world(db_url, tmp_path / "run")
    yield w
    w.engine.dispose()


def snapshot(engine: sa.Engine, prefix: str = "canonical_") -> dict[str, list]:
    """Every canonical table's rows, sorted, as text: for before/after comparisons."""
    out = {}
    insp = sa.inspect(engine)
    with engine.connect() as conn:
        for name in sorted(insp.get_table_names()):
            if name.startswith(prefix):
                rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).fetchall()
                out[name] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def all_text(engine: sa.Engine, run_dir: Path) -> str:
    """Every value in the warehouse and every file under the run folder, as one string.

    Plan folders are left out: apply blanks the keys of what it destroyed there (tested separately).
    """
    parts = ["\n".join(" ".join(r) for r in rows) for rows in snapshot(engine, prefix="").values()]
    for path in run_dir.rglob("*"):
        if not path.is_file() or path.relative_to(run_dir).parts[:2] == ("retention", "plans"):
            continue
        if path.suffix == ".parquet":
            parts.append(pd.read_parquet(path).astype(str).to_csv())
        elif path.suffix in (".xlsx", ".zip"):
            with zipfile.ZipFile(path) as zf:
                parts.extend(zf.read(n).decode("utf-8", "ignore") for n in zf.namelist())
        else:
            parts.append(path.read_bytes().decode("utf-8", "ignore"))
    return "\n".join(parts)
