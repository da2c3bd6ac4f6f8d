"""/ (Inicio): "Tu día" (first on phones), the KPI cards, the charts, the comparison of the
team's comercials or of the teams, and the drill-down dialog."""

from __future__ import annotations

import reflex as rx

from components.analytics import drill_dialog, export_buttons, snapshot_bar
from components.charts import chart_card
from components.layout import shell
from crm_app.i18n import t
from crm_app.state import AppState
from pages.home.build import COMPARE_COLUMNS, PERIOD_KINDS
from pages.home.state import HomeState

# a six-figure amount ("113.816,65 €") fits a half-width card on a 390 px phone
KPI_VALUE_SIZE = rx.breakpoints(initial="4", sm="5", md="6")
# CSS order of the page's blocks: "Tu día" right under the greeting on phones, last on desktop
TODAY_ORDER = rx.breakpoints(initial="1", md="9")


def _kpi_card(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.text(item["label"], size="2", color_scheme="gray"),
            rx.heading(item["value"], size=KPI_VALUE_SIZE, weight="bold",
                       data_testid="kpi-value", max_width="100%",
                       style={"overflowWrap": "anywhere"}),
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
            width="100%",
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
                    min_width="0",
                ),
                align="center",
                spacing="3",
            ),
            width="100%",
            height="100%",
            size="1",
            data_testid=item["id"],
        ),
        href=item["href"],
        underline="none",
        min_width="0",
        height="100%",
        display="block",
    )


def _today() -> rx.Component:
    return rx.vstack(
        rx.heading(t("aui.today"), size="3", weight="medium", as_="h2"),
        rx.grid(rx.foreach(HomeState.today_cards, _today_card),
                columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
        spacing="3",
        width="100%",
        order=TODAY_ORDER,
        data_testid="today",
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
        min_width="0",
        data_testid="compare-table",
    )
    chart = chart_card(HomeState.titles["compare"], HomeState.compare_fig,
                       test_id="chart-compare",
                       on_click=lambda points: HomeState.drill_chart("compare", points),
                       has_data=HomeState.has["compare"], empty_text=t("aui.chart.empty"),
                       hint=t("aui.chart.hint"))
    return rx.cond(HomeState.compare_kind != "", rx.vstack(chart, table, spacing="4",
                                                          width="100%"))


def _chart(name: str, *, hint: bool = True, has: str = "") -> rx.Component:
    return chart_card(HomeState.titles[name], getattr(HomeState, f"{name}_fig"),
                      test_id=f"chart-{name}",
                      on_click=lambda points: HomeState.drill_chart(name, points),
                      has_data=HomeState.has[has or name], empty_text=t("aui.chart.empty"),
                      hint=t("aui.chart.hint") if hint else "")


def _header() -> rx.Component:
    return rx.flex(
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
        rx.cond(AppState.can_reports, rx.vstack(
            _period_selector(),
            snapshot_bar(HomeState, can_refresh=AppState.user_scope != "own"),
            align=rx.breakpoints(initial="start", md="end"),
            spacing="2",
        )),
        direction=rx.breakpoints(initial="column", md="row"),
        spacing="3",
        width="100%",
        order="0",
    )


def home_page() -> rx.Component:
    ready = HomeState.cards.length() > 0
    charts = rx.grid(
        _chart("pipeline"), _chart("months"), _chart("cumulative", hint=False, has="months"),
        _chart("funnel", hint=False),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
    )
    dashboard = rx.cond(
        ready,
        rx.vstack(
            rx.grid(rx.foreach(HomeState.cards, _kpi_card),
                    columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
            charts,
            _compare_section(),
            spacing="4",
            width="100%",
        ),
        rx.center(rx.spinner(size="3"), width="100%", padding="var(--space-6)"),
    )
    return shell(
        rx.flex(
            _header(),
            _today(),
            rx.cond(AppState.can_reports, rx.box(dashboard, width="100%", order="2")),
            direction="column",
            spacing="4",
            width="100%",
        ),
        drill_dialog(HomeState),
        title=t("nav.home"),
        active="/",
    )
