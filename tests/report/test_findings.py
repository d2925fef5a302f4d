from statreturns.report import findings
from tests.report.frames import issue, issues, status


def _sample():
    return issues([
        issue("C2", "8500", "error", row=3),
        issue("C1", "8500", "error", row=1),
        issue("C1", "8500", "error", row=2),
        issue("C1", "8825Q", "query", row=1, message="Please check"),
        issue("C3", "8825Q", "query", row=4, message="Please check"),
        issue("C3", "8825Q", "query", row=5, message="Please check"),
        issue("C3", "8825Q", "query", row=6, message="Please check"),
        issue("", "2887Q", "query", row="", table="ChildIdentifiers", field="Disability"),
        issue("C9", "103", "error", row=0, table="Header", field="CHILD", return_="ssda903"),
    ])


def test_by_rule_counts_findings_and_distinct_children_errors_first():
    rules = findings.by_rule(_sample())
    assert list(rules.columns) == findings.BY_RULE_COLUMNS
    assert rules[["rule_code", "severity", "findings", "children"]].values.tolist() == [
        ["8500", "error", 3, 2],
        ["103", "error", 1, 1],
        ["8825Q", "query", 4, 2],
        ["2887Q", "query", 1, 0],  # a return-level finding is about no child
    ]


def test_by_child_groups_each_childs_findings_errors_first_and_return_level_last():
    ordered = findings.by_child(_sample())
    assert ordered["child_id"].tolist() == ["C1", "C1", "C1", "C2", "C3", "C3", "C3", "C9", ""]
    assert ordered.loc[ordered["child_id"] == "C1", "severity"].tolist() == ["error", "error", "query"]
    counts = findings.child_counts(ordered)
    assert counts.values.tolist() == [["C1", 3, 2, 1], ["C2", 1, 1, 0], ["C3", 3, 0, 3], ["C9", 1, 1, 0],
                                      ["", 1, 0, 1]]


def test_summary_counts():
    s = findings.summary(_sample(), status([("cin", 2026, "8500", "error", "ran", "", 3),
                                            ("cin", 2026, "1", "error", "skipped", "table x not supplied", 0),
                                            ("cin", 2026, "2", "query", "failed", "KeyError", 0)]))
    assert s == {"errors": 4, "queries": 5, "findings": 9, "children_with_findings": 4, "children_with_errors": 3,
                 "rules_with_errors": 2, "rules_ran": 1, "rules_skipped": 1, "rules_failed": 1}


def test_rules_not_run_lists_failed_then_skipped_with_reasons():
    out = findings.rules_not_run(status([("cin", 2026, "8500", "error", "ran", "", 3),
                                         ("ssda903", 2026, "219", "error", "skipped", "no Ofsted lists", 0),
                                         ("cin", 2026, "8600", "query", "failed", "KeyError", 0)]))
    assert out[["rule_code", "status", "reason"]].values.tolist() == [
        ["8600", "failed", "KeyError"], ["219", "skipped", "no Ofsted lists"]]


def test_issues_read_back_from_csv_with_blanks_as_nan_are_handled():
    frame = _sample()
    frame.loc[frame["child_id"] == "", "child_id"] = None
    frame["row"] = frame["row"].replace("", None)
    assert findings.by_rule(frame)["children"].tolist() == [2, 1, 2, 0]
    assert findings.by_child(frame)["child_id"].iloc[-1] == ""
