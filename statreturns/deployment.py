"""The deployment's collection years and LAs, from its environment (no Dagster here).

`STATRETURNS_YEARS=2025,2026,2027` and `STATRETURNS_LAS=356,357` (a school or a single council is one
LA). The Dagster partitions and the command line read the same variables, so they always agree.
"""

from __future__ import annotations

import os
import re

DEFAULT_YEARS = ("2025", "2026", "2027")
DEFAULT_LAS = ("356",)


class ConfigError(ValueError):
    """A setting that is wrong: the message is one line naming the setting and what is wrong with it
    (never data), so it is shown in full, on the command line (exit 2) and in Dagster alike."""


def _listed(variable: str, default: tuple[str, ...], pattern: str) -> list[str]:
    raw = os.environ.get(variable, "").strip()
    values = [v.strip() for v in raw.split(",") if v.strip()] if raw else list(default)
    bad = [v for v in values if not re.fullmatch(pattern, v)]
    if bad:
        raise ConfigError(f"{variable}: not valid here: {', '.join(bad)}")
    return sorted(set(values))


def years() -> list[str]:
    return _listed("STATRETURNS_YEARS", DEFAULT_YEARS, r"20\d\d")


def las() -> list[str]:
    return _listed("STATRETURNS_LAS", DEFAULT_LAS, r"\d{3}")


def default_la() -> str | None:
    """The LA a command acts on when none is named: `STATRETURNS_LA`, else the only configured LA."""
    configured = las()
    return os.environ.get("STATRETURNS_LA") or (configured[0] if len(configured) == 1 else None)


def sources_file():
    """The sources file: `STATRETURNS_SOURCES`, else the demo's (data/sources/demo.yaml)."""
    from pathlib import Path

    from statreturns.reference import DATA_DIR

    return Path(os.environ.get("STATRETURNS_SOURCES") or DATA_DIR / "sources" / "demo.yaml")


def check_settings(sources_file: str | os.PathLike | None = None) -> None:
    """Check the deployment's settings before a run starts; the first wrong one raises ConfigError.

    Collection years and LAs (STATRETURNS_YEARS, STATRETURNS_LAS, STATRETURNS_LA), the warehouse URL
    (STATRETURNS_DATABASE_URL: a SQLAlchemy URL whose driver is installed; SQLite needs `{la}`), the
    sources file (STATRETURNS_SOURCES or the one given: it exists and every source, profile and Ofsted
    list in it is readable) and the retention schedule (STATRETURNS_RETENTION_SCHEDULE)."""
    from pathlib import Path

    configured = las()
    years()
    one = os.environ.get("STATRETURNS_LA")
    if one and one not in configured:
        raise ConfigError(f"STATRETURNS_LA: {one} is not one of STATRETURNS_LAS ({', '.join(configured)})")
    url = os.environ.get("STATRETURNS_DATABASE_URL", "").strip()
    if url:
        check_database_url(url, "STATRETURNS_DATABASE_URL")
    if sources_file is not None:
        _check_sources(Path(sources_file), configured)
    schedule = os.environ.get("STATRETURNS_RETENTION_SCHEDULE", "").strip()
    if schedule and schedule not in ("council", "school") and not Path(schedule).is_file():
        raise ConfigError(f"STATRETURNS_RETENTION_SCHEDULE: {schedule}: no such file (or council, school)")


def check_database_url(url: str, setting: str) -> None:
    """A warehouse URL SQLAlchemy can use: parsable, its driver installed, `{la}` in an SQLite one."""
    import sqlalchemy as sa

    try:
        parsed = sa.make_url(url.replace("{la}", "la"))
    except sa.exc.ArgumentError:
        raise ConfigError(f"{setting}: not a SQLAlchemy database URL (dialect+driver://...)") from None
    if parsed.get_backend_name() == "sqlite" and "{la}" not in url:
        raise ConfigError(f"{setting}: an SQLite warehouse URL must contain {{la}} (one file per LA)")
    try:
        sa.create_engine(parsed).dispose()  # loads the dialect and its driver; connects to nothing
    except Exception:  # noqa: BLE001 - NoSuchModuleError or the driver's ImportError: say which setting
        raise ConfigError(f"{setting}: no installed database driver for '{parsed.drivername}'") from None


def _check_sources(path, configured: list[str]) -> None:
    from statreturns.ingest.config import load_sources, ofsted_lists
    from statreturns.ingest.errors import IngestError

    if not path.is_file():
        raise ConfigError(f"STATRETURNS_SOURCES: {path}: no such file")
    try:
        load_sources(path)
        for la in configured:
            for year in years():
                for workbook in ofsted_lists(path, la, int(year)):
                    if not workbook.is_file():
                        raise ConfigError(f"{path.name}: ofsted_lists: {workbook}: no such file")
    except IngestError as exc:
        raise ConfigError(f"STATRETURNS_SOURCES: {exc}") from None
