"""What Inicio shows for a scope, computed in a worker thread: KPI cards with their change,
the charts (``analytics.charts``), the team or owner comparison and the keys behind each bar.

One ``kpis.dashboard`` call (a handful of grouped queries), the open pipeline at the end of
the previous period for its cards' change, and the won by month of the whole fiscal year when
the period is shorter. Display only: every figure is a public KPI function's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics import charts, kpis, periods
from analytics.scope import Scope
from crm_app.formatting import money, number, percent
from crm_app.i18n import t
from crm_app.services import analytics as svc
from crm_app.state_mixins.analytics import change_view, fmt_value, month_label

PERIOD_KINDS = ("month", "quarter", "fiscal_year")
CARD_KEYS = ("pipeline_amount", "weighted_amount", "won_amount", "win_rate", "avg_deal_size",
             "avg_sales_cycle_days", "conversion_rate", "activities")
COMPARE_COLUMNS = [("name", ""), ("won", "aui.col.won"), ("won_count", "aui.col.won_count"),
                   ("win_rate", "aui.col.win_rate"), ("pipeline", "aui.col.pipeline"),
                   ("weighted", "aui.col.weighted"), ("activities", "aui.col.activities")]


def _card_id(key: str) -> str:
    return "kpi-" + key.replace("_", "-")


def _cards(k: dict[str, Any], changes: dict[str, Any], when_prev: str) -> list[dict[str, str]]:
    cards = []
    for key in CARD_KEYS:
        text, tone = change_view(key, changes.get(key))
        cards.append({"id": _card_id(key), "label": t(f"aui.kpi.{key}"),
                      "value": fmt_value(key, k.get(key)), "change": text, "tone": tone,
                      "vs": t("aui.vs", label=when_prev)})
    return cards


def _compare(data: dict[str, Any], scope: Scope, period: periods.Period) -> dict[str, Any]:
    """The comparison of a team's comercials (manager) or of the teams (director, admin)."""
    source = data.get("by_owner") if scope.kind == "team" else data.get("by_team")
    if source is None:
        return {"kind": "", "rows": [], "keys": [], "figure": charts.empty_figure(),
                "table": {}}
    kind = "owner" if scope.kind == "team" else "team"
    name_key, id_key = ("owner_name", "owner_id") if kind == "owner" else ("team_name",
                                                                           "team_id")
    rows = [{"name": r[name_key], "won": money(r["won_amount"]),
             "won_count": number(r["won_count"]), "win_rate": percent(r["win_rate"]),
             "pipeline": money(r["pipeline_amount"]), "weighted": money(r["weighted_amount"]),
             "activities": number(r["activities"])} for r in source]
    figure = charts.bar_chart(
        [r[name_key] for r in source],
        [(t("aui.chart.won"), [float(r["won_amount"]) for r in source]),
         (t("aui.col.pipeline"), [float(r["pipeline_amount"]) for r in source])],
        horizontal=True, colors=(charts.ACCENT, charts.ACCENT_SOFT))
    first = t("aui.col.owner") if kind == "owner" else t("aui.col.team")
    table = {"headers": [first] + [t(key) for _, key in COMPARE_COLUMNS[1:]],
             "units": ["text", "money", "count", "ratio", "money", "money", "count"],
             "rows": [[r[name_key], r["won_amount"], r["won_count"], r["win_rate"],
                       r["pipeline_amount"], r["weighted_amount"], r["activities"]]
                      for r in source],
             "file": f"comparativa-{period.start:%Y-%m}", "sheet": period.label}
    return {"kind": kind, "rows": rows, "figure": figure, "table": table,
            "keys": [(r[id_key], r[name_key]) for r in source]}


