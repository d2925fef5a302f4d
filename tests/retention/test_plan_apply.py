"""Plan, approve, apply on SQLite and PostgreSQL: what is destroyed, anonymised, held, refused."""

import json
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from statreturns import warehouse
from statreturns.retention import audit, holds, plan, store
from statreturns.retention.anonymise import PSEUDONYM_PREFIX
from statreturns.retention.apply import ApplyRefused, apply_plan
from statreturns.retention.schedule import default_path
from tests.retention.conftest import all_text, snapshot

COUNCIL, SCHOOL = default_path("council"), default_path("school")
FAR = date(2110, 1, 1)


def _plan_apply(w, path, as_of, **kw):
    result = plan.make_plan(w.engine, w.run_dir, path, as_of, "tester", **kw)
    plan.approve(w.engine, result.plan_id, "dpo")
    return result, apply_plan(w.engine, w.run_dir, result.plan_id, "tester")


def _detail_before_apply(w, plan_id):
    return plan.read_detail(plan.plans_dir(w.run_dir) / plan_id)


def test_plan_records_as_of_and_hash_and_changes_nothing(world):
    before = snapshot(world.engine)
    result = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    summary = json.loads((result.folder / "plan.json").read_text())
    assert summary["as_of"] == "2110-01-01"
    assert summary["content_hash"] == result.content_hash
    assert result.plan_id.endswith(result.content_hash[:12])
    assert snapshot(world.engine) == before
    assert sum(c.get("due", 0) for c in result.counts.values()) > 0


def test_apply_destroys_and_anonymises_everywhere(world):
    result = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    detail = _detail_before_apply(world, result.plan_id)
    due = detail[(detail.status == "due") & detail.action.isin(["destroy", "anonymise"])]
    whole = due[~due.blocked_tables.str.contains("children")]
    destroyed = set(whole.loc[whole.action == "destroy", "key"])
    anonymised = set(whole.loc[whole.action == "anonymise", "key"])
    partial = due[due.blocked_tables.str.contains("children")]
    assert destroyed and anonymised
    kids = world.tables["children"].set_index("child_id")
    school_upns = set(world.tables["school_pupils"].UPN.dropna())
    gone_upns = set(kids.loc[sorted(destroyed | anonymised), "UPN"].dropna()) - school_upns
    plan.approve(world.engine, result.plan_id, "dpo")
    applied = apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
    assert applied.batches_applied == result.batches
    text = all_text(world.engine, world.run_dir)
    leftovers = sum(k in text for k in destroyed | anonymised | gone_upns)
    assert leftovers == 0, "destroyed or anonymised identifiers remain"
    for row in partial.itertuples():  # blocked on some tables by a longer series: gone from the others
        for table in ("la_episodes", "la_reviews", "missing"):
            if table not in row.blocked_tables.split(";"):
                rows = warehouse.read_table(world.engine, table)
                assert not (rows.child_id == row.key).any()
    children = warehouse.read_table(world.engine, "children")
    pseudo = children[children.child_id.str.startswith(PSEUDONYM_PREFIX)]
    assert len(pseudo) == len(anonymised)
    assert pseudo[["forename", "surname", "UPN"]].isna().all().all()
    assert (pseudo.PersonBirthDate.dropna().dt.day == 1).all()
    assert (pseudo.home_postcode.dropna().str.len() <= 4).all()
    assert "outputs/2026/356/submission_pack.zip" in applied.files.withdrawn
    assert audit.verify(world.engine).ok


def test_second_apply_and_second_plan_change_nothing(world):
    result, _ = _plan_apply(world, COUNCIL, FAR)
    before = snapshot(world.engine)
    again = apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
    assert again.already_applied
    assert snapshot(world.engine) == before
    replan = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    plan.approve(world.engine, replan.plan_id, "dpo")
    apply_plan(world.engine, world.run_dir, replan.plan_id, "tester")
    assert snapshot(world.engine) == before
    assert replan.counts.get("cin_record", {}).get("due", 0) == 0  # anonymised subjects are not listed again


