"""`statreturns cross` on return files and a school roll, as a council with a separate 903 system would run it."""

from __future__ import annotations

import pandas as pd

from pipelines.cli import main
from statreturns.cin.build import build_cin_frames
from statreturns.cin.xml_writer import write_cin_xml
from statreturns.engine import ISSUE_COLUMNS
from statreturns.generate import Config, generate, inject
from statreturns.generate.cross_faults import FAULT_COLUMNS, add_cross
from statreturns.school import write_pupils
from statreturns.ssda903.build import build_903_frames
from statreturns.ssda903.writer import write_csv_set


def test_cross_command_finds_a_903_that_disagrees_with_the_cin_census(tmp_path, capsys):
    cfg = Config(children=200, seed=4, fault_rate=0.0)
    tables, _ = add_cross(inject(generate(cfg), 0.0, cfg.seed)[0], pd.DataFrame(columns=FAULT_COLUMNS), cfg)
    cin = write_cin_xml(build_cin_frames(tables, cfg.year), tmp_path / "cin.xml", year=cfg.year, lea=cfg.la_code)
    lac = build_903_frames(tables, cfg.year)
    in_both = lac["Header"]["CHILD"].isin(set(build_cin_frames(tables, cfg.year)["ChildIdentifiers"]["LAchildID"]))
    row = int(in_both.to_numpy().argmax())
    child = lac["Header"].loc[row, "CHILD"]
    lac["Header"].loc[row, "DOB"] = "01/01/2001"  # the other system's date of birth
    write_csv_set(lac, tmp_path / "903", cfg.year)
    roll = write_pupils(tables["school_pupils"], tmp_path / "pupils.csv")
    out = tmp_path / "out"
    args = ["cross", "--cin", str(cin), "--ssda903", str(tmp_path / "903"), "--school", str(roll),
            "--year", str(cfg.year), "--la", cfg.la_code, "--out", str(out)]
    assert main(args) == 0
    issues = pd.read_csv(out / "issues.csv", dtype="str", keep_default_na=False)
    assert issues.columns.tolist() == ISSUE_COLUMNS
    assert issues[["rule_code", "child_id", "table", "row"]].values.tolist() == [["X03", child, "ssda903.Header",
                                                                                  str(row)]]
    assert set(issues["return"]) == {"cross"} and set(issues["severity"]) == {"query"}
    assert child not in capsys.readouterr().out  # counts and paths only


def test_cross_command_bad_usage(tmp_path, capsys):
    assert main(["cross", "--cin", str(tmp_path / "none.xml"), "--ssda903", str(tmp_path), "--year", "2026",
                 "--out", str(tmp_path / "out")]) == 2
    assert "none.xml: no such file" in capsys.readouterr().err
