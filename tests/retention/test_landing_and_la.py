"""Apply reaches the landing area (ingestion's landed copies) and stays out of other LAs' folders."""

import datetime as dt
import json
from datetime import date

import pandas as pd

from statreturns.ingest import landing
from statreturns.ingest.config import Source
from statreturns.ingest.run import ingest_source
from statreturns.retention import plan
from statreturns.retention.apply import apply_plan
from statreturns.retention.dsar import export
from statreturns.retention.schedule import default_path
from statreturns.ssd import write_ssd

LANDED_AT = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def test_landed_copies_lose_destroyed_children_and_feed_the_dsar(world, tmp_path):
    folder = tmp_path / "ssd"
    write_ssd({k: v for k, v in world.tables.items() if k != "school_pupils"}, folder)
    ingest_source(Source(name="council", kind="csv", profile="ssd-csv", location=folder), world.run_dir,
                  world.engine, LANDED_AT)
    # 2060: children in need are due (DOB + 25), looked-after children (DOB + 75) are kept
    result = plan.make_plan(world.engine, world.run_dir, default_path("council"), date(2060, 1, 1), "t")
    detail = plan.read_detail(result.folder)
    gone = detail[(detail.status == "due") & detail.action.isin(["destroy", "anonymise"])
                  & ~detail.blocked_tables.str.contains("children")]
    kept = sorted(set(world.tables["children"].child_id) - set(detail.key[detail.status == "due"]))
    assert len(gone) and kept
    plan.approve(world.engine, result.plan_id, "dpo")
    applied = apply_plan(world.engine, world.run_dir, result.plan_id, "t")
    assert applied.landing_available and sum(applied.landing.values()) > 0
    for key in gone.key.head(5):
        assert landing.landed_rows(world.engine, world.run_dir, "children", key) == {}
    sar = export(world.engine, world.run_dir, kept[0], tmp_path / "sar", "t")
    assert any(part.startswith("landed/") for part in sar.counts)
    assert json.loads((tmp_path / "sar" / "manifest.json").read_text())["subject"] == kept[0]


def test_purge_leaves_other_las_partition_folders_alone(world):
    other = world.run_dir / "outputs" / "2026" / "357"
    other.mkdir(parents=True)
    ids = world.tables["children"].child_id
    pd.DataFrame({"child_id": ids}).to_csv(other / "issues.csv", index=False)
    result = plan.make_plan(world.engine, world.run_dir, default_path("council"), date(2110, 1, 1), "t")
    plan.approve(world.engine, result.plan_id, "dpo")
    applied = apply_plan(world.engine, world.run_dir, result.plan_id, "t", la="356")
    assert "outputs/2026/356/issues.csv" in applied.files.edited
    assert len(pd.read_csv(other / "issues.csv")) == len(ids)


def test_a_purged_file_delivered_again_is_counted_from_the_file_and_says_so(world, tmp_path):
    import dataclasses

    from statreturns.report.html import render_html
    from tests.report.frames import run as report_run

    folder = tmp_path / "ssd"
    write_ssd({k: v for k, v in world.tables.items() if k != "school_pupils"}, folder)
    source = Source(name="council", kind="csv", profile="ssd-csv", location=folder)
    first = ingest_source(source, world.run_dir, world.engine, LANDED_AT)
    assert first.notes() == []
    result = plan.make_plan(world.engine, world.run_dir, default_path("council"), date(2060, 1, 1), "t")
    plan.approve(world.engine, result.plan_id, "dpo")
    applied = apply_plan(world.engine, world.run_dir, result.plan_id, "t")
    removed = sum(applied.landing.values())
    assert removed > 0
    again = ingest_source(source, world.run_dir, world.engine, LANDED_AT)
    before, after = first.counts(), again.counts()
    assert after["files_new"] == 0
    assert after["rows_in"] == before["rows_in"]  # counted from the file as delivered, not the purged copy
    assert after["rows_removed_by_retention"] == removed
    assert after["rows_in"] == after["rows_landed"] + after["rows_quarantined"] + removed
    assert len(again.tables["children"]) < len(first.tables["children"])  # purged children stay purged
    notes = again.notes()
    purged_files = [f for f in again.files if f.rows_removed]
    assert len(notes) == len(purged_files) > 0
    f = purged_files[0]
    assert f"{f.file}: unchanged since landing; {f.rows_removed:,} rows removed by plan {result.plan_id}" in notes
    register = landing.register(world.engine).set_index("landing_id")
    assert register.loc[f.landing_id, "rows_in"] == f.rows_in
    assert register.loc[f.landing_id, "purged_by"] == result.plan_id
    html = render_html(dataclasses.replace(report_run([]), notes=tuple(notes)))
    assert notes[0] in html


