"""Views of the dashboards' shared pieces (state: ``crm_app.state_mixins.analytics``): the
snapshot's time with "Actualizar datos", the CSV/Excel buttons of a table, and the drill-down
dialog listing the opportunities behind a figure.

Stateless: each function takes the page's state class (an ``AnalyticsMixin``) or the events.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.empty_state import empty_state
from crm_app.i18n import t


def snapshot_bar(state: Any, *, can_refresh: rx.Var) -> rx.Component:
    """``Datos de las 10:42`` and, for managers and up, the "Actualizar datos" button; under
    them, when the builds after that snapshot failed, the warning saying so."""
    return rx.vstack(
        rx.hstack(
            rx.hstack(
                rx.icon("clock", size=14, color=rx.color("gray", 10)),
                rx.text(state.snapshot_text, size="2", color_scheme="gray", id="snapshot-at"),
                align="center",
                spacing="1",
            ),
            rx.cond(
                can_refresh,
                rx.button(rx.icon("refresh-cw", size=14), t("aui.refresh"), size="1",
                          variant="soft", loading=state.refreshing,
                          disabled=state.refreshing, on_click=state.refresh_data,
                          id="refresh-data"),
            ),
            rx.cond(state.loading, rx.spinner(size="1")),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(state.snapshot_warning != "",
                rx.callout(state.snapshot_warning, icon="triangle-alert", color_scheme="amber",
                           size="1", id="snapshot-warning")),
        rx.cond(state.refreshing,
                rx.vstack(rx.progress(duration="4s", width="100%", max_width="320px"),
                          rx.text(t("aui.refreshing"), size="1", color_scheme="gray"),
                          spacing="1", width="100%", data_testid="refresh-progress")),
        spacing="1",
    )


def export_buttons(on_csv: Any, on_xlsx: Any, test_id: str) -> rx.Component:
    """CSV and Excel buttons (``<test_id>-csv``, ``<test_id>-xlsx``)."""
    return rx.hstack(
        rx.button(rx.icon("download", size=14), t("aui.report.export_csv"), size="1",
                  variant="soft", on_click=on_csv, id=f"{test_id}-csv",
                  aria_label=f"{t('aui.report.export')} CSV"),
        rx.button(rx.icon("sheet", size=14), t("aui.report.export_xlsx"), size="1",
                  variant="soft", on_click=on_xlsx, id=f"{test_id}-xlsx",
                  aria_label=f"{t('aui.report.export')} XLSX"),
        spacing="2",
    )


def _drill_row(item: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(item["name"], weight="medium")),
        rx.table.cell(item["account"]),
        rx.table.cell(item["owner"]),
        rx.table.cell(item["stage"]),
        rx.table.cell(item["amount"], text_align="right", white_space="nowrap"),
        rx.table.cell(item["date"], white_space="nowrap"),
    )


def drill_dialog(state: Any) -> rx.Component:
    """The opportunities behind a clicked bar: a paginated table in a dialog that keeps a
    margin from the screen's edges on a phone (the table scrolls inside it)."""
    table = rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.foreach(state.drill_heads, lambda h: rx.table.column_header_cell(h)))),
            rx.table.body(rx.foreach(state.drill_rows, _drill_row)),
            variant="surface", size="1", width="100%",
        ),
        overflow_x="auto", width="100%", min_width="0", data_testid="drill-table",
    )
    pager = rx.hstack(
        rx.button(t("common.prev"), variant="soft", size="1", disabled=~state.drill_has_prev,
                  on_click=state.drill_prev, id="drill-prev"),
        rx.text(t("common.page"), " ", state.drill_page, " ", t("common.of"), " ",
                state.drill_pages, size="2"),
        rx.button(t("common.next"), variant="soft", size="1", disabled=~state.drill_has_next,
                  on_click=state.drill_next, id="drill-next"),
        align="center", justify="center", width="100%",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(state.drill_title, size="4", margin="0",
                                    id="drill-title", style={"overflowWrap": "anywhere"}),
                    rx.spacer(),
                    rx.dialog.close(rx.icon_button(rx.icon("x"), variant="ghost",
                                                   aria_label=t("aui.drill.close"),
                                                   id="drill-close")),
                    width="100%",
                    align="start",
                ),
                rx.hstack(
                    rx.text(state.drill_count_text, size="2", color_scheme="gray",
                            data_testid="drill-count"),
                    rx.cond(state.drill_loading, rx.spinner(size="1")),
                    rx.spacer(),
                    export_buttons(state.export_drill("csv"), state.export_drill("xlsx"),
                                   "drill-export"),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(state.drill_total > 0, table,
                        rx.cond(state.drill_loading, rx.center(rx.spinner(), width="100%"),
                                empty_state("search-x", t("aui.drill.empty"),
                                            test_id="drill-empty"))),
                rx.cond(state.drill_pages > 1, pager),
                spacing="3",
                width="100%",
                min_width="0",
            ),
            width="100%",
            max_width="min(960px, calc(100vw - 2 * var(--space-4)))",
            padding=rx.breakpoints(initial="var(--space-3)", sm="var(--space-4)"),
            data_testid="drill-dialog",
        ),
        open=state.drill_open,
        on_open_change=state.set_drill_open,
    )


__all__ = ["drill_dialog", "export_buttons", "snapshot_bar"]
