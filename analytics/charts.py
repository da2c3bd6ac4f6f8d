"""KPI results → plotly figures for the dashboards.

Every figure: the accent palette, a Spanish title that says what and when
("Ganado por mes y año anterior · noviembre de 2025"), es-ES number separators, a layout that
reads on a 390 px phone (short margins, legend below, no tiny fonts), and ``customdata`` on
every bar or point holding the drill-down query for ``/api/v1/analytics/opportunities``
(e.g. ``status=won&month=2025-11``): the page passes a click's ``points[0].customdata`` on to
the opportunities list, adding the period and filters it already has.

Input: the row lists the KPI functions return (``list[dict]``), or a polars DataFrame with the
same columns. Money arrives as ``Decimal`` and is plotted as float (display only).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import plotly.graph_objects as go

ACCENT = "#1d4ed8"
PALETTE = ("#1d4ed8", "#93c5fd", "#0f766e", "#f59e0b", "#be185d", "#6d28d9", "#64748b")
KIND_LABELS = {"call": "Llamadas", "meeting": "Reuniones", "email": "Correos",
               "task": "Tareas", "note": "Notas"}
MONTHS_SHORT = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov",
                "dic")
EURO_HOVER = "%{y:,.2f} €"


def _rows(data: Any) -> list[dict[str, Any]]:
    if hasattr(data, "to_dicts"):
        return data.to_dicts()
    return list(data or [])


def drill(**params: Any) -> str:
    """The drill-down query string for a chart element (None values left out)."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


def month_label(key: str) -> str:
    """``2025-11`` → ``nov 25``."""
    year, month = key.split("-")
    return f"{MONTHS_SHORT[int(month) - 1]} {year[2:]}"


def _layout(fig: go.Figure, title: str, *, height: int = 340, horizontal: bool = False,
            empty: bool = False) -> go.Figure:
    fig.update_layout(
        title={"text": title, "font": {"size": 15}, "x": 0, "xanchor": "left"},
        template="plotly_white", colorway=list(PALETTE), separators=",.",
        font={"family": "Inter, system-ui, sans-serif", "size": 13},
        height=height, margin={"l": 8, "r": 8, "t": 48, "b": 8},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0},
        hoverlabel={"font_size": 13}, bargap=0.25, clickmode="event",
    )
    fig.update_xaxes(automargin=True, fixedrange=True)
    fig.update_yaxes(automargin=True, fixedrange=True)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
    if empty:
        fig.add_annotation(text="Sin datos en el periodo", showarrow=False, x=0.5, y=0.5,
                           xref="paper", yref="paper", font={"size": 14, "color": "#6b7280"})
    return fig


def pipeline_by_stage(rows: Any, *, when: str) -> go.Figure:
    """Open pipeline per stage: amount and weighted amount (``kpis.pipeline_by_stage``)."""
    rows = _rows(rows)
    names = [r["stage_name"] for r in rows]
    keys = [drill(status="open", stage_id=r["stage_id"]) for r in rows]
    fig = go.Figure([
        go.Bar(name="Importe", x=[float(r["amount"]) for r in rows], y=names, orientation="h",
               customdata=keys, marker_color=PALETTE[0],
               hovertemplate="%{y}: %{x:,.2f} €<extra>Importe</extra>"),
        go.Bar(name="Ponderado", x=[float(r["weighted_amount"]) for r in rows], y=names,
               orientation="h", customdata=keys, marker_color=PALETTE[1],
               hovertemplate="%{y}: %{x:,.2f} €<extra>Ponderado</extra>"),
    ])
    fig.update_xaxes(ticksuffix=" €")
    return _layout(fig, f"Pipeline abierto por etapa · {when}", horizontal=True,
                   empty=not any(r["count"] for r in rows))


def won_by_month(rows: Any, *, when: str) -> go.Figure:
    """Won per month with the same month of the previous year and the fiscal-year cumulative
    (``kpis.won_by_month``)."""
    rows = _rows(rows)
    x = [month_label(r["month"]) for r in rows]
    keys = [drill(status="won", month=r["month"]) for r in rows]
    fig = go.Figure([
        go.Bar(name="Ganado", x=x, y=[float(r["won_amount"]) for r in rows], customdata=keys,
               marker_color=PALETTE[0], hovertemplate=EURO_HOVER + "<extra>Ganado</extra>"),
        go.Bar(name="Año anterior", x=x, y=[float(r["won_amount_prev_year"]) for r in rows],
               customdata=keys, marker_color=PALETTE[1],
               hovertemplate=EURO_HOVER + "<extra>Año anterior</extra>"),
        go.Scatter(name="Acumulado del ejercicio", x=x,
                   y=[float(r["cumulative_won_amount"]) for r in rows], customdata=keys,
                   mode="lines+markers", line={"color": PALETTE[2], "width": 2},
                   yaxis="y2", hovertemplate=EURO_HOVER + "<extra>Acumulado</extra>"),
    ])
    fig.update_layout(barmode="group", yaxis={"ticksuffix": " €"},
                      yaxis2={"overlaying": "y", "side": "right", "showgrid": False,
                              "ticksuffix": " €", "rangemode": "tozero"})
    return _layout(fig, f"Ganado por mes y año anterior · {when}",
                   empty=not any(r["won_amount"] or r["won_amount_prev_year"] for r in rows))


