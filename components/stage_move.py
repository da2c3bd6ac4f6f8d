"""Moving an opportunity between stages: the "Mover a…" menu and the dialog that asks for the
fields a stage requires on entry.

Stateless: ``state`` is any state with ``crm_app.state_mixins.stage_move.StageMoveMixin``.
Hooks: ``move-<id>`` (the menu's button, with ``id_prefix``), ``move-option``,
``move-dialog``, ``move-<field key>``, ``move-submit``, ``move-cancel``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.dialogs import form_dialog
from components.forms import field
from crm_app.i18n import t


def move_menu(state: Any, stages: Any, item: Any, *, id_prefix: str = "move-") -> rx.Component:
    """"Mover a…": the other stages of ``stages`` (a Var list of ``{value, label}`` options)
    for ``item`` (a row or card with ``id`` and ``stage_id``)."""
    return rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(
            rx.button(rx.icon("arrow-right-left", size=14), t("sui.opp.move_to"), size="1",
                      variant="ghost", color_scheme="gray", id=id_prefix + item["id"],
                      loading=state.moving_id == item["id"]),
        ),
        rx.dropdown_menu.content(
            rx.foreach(stages, lambda c: rx.cond(
                c["value"] != item["stage_id"],
                rx.dropdown_menu.item(c["label"],
                                      on_select=state.request_move(item["id"], c["value"]),
                                      data_testid="move-option"))),
        ),
    )


def _select(state: Any, key: Any, html_id: Any, options: Any) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=html_id, width="100%", placeholder=t("sui.common.choose")),
        rx.select.content(rx.foreach(options, lambda o: rx.select.item(
            o["label"], value=o["value"])), position="popper", max_height="50vh"),
        value=state.move_values.get(key, ""),
        on_change=lambda v: state.set_move_value(key, v),
    )


def _control(state: Any, f: Any) -> rx.Component:
    key = f["key"].to(str)
    html_id = "move-" + key
    value = state.move_values.get(key, "")

    def on_change(v: Any) -> Any:
        return state.set_move_value(key, v)

    def text(**props: Any) -> rx.Component:
        return rx.input(value=value, on_change=on_change, id=html_id, width="100%", **props)

    return rx.match(
        f["kind"],
        ("reason", rx.vstack(
            text(),
            rx.flex(rx.foreach(state.move_reasons, lambda r: rx.button(
                r, size="1", variant="soft", color_scheme="gray", type="button",
                on_click=state.set_move_value(key, r))), spacing="1", wrap="wrap"),
            spacing="2", width="100%")),
        ("date", text(placeholder=t("common.date_placeholder"), input_mode="numeric",
                      auto_complete="off", max_length=10)),
        ("number", text(input_mode="decimal", placeholder="0,00")),
        ("textarea", rx.text_area(value=value, on_change=on_change, id=html_id,
                                  width="100%")),
        ("contact", _select(state, key, html_id, state.move_contacts)),
        ("product", _select(state, key, html_id, state.move_products)),
        ("channel", _select(state, key, html_id, state.move_channels)),
        text(),
    )


def move_dialog(state: Any) -> rx.Component:
    """The fields the target stage asks for, with the service's errors under each one."""
    return form_dialog(
        rx.foreach(state.move_fields, lambda f: field(
            f["label"], _control(state, f), html_for="move-" + f["key"].to(str),
            required=True, error=state.move_errors.get(f["key"].to(str), ""))),
        title=state.move_title,
        description=t("sui.move.required_help"),
        open_=state.move_open,
        on_open_change=state.set_move_open,
        submit_label=t("sui.move.confirm"),
        on_submit=state.submit_move,
        saving=state.move_saving,
        test_id="move",
    )


__all__ = ["move_dialog", "move_menu"]
