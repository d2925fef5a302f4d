"""The run report's HTML: one self-contained file, inline CSS and SVG, no script, readable printed on A4.

Kept as a Python string so it ships with the package without package-data changes.
"""

from __future__ import annotations

CSS = """
:root { --ink:#1b1b1b; --muted:#505a5f; --rule:#b1b4b6; --soft:#f3f2f1; --error:#b3261e; --error-bg:#fdecea;
        --query:#1d5fa8; --query-bg:#e8f1fb; --ok:#00703c; --ok-bg:#e6f4ea; }
* { box-sizing: border-box; }
html { font-family: Arial, Helvetica, "Liberation Sans", "DejaVu Sans", sans-serif; font-size: 15px; color: var(--ink);
       background: #fff; line-height: 1.45; }
body { margin: 0; }
.masthead { background: #0b0c0c; color: #fff; padding: 18px 32px 16px; border-bottom: 6px solid var(--query); }
.masthead p { margin: 0; color: #e8e8e8; }
.masthead .kicker { font-size: 13px; letter-spacing: .02em; text-transform: uppercase; }
.masthead h1 { margin: 4px 0 6px; font-size: 28px; line-height: 1.2; }
.sensitive { display: inline-block; margin-top: 8px; padding: 2px 8px; border: 1px solid #fff; font-size: 13px;
             font-weight: bold; }
main { max-width: 1180px; margin: 0 auto; padding: 8px 32px 32px; }
section { margin-top: 28px; }
h2 { font-size: 22px; margin: 0 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 17px; margin: 20px 0 6px; }
p.lead { color: var(--muted); margin: 0 0 12px; max-width: 75ch; }
.status { border-left: 10px solid; padding: 12px 16px; margin: 12px 0 16px; font-size: 17px; }
.status strong { font-size: 20px; display: block; }
.status.blocked { border-color: var(--error); background: var(--error-bg); }
.status.ready { border-color: var(--ok); background: var(--ok-bg); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; margin: 0 0 16px;
         padding: 0; }
.cards div { border: 1px solid var(--rule); border-top: 5px solid var(--muted); padding: 8px 12px; }
.cards div.err { border-top-color: var(--error); }
.cards div.qry { border-top-color: var(--query); }
.cards dt { font-size: 13px; color: var(--muted); }
.cards dd { margin: 0; font-size: 26px; font-weight: bold; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 14px; font-size: 13.5px; }
caption { text-align: left; font-weight: bold; padding: 4px 0; color: var(--muted); }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--rule); }
thead th { background: var(--soft); border-bottom: 2px solid var(--ink); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.msg { overflow-wrap: anywhere; min-width: 18em; }
td.code, th.code { white-space: nowrap; font-family: "Courier New", Courier, monospace; font-size: 13px; }
table.meta { width: auto; }
table.meta th { background: none; padding-right: 24px; border-bottom: 1px solid var(--rule); white-space: nowrap; }
.sev { display: inline-block; min-width: 4.4em; padding: 0 6px; border: 1px solid; font-size: 12px;
       font-weight: bold; text-align: center; }
.sev.error { color: var(--error); background: var(--error-bg); }
.sev.query { color: var(--query); background: var(--query-bg); }
tr.child-head th { background: var(--soft); border-top: 2px solid var(--muted); padding-top: 6px; }
tr.child-head .counts { font-weight: normal; font-size: 12.5px; color: var(--muted); margin-left: 1.2em; }
td.msg { width: 52%; }
.code.small { font-size: 12px; }
.print-only { display: none; }
tbody.measure th[scope=rowgroup] { font-weight: bold; max-width: 18em; }
tbody.measure { border-top: 2px solid var(--muted); }
tr.total td { font-weight: bold; }
figure { margin: 12px 0 20px; border: 1px solid var(--rule); padding: 10px; }
figure svg { display: block; width: 100%; max-width: 860px; height: auto; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }
nav.toc { border: 1px solid var(--rule); padding: 8px 14px; background: var(--soft); }
nav.toc h2 { font-size: 15px; border: 0; margin: 0 0 4px; padding: 0; }
nav.toc ol { margin: 0; padding-left: 20px; columns: 2; }
nav.toc a, a { color: #1d4f91; }
.empty { padding: 10px 14px; background: var(--soft); }
footer { max-width: 1180px; margin: 0 auto; padding: 12px 32px 32px; font-size: 12px; color: var(--muted);
         border-top: 1px solid var(--rule); }
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  html { font-size: 10pt; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  .masthead { background: none; color: var(--ink); border-bottom: 3px solid var(--ink); padding: 0 0 8px; }
  .masthead p { color: var(--ink); }
  .sensitive { border-color: var(--ink); }
  main, footer { max-width: none; padding: 0; }
  nav.toc { display: none; }
  section { break-before: page; margin-top: 0; }
  section#summary { break-before: auto; margin-top: 12px; }
  table { font-size: 8.5pt; }
  thead { display: table-header-group; }
  tr, figure, .status, .cards div, tbody.small { break-inside: avoid; }
  tr.child-head { break-after: avoid; }
  .print-only { display: table-cell; }  /* a child's findings can run onto the next page: name it on each row */
  th, td { padding: 3px 6px; }
  h2, h3, caption { break-after: avoid; }
  td.msg { min-width: 0; }
  a { color: inherit; text-decoration: none; }
  figure svg { max-width: 100%; }
}
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Validation report: LA {{ la_code }}, {{ year_label }}</title>
<style>{{ css }}</style>
</head>
<body>
<header class="masthead">
  <p class="kicker">Statutory returns validation report</p>
  <h1>LA {{ la_code }}: collection year {{ year_label }}</h1>
  <p>{{ returns_label }} &middot; period {{ period_label }} &middot; generated {{ generated_label }}</p>
  <p class="sensitive">OFFICIAL-SENSITIVE: contains child identifiers. Store and share it as you would the case records.</p>
</header>
<main>
<section id="summary" aria-labelledby="h-summary">
  <h2 id="h-summary">Summary</h2>
  {% if blocked %}
  <div class="status blocked" role="status"><strong>Submission blocked</strong>
    {{ "{:,}".format(counts.errors) }} error{{ "s" if counts.errors != 1 }} in {{ counts.rules_with_errors }} rule{{ "s" if counts.rules_with_errors != 1 }} must be fixed before the return can be submitted. Queries do not block submission.</div>
  {% else %}
  <div class="status ready" role="status"><strong>Ready to submit</strong>
    No errors remain. {% if counts.queries %}{{ "{:,}".format(counts.queries) }} quer{{ "ies" if counts.queries != 1 else "y" }} should be checked and explained to the DfE where the data is right.{% endif %}</div>
  {% endif %}
  <dl class="cards">
    <div class="err"><dt>Errors</dt><dd>{{ "{:,}".format(counts.errors) }}</dd></div>
    <div class="qry"><dt>Queries</dt><dd>{{ "{:,}".format(counts.queries) }}</dd></div>
    <div><dt>Children with findings</dt><dd>{{ "{:,}".format(counts.children_with_findings) }}</dd></div>
    <div><dt>Children with errors</dt><dd>{{ "{:,}".format(counts.children_with_errors) }}</dd></div>
    <div><dt>Rules run</dt><dd>{{ "{:,}".format(counts.rules_ran) }}</dd></div>
    <div><dt>Rules skipped / failed</dt><dd>{{ counts.rules_skipped }} / {{ counts.rules_failed }}</dd></div>
  </dl>
  <table class="meta">
    <caption>About this run</caption>
    <tbody>
      <tr><th scope="row">Local authority</th><td>{{ la_code }}</td></tr>
      <tr><th scope="row">Collection year</th><td>{{ year_label }} (reference date 31 March {{ year }})</td></tr>
      <tr><th scope="row">Period</th><td>{{ period_label }}</td></tr>
      <tr><th scope="row">Returns checked</th><td>{{ returns_label }}</td></tr>
      <tr><th scope="row">Generated</th><td>{{ generated_label }}</td></tr>
      <tr><th scope="row">Findings</th><td>{{ "{:,}".format(counts.findings) }} ({{ "{:,}".format(counts.errors) }} errors, {{ "{:,}".format(counts.queries) }} queries)</td></tr>
      {% for note in source_notes %}<tr><th scope="row">Source file</th><td>{{ note }}</td></tr>{% endfor %}
    </tbody>
  </table>
  <nav class="toc" aria-labelledby="h-toc">
    <h2 id="h-toc">Contents</h2>
    <ol>
      <li><a href="#by-rule">Findings by rule</a></li>
      <li><a href="#cross">Cross-return checks</a></li>
      <li><a href="#by-child">Findings by child</a></li>
      <li><a href="#trend">Trend against last year</a></li>
      <li><a href="#not-run">Rules skipped or failed</a></li>
    </ol>
  </nav>
</section>

<section id="by-rule" aria-labelledby="h-by-rule">
  <h2 id="h-by-rule">Findings by rule</h2>
  <p class="lead">Each DfE rule that found something, errors first, then by number of findings. An error blocks submission; a query needs checking and, where the data is right, an explanation to the DfE.</p>
  {% if plot_rules %}
  <figure>{{ plot_rules }}<figcaption>Figure 1. Findings for the rules with most findings. Errors are solid, queries hatched; the full list is in the table below.</figcaption></figure>
  {% endif %}
  {% if rules %}
  <table>
    <caption>{{ rules|length }} rule{{ "s" if rules|length != 1 }} with findings</caption>
    <thead><tr><th scope="col">Return</th><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">DfE message</th><th scope="col">Table and field</th><th scope="col" class="num">Findings</th><th scope="col" class="num">Children</th></tr></thead>
    <tbody>
    {% for r in rules %}
      <tr><td>{{ r.return_label }}</td><td class="code">{{ r.rule_code }}</td><td><span class="sev {{ r.severity }}">{{ r.severity|capitalize }}</span></td><td class="msg">{{ r.message }}</td><td>{{ r.table }}{% if r.field %}<br><span class="code">{{ r.field|replace(";", ", ") }}</span>{% endif %}</td><td class="num">{{ "{:,}".format(r.findings) }}</td><td class="num">{{ "{:,}".format(r.children) }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  {% else %}
  <p class="empty">No rule found anything.</p>
  {% endif %}
</section>

<section id="cross" aria-labelledby="h-cross">
  <h2 id="h-cross">Cross-return checks</h2>
  <p class="lead">Checks that the CIN census, the SSDA903 and the school rolls supplied agree about each child: a looked-after child has a CIN episode, the same child has the same UPN, date of birth and sex in both returns, protection plans fit the care record, school-age children are on a roll that agrees with us and flags those in our care. The DfE links the returns by UPN, so these differences break its matching. They are our checks, not DfE rules: every finding is a query and none blocks submission. Each finding is also in the list by child below and in issues.csv (return <span class="code">cross</span>).</p>
  {% if cross_rules %}
  <table>
    <caption>{{ cross_rules|length }} check{{ "s" if cross_rules|length != 1 }} with findings</caption>
    <thead><tr><th scope="col">Check</th><th scope="col">What to do</th><th scope="col">Table and field</th><th scope="col" class="num">Findings</th><th scope="col" class="num">Children</th></tr></thead>
    <tbody>
    {% for r in cross_rules %}
      <tr><td class="code">{{ r.rule_code }}</td><td class="msg">{{ r.message }}</td><td>{{ r.table }}{% if r.field %}<br><span class="code">{{ r.field|replace(";", ", ") }}</span>{% endif %}</td><td class="num">{{ "{:,}".format(r.findings) }}</td><td class="num">{{ "{:,}".format(r.children) }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  {% elif cross_ran %}
  <p class="empty">The returns and the school rolls agree: no cross-return check found anything.</p>
  {% else %}
  <p class="empty">The cross-return checks were not run.</p>
  {% endif %}
</section>

<section id="by-child" aria-labelledby="h-by-child">
  <h2 id="h-by-child">Findings by child</h2>
  <p class="lead">The to-do list for caseworkers and team managers: each child's findings, errors first. <em>Row</em> is the 0-based row of that table in the return as read (as in issues.csv). Findings about the return as a whole come last.</p>
  {% if child_rows %}
  <table class="by-child">
    <caption>{{ "{:,}".format(n_children) }} child{{ "ren" if n_children != 1 }} with {{ "{:,}".format(child_rows|length) }} finding{{ "s" if child_rows|length != 1 }}</caption>
    <thead><tr><th scope="col" class="print-only">Child</th><th scope="col">Severity</th><th scope="col">Rule</th><th scope="col">DfE message</th><th scope="col">Return, table and field</th><th scope="col" class="num">Row</th></tr></thead>
    {% for f in child_rows %}{% if f.span %}{% if not loop.first %}</tbody>{% endif %}
    <tbody class="child{{ ' small' if f.span <= 6 }}"><tr class="child-head"><th scope="rowgroup" colspan="6">{% if f.child_id %}Child {{ f.child_id }}{% else %}Whole return (no child){% endif %}<span class="counts">{{ f.errors }} error{{ "s" if f.errors != 1 }}, {{ f.queries }} quer{{ "ies" if f.queries != 1 else "y" }}</span></th></tr>{% endif %}
      <tr><td class="print-only code small">{{ f.child_id }}</td><td><span class="sev {{ f.severity }}">{{ f.severity|capitalize }}</span></td><td class="code">{{ f.rule_code }}</td><td class="msg">{{ f.message }}</td><td>{{ f.return_label }} &middot; {{ f.table }}{% if f.field %}<br><span class="code small">{{ f.field|replace(";", ", ") }}</span>{% endif %}</td><td class="num">{{ f.row }}</td></tr>
    {% endfor %}</tbody>
  </table>
  {% else %}
  <p class="empty">No findings about any child.</p>
  {% endif %}
</section>

<section id="trend" aria-labelledby="h-trend">
  <h2 id="h-trend">Trend against last year</h2>
  <p class="lead">The same measures for {{ year_label }} and {{ last_label }}, from the case history. <em>Open in period</em> counts what started on or before 31 March and had not ended before 1 April; <em>started in period</em> counts what began between 1 April and 31 March.</p>
  <table>
    <caption>This year against last year</caption>
    <thead><tr><th scope="col">Measure</th><th scope="col">Category</th><th scope="col" class="num">{{ last_label }}</th><th scope="col" class="num">{{ year_label }}</th><th scope="col" class="num">Change</th><th scope="col" class="num">Change %</th></tr></thead>
    {% for m in trend %}
    <tbody class="measure">
      {% for t in m.rows %}
      <tr{% if t.category == "All" %} class="total"{% endif %}>{% if loop.first %}<th scope="rowgroup" rowspan="{{ m.rows|length }}">{{ m.measure }}</th>{% endif %}<td>{{ t.category }}</td><td class="num">{{ "{:,}".format(t.last_year) }}</td><td class="num">{{ "{:,}".format(t.this_year) }}</td><td class="num">{{ t.change_label }}</td><td class="num">{{ t.pct_label }}</td></tr>
      {% endfor %}
    </tbody>
    {% endfor %}
  </table>
  {% if plot_need %}
  <figure>{{ plot_need }}<figcaption>Figure 2. Children in need by the primary need of their latest episode open in the year: {{ year_label }} solid, {{ last_label }} hatched.</figcaption></figure>
  {% endif %}
  {% if plot_months %}
  <figure>{{ plot_months }}<figcaption>Figure 3. Looked-after episodes open at any time in each month, April to March: {{ year_label }} solid line with dots, {{ last_label }} dashed with squares.</figcaption></figure>
  {% endif %}
</section>

<section id="not-run" aria-labelledby="h-not-run">
  <h2 id="h-not-run">Rules skipped or failed</h2>
  <p class="lead">A skipped rule needed a table this run did not have; a failed rule stopped with an error in the rule itself, so its findings are unknown. Neither is a finding about the data, but a failed rule should be reported to whoever maintains the validator.</p>
  {% if not_run %}
  <table>
    <caption>{{ counts.rules_skipped }} skipped, {{ counts.rules_failed }} failed</caption>
    <thead><tr><th scope="col">Status</th><th scope="col">Return</th><th scope="col">Rule</th><th scope="col">Severity</th><th scope="col">Reason</th></tr></thead>
    <tbody>
    {% for r in not_run %}
      <tr><td><strong>{{ r.status|capitalize }}</strong></td><td>{{ r.return_label }}</td><td class="code">{{ r.rule_code }}</td><td>{{ r.severity|capitalize }}</td><td class="msg">{{ r.reason }}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  {% else %}
  <p class="empty">Every rule for {{ year_label }} ran.</p>
  {% endif %}
</section>
</main>
<footer>
  <p>Produced by statreturns for LA {{ la_code }}, collection year {{ year_label }}, generated {{ generated_label }}. The same findings are in report.xlsx (filterable) and issues.csv.</p>
</footer>
</body>
</html>
"""
