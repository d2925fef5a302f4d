"""Plots as inline SVG text: ``Figure.savefig(format="svg")`` without pyplot (so no global backend or
figure registry), with fixed ids and no dates.

Each plot gets its own ``svg.hashsalt`` so the element ids of two plots on one page never clash, and the
same input always gives the same bytes. Text stays text (``svg.fonttype: none``): it prints sharp and a
screen reader or a search finds it. Colour is never the only cue: bars carry hatching and labels.
"""

from __future__ import annotations

import io
import re

import matplotlib
import pandas as pd
from markupsafe import Markup, escape
from matplotlib.figure import Figure

from statreturns.report import labels

INK, MUTED, ERROR, QUERY, THIS, LAST = "#1b1b1b", "#505a5f", "#b3261e", "#1d5fa8", "#1d5fa8", "#8a8f94"
_STYLE = {
    "svg.fonttype": "none",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],  # DejaVu ships with matplotlib: same layout everywhere
    "font.size": 9,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": MUTED,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.6,
}


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _to_svg(fig: Figure, salt: str, label: str) -> Markup:
    buffer = io.StringIO()
    with matplotlib.rc_context({**_STYLE, "svg.hashsalt": salt}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # drop the XML declaration and DOCTYPE: the SVG is inline in HTML5
    text = re.sub(r'<svg ([^>]*?)width="[\d.]+pt" height="[\d.]+pt"',
                  rf'<svg \1role="img" aria-label="{escape(label)}"', text, count=1)
    # matplotlib numbers its ids from 1 in every file ("figure_1", "axes_1"): prefix them per plot.
    prefix = salt.removeprefix("statreturns-")
    text = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', text)
    text = re.sub(r'url\(#([^)]+)\)', rf'url(#{prefix}-\1)', text)
    text = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', text)
    return Markup(text)


def findings_by_rule(by_rule: pd.DataFrame, top: int = 15) -> Markup | None:
    """Horizontal bars of the rules with most findings, errors solid and queries hatched."""
    if by_rule.empty:
        return None
    data = by_rule.sort_values(["findings", "severity"], ascending=[False, True], kind="stable").head(top)
    data = data.iloc[::-1]
    names = (data["return"].str.upper().str.replace("SSDA903", "903") + " " + data["rule_code"]
             + " (" + data["severity"] + ")").tolist()
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.2, 0.9 + 0.28 * len(data))
        ax = fig.add_subplot()
        is_error = (data["severity"] == "error").to_numpy()
        bars = ax.barh(range(len(data)), data["findings"].to_numpy(),
                       color=[ERROR if e else "white" for e in is_error],
                       edgecolor=[ERROR if e else QUERY for e in is_error],
                       hatch=[None if e else "////" for e in is_error], linewidth=1)
        ax.bar_label(bars, padding=3, fontsize=8)
        ax.set_yticks(range(len(data)), names)
        ax.set_xlabel("Findings (rows flagged)")
        ax.set_title(f"Findings by rule: the {len(data)} rules with most findings", loc="left", fontsize=10)
        ax.margins(x=0.1)
        _legend(ax, [("Error (blocks submission)", ERROR, ERROR, None),
                     ("Query (explain or fix)", "white", QUERY, "////")])
    return _to_svg(fig, "statreturns-findings-by-rule", "Bar chart of findings by rule")


def children_by_need(counts: pd.DataFrame, year_now: str, year_before: str) -> Markup | None:
    """Grouped horizontal bars: children in need by primary need, this year against last year."""
    if counts.empty or not counts[["this_year", "last_year"]].to_numpy().any():
        return None
    data = counts.iloc[::-1]
    names = [labels.describe(labels.PRIMARY_NEED, c) if c != labels.NOT_RECORDED else c for c in data["code"]]
    pos = pd.RangeIndex(len(data)).to_numpy()
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.2, 1.0 + 0.42 * len(data))
        ax = fig.add_subplot()
        now = ax.barh(pos + 0.2, data["this_year"].to_numpy(), height=0.4, color=THIS, edgecolor=THIS)
        before = ax.barh(pos - 0.2, data["last_year"].to_numpy(), height=0.4, color="white", edgecolor=LAST,
                         hatch="\\\\\\\\")
        ax.bar_label(now, padding=3, fontsize=8)
        ax.bar_label(before, padding=3, fontsize=8, color=MUTED)
        ax.set_yticks(pos, names)
        ax.set_xlabel("Children (latest episode open in the year)")
        ax.set_title("Children in need by primary need", loc="left", fontsize=10)
        ax.margins(x=0.1)
        _legend(ax, [(year_now, THIS, THIS, None), (year_before, "white", LAST, "\\\\\\\\")])
    return _to_svg(fig, "statreturns-children-by-need", "Bar chart of children in need by primary need")


def episodes_by_month(counts: pd.DataFrame, year_now: str, year_before: str) -> Markup | None:
    """Looked-after episodes open in each month: this year solid with dots, last year dashed with squares."""
    if not counts[["this_year", "last_year"]].to_numpy().any():
        return None
    with matplotlib.rc_context(_STYLE):
        fig = _figure(7.2, 2.8)
        ax = fig.add_subplot()
        x = range(len(counts))
        ax.plot(x, counts["this_year"], color=THIS, marker="o", linewidth=2, label=year_now)
        ax.plot(x, counts["last_year"], color=LAST, marker="s", linestyle="--", linewidth=1.5, label=year_before)
        for i, v in zip(x, counts["this_year"], strict=True):
            ax.annotate(str(v), (i, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
        ax.set_xticks(list(x), counts["month"].tolist())
        ax.set_ylim(bottom=0, top=max(1, int(counts[["this_year", "last_year"]].to_numpy().max())) * 1.2)
        ax.set_ylabel("Episodes open in the month")
        ax.set_xlabel("Month (April to March)")
        ax.set_title("Looked-after episodes open in each month", loc="left", fontsize=10)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.legend(frameon=False, loc="lower right")
    return _to_svg(fig, "statreturns-episodes-by-month", "Line chart of looked-after episodes open each month")


def _legend(ax, entries: list[tuple[str, str, str, str | None]]) -> None:
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=face, edgecolor=edge, hatch=hatch, label=text) for text, face, edge, hatch in entries]
    ax.legend(handles=handles, frameon=False, loc="lower right")
