"""Informes: the monthly PDF download and, for admins, the scheduled deliveries.

The PDF is rendered by ``crm_app.reports.monthly.render_monthly_report`` for the signed-in
user's own scope (the widest their role allows, decided on the server) in a background event,
then sent to the browser with ``rx.download``. Scheduled deliveries are ``ReportSchedule`` rows
managed through ``services.report_schedules`` (admins only, enforced there).
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session, select

from analytics import periods
from crm_app.db import get_engine
from crm_app.formatting import datetime_es
from crm_app.i18n import t
from crm_app.models import Role, User
from crm_app.permissions import Perm, PermissionDenied
from crm_app.reports.monthly import render_monthly_report
from crm_app.services import report_schedules as schedules
from crm_app.services.errors import DomainError
from crm_app.state import AppState
from pages.analytics_common import error_text, today_local

ROLES = [r.value for r in Role]


def _previous_month() -> str:
    return periods.add_months(today_local().replace(day=1), -1).strftime("%Y-%m")


class ReportDeliveryState(AppState):
    pdf_month: str = ""
    pdf_busy: bool = False
    schedules: list[dict[str, str]] = []
    user_options: list[dict[str, str]] = []
    new_frequency: str = "monthly"
    new_roles: list[str] = []
    new_users: list[str] = []
    schedule_error: str = ""

    @rx.event
    def load(self) -> Any:
        if not self.pdf_month:
            self.pdf_month = _previous_month()
        if self.is_admin:
            return ReportDeliveryState.load_schedules
        return None

    # --- the monthly PDF --------------------------------------------------------------------

    @rx.event
    def set_pdf_month(self, value: str) -> None:
        self.pdf_month = str(value)[:7]

    @rx.event(background=True)
    async def download_pdf(self) -> Any:
        """Render the chosen month's PDF for the user's scope, off the event loop."""
        async with self:
            with Session(get_engine()) as session:
                try:
                    user = self._require_user(session, Perm.REPORTS_VIEW)
                except PermissionDenied as exc:
                    return rx.toast.error(exc.message)
            try:
                month = periods.parse_month(self.pdf_month or _previous_month())
            except ValueError:
                return rx.toast.error(t("aui.period.bad_date"))
            if self.pdf_busy:
                return None
            self.pdf_busy = True
        try:
            pdf = await rx.run_in_thread(
                lambda: render_monthly_report(user=user, month=month.start))
        except (PermissionDenied, DomainError) as exc:
            async with self:
                self.pdf_busy = False
            return rx.toast.error(error_text(exc))
        except Exception:  # noqa: BLE001 - a toast for the user; Reflex logs the trace
            async with self:
                self.pdf_busy = False
            return rx.toast.error(t("aui.error"))
        async with self:
            self.pdf_busy = False
        return [rx.download(data=pdf, filename=t("aui.report.pdf_file",
                                                 month=month.start.strftime("%Y-%m")),
                            mime_type="application/pdf"),
                rx.toast.success(t("aui.report.pdf_ready"))]

    # --- scheduled deliveries (admins) --------------------------------------------------

    def _admin_call(self, fn: Any) -> Any:
        """Run ``fn(session, user)`` as the signed-in user; errors become Spanish messages."""
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.SETTINGS_CHANGE)
                result = fn(session, user)
            except (PermissionDenied, DomainError) as exc:
                self.schedule_error = error_text(exc)
                return rx.toast.error(error_text(exc))
            self._refresh_schedules(session, user)
        self.schedule_error = ""
        return result

    def _refresh_schedules(self, session: Session, user: User) -> None:
        rows = schedules.list_schedules(session=session, actor=user)
        users = session.exec(select(User).where(User.active == True)  # noqa: E712
                             .order_by(User.name)).all()
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
        } for s in rows]

    @rx.event
    def load_schedules(self) -> Any:
        return self._admin_call(lambda session, user: None)

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

    @rx.event
    def add_schedule(self) -> Any:
        roles, users, frequency = list(self.new_roles), list(self.new_users), self.new_frequency

        def create(session: Session, user: User) -> Any:
            schedules.create_schedule(session=session, actor=user, report="monthly",
                                      frequency=frequency, roles=roles,
                                      user_ids=[int(u) for u in users])
            return rx.toast.success(t("aui.schedule.saved"))

        result = self._admin_call(create)
        if not self.schedule_error:
            self.new_roles, self.new_users = [], []
        return result

    @rx.event
    def set_schedule_active(self, schedule_id: str, active: bool) -> Any:
        def toggle(session: Session, user: User) -> None:
            schedules.update_schedule(session=session, actor=user,
                                      schedule_id=int(schedule_id), active=bool(active))

        return self._admin_call(toggle)

    @rx.event
    def delete_schedule(self, schedule_id: str) -> Any:
        def remove(session: Session, user: User) -> Any:
            schedules.delete_schedule(session=session, actor=user, schedule_id=int(schedule_id))
            return rx.toast.success(t("aui.schedule.deleted"))

        return self._admin_call(remove)


# ---------------------------------------------------------------- view


def pdf_card() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(t("aui.report.pdf_month"), size="2", weight="medium"),
                rx.input(type="month", value=ReportDeliveryState.pdf_month,
                         on_change=ReportDeliveryState.set_pdf_month, id="pdf-month",
                         aria_label=t("aui.report.pdf_month")),
                spacing="1",
            ),
            rx.button(rx.icon("file-down", size=16), t("aui.report.pdf"),
                      on_click=ReportDeliveryState.download_pdf,
                      loading=ReportDeliveryState.pdf_busy,
                      disabled=ReportDeliveryState.pdf_busy, id="pdf-download"),
            rx.cond(ReportDeliveryState.pdf_busy,
                    rx.text(t("aui.report.pdf_busy"), size="1", color_scheme="gray")),
            direction=rx.breakpoints(initial="column", sm="row"),
            align=rx.breakpoints(initial="stretch", sm="end"),
            spacing="3",
            wrap="wrap",
        ),
        width="100%",
        data_testid="pdf-card",
    )


def _schedule_row(item: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item["report"]),
        rx.table.cell(item["frequency"]),
        rx.table.cell(item["recipients"]),
        rx.table.cell(item["last_sent"], white_space="nowrap"),
        rx.table.cell(rx.switch(
            checked=item["active"] == "1",
            on_change=lambda v: ReportDeliveryState.set_schedule_active(item["id"], v),
            aria_label=t("aui.schedule.active"))),
        rx.table.cell(
            rx.alert_dialog.root(
                rx.alert_dialog.trigger(
                    rx.icon_button(rx.icon("trash-2", size=16), variant="ghost",
                                   color_scheme="red", aria_label=t("aui.schedule.delete"))),
                rx.alert_dialog.content(
                    rx.alert_dialog.title(t("aui.schedule.delete")),
                    rx.alert_dialog.description(item["recipients"]),
                    rx.flex(
                        rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                         color_scheme="gray")),
                        rx.alert_dialog.action(rx.button(
                            t("common.delete"), color_scheme="red",
                            on_click=ReportDeliveryState.delete_schedule(item["id"]))),
                        spacing="3", justify="end", margin_top="var(--space-4)",
                    ),
                ),
            ),
        ),
    )


def schedules_card() -> rx.Component:
    form = rx.vstack(
        rx.text(t("aui.schedule.add"), weight="medium", size="2"),
        rx.flex(
            rx.vstack(
                rx.text(t("aui.schedule.frequency"), size="2"),
                rx.select.root(
                    rx.select.trigger(id="schedule-frequency",
                                      aria_label=t("aui.schedule.frequency")),
                    rx.select.content(*[rx.select.item(t(f"analytics.schedule.{f}"), value=f)
                                        for f in schedules.FREQUENCIES]),
                    value=ReportDeliveryState.new_frequency,
                    on_change=ReportDeliveryState.set_new_frequency,
                ),
                spacing="1",
            ),
            rx.vstack(
                rx.text(t("aui.schedule.roles"), size="2"),
                rx.flex(*[rx.checkbox(
                    t(f"user.role.{r}"), checked=ReportDeliveryState.new_roles.contains(r),
                    on_change=lambda v, r=r: ReportDeliveryState.toggle_new_role(r, v),
                    id=f"schedule-role-{r}") for r in ROLES], wrap="wrap", spacing="3"),
                spacing="1",
            ),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="4",
            width="100%",
        ),
        rx.text(t("aui.schedule.users"), size="2"),
        rx.scroll_area(
            rx.flex(rx.foreach(ReportDeliveryState.user_options, lambda u: rx.checkbox(
                u["label"], checked=ReportDeliveryState.new_users.contains(u["id"]),
                on_change=lambda v: ReportDeliveryState.toggle_new_user(u["id"], v))),
                direction="column", spacing="2"),
            max_height="160px", type="auto", scrollbars="vertical",
        ),
        rx.cond(ReportDeliveryState.schedule_error != "",
                rx.text(ReportDeliveryState.schedule_error, color_scheme="red", size="2",
                        id="schedule-error")),
        rx.flex(rx.button(rx.icon("plus", size=16), t("aui.schedule.add"),
                          on_click=ReportDeliveryState.add_schedule, id="schedule-add"),
                justify="end", width="100%"),
        spacing="2",
        width="100%",
    )
    table = rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(t("aui.schedule.report")),
                rx.table.column_header_cell(t("aui.schedule.frequency")),
                rx.table.column_header_cell(t("aui.schedule.recipients")),
                rx.table.column_header_cell(t("aui.schedule.last_sent")),
                rx.table.column_header_cell(t("aui.schedule.active")),
                rx.table.column_header_cell(""),
            )),
            rx.table.body(rx.foreach(ReportDeliveryState.schedules, _schedule_row)),
            variant="ghost", size="1", width="100%",
        ),
        overflow_x="auto", width="100%",
    )
    return rx.cond(
        AppState.is_admin,
        rx.card(
            rx.vstack(
                rx.heading(t("aui.schedule.title"), size="3", weight="medium", as_="h3"),
                rx.cond(ReportDeliveryState.schedules.length() > 0, table,
                        rx.text(t("aui.schedule.none"), size="2", color_scheme="gray")),
                rx.separator(width="100%"),
                form,
                spacing="3",
                width="100%",
            ),
            width="100%",
            data_testid="schedules-card",
        ),
    )
