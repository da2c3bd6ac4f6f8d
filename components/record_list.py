"""``record_list()``: the one list screen body over a ``ListState``.

Search, a filters panel with chips, sortable headers, the count, the bulk-action bar, a table
on desktop and cards on phones (with a sort select), the empty states and the pager. Columns
and filters are declared; rows are the state's dicts of display strings, so the browser only
ever holds the page on screen.

Test hooks (``t`` = ``test_id``): ``t-count``, ``t-search``, ``t-filters-toggle``,
``t-filters``, ``chip-<name>``, ``chip-remove-<name>``, ``t-clear-filters``, ``bulk-bar``,
``bulk-count``, ``t-table``, ``t-cards``, ``t-sort-<key>``, ``t-sort-select``,
``t-check-all``, ``t-prev``, ``t-next``, ``t-page``, ``filter-<name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import reflex as rx

from components.empty_state import empty_state
from components.forms import NONE, choice, field, with_all
from crm_app.i18n import t

Render = Callable[[rx.Var], rx.Component]


@dataclass(frozen=True)
class Column:
    """A table column: ``key`` is the row dict key (and the sort key when ``sortable``)."""

    key: str
    label: str
    sortable: bool = False
    cell: Render | None = None  # default: the row's text under ``key``
    nowrap: bool = False
    width: str | None = None


@dataclass(frozen=True)
class Filter:
    """A filter control; ``name`` is the key in the state's ``filters`` dict and should be
    the service's parameter name, so its validation errors land next to it."""

    name: str
    label: str
    kind: str = "select"  # select | date | text
    options: Any = None  # (value, label) pairs, a list of {value,label}, or a Var of those
    visible: Any = None  # a Var[bool] (e.g. the user's scope), None = always
    all_label: str = ""  # the "no filter" choice when "Todos" does not fit ("Todas las etapas")


def _sort_button(state: Any, test_id: str, key: str, text: str) -> rx.Component:
    return rx.button(
        text,
        rx.cond(state.sort == key,
                rx.cond(state.desc, rx.icon("arrow-down", size=14), rx.icon("arrow-up", size=14)),
                rx.icon("arrow-up-down", size=14, opacity="0.35")),
        variant="ghost", size="1", color_scheme="gray", high_contrast=True,
        on_click=state.sort_by(key), id=f"{test_id}-sort-{key}",
        aria_label=t("list.sort_by", field=text), white_space="nowrap",
        style={"fontWeight": "bold"}, padding_x="0", margin="0",
    )


def _header(state: Any, test_id: str, col: Column) -> rx.Component:
    props: dict[str, Any] = {"white_space": "nowrap"}
    if col.width:
        props["width"] = col.width
    if not col.sortable:
        return rx.table.column_header_cell(col.label, **props)
    return rx.table.column_header_cell(
        _sort_button(state, test_id, col.key, col.label),
        aria_sort=rx.cond(state.sort == col.key,
                          rx.cond(state.desc, "descending", "ascending"), "none"),
        **props,
    )


def _check(state: Any, row: rx.Var, id_key: str) -> rx.Component:
    return rx.checkbox(checked=state.selected.contains(row[id_key]),
                       on_change=lambda v: state.toggle_row(row[id_key], v),
                       aria_label=t("list.select_row"),
                       data_testid="row-check-" + row[id_key].to(str))


def _table(state: Any, test_id: str, columns: Sequence[Column], selectable: bool,
           row_test_id: Render | None, id_key: str) -> rx.Component:
    def row(item: rx.Var) -> rx.Component:
        cells = [rx.table.cell(_check(state, item, id_key))] if selectable else []
        for col in columns:
            content = col.cell(item) if col.cell else item[col.key]
            cells.append(rx.table.cell(content, white_space="nowrap" if col.nowrap else None))
        props = {"data_testid": row_test_id(item)} if row_test_id else {}
        return rx.table.row(*cells, vertical_align="middle", **props)

    heads = [_header(state, test_id, c) for c in columns]
    if selectable:
        heads.insert(0, rx.table.column_header_cell(
            rx.checkbox(checked=state.all_selected, on_change=state.toggle_page,
                        aria_label=t("list.select_page"), id=f"{test_id}-check-all"),
            width="40px"))
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*heads, vertical_align="middle")),
            rx.table.body(rx.foreach(state.rows, row)),
            variant="surface", size="2", width="100%",
        ),
        overflow_x="auto",
        width="100%",
        display=rx.breakpoints(initial="none", md="block"),
        data_testid=f"{test_id}-table",
    )


