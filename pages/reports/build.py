"""What /informes shows for a request, computed in a worker thread: the matrix table and
chart, the evolution (monthly, cumulative) or year-over-year view, the tables kept for export
and the keys behind every bar.

The figures are ``analytics.report``'s (every value of the cut, the rows adding up to the
total); this module only formats them. The tables list every value; a chart shows the first
values and groups the rest as "Otros", so nothing is left out anywhere.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from analytics import charts, kpis, periods
from analytics import report as rep
from analytics.scope import Scope
from crm_app.formatting import percent
from crm_app.i18n import t
from crm_app.services import analytics as svc
from crm_app.state_mixins.analytics import fmt_value, month_label, plain_value, unit_of


def label_of(key: Any, label: str) -> str:
    """A row's label: the grouped tail is "Otros", the total (key None, no label) "Total"."""
    if key == rep.OTHERS:
        return t("aui.report.others")
    return str(label) if label else t("aui.total")


def _drill(cut: str, key: Any, label: str) -> dict[str, Any]:
    """The filters behind a row or bar; {} where no single filter says it (the deals without
    a value, "Otros")."""
    if cut == "none":
        return {"filters": {}, "label": t("aui.total")}
    if key in (None, "", rep.OTHERS):
        return {}
    return {"filters": {rep.CUT_FILTER[cut]: key}, "label": str(label)}


def _matrix(r: rep.Report, cut: str, keys: list[str], cut_name: str) -> dict[str, Any]:
    when, period = r.period.label, r.period
    total = r.total.figures()
    rows = [(row.key, row.label, row.figures) for row in r.rows]
    chart_rows = rep.with_others(r.rows, rep.CHART_ROWS) if r.rows else \
        [rep.Row(None, "", r.total)]
    primary = keys[0]
    unit = unit_of(primary)
    same_unit = [k for k in keys if unit_of(k) == unit][:3]
    figure = charts.bar_chart(
        [label_of(row.key, row.label) for row in chart_rows],
        [(t(f"aui.kpi.{k}"), [plain_value(k, row.figures.get(k)) for row in chart_rows])
         for k in same_unit],
        money=unit == "money", horizontal=True)
    grouped = len(r.rows) - (len(chart_rows) - 1) if chart_rows[-1].key == rep.OTHERS else 0
    return {
        "head": [cut_name if cut != "none" else "", *[t(f"aui.kpi.{k}") for k in keys]],
        "rows": [[label] + [fmt_value(k, st.get(k)) for k in keys] for _, label, st in rows]
        + [[t("aui.total")] + [fmt_value(k, total.get(k)) for k in keys]],
        "figure": figure,
        "note": t("aui.report.others_note", n=grouped) if grouped else "",
        "table": {"headers": [cut_name if cut != "none" else t("aui.total"),
                              *[t(f"aui.kpi.{k}") for k in keys]],
                  "units": ["text"] + [unit_of(k) for k in keys],
                  "rows": [[label] + [st.get(k) for k in keys] for _, label, st in rows]
                  + [[t("aui.total")] + [total.get(k) for k in keys]],
                  "file": f"informe-{t(f'aui.file.cut.{cut}')}-{period.start:%Y%m%d}-"
                          f"{period.end:%Y%m%d}", "sheet": when},
        "drill_rows": [_drill(cut, k, label) for k, label, _ in rows]
        + [{"filters": {}, "label": t("aui.total")}],
        "drill_chart": [_drill(cut, row.key, row.label) if r.rows else _drill("none", None, "")
                        for row in chart_rows],
        "kpis": same_unit,
    }


def _evolution(r: rep.Report, cut: str, primary: str) -> dict[str, Any]:
    """The monthly or cumulative view: one series per value kept (and "Otros") or the total;
    with a cut, the table also has each month's total (the series add up to it)."""
    labels = [month_label(m) for m in r.months]
    names = [label_of(s.key, s.label) for s in r.series]
    values = [[p.figures().get(primary) for p in s.points] for s in r.series]
    totals = [p.figures().get(primary) for p in r.month_totals]
    with_total = cut != "none"
    head = [t("aui.col.month"), *names] + ([t("aui.total")] if with_total else [])
    display = [[lbl] + [fmt_value(primary, vs[i]) for vs in values]
               + ([fmt_value(primary, totals[i])] if with_total else [])
               for i, lbl in enumerate(labels)]
    raw = [[m] + [vs[i] for vs in values] + ([totals[i]] if with_total else [])
           for i, m in enumerate(r.months)]
    return {"labels": labels, "names": names, "values": values, "head": head,
            "display": display, "raw": raw, "with_total": with_total}


def _change_text(a: Any, b: Any) -> str:
    ch = kpis.change(a, b)
    return "—" if ch is None else ("+" if ch > 0 else "") + percent(ch)


