"""A generated council: fault-free, no cross finding; with cross faults, each check fires exactly on the
children (or pupils) injected for it."""

from __future__ import annotations

import pandas as pd
import pytest

from schemas import canonical
from schemas.rules.cross import CROSS
from statreturns.cin.build import build_cin_frames
from statreturns.cross import validate_cross
from statreturns.generate import Config, generate, inject
from statreturns.generate.cross_faults import FAULT_COLUMNS, KINDS, add_cross, disagree_903
from statreturns.ssda903.build import build_903_frames

CFG = Config(children=500, seed=16, fault_rate=0.0)


@pytest.fixture(scope="module")
def council() -> dict[str, pd.DataFrame]:
    tables, faults = inject(generate(CFG), CFG.fault_rate, CFG.seed)
    assert faults.empty
    return tables


def _findings(tables: dict[str, pd.DataFrame], faults: pd.DataFrame | None = None) -> pd.DataFrame:
    year = CFG.year
    lac = build_903_frames(tables, year)
    if faults is not None:
        lac = disagree_903(lac, faults)
    result = validate_cross(build_cin_frames(tables, year), lac, tables["school_pupils"], year, la_code=CFG.la_code)
    assert (result.rule_status["status"] == "ran").all()
    return result.issues


def test_a_fault_free_council_has_no_cross_finding(council):
    tables, faults = add_cross(council, pd.DataFrame(columns=FAULT_COLUMNS), CFG)
    assert faults.empty
    for name, frame in tables.items():
        canonical.MODELS[name].validate(frame)
    issues = _findings(tables)
    assert issues.empty, issues["rule_code"].value_counts().to_dict()
    # the checks had something to look at: children looked after now, flagged on the roll
    assert tables["school_pupils"]["InCare"].fillna(False).astype(bool).sum() > 5


def test_each_cross_check_fires_only_on_its_injected_children(council):
    tables, faults = add_cross(council, pd.DataFrame(columns=FAULT_COLUMNS), CFG, rate=0.08, with_returns=True)
    assert set(faults["kind"]) == set(KINDS)
    for name, frame in tables.items():
        canonical.MODELS[name].validate(frame)
    issues = _findings(tables, faults)
    for code in sorted(CROSS.codes()):
        expected = set(faults.loc[faults["expected_rules"].str.split(";").map(lambda r, c=code: c in r),
                                  "child_id"])
        found = set(issues.loc[issues["rule_code"] == code, "child_id"])
        assert expected, code
        assert found == expected, (code, len(found - expected), len(expected - found))
