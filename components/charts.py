"""Plotly charts for the dashboards and reports: one accent palette, readable on a phone.

The figure builders are plain functions (lists of labels and numbers in, plotly JSON out) so
they can run in a worker thread next to the query; ``chart_card`` is the Reflex block that
shows one figure under its Spanish title (the title lives in HTML, so it wraps at 390 px,
instead of being clipped inside the plot). Figures carry no template: the browser adds
plotly's light or dark one, so the state sent over the websocket stays small.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import reflex as rx

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
CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False,
          "doubleClick": False, "showTips": False}


Figure = dict[str, Any]


def _figure(*traces: dict[str, Any], money: bool = True, height: int = HEIGHT,
            legend: bool = True, horizontal: bool = False, barmode: str = "group") -> Figure:
    """A figure as plain plotly JSON (building ``go.Figure`` objects validates every
    property and costs ~80 ms a chart; the browser validates anyway)."""
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


def chart_card(title: rx.Var | str, figure: rx.Var, *, test_id: str,
               on_click: Any = None, has_data: rx.Var | bool = True,
               empty_text: str = "", hint: str = "", extra: rx.Component | None = None
               ) -> rx.Component:
    """A card with the chart's title (what and when), the chart, and an empty message."""
    plot = rx.plotly(data=figure.to(go.Figure) if isinstance(figure, rx.Var) else figure,
                     config=CONFIG, on_click=on_click, width="100%",
                     id=f"{test_id}-plot")
    return rx.card(
        rx.vstack(
            rx.heading(title, size="3", weight="medium", as_="h3"),
            rx.cond(has_data,
                    rx.box(plot, width="100%", min_width="0"),
                    rx.center(rx.text(empty_text, size="2", color_scheme="gray"),
                              height="120px", width="100%")),
            rx.cond(has_data, rx.text(hint, size="1", color_scheme="gray")) if hint else
            rx.fragment(),
            *([extra] if extra is not None else []),
            spacing="2",
            width="100%",
        ),
        width="100%",
        min_width="0",
        data_testid=test_id,
    )
