"""The hub report: councils of one collection year side by side, from the files each council's run wrote.

For a regional hub (councils pooling their returns): children in each return, findings per 100 children
by rule, which councils are blocked from submission (a DfE error remains) and the trend against last
year. Counts only, never a row about a child: issues.csv is read for its return, rule and severity
columns alone, and children are counted in the return files.

Small numbers. A count from 1 to 9 is shown as "<10", and so is a rate (findings per 100 children)
worked out from such a count, since with the number of children beside it the rate would give the count
away. Our reading of "councils under 10 in a cell": zero is shown as 0 (no finding discloses nothing
about a child), 10 and over as the number. Changes against last year are shown only where both years'
counts are shown.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
from lxml import etree
from markupsafe import Markup

from statreturns.files import write_bytes_atomic
from statreturns.report.html import RETURN_LABELS, generated_label
from statreturns.report.model import period, year_label
from statreturns.report.template import CSS

SUPPRESSED = "<10"
RETURNS = ("cin", "ssda903")
COUNCIL_COLUMNS = ["la", "ran", "cin_children", "ssda903_children", "errors", "queries", "blocked"]


def shown(count: int | float | None) -> str:
    """A count as the report shows it: "<10" from 1 to 9, "n/a" when there is none."""
    if count is None or pd.isna(count):
        return "n/a"
    count = int(count)
    return SUPPRESSED if 0 < count < 10 else f"{count:,}"


def shown_change(now: int | float | None, before: int | float | None) -> str:
    if any(v is None or pd.isna(v) or 0 < int(v) < 10 for v in (now, before)):
        return "n/a"
    change = int(now) - int(before)
    return f"{change:+,}" if change else "0"


def _count_children_in_cin_xml(path: Path) -> int:
    """<Child> elements in a CIN census file, streamed; entities, DTDs and network off."""
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag="{*}Child", resolve_entities=False,
                                      no_network=True, load_dtd=False, huge_tree=False):
        count += 1
        element.clear()
    return count


def _count_rows(path: Path) -> int:
    with open(path, "rb") as f:
        return max(sum(1 for line in f if line.strip()) - 1, 0)


@dataclass(frozen=True)
class Council:
    """What one council's run for one year left in its outputs folder, in counts."""

    la: str
    year: int
    ran: bool
    children: dict[str, int | None]  # return -> children in the return file (None: no file)
    findings: pd.DataFrame  # return, rule_code, severity, findings


def read_council(outputs: Path, year: int, la: str) -> Council:
    folder = outputs / str(year) / la
    cin_xml = folder / "cin" / f"{la}_CIN_{year}.xml"
    header = folder / "ssda903" / f"{la}_903_{year}" / "header.csv"
    children = {"cin": _count_children_in_cin_xml(cin_xml) if cin_xml.exists() else None,
                "ssda903": _count_rows(header) if header.exists() else None}
    issues_csv = folder / "issues.csv"
    if issues_csv.exists():
        issues = pd.read_csv(issues_csv, usecols=["return", "rule_code", "severity"], dtype="str",
                             keep_default_na=False)
        findings = issues.groupby(["return", "rule_code", "severity"]).size().rename("findings").reset_index()
    else:
        findings = pd.DataFrame({"return": [], "rule_code": [], "severity": [], "findings": []})
    return Council(la=la, year=year, ran=issues_csv.exists(), children=children, findings=findings)


@dataclass(frozen=True)
class HubInput:
    year: int
    generated_at: datetime
    councils: list[Council]  # this year, in LA order
    last_year: list[Council]  # the same councils' previous year (ran=False where it never ran)


def read_hub(outputs: Path, year: int, las: list[str], generated_at: datetime) -> HubInput:
    las = sorted(las)
    return HubInput(year=year, generated_at=generated_at,
                    councils=[read_council(outputs, year, la) for la in las],
                    last_year=[read_council(outputs, year - 1, la) for la in las])