def test_school_photos_destroyed_on_leaving_and_files_removed(world):
    pupils = world.tables["school_pupils"]
    leavers = pupils[pupils.leaving_date.notna() & (pupils.leaving_date <= pd.Timestamp("2026-01-01"))]
    result, applied = _plan_apply(world, SCHOOL, date(2026, 1, 1), series_ids=["photos"])
    assert result.counts["photos"]["due"] == len(leavers)
    after = warehouse.read_table(world.engine, "school_pupils").set_index("pupil_id")
    assert after.loc[leavers.pupil_id, "photo_file"].isna().all()
    stayers = pupils[~pupils.pupil_id.isin(leavers.pupil_id)]
    assert after.loc[stayers.pupil_id, "photo_file"].notna().all()
    assert not any((world.run_dir / p).exists() for p in leavers.photo_file)
    parquet = pd.read_parquet(world.run_dir / "tables" / "school_pupils" / "__frame__.parquet")
    assert parquet.set_index("pupil_id").loc[leavers.pupil_id, "photo_file"].isna().all()
    assert len(parquet) == len(pupils)  # rows stay: only the photo went


def test_longest_period_wins(world):
    """An SEN pupil (review at DOB+31) is not destroyed by the pupil-record series (DOB+25)."""
    pupils = world.tables["school_pupils"]
    sen = pupils[pupils.sen_status.isin(["K", "E"]) & pupils.leaving_date.notna()]
    if sen.empty:
        pytest.skip("no SEN leaver in this synthetic draw")
    as_of = (sen.PersonBirthDate.max() + pd.DateOffset(years=26)).date()
    result = plan.make_plan(world.engine, world.run_dir, SCHOOL, as_of, "tester")
    d = _detail_before_apply(world, result.plan_id)
    review_due = set(sen.loc[sen.PersonBirthDate + pd.DateOffset(years=31) <= pd.Timestamp(as_of), "pupil_id"])
    waiting = d[(d.series == "pupil_record") & d.key.isin(set(sen.pupil_id) - review_due)]
    assert len(waiting) and (waiting.status == "superseded").all()
    assert set(waiting.superseded_by) == {"sen_file"}
    # once the SEN review is due it is flagged for review and holds nothing back: the record is destroyed
    # in the same plan unless the reviewer places a hold before approving
    reached = d[(d.series == "pupil_record") & d.key.isin(review_due)]
    assert (reached.status == "due").all()
    assert (d[(d.series == "sen_file") & d.key.isin(review_due)].status == "due").all()


def test_held_child_is_untouched_and_shown_held(world):
    first = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    d = _detail_before_apply(world, first.plan_id)
    victim = d.loc[d.status == "due", "key"].iloc[0]
    holds.add(world.engine, scope="child", subject=victim, reason="SAR in progress", authority="DPO",
              start=date(2026, 1, 1), actor="tester")
    plan.approve(world.engine, first.plan_id, "dpo")
    with pytest.raises(ApplyRefused, match="legal holds changed"):
        apply_plan(world.engine, world.run_dir, first.plan_id, "tester")
    second = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    assert second.content_hash != first.content_hash
    d2 = _detail_before_apply(world, second.plan_id)
    statuses = set(d2.loc[d2.key == victim, "status"])
    assert "held" in statuses and "due" not in statuses
    before = [r for r in snapshot(world.engine)["canonical_children"] if r[0] == victim]
    plan.approve(world.engine, second.plan_id, "dpo")
    apply_plan(world.engine, world.run_dir, second.plan_id, "tester")
    assert [r for r in snapshot(world.engine)["canonical_children"] if r[0] == victim] == before


def test_series_hold_and_ended_hold(world):
    hid = holds.add(world.engine, scope="series", series="cin_record", reason="inquiry", authority="letter",
                    start=date(2015, 6, 23), actor="tester")
    r = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    assert "due" not in r.counts["cin_record"] and r.counts["cin_record"]["held"] > 0
    holds.end(world.engine, hid, date(2023, 1, 20), "tester")
    r2 = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    assert r2.counts["cin_record"]["due"] > 0


