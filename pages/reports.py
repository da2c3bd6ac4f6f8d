"""/informes: the report matrix — KPIs × a cut (channel, product, owner, team, stage, province)
× a period, with monthly, cumulative and year-over-year views, charts that work on a phone,
a click on any bar listing the opportunities behind it, and CSV/XLSX export of every table.

Every figure comes from the public KPI functions of ``analytics.kpis`` for the scope the
user's role gets on the server (``services.analytics.scope_for``); a cut is a ``Filters``
value, which only narrows that scope. Owner, team and channel cuts use the grouped comparison
functions (three queries per period); product, stage and province cuts filter one value at a
time. Everything runs in a worker thread from a background event.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import reflex as rx

from analytics import kpis, periods
from analytics.periods import Period
from analytics.scope import Filters, Scope, where
from components.charts import SERIES, bar_chart, chart_card, line_chart
from components.empty_state import empty_state
from components.layout import shell
from crm_app.formatting import percent
from crm_app.i18n import t
from crm_app.permissions import PermissionDenied
from crm_app.services import analytics as svc
from crm_app.services.errors import ValidationFailed
from crm_app.state import AppState
from pages.analytics_common import (
    KPI_DRILL_STATUS,
    KPI_META,
    AnalyticsMixin,
    as_index,
    custom_period,
    drill_dialog,
    error_text,
    export_buttons,
    fmt_value,
    month_label,
    period_for,
    plain_value,
    point_index,
    snapshot_bar,
    today_local,
)
from pages.reports_delivery import ReportDeliveryState, pdf_card, schedules_card

REPORT_KPIS = ("won_amount", "won_count", "lost_count", "win_rate", "avg_deal_size",
               "avg_sales_cycle_days", "pipeline_amount", "weighted_amount", "open_count",
               "activities")
CUTS = ("none", "channel", "product", "owner", "team", "stage", "province")
CUTS_BY_SCOPE = {"own": ("none", "channel", "product", "stage", "province"),
                 "team": ("none", "channel", "product", "owner", "stage", "province"),
                 "company": CUTS}
CUT_FILTER = {"channel": "channel", "product": "product_id", "owner": "owner_id",
              "team": "team_id", "stage": "stage_id", "province": "province"}
PERIOD_KINDS = ("month", "quarter", "fiscal_year", "custom")
VIEWS = ("monthly", "cumulative", "yoy")
TOP = 6          # series in the evolution charts
CHART_ROWS = 12  # bars in the matrix chart


# ---------------------------------------------------------------- the figures


# KPIs that add up: a value with no deals in a month shows 0, not "—".
ADDITIVE = frozenset({"won_amount", "won_count", "lost_count", "closed_count",
                      "pipeline_amount", "weighted_amount", "open_count", "activities"})
CLOSED_KEYS = frozenset({"won_amount", "won_count", "lost_count", "closed_count", "win_rate",
                         "avg_deal_size", "avg_sales_cycle_days"})
OPEN_KEYS = frozenset({"pipeline_amount", "weighted_amount", "open_count"})


def _stats(con: duckdb.DuckDBPyConnection, scope: Scope, period: Period,
           filters: Filters | None = None, need: frozenset[str] | None = None
           ) -> dict[str, Any]:
    """The report KPIs for one scope, period and filter (the comparison tables' figures);
    ``need`` skips the queries of KPIs nobody asked for."""
    st: dict[str, Any] = {}
    if need is None or need & CLOSED_KEYS:
        st.update(kpis.closed_summary(con, scope, period, filters))
        st.pop("lost_by_stage", None)
    if need is None or need & OPEN_KEYS:
        st.update(kpis.pipeline_totals(kpis.pipeline_by_stage(con, scope, period, filters)))
    if need is None or "activities" in need:
        st["activities"] = sum(r["total"] for r in kpis.activities_by_owner(
            con, scope, period, filters))
    return st


def _values(con: duckdb.DuckDBPyConnection, scope: Scope, cut: str) -> list[tuple[Any, str]]:
    """The (value, label) pairs a product, stage or province cut iterates over."""
    if cut == "product":
        return [(r[0], r[1]) for r in con.execute(
            "SELECT product_id, product_name FROM products ORDER BY product_name").fetchall()]
    if cut == "stage":
        return [(r[0], r[1]) for r in con.execute(
            "SELECT stage_id, stage_name FROM stages ORDER BY pipeline_id, position").fetchall()]
    conds, params = where("opportunities", scope)
    clause = (" WHERE " + " AND ".join(conds)) if conds else ""
    return [(r[0], r[0]) for r in con.execute(
        f"SELECT DISTINCT province FROM opportunities{clause} ORDER BY 1", params).fetchall()
        if r[0]]


def _has_data(st: dict[str, Any]) -> bool:
    return bool(st.get("closed_count") or st.get("open_count") or st.get("activities"))


def breakdown(con: duckdb.DuckDBPyConnection, scope: Scope, period: Period, cut: str,
              only: list[Any] | None = None, need: frozenset[str] | None = None
              ) -> list[tuple[Any, str, dict[str, Any]]]:
    """(value, label, KPIs) per value of ``cut`` in ``period``; ``only`` limits the values."""
    if cut == "owner":
        rows = [(r["owner_id"], r["owner_name"] or t("aui.no_value"), r)
                for r in kpis.comparison_by_owner(con, scope, period)]
    elif cut == "team":
        rows = [(r["team_id"], r["team_name"] or t("aui.no_value"), r)
                for r in kpis.comparison_by_team(con, scope, period)]
    elif cut == "channel":
        rows = [(r["channel"], r["channel_label"], r)
                for r in kpis.by_channel(con, scope, period)]
    else:
        field = CUT_FILTER[cut]
        rows = []
        for value, label in _values(con, scope, cut):
            if only is not None and value not in only:
                continue
            st = _stats(con, scope, period, Filters(**{field: value}), need)
            if _has_data(st) or only is not None:
                rows.append((value, label, st))
    if only is not None:
        rows = [r for r in rows if r[0] in only]
    return rows


def _sort_key(key: str, st: dict[str, Any]) -> float:
    value = st.get(key)
    return -float(value) if value is not None else float("inf")


def _evolution_periods(period: Period, view: str, fy: int, today: date
                       ) -> list[tuple[str, Period]]:
    """(month key, sub-period) per month of ``period`` up to today: the month itself
    (monthly) or from the start of its fiscal year to the month's end (cumulative)."""
    out = []
    for first in period.months():
        if first > today:
            break
        a = max(first, period.start)
        b = min(periods.add_months(first, 1) - timedelta(days=1), period.end)
        if view == "cumulative":
            a = periods.fiscal_year_of(first, fy).start
        out.append((first.strftime("%Y-%m"), periods.custom(a, b)))
    return out


def build_report(scope: Scope, params: dict[str, Any]) -> dict[str, Any]:
    """The report for ``params`` (already validated): tables, figures and drill keys."""
    keys: list[str] = params["kpis"]
    cut, view = params["cut"], params["view"]
    primary = keys[0]
    need, need_primary = frozenset(keys), frozenset({primary})
    con = svc.open_reader()
    try:
        fy = kpis.fiscal_start_month(con)
        today = today_local()
        if params["period"] == "custom":
            period = custom_period(params["start"], params["end"])
        else:
            period = period_for(params["period"], date.fromisoformat(params["ref"]), fy)
        when = period.label
        built = kpis.snapshot_built_at(con)
        total = _stats(con, scope, period, need=need)
        rows = breakdown(con, scope, period, cut, need=need) if cut != "none" else []
        rows.sort(key=lambda r: (_sort_key(primary, r[2]), str(r[1])))
        top = [r[0] for r in rows[:TOP]]

        # evolution: per month (monthly / cumulative) or this period against last year
        series: list[tuple[Any, str, list[tuple[str, dict[str, Any]]]]] = []
        last_year: Period | None = None
        ly_rows: dict[Any, dict[str, Any]] = {}
        if view in ("monthly", "cumulative"):
            parts = _evolution_periods(period, view, fy, today)
            if cut == "none":
                series = [(None, t("aui.total"),
                           [(m, _stats(con, scope, p, need=need_primary)) for m, p in parts])]
            else:
                by_value: dict[Any, list[tuple[str, dict[str, Any]]]] = {v: [] for v in top}
                for m, p in parts:
                    found = {v: st for v, _, st in breakdown(con, scope, p, cut, only=top,
                                                             need=need_primary)}
                    for v in top:
                        by_value[v].append((m, found.get(v) or {
                            k: 0 for k in need_primary if k in ADDITIVE}))
                labels = {r[0]: r[1] for r in rows}
                series = [(v, labels[v], by_value[v]) for v in top]
        else:
            last_year = periods.same_period_last_year(period)
            ly_total = _stats(con, scope, last_year, need=need_primary)
            if cut != "none":
                ly_rows = {v: st for v, _, st in breakdown(con, scope, last_year, cut,
                                                           only=[r[0] for r in rows],
                                                           need=need_primary)}
    finally:
        con.close()

    kpi_names = [t(f"aui.kpi.{k}") for k in keys]
    cut_name = t(f"aui.report.cut.{cut}")

    # --- the matrix table (rows = cut values + total, columns = KPIs) --------------------
    head = [cut_name if cut != "none" else "", *kpi_names]
    display_rows = [[label] + [fmt_value(k, st.get(k)) for k in keys] for _, label, st in rows]
    display_rows.append([t("aui.total")] + [fmt_value(k, total.get(k)) for k in keys])
    drill_rows: list[dict[str, Any]] = [
        {"filters": {CUT_FILTER[cut]: v}, "label": str(label)} if v not in (None, "") else {}
        for v, label, _ in rows]
    drill_rows.append({"filters": {}, "label": t("aui.total")})
    matrix_table = {
        "headers": [cut_name if cut != "none" else t("aui.total"), *kpi_names],
        "units": ["text"] + [KPI_META[k][0] for k in keys],
        "rows": [[label] + [st.get(k) for k in keys] for _, label, st in rows]
        + [[t("aui.total")] + [total.get(k) for k in keys]],
        "file": f"informe-{cut}-{period.start:%Y%m%d}-{period.end:%Y%m%d}", "sheet": when}

    # --- the matrix chart: the KPIs sharing the first one's unit, per value --------------
    unit = KPI_META[primary][0]
    same_unit = [k for k in keys if KPI_META[k][0] == unit][:3]
    chart_source = rows[:CHART_ROWS] if rows else [(None, t("aui.total"), total)]
    matrix_fig = bar_chart(
        [str(label) for _, label, _ in chart_source],
        [(t(f"aui.kpi.{k}"), [plain_value(k, st.get(k)) for _, _, st in chart_source])
         for k in same_unit],
        money=unit == "money", horizontal=True)
    matrix_drill = [{"filters": {CUT_FILTER[cut]: v}, "label": str(label)}
                    if cut != "none" and v not in (None, "") else
                    ({"filters": {}, "label": t("aui.total")} if cut == "none" else {})
                    for v, label, _ in chart_source]

    # --- the evolution view ------------------------------------------------------------
    view_name = t(f"aui.view.{view}")
    money_axis = KPI_META[primary][0] == "money"
    evo_drill: dict[str, Any] = {"view": view, "kpi": primary}
    if view in ("monthly", "cumulative"):
        months = [m for m, _ in series[0][2]] if series else []
        labels = [month_label(m) for m in months]
        values = [(name, [plain_value(primary, st.get(primary)) for _, st in pts])
                  for _, name, pts in series]
        evo_fig = (bar_chart(labels, values, money=money_axis) if view == "monthly"
                   and len(series) == 1 else line_chart(labels, values, money=money_axis))
        evo_head = [t("aui.col.month")] + [str(name) for _, name, _ in series]
        evo_display = [[lbl] + [fmt_value(primary, pts[i][1].get(primary))
                                for _, _, pts in series]
                       for i, lbl in enumerate(labels)]
        evo_table = {"headers": evo_head, "units": ["text"] + [KPI_META[primary][0]] *
                     len(series),
                     "rows": [[m] + [pts[i][1].get(primary) for _, _, pts in series]
                              for i, m in enumerate(months)],
                     "file": f"evolucion-{view}-{period.start:%Y%m%d}", "sheet": view_name}
        evo_title = t("aui.report.evolution", kpi=kpi_names[0], view=view_name, when=when)
        evo_drill.update(months=months, values=[v for v, _, _ in series],
                         labels=[str(n) for _, n, _ in series],
                         fy=[periods.fiscal_year_of(periods.parse_month(m).start, fy)
                             .start.isoformat() for m in months],
                         start=period.start.isoformat(), end=period.end.isoformat())
        has_evo = bool(months)
    else:
        assert last_year is not None
        ly_label = t("aui.chart.last_year", label=last_year.label)
        if cut == "none":
            pairs = [(None, t("aui.total"), total, ly_total)]
        else:
            pairs = [(v, label, st, ly_rows.get(v, {})) for v, label, st in rows]
        chart_pairs = pairs[:CHART_ROWS]
        evo_fig = bar_chart([str(p[1]) for p in chart_pairs],
                            [(when, [plain_value(primary, p[2].get(primary))
                                     for p in chart_pairs]),
                             (ly_label, [plain_value(primary, p[3].get(primary))
                                         for p in chart_pairs])],
                            money=money_axis, horizontal=True,
                            colors=(SERIES[0], SERIES[5]))
        evo_head = [cut_name if cut != "none" else "", when, ly_label, t("aui.col.diff")]

        def diff(a: Any, b: Any) -> str:
            ch = kpis.change(a, b)
            return "—" if ch is None else ("+" if ch > 0 else "") + percent(ch)

        evo_display = [[str(label), fmt_value(primary, cur.get(primary)),
                        fmt_value(primary, prev.get(primary)),
                        diff(cur.get(primary), prev.get(primary))]
                       for _, label, cur, prev in pairs]
        evo_table = {"headers": [evo_head[0] or t("aui.total"), when, ly_label,
                                 t("aui.col.diff")],
                     "units": ["text", KPI_META[primary][0], KPI_META[primary][0], "ratio"],
                     "rows": [[str(label), cur.get(primary), prev.get(primary),
                               kpis.change(cur.get(primary), prev.get(primary))]
                              for _, label, cur, prev in pairs],
                     "file": f"interanual-{period.start:%Y%m%d}", "sheet": view_name}
        evo_title = t("aui.report.yoy", kpi=kpi_names[0], when=when)
        evo_drill.update(values=[p[0] for p in chart_pairs],
                         labels=[str(p[1]) for p in chart_pairs],
                         periods=[(period.start.isoformat(), period.end.isoformat()),
                                  (last_year.start.isoformat(), last_year.end.isoformat())])
        has_evo = bool(pairs)

    title_kpis = ", ".join(kpi_names)
    return {
        "snapshot_text": svc.snapshot_label(built),
        "snapshot_warning": svc.snapshot_warning(built),
        "period_label": when,
        "matrix_title": (t("aui.report.matrix", kpis=title_kpis, cut=cut_name.lower(),
                           when=when) if cut != "none" else
                         t("aui.report.matrix_total", kpis=title_kpis, when=when)),
        "matrix_head": head,
        "matrix_rows": display_rows,
        "matrix_fig": matrix_fig,
        "evo_title": evo_title,
        "evo_head": evo_head,
        "evo_rows": evo_display,
        "evo_fig": evo_fig,
        "has_evo": has_evo,
        "top_note": (t("aui.report.top", n=CHART_ROWS) if len(rows) > CHART_ROWS else ""),
        "tables": {"matrix": matrix_table, "evolution": evo_table},
        "drill": {"period": (period.start.isoformat(), period.end.isoformat(), when),
                  "kpis": same_unit, "rows": drill_rows, "chart": matrix_drill,
                  "evolution": evo_drill, "cut": cut},
    }


# ---------------------------------------------------------------- the state


class ReportsState(AnalyticsMixin, AppState):
    kpis_selected: list[str] = ["won_amount", "pipeline_amount"]
    cut: str = "channel"
    period_kind: str = "fiscal_year"
    ref_date: str = ""
    date_from: str = ""
    date_to: str = ""
    view: str = "monthly"
    form_error: str = ""
    cut_options: list[str] = list(CUTS_BY_SCOPE["own"])
    period_label: str = ""
    matrix_title: str = ""
    matrix_head: list[str] = []
    matrix_rows: list[list[str]] = []
    matrix_fig: dict[str, Any] = {}
    evo_title: str = ""
    evo_head: list[str] = []
    evo_rows: list[list[str]] = []
    evo_fig: dict[str, Any] = {}
    has_evo: bool = False
    top_note: str = ""

    _drill_keys: dict[str, Any] = {}

    def _reload_event(self) -> Any:
        return ReportsState.run_report

    @rx.event
    def open_page(self) -> Any:
        """on_load: the report (background) and the PDF/deliveries section."""
        return [ReportsState.run_report, ReportDeliveryState.load]

    def _params(self) -> dict[str, Any]:
        """The report request, validated against the whitelists (the browser only asks)."""
        chosen = [k for k in REPORT_KPIS if k in self.kpis_selected]
        if not chosen:
            raise ValidationFailed({"kpis": t("aui.report.pick_kpi")})
        if self.period_kind == "custom":
            custom_period(self.date_from, self.date_to)  # raises with a Spanish message
        ref = self.ref_date or today_local().isoformat()
        try:
            date.fromisoformat(ref)
        except ValueError as exc:
            raise ValidationFailed({"period": t("aui.period.bad_date")}) from exc
        return {"kpis": chosen, "cut": self.cut if self.cut in self.cut_options else "none",
                "period": self.period_kind if self.period_kind in PERIOD_KINDS else
                "fiscal_year", "ref": ref, "start": self.date_from, "end": self.date_to,
                "view": self.view if self.view in VIEWS else "monthly"}

    @rx.event(background=True)
    async def run_report(self) -> Any:
        """on_load and after every change: compute the report off the event loop."""
        async with self:
            try:
                _, scope, scope_label = self._viewer()
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            self.scope_text = scope_label
            self.cut_options = list(CUTS_BY_SCOPE[scope.kind])
            if not self.ref_date:
                today = today_local()
                self.ref_date = today.isoformat()
                self.date_from = today.replace(day=1).isoformat()
                self.date_to = today.isoformat()
            try:
                params = self._params()
            except ValidationFailed as exc:
                self.form_error = error_text(exc)
                return None
            self.form_error = ""
            self._request += 1
            request = self._request
            self.loading = True
        try:
            view = await rx.run_in_thread(lambda: build_report(scope, params))
        except ValidationFailed as exc:
            async with self:
                self.loading = False
                self.form_error = error_text(exc)
            return None
        except Exception:  # noqa: BLE001 - a toast for the user; Reflex logs the trace
            async with self:
                self.loading = False
            return rx.toast.error(t("aui.error"))
        async with self:
            if request != self._request:
                return None
            for name in ("snapshot_text", "snapshot_warning", "period_label", "matrix_title",
                         "matrix_head", "matrix_rows", "matrix_fig", "evo_title", "evo_head",
                         "evo_rows", "evo_fig", "has_evo", "top_note"):
                setattr(self, name, view[name])
            self._tables = view["tables"]
            self._drill_keys = view["drill"]
            self.loading = False
        return None

    # --- controls: each stores the choice and reruns the report ---------------------------

    @rx.event
    def toggle_kpi(self, key: str, checked: bool) -> Any:
        if key not in REPORT_KPIS:
            return None
        chosen = [k for k in self.kpis_selected if k != key]
        if checked:
            chosen.append(key)
        self.kpis_selected = [k for k in REPORT_KPIS if k in chosen]
        return ReportsState.run_report

    @rx.event
    def set_cut(self, value: str) -> Any:
        if value in CUTS:
            self.cut = value
        return ReportsState.run_report

    @rx.event
    def set_period_kind(self, value: str) -> Any:
        if value in PERIOD_KINDS:
            self.period_kind = value
        return ReportsState.run_report

    @rx.event
    def set_view(self, value: str | list[str]) -> Any:
        value = value[0] if isinstance(value, list) and value else value
        if value in VIEWS:
            self.view = str(value)
        return ReportsState.run_report

    @rx.event
    def set_ref_date(self, value: str) -> Any:
        self.ref_date = str(value)[:10]
        return ReportsState.run_report

    @rx.event
    def set_date_from(self, value: str) -> Any:
        self.date_from = str(value)[:10]
        return ReportsState.run_report

    @rx.event
    def set_date_to(self, value: str) -> Any:
        self.date_to = str(value)[:10]
        return ReportsState.run_report

    # --- drill-down ---------------------------------------------------------------------

    def _matrix_spec(self, entry: dict[str, Any], kpi: str) -> tuple[dict[str, Any], str] | None:
        if not entry:
            return None
        start, end, when = self._drill_keys["period"]
        status = KPI_DRILL_STATUS.get(kpi, "closed")
        return ({"status": status, "start": start, "end": end,
                 "filters": dict(entry["filters"])},
                f"{t('aui.drill.status.' + status)} · {entry['label']} · {when}")

    def _evolution_spec(self, curve: int, point: int) -> tuple[dict[str, Any], str] | None:
        evo = self._drill_keys.get("evolution") or {}
        cut = self._drill_keys.get("cut", "none")
        status = KPI_DRILL_STATUS.get(evo.get("kpi", ""), "closed")
        if evo.get("view") == "yoy":
            if point >= len(evo["values"]) or curve not in (0, 1):
                return None
            value, label = evo["values"][point], evo["labels"][point]
            start, end = evo["periods"][curve]
            filters = {CUT_FILTER[cut]: value} if cut != "none" else {}
            if cut != "none" and value in (None, ""):
                return None
            when = periods.infer(date.fromisoformat(start), date.fromisoformat(end)).label
            return ({"status": status, "start": start, "end": end, "filters": filters},
                    f"{t('aui.drill.status.' + status)} · {label} · {when}")
        months = evo.get("months") or []
        if curve >= len(evo.get("values", [])) or point >= len(months):
            return None
        value, label = evo["values"][curve], evo["labels"][curve]
        if cut != "none" and value in (None, ""):
            return None
        m = periods.parse_month(months[point])
        start = max(m.start, date.fromisoformat(evo["start"]))
        end = min(m.end, date.fromisoformat(evo["end"]))
        what = m.label
        if evo["view"] == "cumulative":
            start = date.fromisoformat(evo["fy"][point])
            what = t("aui.drill.cumulative", label=m.label)
        filters = {CUT_FILTER[cut]: value} if cut != "none" else {}
        return ({"status": status, "start": start.isoformat(), "end": end.isoformat(),
                 "filters": filters},
                f"{t('aui.drill.status.' + status)} · {label} · {what}")

    @rx.event(background=True)
    async def drill_chart(self, chart: str, points: list) -> Any:
        """A click on a bar or point: the opportunities behind it."""
        hit = point_index(points)
        if hit is None:
            return None
        curve, point = hit
        async with self:
            if not self._drill_keys:
                return None
            if chart == "matrix":
                source = self._drill_keys["chart"]
                kpis_ = self._drill_keys["kpis"]
                found = (self._matrix_spec(source[point], kpis_[min(curve, len(kpis_) - 1)])
                         if point < len(source) else None)
            else:
                found = self._evolution_spec(curve, point)
            if found is None:
                return None
            self._open_drill(*found)
        return await self._fetch_drill()

    @rx.event(background=True)
    async def drill_row(self, index: int) -> Any:
        """The "Ver oportunidades" link of a row of the matrix table."""
        index = as_index(index)
        if index is None:
            return None
        async with self:
            rows = self._drill_keys.get("rows") or []
            if index >= len(rows):
                return None
            found = self._matrix_spec(rows[index], self._drill_keys["kpis"][0])
            if found is None:
                return None
            self._open_drill(*found)
        return await self._fetch_drill()


# ---------------------------------------------------------------- view


def _labelled(label: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="2", weight="medium"), control, spacing="1",
                     width="100%", min_width="0")