def build_report(scope: Scope, params: dict[str, Any], today: date) -> dict[str, Any]:
    """The report for ``params`` (validated by the state and ``svc.report_dates``)."""
    keys: list[str] = params["kpis"]
    cut, view, primary = params["cut"], params["view"], params["kpis"][0]
    with svc.reading() as con:
        r = rep.build(con, scope, kind=params["period"], ref=params["ref"],
                      start=params["start"], end=params["end"], cut=cut, view=view,
                      keys=keys, today=today)
    when, period = r.period.label, r.period
    kpi_names = [t(f"aui.kpi.{k}") for k in keys]
    cut_name = t(f"aui.report.cut.{cut}")
    matrix = _matrix(r, cut, keys, cut_name)
    view_name = t(f"aui.view.{view}")
    unit = unit_of(primary)
    money_axis = unit == "money"
    evo_drill: dict[str, Any] = {"view": view, "kpi": primary}
    if view in ("monthly", "cumulative"):
        evo = _evolution(r, cut, primary)
        series = [(name, [plain_value(primary, v) for v in vs])
                  for name, vs in zip(evo["names"], evo["values"], strict=True)]
        evo_fig = (charts.bar_chart(evo["labels"], series, money=money_axis)
                   if view == "monthly" and len(series) == 1 else
                   charts.line_chart(evo["labels"], series, money=money_axis))
        evo_head, evo_display = evo["head"], evo["display"]
        evo_table = {"headers": evo_head, "units": ["text"] + [unit] * (len(evo_head) - 1),
                     "rows": evo["raw"],
                     "file": f"evolucion-{t(f'aui.file.view.{view}')}-"
                             f"{t(f'aui.file.cut.{cut}')}-{period.start:%Y%m%d}",
                     "sheet": view_name}
        evo_title = t("aui.report.evolution", kpi=kpi_names[0], view=view_name, when=when)
        evo_drill.update(months=r.months, values=[s.key for s in r.series],
                         labels=[label_of(s.key, s.label) for s in r.series],
                         fy=[periods.fiscal_year_of(p.start, r.fiscal_start).start.isoformat()
                             for p in r.month_periods],
                         start=period.start.isoformat(), end=period.end.isoformat())
        has_evo = bool(r.months)
    else:
        assert r.last_year is not None and r.last_total is not None
        ly_label = t("aui.chart.last_year", label=r.last_year.label)
        pairs = [(p.key, label_of(p.key, p.label), p.current.figures().get(primary),
                  p.last_year.figures().get(primary)) for p in r.pairs]
        if cut != "none":
            pairs.append((None, t("aui.total"), r.total.figures().get(primary),
                          r.last_total.figures().get(primary)))
        chart_pairs = _pairs_with_others(r, cut, primary)
        evo_fig = charts.bar_chart(
            [p[1] for p in chart_pairs],
            [(when, [plain_value(primary, p[2]) for p in chart_pairs]),
             (ly_label, [plain_value(primary, p[3]) for p in chart_pairs])],
            money=money_axis, horizontal=True, colors=(charts.SERIES[0], charts.SERIES[5]))
        evo_head = [cut_name if cut != "none" else "", when, ly_label, t("aui.col.diff")]
        evo_display = [[label, fmt_value(primary, cur), fmt_value(primary, prev),
                        _change_text(cur, prev)] for _, label, cur, prev in pairs]
        evo_table = {"headers": [evo_head[0] or t("aui.total"), when, ly_label,
                                 t("aui.col.diff")],
                     "units": ["text", unit, unit, "ratio"],
                     "rows": [[label, cur, prev, kpis.change(cur, prev)]
                              for _, label, cur, prev in pairs],
                     "file": f"interanual-{t(f'aui.file.cut.{cut}')}-{period.start:%Y%m%d}",
                     "sheet": view_name}
        evo_title = t("aui.report.yoy", kpi=kpi_names[0], when=when)
        evo_drill.update(values=[p[0] for p in chart_pairs],
                         labels=[p[1] for p in chart_pairs],
                         periods=[(period.start.isoformat(), period.end.isoformat()),
                                  (r.last_year.start.isoformat(),
                                   r.last_year.end.isoformat())])
        has_evo = bool(pairs)

    title_kpis = ", ".join(kpi_names)
    return {
        "snapshot_text": svc.snapshot_label(r.built_at),
        "snapshot_warning": svc.snapshot_warning(r.built_at),
        "period_label": when,
        "matrix_title": (t("aui.report.matrix", kpis=title_kpis, cut=cut_name.lower(),
                           when=when) if cut != "none" else
                         t("aui.report.matrix_total", kpis=title_kpis, when=when)),
        "matrix_head": matrix["head"],
        "matrix_rows": matrix["rows"],
        "matrix_fig": matrix["figure"],
        "evo_title": evo_title,
        "evo_head": evo_head,
        "evo_rows": evo_display,
        "evo_fig": evo_fig,
        "has_evo": has_evo,
        "top_note": matrix["note"],
        "tables": {"matrix": matrix["table"], "evolution": evo_table},
        "drill": {"period": (period.start.isoformat(), period.end.isoformat(), when),
                  "kpis": matrix["kpis"], "rows": matrix["drill_rows"],
                  "chart": matrix["drill_chart"], "evolution": evo_drill, "cut": cut},
    }


def _pairs_with_others(r: rep.Report, cut: str, primary: str
                       ) -> list[tuple[Any, str, Any, Any]]:
    """The year-over-year chart's bars: the first values and "Otros" (both years summed)."""
    pairs = r.pairs
    if cut != "none" and len(pairs) > rep.CHART_ROWS:
        rest = pairs[rep.CHART_ROWS - 1:]
        pairs = [*pairs[: rep.CHART_ROWS - 1],
                 rep.Pair(rep.OTHERS, "", rep.total(p.current for p in rest),
                          rep.total(p.last_year for p in rest))]
    return [(p.key, label_of(p.key, p.label), p.current.figures().get(primary),
             p.last_year.figures().get(primary)) for p in pairs]
