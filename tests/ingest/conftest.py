"""Shared fixtures: synthetic extracts from the project's generator (never real data)."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from schemas import canonical
from statreturns.generate import Config, generate
from statreturns.ingest.config import Source
from statreturns.school import write_pupils
from statreturns.ssd import write_ssd

LANDED_AT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def tables() -> dict[str, pd.DataFrame]:
    return {k: canonical.MODELS[k].validate(v) for k, v in generate(Config(children=120, seed=7)).items()}


@pytest.fixture()
def ssd_folder(tmp_path, tables) -> Path:
    folder = tmp_path / "ssd"
    write_ssd({k: v for k, v in tables.items() if k != "school_pupils"}, folder)
    return folder


@pytest.fixture()
def pupils_csv(tmp_path, tables) -> Path:
    return write_pupils(tables["school_pupils"], tmp_path / "school" / "pupils.csv")


@pytest.fixture()
def engine(tmp_path):
    eng = sa.create_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    yield eng
    eng.dispose()


def source(name: str, kind: str, location: Path | None, profile: str, **kw) -> Source:
    return Source(name=name, kind=kind, profile=profile, location=location, **kw)


def balanced(result) -> bool:
    """rows in = rows landed + rows quarantined, per file and in total, and the quarantine agrees."""
    c = result.counts()
    files_ok = all(f.rows_in == f.rows_landed + f.rows_quarantined for f in result.files)
    q = result.quarantine.drop_duplicates(["file", "line"])
    return files_ok and c["rows_in"] == c["rows_landed"] + c["rows_quarantined"] and len(q) == c["rows_quarantined"]
