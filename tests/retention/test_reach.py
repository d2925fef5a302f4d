"""Every subject is reached: one child per series of the council schedule and one per pair of overlapping
series, each checked the day before and the day it falls due; undecidable items block nothing."""

from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from schemas import canonical
from statreturns import warehouse
from statreturns.retention import plan
from statreturns.retention.apply import apply_plan
from statreturns.retention.due import _overlap, due_items
from statreturns.retention.schedule import default_path, load
from tests.retention.conftest import KEY

COUNCIL = load(default_path("council"))
DOB = "2000-01-01"

# rows that make a child a member of each series (table -> column values besides child_id)
RECIPES: dict[str, dict[str, dict]] = {
    "lac_record": {"la_episodes": {"DECOM": "2010-05-01"}},
    "care_leaver": {"oc3": {"IN_TOUCH": "YES"}},
    "adoption_record": {"ad1": {"adoption_order_date": "2010-06-01"}},
    "adoption_record_pre_2005": {"ad1": {"adoption_order_date": "2001-06-01"}},
    "cp_record": {"cp_plans": {"CPPstartDate": "2012-01-01", "CPPendDate": "2015-03-01"}},
    "cin_record": {"cin_episodes": {"CINreferralDate": "2011-01-01"}},
    "default_record": {},
}


def _tables(children: dict[str, dict[str, dict]], dob: dict[str, str | None]) -> dict[str, pd.DataFrame]:
    rows: dict[str, list[dict]] = {"children": []}
    for child, recipe in children.items():
        rows["children"].append({"child_id": child, "PersonBirthDate": dob.get(child, DOB), "surname": "Test"})
        for table, values in recipe.items():
            rows.setdefault(table, []).append({"child_id": child, **values})
    out = {}
    for table in sorted({t for s in COUNCIL.series for t in s.tables()}):
        frame = canonical.empty(table)
        if rows.get(table):
            new = pd.DataFrame(rows[table])
            for col in new.columns:
                if "datetime" in str(frame[col].dtype):
                    new[col] = pd.to_datetime(new[col])
            frame = pd.concat([frame, new], ignore_index=True)[canonical.columns(table)]
            for col in frame.columns:
                if "datetime" in str(canonical.empty(table)[col].dtype):
                    frame[col] = pd.to_datetime(frame[col])
        out[table] = frame
    return out


def _pairs() -> list[tuple[str, str]]:
    out = []
    for i, s in enumerate(COUNCIL.series):
        for t in COUNCIL.series[i + 1:]:
            if s.subject == t.subject and "transfer" not in (s.action, t.action) and _overlap(s, t):
                out.append((s.id, t.id))
    return out


@pytest.fixture
def reach_world(tmp_path, monkeypatch):
    monkeypatch.setenv("STATRETURNS_PSEUDONYM_KEY", KEY)
    children = {f"ONLY_{sid}": recipe for sid, recipe in RECIPES.items()}
    for s, t in _pairs():
        children[f"PAIR_{s}_{t}"] = {**RECIPES[s], **RECIPES[t]}
    engine = warehouse.engine_for(f"sqlite:///{tmp_path / 'w.sqlite'}")
    warehouse.write_tables(engine, _tables(children, {}))
    yield engine, tmp_path / "run", children
    engine.dispose()


def _item(items: pd.DataFrame, series: str, key: str) -> pd.Series | None:
    hit = items[(items.series == series) & (items.key == key)]
    return None if hit.empty else hit.iloc[0]


def test_each_series_reaches_its_own_child_on_its_due_date(reach_world):
    engine, _, _ = reach_world
    far = due_items(engine, COUNCIL, date(2000, 1, 1))
    for sid in RECIPES:
        item = _item(far, sid, f"ONLY_{sid}")
        assert item is not None, f"{sid} does not hold its own child"
        assert item.status == "not_due" and pd.notna(item.due), sid
        day = item.due.date()
        before = _item(due_items(engine, COUNCIL, day - timedelta(days=1)), sid, f"ONLY_{sid}")
        on = _item(due_items(engine, COUNCIL, day), sid, f"ONLY_{sid}")
        assert (before.status, on.status) == ("not_due", "due"), sid
        assert on.blocked_tables == "", sid


