"""Reports for people: the run report (HTML and XLSX) and the submission pack. No Dagster here."""

from __future__ import annotations

from pathlib import Path

from statreturns.files import write_bytes_atomic
from statreturns.report.html import render_html
from statreturns.report.measures import trend
from statreturns.report.model import ReportInput
from statreturns.report.pack import SubmissionBlocked, build_submission_pack
from statreturns.report.xlsx import write_xlsx

__all__ = ["ReportInput", "SubmissionBlocked", "build_report", "build_submission_pack", "trend"]


def build_report(run: ReportInput, out_dir: Path) -> dict[str, Path]:
    """``out_dir/report.html`` and ``out_dir/report.xlsx``, each written atomically."""
    out_dir = Path(out_dir)
    html = write_bytes_atomic(render_html(run).encode("utf-8"), out_dir / "report.html")
    return {"html": html, "xlsx": write_xlsx(run, out_dir / "report.xlsx")}
