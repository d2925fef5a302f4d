"""Sources: the SSD layout from a CSV folder and from SQL (SQLite, PostgreSQL) through one mapping; the
peers' sample returns; the sources file and profile checks."""

import uuid
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from statreturns.ingest import landing
from statreturns.ingest.config import load_sources
from statreturns.ingest.errors import IngestError
from statreturns.ingest.profiles import load_profile
from statreturns.ingest.run import ingest_source
from statreturns.ssd import read_ssd, strip_lineage
from tests.ingest.conftest import LANDED_AT, balanced, source

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
REPO = Path(__file__).resolve().parents[2]


def test_ssd_csv_source_matches_the_ssd_reader(tmp_path, ssd_folder, engine):
    result = ingest_source(source("council", "csv", ssd_folder, "ssd-csv"), tmp_path / "run", engine, LANDED_AT)
    direct = strip_lineage(read_ssd(ssd_folder).tables)
    for name, frame in direct.items():
        pd.testing.assert_frame_equal(result.tables[name].reset_index(drop=True), frame.reset_index(drop=True),
                                      check_dtype=False, obj=name)
    assert balanced(result) and result.counts()["files"] == len(list(ssd_folder.glob("*.csv")))


def _load_ssd_into(url: str, folder: Path, schema: str | None) -> None:
    db = sa.create_engine(url)
    with db.begin() as conn:
        if schema:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        for path in sorted(folder.glob("ssd_*.csv")):
            frame = pd.read_csv(path, dtype="str", keep_default_na=False, na_values=[""])
            # dates as real DATE columns, as in a council's database
            for col in [c for c in frame.columns if c.endswith("_date") or c.endswith("_dob")]:
                parsed = pd.to_datetime(frame[col], format="%Y-%m-%d", errors="coerce")
                if parsed.notna().sum() == frame[col].notna().sum():  # not DATE_PERM's ZZ/ZZ/yyyy
                    frame[col] = parsed.dt.date
            frame.to_sql(path.stem, conn, schema=schema, index=False)
    db.dispose()


def _sql_matches_csv(tmp_path, ssd_folder, engine, url, schema):
    _load_ssd_into(url, ssd_folder, schema)
    sql_src = source("council_db", "sql", None, "ssd-sql", url=url, schema=schema)
    from_sql = ingest_source(sql_src, tmp_path / "run", engine, LANDED_AT)
    from_csv = ingest_source(source("council", "csv", ssd_folder, "ssd-csv"), tmp_path / "run", engine, LANDED_AT)
    for name, frame in from_csv.tables.items():
        pd.testing.assert_frame_equal(from_sql.tables[name], frame, check_dtype=False, obj=name)
    assert balanced(from_sql) and from_sql.counts()["rows_in"] == from_csv.counts()["rows_in"]
    again = ingest_source(sql_src, tmp_path / "run", engine, LANDED_AT)  # same rows: nothing new landed
    assert again.counts()["files_new"] == 0
    # query results are landed as files, so retention can purge them like any extract
    child = from_sql.tables["children"]["child_id"].iloc[0]
    sql_ids = {f.landing_id for f in from_sql.files}
    assert sql_ids & set(landing.landed_rows(engine, tmp_path / "run", "children", child))
    removed = landing.remove_children(engine, tmp_path / "run", {"children": {child}})
    assert sql_ids & set(removed)


def test_ssd_sql_source_on_sqlite(tmp_path, ssd_folder, engine):
    _sql_matches_csv(tmp_path, ssd_folder, engine, f"sqlite:///{tmp_path / 'council.sqlite'}", None)


def test_ssd_sql_source_on_postgresql(tmp_path, ssd_folder, engine, postgres_url):
    schema = f"ingest_{uuid.uuid4().hex[:10]}"
    try:
        _sql_matches_csv(tmp_path, ssd_folder, engine, postgres_url, schema)
    finally:
        db = sa.create_engine(postgres_url)
        with db.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        db.dispose()


def test_sql_failure_names_the_query_not_the_data(tmp_path, engine):
    db_url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    sa.create_engine(db_url).connect().close()
    with pytest.raises(IngestError, match="source db: the database has no ssd_person table"):
        ingest_source(source("db", "sql", None, "ssd-sql", url=db_url), tmp_path / "run", engine, LANDED_AT)


def test_peer_sample_ssda903_set(tmp_path, engine):
    result = ingest_source(source("903", "ssda903", SAMPLES / "ssda903", "ssda903"), tmp_path / "run", engine,
                           LANDED_AT)
    header = pd.read_csv(SAMPLES / "ssda903" / "header.csv", dtype="str")
    assert len(result.tables["children"]) + (result.quarantine["table"] == "children").sum() == len(header)
    assert set(result.tables["children"]["Sex"].dropna()) <= {"M", "F"}
    assert len(result.tables["la_episodes"]) > 0 and balanced(result)


