"""The rule engine shared by the CIN census and the SSDA903 return.

A rule is metadata plus one vectorised predicate over tables that were parsed once for all rules.
The predicate returns which rows of ``rule.table`` fail: a boolean Series aligned with that table's
index (or an Index of failing labels). The engine, not the rule, turns that into findings, skips a
rule whose tables are absent, and reports a rule that raises as a failure of that rule.

Findings never leave this module as log lines: they are rows of a DataFrame that callers write to
files. Exceptions raised by rules are recorded by type only, since their text may quote data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
import pandas as pd

Severity = Literal["error", "query"]
ISSUE_COLUMNS = ["return", "year", "rule_code", "severity", "table", "field", "child_id", "row", "message"]
RULE_STATUS_COLUMNS = ["return", "year", "rule_code", "severity", "status", "reason", "findings"]


class Tables(Protocol):
    """What a rule sees: named frames plus the collection context (see cin/tables.py, ssda903/tables.py)."""

    year: int

    def has(self, name: str) -> bool: ...

    def __getitem__(self, name: str) -> pd.DataFrame: ...


Predicate = Callable[..., "pd.Series | pd.Index"]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: Severity
    table: str
    fields: tuple[str, ...]
    message: str
    years: frozenset[int]
    func: Predicate
    needs: tuple[str, ...] = ()
    child_column: str | None = None  # None: the table's own child id column (set per return)
    set_name: str = "core"  # "core", "draft" (CIN 2027 pre-proceedings), "extra" (D2I local 903 checks)
    level: Literal["row", "return"] = "row"

    def applies_to(self, year: int) -> bool:
        return year in self.years


@dataclass
class RuleSet:
    """All rules of one return. Declared at import time by decorators and never changed after."""

    name: str
    child_column: str
    rules: list[Rule] = field(default_factory=list)

    def rule(
        self,
        code: str,
        severity: Severity,
        *,
        table: str,
        fields: Iterable[str],
        message: str,
        years: Iterable[int],
        needs: Iterable[str] = (),
        child_column: str | None = None,
        set_name: str = "core",
        level: Literal["row", "return"] = "row",
    ) -> Callable[[Predicate], Predicate]:
        def register(func: Predicate) -> Predicate:
            clash = [r for r in self.rules if r.code == code and r.set_name == set_name and r.years & set(years)]
            if clash:
                raise ValueError(f"rule {code} is registered twice for the same year in {self.name}")
            needed = tuple(dict.fromkeys([table, *needs]))
            self.rules.append(Rule(
                code=code,
                severity=severity,
                table=table,
                fields=tuple(fields),
                message=message,
                years=frozenset(years),
                func=func,
                needs=needed,
                child_column=child_column,
                set_name=set_name,
                level=level,
            ))
            return func

        return register

    def select(self, year: int, sets: Iterable[str] = ("core",)) -> list[Rule]:
        wanted = set(sets)
        return [r for r in self.rules if r.set_name in wanted and r.applies_to(year)]

    def get(self, code: str, year: int) -> Rule:
        """The variant of rule ``code`` in force in ``year`` (a rule that changed is two entries)."""
        for r in self.rules:
            if r.code == code and r.applies_to(year):
                return r
        raise KeyError(f"no rule {code} for {year} in {self.name}")

    def codes(self) -> set[str]:
        return {r.code for r in self.rules}


def _failing_labels(result: pd.Series | pd.Index, frame: pd.DataFrame) -> pd.Index:
    if isinstance(result, pd.Index):
        return frame.index.intersection(result)
    if not isinstance(result, pd.Series):
        raise TypeError("a rule must return a boolean Series or an Index")
    mask = result.reindex(frame.index).fillna(False).astype(bool)
    return frame.index[mask.to_numpy()]


def _failing_positions(result: pd.Series | pd.Index, frame: pd.DataFrame) -> np.ndarray:
    """Row positions (0-based, in ``frame``'s order) of the rows a rule's result says fail."""
    index = frame.index
    # Most rules return a plain boolean mask on the table's own index: its positions, without reindexing.
    if (isinstance(result, pd.Series) and result.dtype == bool and index.is_unique
            and result.index.equals(index)):
        return np.flatnonzero(result.to_numpy())
    return index.get_indexer(_failing_labels(result, frame))


@dataclass
class RunResult:
    issues: pd.DataFrame
    rule_status: pd.DataFrame

    @property
    def errors(self) -> int:
        return int((self.issues["severity"] == "error").sum())

    @property
    def queries(self) -> int:
        return int((self.issues["severity"] == "query").sum())

    @property
    def failed_rules(self) -> list[str]:
        return self.rule_status.loc[self.rule_status["status"] == "failed", "rule_code"].tolist()


# Each rule with findings: the rule, its failing rows (positions), and (table, child id column) unless
# its findings name no child.
Found = list[tuple[Rule, np.ndarray, "tuple[pd.DataFrame, str] | None"]]


def run_rules(
    ruleset: RuleSet,
    tables: Tables,
    *,
    sets: Iterable[str] = ("core",),
    skip_reasons: Mapping[str, str] | None = None,
    extra_issues: pd.DataFrame | None = None,
) -> RunResult:
    """Run every rule of ``ruleset`` that applies to ``tables.year``.

    ``skip_reasons`` maps an optional table's name to why it is absent (e.g. "no previous year given"),
    so a skipped rule says why. ``extra_issues`` are findings made before the rules (e.g. dates that
    did not parse), merged into the result in the same shape.
    """
    year = tables.year
    skip_reasons = skip_reasons or {}
    parts: list[pd.DataFrame] = []
    found: Found = []
    status_rows: list[tuple] = []
    for rule in ruleset.select(year, sets):
        missing = [name for name in rule.needs if not tables.has(name)]
        if missing:
            reason = "; ".join(dict.fromkeys(skip_reasons.get(name, f"table {name} not supplied") for name in missing))
            status_rows.append((ruleset.name, year, rule.code, rule.severity, "skipped", reason, 0))
            continue
        frame = tables[rule.table]
        try:
            positions = _failing_positions(rule.func(tables), frame)
        except Exception as exc:  # noqa: BLE001 - a failing rule is reported, never allowed to stop the others
            status_rows.append((ruleset.name, year, rule.code, rule.severity, "failed", type(exc).__name__, 0))
            continue
        status_rows.append((ruleset.name, year, rule.code, rule.severity, "ran", "", len(positions)))
        if len(positions):
            column = rule.child_column or ruleset.child_column
            named = rule.level == "row" and column in frame.columns  # else the findings name no child
            found.append((rule, positions, (frame, column) if named else None))
    if found:
        parts.append(_findings(ruleset, found, year))
    if extra_issues is not None and len(extra_issues):
        parts.append(extra_issues[ISSUE_COLUMNS])
    issues = pd.concat(parts, ignore_index=True) if parts else empty_issues()
    issues = sort_issues(issues)
    status = pd.DataFrame(status_rows, columns=RULE_STATUS_COLUMNS)
    return RunResult(issues=issues, rule_status=status)


def _child_ids(found: Found) -> list[np.ndarray]:
    """Each finding's child id as text ("" where missing, or where the rule names no child). The failing
    rows of each table are converted once for all its rules: one call per rule costs more than its
    findings, and converting the whole column costs more on a big return."""
    wanted: dict[tuple[int, str], tuple[pd.DataFrame, str, list[np.ndarray]]] = {}
    for _, positions, source in found:
        if source is not None:  # keyed by id(): the frames are held by ``found`` meanwhile
            wanted.setdefault((id(source[0]), source[1]), (*source, []))[2].append(positions)
    made = {}
    for key, (frame, column, lists) in wanted.items():
        rows = np.unique(np.concatenate(lists))
        made[key] = rows, frame[column].take(rows).astype("str").fillna("").to_numpy(dtype=object)
    ids = []
    for _, positions, source in found:
        if source is None:
            ids.append(np.full(len(positions), "", dtype=object))
        else:
            rows, text = made[(id(source[0]), source[1])]
            ids.append(text[np.searchsorted(rows, positions)])
    return ids


def _findings(ruleset: RuleSet, found: Found, year: int) -> pd.DataFrame:
    """All rules' findings as one frame, built once (a frame per rule costs more than its findings):
    each finding's rule, child id (text) and row (0-based; "" for a return-level rule)."""
    counts = [len(positions) for _, positions, _ in found]

    def each(value: Callable[[Rule], str]) -> pd.Series:
        return pd.Series(np.repeat(np.array([value(r) for r, _, _ in found], dtype=object), counts), dtype="str")

    rows = [positions.astype(object) if rule.level == "row" else np.full(len(positions), "", dtype=object)
            for rule, positions, _ in found]
    return pd.DataFrame(
        {
            "return": pd.Series([ruleset.name] * sum(counts), dtype="str"),
            "year": np.full(sum(counts), year, dtype="int64"),
            "rule_code": each(lambda r: r.code),
            "severity": each(lambda r: r.severity),
            "table": each(lambda r: r.table),
            "field": each(lambda r: ";".join(r.fields)),
            "child_id": pd.Series(np.concatenate(_child_ids(found)), dtype="str"),
            "row": pd.array(np.concatenate(rows), dtype="object"),
            "message": each(lambda r: r.message),
        }
    )


def empty_issues() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in ISSUE_COLUMNS})


