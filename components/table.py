"""A server-paginated table: search box, sortable headers, count, pager, empty state.

Wide tables scroll inside their own card on phones; the page itself never scrolls sideways.
"""

from __future__ import annotations

import reflex as rx

from components.empty_state import empty_state
from crm_app.i18n import t


def data_table(state: type, columns: list[tuple[str, str]], *, count_label: str,
               empty_icon: str, empty_message: str, row_href_key: str | None = None,
               test_id: str = "list", sortable: tuple[str, ...] = (),
               toolbar: list[rx.Component] | None = None,
               empty_actions: list[rx.Component] | None = None) -> rx.Component:
    """``columns`` are (row key, header label); rows are dicts of display strings."""

    def header(key: str, label: str) -> rx.Component:
        if key not in sortable:
            return rx.table.column_header_cell(label)
        return rx.table.column_header_cell(
            rx.button(
                label,
                rx.cond(state.sort == key,
                        rx.cond(state.desc, rx.icon("arrow-down", size=14),
                                rx.icon("arrow-up", size=14))),
                variant="ghost", size="1", on_click=state.sort_by(key),
                id=f"{test_id}-sort-{key}",
            ),
        )

    def row(item: rx.Var) -> rx.Component:
        cells = []
        for i, (key, _) in enumerate(columns):
            content = item[key]
            if i == 0 and row_href_key:
                content = rx.link(item[key], href=item[row_href_key], weight="medium")
            cells.append(rx.table.cell(content))
        return rx.table.row(*cells)

    table = rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[header(k, lbl) for k, lbl in columns])),
            rx.table.body(rx.foreach(state.rows, row)),
            variant="surface",
            size="2",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
        data_testid=f"{test_id}-table",
    )
    return rx.vstack(
        rx.flex(
            rx.debounce_input(
                rx.input(
                    rx.input.slot(rx.icon("search", size=16)),
                    placeholder=t("common.search"),
                    value=state.q,
                    on_change=state.search,
                    width="100%",
                    id=f"{test_id}-search",
                    aria_label=t("common.search"),
                ),
                debounce_timeout=300,
            ),
            *(toolbar or []),
            spacing="2",
            width="100%",
            direction=rx.breakpoints(initial="column", sm="row"),
        ),
        rx.text(state.total_text + " " + count_label, size="2", color_scheme="gray",
                data_testid=f"{test_id}-count"),
        rx.cond(state.total > 0, table,
                empty_state(empty_icon, empty_message, *(empty_actions or []),
                            test_id=f"{test_id}-empty")),
        rx.cond(
            state.total > state.page_size,
            rx.hstack(
                rx.button(t("common.prev"), variant="soft", disabled=~state.has_prev,
                          on_click=state.prev_page, id=f"{test_id}-prev"),
                rx.text(t("common.page"), " ", state.page, " ", t("common.of"), " ", state.pages,
                        size="2"),
                rx.button(t("common.next"), variant="soft", disabled=~state.has_next,
                          on_click=state.next_page, id=f"{test_id}-next"),
                align="center",
                justify="center",
                width="100%",
            ),
        ),
        width="100%",
        spacing="3",
    )
