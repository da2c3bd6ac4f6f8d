"""/ (Inicio): the user's role dashboard, in the scope their role gets on the server.

A comercial sees their own figures, a manager their team (and each comercial side by side), a
director or admin the company (and each team). KPI cards carry the change against the previous
period; charts show the open pipeline by stage, won by month next to last year, the fiscal-year
cumulative and the funnel; a click on a bar lists the opportunities behind it. "Tu día" keeps
the day's counts (leads, tasks, quotes) from the transactional database.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx
from sqlmodel import Session

from analytics import kpis, periods
from analytics.scope import Scope
from components.charts import (
    ACCENT,
    ACCENT_SOFT,
    GRAY,
    bar_chart,
    chart_card,
    empty_figure,
    funnel_chart,
    line_chart,
    month_bars_with_last_year,
)
from components.layout import shell
from crm_app.db import get_engine
from crm_app.formatting import money, number, percent
from crm_app.i18n import t
from crm_app.permissions import PermissionDenied
from crm_app.services import analytics as svc
from crm_app.services.overview import overview
from crm_app.state import AppState
from pages.analytics_common import (
    PERIOD_KINDS,
    AnalyticsMixin,
    as_index,
    change_view,
    drill_dialog,
    export_buttons,
    fmt_value,
    month_label,
    period_for,
    point_index,
    snapshot_bar,
    today_local,
)

CARD_KEYS = ("pipeline_amount", "weighted_amount", "won_amount", "win_rate", "avg_deal_size",
             "avg_sales_cycle_days", "conversion_rate", "activities")
COMPARE_COLUMNS = [("name", ""), ("won", "aui.col.won"), ("won_count", "aui.col.won_count"),
                   ("win_rate", "aui.col.win_rate"), ("pipeline", "aui.col.pipeline"),
                   ("weighted", "aui.col.weighted"), ("activities", "aui.col.activities")]


def _card_id(key: str) -> str:
    return "kpi-" + key.replace("_", "-")


def build_dashboard(scope: Scope, period_kind: str) -> dict[str, Any]:
    """Everything Inicio shows for ``scope``: display strings, small tables, figures.

    Runs in a worker thread: one ``kpis.dashboard`` call (a handful of grouped queries), the
    open pipeline at the end of the previous period for its card's change, and the won by
    month of the whole fiscal year when the period is shorter.
    """
    con = svc.open_reader()
    try:
        fy = kpis.fiscal_start_month(con)
        today = today_local()
        period = period_for(period_kind, today, fy)
        previous = periods.previous(period)
        data = kpis.dashboard(con, scope, period, previous=previous)
        prev_pipeline = kpis.pipeline_totals(kpis.pipeline_by_stage(con, scope, previous))
        fy_period = periods.fiscal_year_of(today, fy)
        by_month = data["by_month"] if period == fy_period else kpis.won_by_month(
            con, scope, fy_period, fiscal_start=fy)
    finally:
        con.close()
    when, when_prev, fy_label = period.label, previous.label, fy_period.label
    k, changes = data["kpis"], dict(data["changes"])
    for key in ("pipeline_amount", "weighted_amount"):
        changes[key] = kpis.change(k[key], prev_pipeline[key])

    cards = []
    for key in CARD_KEYS:
        text, tone = change_view(key, changes.get(key))
        cards.append({"id": _card_id(key), "label": t(f"aui.kpi.{key}"),
                      "value": fmt_value(key, k.get(key)), "change": text, "tone": tone,
                      "vs": t("aui.vs", label=when_prev)})

    stages = data["by_stage"]
    pipeline_fig = bar_chart([s["stage_name"] for s in stages],
                             [(t("aui.chart.amount"), [float(s["amount"]) for s in stages]),
                              (t("aui.chart.weighted"),
                               [float(s["weighted_amount"]) for s in stages])],
                             colors=(ACCENT, ACCENT_SOFT))

    current_month = today.strftime("%Y-%m")
    labels = [month_label(m["month"]) for m in by_month]
    months_fig = month_bars_with_last_year(
        labels,
        [float(m["won_amount"]) if m["month"] <= current_month else None for m in by_month],
        [float(m["won_amount_prev_year"]) for m in by_month],
        names=(t("aui.chart.won"), t("aui.chart.prev_year")))
    cum_fig = line_chart(
        labels,
        [(t("aui.chart.this_fy"), [float(m["cumulative_won_amount"])
                                   if m["month"] <= current_month else None for m in by_month]),
         (t("aui.chart.prev_fy"), [float(m["cumulative_won_amount_prev_year"])
                                   for m in by_month])],
        colors=(ACCENT, GRAY), dashes=("solid", "dot"))

    funnel = data["funnel"]
    funnel_fig = funnel_chart(
        [f["stage_name"] for f in funnel], [f["reached"] for f in funnel],
        [f"{number(f['reached'])} · {percent(f['conversion_from_first'], 0)}" for f in funnel])

    compare_kind, compare_rows, compare_keys = "", [], []
    compare_fig = empty_figure()
    table: dict[str, Any] = {}
    source = data.get("by_owner") if scope.kind == "team" else data.get("by_team")
    if source is not None:
        compare_kind = "owner" if scope.kind == "team" else "team"
        name_key = "owner_name" if compare_kind == "owner" else "team_name"
        id_key = "owner_id" if compare_kind == "owner" else "team_id"
        for r in source:
            compare_rows.append({
                "name": r[name_key], "won": money(r["won_amount"]),
                "won_count": number(r["won_count"]), "win_rate": percent(r["win_rate"]),
                "pipeline": money(r["pipeline_amount"]), "weighted": money(r["weighted_amount"]),
                "activities": number(r["activities"])})
            compare_keys.append(r[id_key])
        names = [r[name_key] for r in source]
        compare_fig = bar_chart(
            names, [(t("aui.chart.won"), [float(r["won_amount"]) for r in source]),
                    (t("aui.col.pipeline"), [float(r["pipeline_amount"]) for r in source])],
            horizontal=True, colors=(ACCENT, ACCENT_SOFT))
        first = t("aui.col.owner") if compare_kind == "owner" else t("aui.col.team")
        table = {"headers": [first] + [t(key) for _, key in COMPARE_COLUMNS[1:]],
                 "units": ["text", "money", "count", "ratio", "money", "money", "count"],
                 "rows": [[r[name_key], r["won_amount"], r["won_count"], r["win_rate"],
                           r["pipeline_amount"], r["weighted_amount"], r["activities"]]
                          for r in source],
                 "file": f"comparativa-{period.start:%Y-%m}", "sheet": when}

    return {
        "snapshot_text": svc.snapshot_label(data["snapshot_at"]),
        "snapshot_warning": svc.snapshot_warning(data["snapshot_at"]),
        "period_label": when,
        "cards": cards,
        "titles": {"pipeline": t("aui.chart.pipeline", when=when),
                   "months": t("aui.chart.won_by_month", when=fy_label),
                   "cumulative": t("aui.chart.cumulative", when=fy_label),
                   "funnel": t("aui.chart.funnel", when=when),
                   "compare": t("aui.chart.owners" if compare_kind == "owner" else
                                "aui.chart.teams", when=when)},
        "figures": {"pipeline": pipeline_fig, "months": months_fig, "cumulative": cum_fig,
                    "funnel": funnel_fig, "compare": compare_fig},
        "has": {"pipeline": any(s["count"] for s in stages),
                "months": any(m["won_amount"] or m["won_amount_prev_year"] for m in by_month),
                "funnel": bool(funnel and funnel[0]["reached"]),
                "compare": bool(compare_rows)},
        "compare_kind": compare_kind,
        "compare_rows": compare_rows,
        "table": table,
        "keys": {"period": (period.start.isoformat(), period.end.isoformat(), when),
                 "fy": (fy_period.start.isoformat(), fy_period.end.isoformat()),
                 "stages": [(s["stage_id"], s["stage_name"]) for s in stages],
                 "months": [m["month"] for m in by_month],
                 "funnel": [(f["stage_id"], f["stage_name"]) for f in funnel],
                 "compare": list(zip(compare_keys, [r["name"] for r in compare_rows],
                                     strict=True)),
                 "compare_kind": compare_kind},
    }


class HomeState(AnalyticsMixin, AppState):
    cards: list[dict[str, str]] = []
    today_cards: list[dict[str, str]] = []
    period: str = "month"
    period_label: str = ""
    titles: dict[str, str] = {}
    has: dict[str, bool] = {}
    pipeline_fig: dict[str, Any] = {}
    months_fig: dict[str, Any] = {}
    cumulative_fig: dict[str, Any] = {}
    funnel_fig: dict[str, Any] = {}
    compare_fig: dict[str, Any] = {}
    compare_kind: str = ""
    compare_rows: list[dict[str, str]] = []

    _keys: dict[str, Any] = {}

    def _reload_event(self) -> Any:
        return HomeState.load_dashboard

    @rx.event
    def load(self):  # noqa: ANN201
        """on_load: the day's counts now (cheap SQL), the dashboard in the background."""
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect("/login")
            o = overview(session=session, actor=user)
        self.today_cards = [
            {"label": t("home.open_leads"), "value": number(o["open_leads"]), "href": "/leads",
             "icon": "user-plus", "id": "kpi-open-leads"},
            {"label": t("home.tasks_due"), "value": number(o["tasks_due"]), "href": "/tareas",
             "icon": "list-checks", "id": "kpi-tasks-due"},
            {"label": t("home.tasks_overdue"), "value": number(o["tasks_overdue"]),
             "href": "/tareas", "icon": "alarm-clock", "id": "kpi-tasks-overdue"},
            {"label": t("home.open_quotes"), "value": number(o["open_quotes"]),
             "href": "/presupuestos", "icon": "file-text", "id": "kpi-open-quotes"},
        ]
        return HomeState.load_dashboard

    @rx.event(background=True)
    async def load_dashboard(self) -> Any:
        """Compute the role dashboard off the event loop and show it."""
        async with self:
            try:
                _, scope, scope_label = self._viewer()
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            self._request += 1
            request = self._request
            kind = self.period if self.period in PERIOD_KINDS else "month"
            self.loading = True
            self.scope_text = scope_label
        try:
            view = await rx.run_in_thread(lambda: build_dashboard(scope, kind))
        except Exception:  # noqa: BLE001 - the user gets a toast; Reflex logs the trace
            async with self:
                self.loading = False
            return rx.toast.error(t("aui.error"))
        async with self:
            if request != self._request:
                return None
            self.snapshot_text = view["snapshot_text"]
            self.snapshot_warning = view["snapshot_warning"]
            self.period_label = view["period_label"]
            self.cards = view["cards"]
            self.titles = view["titles"]
            self.has = view["has"]
            self.pipeline_fig = view["figures"]["pipeline"]
            self.months_fig = view["figures"]["months"]
            self.cumulative_fig = view["figures"]["cumulative"]
            self.funnel_fig = view["figures"]["funnel"]
            self.compare_fig = view["figures"]["compare"]
            self.compare_kind = view["compare_kind"]
            self.compare_rows = view["compare_rows"]
            self._keys = view["keys"]
            self._tables = {"compare": view["table"]} if view["table"] else {}
            self.loading = False
        return None

    @rx.event
    def set_period(self, value: str | list[str]) -> Any:
        value = value[0] if isinstance(value, list) and value else value
        if value not in PERIOD_KINDS or value == self.period:
            return None
        self.period = str(value)
        return HomeState.load_dashboard

    # --- drill-down: which bar was clicked → the filters kept on the server ---------------

    def _spec_for(self, chart: str, curve: int, point: int) -> tuple[dict[str, Any], str] | None:
        keys = self._keys
        if not keys:
            return None
        start, end, when = keys["period"]
        if chart == "pipeline" and point < len(keys["stages"]):
            stage_id, name = keys["stages"][point]
            return ({"status": "open", "start": start, "end": end,
                     "filters": {"stage_id": stage_id}},
                    f"{t('aui.drill.status.open')} · {name}")
        if chart in ("months", "cumulative") and point < len(keys["months"]):
            month = keys["months"][point]
            if chart == "cumulative":
                fy_start = date.fromisoformat(keys["fy"][0])
                m = periods.parse_month(month)
                if curve == 1:
                    fy_start = periods.add_months(fy_start, -12)
                    m = periods.month_of(periods.add_months(m.start, -12))
                return ({"status": "won", "start": fy_start.isoformat(),
                         "end": m.end.isoformat()},
                        f"{t('aui.drill.status.won')} · "
                        f"{t('aui.drill.cumulative', label=m.label)}")
            m = periods.parse_month(month)
            if curve == 1:
                m = periods.month_of(periods.add_months(m.start, -12))
            return ({"status": "won", "start": m.start.isoformat(), "end": m.end.isoformat()},
                    f"{t('aui.drill.status.won')} · {m.label}")
        if chart == "funnel" and point < len(keys["funnel"]):
            _, name = keys["funnel"][point]
            return ({"status": "created", "start": start, "end": end},
                    f"{t('aui.drill.status.created')} · {when}")
        if chart == "compare" and point < len(keys["compare"]):
            key, name = keys["compare"][point]
            if key is None:
                return None
            field = "owner_id" if keys["compare_kind"] == "owner" else "team_id"
            status = "open" if curve == 1 else "won"
            return ({"status": status, "start": start, "end": end, "filters": {field: key}},
                    f"{t('aui.drill.status.' + status)} · {name} · {when}")
        return None

    @rx.event(background=True)
    async def drill_chart(self, chart: str, points: list) -> Any:
        """A click on a chart: list the opportunities behind the clicked bar or point."""
        hit = point_index(points)
        if hit is None:
            return None
        async with self:
            found = self._spec_for(str(chart), *hit)
            if found is None:
                return None
            self._open_drill(*found)
        return await self._fetch_drill()

    @rx.event(background=True)
    async def drill_row(self, index: int) -> Any:
        """The "Ver oportunidades" link of a row of the comparison table."""
        row = as_index(index)
        if row is None:
            return None
        async with self:
            found = self._spec_for("compare", 0, row)
            if found is None:
                return None
            self._open_drill(*found)
        return await self._fetch_drill()