def funnel(rows: Any, *, when: str) -> go.Figure:
    """Stage conversion funnel of the opportunities created in the period (``kpis.funnel``)."""
    rows = _rows(rows)
    fig = go.Figure(go.Funnel(
        y=[r["stage_name"] for r in rows], x=[r["reached"] for r in rows],
        customdata=[drill(status="created") for _ in rows], marker={"color": PALETTE[0]},
        textinfo="value+percent initial",
        hovertemplate="%{y}: %{x} oportunidades<extra></extra>"))
    return _layout(fig, f"Embudo de conversión · creadas en {when}",
                   empty=not any(r["reached"] for r in rows))


def _won_bars(rows: list[dict[str, Any]], label_key: str, drill_key: str, title: str,
              drill_from: str | None = None) -> go.Figure:
    labels = [str(r[label_key]) for r in rows]
    keys = [drill(status="won", **{drill_key: r[drill_from or drill_key]}) for r in rows]
    fig = go.Figure(go.Bar(x=[float(r["won_amount"]) for r in rows], y=labels, orientation="h",
                           customdata=keys, marker_color=PALETTE[0],
                           text=[f"{r['won_count']} gan." for r in rows], textposition="auto",
                           hovertemplate="%{y}: %{x:,.2f} €<extra></extra>"))
    fig.update_xaxes(ticksuffix=" €")
    height = max(260, 60 + 34 * len(rows))
    return _layout(fig, title, height=height, horizontal=True,
                   empty=not any(r["won_amount"] for r in rows))


def by_channel(rows: Any, *, when: str) -> go.Figure:
    """Won amount per channel (``kpis.by_channel``)."""
    return _won_bars(_rows(rows), "channel_label", "channel", f"Ganado por canal · {when}")


def by_owner(rows: Any, *, when: str) -> go.Figure:
    """Won amount per comercial (``kpis.comparison_by_owner``)."""
    return _won_bars(_rows(rows), "owner_name", "owner_id", f"Ganado por comercial · {when}")


def by_team(rows: Any, *, when: str) -> go.Figure:
    """Won amount per team (``kpis.comparison_by_team``)."""
    return _won_bars(_rows(rows), "team_name", "team_id", f"Ganado por equipo · {when}")


def activities(rows: Any, *, when: str, kinds: Sequence[str] = tuple(KIND_LABELS)) -> go.Figure:
    """Activities per comercial, stacked by type (``kpis.activities_by_owner``)."""
    rows = _rows(rows)
    names = [r["owner_name"] for r in rows]
    fig = go.Figure([
        go.Bar(name=KIND_LABELS.get(k, k), x=[r.get(k, 0) for r in rows], y=names,
               orientation="h", marker_color=PALETTE[i % len(PALETTE)],
               customdata=[drill(owner_id=r["owner_id"]) for r in rows],
               hovertemplate="%{y}: %{x}<extra>" + KIND_LABELS.get(k, k) + "</extra>")
        for i, k in enumerate(kinds)])
    fig.update_layout(barmode="stack")
    return _layout(fig, f"Actividades por comercial · {when}", horizontal=True,
                   height=max(260, 80 + 30 * len(rows)), empty=not rows)


def dashboard_figures(dash: dict[str, Any]) -> dict[str, go.Figure]:
    """All the figures of a ``kpis.dashboard`` result, keyed like its sections."""
    when = dash["period"]["label"]
    figs = {"by_stage": pipeline_by_stage(dash["by_stage"], when=when),
            "by_month": won_by_month(dash["by_month"], when=when),
            "funnel": funnel(dash["funnel"], when=when),
            "by_channel": by_channel(dash["by_channel"], when=when),
            "activities": activities(dash["activities_by_owner"], when=when)}
    if "by_owner" in dash:
        figs["by_owner"] = by_owner(dash["by_owner"], when=when)
    if "by_team" in dash:
        figs["by_team"] = by_team(dash["by_team"], when=when)
    return figs