def sort_issues(issues: pd.DataFrame) -> pd.DataFrame:
    """A stable, deterministic order: by table, row, rule code."""
    if issues.empty:
        return issues.reset_index(drop=True)
    key = pd.to_numeric(issues["row"], errors="coerce").fillna(-1)
    return (
        issues.assign(_row=key)
        .sort_values(["table", "_row", "rule_code"], kind="stable")
        .drop(columns="_row")
        .reset_index(drop=True)
    )


def counts_by_rule(issues: pd.DataFrame) -> pd.DataFrame:
    """Counts per rule code and severity: the only shape of findings that may go to Dagster."""
    if issues.empty:
        return pd.DataFrame({"rule_code": [], "severity": [], "message": [], "findings": [], "children": []})
    keys = ["rule_code", "severity", "message"]
    findings = issues.groupby(keys, sort=True).size()
    # Distinct named children per group: one row per (group, child), counted as a size (a Python
    # function per group, as agg(nunique) runs, costs more than all the findings).
    child = issues["child_id"]
    named = issues.loc[child.notna().to_numpy() & (child != "").to_numpy(), [*keys, "child_id"]]
    children = named.drop_duplicates().groupby(keys, sort=True).size()
    out = pd.DataFrame({"findings": findings, "children": children.reindex(findings.index, fill_value=0)})
    return out.reset_index().sort_values(["severity", "findings"], ascending=[True, False], kind="stable")
