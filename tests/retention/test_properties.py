"""Property tests (hypothesis) over a synthetic warehouse: holds, idempotence, destruction, anonymisation."""

import shutil
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from statreturns import warehouse
from statreturns.retention import holds, plan
from statreturns.retention.anonymise import PSEUDONYM_PREFIX, apply_method
from statreturns.retention.apply import apply_plan
from statreturns.retention.schedule import default_path, load
from tests.retention.conftest import KEY, World, all_text, build_world, snapshot

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


class Template:
    """The built warehouse to copy per example (repr kept short: hypothesis prints its arguments)."""

    def __init__(self, folder: Path, tables: dict) -> None:
        self.folder, self.tables = folder, tables

    def __repr__(self) -> str:
        return "Template(synthetic warehouse)"


@pytest.fixture(scope="module")
def template():
    folder = Path(tempfile.mkdtemp(prefix="retention-template-"))
    w = build_world(f"sqlite:///{folder / 'warehouse.sqlite'}", folder / "run", children=60, seed=5)
    w.engine.dispose()
    yield Template(folder, w.tables)
    shutil.rmtree(folder, ignore_errors=True)


def _copy(template: Template) -> World:
    folder, tables = template.folder, template.tables
    dest = Path(tempfile.mkdtemp(prefix="retention-example-"))
    shutil.copy(folder / "warehouse.sqlite", dest / "warehouse.sqlite")
    shutil.copytree(folder / "run", dest / "run")
    url = f"sqlite:///{dest / 'warehouse.sqlite'}"
    return World(url, warehouse.engine_for(url), dest / "run", tables)


def _rows_of(engine, keys: set[str]) -> dict[str, list]:
    snap = snapshot(engine)
    return {t: [r for r in rows if set(r) & keys] for t, rows in snap.items()}


@SETTINGS
@given(year=st.integers(2024, 2115), kind=st.sampled_from(["council", "school"]),
       held_idx=st.sets(st.integers(0, 59), max_size=8), hold_series=st.booleans(), data=st.data())
def test_retention_properties(template, monkeypatch, year, kind, held_idx, hold_series, data):
    monkeypatch.setenv("STATRETURNS_PSEUDONYM_KEY", KEY)
    w = _copy(template)
    try:
        key_col, subject = ("child_id", "children") if kind == "council" else ("pupil_id", "school_pupils")
        ids = sorted(w.tables[subject][key_col])
        held = {ids[i % len(ids)] for i in held_idx}
        for k in held:
            holds.add(w.engine, scope="child", subject=k, reason="SAR", authority="DPO", start=date(2020, 1, 1),
                      actor="t")
        path = default_path(kind)
        sched = load(path)
        series_ids = [s.id for s in sched.series]
        identity = {s.id for s in sched.series if s.action in ("destroy", "anonymise")
                    and any(r.table == s.subject and s.key in r.covered() for r in s.records)}
        held_series = data.draw(st.sampled_from(series_ids)) if hold_series else None
        if held_series:
            holds.add(w.engine, scope="series", series=held_series, reason="inquiry", authority="letter",
                      start=date(2015, 1, 1), actor="t")
        before_held = _rows_of(w.engine, held)
        result = plan.make_plan(w.engine, w.run_dir, path, date(year, 1, 1), "t", batch_size=7)
        detail = plan.read_detail(result.folder)
        plan.approve(w.engine, result.plan_id, "dpo")
        apply_plan(w.engine, w.run_dir, result.plan_id, "t")

        # a held record is never changed
        assert _rows_of(w.engine, held) == before_held
        if held_series:
            assert not ((detail.series == held_series) & (detail.status == "due")).any()

        # applying twice (and planning again) changes nothing the second time
        after = snapshot(w.engine)
        assert apply_plan(w.engine, w.run_dir, result.plan_id, "t").already_applied
        again = plan.make_plan(w.engine, w.run_dir, path, date(year, 1, 1), "t", batch_size=7)
        if plan.plan_row(w.engine, again.plan_id)["status"] == "planned":  # an empty plan may recur as is
            plan.approve(w.engine, again.plan_id, "dpo")
        apply_plan(w.engine, w.run_dir, again.plan_id, "t")
        assert snapshot(w.engine) == after

        # after apply no destroyed or anonymised identifier remains anywhere the record was
        due = detail[(detail.status == "due") & detail.series.isin(identity)
                     & ~detail.blocked_tables.str.contains(subject)]
        gone = set(due.key)
        frame = w.tables[subject].set_index(key_col)
        other_upns = set(w.tables["school_pupils" if kind == "council" else "children"].UPN.dropna())
        gone_upns = set(frame.loc[sorted(gone), "UPN"].dropna()) - other_upns
        text = all_text(w.engine, w.run_dir)
        assert sum(v in text for v in gone | gone_upns) == 0

        # anonymised output contains no original identifier
        anon = set(due.loc[due.action == "anonymise", "key"])
        if anon:
            kids = warehouse.read_table(w.engine, "children")
            assert not kids.child_id.isin(anon).any()
            episodes = w.tables["cin_episodes"]
            old_episode_ids = set(episodes.loc[episodes.child_id.isin(anon), "episode_id"])
            assert not warehouse.read_table(w.engine, "cin_episodes").episode_id.isin(old_episode_ids).any()
            assert kids.child_id.str.startswith(PSEUDONYM_PREFIX).sum() >= len(anon)
    finally:
        w.engine.dispose()
        with sa.create_engine(w.url).connect():
            pass
        shutil.rmtree(w.run_dir.parent, ignore_errors=True)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(min_size=8, max_size=20)), max_size=20),
       method=st.sampled_from(["hmac", "null", "drop"]))
def test_anonymise_methods_keep_no_original_and_are_idempotent(values, method):
    series = pd.Series(values, dtype=object)
    once = apply_method(series, method, KEY.encode())
    assert apply_method(once, method, KEY.encode()).equals(once)
    for orig, new in zip(values, once, strict=True):
        if orig is not None and not orig.startswith(PSEUDONYM_PREFIX):
            assert new is None or (new != orig and orig not in new)


@settings(max_examples=200, deadline=None)
@given(days=st.lists(st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2100, 12, 31))), max_size=20),
       method=st.sampled_from(["month", "year"]))
def test_date_generalisation_is_idempotent_and_coarse(days, method):
    series = pd.Series(days, dtype=object)
    once = apply_method(series, method, None)
    assert apply_method(once, method, None).equals(once)
    for d in once.dropna():
        assert d.day == 1 and (method == "month" or d.month == 1)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.text(min_size=1, max_size=30)), max_size=20),
       key=st.binary(min_size=1, max_size=100))
def test_pseudonyms_are_the_standard_keyed_hmac(values, key):
    """The pseudonym is HMAC-SHA256 as the standard library computes it (keys longer than a block too), so
    a key holder can recompute it with any HMAC implementation."""
    import hmac

    out = apply_method(pd.Series(values, dtype=object), "hmac", key)
    for orig, new in zip(values, out, strict=True):
        if orig is None:
            assert new is None
        elif orig.startswith(PSEUDONYM_PREFIX):
            assert new == orig
        else:
            assert new == PSEUDONYM_PREFIX + hmac.digest(key, orig.encode("utf-8"), "sha256")[:16].hex()