def test_superseded_records_are_reached_by_the_series_that_supersedes_them(reach_world):
    engine, run_dir, children = reach_world
    checked = 0
    for s, t in _pairs():
        key = f"PAIR_{s}_{t}"
        early = due_items(engine, COUNCIL, date(2000, 1, 1))
        a, b = _item(early, s, key), _item(early, t, key)
        if a is None or b is None:  # the schedule keeps them apart (an exclude): no overlap for one child
            continue
        checked += 1
        later_id, later = (t, b) if b.due > a.due else (s, a)
        if a.due == b.due:  # a tie: the more cautious, then the earlier listed, governs
            on = due_items(engine, COUNCIL, a.due.date())
            statuses = {_item(on, s, key).status, _item(on, t, key).status}
            assert "due" in statuses, (s, t, statuses)
            later_id = s if _item(on, s, key).status == "due" and _item(on, s, key).blocked_tables == "" else t
        earlier_id = t if later_id == s else s
        shared = set(_overlap(COUNCIL.get(s), COUNCIL.get(t)))
        day = later.due.date()
        eve = due_items(engine, COUNCIL, day - timedelta(days=1))
        first = _item(eve, earlier_id, key)
        assert _item(eve, later_id, key).status == "not_due", (s, t)
        if first.status == "due":  # it acts now, but not on the tables the later series holds
            assert shared <= set(first.blocked_tables.split(";")), (s, t, first.blocked_tables)
        else:
            assert first.status in ("superseded", "not_due"), (s, t, first.status)
        on = _item(due_items(engine, COUNCIL, day), later_id, key)
        assert on.status == "due", (s, t, on.status)
        assert not shared & set(filter(None, on.blocked_tables.split(";"))), (s, t, on.blocked_tables)
    assert checked >= 5
    # applied far in the future, nothing of any of these children is left in any table
    result = plan.make_plan(engine, run_dir, default_path("council"), date(2200, 1, 1), "t")
    assert set(result.counts) and all(set(c) <= {"due", "superseded"} for c in result.counts.values())
    plan.approve(engine, result.plan_id, "dpo")
    apply_plan(engine, run_dir, result.plan_id, "t")
    with engine.connect() as conn:
        for table in sorted({t for s in COUNCIL.series for t in s.tables()}):
            ids = set(conn.execute(sa.text(f'SELECT child_id FROM "canonical_{table}"')).scalars())
            assert not ids & set(children), table


def test_undecidable_items_are_reported_and_block_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("STATRETURNS_PSEUDONYM_KEY", KEY)
    children = {"NODATES": {"cin_episodes": {}, "cp_plans": {"CPPendDate": "2015-03-01"}},
                "UNBORN": {"cin_episodes": {}}}
    engine = warehouse.engine_for(f"sqlite:///{tmp_path / 'w.sqlite'}")
    tables = _tables(children, {"NODATES": None, "UNBORN": None})
    tables["children"].loc[tables["children"].child_id == "UNBORN", "ExpectedPersonBirthDate"] = pd.Timestamp(
        "2026-08-01")
    warehouse.write_tables(engine, tables)
    result = plan.make_plan(engine, tmp_path / "run", default_path("council"), date(2051, 1, 1), "t")
    detail = plan.read_detail(result.folder)
    und = detail[(detail.series == "cin_record") & (detail.key == "NODATES")].iloc[0]
    assert und.status == "undecidable" and "PersonBirthDate" in und.reason and "landed" in und.reason
    cp = detail[(detail.series == "cp_record") & (detail.key == "NODATES")].iloc[0]
    assert cp.status == "due" and cp.blocked_tables == ""  # not held back by the undecidable item
    unborn = detail[(detail.series == "cin_record") & (detail.key == "UNBORN")].iloc[0]
    assert (unborn.status, unborn.due, unborn.trigger) == (
        "not_due", "2051-08-01", "fallback:children.ExpectedPersonBirthDate")
    import json

    summary = json.loads((result.folder / "plan.json").read_text())
    assert summary["undecidable"]["cin_record"] == {und.reason: 1}
    assert summary["by_fallback"]["cin_record"] == {"fallback:children.ExpectedPersonBirthDate": 1}
    engine.dispose()
