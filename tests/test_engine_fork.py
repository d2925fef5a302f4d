"""The engine shares a big run's rules with one forked process (statreturns.engine._run_forked): the findings and
the rule status are the same as a serial run's, whatever happens to the forked process, and a rule that raises
is recorded by its exception's type only, in either process."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from statreturns import engine
from statreturns.engine import RuleSet, run_rules
from tests.test_engine_findings import _Tables

SINGLE_THREADED = engine._single_threaded
SECRET = "Zx9-not-a-real-child-Qw7"  # stands for data a rule's exception might quote



def _raises(t):
    raise KeyError(f"child {SECRET} not found")


def _rules() -> tuple[RuleSet, _Tables]:
    """Rules of every shape and outcome over two tables, one with a duplicated index label."""
    rng = np.random.default_rng(7)
    n = 500
    kids = pd.DataFrame({"CHILD": pd.Series([f"c{i % 450}" for i in range(n)], dtype="str"),
                         "X": rng.integers(0, 100, n)})
    eps = pd.DataFrame({"CHILD": pd.Series([f"c{i}" for i in range(n)], dtype="str"), "Y": rng.integers(0, 9, n)},
                       index=[0, *range(n - 1)])  # label 0 twice
    rules = RuleSet("t", "CHILD")
    for k in range(40):
        rules.rule(f"{k}A", "error" if k % 3 else "query", table="Kids", fields=["X"], message=f"mask {k}",
                   years=[2026])(lambda t, k=k: t["Kids"]["X"] % 40 == k)
        rules.rule(f"{k}B", "query", table="Kids", fields=["X"], message=f"labels {k}", years=[2026],
                   needs=["Eps"])(lambda t, k=k: t["Kids"].index[t["Kids"]["X"] == k])
        rules.rule(f"{k}C", "error", table="Kids", fields=["X"], message=f"return {k}", years=[2026],
                   level="return")(lambda t, k=k: t["Kids"]["X"] > 97 - k % 3)
    rules.rule("900", "error", table="Eps", fields=["Y"], message="on a duplicated label", years=[2026])(
        lambda t: t["Eps"]["Y"] == 3)
    rules.rule("901", "error", table="Kids", fields=["X"], message="raises", years=[2026])(_raises)
    rules.rule("902", "error", table="Absent", fields=["X"], message="skipped", years=[2026])(lambda t: None)
    return rules, _Tables({"Kids": kids, "Eps": eps})


@pytest.fixture
def forking(monkeypatch):
    """Fork for any run (not just big ones), and count the forks."""
    forks = []
    real_fork = os.fork

    def counted() -> int:
        pid = real_fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(engine, "FORK_MIN_COST", 0)
    monkeypatch.setattr(engine, "_single_threaded", lambda: True)
    monkeypatch.setattr(engine, "_cores", lambda: 2)
    monkeypatch.setattr(engine.os, "fork", counted)
    return forks


def _serial():
    rules, tables = _rules()
    return run_rules(rules, tables, workers=1)


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.issues, b.issues)
    pd.testing.assert_frame_equal(a.rule_status, b.rule_status)
    assert a.issues.to_csv().encode() == b.issues.to_csv().encode()


def test_a_forked_run_gives_what_a_serial_run_gives(forking):
    serial = _serial()
    assert len(serial.issues) > 100 and serial.failed_rules == ["900", "901"]  # 900: its table's index repeats
    rules, tables = _rules()
    _same(run_rules(rules, tables, workers=2), serial)
    assert len(forking) == 1


def test_workers_1_from_the_environment_runs_serially(forking, monkeypatch):
    monkeypatch.setenv(engine.WORKERS_ENV, "1")
    rules, tables = _rules()
    _same(run_rules(rules, tables), _serial())
    assert forking == []
    monkeypatch.setenv(engine.WORKERS_ENV, "2")
    run_rules(rules, tables)
    assert len(forking) == 1


@pytest.mark.parametrize("why", ["small", "one core", "another thread"])
def test_no_fork_for_a_small_run_on_one_core_or_beside_another_thread(forking, monkeypatch, why):
    if why == "small":
        monkeypatch.setattr(engine, "FORK_MIN_COST", 10**12)
    elif why == "one core":
        monkeypatch.setattr(engine, "_cores", lambda: 1)
    else:
        monkeypatch.setattr(engine, "_single_threaded", SINGLE_THREADED)
    rules, tables = _rules()
    done = threading.Event()
    other = threading.Thread(target=done.wait, daemon=True)
    if why == "another thread":
        other.start()
    try:
        result = run_rules(rules, tables, workers=2)
    finally:
        done.set()
    _same(result, _serial())
    assert forking == []


def _in_child(monkeypatch, act) -> None:
    """Make the forked process ``act(i)`` before its ``i``-th rule (the parent evaluates as usual)."""
    parent = os.getpid()
    real = engine._evaluate
    seen = []

    def evaluate(rule, tables):
        if os.getpid() != parent:
            seen.append(rule)
            act(len(seen))
        return real(rule, tables)

    monkeypatch.setattr(engine, "_evaluate", evaluate)


def _die_on_fifth(i: int) -> None:
    if i == 5:
        os.kill(os.getpid(), signal.SIGKILL)


def _raise_at_once(i: int) -> None:
    raise RuntimeError(SECRET)


def _hang_after_two(i: int) -> None:
    if i == 3:
        time.sleep(300)


@pytest.mark.parametrize("act", [_die_on_fifth, _raise_at_once, _hang_after_two], ids=["killed", "broken", "silent"])
def test_whatever_happens_to_the_forked_process_the_findings_are_the_same(forking, monkeypatch, capfd, act):
    monkeypatch.setattr(engine, "CHILD_SILENCE_SECONDS", 0.5)
    serial = _serial()
    _in_child(monkeypatch, act)
    rules, tables = _rules()
    _same(run_rules(rules, tables, workers=2), serial)
    assert len(forking) == 1
    with pytest.raises(ChildProcessError):  # reaped (killed first when silent)
        os.waitpid(forking[0], os.WNOHANG)
    out, err = capfd.readouterr()
    assert SECRET not in out + err


def test_a_garbled_outcome_from_the_forked_process_is_not_used(forking, monkeypatch):
    parent = os.getpid()
    real = engine._evaluate

    def evaluate(rule, tables):
        if os.getpid() != parent:
            return "ran", "not positions"
        return real(rule, tables)

    monkeypatch.setattr(engine, "_evaluate", evaluate)
    rules, tables = _rules()
    _same(run_rules(rules, tables, workers=2), _serial())


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rule_that_raises_is_recorded_by_type_only(forking, capfd, workers):
    rules, tables = _rules()
    result = run_rules(rules, tables, workers=workers)
    status = result.rule_status.set_index("rule_code")
    assert status.loc["901", "status"] == "failed" and status.loc["901", "reason"] == "KeyError"
    assert status.loc["900", "reason"] == "InvalidIndexError"  # a duplicated label: the rule fails, by type
    everything = result.issues.to_csv() + result.rule_status.to_csv() + "".join(capfd.readouterr())
    assert SECRET not in everything


def test_the_share_is_two_runs_of_about_equal_cost():
    theirs, ours = engine._share(list(range(10, 20)), [5, 1, 1, 1, 1, 1, 1, 1, 1, 1])
    assert theirs + ours == list(range(10, 20)) and theirs == [10, 11, 12] and len(ours) == 7
    assert engine._share([1, 2], [1, 100]) == ([1], [2])


@pytest.fixture(scope="module")
def council(tmp_path_factory) -> Path:
    from statreturns.cin.build import build_cin_frames
    from statreturns.cin.xml_writer import write_cin_xml
    from statreturns.generate import Config, generate, inject
    from statreturns.ssda903.build import build_903_frames
    from statreturns.ssda903.writer import write_csv_set

    out = tmp_path_factory.mktemp("fork-council")
    cfg = Config(children=600, seed=11, year=2026, fault_rate=0.2)
    tables = inject(generate(cfg), cfg.fault_rate, cfg.seed)[0]
    write_cin_xml(build_cin_frames(tables, 2026), out / "cin.xml", year=2026, lea="356")
    write_csv_set(build_903_frames(tables, 2026), out / "now", 2026)
    write_csv_set(build_903_frames(tables, 2025), out / "last", 2025)
    return out


@pytest.mark.parametrize("ret", ["cin", "ssda903"])
def test_the_real_rules_give_the_same_files_forked_or_not(forking, monkeypatch, council, tmp_path, ret):
    from statreturns.validate import validate_903, validate_cin, write_issue_files

    def validate():
        if ret == "cin":
            from statreturns.cin.xml_reader import read_cin_xml

            read = read_cin_xml(council / "cin.xml", xsd_year=2026)
            # workers=None: follow the environment (validate_cin alone runs its rules serially by default)
            return validate_cin(read.frames, 2026, xsd_issues=read.xsd_issues, workers=None)
        from statreturns.ssda903.csv_reader import read_csv_set

        return validate_903(read_csv_set(council / "now").tables, 2026,
                            previous=read_csv_set(council / "last").tables, la_code="356")

    files = {}
    for workers in ("1", "2"):
        monkeypatch.setenv(engine.WORKERS_ENV, workers)
        result = validate()
        found = len(result.issues)
        assert found > 20  # the injected faults are found
        paths = write_issue_files(result, tmp_path / workers)
        files[workers] = {name: path.read_bytes() for name, path in paths.items()}
    assert len(forking) == 1
    assert files["1"] == files["2"]
