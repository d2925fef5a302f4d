"""The rule engine shared by the CIN census and the SSDA903 return.

A rule is metadata plus one vectorised predicate over tables that were parsed once for all rules.
The predicate returns which rows of ``rule.table`` fail: a boolean Series aligned with that table's
index (or an Index of failing labels). The engine, not the rule, turns that into findings, skips a
rule whose tables are absent, and reports a rule that raises as a failure of that rule.

Findings never leave this module as log lines: they are rows of a DataFrame that callers write to
files. Exceptions raised by rules are recorded by type only, since their text may quote data.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import select
import signal
import struct
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NoReturn, Protocol

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
    workers: int | None = None,
) -> RunResult:
    """Run every rule of ``ruleset`` that applies to ``tables.year``.

    ``skip_reasons`` maps an optional table's name to why it is absent (e.g. "no previous year given"),
    so a skipped rule says why. ``extra_issues`` are findings made before the rules (e.g. dates that
    did not parse), merged into the result in the same shape.

    ``workers``: 1 runs every rule in this process; 2 or more lets a big run share the rules with one
    forked process (see ``_run_forked``); None takes ``STATRETURNS_WORKERS`` (default 2). The result is
    the same either way.
    """
    year = tables.year
    skip_reasons = skip_reasons or {}
    selected = ruleset.select(year, sets)
    outcomes: list[Outcome | None] = [None] * len(selected)
    status_rows: list[tuple] = []
    runnable: list[int] = []
    for i, rule in enumerate(selected):
        missing = [name for name in rule.needs if not tables.has(name)]
        if missing:
            reason = "; ".join(dict.fromkeys(skip_reasons.get(name, f"table {name} not supplied") for name in missing))
            outcomes[i] = ("skipped", reason)
        else:
            runnable.append(i)
    costs = [_cost(selected[i], tables) for i in runnable]
    if _worth_forking(costs, workers):
        _run_forked(selected, tables, runnable, costs, outcomes)
    for i in runnable:  # serially, and any the forked process did not report
        if outcomes[i] is None:
            outcomes[i] = _evaluate(selected[i], tables)
    found: Found = []
    for rule, (status, value) in zip(selected, outcomes, strict=True):  # type: ignore[misc]
        if status == "skipped" or status == "failed":
            status_rows.append((ruleset.name, year, rule.code, rule.severity, status, value, 0))
            continue
        positions = value
        status_rows.append((ruleset.name, year, rule.code, rule.severity, "ran", "", len(positions)))
        if len(positions):
            frame = tables[rule.table]
            column = rule.child_column or ruleset.child_column
            named = rule.level == "row" and column in frame.columns  # else the findings name no child
            found.append((rule, positions, (frame, column) if named else None))
    parts: list[pd.DataFrame] = []
    if found:
        parts.append(_findings(ruleset, found, year))
    if extra_issues is not None and len(extra_issues):
        parts.append(extra_issues[ISSUE_COLUMNS])
    issues = pd.concat(parts, ignore_index=True) if parts else empty_issues()
    issues = sort_issues(issues)
    status = pd.DataFrame(status_rows, columns=RULE_STATUS_COLUMNS)
    return RunResult(issues=issues, rule_status=status)


# A rule's outcome: ("ran", failing positions), ("failed", the exception's type name: never its text, which
# may quote data) or ("skipped", why).
Outcome = tuple[str, "np.ndarray | str"]


def _evaluate(rule: Rule, tables: Tables) -> Outcome:
    try:
        return "ran", _failing_positions(rule.func(tables), tables[rule.table])
    except Exception as exc:  # noqa: BLE001 - a failing rule is reported, never allowed to stop the others
        return "failed", type(exc).__name__


# ---- Sharing the rules with a forked process ------------------------------------------------------------
# The rules only read the tables, so after the tables are built the process forks once: the forked process
# evaluates a share of the rules on its copy-on-write view of the same frames and sends back, for each rule,
# only its outcome (status, and the failing rows' positions or the exception's type name) over a pipe; the
# findings are then made here in the rules' order, so the files are byte-identical to a serial run.
#
# Fork safety. We fork only when this process runs no other Python thread (the `validate` command; a Dagster
# step or a test server keeps serial): another Python thread could hold a lock the forked copy needs. The
# native threads present then are the allocator's (jemalloc's background thread), numpy's OpenBLAS pool and,
# once Arrow has converted a table, Arrow's CPU pool: jemalloc and OpenBLAS take their locks around fork
# (pthread_atfork), and Arrow's ThreadPool registers at-fork handlers that reset it in the forked process.
# Measured just before the fork of `validate` (cin and ssda903, 10k): the main thread, one 'python' native
# thread (two on the 903: OpenBLAS, Arrow) and jemalloc's background thread. The 903 CSV reader is single-threaded and nothing of Arrow's I/O is in flight once the tables are
# built. The forked process writes no file, logs nothing and leaves by os._exit (no atexit handler, no
# flush of buffers it shares with this one); whatever goes wrong in it, this process evaluates the rules
# it did not report, so a dead, broken or silent child costs time, never findings.
WORKERS_ENV = "STATRETURNS_WORKERS"
# Below this much work (rows read by the rules, see _cost) a fork costs more than half the rules save. On
# 10,000 children the CIN census comes to 1.3 million, the 903 with last year to 4.2 million; at 10k the fork
# (15-35 ms for a 200-270 MB process) and the pages both processes then copy cost ~0.08 CPU-s on the CIN,
# ~0.15 on the 903, for a rules stage that takes ~25 % (CIN) to ~40 % (903) less wall time.
FORK_MIN_COST = 1_000_000
# A rule's fixed cost, in rows: calling it and making its findings cost about as much as reading this many.
RULE_OVERHEAD_ROWS = 2_000
# The forked process is given up on (killed; this process evaluates what it did not report) when it has
# sent nothing for this long once this process's own share is done, or twice that share's time if longer.
CHILD_SILENCE_SECONDS = 10.0
_HEAD = struct.Struct("<Q")


def _cost(rule: Rule, tables: Tables) -> int:
    """A cheap, deterministic estimate of a rule's work: the rows of every table it reads."""
    return RULE_OVERHEAD_ROWS + sum(len(tables[name]) for name in rule.needs)


