"""The fault kinds, one group at a time: the SSDA903 rule groups (faults_903 and faults_903_{adoption,header,
episodes_b}) and the base kinds declared in faults.py itself, each group injected alone and read back through
the pipeline's own path: each kind names rules of the group's returns and is drawn, every expected (rule,
child) is found, a kind's children get no other finding of those returns in the year, and a child without a
fault gets none in either year. The 903 groups are checked on the 903; the base kinds name rules of both
returns and edit children the school roll knows, so theirs are checked on both returns and the cross checks,
with the roll completed from the faulted record (as tests/test_faults_cin.py does). tests/test_faults.py runs
every kind together; the episodes_a, outcomes and CIN groups have their own files (they check more)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from statreturns.generate.faults import KINDS, ORIGIN, FaultKind
from statreturns.generate.faults_903 import _KINDS_903
from statreturns.generate.faults_903_adoption import KINDS_ADOPTION
from statreturns.generate.faults_903_episodes_b import KINDS_EPISODES_B
from statreturns.generate.faults_903_header import KINDS_HEADER
from tests.fault_groups import assert_exact, group_council, stray

SEEDS = (3, 4)


@dataclass(frozen=True)
class Group:
    kinds: tuple[FaultKind, ...]
    rate: float  # the share of children faulted: the rarest kinds fit only a few children
    every_seed: bool  # each kind drawn on every seed, not only on some
    children: int = 1200
    returns: tuple[str, ...] = ("ssda903",)  # the returns whose findings are checked
    roll: bool = False  # the school roll completed from the faulted record (group_council)


BASE = tuple(k for k in KINDS.values() if ORIGIN[k.name] == FaultKind.__module__)  # faults.py's own
GROUPS = {
    "faults_903": Group(_KINDS_903, 0.25, True),
    # About a dozen children adopted a year in 1200, shared by thirteen kinds on their AD1/decision rows
    # (each kind takes two at a time): a bigger council, and not each kind on every seed.
    "adoption": Group(KINDS_ADOPTION, 0.6, False, 3000),
    "header": Group(KINDS_HEADER, 0.6, False),  # a missing period open at last 31 March fits 2-4 children
    "episodes_b": Group(KINDS_EPISODES_B, 0.6, False),  # care ended at 18 in the year: a dozen a council
    # Thirty kinds, each on every seed: the fewest children (4 a council) take a Saturday conference (one that
    # started no protection plan).
    "base": Group(BASE, 0.6, True, returns=("cin", "ssda903", "cross"), roll=True),
}


def _rules(kind: FaultKind, g: Group) -> tuple[str, ...]:
    """The rules ``kind`` names in the returns group ``g`` is checked on."""
    return (*(kind.cin_rules if "cin" in g.returns else ()), *(kind.lac_rules if "ssda903" in g.returns else ()))


@pytest.fixture(scope="module")
def councils(tmp_path_factory):
    """Each (group, seed) council, generated once: the faults and the findings of the group's returns."""
    done: dict[tuple[str, int], tuple[pd.DataFrame, pd.DataFrame]] = {}

    def get(group: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        if (group, seed) not in done:
            g = GROUPS[group]
            faults, found = group_council(tmp_path_factory.mktemp(f"faults_{group}_{seed}"),
                                          [k.name for k in g.kinds], seed, g.rate, g.children, g.roll)
            done[group, seed] = faults, found.loc[found["return"].isin(g.returns)]
        return done[group, seed]

    return get


@pytest.mark.parametrize("group", GROUPS)
def test_each_kind_names_rules_and_is_drawn(group, councils):
    g = GROUPS[group]
    names = {k.name for k in g.kinds}
    assert names and all(_rules(k, g) for k in g.kinds)
    drawn = [set(councils(group, seed)[0]["kind"]) for seed in SEEDS]
    if g.every_seed:
        assert all(d == names for d in drawn), [sorted(names - d) for d in drawn]
    else:
        assert set().union(*drawn) == names, sorted(names - set().union(*drawn))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("group", GROUPS)
def test_each_kind_triggers_exactly_its_rules(group, seed, councils):
    faults, found = councils(group, seed)
    rules = {r for k in GROUPS[group].kinds for r in _rules(k, GROUPS[group])}
    assert_exact(faults, found, rules, by_return=len(GROUPS[group].returns) > 1)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("group", GROUPS)
def test_no_finding_on_a_child_without_a_fault(group, seed, councils):
    faults, found = councils(group, seed)
    left = stray(faults, found)
    assert left.empty, left.to_string()


def test_unreachable_rules_are_not_claimed_by_a_kind():
    from statreturns.generate.faults import KINDS, UNREACHABLE

    for name in ("cin", "ssda903"):
        claimed = {r for k in KINDS.values() for r in (k.cin_rules if name == "cin" else k.lac_rules)}
        unreachable = {code for (ret, code) in UNREACHABLE if ret == name}
        assert unreachable and not unreachable & claimed, name
