"""The board of /oportunidades: a column per stage (count, amount, weighted, what the stage
asks for), cards dragged between columns on desktops, "Mover a…" on every card, and on phones
one column at a time with a chip per stage to jump to it."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex_base.vars.function import FunctionStringVar, FunctionVar
from reflex_base.vars.object import ObjectVar

from components.badges import alert_mark
from components.drag import drag_box
from components.forms import NONE, choice, with_all
from components.stage_move import move_menu
from crm_app.i18n import t
from pages.opportunities.board_state import OpportunitiesState as S
from pages.opportunities.rows import channel_options

ACCENT = (("won", "green"), ("lost", "red"), "indigo")


def _card(card: rx.Var) -> rx.Component:
    return drag_box(
        rx.vstack(
            rx.hstack(
                rx.link(card["name"], href=card["href"], weight="medium", size="2",
                        draggable=False, style={"overflowWrap": "anywhere"}),
                rx.spacer(), alert_mark(card["alert"]), width="100%", align="start"),
            rx.cond(card["account"], rx.text(card["account"], size="1", color_scheme="gray",
                                             style={"overflowWrap": "anywhere"})),
            rx.hstack(
                rx.text(card["amount"], size="2", weight="bold", white_space="nowrap"),
                rx.spacer(),
                rx.cond(card["stale"], rx.tooltip(
                    rx.badge(rx.icon("clock", size=12), t("sui.opp.stale"),
                             color_scheme="orange", variant="soft", data_testid="stale-badge"),
                    content=card["stale_text"])),
                width="100%", align="center"),
            rx.hstack(
                rx.text(card["owner"], size="1", color_scheme="gray"),
                rx.spacer(),
                rx.text(card["when"], size="1", color_scheme="gray"),
                width="100%"),
            rx.box(move_menu(S, S.stage_options, card), align_self="end"),
            spacing="1",
            width="100%",
            min_width="0",
        ),
        draggable=True,
        on_drag_start=S.drag_start(card["id"]),
        on_drag_end=S.drag_end,
        id="card-" + card["id"],
        data_testid="kanban-card",
        # Every card takes the column's full width (at 390 px they used to follow their text).
        style={"width": "100%", "boxSizing": "border-box", "minWidth": "0",
               "background": "var(--color-panel-solid)", "borderRadius": "var(--radius-3)",
               "padding": "var(--space-3)", "border": f"1px solid {rx.color('gray', 5)}",
               "cursor": "grab", "boxShadow": "var(--shadow-1)"},
    )


def _column_head(col: rx.Var) -> rx.Component:
    accent = rx.match(col["kind"], *ACCENT)
    return rx.vstack(
        rx.hstack(
            rx.box(width="8px", height="8px", border_radius="9999px",
                   background=rx.color(accent, 9), flex_shrink="0"),
            rx.text(col["name"], weight="bold", size="2"),
            rx.badge(col["count"], variant="soft", color_scheme="gray", radius="full",
                     data_testid="column-count"),
            rx.spacer(),
            rx.text(col["probability"], size="1", color_scheme="gray"),
            align="center", width="100%", spacing="2"),
        rx.hstack(
            rx.text(col["amount"], size="1", weight="medium", data_testid="column-amount"),
            rx.text("·", size="1", color_scheme="gray"),
            rx.text(t("sui.opp.weighted"), " ", col["weighted"], size="1",
                    color_scheme="gray", data_testid="column-weighted"),
            spacing="1", wrap="wrap"),
        rx.cond(col["required"], rx.text(t("sui.opp.asks"), " ", col["required"], size="1",
                                         color_scheme="gray")),
        spacing="1",
        width="100%",
        padding_bottom="var(--space-2)",
        border_bottom=f"2px solid {rx.color(accent, 8)}",
    )


def _column(col: rx.Var) -> rx.Component:
    return drag_box(
        rx.vstack(
            _column_head(col),
            rx.foreach(S.cards, lambda card: rx.cond(card["stage_id"] == col["stage_id"],
                                                      _card(card))),
            rx.cond(col["count"] == "0",
                    rx.text(t("sui.opp.column_empty"), size="1", color_scheme="gray",
                            padding_y="var(--space-3)", text_align="center", width="100%")),
            rx.cond(col["more"], rx.button(t("sui.opp.see_all"), size="1", variant="ghost",
                                           on_click=S.show_stage(col["stage_id"]),
                                           id="column-more-" + col["stage_id"])),
            spacing="2",
            width="100%",
            align="stretch",
        ),
        on_drag_over=rx.prevent_default,
        on_drop=S.drop_on(col["stage_id"]).prevent_default,
        id="kanban-col-" + col["stage_id"],
        data_testid="kanban-column",
        data_stage=col["name"],
        data_kind=col["kind"],
        width=rx.breakpoints(initial="84vw", sm="280px"),
        style={
            "flex": "0 0 auto",
            "maxWidth": "320px",
            "boxSizing": "border-box",
            "scrollSnapAlign": "start",
            "background": rx.color("gray", 2),
            "borderRadius": "var(--radius-4)",
            "padding": "var(--space-3)",
            "outline": rx.cond(S.dragging, f"2px dashed {rx.color('accent', 7)}", "none"),
            "outlineOffset": "-2px",
            "minHeight": "200px",
        },
    )


def _scroll_to_column(stage_id: rx.Var) -> Any:
    """Bring a column into view inside the board (phones: the stage chips)."""
    element = FunctionStringVar.create("document.getElementById").call(
        "kanban-col-" + stage_id).to(ObjectVar)
    return rx.run_script(element.scrollIntoView.to(FunctionVar).call(
        {"behavior": "smooth", "block": "nearest", "inline": "start"}))


def _stage_chips() -> rx.Component:
    """Phones see one column at a time: a chip per stage (with its count) jumps to it."""
    return rx.mobile_and_tablet(rx.box(
        rx.hstack(rx.foreach(S.columns, lambda c: rx.button(
            c["name"], rx.badge(c["count"], variant="solid", radius="full", size="1",
                                color_scheme=rx.match(c["kind"], *ACCENT)),
            size="1", variant="soft", color_scheme="gray", white_space="nowrap",
            on_click=_scroll_to_column(c["stage_id"]), id="chip-" + c["stage_id"],
            data_testid="stage-chip")), spacing="1", width="max-content"),
        overflow_x="auto", width="100%", padding_bottom="var(--space-1)"), width="100%")


def _filter(name: str, all_label: str, options: Any) -> rx.Component:
    return choice(with_all(options, all_label),
                  value=rx.cond(S.filters.get(name, "") != "", S.filters.get(name, ""),
                                NONE),
                  on_change=lambda v: S.set_filter(name, v), id=f"opps-filter-{name}",
                  aria_label=all_label)


def _toolbar() -> rx.Component:
    return rx.grid(
        rx.box(rx.debounce_input(rx.input(
            rx.input.slot(rx.icon("search", size=16)), placeholder=t("sui.opp.search"),
            value=S.q, on_change=S.search, width="100%", id="kanban-search",
            aria_label=t("common.search")), debounce_timeout=300),
            grid_column=rx.breakpoints(initial="1 / -1", md="auto")),
        rx.cond(S.user_scope != "own",
                _filter("owner_id", t("sui.filter.all_owners"), S.owners)),
        _filter("channel", t("sui.filter.all_channels"), channel_options()),
        rx.cond(S.has_filters, rx.button(rx.icon("x", size=14), t("sui.filter.clear"),
                                         variant="ghost", on_click=S.clear_filters,
                                         id="kanban-clear-filters")),
        columns=rx.breakpoints(initial="2", md="4"), spacing="2", width="100%",
    )


def board() -> rx.Component:
    return rx.vstack(
        _toolbar(),
        _stage_chips(),
        rx.flex(
            rx.text(t("sui.opp.open_total"), " ", S.totals["count"], size="2", weight="medium"),
            rx.text(t("sui.opp.amount"), " ", S.totals["amount"], size="2",
                    color_scheme="gray"),
            rx.text(t("sui.opp.weighted"), " ", S.totals["weighted"], size="2",
                    color_scheme="gray"),
            spacing="3", wrap="wrap", data_testid="kanban-totals"),
        rx.box(
            rx.hstack(rx.foreach(S.columns, _column), spacing="3", align="start",
                      width="max-content"),
            overflow_x="auto",
            width="100%",
            padding_bottom="var(--space-3)",
            style={"scrollSnapType": "x proximity", "WebkitOverflowScrolling": "touch"},
            data_testid="kanban",
        ),
        rx.cond(S.closed_note != "", rx.text(S.closed_note, size="1", color_scheme="gray")),
        rx.text(t("sui.opp.drag_help"), size="1", color_scheme="gray"),
        spacing="3",
        width="100%",
    )


__all__ = ["board"]
