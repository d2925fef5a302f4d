"""The SSDA903 adoption fault kinds alone (faults_903_adoption), through the files and the pipeline's
read-back: each kind is drawn, every expected (rule, child) is found, a kind's children get no other 903
finding in the year, and a child without a fault gets no 903 finding at all. (tests/test_faults.py runs
every kind together.)"""

import pytest

from statreturns.generate import Config, generate, inject, write_sources_file
from statreturns.generate.audit import findings, providers, read_back
from statreturns.generate.faults_903_adoption import KINDS_ADOPTION
from statreturns.generate.ofsted import write_provider_list
from statreturns.school import write_pupils
from statreturns.ssd import write_ssd

NAMES = [k.name for k in KINDS_ADOPTION]


@pytest.fixture(scope="module", params=[3, 4])
def run(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"faults903_adoption_{request.param}")
    cfg = Config(children=1200, seed=request.param, fault_rate=0.6)  # adoptions are few
    tables, faults = inject(generate(cfg), cfg.fault_rate, cfg.seed, cfg.year, kinds=NAMES)
    write_ssd({k: v for k, v in tables.items() if k != "school_pupils"}, out / "ssd")
    write_pupils(tables["school_pupils"], out / "school" / "pupils.csv")
    write_provider_list(tables["la_episodes"], out / "ofsted" / "providers.xlsx")
    write_sources_file(out / "sources.yaml", ".")
    found = findings(read_back(out), cfg.year, "356", providers(out))
    return faults, found.loc[found["return"] == "ssda903"]


def test_every_903_kind_is_drawn_and_names_903_rules(run):
    faults, _ = run
    assert set(faults["kind"]) == set(NAMES)
    assert all(k.lac_rules for k in KINDS_ADOPTION)


def test_each_kind_triggers_exactly_its_rules(run):
    faults, found = run
    expected = faults.assign(rule_code=faults["expected_rules"].str.split(";")).explode("rule_code")
    expected = expected.loc[expected["rule_code"].fillna("") != ""]
    assert len(expected) >= len(faults)
    this_year = found.loc[found["year"] == 2026]
    got = set(zip(this_year["rule_code"], this_year["child_id"], strict=True))
    want = set(zip(expected["rule_code"], expected["child_id"], strict=True))
    lac = {r for k in KINDS_ADOPTION for r in k.lac_rules}
    missed = expected.loc[[(r, c) in want - got and r in lac for r, c in zip(expected["rule_code"],
                                                                               expected["child_id"], strict=True)]]
    assert missed.empty, missed.groupby(["kind", "rule_code"]).size().to_string()  # kinds and counts only
    kind_of = dict(zip(faults["child_id"], faults["kind"], strict=True))
    extra = this_year.loc[[(r, c) not in want and c in kind_of for r, c in zip(this_year["rule_code"],
                                                                                this_year["child_id"], strict=True)]]
    extra = extra.assign(kind=extra["child_id"].map(kind_of))
    assert extra.empty, extra.groupby(["kind", "rule_code"]).size().to_string()


def test_no_903_finding_on_a_child_without_a_fault(run):
    faults, found = run
    stray = found.loc[~found["child_id"].isin(set(faults["child_id"]))]
    assert stray.empty, stray.groupby(["year", "rule_code"]).size().to_string()


def test_unreachable_adoption_rules_are_not_claimed_by_a_kind():
    from schemas.rules.ssda903 import LAC, adoption
    from statreturns.generate.faults import KINDS, UNREACHABLE

    claimed = {r for k in KINDS.values() for r in k.lac_rules}
    group = {r.code for r in LAC.rules if r.func.__module__ == adoption.__name__}
    unreachable = {code for (ret, code) in UNREACHABLE if ret == "ssda903"} & group
    assert unreachable and not unreachable & claimed
