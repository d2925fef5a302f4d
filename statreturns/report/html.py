"""The HTML run report: findings by rule and by child, the trend, plots; every value escaped by jinja2."""

from __future__ import annotations

from datetime import UTC, datetime

import jinja2
import pandas as pd
from markupsafe import Markup

from statreturns.report import findings, measures, plots
from statreturns.report.model import ReportInput, period, year_label
from statreturns.report.template import CSS, TEMPLATE

RETURN_LABELS = {"cin": "CIN census", "ssda903": "SSDA903", "cross": "Cross-return checks"}


def generated_label(when: datetime) -> str:
    if when.tzinfo is None:
        return f"{when:%Y-%m-%d %H:%M}"
    return f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(return_label=frame["return"].map(RETURN_LABELS).fillna(frame["return"]))


def _child_rows(ordered: pd.DataFrame) -> list[dict]:
    """By-child findings as flat rows; the first row of each child carries the group's size and counts."""
    if ordered.empty:
        return []
    counts = findings.child_counts(ordered)
    first = ordered["child_id"].ne(ordered["child_id"].shift()).to_numpy()
    rows = _labelled(ordered).assign(span=0, errors=0, queries=0)
    rows.loc[first, ["span", "errors", "queries"]] = counts[["findings", "errors", "queries"]].to_numpy()
    return rows.to_dict("records")


def _trend_groups(trend: pd.DataFrame) -> list[dict]:
    last = trend["last_year"]
    pct = (trend["change"] / last.where(last > 0) * 100).round(0)
    rows = trend.assign(
        change_label=trend["change"].map(lambda v: f"{v:+,}" if v else "0"),
        pct_label=pct.map(lambda v: "n/a" if pd.isna(v) else f"{v:+.0f}%" if v else "0%"),
    )
    order = list(dict.fromkeys(rows["measure"]))
    groups = {name: part.to_dict("records") for name, part in rows.groupby("measure", sort=False)}
    return [{"measure": name, "rows": groups[name]} for name in order]


def render_html(run: ReportInput) -> str:
    found = run.regrouped
    counts, every_rule, ordered = found.counts, found.by_rule, found.by_child
    cross = (every_rule["return"] == findings.CROSS).to_numpy()
    rules, cross_rules = every_rule[~cross], every_rule[cross]
    now, before = year_label(run.year), year_label(run.year - 1)
    ran = set(run.rule_status.get("return", pd.Series(dtype="object")).dropna())
    returns = sorted((ran | set(found.issues["return"])) - {"", findings.CROSS})
    context = {
        "css": Markup(CSS),  # our own constant; escaping would break its quoted font names
        "la_code": run.la_code,
        "year": run.year,
        "year_label": now,
        "last_label": before,
        "period_label": period(run.year).label,
        "generated_label": generated_label(run.generated_at),
        "returns_label": " and ".join(RETURN_LABELS.get(r, r) for r in returns) or "No return",
        "counts": counts,
        "blocked": counts["errors"] > 0,
        "rules": _labelled(rules).to_dict("records"),
        "cross_ran": findings.CROSS in ran,
        "cross_rules": _labelled(cross_rules).to_dict("records"),
        "child_rows": _child_rows(ordered),
        "n_children": int(ordered.loc[ordered["child_id"] != "", "child_id"].nunique()),
        "trend": _trend_groups(run.trend_table),
        "not_run": _labelled(found.not_run).to_dict("records"),
        "plot_rules": plots.findings_by_rule(rules),
        "plot_need": plots.children_by_need(measures.children_by_need(run.tables, run.year), now, before),
        "plot_months": plots.episodes_by_month(measures.episodes_by_month(run.tables, run.year), now, before),
        "source_notes": list(run.notes),
    }
    return _environment().from_string(TEMPLATE).render(context)
