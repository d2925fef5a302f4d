"""`statreturns generate`: synthetic council (SSD layout) and school MIS extracts with known faults."""

from __future__ import annotations

from pathlib import Path

from statreturns.files import write_csv_atomic
from statreturns.generate.cross_faults import add_cross
from statreturns.generate.faults import inject
from statreturns.generate.model import Config, generate
from statreturns.generate.ofsted import write_provider_list
from statreturns.school import write_pupils
from statreturns.ssd import write_ssd

__all__ = ["Config", "generate", "inject", "write_extracts", "write_sources_file"]

SOURCES_TEMPLATE = """# Sources for extracts written by `statreturns generate` (format: README, "Sources and profiles").
ofsted_lists:                    # Ofsted provider lists for the SSDA903 URN rules (219, 221, 224, ...)
  - {root}/ofsted/providers.xlsx
sources:
  - name: council_ssd
    kind: csv
    location: {root}/ssd
    pattern: "ssd_*.csv"
    profile: ssd-csv
  - name: school_pupils
    kind: csv
    location: {root}/school/pupils.csv
    profile: generic-mis
"""


def write_sources_file(path: Path, root: str) -> Path:
    """A sources file for generated extracts under `root`, which may hold `{la}`/`{year}` (one folder
    of extracts per council, as a hub keeps them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SOURCES_TEMPLATE.replace("{root}", root), encoding="utf-8")
    return path


def write_extracts(cfg: Config, out: Path) -> dict[str, int]:
    """Generate, inject faults (with ``cfg.cross`` the cross checks' too), and write ``out/ssd/*.csv``,
    ``out/school/pupils.csv``, ``out/faults.csv``, the Ofsted provider list ``out/ofsted/providers.xlsx`` and
    ``out/sources.yaml`` naming them all (locations relative to it, so the folder can be moved)."""
    clean = generate(cfg)
    tables, faults = inject(clean, cfg.fault_rate, cfg.seed, cfg.year)
    if cfg.cross:  # cross-return consistency, then the cross checks' faults
        tables, faults = add_cross(tables, faults, cfg)
    written = write_ssd({k: v for k, v in tables.items() if k != "school_pupils"}, out / "ssd")
    write_pupils(tables["school_pupils"], out / "school" / "pupils.csv")
    write_csv_atomic(faults, out / "faults.csv")
    write_provider_list(tables["la_episodes"], out / "ofsted" / "providers.xlsx")
    write_sources_file(out / "sources.yaml", ".")
    rows = sum(len(v) for v in tables.values())
    return {"rows": rows, "files": len(written) + 4, "faults": len(faults)}
