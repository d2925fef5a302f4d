"""The SSDA903 fault kinds of the Episodes rules 141-380 (faults_903_episodes_a) alone, through the files and
the pipeline's read-back: each kind is drawn, every expected (rule, child) is found, a kind's children get
no other 903 finding and no CIN census finding in the year, and a child without a fault gets no 903
finding at all. (tests/test_faults.py runs every kind together.)"""

import pandas as pd
import pytest

from statreturns.generate.faults_903_episodes_a import KINDS_EPISODES_A
from tests.fault_groups import assert_exact, expected, group_council

NAMES = [k.name for k in KINDS_EPISODES_A]
SEEDS = [3, 4]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each seed's council, generated and faulted once (faults, findings of both returns)."""
    done: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def get(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        if seed not in done:
            out = tmp_path_factory.mktemp(f"faults903_episodes_a_{seed}")
            done[seed] = group_council(out, NAMES, seed, 0.6)  # the rarest kinds fit 1-3 children
        return done[seed]

    return get


@pytest.fixture(scope="module", params=SEEDS)
def run(request, runs):
    return runs(request.param)


def test_every_kind_is_drawn_on_some_seed_and_names_903_rules(runs):
    # A kind that fits few children (an adoption placement, a care start in the last week of March) may
    # find none on one seed; each must be drawn on at least one.
    drawn = set().union(*(set(runs(seed)[0]["kind"]) for seed in SEEDS))
    assert drawn == set(NAMES), sorted(set(NAMES) - drawn)
    assert all(k.lac_rules and not k.cin_rules for k in KINDS_EPISODES_A)


def test_each_kind_triggers_exactly_its_rules(run):
    faults, found = run
    found = found.loc[found["return"] == "ssda903"]
    assert len(expected(faults)) >= len(faults)
    assert_exact(faults, found)


def test_no_cin_finding_on_a_faulted_child(run):
    faults, found = run
    cin = found.loc[(found["return"] == "cin") & (found["year"] == 2026) & found["child_id"].isin(set(faults["child_id"]))]
    cin = cin.assign(kind=cin["child_id"].map(dict(zip(faults["child_id"], faults["kind"], strict=True))))
    clean = bool(cin.empty)
    assert clean, cin.groupby(["kind", "rule_code"]).size().to_string()


def test_no_903_finding_on_a_child_without_a_fault(run):
    faults, found = run
    stray = found.loc[(found["return"] == "ssda903") & ~found["child_id"].isin(set(faults["child_id"]))]
    clean = bool(stray.empty)
    assert clean, stray.groupby(["year", "rule_code"]).size().to_string()


def test_unreachable_rules_of_the_group_are_not_claimed_by_a_kind():
    from statreturns.generate.faults import KINDS, UNREACHABLE

    claimed = {r for k in KINDS.values() for r in k.lac_rules}
    mine = {code for (ret, code) in UNREACHABLE if ret == "ssda903"} & {"141", "147", "207", "227", "228", "354"}
    assert mine == {"141", "147", "207", "227", "228", "354"} and not mine & claimed
