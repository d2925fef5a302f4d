"""The SSDA903 fault kinds of faults_903_outcomes (OC2, OC3, social workers) alone, through the files and the
pipeline's read-back: each kind is drawn, every expected (rule, child) is found, a kind's children get no
other 903 finding in the year, and a child without a fault gets no 903 finding at all."""

import pytest

from statreturns.generate.faults_903_outcomes import KINDS_OUTCOMES
from statreturns.ssda903.build import build_903_frames
from tests.fault_groups import YEAR, assert_exact, council_findings, expected, group_tables

NAMES = [k.name for k in KINDS_OUTCOMES]


@pytest.fixture(scope="module", params=[3, 4])
def run(request, tmp_path_factory):
    tables, faults = group_tables(NAMES, request.param, 0.25)
    found = council_findings(tmp_path_factory.mktemp(f"faults903_outcomes_{request.param}"), tables)
    in_year = set(build_903_frames(tables, YEAR)["Episodes"]["CHILD"])  # looked after in the year
    return faults, found.loc[found["return"] == "ssda903"], in_year


def test_every_kind_is_drawn_and_names_903_rules(run):
    faults, _, _ = run
    assert set(faults["kind"]) == set(NAMES)
    assert all(k.lac_rules and not k.cin_rules for k in KINDS_OUTCOMES)


def test_each_kind_triggers_exactly_its_rules(run):
    faults, found, _ = run
    assert len(expected(faults)) >= len(faults)
    assert_exact(faults, found)


def test_no_903_finding_on_a_child_without_a_fault(run):
    faults, found, _ = run
    stray = found.loc[~found["child_id"].isin(set(faults["child_id"]))]
    assert stray.empty, stray.groupby(["year", "rule_code"]).size().to_string()


def test_every_outcome_and_social_worker_rule_is_covered_unreachable_or_listed():
    from schemas.rules.ssda903 import LAC
    from statreturns.generate.faults import KINDS, UNREACHABLE

    ours = {r.code for r in LAC.rules if r.set_name == "core" and r.applies_to(2026)
            and r.func.__module__.rsplit(".", 1)[-1] in ("outcomes", "social_workers")}
    claimed = {r for k in KINDS.values() for r in k.lac_rules}
    unreachable = {code for (ret, code) in UNREACHABLE if ret == "ssda903"}
    assert not unreachable & claimed
    assert not ours - claimed - unreachable, sorted(ours - claimed - unreachable)


def test_care_leaver_kinds_reach_leavers_not_looked_after_in_the_year(run):
    """Care leavers with no episode in the year (the wider OC3 cohort) take kinds, and their rules count."""
    faults, found, in_year = run
    kinds = {"care_leaver_in_touch_activity_keyed_0", "care_leaver_final_episode_last_year_keyed_adopted",
             "care_leaver_recorded_as_died"}
    rows = faults.loc[faults["kind"].isin(kinds) & ~faults["child_id"].isin(in_year)]
    assert len(rows) and (rows["expected_rules"].fillna("") != "").all()
    adopted = faults.loc[faults["kind"] == "care_leaver_final_episode_last_year_keyed_adopted", "child_id"]
    assert len(adopted) and not set(adopted) & in_year
