"""Building blocks of the sales screens (customers, opportunities, quotes, catalog, pipelines).

Stateless: every function takes the state's vars and event handlers it shows. ``DragBox``
now lives in ``components.drag`` (re-exported here until this old kit goes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import reflex as rx

from components.drag import DragBox, drag_box
from components.empty_state import empty_state
from crm_app.i18n import t

PHONE_FULL = rx.breakpoints(initial="100%", sm="auto")


def label(text: str, html_for: str = "", *, required: bool = False) -> rx.Component:
    mark = [rx.text.span(" *", color=rx.color("red", 10), aria_hidden="true")] if required \
        else []
    return rx.el.label(
        text,
        *mark,
        html_for=html_for or None,
        style={"fontWeight": "500", "fontSize": "var(--font-size-2)"},
    )


def form_field(text: str, control: rx.Component, *, html_for: str = "", required: bool = False,
               error: Any = None, hint: str = "", grow: bool = True) -> rx.Component:
    """A labelled control with its inline Spanish error (``error`` is a Var or ``None``)."""
    parts: list[rx.Component] = [label(text, html_for, required=required), control]
    if hint:
        parts.append(rx.text(hint, size="1", color_scheme="gray"))
    if error is not None:
        parts.append(rx.cond(error, rx.text(error, size="1", color_scheme="red", role="alert",
                                            data_testid=f"error-{html_for or 'field'}")))
    return rx.vstack(*parts, spacing="1", width="100%" if grow else "auto", min_width="0")


def text_input(name: str, *, default: Any = "", type_: str = "text", placeholder: str = "",
               **props: Any) -> rx.Component:
    """An uncontrolled input for ``rx.el.form`` (id = name, so the label points at it)."""
    return rx.input(name=name, id=props.pop("id", name), default_value=default, type=type_,
                    placeholder=placeholder, width="100%", **props)


def choice(options: Sequence[tuple[str, str]] | rx.Var, *, value: Any = None,
           default_value: Any = None, on_change: Any = None, name: str | None = None,
           id: str, aria_label: str = "", placeholder: str = "",
           width: Any = "100%", size: str = "2", disabled: Any = False) -> rx.Component:
    """A Radix select. ``options`` are (value, label) pairs or a Var list of dicts with
    ``value``/``label``. Radix refuses empty item values: use ``"_"`` for "none/all"."""
    if isinstance(options, rx.Var):
        items = rx.foreach(options, lambda o: rx.select.item(
            o["label"].to(str), value=o["value"].to(str)))
    else:
        items = rx.fragment(*[rx.select.item(lbl, value=val) for val, lbl in options])
    root_props: dict[str, Any] = {"size": size}
    if value is not None:
        root_props["value"] = value
    if default_value is not None:
        root_props["default_value"] = default_value
    if on_change is not None:
        root_props["on_change"] = on_change
    if name:
        root_props["name"] = name
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=id, aria_label=aria_label or None,
                          width=width),
        rx.select.content(items, position="popper", max_height="60vh"),
        disabled=disabled,
        **root_props,
    )


def form_actions(primary: rx.Component, *secondary: rx.Component) -> rx.Component:
    """Buttons of a form: primary on the right on desktop, at the bottom on phones."""
    return rx.flex(*secondary, primary, direction=rx.breakpoints(initial="column", sm="row"),
                   justify="end", spacing="2", width="100%", padding_top="var(--space-2)")


def confirm(trigger: rx.Component, *, title: str, description: Any, confirm_label: str,
            on_confirm: Any, test_id: str, color: str = "red") -> rx.Component:
    """A destructive or final action that asks first."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            rx.flex(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                 color_scheme="gray", width=PHONE_FULL,
                                                 id=f"{test_id}-cancel")),
                rx.alert_dialog.action(rx.button(confirm_label, color_scheme=color,
                                                 on_click=on_confirm, width=PHONE_FULL,
                                                 id=f"{test_id}-confirm")),
                direction=rx.breakpoints(initial="column", sm="row"),
                spacing="2",
                justify="end",
                margin_top="var(--space-4)",
            ),
            max_width="440px",
            data_testid=f"{test_id}-dialog",
        ),
    )


