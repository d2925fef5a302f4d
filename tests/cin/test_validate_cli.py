"""`statreturns validate cin`: draft rules asked for in a year that has none, and what the run records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from pipelines.cli import main
from statreturns.cin.tables import COLUMNS
from statreturns.cin.xml_writer import write_cin_xml


def census_file(tmp_path: Path, year: int) -> Path:
    """One synthetic child with one NFA referral in the census year: no DfE error."""
    rows = {
        "ChildIdentifiers": [{"LAchildID": "SYN1", "UPNunknown": "UN7", "PersonBirthDate": "2015-06-01", "Sex": "F",
                              "GenderCurrent": "2"}],
        "ChildCharacteristics": [{"LAchildID": "SYN1", "Ethnicity": "WBRI"}],
        "CINdetails": [{"LAchildID": "SYN1", "CINdetailsID": "0", "CINreferralDate": f"{year - 1}-05-01",
                        "ReferralSource": "1A", "PrimaryNeedCode": "N1", "CINclosureDate": f"{year - 1}-05-01",
                        "ReasonForClosure": "RC8", "ReferralNFA": "1"}],
    }
    frames = {name: pd.DataFrame([{c: r.get(c) for c in COLUMNS[name]} for r in rows.get(name, [])],
                                 columns=COLUMNS[name], dtype=object) for name in COLUMNS}
    return write_cin_xml(frames, tmp_path / "census.xml", year=year, lea="921")


def run(tmp_path: Path, capsys, year: int, *flags: str) -> tuple[int, str, pd.DataFrame]:
    out = tmp_path / "out"
    code = main(["validate", "cin", str(census_file(tmp_path, year)), "--year", str(year), "--out", str(out),
                 *flags])
    err = capsys.readouterr().err
    return code, err, pd.read_csv(out / "rules.csv", dtype=str, keep_default_na=False)


@pytest.mark.parametrize("year", [2025, 2026])
def test_draft_in_a_year_without_draft_rules_says_so(tmp_path: Path, capsys, year: int) -> None:
    code, err, rules = run(tmp_path, capsys, year, "--draft")
    assert code == 0
    lines = [line for line in err.splitlines() if "--draft" in line]
    assert len(lines) == 1 and f"no draft rules for collection year {year}" in lines[0] and "2027" in lines[0]
    draft = rules[rules["rule_code"].isin(["8995Q", "9000Q", "9005"])]
    assert len(draft) == 3
    assert (draft["status"] == "skipped").all()
    assert draft["reason"].str.contains(f"no draft rules for collection year {year}").all()


def test_draft_in_2027_runs_them_without_a_warning(tmp_path: Path, capsys) -> None:
    code, err, rules = run(tmp_path, capsys, 2027, "--draft")
    assert code == 0
    assert "--draft" not in err
    assert rules.loc[rules["rule_code"] == "8995Q", "status"].tolist() == ["ran"]


def test_without_draft_nothing_is_said(tmp_path: Path, capsys) -> None:
    code, err, rules = run(tmp_path, capsys, 2026)
    assert code == 0
    assert "--draft" not in err
    assert not rules["rule_code"].isin(["8995Q"]).any()