@pytest.mark.parametrize("name", ["CIN_Census_2021.xml", "CIN_Census_2024.xml", "fake_CIN_data.xml"])
def test_peer_sample_cin_xml(tmp_path, engine, name):
    result = ingest_source(source("cin", "cin-xml", SAMPLES / "cin" / name, "cin-xml"), tmp_path / "run", engine,
                           LANDED_AT)
    children_q = (result.quarantine["table"] == "children").sum()  # CIN_Census_2021 has a birth date in 1066
    assert len(result.tables["children"]) + children_q > 0 and len(result.tables["cin_episodes"]) > 0
    assert balanced(result)


def test_demo_sources_file_loads():
    sources = load_sources(REPO / "data" / "sources" / "demo.yaml")
    assert [(s.name, s.kind) for s in sources] == [("council_ssd", "csv"), ("school_pupils", "csv")]
    assert all(s.location.exists() for s in sources)


@pytest.mark.parametrize(("body", "message"), [
    ("sources:\n  - {name: a, kind: csvx, location: x, profile: ssd-csv}\n", r"sources\[0\].kind: unknown kind 'csvx'"),
    ("sources:\n  - {name: a, kind: csv, location: x, profile: ssd-csv, colour: red}\n",
     r"sources\[0\]: unknown key\(s\): colour"),
    ("sources:\n  - {name: a, kind: sql, profile: ssd-sql}\n", "a sql source needs url or url_env"),
    ("sources:\n  - {name: a, kind: csv, location: x, profile: nosuch}\n", "nosuch.yaml: no such profile"),
    ("sources: [\n", r"line \d+: not valid YAML"),
])
def test_bad_sources_file_names_file_and_key(tmp_path, body, message):
    path = tmp_path / "sources.yaml"
    path.write_text(body)
    with pytest.raises(IngestError, match=message):
        load_sources(path)


@pytest.mark.parametrize(("body", "message"), [
    ("tables:\n  pupils:\n    columns: {pupil_id: Adno}\n", "tables.pupils: unknown canonical table 'pupils'"),
    ("tables:\n  school_pupils:\n    columns: {pupil_id: Adno, shoe_size: Shoes}\n",
     "tables.school_pupils.columns.shoe_size: 'shoe_size' is not a column of canonical table school_pupils"),
    ("tables:\n  school_pupils:\n    columns: {UPN: UPN}\n", "key/required column 'pupil_id' is not mapped"),
    ("tables:\n  school_pupils:\n    columns: {pupil_id: Adno}\ncodes:\n  school_pupils.Sex: nosuchmap\n",
     "codes.school_pupils.Sex: unknown code map 'nosuchmap'"),
    ("layout: flat\n", "layout: unknown layout 'flat'"),
])
def test_bad_profile_names_file_and_key(tmp_path, body, message):
    path = tmp_path / "mine.yaml"
    path.write_text(body)
    with pytest.raises(IngestError, match=message):
        load_profile(str(path))


def test_a_user_profile_and_inline_code_map(tmp_path):
    profile = tmp_path / "bromcom.yaml"
    profile.write_text("tables:\n  school_pupils:\n    columns: {pupil_id: Student ID, Sex: Gender Code}\n"
                       "codes:\n  school_pupils.Sex: {B: M, G: F}\n")
    data = tmp_path / "export.csv"
    data.write_text("Student ID,Gender Code\nS1,B\nS2,G\nS3,X\n")
    sources = tmp_path / "sources.yaml"
    sources.write_text("sources:\n  - {name: bromcom, kind: csv, location: export.csv, profile: bromcom.yaml}\n")
    (src,) = load_sources(sources)
    from statreturns.ingest.run import read_unlanded

    tables, q = read_unlanded(src.kind, src.files(), load_profile(src.profile), src.name)
    assert tables["school_pupils"]["Sex"].tolist() == ["M", "F"]
    assert q[["line", "reason"]].values.tolist() == [[4, "unknown_code:Sex"]]


def test_ssd_folder_without_person_table_fails_and_stray_files_are_quarantined(tmp_path, ssd_folder, engine):
    (ssd_folder / "notes.csv").write_text("pers_person_id,comment\nP1,x\nP2,y\n")
    result = ingest_source(source("council", "csv", ssd_folder, "ssd-csv"), tmp_path / "run", engine, LANDED_AT)
    stray = result.quarantine.loc[result.quarantine["file"] == "notes.csv"]
    assert stray[["line", "reason"]].values.tolist() == [[2, "no_table_for_rows"], [3, "no_table_for_rows"]]
    assert balanced(result)
    (ssd_folder / "ssd_person.csv").unlink()
    with pytest.raises(IngestError, match="source council: no ssd_person table in the extract"):
        ingest_source(source("council", "csv", ssd_folder, "ssd-csv"), tmp_path / "run", engine, LANDED_AT)
