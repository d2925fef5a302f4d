"""Injected faults name their rules: every expected (rule, child) is found in the collection year's
returns (recall), and no child without a fault has a finding in either year's returns (precision)."""

import pandas as pd
import pytest

from statreturns.generate import Config, write_extracts
from statreturns.generate.audit import findings, providers, read_back
from statreturns.generate.faults import FAULT_COLUMNS, KINDS


@pytest.fixture(scope="module", params=[3, 4, 5])
def run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"faults{request.param}")
    write_extracts(Config(children=1200, seed=request.param, fault_rate=0.25), out)
    faults = pd.read_csv(out / "faults.csv", dtype="str", keep_default_na=False)
    return faults, findings(read_back(out), 2026, "356", providers(out))


def test_every_kind_is_injected_and_names_its_rules(run):
    faults, _ = run
    assert list(faults.columns) == FAULT_COLUMNS
    assert set(faults["kind"]) == set(KINDS)
    for kind in KINDS.values():
        assert kind.cin_rules or kind.lac_rules, kind.name


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
    stray = found.loc[~found["child_id"].isin(set(faults["child_id"]))]
    clean = bool(stray.empty)
    assert clean, stray.groupby(["return", "year", "rule_code"]).size().to_string()