def councils_frame(councils: list[Council]) -> pd.DataFrame:
    """One row per council: children in each return, errors, queries, blocked (counts, not yet shown)."""
    rows = []
    for c in councils:
        sev = c.findings.groupby("severity")["findings"].sum()
        errors, queries = int(sev.get("error", 0)), int(sev.get("query", 0))
        rows.append({"la": c.la, "ran": c.ran, "cin_children": c.children["cin"],
                     "ssda903_children": c.children["ssda903"], "errors": errors, "queries": queries,
                     "blocked": c.ran and errors > 0})
    return pd.DataFrame(rows, columns=COUNCIL_COLUMNS)


def rates_frame(councils: list[Council]) -> pd.DataFrame:
    """Findings per 100 children by rule (rows) and council (columns), as shown (suppressed) strings."""
    las = [c.la for c in councils]
    found = [c.findings.assign(la=c.la) for c in councils if len(c.findings)]
    if not found:
        return pd.DataFrame(columns=["return", "rule_code", "severity", *las])
    keys = ["return", "rule_code", "severity"]
    wide = (pd.concat(found, ignore_index=True)
            .pivot_table(index=keys, columns="la", values="findings", aggfunc="sum", fill_value=0)
            .reindex(columns=las, fill_value=0).reset_index())
    order = pd.to_numeric(wide["rule_code"], errors="coerce")
    wide = wide.assign(_n=order).sort_values(["return", "severity", "_n", "rule_code"]).drop(columns="_n")
    out = wide[keys].reset_index(drop=True)
    for c in councils:
        counts = wide[c.la].to_numpy()
        children = pd.to_numeric(wide["return"].map(c.children), errors="coerce").to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = pd.Series(counts * 100 / children).map("{:.1f}".format).to_numpy()
        shown_now = np.where((counts > 0) & (counts < 10), SUPPRESSED, rate)
        out[c.la] = np.where((children > 0) & c.ran, shown_now, "n/a")
    return out


def trend_frame(hub: HubInput) -> pd.DataFrame:
    """Per council and measure: last year, this year and the change, as shown strings."""
    now, before = councils_frame(hub.councils), councils_frame(hub.last_year)
    rows = []
    for (_, a), (_, b) in zip(now.iterrows(), before.iterrows(), strict=True):
        for measure, col in (("Children in the CIN census", "cin_children"),
                             ("Children in the SSDA903 return", "ssda903_children"),
                             ("DfE errors", "errors"), ("DfE queries", "queries")):
            this = a[col] if a["ran"] else None
            last = b[col] if b["ran"] else None
            rows.append({"la": a["la"], "measure": measure, "last_year": shown(last), "this_year": shown(this),
                         "change": shown_change(this, last)})
    return pd.DataFrame(rows, columns=["la", "measure", "last_year", "this_year", "change"])


def _shown_councils(frame: pd.DataFrame) -> list[dict]:
    return [{"la": r.la, "ran": bool(r.ran),
             "cin": shown(r.cin_children) if r.ran else "n/a", "lac": shown(r.ssda903_children) if r.ran else "n/a",
             "errors": shown(r.errors) if r.ran else "n/a", "queries": shown(r.queries) if r.ran else "n/a",
             "status": "No run" if not r.ran else "Blocked" if r.blocked else "Ready"}
            for r in frame.itertuples(index=False)]


