"""A fault-free generated council passes every core rule of both returns, for the collection year and
the year before (both built from the same case history), and every cross check (X01...) for the collection
year, read back through the pipeline's own path."""

import pandas as pd
import pytest

from statreturns.generate import Config, write_extracts
from statreturns.generate.audit import by_rule, findings, providers, read_back


def _clean_findings(tmp_path, children: int, seed: int, year: int = 2026, cross: bool = True) -> pd.DataFrame:
    out = tmp_path / "extracts"
    write_extracts(Config(children=children, seed=seed, year=year, fault_rate=0, cross=cross), out)
    return findings(read_back(out), year, "356", providers(out))


@pytest.mark.parametrize(("children", "seed", "year"),
                         [(400, 1, 2026), (400, 2, 2026), (400, 3, 2026), (2000, 11, 2026), (2000, 12, 2026),
                          (400, 4, 2025)])
def test_a_fault_free_council_has_no_finding(tmp_path, children, seed, year):
    found = _clean_findings(tmp_path, children, seed, year)
    # The cross checks ran: a cross-consistent council is checked against them, not let off.
    assert ("cross", year, "X01") in found.attrs["ran"]
    # Rule codes and counts only: a failure message must not name a child (even a synthetic one).
    clean = bool(found.empty)
    assert clean, by_rule(found)[["return", "year", "rule_code", "severity", "findings"]].to_string()


def test_without_the_cross_step_each_return_is_still_clean(tmp_path):
    """``--no-cross``: the returns, made on their own, break no DfE rule (the cross checks may query)."""
    found = _clean_findings(tmp_path, 400, 6, cross=False)
    dfe = found.loc[found["return"] != "cross"]
    assert dfe.empty, by_rule(dfe)[["return", "year", "rule_code", "severity", "findings"]].to_string()
    assert set(found["rule_code"]) <= {f"X{i:02d}" for i in range(1, 12)}


def test_the_check_sees_a_fault(tmp_path):
    """The same path reports a real fault, so an empty list above is not a check that cannot fail."""
    out = tmp_path / "extracts"
    write_extracts(Config(children=400, seed=1, fault_rate=0.2), out)
    found = findings(read_back(out), 2026, "356")
    faults = pd.read_csv(out / "faults.csv", dtype="str")
    # A return-level finding (2883: plans outnumber conferences, after the cross faults' plans) names no child.
    named = found["child_id"].replace("", pd.NA).dropna()
    assert len(named) and set(named) <= set(faults["child_id"])


def test_the_ofsted_rules_run_on_the_generated_provider_list(tmp_path):
    found = _clean_findings(tmp_path, 400, 5)
    for rule in ("219", "221", "224", "227", "228", "229", "1008"):
        assert ("ssda903", 2026, rule) in found.attrs["ran"], rule
    assert found.empty
