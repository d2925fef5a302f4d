"""The submission pack: the return file(s), the report and a checksummed manifest, zipped.

Built only when no error remains. The same input gives the same bytes: entries are sorted, and every
entry carries the run's generated-at time (not the file's mtime) with fixed permissions.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from statreturns.files import sha256, write_bytes_atomic
from statreturns.report.model import ReportInput, period

MANIFEST = "manifest.json"


class SubmissionBlocked(ValueError):
    """Errors remain in the run: no pack. The message holds counts only."""


def _zip_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    if when.tzinfo is not None:
        when = when.astimezone(UTC)
    when = max(when.replace(tzinfo=None), datetime(1980, 1, 1))  # the earliest time a zip can hold
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def _entries(return_files: list[Path], report_files: list[Path]) -> list[tuple[str, str, Path]]:
    entries = [(f"return/{p.name}", "return", p) for p in return_files]
    entries += [(f"report/{p.name}", "report", p) for p in report_files]
    names = [name for name, _, _ in entries]
    if len(set(names)) != len(names):
        raise ValueError("two files in the submission pack have the same name")
    return sorted(entries)


def manifest(run: ReportInput, entries: list[tuple[str, str, Path]]) -> dict:
    counts = run.regrouped.counts
    p = period(run.year)
    return {
        "la_code": run.la_code,
        "collection_year": run.year,
        "period": {"start": p.start.date().isoformat(), "end": p.end.date().isoformat()},
        "generated_at": run.generated_at.isoformat(),
        "counts": counts,
        "files": [{"name": name, "kind": kind, "size": path.stat().st_size, "sha256": sha256(path)}
                  for name, kind, path in entries],
    }


def build_submission_pack(run: ReportInput, return_files: list[Path], report_files: list[Path],
                          out_dir: Path) -> Path:
    """``out_dir/<LA>_<year>_submission_pack.zip``; raises SubmissionBlocked while any error remains."""
    counts = run.regrouped.counts
    if counts["errors"]:
        raise SubmissionBlocked(
            f"submission blocked by DfE errors: errors={counts['errors']}, "
            f"rules with errors={counts['rules_with_errors']}, queries={counts['queries']} (queries do not block)")
    entries = _entries([Path(p) for p in return_files], [Path(p) for p in report_files])
    stamp = _zip_time(run.generated_at)
    text = json.dumps(manifest(run, entries), indent=2, sort_keys=True) + "\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, _, path in entries:
            _add(zf, name, path.read_bytes(), stamp)
        _add(zf, MANIFEST, text.encode("utf-8"), stamp)
    return write_bytes_atomic(buffer.getvalue(), Path(out_dir) / f"{run.la_code}_{run.year}_submission_pack.zip")


def _add(zf: zipfile.ZipFile, name: str, data: bytes, stamp: tuple[int, ...]) -> None:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # unix, whatever machine builds it
    zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