HUB_CSS = """
.scroll { overflow-x: auto; }
table.matrix td.num, table.matrix th.num { min-width: 4.2em; }
td.blocked { color: var(--error); font-weight: bold; }
td.ready { color: var(--ok); font-weight: bold; }
@media print { .scroll { overflow: visible; } table.matrix { font-size: 7pt; } }
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Hub report: collection year {{ year_label }}</title>
<style>{{ css }}</style>
</head>
<body>
<header class="masthead">
  <p class="kicker">Statutory returns hub report</p>
  <h1>{{ councils|length }} councils: collection year {{ year_label }}</h1>
  <p>CIN census and SSDA903 &middot; period {{ period_label }} &middot; generated {{ generated_label }}</p>
  <p class="sensitive">Counts only: no child is named. Counts from 1 to 9 are shown as &lt;10.</p>
</header>
<main>
<section id="summary" aria-labelledby="h-summary">
  <h2 id="h-summary">Summary</h2>
  {% if blocked %}
  <div class="status blocked" role="status"><strong>{{ blocked|length }} council{{ "s" if blocked|length != 1 }} blocked from submission</strong>
    DfE errors remain for LA {{ blocked|join(", ") }}.</div>
  {% else %}
  <div class="status ready" role="status"><strong>No council is blocked</strong> No DfE error remains in any council's returns.</div>
  {% endif %}
  <dl class="cards">
    <div><dt>Councils</dt><dd>{{ councils|length }}</dd></div>
    <div><dt>Councils run</dt><dd>{{ n_ran }}</dd></div>
    <div class="err"><dt>Blocked</dt><dd>{{ blocked|length }}</dd></div>
    <div><dt>Rules with findings</dt><dd>{{ rates|length }}</dd></div>
  </dl>
  <nav class="toc" aria-labelledby="h-toc">
    <h2 id="h-toc">Contents</h2>
    <ol>
      <li><a href="#councils">Councils</a></li>
      <li><a href="#rates">Findings per 100 children by rule</a></li>
      <li><a href="#trend">Trend against last year</a></li>
    </ol>
  </nav>
</section>

<section id="councils" aria-labelledby="h-councils">
  <h2 id="h-councils">Councils</h2>
  <p class="lead">Children in each return file and findings of the DfE rules. A council with any DfE error is blocked from submission until it is fixed.</p>
  <table>
    <caption>{{ councils|length }} councils, collection year {{ year_label }}</caption>
    <thead><tr><th scope="col">LA</th><th scope="col" class="num">Children, CIN census</th><th scope="col" class="num">Children, SSDA903</th><th scope="col" class="num">Errors</th><th scope="col" class="num">Queries</th><th scope="col">Submission</th></tr></thead>
    <tbody>
    {% for c in councils %}
      <tr><th scope="row" class="code">{{ c.la }}</th><td class="num">{{ c.cin }}</td><td class="num">{{ c.lac }}</td><td class="num">{{ c.errors }}</td><td class="num">{{ c.queries }}</td><td class="{{ c.status|lower }}">{{ c.status }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
</section>

<section id="rates" aria-labelledby="h-rates">
  <h2 id="h-rates">Findings per 100 children by rule</h2>
  <p class="lead">For each rule, findings per 100 children in that council's return. &lt;10 marks fewer than 10 findings; n/a a council whose return was not run or has no children.</p>
  {% if rates %}
  <div class="scroll">
  <table class="matrix">
    <caption>{{ rates|length }} rule{{ "s" if rates|length != 1 }} with findings in any council</caption>
    <thead><tr><th scope="col">Return</th><th scope="col">Rule</th><th scope="col">Severity</th>{% for la in las %}<th scope="col" class="num">{{ la }}</th>{% endfor %}</tr></thead>
    <tbody>
    {% for r in rates %}
      <tr><td>{{ r.return_label }}</td><td class="code">{{ r.rule_code }}</td><td><span class="sev {{ r.severity }}">{{ r.severity|capitalize }}</span></td>{% for la in las %}<td class="num">{{ r[la] }}</td>{% endfor %}</tr>
    {% endfor %}
    </tbody>
  </table>
  </div>
  {% else %}
  <p class="empty">No council's returns have findings.</p>
  {% endif %}
</section>

<section id="trend" aria-labelledby="h-trend">
  <h2 id="h-trend">Trend against last year</h2>
  <p class="lead">Each council's {{ last_label }} returns against {{ year_label }}. n/a where a year was not run, or where a count under 10 would make the change give it away.</p>
  <table>
    <thead><tr><th scope="col">LA</th><th scope="col">Measure</th><th scope="col" class="num">{{ last_label }}</th><th scope="col" class="num">{{ year_label }}</th><th scope="col" class="num">Change</th></tr></thead>
    {% for group in trend %}
    <tbody class="measure">
    {% for t in group.rows %}
      <tr>{% if loop.first %}<th scope="rowgroup" rowspan="{{ group.rows|length }}" class="code">{{ group.la }}</th>{% endif %}<td>{{ t.measure }}</td><td class="num">{{ t.last_year }}</td><td class="num">{{ t.this_year }}</td><td class="num">{{ t.change }}</td></tr>
    {% endfor %}
    </tbody>
    {% endfor %}
  </table>
</section>
</main>
<footer>statreturns hub report &middot; collection year {{ year_label }} &middot; generated {{ generated_label }}. Counts only; counts from 1 to 9 shown as &lt;10.</footer>
</body>
</html>
"""


