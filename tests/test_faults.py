"""Injected faults name their rules: every expected (rule, child) is found in the collection year's
returns (recall), and no child without a fault has a finding in either year's returns (precision)."""

import pandas as pd
import pytest

from statreturns.generate import Config, write_extracts
from statreturns.generate.audit import findings, providers, read_back
from statreturns.generate.cross_faults import KINDS as CROSS_KINDS
from statreturns.generate.cross_faults import RETURN_KINDS
from statreturns.generate.faults import FAULT_COLUMNS, KINDS

SEEDS = [3, 4, 5]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each seed's council, generated once and shared by the tests (per seed and across seeds)."""
    done: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}

    def get(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        if seed not in done:
            out = tmp_path_factory.mktemp(f"faults{seed}")
            # Every kind together: 3,000 children with 60% faulted leaves each kind (several hundred of
            # them, some fitting only the few children adopted or leaving care) children to take it.
            write_extracts(Config(children=3000, seed=seed, fault_rate=0.6), out)
            faults = pd.read_csv(out / "faults.csv", dtype="str", keep_default_na=False)
            done[seed] = faults, findings(read_back(out), 2026, "356", providers(out))
        return done[seed]

    return get


@pytest.fixture(scope="module", params=SEEDS)
def run(request, runs):
    return runs(request.param)


def test_every_kind_is_injected_and_names_its_rules(run):
    faults, _ = run
    assert list(faults.columns) == FAULT_COLUMNS
    assert set(faults["kind"]) <= set(KINDS) | set(CROSS_KINDS)  # the cross step is on by default
    for kind in KINDS.values():
        assert kind.cin_rules or kind.lac_rules, kind.name


def test_every_kind_is_injected_on_some_seed(runs):
    # A kind that fits few children (a conference before the referral, an adoption's codes) may find none
    # on one seed; each must be drawn on at least one.
    drawn = set().union(*(set(runs(seed)[0]["kind"]) for seed in SEEDS))
    # The cross faults go to children no other kind took, which at this fault rate leaves a kind that
    # needs an adoption (X05, X06) none on some councils: tests/cross/test_generated.py draws each of them.
    every = set(KINDS)
    assert every <= drawn, sorted(every - drawn)
    assert drawn - every <= set(CROSS_KINDS) - set(RETURN_KINDS)


def test_recall_every_expected_rule_is_found_for_its_child(run):
    faults, found = run
    expected = faults.assign(rule_code=faults["expected_rules"].str.split(";")).explode("rule_code")
    expected = expected.loc[expected["rule_code"].fillna("") != ""]
    assert len(expected) > len(faults) / 2
    this_year = found.loc[found["year"] == 2026]
    got = set(zip(this_year["rule_code"], this_year["child_id"], strict=True))
    missed = expected.loc[[(r, c) not in got for r, c in zip(expected["rule_code"], expected["child_id"],
                                                             strict=True)]]
    complete = bool(missed.empty)
    assert complete, missed.groupby(["kind", "rule_code"]).size().to_string()  # kinds and counts only


def test_precision_no_finding_on_a_child_without_a_fault(run):
    faults, found = run
    # A return-level finding names no child (2883: plans outnumber conferences, once faults add plans).
    stray = found.loc[~found["child_id"].isin(set(faults["child_id"])) & found["child_id"].fillna("").ne("")]
    clean = bool(stray.empty)
    assert clean, stray.groupby(["return", "year", "rule_code"]).size().to_string()
