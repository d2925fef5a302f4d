"""The engine turns every shape a rule may return into the same findings (issue 12 made the common shape,
a boolean mask on the table's own index, a fast path: the other shapes must read the same)."""

from __future__ import annotations

import pandas as pd
import pytest

from statreturns.engine import RuleSet, counts_by_rule, run_rules


class _Tables:
    year = 2026

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames

    def has(self, name: str) -> bool:
        return name in self.frames

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.frames[name]


def _kids(index: pd.Index | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({"CHILD": pd.Series(["a", None, "c", "d"], dtype="str"), "X": [1, 2, 3, 4]})
    return frame if index is None else frame.set_axis(index)


def _run(result, frame: pd.DataFrame, level: str = "row", child_column: str | None = None) -> pd.DataFrame:
    rules = RuleSet("t", "CHILD")
    rules.rule("1", "error", table="Kids", fields=["X"], message="m", years=[2026], level=level,
               child_column=child_column)(lambda t: result(t["Kids"]))
    return run_rules(rules, _Tables({"Kids": frame})).issues


# Rows 0 and 2 fail, said each way a rule may say it.
SHAPES = {
    "mask": lambda f: f["X"].isin([1, 3]),
    "mask, another index object": lambda f: pd.Series(f["X"].isin([1, 3]).to_numpy(), index=list(f.index)),
    "mask, shuffled": lambda f: f["X"].isin([1, 3]).iloc[[3, 1, 2, 0]],
    "mask on some rows": lambda f: f["X"].isin([1, 3]).iloc[[0, 2]],
    "nullable mask with NA": lambda f: pd.Series([True, pd.NA, True, False], index=f.index, dtype="boolean"),
    "index of labels": lambda f: f.index[[2, 0]],
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("index", [None, pd.Index(["w", "x", "y", "z"]), pd.RangeIndex(10, 14)])
def test_every_shape_gives_the_same_findings(shape, index):
    found = _run(SHAPES[shape], _kids(index))
    assert found["row"].tolist() == [0, 2]
    assert found["child_id"].tolist() == ["a", "c"]
    assert (found["rule_code"] == "1").all() and (found["field"] == "X").all()


def test_a_missing_child_id_is_blank_and_a_return_level_finding_has_no_row_or_child():
    assert _run(lambda f: f["X"] == 2, _kids())["child_id"].tolist() == [""]
    ret = _run(lambda f: f["X"] > 2, _kids(), level="return")
    assert ret["row"].tolist() == ["", ""] and ret["child_id"].tolist() == ["", ""]
    no_column = _run(lambda f: f["X"] > 2, _kids(), child_column="NOT_THERE")
    assert no_column["child_id"].tolist() == ["", ""] and no_column["row"].tolist() == [2, 3]


def test_a_rule_that_returns_nonsense_is_reported_as_failed():
    rules = RuleSet("t", "CHILD")
    rules.rule("1", "error", table="Kids", fields=["X"], message="m", years=[2026])(lambda t: "nonsense")
    result = run_rules(rules, _Tables({"Kids": _kids()}))
    assert result.failed_rules == ["1"] and result.issues.empty


def test_counts_by_rule_counts_findings_and_distinct_named_children():
    issues = pd.DataFrame({
        "rule_code": ["2", "2", "2", "10", "10"], "severity": ["error", "error", "error", "query", "query"],
        "message": ["m"] * 5, "child_id": pd.Series(["a", "a", "", "b", None], dtype="object"),
        "row": [0, 1, 2, 3, 4],
    })
    counts = counts_by_rule(issues)
    assert counts["rule_code"].tolist() == ["2", "10"]
    assert counts["findings"].tolist() == [3, 2] and counts["children"].tolist() == [1, 1]
    assert str(counts["children"].dtype) == "int64"
