"""Informes: the monthly PDF card and the admins' scheduled deliveries card."""

from __future__ import annotations

import reflex as rx

from components.dialogs import confirm
from components.forms import PHONE_FULL, choice, field
from crm_app.i18n import t
from crm_app.services.report_schedules import FREQUENCIES
from crm_app.state import AppState
from pages.reports.delivery_state import ROLES, DeliveryState


def pdf_card() -> rx.Component:
    return rx.card(
        rx.flex(
            field(t("aui.report.pdf_month"),
                  choice(DeliveryState.pdf_months, value=DeliveryState.pdf_month,
                         on_change=DeliveryState.set_pdf_month, id="pdf-month",
                         aria_label=t("aui.report.pdf_month")),
                  html_for="pdf-month", grow=False),
            rx.button(rx.icon("file-down", size=16), t("aui.report.pdf"),
                      on_click=DeliveryState.download_pdf, loading=DeliveryState.pdf_busy,
                      disabled=DeliveryState.pdf_busy, id="pdf-download", width=PHONE_FULL),
            rx.cond(DeliveryState.pdf_busy,
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
    delete = confirm(
        rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                       aria_label=t("aui.schedule.delete")),
        title=t("aui.schedule.delete"), description=item["recipients"],
        confirm_label=t("common.delete"),
        on_confirm=DeliveryState.delete_schedule(item["id"]), test_id="schedule-delete")
    return rx.table.row(
        rx.table.cell(item["report"]),
        rx.table.cell(item["frequency"]),
        rx.table.cell(item["recipients"]),
        rx.table.cell(item["last_sent"], white_space="nowrap"),
        rx.table.cell(rx.switch(
            checked=item["active"] == "1",
            on_change=lambda v: DeliveryState.set_schedule_active(item["id"], v),
            aria_label=t("aui.schedule.active"))),
        rx.table.cell(delete),
    )


def _schedule_form() -> rx.Component:
    roles = rx.flex(*[rx.checkbox(
        t(f"user.role.{r}"), checked=DeliveryState.new_roles.contains(r),
        on_change=lambda v, r=r: DeliveryState.toggle_new_role(r, v),
        id=f"schedule-role-{r}") for r in ROLES], wrap="wrap", spacing="3")
    users = rx.scroll_area(
        rx.flex(rx.foreach(DeliveryState.user_options, lambda u: rx.checkbox(
            u["label"], checked=DeliveryState.new_users.contains(u["id"]),
            on_change=lambda v: DeliveryState.toggle_new_user(u["id"], v))),
            direction="column", spacing="2"),
        max_height="160px", type="auto", scrollbars="vertical",
    )
    return rx.vstack(
        rx.text(t("aui.schedule.add"), weight="medium", size="2"),
        rx.flex(
            field(t("aui.schedule.frequency"),
                  choice([(f, t(f"analytics.schedule.{f}")) for f in FREQUENCIES],
                         value=DeliveryState.new_frequency,
                         on_change=DeliveryState.set_new_frequency, id="schedule-frequency",
                         aria_label=t("aui.schedule.frequency"), width="auto"),
                  html_for="schedule-frequency", grow=False),
            field(t("aui.schedule.roles"), roles),
            direction=rx.breakpoints(initial="column", sm="row"),
            spacing="4",
            width="100%",
        ),
        field(t("aui.schedule.users"), users),
        rx.cond(DeliveryState.schedule_error_text != "",
                rx.text(DeliveryState.schedule_error_text, color=rx.color("red", 11),
                        size="2", role="alert", id="schedule-error")),
        rx.flex(rx.button(rx.icon("plus", size=16), t("aui.schedule.add"),
                          on_click=DeliveryState.add_schedule, id="schedule-add",
                          width=PHONE_FULL),
                justify="end", width="100%"),
        spacing="2",
        width="100%",
    )


def schedules_card() -> rx.Component:
    table = rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                *[rx.table.column_header_cell(t(k)) for k in (
                    "aui.schedule.report", "aui.schedule.frequency", "aui.schedule.recipients",
                    "aui.schedule.last_sent", "aui.schedule.active")],
                rx.table.column_header_cell(""),
            )),
            rx.table.body(rx.foreach(DeliveryState.schedules, _schedule_row)),
            variant="ghost", size="1", width="100%",
        ),
        overflow_x="auto", width="100%",
    )
    return rx.cond(
        AppState.is_admin,
        rx.card(
            rx.vstack(
                rx.heading(t("aui.schedule.title"), size="3", weight="medium", as_="h3"),
                rx.cond(DeliveryState.schedules.length() > 0, table,
                        rx.text(t("aui.schedule.none"), size="2", color_scheme="gray")),
                rx.separator(width="100%"),
                _schedule_form(),
                spacing="3",
                width="100%",
            ),
            width="100%",
            min_width="0",
            data_testid="schedules-card",
        ),
    )
