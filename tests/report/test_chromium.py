"""The report as a browser shows it: headless Chromium screenshots it and prints it, with no console errors."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from statreturns.report import build_report

CHROMIUM = os.environ.get("STATRETURNS_CHROMIUM", "/usr/bin/chromium")
CONSOLE_ERRORS = ("Uncaught", ":CONSOLE", "Refused to")  # our page has no script: any console line is wrong


@pytest.fixture(scope="module")
def chromium() -> str:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium must be installed in CI at {CHROMIUM} (.ci/run installs it)")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (outside CI only)")
    return CHROMIUM


def _run(chromium: str, tmp: Path, *args: str) -> str:
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp / 'profile'}",
           "--enable-logging=stderr", "--v=0", "--no-first-run", "--disable-extensions", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, f"chromium exited {done.returncode}"
    console = [line for line in done.stderr.splitlines() if any(m in line for m in CONSOLE_ERRORS)]
    assert not console, f"{len(console)} console errors"  # the count only: a line could quote page text
    return done.stdout


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_report_renders_in_chromium_without_console_errors(tmp_path, generated, chromium):
    html = build_report(generated, tmp_path / "out")["html"]
    shot = tmp_path / "report.png"
    _run(chromium, tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", html.as_uri())
    assert _png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # a blank or error page compresses to a few kB


def test_report_dom_holds_every_section(tmp_path, generated, chromium):
    html = build_report(generated, tmp_path / "out")["html"]
    dom = _run(chromium, tmp_path, "--dump-dom", html.as_uri())
    headings = ("Summary", "Findings by rule", "Findings by child", "Trend against last year",
                "Rules skipped or failed")
    missing = [h for h in headings if f">{h}</h2>" not in dom]  # never echo the DOM: it holds child ids
    plots = dom.count("<svg")
    assert missing == [] and plots == 3


def test_report_prints_to_a4_pdf(tmp_path, generated, chromium):
    html = build_report(generated, tmp_path / "out")["html"]
    pdf = tmp_path / "report.pdf"
    _run(chromium, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.as_uri())
    data = pdf.read_bytes()
    is_pdf = data.startswith(b"%PDF-")
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    boxes = {(round(float(w)), round(float(h))) for w, h in re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data)}
    assert is_pdf and pages >= 5  # each section starts a page: five at least
    assert boxes == {(595, 842)}  # A4 in points, every page


def test_the_console_check_catches_a_script_error(tmp_path, chromium):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p><script>notDefined();</script></body></html>",
                    encoding="utf-8")
    with pytest.raises(AssertionError, match="console errors"):
        _run(chromium, tmp_path, "--dump-dom", page.as_uri())
