import hashlib
import re

from statreturns.report import build_report
from statreturns.report.html import render_html
from statreturns.report.plots import findings_by_rule
from tests.report.frames import issue, run

NASTY_MESSAGE = '<script>alert("x")</script> & </td>'
NASTY_CHILD = "<img src=x onerror=alert(1)>"


def test_values_are_escaped():
    html = render_html(run([issue(NASTY_CHILD, "<b>1</b>", message=NASTY_MESSAGE)],
                           [("cin", 2026, "<b>1</b>", "error", "failed", "<i>KeyError</i>", 0)]))
    assert "<script" not in html.lower()
    assert "<img" not in html and "<b>1</b>" not in html and "<i>KeyError" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;/td&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_self_contained_no_script_no_external_resources():
    html = render_html(run([issue("C1", "8500")]))
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r'\b(src|href)="(?!#)', html)  # only in-page anchors
    assert "default-src 'none'" in html  # the page may fetch nothing even if opened from a share


def test_status_blocked_with_errors_and_ready_with_queries_only():
    blocked = render_html(run([issue("C1", "8500", "error"), issue("C1", "8825Q", "query")]))
    ready = render_html(run([issue("C1", "8825Q", "query")]))
    assert "Submission blocked" in blocked and "Ready to submit" not in blocked
    assert "Ready to submit" in ready and "Submission blocked" not in ready


def test_sections_have_headed_tables(generated):
    # Facts about the page are computed first so that a failure shows counts, never the page's text.
    html = render_html(generated)
    sections = [a for a in ("summary", "by-rule", "by-child", "trend", "not-run") if f'<section id="{a}"' in html]
    assert sections == ["summary", "by-rule", "by-child", "trend", "not-run"]
    shape = (html.count("<thead>"), html.count('scope="col"') > 20, html.count("<svg "), html.count('role="img"'))
    assert shape == (4, True, 3, 3)
    ids = re.findall(r'\bid="([^"]+)"', html)
    duplicates = len(ids) - len(set(ids))
    assert duplicates == 0, "duplicate element ids across inline plots"


def test_same_input_same_bytes(generated):
    first, second = (hashlib.sha256(render_html(generated).encode()).hexdigest() for _ in range(2))
    assert first == second


def test_plot_svg_is_deterministic_and_inline_ready(generated):
    from statreturns.report.findings import by_rule

    rules = by_rule(generated.issues)
    first, second = findings_by_rule(rules), findings_by_rule(rules)
    assert first == second and first.startswith("<svg ")
    assert "<!DOCTYPE" not in first and "<?xml" not in first and "dc:date" not in first


def test_build_report_writes_html_and_xlsx(tmp_path, generated):
    paths = build_report(generated, tmp_path / "out")
    assert set(paths) == {"html", "xlsx"}
    assert paths["html"] == tmp_path / "out" / "report.html" and paths["xlsx"].name == "report.xlsx"
    head = paths["html"].read_bytes()[:15]
    assert head == b"<!DOCTYPE html>"
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_clean_run_with_no_tables_still_renders():
    html = render_html(run([], [("cin", 2026, "8500", "error", "ran", "", 0)]))
    facts = ("Ready to submit" in html, "No rule found anything." in html, "No findings about any child." in html,
             html.count("<svg"), "Every rule for 2025-26 ran." in html)
    assert facts == (True, True, True, 0, True)
