"""Inicio's state: "Tu día" (counts from the transactional database, each opening the list it
counts) and the role dashboard, computed off the event loop in the scope the user's role gets
(a comercial their own, a manager their team, a director or admin the company)."""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx

from analytics import periods
from crm_app.formatting import number
from crm_app.i18n import t
from crm_app.permissions import Perm, has_perm
from crm_app.services.overview import overview
from crm_app.state import AppState, Ctx, handler
from crm_app.state_mixins.analytics import AnalyticsMixin, today_local
from pages.home.build import PERIOD_KINDS, build_dashboard

# "Tu día": (count, label key, the list it opens filtered to what it counts, icon, test id).
# The filters are ``services.overview``'s: /tareas reads ``vence=hoy|vencidas|proximas|hechas``
# through ``overview.task_filters``; /leads and /presupuestos read ``estado=abiertos`` (the statuses
# ``OPEN_LEAD_STATUSES`` and ``OPEN_QUOTE_STATUSES``).
TODAY_CARDS = (
    ("open_leads", "home.open_leads", "/leads?estado=abiertos", "user-plus", "kpi-open-leads"),
    ("tasks_due", "home.tasks_due", "/tareas?vence=hoy", "list-checks", "kpi-tasks-due"),
    ("tasks_overdue", "home.tasks_overdue", "/tareas?vence=vencidas", "alarm-clock",
     "kpi-tasks-overdue"),
    ("tasks_upcoming", "act.home.upcoming", "/tareas?vence=proximas", "calendar-clock",
     "kpi-tasks-upcoming"),
    ("tasks_done", "act.home.done", "/tareas?vence=hechas", "circle-check",
     "kpi-tasks-done"),
    ("open_quotes", "home.open_quotes", "/presupuestos?estado=abiertos", "file-text",
     "kpi-open-quotes"),
)


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

    @handler(None)
    def load(self, ctx: Ctx) -> Any:
        """on_load: the day's counts now (cheap SQL), the dashboard in the background."""
        o = overview(session=ctx.session, actor=ctx.user)
        records = has_perm(ctx.user, Perm.RECORDS_VIEW)  # the asesor: the quotes card only
        self.today_cards = [{"label": t(label), "value": number(o[key]), "href": href,
                             "icon": icon, "id": test_id}
                            for key, label, href, icon, test_id in TODAY_CARDS
                            if records or key == "open_quotes"]
        return HomeState.load_dashboard if has_perm(ctx.user, Perm.REPORTS_VIEW) else None

    @handler(Perm.REPORTS_VIEW, background=True)
    async def load_dashboard(self, ctx: Ctx) -> None:
        """Compute the role dashboard off the event loop and show it."""
        async with self:
            scope = self._scope(ctx)
            kind = self.period if self.period in PERIOD_KINDS else "month"
        await self._compute(lambda: build_dashboard(scope, kind, today_local()), self._show)

    def _show(self, view: dict[str, Any]) -> None:
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

    @rx.event
    def set_period(self, value: str | list[str]) -> Any:
        value = value[0] if isinstance(value, list) and value else value
        if value not in PERIOD_KINDS or value == self.period:
            return None
        self.period = str(value)
        return HomeState.load_dashboard

    # --- drill-down: which bar was clicked → the filters kept on the server ---------------

    def _chart_spec(self, chart: str, curve: int, point: int
                    ) -> tuple[dict[str, Any], str] | None:
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
            m = periods.parse_month(keys["months"][point])
            if curve == 1:  # the previous year's bar or line
                m = periods.month_of(periods.add_months(m.start, -12))
            if chart == "cumulative":
                fy_start = date.fromisoformat(keys["fy"][0])
                if curve == 1:
                    fy_start = periods.add_months(fy_start, -12)
                return ({"status": "won", "start": fy_start.isoformat(),
                         "end": m.end.isoformat()},
                        f"{t('aui.drill.status.won')} · "
                        f"{t('aui.drill.cumulative', label=m.label)}")
            return ({"status": "won", "start": m.start.isoformat(), "end": m.end.isoformat()},
                    f"{t('aui.drill.status.won')} · {m.label}")
        if chart == "funnel" and point < len(keys["funnel"]):
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

    def _row_spec(self, index: int) -> tuple[dict[str, Any], str] | None:
        return self._chart_spec("compare", 0, index)