def _workers(workers: int | None) -> int:
    if workers is not None:
        return workers
    try:
        return int(os.environ.get(WORKERS_ENV, "2"))
    except ValueError:
        return 1


def _worth_forking(costs: list[int], workers: int | None) -> bool:
    return (_workers(workers) >= 2 and hasattr(os, "fork") and len(costs) >= 2 and sum(costs) >= FORK_MIN_COST
            and _cores() >= 2 and _single_threaded())


def _cores() -> int:
    """The cores this process may run on (a second process on the same core only adds the fork's cost)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _single_threaded() -> bool:
    """No Python thread but this one (see "Fork safety" above)."""
    return threading.active_count() == 1


def _share(runnable: list[int], costs: list[int]) -> tuple[list[int], list[int]]:
    """The rules split in two runs of registration order of about equal cost: rules of one topic sit together
    and share derived frames (memos), which each process then builds once, not twice."""
    cut, half, total = 0, 0, sum(costs)
    while cut < len(costs) and 2 * (half + costs[cut]) <= total:
        half += costs[cut]
        cut += 1
    return runnable[:cut], runnable[cut:]


def _run_forked(selected: list[Rule], tables: Tables, runnable: list[int], costs: list[int],
                outcomes: list[Outcome | None]) -> None:
    """Evaluate ``runnable`` across this process and one forked process, filling ``outcomes``. Rules the
    forked process does not report (it died, broke or stayed silent) are left None for the caller."""
    theirs, ours = _share(runnable, costs)
    if not theirs or not ours:
        return
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to be had: all serially
        os.close(read_fd)
        os.close(write_fd)
        return
    if pid == 0:  # pragma: no cover - the forked process (it leaves by os._exit; coverage cannot see it)
        os.close(read_fd)
        _child(selected, tables, theirs, write_fd)
    os.close(write_fd)
    receiver = _Receiver(read_fd, set(theirs))
    try:
        os.set_blocking(read_fd, False)
        started = time.monotonic()
        for i in ours:
            outcomes[i] = _evaluate(selected[i], tables)
            receiver.drain()
        silence = max(CHILD_SILENCE_SECONDS, 2 * (time.monotonic() - started))
        receiver.wait(silence)
    finally:
        os.close(read_fd)
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)  # done or given up on; a process that already left is only reaped
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)
    for i, outcome in receiver.outcomes.items():
        outcomes[i] = outcome


def _child(selected: list[Rule], tables: Tables, share: list[int], fd: int) -> NoReturn:
    """The forked process: each rule's outcome as it is made (a length, then a pickle), then leave."""
    code = 1
    try:
        gc.freeze()  # the collector leaves the inherited objects alone: their pages stay shared
        for i in share:
            data = pickle.dumps((i, _evaluate(selected[i], tables)), protocol=pickle.HIGHEST_PROTOCOL)
            message = memoryview(_HEAD.pack(len(data)) + data)
            while message:
                message = message[os.write(fd, message):]
        code = 0
    except BaseException:  # noqa: BLE001,S110 - nothing of it may reach a log: the parent evaluates the rest
        pass
    finally:
        os._exit(code)


class _Receiver:
    """The forked process's messages, read as they come (the pipe holds little: a full pipe would stop it)."""

    def __init__(self, fd: int, expected: set[int]) -> None:
        self.fd = fd
        self.expected = expected
        self.buffer = bytearray()
        self.outcomes: dict[int, Outcome] = {}
        self.closed = False

    def drain(self) -> bool:
        """Read what is there without waiting; True if anything came."""
        got = False
        while not self.closed:
            try:
                chunk = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                self.closed = True
                break
            self.buffer += chunk
            got = True
        self._parse()
        return got

    def wait(self, silence: float) -> None:
        """Read until the forked process is done or has sent nothing for ``silence`` seconds."""
        while not self.closed and not self.expected <= self.outcomes.keys():
            ready, _, _ = select.select([self.fd], [], [], silence)
            if not ready:
                return  # silent too long
            self.drain()

    def _parse(self) -> None:
        while len(self.buffer) >= _HEAD.size:
            (size,) = _HEAD.unpack_from(self.buffer)
            if len(self.buffer) < _HEAD.size + size:
                return
            data = bytes(self.buffer[_HEAD.size:_HEAD.size + size])
            del self.buffer[:_HEAD.size + size]
            try:
                i, outcome = pickle.loads(data)  # noqa: S301 - from our own forked copy of this process
            except Exception:  # noqa: BLE001 - a garbled message: that rule is evaluated here
                continue
            if i in self.expected and i not in self.outcomes and _well_formed(outcome):
                self.outcomes[i] = outcome


def _well_formed(outcome: object) -> bool:
    if not isinstance(outcome, tuple) or len(outcome) != 2:
        return False
    status, value = outcome
    return ((status == "ran" and isinstance(value, np.ndarray) and value.ndim == 1 and value.dtype.kind == "i")
            or (status == "failed" and isinstance(value, str)))


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