def test_changed_record_after_planning_is_refused(world):
    result = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    d = _detail_before_apply(world, result.plan_id)
    victim = d.loc[(d.status == "due") & (d.action == "destroy"), "key"].iloc[0]
    plan.approve(world.engine, result.plan_id, "dpo")
    with world.engine.begin() as conn:
        conn.execute(sa.text("UPDATE canonical_children SET forename = 'Changed' WHERE child_id = :k"),
                     {"k": victim})
    before = snapshot(world.engine)
    with pytest.raises(ApplyRefused, match="changed since planning"):
        apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
    assert snapshot(world.engine) == before


@pytest.mark.parametrize("new_name", ["Changed", None])
def test_record_changed_during_apply_refuses_its_batch(world, monkeypatch, new_name):
    """A record changed after apply's check and before its batch: the batch is refused; a record written
    again with the same values (new row versions on PostgreSQL, a new data version on SQLite) is digested
    again and found unchanged, so apply carries on."""
    from statreturns.retention import apply as apply_module

    result = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester", batch_size=5)
    d = _detail_before_apply(world, result.plan_id)
    destroyed = d[(d.status == "due") & (d.action == "destroy")]
    batch = int(destroyed["batch"].max())
    victim = destroyed.loc[destroyed.batch == batch, "key"].iloc[0]
    plan.approve(world.engine, result.plan_id, "dpo")
    check = apply_module._check

    def check_then_change(*args, **kwargs):
        out = check(*args, **kwargs)
        with world.engine.begin() as conn:
            conn.execute(sa.text("UPDATE canonical_children SET forename = coalesce(:new, forename) "
                                 "WHERE child_id = :k"), {"new": new_name, "k": victim})
        return out

    monkeypatch.setattr(apply_module, "_check", check_then_change)

    def victim_rows() -> int:
        with world.engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM canonical_children WHERE child_id = :k "
                                        "AND forename = 'Changed'" if new_name else
                                        "SELECT count(*) FROM canonical_children WHERE child_id = :k"),
                                {"k": victim}).scalar()

    if new_name is None:
        applied = apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
        assert applied.batches_applied == result.batches
        assert victim_rows() == 0
        return
    with pytest.raises(ApplyRefused, match=f"batch {batch} changed during apply"):
        apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
    assert victim_rows() == 1  # its batch was not applied
    with world.engine.connect() as conn:
        done = {b for (b,) in conn.execute(sa.select(store.batches.c.batch)
                                           .where(store.batches.c.plan_id == result.plan_id))}
    assert done == set(range(batch))


def test_plan_from_an_earlier_fingerprint_format_is_refused_by_name(world):
    result = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    plan.approve(world.engine, result.plan_id, "dpo")
    path = result.folder / "plan.json"
    summary = json.loads(path.read_text(encoding="utf-8"))
    del summary["fingerprint_format"]  # as plan.json was written before the format was recorded
    path.write_text(json.dumps(summary, indent=2, sort_keys=True), encoding="utf-8")
    with world.engine.begin() as conn:  # the plan's stored file hash as it was then, so only the format differs
        conn.execute(store.plans.update().where(store.plans.c.plan_id == result.plan_id)
                     .values(file_hash=plan.files_hash(result.folder)))
    before = snapshot(world.engine)
    with pytest.raises(ApplyRefused, match="earlier version"):
        apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
    assert snapshot(world.engine) == before


def test_unapproved_and_missing_key_are_refused(world, monkeypatch):
    result = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    with pytest.raises(ApplyRefused, match="not approved"):
        apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
    plan.approve(world.engine, result.plan_id, "dpo")
    monkeypatch.delenv("STATRETURNS_PSEUDONYM_KEY")
    from statreturns.retention.anonymise import MissingKeyError

    before = snapshot(world.engine)
    with pytest.raises(MissingKeyError):
        apply_plan(world.engine, world.run_dir, result.plan_id, "tester")
    assert snapshot(world.engine) == before


