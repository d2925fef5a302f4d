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
