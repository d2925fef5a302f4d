"""No personal data in Dagster: run the whole pipeline, with the multiprocess executor (so Dagster keeps
compute logs too), on data carrying sentinel names, then search every byte Dagster stored and
everything printed. The outputs folder must hold the sentinels: that proves they went through."""

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from statreturns.generate import Config, write_extracts, write_sources_file


def _plant_sentinels(ssd: Path) -> dict[str, set[str]]:
    people = pd.read_csv(ssd / "ssd_person.csv", dtype="str", keep_default_na=False)
    people["pers_forename"] = [f"Zqforename{i:04d}x" for i in range(len(people))]
    people["pers_surname"] = [f"Zqsurname{i:04d}x" for i in range(len(people))]
    people.to_csv(ssd / "ssd_person.csv", index=False)
    upns = pd.read_csv(ssd / "ssd_linked_identifiers.csv", dtype="str", keep_default_na=False)
    addresses = pd.read_csv(ssd / "ssd_address.csv", dtype="str", keep_default_na=False)
    return {
        "names": set(people["pers_forename"]) | set(people["pers_surname"]),
        "ids": set(people["pers_person_id"]),
        "upns": set(upns["link_identifier_value"]) - {""},
        "postcodes": set(addresses["addr_address_postcode"]) - {""},
    }


def _found(sentinels: set[str], blob: bytes) -> list[str]:
    return sorted(s for s in sentinels if s.encode() in blob)


@pytest.mark.slow
def test_nothing_dagster_stores_or_prints_names_a_child(tmp_path):
    write_extracts(Config(children=150, seed=4242), tmp_path / "in")
    sentinels = _plant_sentinels(tmp_path / "in" / "ssd")
    home, run = tmp_path / "home", tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STATRETURNS_", "DAGSTER_"))}
    env.update({"DAGSTER_HOME": str(home), "STATRETURNS_RUN_DIR": str(run), "STATRETURNS_LAS": "356",
                "STATRETURNS_YEARS": "2026",
                "STATRETURNS_SOURCES": str(write_sources_file(tmp_path / "sources.yaml", str(tmp_path / "in")))})
    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--multiprocess", "--max-concurrent", "2",
                           "--run-dir", str(run)], env=env, capture_output=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr.decode()[-1500:]

    stored_files = [p for p in home.rglob("*") if p.is_file()]
    assert any("compute_logs" in p.parts for p in stored_files), "no compute logs: not a multiprocess run"
    assert any(p.suffix == ".db" for p in stored_files)
    stored = b"".join(p.read_bytes() for p in stored_files)
    printed = done.stdout + done.stderr
    outputs = b"".join(p.read_bytes() for p in (run / "outputs").rglob("*") if p.suffix in (".csv", ".xml"))
    for kind, values in sentinels.items():
        assert values, kind
        assert not _found(values, stored), f"{len(_found(values, stored))} {kind} in Dagster's storage"
        assert not _found(values, printed), f"{len(_found(values, printed))} {kind} printed"
    # The sentinels did go through the pipeline: the returns and reports on disk hold them.
    assert _found(sentinels["ids"], outputs) and _found(sentinels["upns"], outputs)