def _cards(state: Any, test_id: str, columns: Sequence[Column], card: Render,
           selectable: bool, id_key: str) -> rx.Component:
    sortable = [c for c in columns if c.sortable]

    def one(item: rx.Var) -> rx.Component:
        if not selectable:
            return card(item)
        return rx.hstack(rx.box(_check(state, item, id_key), padding_top="var(--space-3)"),
                         rx.box(card(item), flex="1", min_width="0"),
                         spacing="2", align="start", width="100%")

    options = [(f"{c.key}:{d}", f"{c.label} {arrow}") for c in sortable
               for d, arrow in (("asc", "↑"), ("desc", "↓"))]
    return rx.vstack(
        rx.hstack(
            *([rx.checkbox(t("list.select_page"), checked=state.all_selected,
                           on_change=state.toggle_page, id=f"{test_id}-check-all-cards")]
              if selectable else []),
            rx.spacer(),
            *([choice(options, value=state.sort_value, on_change=state.set_sort,
                      id=f"{test_id}-sort-select", aria_label=t("list.sort"), width="auto",
                      size="1")] if sortable else []),
            width="100%", align="center",
        ),
        rx.foreach(state.rows, one),
        spacing="2",
        width="100%",
        display=rx.breakpoints(initial="flex", md="none"),
        data_testid=f"{test_id}-cards",
    )


def _filter_control(state: Any, f: Filter) -> rx.Component:
    html_id = f"filter-{f.name}"
    current = state.filters.get(f.name, "")
    if f.kind == "select":
        options = f.options
        if isinstance(options, list) and options and isinstance(options[0], tuple):
            options = [{"value": v, "label": lbl} for v, lbl in options]
        control = choice(with_all(options if options is not None else [],
                                  f.all_label or t("list.filter.all")),
                         value=rx.cond(current == "", NONE, current),
                         on_change=lambda v: state.set_filter(f.name, v), id=html_id,
                         aria_label=f.label)
    else:
        control = rx.input(
            default_value=current, key=current, id=html_id, width="100%",
            placeholder=t("common.date_placeholder") if f.kind == "date" else "",
            input_mode="numeric" if f.kind == "date" else None,
            on_blur=lambda v: state.set_filter(f.name, v))
    out = field(f.label, control, html_for=html_id, error=state.filter_errors.get(f.name, ""))
    return rx.cond(f.visible, out) if f.visible is not None else out


def _chips(state: Any, test_id: str) -> rx.Component:
    return rx.cond(
        state.chips.length() > 0,
        rx.flex(
            rx.foreach(state.chips, lambda c: rx.badge(
                c["label"],
                rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost",
                               on_click=state.remove_chip(c["key"]),
                               aria_label=t("list.filter.remove"),
                               data_testid="chip-remove-" + c["key"].to(str)),
                size="2", variant="soft", radius="full",
                data_testid="chip-" + c["key"].to(str),
            )),
            rx.button(t("list.filter.clear"), variant="ghost", size="1",
                      on_click=state.clear_filters, id=f"{test_id}-clear-filters"),
            wrap="wrap", spacing="2", align="center", width="100%",
        ),
    )


def _bulk_bar(state: Any, bulk: Sequence[rx.Component]) -> rx.Component:
    return rx.cond(
        state.selected_count > 0,
        rx.flex(
            rx.text(state.selected_count, " ",
                    rx.cond(state.selected_count == 1, t("list.selected_one"),
                            t("list.selected_many")),
                    weight="medium", size="2", data_testid="bulk-count"),
            rx.spacer(),
            *bulk,
            spacing="2", wrap="wrap", align="center", width="100%",
            padding="var(--space-2) var(--space-3)",
            background_color=rx.color("accent", 3),
            border_radius="var(--radius-3)",
            data_testid="bulk-bar",
        ),
    )


def pager(state: Any, test_id: str) -> rx.Component:
    return rx.cond(
        state.total > state.page_size,
        rx.hstack(
            rx.button(t("common.prev"), variant="soft", disabled=~state.has_prev,
                      on_click=state.prev_page, id=f"{test_id}-prev"),
            rx.text(t("common.page"), " ", state.page, " ", t("common.of"), " ", state.pages,
                    size="2", data_testid=f"{test_id}-page"),
            rx.button(t("common.next"), variant="soft", disabled=~state.has_next,
                      on_click=state.next_page, id=f"{test_id}-next"),
            align="center", justify="center", width="100%",
        ),
    )


