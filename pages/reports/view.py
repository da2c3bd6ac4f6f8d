"""/informes: the request (KPIs, cut, period, view), the matrix (chart and table), the
evolution or year-over-year view, the monthly PDF, the admins' deliveries, the drill-down."""

from __future__ import annotations

import reflex as rx

from analytics import report as rep
from components.analytics import drill_dialog, export_buttons, snapshot_bar
from components.charts import chart_card
from components.empty_state import empty_state
from components.forms import choice, date_input, field
from components.layout import shell
from crm_app.i18n import t
from crm_app.state import AppState
from pages.reports.delivery_view import pdf_card, schedules_card
from pages.reports.state import PERIOD_KINDS, ReportsState

S = ReportsState


def _kpi_picker() -> rx.Component:
    def box(key: str) -> rx.Component:
        return rx.checkbox(
            t(f"aui.kpi.{key}"),
            checked=S.kpis_selected.contains(key),
            on_change=lambda checked: S.toggle_kpi(key, checked),
            id=f"kpi-pick-{key}",
            size="1",
        )

    return field(t("aui.report.kpis"),
                 rx.grid(*[box(k) for k in rep.REPORT_KPIS],
                         columns=rx.breakpoints(initial="2", md="3", lg="5"),
                         spacing="2", width="100%", data_testid="kpi-picker"),
                 html_for="report", error=S.form_errors.get("kpis", ""))


def _date(name: str, label_key: str, html_id: str, on_blur: object) -> rx.Component:
    return field(t(label_key),
                 date_input(name, default=getattr(S, name), id=html_id, on_blur=on_blur,
                            aria_label=t(label_key)),
                 html_for=html_id, error=S.form_errors.get(name, ""))


def _controls() -> rx.Component:
    cut_select = rx.select.root(
        rx.select.trigger(width="100%", id="cut-select", aria_label=t("aui.report.cut")),
        rx.select.content(
            *[rx.cond(S.cut_options.contains(c),
                      rx.select.item(t(f"aui.report.cut.{c}"), value=c, id=f"cut-{c}"))
              for c in rep.CUTS]),
        value=S.cut,
        on_change=S.set_cut,
    )
    period_select = choice(
        [(k, t(f"aui.period.label.{k}") if k != "custom" else t("aui.period.custom"))
         for k in PERIOD_KINDS],
        value=S.period_kind, on_change=S.set_period_kind, id="period-kind",
        aria_label=t("aui.period.kind"))
    dates = rx.cond(
        S.period_kind == "custom",
        rx.grid(_date("date_from", "aui.period.from", "date-from", S.set_date_from),
                _date("date_to", "aui.period.to", "date-to", S.set_date_to),
                columns="2", spacing="2", width="100%"),
        _date("ref_date", "aui.period.ref", "ref-date", S.set_ref_date),
    )
    view_control = rx.segmented_control.root(
        *[rx.segmented_control.item(t(f"aui.view.{v}"), value=v, id=f"view-{v}")
          for v in rep.VIEWS],
        value=S.view,
        on_change=S.set_view,
        size="1",
        id="view-selector",
        width="100%",
    )
    return rx.card(
        rx.vstack(
            _kpi_picker(),
            rx.grid(
                field(t("aui.report.cut"), cut_select, html_for="cut-select"),
                field(t("aui.period.kind"), period_select, html_for="period-kind"),
                # the dates are typed into inputs that keep what the user wrote: they appear
                # once the first request has set them
                rx.cond(S.ref_date != "", dates),
                field(t("aui.view"), view_control, html_for="view-selector"),
                columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                spacing="3",
                width="100%",
            ),
            rx.cond(S.form_errors.get("period", "") != "",
                    rx.callout(S.form_errors.get("period", ""), icon="triangle-alert",
                               color_scheme="red", size="1", id="period-error")),
            spacing="4",
            width="100%",
        ),
        width="100%",
        data_testid="report-controls",
    )


def _table(title: rx.Var, head: rx.Var, rows: rx.Var, name: str, *,
           drill: bool = False) -> rx.Component:
    def row(cells: rx.Var, index: rx.Var) -> rx.Component:
        first = (rx.link(cells[0], href="#", on_click=S.drill_row(index),
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
                export_buttons(S.export_table(name, "csv"), S.export_table(name, "xlsx"),
                               f"{name}-export"),
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


def _report() -> rx.Component:
    return rx.vstack(
        chart_card(S.matrix_title, S.matrix_fig, test_id="chart-matrix",
                   on_click=lambda points: S.drill_chart("matrix", points),
                   has_data=S.matrix_rows.length() > 0,
                   empty_text=t("aui.chart.empty"), hint=t("aui.chart.hint"),
                   extra=rx.cond(S.top_note != "",
                                 rx.text(S.top_note, size="1", color_scheme="gray",
                                         data_testid="matrix-note"))),
        _table(S.matrix_title, S.matrix_head, S.matrix_rows, "matrix", drill=True),
        chart_card(S.evo_title, S.evo_fig, test_id="chart-evolution",
                   on_click=lambda points: S.drill_chart("evolution", points),
                   has_data=S.has_evo, empty_text=t("aui.chart.empty"),
                   hint=t("aui.chart.hint")),
        _table(S.evo_title, S.evo_head, S.evo_rows, "evolution"),
        spacing="4",
        width="100%",
    )


def reports_page() -> rx.Component:
    return shell(
        rx.flex(
            rx.hstack(
                rx.badge(S.scope_text, variant="soft", id="scope-label"),
                rx.text(S.period_label, size="2", color_scheme="gray", id="period-label"),
                spacing="2", align="center", wrap="wrap",
            ),
            rx.spacer(),
            snapshot_bar(S, can_refresh=AppState.user_scope != "own"),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="2",
            width="100%",
        ),
        _controls(),
        rx.cond(S.matrix_head.length() > 0, _report(),
                rx.cond(S.loading,
                        rx.center(rx.spinner(size="3"), width="100%",
                                  padding="var(--space-6)"),
                        empty_state("chart-column", t("aui.report.pick_kpi"),
                                    test_id="reports-empty"))),
        pdf_card(),
        schedules_card(),
        drill_dialog(S),
        title=t("nav.reports"),
        active="/informes",
    )
