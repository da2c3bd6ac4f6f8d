"""Informes' state: the request (KPIs, cut, period, view) and its report, computed off the
event loop for the scope the user's role gets; chart clicks and row links open the
opportunities behind a figure.

The browser only asks: the KPIs, cuts, periods and views are checked against the whitelists
here, the dates by ``services.analytics.report_dates`` (``dd/mm/aaaa``, at most three years),
and a cut only narrows the scope (``analytics.report.CUTS_BY_SCOPE``)."""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx

from analytics import periods
from analytics import report as rep
from crm_app.formatting import date_es
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import analytics as svc
from crm_app.services.errors import ValidationFailed
from crm_app.state import AppState, Ctx, handler
from crm_app.state_mixins.analytics import KPI_DRILL_STATUS, AnalyticsMixin, today_local
from pages.reports.build import build_report
from pages.reports.delivery_state import DeliveryState

PERIOD_KINDS = periods.REPORT_KINDS


class ReportsState(AnalyticsMixin, AppState):
    kpis_selected: list[str] = ["won_amount", "pipeline_amount"]
    cut: str = "channel"
    period_kind: str = "fiscal_year"
    ref_date: str = ""  # as typed: dd/mm/aaaa
    date_from: str = ""
    date_to: str = ""
    view: str = "monthly"
    form_errors: dict[str, str] = {}
    cut_options: list[str] = list(rep.CUTS_BY_SCOPE["own"])
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
        """on_load: the report (in the background) and the PDF and deliveries section."""
        return [ReportsState.run_report, DeliveryState.load]

    def _params(self, today: date) -> dict[str, Any]:
        """The report request, validated (the browser only asks); ValidationFailed names
        the field in error."""
        chosen = [k for k in rep.REPORT_KPIS if k in self.kpis_selected]
        if not chosen:
            raise ValidationFailed({"kpis": t("aui.report.pick_kpi")})
        kind = self.period_kind if self.period_kind in PERIOD_KINDS else "fiscal_year"
        ref, start, end = svc.report_dates(kind=kind, ref=self.ref_date, start=self.date_from,
                                           end=self.date_to, today=today)
        return {"kpis": chosen, "cut": self.cut if self.cut in self.cut_options else "none",
                "period": kind, "ref": ref, "start": start, "end": end,
                "view": self.view if self.view in rep.VIEWS else "monthly"}

    @handler(Perm.REPORTS_VIEW, background=True, errors="form_errors")
    async def run_report(self, ctx: Ctx) -> None:
        """on_load and after every change: compute the report off the event loop."""
        today = today_local()
        async with self:
            scope = self._scope(ctx)
            self.cut_options = list(rep.CUTS_BY_SCOPE[scope.kind])
            if not self.ref_date:
                self.ref_date = self.date_to = date_es(today)
                self.date_from = date_es(today.replace(day=1))
            params = self._params(today)
        await self._compute(lambda: build_report(scope, params, today), self._show)

    def _show(self, view: dict[str, Any]) -> None:
        for name in ("snapshot_text", "snapshot_warning", "period_label", "matrix_title",
                     "matrix_head", "matrix_rows", "matrix_fig", "evo_title", "evo_head",
                     "evo_rows", "evo_fig", "has_evo", "top_note"):
            setattr(self, name, view[name])
        self._tables = view["tables"]
        self._drill_keys = view["drill"]

    # --- controls: each stores the choice and reruns the report ---------------------------

    @rx.event
    def toggle_kpi(self, key: str, checked: bool) -> Any:
        if key not in rep.REPORT_KPIS:
            return None
        chosen = [k for k in self.kpis_selected if k != key]
        if checked:
            chosen.append(key)
        self.kpis_selected = [k for k in rep.REPORT_KPIS if k in chosen]
        return ReportsState.run_report

    @rx.event
    def set_cut(self, value: str) -> Any:
        if value in rep.CUTS:
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
        if value in rep.VIEWS:
            self.view = str(value)
        return ReportsState.run_report

    def _set_date(self, name: str, value: str) -> Any:
        text = str(value or "").strip()[:10]
        if text == getattr(self, name) and not self.form_errors:
            return None
        setattr(self, name, text)
        return ReportsState.run_report

    @rx.event
    def set_ref_date(self, value: str) -> Any:
        return self._set_date("ref_date", value)

    @rx.event
    def set_date_from(self, value: str) -> Any:
        return self._set_date("date_from", value)

    @rx.event
    def set_date_to(self, value: str) -> Any:
        return self._set_date("date_to", value)

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
            when = periods.infer(date.fromisoformat(start), date.fromisoformat(end)).label
        else:
            months = evo.get("months") or []
            if curve >= len(evo.get("values", [])) or point >= len(months):
                return None
            value, label = evo["values"][curve], evo["labels"][curve]
            m = periods.parse_month(months[point])
            first = date.fromisoformat(evo["fy"][point]) if evo["view"] == "cumulative" else \
                max(m.start, date.fromisoformat(evo["start"]))
            start, end = first.isoformat(), min(m.end, date.fromisoformat(evo["end"])).isoformat()
            when = t("aui.drill.cumulative", label=m.label) if evo["view"] == "cumulative" \
                else m.label
        if cut != "none" and value in (None, "", rep.OTHERS):
            return None  # no single filter says "no value" or "Otros"
        filters = {rep.CUT_FILTER[cut]: value} if cut != "none" else {}
        return ({"status": status, "start": start, "end": end, "filters": filters},
                f"{t('aui.drill.status.' + status)} · {label} · {when}")

    def _chart_spec(self, chart: str, curve: int, point: int
                    ) -> tuple[dict[str, Any], str] | None:
        if not self._drill_keys:
            return None
        if chart != "matrix":
            return self._evolution_spec(curve, point)
        source, keys = self._drill_keys["chart"], self._drill_keys["kpis"]
        if point >= len(source):
            return None
        return self._matrix_spec(source[point], keys[min(curve, len(keys) - 1)])

    def _row_spec(self, index: int) -> tuple[dict[str, Any], str] | None:
        rows = self._drill_keys.get("rows") or []
        if index >= len(rows):
            return None
        return self._matrix_spec(rows[index], self._drill_keys["kpis"][0])
