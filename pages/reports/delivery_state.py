"""Informes: the monthly PDF download and, for admins, the scheduled deliveries.

The PDF is rendered by ``crm_app.reports.monthly.render_monthly_report`` for the signed-in
user's own scope (the widest their role allows, decided on the server) in a background
handler, then sent with ``rx.download``. Scheduled deliveries are ``ReportSchedule`` rows
managed through ``services.report_schedules`` (admins only: ``@handler`` checks it and the
service again, so a forged event from another role changes nothing).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from analytics import periods
from crm_app.formatting import datetime_es
from crm_app.i18n import t
from crm_app.models import Role
from crm_app.permissions import Perm, has_perm
from crm_app.reports.monthly import render_monthly_report
from crm_app.services import report_schedules as schedules
from crm_app.state import AppState, Ctx, handler
from crm_app.state_mixins.analytics import as_index, today_local

ROLES = [r.value for r in Role]
PDF_MONTHS = 24  # the months offered for the PDF: this one and the 23 before


def _month_options() -> list[dict[str, str]]:
    first = today_local().replace(day=1)
    months = [periods.month_of(periods.add_months(first, -i)) for i in range(PDF_MONTHS)]
    return [{"value": m.start.strftime("%Y-%m"), "label": m.label.capitalize()}
            for m in months]


class DeliveryState(AppState):
    pdf_month: str = ""
    pdf_months: list[dict[str, str]] = []
    pdf_busy: bool = False
    schedules: list[dict[str, str]] = []
    user_options: list[dict[str, str]] = []
    new_frequency: str = "monthly"
    new_roles: list[str] = []
    new_users: list[str] = []
    schedule_errors: dict[str, str] = {}

    @rx.var
    def schedule_error_text(self) -> str:
        return " ".join(dict.fromkeys(self.schedule_errors.values()))

    @handler(None)
    def load(self, ctx: Ctx) -> None:
        """on_load: the months the PDF may be of (the last closed one chosen) and, for admins,
        the deliveries."""
        self.pdf_months = _month_options()
        if self.pdf_month not in {m["value"] for m in self.pdf_months}:
            self.pdf_month = self.pdf_months[1]["value"]
        if has_perm(ctx.user, Perm.SETTINGS_CHANGE):
            self._refresh_schedules(ctx)

    # --- the monthly PDF --------------------------------------------------------------------

    @rx.event
    def set_pdf_month(self, value: str) -> None:
        if value in {m["value"] for m in self.pdf_months}:
            self.pdf_month = value

    @handler(Perm.REPORTS_VIEW, background=True)
    async def download_pdf(self, ctx: Ctx) -> Any:
        """Render the chosen month's PDF for the user's scope, off the event loop."""
        async with self:
            if self.pdf_busy:
                return None
            try:
                month = periods.parse_month(self.pdf_month)
            except ValueError:
                month = periods.month_of(periods.add_months(today_local(), -1))
            self.pdf_busy = True
        try:
            pdf = await rx.run_in_thread(
                lambda: render_monthly_report(user=ctx.user, month=month.start))
        finally:
            async with self:
                self.pdf_busy = False
        return [rx.download(data=pdf, filename=t("aui.report.pdf_file",
                                                 month=month.start.strftime("%Y-%m")),
                            mime_type="application/pdf"),
                rx.toast.success(t("aui.report.pdf_ready"))]

    # --- scheduled deliveries (admins) --------------------------------------------------

    def _refresh_schedules(self, ctx: Ctx) -> None:
        users = schedules.recipient_choices(session=ctx.session, actor=ctx.user)
        names = {u.id: u.name for u in users}
        self.user_options = [{"id": str(u.id), "label": f"{u.name} · {t(f'user.role.{u.role}')}"}
                             for u in users]
        self.schedules = [{
            "id": str(s.id),
            "report": t("aui.schedule.monthly_report"),
            "frequency": t(f"analytics.schedule.{s.frequency}"),
            "recipients": ", ".join([t(f"user.role.{r}") for r in s.roles or []]
                                    + [names.get(u, f"#{u}") for u in s.user_ids or []]),
            "active": "1" if s.active else "",
            "last_sent": datetime_es(s.last_sent_at) or "—",
        } for s in schedules.list_schedules(session=ctx.session, actor=ctx.user)]

    @handler(Perm.SETTINGS_CHANGE)
    def load_schedules(self, ctx: Ctx) -> None:
        self._refresh_schedules(ctx)

    @rx.event
    def set_new_frequency(self, value: str) -> None:
        if value in schedules.FREQUENCIES:
            self.new_frequency = value

    @rx.event
    def toggle_new_role(self, role: str, checked: bool) -> None:
        chosen = [r for r in self.new_roles if r != role]
        if checked and role in ROLES:
            chosen.append(role)
        self.new_roles = chosen

    @rx.event
    def toggle_new_user(self, user_id: str, checked: bool) -> None:
        chosen = [u for u in self.new_users if u != user_id]
        if checked and str(user_id).isdigit():
            chosen.append(str(user_id))
        self.new_users = chosen

    @handler(Perm.SETTINGS_CHANGE, errors="schedule_errors")
    def add_schedule(self, ctx: Ctx) -> Any:
        schedules.create_schedule(session=ctx.session, actor=ctx.user, report="monthly",
                                  frequency=self.new_frequency, roles=list(self.new_roles),
                                  user_ids=[int(u) for u in self.new_users])
        self.new_roles, self.new_users = [], []
        self._refresh_schedules(ctx)
        return rx.toast.success(t("aui.schedule.saved"))

    @handler(Perm.SETTINGS_CHANGE, errors="schedule_errors")
    def set_schedule_active(self, ctx: Ctx, schedule_id: str, active: bool) -> None:
        row = as_index(schedule_id)
        if row is None:
            return
        schedules.update_schedule(session=ctx.session, actor=ctx.user, schedule_id=row,
                                  active=bool(active))
        self._refresh_schedules(ctx)

    @handler(Perm.SETTINGS_CHANGE, errors="schedule_errors")
    def delete_schedule(self, ctx: Ctx, schedule_id: str) -> Any:
        row = as_index(schedule_id)
        if row is None:
            return None
        schedules.delete_schedule(session=ctx.session, actor=ctx.user, schedule_id=row)
        self._refresh_schedules(ctx)
        return rx.toast.success(t("aui.schedule.deleted"))
