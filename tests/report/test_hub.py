"""The hub report: councils of one year side by side from the files their runs wrote; counts only, small
numbers shown as <10 (both sides of the boundary), every workbook cell a string, and the page rendered
by headless Chromium without console errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest

from statreturns.report.hub import (
    SUPPRESSED,
    build_hub_report,
    councils_frame,
    rates_frame,
    read_hub,
    shown,
    shown_change,
    trend_frame,
)
from tests.report.test_chromium import _run, chromium  # noqa: F401 - the fixture, shared

WHEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
CHILD = "Zqhubchild{:04d}x"  # sentinel child ids: they must never reach the hub report


def _council(outputs: Path, year: int, la: str, cin: int, lac: int, findings: dict[tuple[str, str, str], int]) -> None:
    """A council's outputs as a run writes them: the CIN XML, the 903 header.csv and issues.csv."""
    folder = outputs / str(year) / la
    (folder / "cin").mkdir(parents=True)
    children = "".join(f"<Child><ChildIdentifiers><LAchildID>{CHILD.format(i)}</LAchildID></ChildIdentifiers></Child>"
                       for i in range(cin))
    (folder / "cin" / f"{la}_CIN_{year}.xml").write_text(
        f'<?xml version="1.0" encoding="UTF-8"?><Message><Children>{children}</Children></Message>')
    header = folder / "ssda903" / f"{la}_903_{year}" / "header.csv"
    header.parent.mkdir(parents=True)
    header.write_text("CHILD,SEX\n" + "".join(f"{CHILD.format(i)},1\n" for i in range(lac)))
    rows = ["return,year,rule_code,severity,table,field,child_id,row,message"]
    for (ret, code, sev), n in findings.items():
        rows += [f'{ret},{year},{code},{sev},T,F,{CHILD.format(i)},{i},"a message"' for i in range(n)]
    (folder / "issues.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture
def outputs(tmp_path) -> Path:
    out = tmp_path / "outputs"
    # 356: blocked, a rule on each side of the small-number boundary; 357: ready (queries only), few
    # looked-after children; 358: configured but never run. Last year only 356 ran.
    _council(out, 2026, "356", cin=40, lac=25, findings={("cin", "2990", "error"): 12, ("cin", "8875", "error"): 9,
                                                         ("ssda903", "=1+1", "query"): 10})
    _council(out, 2026, "357", cin=200, lac=7, findings={("cin", "8825Q", "query"): 50})
    _council(out, 2025, "356", cin=35, lac=25, findings={("cin", "2990", "error"): 20})
    return out


@pytest.mark.parametrize(("count", "text"), [(0, "0"), (1, SUPPRESSED), (9, SUPPRESSED), (10, "10"), (12345, "12,345"),
                                             (None, "n/a")])
def test_small_counts_are_shown_as_under_ten(count, text):
    assert shown(count) == text


@pytest.mark.parametrize(("now", "before", "text"), [(20, 10, "+10"), (10, 10, "0"), (10, 9, "n/a"), (9, 20, "n/a"),
                                                     (0, 12, "-12"), (None, 12, "n/a")])
def test_a_change_is_shown_only_between_shown_counts(now, before, text):
    assert shown_change(now, before) == text


def test_councils_rates_and_trend(outputs):
    hub = read_hub(outputs, 2026, ["357", "356", "358"], WHEN)
    councils = councils_frame(hub.councils).set_index("la")
    assert list(councils.index) == ["356", "357", "358"]
    assert councils.loc["356", ["cin_children", "ssda903_children", "errors", "queries"]].tolist() == [40, 25, 21, 10]
    assert councils["blocked"].tolist() == [True, False, False]
    assert councils["ran"].tolist() == [True, True, False]

    rates = rates_frame(hub.councils).set_index("rule_code")
    assert rates.loc["2990", "356"] == "30.0"  # 12 findings per 40 children
    assert rates.loc["8875", "356"] == SUPPRESSED  # 9 findings: the rate would give the count away
    assert rates.loc["=1+1", "356"] == "40.0"  # 10 findings per 25 looked-after children: shown
    assert rates.loc["8825Q", "357"] == "25.0" and rates.loc["2990", "357"] == "0.0"
    assert set(rates["358"]) == {"n/a"}

    trend = trend_frame(hub).set_index(["la", "measure"])
    assert trend.loc[("356", "Children in the CIN census")].tolist() == ["35", "40", "+5"]
    assert trend.loc[("356", "DfE errors")].tolist() == ["20", "21", "+1"]
    assert trend.loc[("357", "Children in the SSDA903 return")].tolist() == ["n/a", SUPPRESSED, "n/a"]


def test_the_page_and_workbook_hold_counts_only_and_strings_only(outputs):
    made = build_hub_report(outputs, 2026, ["356", "357", "358"], WHEN)
    assert made["html"] == outputs / "2026" / "hub" / "hub_report.html" and made["blocked"] == 1
    page = made["html"].read_text()
    assert "Zqhubchild" not in page
    assert "1 council blocked from submission" in page and "2026-05-01 09:30 UTC" in page
    book = openpyxl.load_workbook(made["xlsx"])
    assert book.sheetnames == ["Summary", "Councils", "Per 100 children by rule", "Trend"]
    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert {cell.data_type for cell in cells} == {"s"}  # no number, formula or link: "=1+1" stays text
    assert any(cell.value == "=1+1" for cell in cells)
    assert not any("Zqhubchild" in str(cell.value) for cell in cells)
    again = build_hub_report(outputs, 2026, ["356", "357", "358"], WHEN)
    assert made["xlsx"].read_bytes() == again["xlsx"].read_bytes()  # the same input, the same bytes


def test_the_hub_page_renders_in_chromium_without_console_errors(outputs, tmp_path, chromium):  # noqa: F811
    html = build_hub_report(outputs, 2026, ["356", "357", "358"], WHEN)["html"]
    dom = _run(chromium, tmp_path, "--dump-dom", html.as_uri())
    headings = ("Summary", "Councils", "Findings per 100 children by rule", "Trend against last year")
    assert [h for h in headings if f">{h}</h2>" not in dom] == []
    pdf = tmp_path / "hub.pdf"
    _run(chromium, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", html.as_uri())
    assert pdf.read_bytes().startswith(b"%PDF-")


def test_the_hub_asset_is_downstream_of_every_la_of_its_year(outputs, tmp_path, monkeypatch):
    from dagster import AssetKey, DagsterInstance, MultiToSingleDimensionPartitionMapping

    from pipelines.definitions import make_definitions

    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(WHEN.timestamp())))
    defs = make_definitions(run_dir=str(outputs.parent))
    graph = defs.resolve_asset_graph()
    node = graph.get(AssetKey("hub_report"))
    assert {p.to_user_string() for p in node.parent_keys} == {"validation_report", "cin_census_xml", "ssda903_files"}
    mapping = graph.get_partition_mapping(AssetKey("hub_report"), AssetKey("validation_report"))
    assert isinstance(mapping, MultiToSingleDimensionPartitionMapping) and mapping.partition_dimension_name == "year"
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("hub").execute_in_process(instance=instance, partition_key="2026")
    assert result.success
    (mat,) = result.asset_materializations_for_node("hub_report")
    assert mat.metadata["councils"].value >= 1
    assert (outputs / "2026" / "hub" / "hub_report.xlsx").exists()