def build_dashboard(scope: Scope, period_kind: str, today: date) -> dict[str, Any]:
    """Everything Inicio shows for ``scope``: display strings, small tables, figures."""
    with svc.reading() as con:
        fy = kpis.fiscal_start_month(con)
        period = periods.of_kind(period_kind, today, fy)
        previous = periods.previous(period)
        data = kpis.dashboard(con, scope, period, previous=previous)
        prev_pipeline = kpis.pipeline_totals(kpis.pipeline_by_stage(con, scope, previous))
        fy_period = periods.fiscal_year_of(today, fy)
        by_month = data["by_month"] if period == fy_period else kpis.won_by_month(
            con, scope, fy_period, fiscal_start=fy)
    when, fy_label = period.label, fy_period.label
    changes = dict(data["changes"])
    for key in ("pipeline_amount", "weighted_amount"):
        changes[key] = kpis.change(data["kpis"][key], prev_pipeline[key])

    stages = data["by_stage"]
    pipeline_fig = charts.bar_chart(
        [s["stage_name"] for s in stages],
        [(t("aui.chart.amount"), [float(s["amount"]) for s in stages]),
         (t("aui.chart.weighted"), [float(s["weighted_amount"]) for s in stages])],
        colors=(charts.ACCENT, charts.ACCENT_SOFT))
    current_month = today.strftime("%Y-%m")
    labels = [month_label(m["month"]) for m in by_month]
    months_fig = charts.month_bars_with_last_year(
        labels,
        [float(m["won_amount"]) if m["month"] <= current_month else None for m in by_month],
        [float(m["won_amount_prev_year"]) for m in by_month],
        names=(t("aui.chart.won"), t("aui.chart.prev_year")))
    cum_fig = charts.line_chart(
        labels,
        [(t("aui.chart.this_fy"), [float(m["cumulative_won_amount"])
                                   if m["month"] <= current_month else None for m in by_month]),
         (t("aui.chart.prev_fy"), [float(m["cumulative_won_amount_prev_year"])
                                   for m in by_month])],
        colors=(charts.ACCENT, charts.GRAY), dashes=("solid", "dot"))
    funnel = data["funnel"]
    funnel_fig = charts.funnel_chart(
        [f["stage_name"] for f in funnel], [f["reached"] for f in funnel],
        [f"{number(f['reached'])} · {percent(f['conversion_from_first'], 0)}" for f in funnel])
    compare = _compare(data, scope, period)

    return {
        "snapshot_text": svc.snapshot_label(data["snapshot_at"]),
        "snapshot_warning": svc.snapshot_warning(data["snapshot_at"]),
        "period_label": when,
        "cards": _cards(data["kpis"], changes, previous.label),
        "titles": {"pipeline": t("aui.chart.pipeline", when=when),
                   "months": t("aui.chart.won_by_month", when=fy_label),
                   "cumulative": t("aui.chart.cumulative", when=fy_label),
                   "funnel": t("aui.chart.funnel", when=when),
                   "compare": t("aui.chart.owners" if compare["kind"] == "owner" else
                                "aui.chart.teams", when=when)},
        "figures": {"pipeline": pipeline_fig, "months": months_fig, "cumulative": cum_fig,
                    "funnel": funnel_fig, "compare": compare["figure"]},
        "has": {"pipeline": any(s["count"] for s in stages),
                "months": any(m["won_amount"] or m["won_amount_prev_year"] for m in by_month),
                "funnel": bool(funnel and funnel[0]["reached"]),
                "compare": bool(compare["rows"])},
        "compare_kind": compare["kind"],
        "compare_rows": compare["rows"],
        "table": compare["table"],
        "keys": {"period": (period.start.isoformat(), period.end.isoformat(), when),
                 "fy": (fy_period.start.isoformat(), fy_period.end.isoformat()),
                 "stages": [(s["stage_id"], s["stage_name"]) for s in stages],
                 "months": [m["month"] for m in by_month],
                 "funnel": [(f["stage_id"], f["stage_name"]) for f in funnel],
                 "compare": compare["keys"], "compare_kind": compare["kind"]},
    }