# ---------------------------------------------------------------- view


def _kpi_card(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="2", color_scheme="gray"),
            rx.heading(item["value"], size="6", weight="bold", data_testid="kpi-value",
                       white_space="nowrap"),
            rx.hstack(
                rx.text(item["change"], size="1", weight="medium",
                        color=rx.match(item["tone"], ("good", rx.color("grass", 11)),
                                       ("bad", rx.color("red", 11)), rx.color("gray", 10))),
                rx.text(item["vs"], size="1", color_scheme="gray"),
                spacing="1",
                wrap="wrap",
            ),
            spacing="1",
            min_width="0",
        ),
        width="100%",
        min_width="0",
        data_testid=item["id"],
    )


def _today_card(item: rx.Var) -> rx.Component:
    return rx.link(
        rx.card(
            rx.hstack(
                rx.icon(item["icon"], size=18, color=rx.color("accent", 9)),
                rx.vstack(
                    rx.text(item["label"], size="1", color_scheme="gray"),
                    rx.text(item["value"], size="4", weight="bold"),
                    spacing="0",
                ),
                align="center",
                spacing="3",
            ),
            width="100%",
            size="1",
            data_testid=item["id"],
        ),
        href=item["href"],
        underline="none",
    )


def _period_selector() -> rx.Component:
    return rx.segmented_control.root(
        *[rx.segmented_control.item(t(f"aui.period.{k}"), value=k, id=f"period-{k}")
          for k in PERIOD_KINDS],
        value=HomeState.period,
        on_change=HomeState.set_period,
        size="1",
        id="period-selector",
    )


