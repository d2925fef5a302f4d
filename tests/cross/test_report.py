"""The cross-return checks in the run report: their own section and sheet, never blocking."""

from __future__ import annotations

import io
import re

import openpyxl

from statreturns.report.html import render_html
from statreturns.report.xlsx import workbook_bytes
from tests.report.frames import issue, run

CROSS_ROW = issue("C7", "X02", "query", message="The UPN differs between the returns", table="ssda903.Header",
                  field="UPN", return_="cross")
CROSS_RAN = ("cross", 2026, "X02", "query", "ran", "", 1)


def _section(html: str, name: str) -> str:
    match = re.search(rf'<section id="{name}".*?</section>', html, flags=re.S)
    assert match is not None, name
    return match.group(0)


def test_cross_findings_have_their_own_section_and_do_not_block():
    html = render_html(run([CROSS_ROW, issue("C1", "8825Q", "query")], [CROSS_RAN]))
    cross, by_rule = _section(html, "cross"), _section(html, "by-rule")
    assert "X02" in cross and "The UPN differs between the returns" in cross and "<thead>" in cross
    assert "X02" not in by_rule and "8825Q" in by_rule
    assert "Ready to submit" in html  # a cross finding is a query: never blocks
    assert "C7" in _section(html, "by-child")  # and it is on the child's to-do list


def test_cross_section_says_whether_the_checks_ran():
    assert "no cross-return check found anything" in _section(render_html(run([], [CROSS_RAN])), "cross")
    assert "were not run" in _section(render_html(run([])), "cross")


def test_cross_sheet_lists_the_checks_with_findings():
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(run([CROSS_ROW, issue("C1", "8500")], [CROSS_RAN]))))
    rows = list(book["Cross-return checks"].iter_rows(min_row=2, values_only=True))
    assert rows == [("X02", "The UPN differs between the returns", "ssda903.Header", "UPN", 1, 1)]