def test_council_and_school_schedules_in_one_deployment_and_photos_destroyed_end_to_end(world, tmp_path):
    """The school's promise: photographs are destroyed once a pupil leaves, files beside the MIS extract
    included, and the landed copy of the extract no longer names them; the council's records follow theirs."""
    school = tmp_path / "mis"
    (school / "photos").mkdir(parents=True)
    pupils = world.tables["school_pupils"].copy()
    pupils["photo_file"] = "photos/" + pupils["pupil_id"] + ".jpg"
    for name in pupils["photo_file"]:
        (school / name).write_bytes(b"synthetic photo")
    out = pd.DataFrame({"Adno": pupils.pupil_id, "UPN": pupils.UPN, "Legal Surname": pupils.surname,
                        "DOB": pupils.PersonBirthDate.dt.strftime("%d/%m/%Y"),
                        "Date of Admission": pupils.entry_date.dt.strftime("%d/%m/%Y"),
                        "Date of Leaving": pupils.leaving_date.dt.strftime("%d/%m/%Y"), "Photo": pupils.photo_file})
    out.to_csv(school / "pupils.csv", index=False)
    ssd = tmp_path / "ssd"
    write_ssd({k: v for k, v in world.tables.items() if k != "school_pupils"}, ssd)
    from statreturns import warehouse

    tables = {}
    for src in (Source(name="council", kind="csv", profile="ssd-csv", location=ssd),
                Source(name="school", kind="csv", profile="generic-mis", location=school / "pupils.csv")):
        tables.update(ingest_source(src, world.run_dir, world.engine, LANDED_AT).tables)
    warehouse.write_tables(world.engine, tables)
    as_of = date(2026, 1, 1)
    read = tables["school_pupils"]
    leavers = set(read.loc[read.leaving_date.notna() & (read.leaving_date <= pd.Timestamp(as_of)), "pupil_id"])
    stayers = set(read.pupil_id) - leavers
    assert leavers and stayers
    applied = {}
    for kind in ("school", "council"):  # one warehouse, each kind of record under its own schedule
        result = plan.make_plan(world.engine, world.run_dir, default_path(kind), as_of, "t")
        plan.approve(world.engine, result.plan_id, "dpo")
        applied[kind] = (result, apply_plan(world.engine, world.run_dir, result.plan_id, "t"))
    school_plan, school_applied = applied["school"]
    assert school_plan.counts["photos"]["due"] == len(leavers)
    # each photo twice: beside the MIS extract, and the copy the fixture put under the run folder
    assert school_applied.counts["photos"]["files"] == 2 * len(leavers)
    assert not any((school / "photos" / f"{p}.jpg").exists() for p in leavers)
    assert not any((world.run_dir / "photos" / f"{p}.jpg").exists() for p in leavers)
    assert all((school / "photos" / f"{p}.jpg").exists() for p in stayers)
    row = landing.register(world.engine).query("source == 'school'").iloc[0]
    landed = pd.read_csv(world.run_dir / row.stored_path, dtype=str, keep_default_na=False)
    named = set(landed.loc[landed.Photo != "", "Adno"])
    assert named == stayers  # the landed copy no longer names the leavers' photos, and still names the rest
    assert set(landed.Adno) == set(read.pupil_id)  # the pupils' records themselves stay (their own series)
    council_plan = applied["council"][0]
    assert set(council_plan.counts) >= {"lac_record", "cin_record"} and "photos" not in council_plan.counts
