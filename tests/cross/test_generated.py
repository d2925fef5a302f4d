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


def test_written_extracts_read_back_carry_the_cross_faults(tmp_path):
    """Through the files: SSD CSVs and the MIS pupil report (In Care, Care Authority) read back by their
    profiles; faults.csv names every child a cross check should find (other faults may add findings only
    about the children they were injected into)."""
    from statreturns.generate import write_extracts
    from statreturns.school import read_pupils
    from statreturns.ssd import read_ssd

    cfg = Config(children=400, seed=5, fault_rate=0.05, cross=True)
    write_extracts(cfg, tmp_path)
    tables = read_ssd(tmp_path / "ssd").tables
    pupils, quarantine = read_pupils(tmp_path / "school" / "pupils.csv")
    assert quarantine.empty and pupils["InCare"].notna().all()
    issues = validate_cross(build_cin_frames(tables, cfg.year), build_903_frames(tables, cfg.year), pupils, cfg.year,
                            la_code=cfg.la_code).issues
    faults = pd.read_csv(tmp_path / "faults.csv", dtype="str", keep_default_na=False)
    ours = faults[faults["kind"].str.startswith("cross_")]
    others = set(faults.loc[~faults["kind"].str.startswith("cross_"), "child_id"])
    assert set(ours["kind"]) >= {"cross_looked_after_not_in_need", "cross_not_on_roll", "cross_flagged_not_looked_after"}
    for code in sorted(CROSS.codes()):
        expected = set(ours.loc[ours["expected_rules"].str.split(";").map(lambda r, c=code: c in r), "child_id"])
        found = set(issues.loc[issues["rule_code"] == code, "child_id"])
        assert expected <= found and found - expected <= others, code
