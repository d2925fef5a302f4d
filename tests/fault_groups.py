"""The harness the fault-kind tests share: a generated council with some kinds injected, written as
extract files and read back through the pipeline's own path, and the checks made of it. Every check
returns counts by kind and rule (never a child id), so a failure message names no child."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from statreturns.generate import Config, generate, inject, write_sources_file
from statreturns.generate.audit import findings, providers, read_back
from statreturns.generate.cross_faults import add_cross
from statreturns.generate.ofsted import write_provider_list
from statreturns.school import write_pupils
from statreturns.ssd import write_ssd

YEAR = 2026


def group_tables(names: list[str], seed: int, rate: float, children: int = 1200, roll: bool = False
                 ) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """The canonical tables and the fault list of a council with only ``names`` injected; with ``roll``,
    the school roll completed from the faulted record (the cross step with no cross fault), so a kind
    that edits a child the roll knows is not also found by the cross checks."""
    cfg = Config(children=children, seed=seed, fault_rate=rate, year=YEAR)
    tables, faults = inject(generate(cfg), cfg.fault_rate, cfg.seed, cfg.year, kinds=names)
    if roll:
        tables, faults = add_cross(tables, faults, cfg, rate=0)
    return tables, faults


def council_findings(out: Path, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Every finding (both returns, both years, the cross checks) of ``tables`` written into ``out`` as
    extract files and read back."""
    write_ssd({k: v for k, v in tables.items() if k != "school_pupils"}, out / "ssd")
    write_pupils(tables["school_pupils"], out / "school" / "pupils.csv")
    write_provider_list(tables["la_episodes"], out / "ofsted" / "providers.xlsx")
    write_sources_file(out / "sources.yaml", ".")
    return findings(read_back(out), YEAR, "356", providers(out))


def group_council(out: Path, names: list[str], seed: int, rate: float, children: int = 1200,
                  roll: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fault list and every finding (both returns, both years) of a council with only ``names`` injected."""
    tables, faults = group_tables(names, seed, rate, children, roll)
    return faults, council_findings(out, tables)


def expected(faults: pd.DataFrame) -> pd.DataFrame:
    """One row per (child, kind, rule) a fault must trigger in the collection year."""
    out = faults.assign(rule_code=faults["expected_rules"].str.split(";")).explode("rule_code")
    return out.loc[out["rule_code"].fillna("") != ""]


def _counts(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    return frame.groupby(by).size()


def missed(faults: pd.DataFrame, found: pd.DataFrame, rules: set[str] | None = None) -> pd.Series:
    """Expected (rule, child) pairs (among ``rules``, when given) that the collection year's findings lack."""
    want = expected(faults)
    this_year = found.loc[found["year"] == YEAR]
    got = set(zip(this_year["rule_code"], this_year["child_id"], strict=True))
    lost = want.loc[[(r, c) not in got and (rules is None or r in rules)
                     for r, c in zip(want["rule_code"], want["child_id"], strict=True)]]
    return _counts(lost, ["kind", "rule_code"])


def extra(faults: pd.DataFrame, found: pd.DataFrame, by_return: bool = False) -> pd.Series:
    """Findings of the collection year on a faulted child that its fault does not name (counted by kind
    and rule, with ``by_return`` by kind, return and rule)."""
    want = expected(faults)
    pairs = set(zip(want["rule_code"], want["child_id"], strict=True))
    kind_of = dict(zip(faults["child_id"], faults["kind"], strict=True))
    this_year = found.loc[found["year"] == YEAR]
    more = this_year.loc[[(r, c) not in pairs and c in kind_of for r, c in zip(this_year["rule_code"],
                                                                              this_year["child_id"], strict=True)]]
    by = ["kind", "return", "rule_code"] if by_return else ["kind", "rule_code"]
    return _counts(more.assign(kind=more["child_id"].map(kind_of)), by)


def assert_exact(faults: pd.DataFrame, found: pd.DataFrame, rules: set[str] | None = None,
                 by_return: bool = False) -> None:
    """Each kind triggers exactly its rules in the collection year: nothing ``missed`` (among ``rules``, when
    given), then nothing ``extra``; a failure names kinds, rules and counts only."""
    lost = missed(faults, found, rules)
    assert lost.empty, lost.to_string()
    more = extra(faults, found, by_return)
    assert more.empty, more.to_string()


def stray(faults: pd.DataFrame, found: pd.DataFrame) -> pd.Series:
    """Findings, in either year, on a child without a fault."""
    return _counts(found.loc[~found["child_id"].isin(set(faults["child_id"]))], ["year", "rule_code"])
