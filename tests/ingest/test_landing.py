"""Landing: immutable checksummed copies, idempotent re-landing, purging children, subject access."""

import os
import stat

import pandas as pd

from statreturns.files import sha256
from statreturns.ingest import landing
from statreturns.ingest.run import ingest_source
from tests.ingest.conftest import LANDED_AT, source
from tests.ingest.test_xml_and_xlsx import CTF


def test_landing_is_recorded_once_and_read_only(tmp_path, pupils_csv, engine):
    run = tmp_path / "run"
    src = source("school", "csv", pupils_csv, "generic-mis")
    first = ingest_source(src, run, engine, LANDED_AT)
    again = ingest_source(src, run, engine, LANDED_AT)
    reg = landing.register(engine)
    assert len(reg) == 1 and first.files[0].new and not again.files[0].new
    row = reg.iloc[0]
    assert row["landing_id"] == sha256(pupils_csv) == row["sha256"]
    assert row["stored_path"] == f"landing/school/{row['landing_id']}/pupils.csv"
    copy = run / row["stored_path"]
    assert copy.read_bytes() == pupils_csv.read_bytes()
    assert not copy.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert (row["size_bytes"], row["landed_at"], row["status"]) == (copy.stat().st_size, "2026-04-01T09:00:00+00:00",
                                                                     "landed")
    assert row["rows_in"] == row["rows_landed"] + row["rows_quarantined"] == first.counts()["rows_in"]
    assert [p.name for p in (run / "landing" / "school").iterdir()] == [row["landing_id"]]  # no temp files left
    pupils_csv.write_text(pupils_csv.read_text() + "\n")  # changed content lands as a new copy
    ingest_source(src, run, engine, LANDED_AT)
    assert len(landing.register(engine)) == 2


def test_remove_children_rewrites_text_copies_and_follows_links(tmp_path, ssd_folder, engine, tables):
    run = tmp_path / "run"
    ingest_source(source("council", "csv", ssd_folder, "ssd-csv"), run, engine, LANDED_AT)
    looked_after = tables["la_episodes"]["child_id"].iloc[0]
    a = tables["assessments"]
    assessed = a.loc[a["child_id"] != looked_after, "child_id"].iloc[0]  # two different children
    before = landing.register(engine).set_index("original_name")
    sar = landing.landed_rows(engine, run, "children", looked_after)
    assert {before.loc[n, "landing_id"] for n in ("ssd_person.csv", "ssd_cla_episodes.csv", "ssd_cla_reviews.csv")
            } <= set(sar)
    assert all(len(frame) for frame in sar.values())
    removed = landing.remove_children(engine, run, {"children": {looked_after, assessed}})
    after = landing.register(engine).set_index("original_name")
    person = pd.read_csv(run / after.loc["ssd_person.csv", "stored_path"], dtype="str")
    assert not person["pers_person_id"].isin([looked_after, assessed]).any()
    assert removed[before.loc["ssd_person.csv", "landing_id"]] == 2
    for name in ("ssd_cla_reviews.csv", "ssd_assessment_factors.csv"):  # no person column: reached by link
        assert removed.get(before.loc[name, "landing_id"], 0) > 0, name
    changed = after.loc["ssd_person.csv"]
    assert changed["sha256"] != changed["landing_id"] and changed["rows_purged"] == 2
    assert changed["sha256"] == sha256(run / changed["stored_path"])
    assert changed["size_bytes"] == os.path.getsize(run / changed["stored_path"])
    assert landing.landed_rows(engine, run, "children", looked_after) == {}
    assert landing.remove_children(engine, run, {"children": {looked_after}}) == {}  # nothing left to remove


def test_xml_copies_are_withdrawn_not_rewritten(tmp_path, engine):
    run = tmp_path / "run"
    path = tmp_path / "transfer.xml"
    path.write_text(CTF, encoding="utf-8")
    ingest_source(source("ctf", "ctf", path, "ctf"), run, engine, LANDED_AT)
    sar = landing.landed_rows(engine, run, "school_pupils", "h123456789012 ")
    assert sorted(k.split(":")[1] for k in sar) == ["Pupil", "SENhistory", "SchoolHistory"]
    (landing_id,) = landing.register(engine)["landing_id"]
    assert landing.remove_children(engine, run, {"school_pupils": {"H123456789012"}}) == {landing_id: 5}
    row = landing.register(engine).iloc[0]
    assert row["status"] == "withdrawn" and not (run / row["stored_path"]).exists()
    assert landing.landed_rows(engine, run, "school_pupils", "H123456789012") == {}


def test_register_records_the_encoding_and_header_line_read(tmp_path, engine):
    path = tmp_path / "pupils.csv"
    path.write_bytes("Pupil report\n\nAdno,Legal Surname\nA1,Zoë\n".encode("cp1252"))
    ingest_source(source("school", "csv", path, "generic-mis"), tmp_path / "run", engine, LANDED_AT)
    row = landing.register(engine).iloc[0]
    assert (row["encoding"], row["header_line"], row["rows_in"]) == ("cp1252", 3, 1)
    sar = landing.landed_rows(engine, tmp_path / "run", "school_pupils", "a1")
    assert list(sar.values())[0]["Legal Surname"].tolist() == ["Zoë"]