def _kpi_picker() -> rx.Component:
    def box(key: str) -> rx.Component:
        return rx.checkbox(
            t(f"aui.kpi.{key}"),
            checked=ReportsState.kpis_selected.contains(key),
            on_change=lambda checked: ReportsState.toggle_kpi(key, checked),
            id=f"kpi-pick-{key}",
            size="1",
        )

    return _labelled(t("aui.report.kpis"),
                     rx.grid(*[box(k) for k in REPORT_KPIS],
                             columns=rx.breakpoints(initial="2", md="3", lg="5"),
                             spacing="2", width="100%", data_testid="kpi-picker"))


def _controls() -> rx.Component:
    cut_select = rx.select.root(
        rx.select.trigger(width="100%", id="cut-select", aria_label=t("aui.report.cut")),
        rx.select.content(
            *[rx.cond(ReportsState.cut_options.contains(c),
                      rx.select.item(t(f"aui.report.cut.{c}"), value=c, id=f"cut-{c}"))
              for c in CUTS]),
        value=ReportsState.cut,
        on_change=ReportsState.set_cut,
    )
    period_select = rx.select.root(
        rx.select.trigger(width="100%", id="period-kind", aria_label=t("aui.period.kind")),
        rx.select.content(
            *[rx.select.item(t(f"aui.period.label.{k}") if k != "custom" else
                             t("aui.period.custom"), value=k, id=f"period-kind-{k}")
              for k in PERIOD_KINDS]),
        value=ReportsState.period_kind,
        on_change=ReportsState.set_period_kind,
    )
    dates = rx.cond(
        ReportsState.period_kind == "custom",
        rx.grid(
            _labelled(t("aui.period.from"),
                      rx.input(type="date", value=ReportsState.date_from,
                               on_change=ReportsState.set_date_from, id="date-from",
                               aria_label=t("aui.period.from"))),
            _labelled(t("aui.period.to"),
                      rx.input(type="date", value=ReportsState.date_to,
                               on_change=ReportsState.set_date_to, id="date-to",
                               aria_label=t("aui.period.to"))),
            columns="2", spacing="2", width="100%",
        ),
        _labelled(t("aui.period.ref"),
                  rx.input(type="date", value=ReportsState.ref_date,
                           on_change=ReportsState.set_ref_date, id="ref-date",
                           aria_label=t("aui.period.ref"))),
    )
    view_control = rx.segmented_control.root(
        *[rx.segmented_control.item(t(f"aui.view.{v}"), value=v, id=f"view-{v}")
          for v in VIEWS],
        value=ReportsState.view,
        on_change=ReportsState.set_view,
        size="1",
        id="view-selector",
        width="100%",
    )
    return rx.card(
        rx.vstack(
            _kpi_picker(),
            rx.grid(
                _labelled(t("aui.report.cut"), cut_select),
                _labelled(t("aui.period.kind"), period_select),
                dates,
                _labelled(t("aui.view"), view_control),
                columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                spacing="3",
                width="100%",
            ),
            rx.cond(ReportsState.form_error != "",
                    rx.callout(ReportsState.form_error, icon="triangle-alert", color_scheme="red",
                               size="1", id="report-error")),
            spacing="4",
            width="100%",
        ),
        width="100%",
        data_testid="report-controls",
    )