def render_hub_html(hub: HubInput) -> str:
    councils = councils_frame(hub.councils)
    rates = rates_frame(hub.councils)
    trend = trend_frame(hub)
    context = {
        "css": Markup(CSS + HUB_CSS),  # our own constants
        "year_label": year_label(hub.year), "last_label": year_label(hub.year - 1),
        "period_label": period(hub.year).label, "generated_label": generated_label(hub.generated_at),
        "councils": _shown_councils(councils), "n_ran": int(councils["ran"].sum()),
        "blocked": list(councils.loc[councils["blocked"], "la"]),
        "las": [c.la for c in hub.councils],
        "rates": rates.assign(return_label=rates["return"].map(RETURN_LABELS).fillna(rates["return"])).to_dict("records"),
        "trend": [{"la": la, "rows": part.to_dict("records")} for la, part in trend.groupby("la", sort=True)],
    }
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(TEMPLATE).render(context)


def hub_sheets(hub: HubInput) -> dict[str, pd.DataFrame]:
    """The workbook's sheets, every cell a string as the page shows it."""
    councils = pd.DataFrame(_shown_councils(councils_frame(hub.councils)))
    councils = pd.DataFrame({"LA": councils["la"], "Children, CIN census": councils["cin"],
                             "Children, SSDA903": councils["lac"], "Errors": councils["errors"],
                             "Queries": councils["queries"], "Submission": councils["status"]})
    rates = rates_frame(hub.councils)
    rates = rates.assign(**{"return": rates["return"].map(RETURN_LABELS).fillna(rates["return"])}).rename(
        columns={"return": "Return", "rule_code": "Rule", "severity": "Severity"})
    trend = trend_frame(hub).rename(columns={"la": "LA", "measure": "Measure", "last_year": year_label(hub.year - 1),
                                             "this_year": year_label(hub.year), "change": "Change"})
    about = pd.DataFrame([("Collection year", year_label(hub.year)), ("Period", period(hub.year).label),
                          ("Generated", generated_label(hub.generated_at)), ("Councils", str(len(hub.councils))),
                          ("Small numbers", "counts from 1 to 9, and rates worked out from them, are shown as <10")],
                         columns=["Item", "Value"])
    return {"Summary": about, "Councils": councils, "Per 100 children by rule": rates, "Trend": trend}


def hub_workbook_bytes(hub: HubInput) -> bytes:
    """Every cell written as a string (write_string): no number, formula or link is ever made from data."""
    import xlsxwriter

    created = hub.generated_at.astimezone(UTC).replace(tzinfo=None) if hub.generated_at.tzinfo else hub.generated_at
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    book.set_properties({"title": f"Hub report {year_label(hub.year)}", "created": created})
    header = book.add_format({"bold": True, "bg_color": "#F3F2F1", "bottom": 2, "text_wrap": True, "valign": "top"})
    for name, frame in hub_sheets(hub).items():
        sheet = book.add_worksheet(name)
        for j, col in enumerate(frame.columns):
            sheet.write_string(0, j, str(col), header)
            sheet.set_column(j, j, 60 if col == "Value" else 28 if col == "Measure" else 14)
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            for j, value in enumerate(row):
                sheet.write_string(i, j, "" if value is None else str(value))
        sheet.freeze_panes(1, 0)
    book.close()
    return buffer.getvalue()


def build_hub_report(outputs: Path, year: int, las: list[str], generated_at: datetime) -> dict[str, Path]:
    """``outputs/<year>/hub/hub_report.html`` and ``hub_report.xlsx``, each written atomically."""
    hub = read_hub(outputs, year, las, generated_at)
    folder = outputs / str(year) / "hub"
    html = write_bytes_atomic(render_hub_html(hub).encode("utf-8"), folder / "hub_report.html")
    return {"html": html, "xlsx": write_bytes_atomic(hub_workbook_bytes(hub), folder / "hub_report.xlsx"),
            "councils": len(hub.councils), "blocked": int(councils_frame(hub.councils)["blocked"].sum())}