def _compare_section() -> rx.Component:
    def row(item: rx.Var, index: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.row_header_cell(
                rx.link(item["name"], on_click=HomeState.drill_row(index), href="#",
                        weight="medium", data_testid="compare-drill")),
            *[rx.table.cell(item[key], text_align="right", white_space="nowrap")
              for key, _ in COMPARE_COLUMNS[1:]],
        )

    header = rx.table.row(
        rx.table.column_header_cell(rx.cond(HomeState.compare_kind == "owner",
                                            t("aui.col.owner"), t("aui.col.team"))),
        *[rx.table.column_header_cell(t(key), text_align="right")
          for _, key in COMPARE_COLUMNS[1:]],
    )
    table = rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(HomeState.titles["compare"], size="3", weight="medium", as_="h3"),
                rx.spacer(),
                export_buttons(HomeState.export_table("compare", "csv"),
                               HomeState.export_table("compare", "xlsx"), "compare-export"),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.box(
                rx.table.root(rx.table.header(header),
                              rx.table.body(rx.foreach(HomeState.compare_rows, row)),
                              variant="ghost", size="1", width="100%"),
                overflow_x="auto", width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
        data_testid="compare-table",
    )
    chart = chart_card(HomeState.titles["compare"], HomeState.compare_fig,
                       test_id="chart-compare",
                       on_click=lambda points: HomeState.drill_chart("compare", points),
                       has_data=HomeState.has["compare"], empty_text=t("aui.chart.empty"),
                       hint=t("aui.chart.hint"))
    return rx.cond(HomeState.compare_kind != "", rx.vstack(chart, table, spacing="4",
                                                          width="100%"))


