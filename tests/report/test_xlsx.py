import io

import openpyxl

from statreturns.report.xlsx import SHEETS, workbook_bytes
from tests.report.frames import issue, run

HEADERS = {
    "Summary": ["Item", "Value"],
    "By rule": ["Return", "Rule", "Severity", "DfE message", "Table", "Field", "Findings", "Children"],
    "Cross-return checks": ["Check", "What to do", "Table", "Field", "Findings", "Children"],
    "By child": ["Child", "Return", "Severity", "Rule", "Table", "Field", "Row", "DfE message"],
    "Trend": ["Measure", "Category", "2024-25", "2025-26", "Change"],
    "Rules not run": ["Return", "Rule", "Severity", "Status", "Reason"],
}


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_workbook_has_the_sheets_with_headers_frozen_and_filtered(generated):
    book = _book(workbook_bytes(generated))
    assert book.sheetnames == list(SHEETS)
    for name in SHEETS:
        sheet = book[name]
        header = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1))]
        assert header == HEADERS[name], name
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref, name
    assert book["By child"].max_row == len(generated.issues) + 1


def test_summary_sheet_says_blocked_and_counts():
    book = _book(workbook_bytes(run([issue("C1", "8500", "error"), issue("C2", "8825Q", "query")])))
    values = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert values["Submission status"].startswith("Blocked")
    assert (values["Errors"], values["Queries"], values["Local authority"]) == (1, 1, "999")


def test_a_value_that_looks_like_a_formula_stays_text():
    book = _book(workbook_bytes(run([issue("=HYPERLINK(1)", "8500", message="=1+1")])))
    cell = book["By child"]["A2"]
    assert (cell.value, cell.data_type) == ("=HYPERLINK(1)", "s")
    assert book["By child"]["H2"].data_type == "s"


def test_same_input_same_bytes(generated):
    assert workbook_bytes(generated) == workbook_bytes(generated)


def test_an_empty_run_gives_every_sheet_with_its_header():
    book = _book(workbook_bytes(run([])))
    assert book.sheetnames == list(SHEETS)
    assert [c.value for c in book["By child"][1]] == HEADERS["By child"]
    assert book["By child"].max_row == 1
