"""The retention commands end to end through the CLI: exit codes, plan id last, nothing names a child."""

import json

import pytest
import sqlalchemy as sa

from pipelines.cli import main
from tests.retention.conftest import KEY


@pytest.fixture
def cli(world, capsys):
    def run(*argv: str) -> tuple[int, str, str]:
        code = main([*argv, "--run-dir", str(world.run_dir), "--database-url", world.url])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def _identifiers(world) -> set[str]:
    kids, pupils = world.tables["children"], world.tables["school_pupils"]
    return (set(kids.child_id) | set(kids.UPN.dropna()) | set(pupils.pupil_id) | set(pupils.UPN.dropna())
            | set(kids.home_postcode.dropna()))


def test_full_cycle_and_no_identifier_printed(world, cli, tmp_path):
    victim = world.tables["children"].child_id.iloc[0]
    printed = []
    code, out, err = cli("retention", "hold", "add", "--scope", "child", "--child", victim, "--reason", "SAR",
                         "--authority", "DPO", "--start", "2026-01-01", "--by", "tester")
    assert code == 0
    printed.append(out + err)
    code, out, err = cli("retention", "hold", "list")
    assert code == 0 and "a child" in out
    printed.append(out + err)
    code, out, err = cli("retention", "plan", "--as-of", "2110-01-01", "--schedule", "council", "--by", "tester")
    assert code == 0
    printed.append(out + err)
    plan_id = out.strip().splitlines()[-1]
    assert plan_id.startswith("21100101-")
    code, out, err = cli("retention", "apply", plan_id)
    assert code == 1 and "not approved" in err
    assert cli("retention", "approve", plan_id, "--by", "dpo")[0] == 0
    code, out, err = cli("retention", "apply", plan_id, "--by", "tester")
    assert code == 0 and "withdrawn" in out
    printed.append(out + err)
    code, out, err = cli("retention", "apply", plan_id)
    assert code == 0 and "already applied" in out
    code, out, err = cli("retention", "verify")
    assert code == 0 and "verifies" in out
    code, out, err = cli("dsar", victim, "--out", str(tmp_path / "dsar"))
    assert code == 0
    printed.append(out + err)
    manifest = json.loads((tmp_path / "dsar" / "manifest.json").read_text())
    assert manifest["parts"]["warehouse/children"] == 1 and manifest["parts"]["legal_holds"] == 1
    code, out, err = cli("export", "minimised", "--use-case", "pan", "--recipient", "Regional hub",
                         "--out", str(tmp_path / "pan"))
    assert code == 0
    printed.append(out + err)
    code, out, err = cli("retention", "shared", victim)
    assert code == 0 and "2 export(s)" in out and "Regional hub" in out
    printed.append(out + err)
    ids = _identifiers(world)
    assert sum(i in text for text in printed for i in ids) == 0


def test_verify_fails_and_names_the_entry_after_tampering(world, cli):
    code, out, _ = cli("retention", "plan", "--as-of", "2110-01-01")
    cli("retention", "approve", out.strip().splitlines()[-1], "--by", "dpo")
    with world.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE retention_audit DISABLE TRIGGER retention_audit_append_only"))
        else:
            conn.execute(sa.text("DROP TRIGGER retention_audit_no_update"))
        conn.execute(sa.text("UPDATE retention_audit SET actor = 'someone else' WHERE seq = 1"))
    code, out, err = cli("retention", "verify")
    assert code == 1 and "entry 1" in err


def test_bad_input_exits_2(world, cli, tmp_path, monkeypatch):
    assert cli("retention", "plan", "--as-of", "tomorrow")[0] == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("series:\n  - id: x\n    source: s\n    subject: nobody\n")
    code, _, err = cli("retention", "plan", "--as-of", "2030-01-01", "--schedule", str(bad))
    assert code == 2 and "bad.yaml" in err and "line 2" in err
    assert cli("retention", "approve", "no-such-plan", "--by", "dpo")[0] == 2
    monkeypatch.delenv("STATRETURNS_PSEUDONYM_KEY")
    code, _, err = cli("export", "minimised", "--use-case", "pan", "--recipient", "hub", "--out", str(tmp_path / "x"))
    assert code == 2 and "STATRETURNS_PSEUDONYM_KEY" in err
    assert cli("export", "minimised", "--use-case", "nope", "--recipient", "hub", "--out", str(tmp_path))[0] == 2


def test_minimised_extract_degrades_and_pseudonymises(world, cli, tmp_path):
    import pandas as pd

    assert cli("export", "minimised", "--use-case", "pan", "--recipient", "hub", "--out", str(tmp_path / "pan"))[0] == 0
    kids = pd.read_csv(tmp_path / "pan" / "children.csv", dtype=str)
    assert list(kids.columns) == ["child_id", "PersonBirthDate", "Sex", "Ethnicity", "home_postcode"]
    assert kids.child_id.str.startswith("ps_").all()
    assert kids.PersonBirthDate.dropna().str.endswith("-01").all()
    text = (tmp_path / "pan" / "children.csv").read_text() + (tmp_path / "pan" / "la_episodes.csv").read_text()
    assert sum(i in text for i in _identifiers(world)) == 0
    assert KEY not in text


def test_record_export_reads_children_from_return_files(world, cli):
    out_dir = world.run_dir / "outputs" / "2026" / "356"
    code, out, err = cli("retention", "record-export", "cin_census", str(out_dir / "cin_census.xml"))
    assert code == 0 and "5 children" in out
    code, out, err = cli("retention", "record-export", "submission_pack", str(out_dir / "submission_pack.zip"))
    assert code == 0 and "5 children" in out
    first = world.tables["children"].child_id.iloc[0]
    code, out, err = cli("retention", "shared", first)
    assert "2 export(s)" in out and "Children Act 1989 s83" in out
    assert first not in out + err
    evil = world.run_dir / "evil.xml"
    evil.write_text('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x><CHILD>&e;</CHILD></x>')
    code, out, err = cli("retention", "record-export", "cin_census", str(evil))
    assert code == 2 and "DOCTYPE" in err
    assert cli("retention", "record-export", "nonsense", str(out_dir / "cin_census.xml"))[0] == 2


def test_database_errors_are_withheld(capsys):
    code = main(["retention", "verify", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none"])
    err = capsys.readouterr().err
    assert code == 2 and "withheld" in err and len(err.strip().splitlines()) == 1


def test_verify_checks_the_anchor_apply_printed(world, cli):
    code, out, _ = cli("retention", "plan", "--as-of", "2110-01-01")
    plan_id = out.strip().splitlines()[-1]
    cli("retention", "approve", plan_id, "--by", "dpo")
    code, out, err = cli("retention", "apply", plan_id)
    assert code == 0
    line = out.strip().splitlines()[-1]
    assert line.startswith("statreturns-audit-anchor v1 ")
    code, out, err = cli("retention", "verify", "--anchor", line)
    assert code == 0 and "consistent with 1 anchor" in out
    with world.engine.begin() as conn:  # someone with database access drops the guard and cuts the newest entry
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("DROP TRIGGER retention_audit_append_only ON retention_audit"))
        else:
            conn.execute(sa.text("DROP TRIGGER retention_audit_no_delete"))
        conn.execute(sa.text("DELETE FROM retention_audit WHERE seq = (SELECT MAX(seq) FROM retention_audit)"))
    for extra in (["--anchor", line], []):  # the printed line, and the run folder's anchor file
        code, out, err = cli("retention", "verify", *extra)
        assert code == 1 and "cut at its end" in err
