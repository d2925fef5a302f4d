"""A fault-free generated council passes every core rule of both returns, for the collection year and
the year before (both built from the same case history), read back through the pipeline's own path."""

import pandas as pd
import pytest

from statreturns.generate import Config, write_extracts
from statreturns.generate.audit import by_rule, findings, providers, read_back


def _clean_findings(tmp_path, children: int, seed: int, year: int = 2026) -> pd.DataFrame:
    out = tmp_path / "extracts"
    write_extracts(Config(children=children, seed=seed, year=year, fault_rate=0), out)
    return findings(read_back(out), year, "356", providers(out))


@pytest.mark.parametrize(("children", "seed"), [(400, 1), (400, 2), (400, 3), (2000, 11), (2000, 12)])
def test_a_fault_free_council_has_no_finding(tmp_path, children, seed):
    found = _clean_findings(tmp_path, children, seed)
    # Rule codes and counts only: a failure message must not name a child (even a synthetic one).
    clean = bool(found.empty)
    assert clean, by_rule(found)[["return", "year", "rule_code", "severity", "findings"]].to_string()


def test_the_check_sees_a_fault(tmp_path):
    """The same path reports a real fault, so an empty list above is not a check that cannot fail."""
    out = tmp_path / "extracts"
    write_extracts(Config(children=400, seed=1, fault_rate=0.2), out)
    found = findings(read_back(out), 2026, "356")
    faults = pd.read_csv(out / "faults.csv", dtype="str")
    assert len(found) and set(found["child_id"].dropna()) <= set(faults["child_id"])


def test_the_ofsted_rules_run_on_the_generated_provider_list(tmp_path):
    found = _clean_findings(tmp_path, 400, 5)
    for rule in ("219", "221", "224", "227", "228", "229", "1008"):
        assert ("ssda903", 2026, rule) in found.attrs["ran"], rule
    assert found.empty