def _table(title: rx.Var, head: rx.Var, rows: rx.Var, name: str, *,
           drill: bool = False) -> rx.Component:
    def row(cells: rx.Var, index: rx.Var) -> rx.Component:
        first = (rx.link(cells[0], href="#", on_click=ReportsState.drill_row(index),
                         weight="medium", data_testid=f"{name}-drill")
                 if drill else rx.text(cells[0], weight="medium", white_space="nowrap"))
        return rx.table.row(
            rx.table.row_header_cell(first),
            rx.foreach(cells[1:], lambda c: rx.table.cell(c, text_align="right",
                                                         white_space="nowrap")),
        )

    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(title, size="3", weight="medium", as_="h3"),
                rx.spacer(),
                export_buttons(ReportsState.export_table(name, "csv"),
                               ReportsState.export_table(name, "xlsx"), f"{name}-export"),
                width="100%", align="center", wrap="wrap", spacing="2",
            ),
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(rx.foreach(
                        head, lambda h: rx.table.column_header_cell(h, white_space="nowrap")))),
                    rx.table.body(rx.foreach(rows, row)),
                    variant="ghost", size="1", width="100%",
                ),
                overflow_x="auto", width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
        data_testid=f"{name}-table",
    )


def reports_page() -> rx.Component:
    content = rx.vstack(
        chart_card(ReportsState.matrix_title, ReportsState.matrix_fig, test_id="chart-matrix",
                   on_click=lambda points: ReportsState.drill_chart("matrix", points),
                   has_data=ReportsState.matrix_rows.length() > 0,
                   empty_text=t("aui.chart.empty"), hint=t("aui.chart.hint"),
                   extra=rx.cond(ReportsState.top_note != "",
                                 rx.text(ReportsState.top_note, size="1",
                                         color_scheme="gray"))),
        _table(ReportsState.matrix_title, ReportsState.matrix_head, ReportsState.matrix_rows,
               "matrix", drill=True),
        chart_card(ReportsState.evo_title, ReportsState.evo_fig, test_id="chart-evolution",
                   on_click=lambda points: ReportsState.drill_chart("evolution", points),
                   has_data=ReportsState.has_evo, empty_text=t("aui.chart.empty"),
                   hint=t("aui.chart.hint")),
        _table(ReportsState.evo_title, ReportsState.evo_head, ReportsState.evo_rows,
               "evolution"),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.flex(
            rx.hstack(
                rx.badge(ReportsState.scope_text, variant="soft", id="scope-label"),
                rx.text(ReportsState.period_label, size="2", color_scheme="gray",
                        id="period-label"),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.spacer(),
            snapshot_bar(ReportsState, can_refresh=AppState.user_scope != "own"),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="2",
            width="100%",
        ),
        _controls(),
        rx.cond(ReportsState.matrix_head.length() > 0, content,
                rx.cond(ReportsState.loading,
                        rx.center(rx.spinner(size="3"), width="100%",
                                  padding="var(--space-6)"),
                        empty_state("chart-column", t("aui.report.pick_kpi"),
                                    test_id="reports-empty"))),
        pdf_card(),
        schedules_card(),
        drill_dialog(ReportsState),
        title=t("nav.reports"),
        active="/informes",
    )

