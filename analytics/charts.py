"""KPI results → plotly figures: the ONE chart builder of the dashboards and reports.

The builders are plain functions (lists of labels and numbers in, plotly JSON out) so they run
in a worker thread next to the query that feeds them; the Reflex wrapper
(``components.charts.chart_card``) only renders a figure under its Spanish title, which lives
in HTML so it wraps at 390 px instead of being clipped inside the plot.

Every figure: the theme's accent palette, es-ES separators (``1.234,56``), a layout that reads
on a phone (short margins, legend on top, long labels cut with the full one in the hover), no
zoom or drag, and no template (the browser adds plotly's light or dark one, so the state sent
over the websocket stays small). Building ``go.Figure`` objects would validate every property
(~80 ms a chart); the browser validates anyway, so the figures are plain dicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

# Radix indigo (the theme's accent) and slate (its gray), light scale.
ACCENT = "#3E63DD"
ACCENT_DARK = "#1F2D5C"
ACCENT_SOFT = "#8DA4EF"
GRAY = "#B9BBC6"
GRAY_DARK = "#60646C"
SERIES = ("#3E63DD", "#8DA4EF", "#1F2D5C", "#C1D0FF", "#60646C", "#B9BBC6", "#3358D4",
          "#ABBDF9")
GRID = "rgba(139, 141, 152, 0.25)"
HEIGHT = 300
# The printed report's palette (its stylesheet's accent is #1d4ed8): the PDF's SVG charts.
PALETTE = ("#1d4ed8", "#93c5fd", "#0f766e", "#f59e0b", "#be185d", "#6d28d9", "#64748b")

Figure = dict[str, Any]


def _figure(*traces: dict[str, Any], money: bool = True, height: int = HEIGHT,
            legend: bool = True, horizontal: bool = False, barmode: str = "group") -> Figure:
    value_axis = {"automargin": True, "gridcolor": GRID, "zeroline": False, "fixedrange": True,
                  "tickformat": "~s" if money else ",d", "rangemode": "tozero",
                  "ticksuffix": " €" if money else ""}
    label_axis = {"automargin": True, "fixedrange": True, "showgrid": False}
    layout: dict[str, Any] = {
        "height": height, "autosize": True, "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"size": 12}, "separators": ",.", "showlegend": legend, "barmode": barmode,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "left",
                   "x": 0},
        "hovermode": "closest", "dragmode": False, "bargap": 0.25,
        "hoverlabel": {"font": {"size": 12}},
    }
    if horizontal:
        layout["xaxis"] = value_axis
        layout["yaxis"] = {**label_axis, "autorange": "reversed"}
    else:
        layout["yaxis"] = value_axis
        layout["xaxis"] = label_axis
    return {"data": list(traces), "layout": layout}


def _hover(money: bool, horizontal: bool = False) -> str:
    axis = "x" if horizontal else "y"
    label = "y" if horizontal else "x"
    value = f"%{{{axis}:,.2f}} €" if money else f"%{{{axis}:,}}"
    return f"%{{{label}}}<br>%{{fullData.name}}: {value}<extra></extra>"


def empty_figure() -> Figure:
    return _figure(legend=False)


def short_labels(labels: Sequence[str], width: int = 24) -> list[str]:
    """Labels cut to ``width`` characters with "…" (kept unique), so a phone keeps room for
    the bars; the full label stays in the hover."""
    out: list[str] = []
    for label in labels:
        text = label if len(label) <= width else label[: width - 1].rstrip() + "…"
        while text in out:
            text += "\u200b"  # invisible, keeps two cut labels apart
        out.append(text)
    return out


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
              money: bool = True, horizontal: bool = False, colors: Sequence[str] = SERIES,
              height: int | None = None, barmode: str = "group") -> Figure:
    """Bars per label, one trace per (name, values) series."""
    traces = []
    shown = short_labels(labels) if horizontal else list(labels)
    for i, (name, values) in enumerate(series):
        trace: dict[str, Any] = {"type": "bar", "name": name,
                                 "marker": {"color": colors[i % len(colors)]},
                                 "hovertemplate": _hover(money, horizontal)}
        if horizontal:
            value = "%{x:,.2f} €" if money else "%{x:,}"
            trace.update(y=shown, x=list(values), orientation="h", customdata=list(labels),
                         hovertemplate=f"%{{customdata}}<br>%{{fullData.name}}: {value}"
                                       "<extra></extra>")
        else:
            trace.update(x=list(labels), y=list(values))
        traces.append(trace)
    if height is None:
        height = max(HEIGHT, 60 + 34 * len(labels) * max(1, len(series)) // 2) \
            if horizontal else HEIGHT
    return _figure(*traces, money=money, horizontal=horizontal, legend=len(series) > 1,
                   height=height, barmode=barmode)


def line_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               money: bool = True, colors: Sequence[str] = SERIES,
               dashes: Sequence[str] = ()) -> Figure:
    """Lines with markers per label, one trace per (name, values) series."""
    traces = [{"type": "scatter", "x": list(labels), "y": list(values), "name": name,
               "mode": "lines+markers",
               "line": {"color": colors[i % len(colors)], "width": 3,
                        "dash": dashes[i] if i < len(dashes) else "solid"},
               "marker": {"size": 7}, "hovertemplate": _hover(money)}
              for i, (name, values) in enumerate(series)]
    return _figure(*traces, money=money, legend=len(series) > 1)


def month_bars_with_last_year(labels: Sequence[str], current: Sequence[float | None],
                              last_year: Sequence[float], *, names: tuple[str, str]
                              ) -> Figure:
    """Won per month (accent) next to the same month a year earlier (gray)."""
    return bar_chart(labels, [(names[0], current), (names[1], last_year)],
                     colors=(ACCENT, GRAY))


def funnel_chart(stages: Sequence[str], reached: Sequence[int],
                 texts: Sequence[str]) -> Figure:
    """Stage conversion funnel: how many reached each stage, with the share of the first."""
    colors = [SERIES[0], SERIES[6], SERIES[1], SERIES[7], SERIES[3]]
    fig = _figure({"type": "funnel", "y": list(stages), "x": list(reached),
                   "text": list(texts), "textinfo": "text", "textposition": "inside",
                   "marker": {"color": [colors[i % len(colors)] for i in range(len(stages))]},
                   "connector": {"line": {"color": GRID}},
                   "hovertemplate": "%{y}: %{x:,}<extra></extra>"},
                  money=False, legend=False)
    fig["layout"]["yaxis"] = {"automargin": True, "fixedrange": True}
    fig["layout"]["xaxis"] = {"visible": False, "fixedrange": True}
    return fig


__all__ = ["ACCENT", "ACCENT_DARK", "ACCENT_SOFT", "GRAY", "GRAY_DARK", "PALETTE", "SERIES",
           "Figure", "bar_chart", "empty_figure", "funnel_chart", "line_chart",
           "month_bars_with_last_year", "short_labels"]