def test_tampered_plan_file_is_refused(world):
    result = plan.make_plan(world.engine, world.run_dir, COUNCIL, FAR, "tester")
    plan.approve(world.engine, result.plan_id, "dpo")
    detail = result.folder / "detail.csv"
    detail.write_text(detail.read_text().replace("destroy", "review"))
    with pytest.raises(ApplyRefused, match="files changed"):
        apply_plan(world.engine, world.run_dir, result.plan_id, "tester")


def test_audit_entries_name_no_child(world):
    _plan_apply(world, COUNCIL, FAR)
    ids = set(world.tables["children"].child_id) | set(world.tables["children"].UPN.dropna())
    text = json.dumps(audit.entries(world.engine), default=str)
    assert not [i for i in ids if i in text]
    with world.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(store.audit)).scalar() > 2


CUSTOM = """schedule: custom
series:
  - id: a_pupil_anonymised
    source: "test schedule"
    subject: school_pupils
    members: {table: school_pupils, where: [{column: leaving_date, notna: true}]}
    trigger: {table: school_pupils, column: leaving_date}
    period: {years: 0}
    action: anonymise
    records:
      - {table: school_pupils, except_columns: [photo_file]}
    methods:
      school_pupils: {pupil_id: hmac, UPN: "null", forename: "null", surname: "null", PersonBirthDate: year}
  - id: b_photos
    source: "test schedule"
    subject: school_pupils
    members: {table: school_pupils, where: [{column: photo_file, notna: true}]}
    trigger: {table: school_pupils, column: leaving_date}
    period: {years: 0}
    action: destroy
    records:
      - {table: school_pupils, columns: [photo_file]}
    files: [photo_file]
"""


def test_destroy_and_anonymise_of_the_same_rows_both_happen(world, tmp_path):
    path = tmp_path / "custom.yaml"
    path.write_text(CUSTOM, encoding="utf-8")
    pupils = world.tables["school_pupils"]
    leavers = pupils[pupils.leaving_date.notna() & (pupils.leaving_date <= pd.Timestamp("2030-01-01"))]
    _plan_apply(world, path, date(2030, 1, 1))
    after = warehouse.read_table(world.engine, "school_pupils")
    gone = after[after.pupil_id.str.startswith(PSEUDONYM_PREFIX)]
    assert len(gone) == len(leavers)
    assert gone.photo_file.isna().all() and gone.UPN.isna().all()
    assert not after.pupil_id.isin(set(leavers.pupil_id)).any()


def test_batches_follow_storage_order_and_keep_a_subjects_items_together():
    items = pd.DataFrame({"series": ["a", "b", "a", "a", "a"], "key": ["k3", "k3", "k1", "k9", "k2"],
                          "status": ["due", "due", "due", "due", "not_due"]})
    order = pd.Series([0, 1, 2], index=pd.Index(["k3", "k1", "k2"], dtype=object))
    out = plan._assign_batches(items, 1, order)
    assert out["key"].tolist() == ["k3", "k3", "k1", "k2", "k9"]  # storage order, then keys it does not hold
    assert out["batch"].tolist() == [0, 0, 1, -1, 2]  # a subject's items share a batch; not due: none
    assert out["row"].tolist() == list(range(5))


def test_keys_bound_as_one_value_match_awkward_keys(db_url):
    """A batch's keys are bound as one text value (a JSON array, or a PostgreSQL array literal): keys with
    quotes, backslashes, commas, braces, spaces or the word NULL are matched as themselves."""
    from statreturns.retention import data

    awkward = ['a"b', "c\\d", "e,f", "{g}", " h ", "NULL", "", "i'j", "é\\\"", "k"]
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE TEMP TABLE awkward_keys (k TEXT)"))
            conn.execute(sa.text("INSERT INTO awkward_keys VALUES (:k)"), [{"k": v} for v in [*awkward, "other"]])
            got = [k for (k,) in conn.execute(sa.text(f"SELECT k FROM awkward_keys WHERE {data.keys_sql(conn, 'k')}"),
                                              {"keys": data.keys_param(conn, awkward)})]
    finally:
        engine.dispose()
    assert sorted(got) == sorted(awkward)
