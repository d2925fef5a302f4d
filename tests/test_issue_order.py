"""issues.csv rows are ordered by return, rule (numerically), child and row."""

import pandas as pd

from statreturns.engine import ISSUE_COLUMNS, RunResult
from statreturns.validate import file_order, write_issue_files


def _issue(ret: str, rule: str, child: str | None, row: str) -> dict:
    return {"return": ret, "year": "2026", "rule_code": rule, "severity": "error", "table": "T", "field": "F",
            "child_id": child, "row": row, "message": "m"}


def test_issues_csv_is_sorted_by_return_rule_child_row(tmp_path):
    rows = [_issue("ssda903", "101", "B", "3"), _issue("cin", "8500", "A", "10"), _issue("cin", "100", None, ""),
            _issue("cin", "8500", "A", "9"), _issue("ssda903", "1001", "A", "1"), _issue("ssda903", "205B", "A", "2"),
            _issue("ssda903", "205A", "C", "0"), _issue("cin", "8500", "0", "12"), _issue("ssda903", "101", "A", "7")]
    issues = pd.DataFrame(rows, columns=ISSUE_COLUMNS).sample(frac=1, random_state=4)
    written = write_issue_files(RunResult(issues=issues, rule_status=pd.DataFrame()), tmp_path)["issues_csv"]
    got = pd.read_csv(written, dtype="str", keep_default_na=False)
    keys = list(zip(got["return"], got["rule_code"], got["child_id"], got["row"], strict=True))
    assert keys == [("cin", "100", "", ""), ("cin", "8500", "0", "12"), ("cin", "8500", "A", "9"),
                    ("cin", "8500", "A", "10"), ("ssda903", "101", "A", "7"), ("ssda903", "101", "B", "3"),
                    ("ssda903", "205A", "C", "0"), ("ssda903", "205B", "A", "2"), ("ssda903", "1001", "A", "1")]
    assert file_order(issues.iloc[0:0]).empty
