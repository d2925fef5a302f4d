"""The SSD extract layout round trip, quarantine instead of loss, and the warehouse on SQLite and PostgreSQL."""

import pandas as pd
import pytest
import sqlalchemy as sa

from schemas import canonical
from statreturns import warehouse
from statreturns.generate import Config, generate
from statreturns.school import read_pupils, write_pupils
from statreturns.ssd import SsdReadError, read_ssd, strip_lineage, write_ssd


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    return {k: canonical.MODELS[k].validate(v) for k, v in generate(Config(children=250, seed=4)).items()}


def _same(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    key = list(a.columns)
    left = a.sort_values(key[:3]).reset_index(drop=True)
    right = b[key].sort_values(key[:3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False, obj=name)


def test_ssd_round_trip_keeps_every_table(tmp_path, tables):
    la_tables = {k: v for k, v in tables.items() if k != "school_pupils"}
    write_ssd(la_tables, tmp_path)
    read = read_ssd(tmp_path)
    assert read.quarantine.empty
    back = strip_lineage(read.tables)
    for name, frame in la_tables.items():
        if name == "oc2":  # OC2 is rebuilt per child from typed health rows: compare as a set of rows
            _same(frame.sort_values("child_id"), back[name], name)
            continue
        _same(frame, back[name], name)


def test_bad_rows_are_quarantined_with_file_and_line_not_lost(tmp_path, tables):
    write_ssd({k: v for k, v in tables.items() if k != "school_pupils"}, tmp_path)
    path = tmp_path / "ssd_cin_episodes.csv"
    raw = pd.read_csv(path, dtype="str")
    raw.loc[3, "cine_referral_date"] = "31/02/2025"
    raw.loc[5, "cine_person_id"] = None
    raw.loc[7, "cine_person_id"] = "NOT-A-KNOWN-PERSON"
    raw.to_csv(path, index=False)
    read = read_ssd(tmp_path)
    q = read.quarantine
    assert set(q["line"]) == {5, 7, 9}
    assert set(q["file"]) == {"ssd_cin_episodes.csv"}
    assert len(read.tables["cin_episodes"]) + len(q) == read.rows_in["ssd_cin_episodes"]
    # Reasons name the problem, never the value.
    assert not q["reason"].str.contains("31/02/2025|NOT-A-KNOWN", regex=True).any()


def test_unreadable_extract_fails_with_file_and_line(tmp_path, tables):
    write_ssd({k: v for k, v in tables.items() if k != "school_pupils"}, tmp_path)
    path = tmp_path / "ssd_person.csv"
    path.write_text(path.read_text() + 'X,"unterminated\n1,2,3,4,5,6,7,8,9,10,11,12,13,14\n')
    with pytest.raises(SsdReadError) as err:
        read_ssd(tmp_path)
    assert "ssd_person.csv" in str(err.value)


def test_school_extract_round_trip(tmp_path, tables):
    path = write_pupils(tables["school_pupils"], tmp_path / "pupils.csv")
    back, quarantine = read_pupils(path)
    assert quarantine.empty
    _same(tables["school_pupils"], back, "school_pupils")


def _round_trip(url: str, tables: dict[str, pd.DataFrame]) -> None:
    engine = warehouse.engine_for(url)
    try:
        counts = warehouse.write_tables(engine, tables)
        assert counts == {k: len(v) for k, v in tables.items()}
        back = warehouse.read_tables(engine, list(tables))
        for name, frame in tables.items():
            pd.testing.assert_frame_equal(frame.reset_index(drop=True), back[name][list(frame.columns)],
                                          check_dtype=False, obj=name)
            # An optional column the frame did not have (the roll's InCare, CareAuthority) comes back blank.
            assert back[name].drop(columns=list(frame.columns)).isna().all().all(), name
        # A second load replaces, never appends.
        warehouse.write_tables(engine, tables)
        with engine.connect() as conn:
            n = conn.execute(sa.text(f"select count(*) from {warehouse.PREFIX}children")).scalar_one()
        assert n == len(tables["children"])
    finally:
        with engine.begin() as conn:
            for name in tables:
                conn.execute(sa.text(f"drop table if exists {warehouse.PREFIX}{name}"))
        engine.dispose()


def test_warehouse_round_trip_sqlite(tmp_path, tables):
    _round_trip(warehouse.default_url(tmp_path), tables)


@pytest.mark.postgres
def test_warehouse_round_trip_postgres(postgres_url, tables):
    _round_trip(postgres_url, tables)