def section(title: str, *children: rx.Component, actions: Sequence[rx.Component] = (),
            test_id: str, icon: str = "") -> rx.Component:
    """A titled card of a detail page."""
    head: list[rx.Component] = []
    if icon:
        head.append(rx.icon(icon, size=18, color=rx.color("accent", 10)))
    head.append(rx.heading(title, size="4"))
    return rx.card(
        rx.vstack(
            rx.hstack(*head, rx.spacer(), *actions, align="center", width="100%", spacing="2",
                      wrap="wrap"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
        min_width="0",
        data_testid=test_id,
    )


def empty_note(icon: str, message: str, test_id: str) -> rx.Component:
    """The empty state of a section: small, says what is missing, never a fake."""
    return rx.hstack(
        rx.box(rx.icon(icon, size=18, color=rx.color("accent", 9)),
               background=rx.color("accent", 3), padding="var(--space-2)",
               border_radius="9999px", display="flex"),
        rx.text(message, size="2", color_scheme="gray"),
        align="center",
        spacing="3",
        padding_y="var(--space-2)",
        data_testid=test_id,
    )


def info(label_text: str, value: Any, test_id: str = "") -> rx.Component:
    """A read-only label/value pair."""
    return rx.vstack(
        rx.text(label_text, size="1", color_scheme="gray"),
        rx.text(rx.cond(value, value, "—"), size="2", data_testid=test_id or None,
                style={"overflowWrap": "anywhere"}),
        spacing="0",
        min_width="0",
    )


def status_badge(status: Any, text: Any) -> rx.Component:
    return rx.badge(
        text,
        color_scheme=rx.match(status, ("aceptado", "green"), ("won", "green"),
                              ("enviado", "blue"), ("rechazado", "red"), ("lost", "red"),
                              ("caducado", "orange"), "gray"),
        variant="soft",
    )


def paged_table(state: type, headers: Sequence[tuple[str, Any, bool]],
                row: Callable[[rx.Var], rx.Component], *, count_label: Any, test_id: str,
                empty: rx.Component, toolbar: Sequence[rx.Component] = (),
                filters: Sequence[rx.Component] = (), search_placeholder: str = "",
                card: Callable[[rx.Var], rx.Component] | None = None) -> rx.Component:
    """A server-paginated table over a ``ListMixin`` state, with any cells per row.

    ``headers`` are (sort key, label, sortable); rows are rendered by ``row`` (a ``table.row``).
    With ``card``, phones get one card per row instead of the table (and a sort menu);
    otherwise the table scrolls inside its own box. The page never scrolls sideways.
    """

    def header(key: str, text: str, sortable: bool) -> rx.Component:
        if not sortable:
            return rx.table.column_header_cell(text, white_space="nowrap")
        return rx.table.column_header_cell(
            rx.button(
                text,
                rx.cond(state.sort == key,
                        rx.cond(state.desc, rx.icon("arrow-down", size=14),
                                rx.icon("arrow-up", size=14))),
                variant="ghost", size="1", color_scheme="gray", high_contrast=True,
                on_click=state.sort_by(key), id=f"{test_id}-sort-{key}",
                white_space="nowrap", style={"fontWeight": "bold"},
            ),
        )

    table = rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[header(k, lbl, s) for k, lbl, s in headers])),
            rx.table.body(rx.foreach(state.rows, row)),
            variant="surface",
            size="2",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
        data_testid=f"{test_id}-table",
    )
    if card is not None:
        sortable = [(k, lbl) for k, lbl, srt in headers if srt]
        cards = rx.vstack(
            rx.hstack(
                rx.text(t("sui.common.sort_by"), size="1", color_scheme="gray"),
                *[rx.button(lbl, rx.cond(state.sort == k, rx.cond(
                    state.desc, rx.icon("arrow-down", size=12), rx.icon("arrow-up", size=12))),
                    size="1", variant=rx.cond(state.sort == k, "soft", "ghost"),
                    color_scheme="gray", on_click=state.sort_by(k))
                  for k, lbl in sortable],
                spacing="1", wrap="wrap", align="center"),
            rx.foreach(state.rows, card),
            spacing="2",
            width="100%",
            data_testid=f"{test_id}-cards",
        )
        table = rx.fragment(rx.mobile_only(cards, width="100%"),
                            rx.tablet_and_desktop(table, width="100%"))
    return rx.vstack(
        rx.flex(
            rx.box(
                rx.debounce_input(
                    rx.input(
                        rx.input.slot(rx.icon("search", size=16)),
                        placeholder=search_placeholder or t("common.search"),
                        value=state.q,
                        on_change=state.search,
                        width="100%",
                        id=f"{test_id}-search",
                        aria_label=t("common.search"),
                    ),
                    debounce_timeout=300,
                ),
                flex_grow="1",
                width="100%",
            ),
            *toolbar,
            spacing="2",
            width="100%",
            direction=rx.breakpoints(initial="column", sm="row"),
        ),
        rx.cond(len(filters) > 0, rx.flex(*filters, spacing="2", wrap="wrap", width="100%",
                                          align="center")) if filters else rx.fragment(),
        rx.hstack(
            rx.cond(state.loading, rx.spinner(size="1")),
            rx.text(state.total_text + " " + count_label, size="2", color_scheme="gray",
                    data_testid=f"{test_id}-count"),
            align="center",
            spacing="2",
        ),
        rx.cond(state.total > 0, table, empty),
        rx.cond(
            state.total > state.page_size,
            rx.hstack(
                rx.button(t("common.prev"), variant="soft", disabled=~state.has_prev,
                          on_click=state.prev_page, id=f"{test_id}-prev"),
                rx.text(t("common.page"), " ", state.page, " ", t("common.of"), " ",
                        state.pages, size="2"),
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


def row_card(*children: rx.Component, test_id: str) -> rx.Component:
    """One record of a list as a card (phones)."""
    return rx.card(rx.vstack(*children, spacing="1", width="100%"), size="1", width="100%",
                   data_testid=test_id)


def big_empty(icon: str, message: str, *actions: rx.Component, test_id: str) -> rx.Component:
    return empty_state(icon, message, *actions, test_id=test_id)


def link_button(text: str, href: Any, *, icon: str = "", id: str, variant: str = "solid",
                external: bool = False, **props: Any) -> rx.Component:
    """A link that looks like a button (real ``<a>``: opens in a new tab with the keyboard)."""
    children: list[Any] = []
    if icon:
        children.append(rx.icon(icon, size=16))
    children.append(text)
    if external:
        anchor = rx.el.a(*children, href=href, id=id, target="_blank", rel="noopener")
    else:
        anchor = rx.link(*children, href=href, id=id, underline="none")
    return rx.button(anchor, as_child=True, variant=variant, **props)


__all__ = ["PHONE_FULL", "DragBox", "big_empty", "choice", "confirm", "drag_box", "empty_note",
           "form_actions", "form_field", "info", "label", "link_button", "paged_table", "row_card",
           "section", "status_badge", "text_input"]