def home_page() -> rx.Component:
    charts = rx.grid(
        chart_card(HomeState.titles["pipeline"], HomeState.pipeline_fig,
                   test_id="chart-pipeline",
                   on_click=lambda points: HomeState.drill_chart("pipeline", points),
                   has_data=HomeState.has["pipeline"], empty_text=t("aui.chart.empty"),
                   hint=t("aui.chart.hint")),
        chart_card(HomeState.titles["months"], HomeState.months_fig, test_id="chart-months",
                   on_click=lambda points: HomeState.drill_chart("months", points),
                   has_data=HomeState.has["months"], empty_text=t("aui.chart.empty"),
                   hint=t("aui.chart.hint")),
        chart_card(HomeState.titles["cumulative"], HomeState.cumulative_fig,
                   test_id="chart-cumulative",
                   on_click=lambda points: HomeState.drill_chart("cumulative", points),
                   has_data=HomeState.has["months"], empty_text=t("aui.chart.empty")),
        chart_card(HomeState.titles["funnel"], HomeState.funnel_fig, test_id="chart-funnel",
                   on_click=lambda points: HomeState.drill_chart("funnel", points),
                   has_data=HomeState.has["funnel"], empty_text=t("aui.chart.empty")),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )
    return shell(
        rx.flex(
            rx.vstack(
                rx.text(t("home.greeting"), " ", AppState.user_name, size="4", weight="medium",
                        id="greeting"),
                rx.hstack(
                    rx.badge(HomeState.scope_text, variant="soft", id="scope-label"),
                    rx.text(HomeState.period_label, size="2", color_scheme="gray",
                            id="period-label"),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                spacing="1",
            ),
            rx.spacer(),
            rx.vstack(
                _period_selector(),
                snapshot_bar(HomeState, can_refresh=AppState.user_scope != "own"),
                align=rx.breakpoints(initial="start", md="end"),
                spacing="2",
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            HomeState.cards.length() > 0,
            rx.grid(rx.foreach(HomeState.cards, _kpi_card),
                    columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
            rx.center(rx.spinner(size="3"), width="100%", padding="var(--space-6)"),
        ),
        rx.cond(HomeState.cards.length() > 0, charts),
        rx.cond(HomeState.cards.length() > 0, _compare_section()),
        rx.heading(t("aui.today"), size="3", weight="medium", as_="h2"),
        rx.grid(rx.foreach(HomeState.today_cards, _today_card),
                columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
        drill_dialog(HomeState),
        title=t("nav.home"),
        active="/",
    )