def record_list(state: Any, *, test_id: str, columns: Sequence[Column], card: Render,
                count_label: Any, empty: rx.Component, empty_filtered: rx.Component | None = None,
                search_placeholder: str = "", filters: Sequence[Filter] = (),
                extra_filters: Sequence[rx.Component] = (), toolbar: Sequence[rx.Component] = (),
                actions: Sequence[rx.Component] = (), bulk: Sequence[rx.Component] = (),
                row_test_id: Render | None = None, id_key: str = "id",
                above: Sequence[rx.Component] = ()) -> rx.Component:
    """The whole list: ``state`` is a ``ListState`` subclass.

    ``card`` renders one row as a phone card; ``bulk`` are the bulk-action buttons (the rows
    get checkboxes when there are any); ``actions`` sit next to the count (e.g. "Nuevo");
    ``toolbar`` goes next to the search box; ``above`` between the toolbar and the rows
    (e.g. view tabs). ``empty`` shows when there are no rows at all, ``empty_filtered`` when a
    search or filter hides them (default: a "clear filters" prompt).
    """
    selectable = bool(bulk)
    has_panel = bool(filters) or bool(extra_filters)
    search = rx.debounce_input(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder=search_placeholder or t("common.search"),
            value=state.q, on_change=state.search, width="100%", flex="1",
            id=f"{test_id}-search", aria_label=t("common.search"),
        ),
        debounce_timeout=300,
    )
    tools: list[rx.Component] = []
    if has_panel:
        tools.append(rx.button(rx.icon("sliders-horizontal", size=16), t("list.filters"),
                               variant=rx.cond(state.show_filters, "solid", "soft"),
                               on_click=state.toggle_filters, id=f"{test_id}-filters-toggle",
                               aria_expanded=state.show_filters))
    tools.extend(toolbar)
    panel = rx.cond(
        state.show_filters,
        rx.card(
            rx.grid(*[_filter_control(state, f) for f in filters], *extra_filters,
                    columns=rx.breakpoints(initial="1", sm="2", lg="4"), spacing="3",
                    width="100%"),
            width="100%", data_testid=f"{test_id}-filters",
        ),
    ) if has_panel else rx.fragment()
    filtered_empty = empty_filtered if empty_filtered is not None else empty_state(
        "search-x", t("list.empty_filtered"),
        rx.button(t("list.filter.clear"), variant="soft", on_click=state.clear_filters,
                  id=f"{test_id}-empty-clear"),
        test_id=f"{test_id}-empty-filtered")
    body = rx.cond(
        state.total > 0,
        rx.fragment(_table(state, test_id, columns, selectable, row_test_id, id_key),
                    _cards(state, test_id, columns, card, selectable, id_key)),
        rx.cond(state.has_filters, filtered_empty,
                rx.cond(state.loaded, empty,  # not "no records" before the first page came
                        rx.center(rx.spinner(size="3"), padding="var(--space-8)",
                                  width="100%"))),
    )
    return rx.vstack(
        rx.flex(
            rx.cond(state.loaded,
                    rx.text(state.total_text, " ", count_label, size="2", color_scheme="gray",
                            data_testid=f"{test_id}-count")),
            rx.spacer(),
            *actions,
            align="center", width="100%", spacing="2", wrap="wrap",
            id=state._anchor if isinstance(getattr(state, "_anchor", None), str)
            else "list-top",
            # The pager scrolls here: land under the sticky top bar, not behind it.
            scroll_margin_top="calc(var(--space-9) + var(--space-3))",
        ),
        rx.flex(
            rx.box(search, flex="1", width="100%"),
            *([rx.hstack(*tools, spacing="2", align="center", flex_shrink="0", wrap="wrap")]
              if tools else []),
            spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row"),
        ),
        panel,
        _chips(state, test_id),
        *above,
        _bulk_bar(state, bulk) if selectable else rx.fragment(),
        body,
        pager(state, test_id),
        width="100%",
        spacing="3",
    )


def row_card(*children: rx.Component, test_id: Any) -> rx.Component:
    """One record of a list as a card (phones)."""
    return rx.card(rx.vstack(*children, spacing="1", width="100%", min_width="0"), size="1",
                   width="100%", data_testid=test_id)





def view_tabs(state: Any, options: Sequence[tuple[str, str]], *, test_id: str) -> rx.Component:
    """The list's tabs (``ListState.view``): e.g. Activos / Inactivos / Todos, Papelera."""
    return rx.segmented_control.root(
        *[rx.segmented_control.item(text, value=value) for value, text in options],
        value=state.view, on_change=state.set_view, id=f"{test_id}-view", flex_shrink="0")
__all__ = ["Column", "Filter", "pager", "record_list", "row_card", "view_tabs"]
