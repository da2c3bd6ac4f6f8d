"""/ajustes/campos: the custom fields of one entity, their dialogs and the order buttons."""

from __future__ import annotations

import reflex as rx

from components.dialogs import confirm, form_dialog
from components.empty_state import listing
from components.forms import choice, field, form_error, section
from components.layout import shell
from crm_app.i18n import t
from pages.settings.common import back_to_settings
from pages.settings.fields_state import ENTITIES, TYPES
from pages.settings.fields_state import CustomFieldsState as C

ENTITY_OPTIONS = [(e, t(f"fields_ui.entity.{e}")) for e in ENTITIES]
TYPE_OPTIONS = [(x, t(f"leads.custom.type.{x}")) for x in TYPES]


def _order_buttons(f: rx.Var) -> rx.Component:
    return rx.cond(
        f["active"] == "1",
        rx.vstack(
            rx.icon_button(rx.icon("chevron-up", size=14), size="1", variant="ghost",
                           disabled=f["first"] == "1", on_click=C.move(f["id"], -1),
                           aria_label=t("fields_ui.up")),
            rx.icon_button(rx.icon("chevron-down", size=14), size="1", variant="ghost",
                           disabled=f["last"] == "1", on_click=C.move(f["id"], 1),
                           aria_label=t("fields_ui.down")),
            spacing="1"),
        rx.box(width="24px"))


def _on_off(f: rx.Var) -> rx.Component:
    return rx.cond(
        f["active"] == "1",
        confirm(rx.icon_button(rx.icon("eye-off", size=16), variant="soft", color_scheme="red",
                               aria_label=t("fields_ui.deactivate"),
                               data_testid="field-off-" + f["key"].to(str)),
                title=t("fields_ui.off_title") + " «" + f["label"].to(str) + "»",
                description=t("fields_ui.off_help"), confirm_label=t("fields_ui.deactivate"),
                on_confirm=C.deactivate(f["id"]), test_id="field-off"),
        rx.icon_button(rx.icon("eye", size=16), variant="soft", on_click=C.reactivate(f["id"]),
                       aria_label=t("fields_ui.reactivate"),
                       data_testid="field-on-" + f["key"].to(str)))


def _field_row(f: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            _order_buttons(f),
            rx.vstack(
                rx.hstack(rx.text(f["label"], weight="medium"),
                          rx.badge(f["type_label"], variant="soft"),
                          rx.cond(f["active"] != "1", rx.badge(t("fields_ui.inactive"),
                                                               color_scheme="gray")),
                          spacing="2", align="center", wrap="wrap"),
                rx.code(f["key"], size="1"),
                rx.cond(f["choices"] != "", rx.text(f["choices"], size="1",
                                                    color_scheme="gray")),
                spacing="1", min_width="0", flex="1",
            ),
            rx.hstack(
                rx.icon_button(rx.icon("pencil", size=16), variant="soft",
                               on_click=C.open_edit(f["id"]), aria_label=t("common.edit"),
                               data_testid="field-edit-" + f["key"].to(str)),
                _on_off(f),
                spacing="2",
            ),
            spacing="3", align="center", width="100%",
        ),
        width="100%",
        opacity=rx.cond(f["active"] == "1", "1", "0.6"),
        data_testid="field-" + f["key"].to(str),
    )


def _label_input(value: rx.Var, on_change: rx.EventHandler, html_id: str) -> rx.Component:
    return field(t("fields_ui.label"),
                 rx.input(value=value, on_change=on_change, id=html_id, width="100%"),
                 html_for=html_id, required=True, error=C.errors.get("label", ""))


def _choices_input(value: rx.Var, on_change: rx.EventHandler, html_id: str) -> rx.Component:
    return field(t("fields_ui.choices"),
                 rx.text_area(value=value, on_change=on_change, id=html_id, width="100%",
                              placeholder=t("fields_ui.choices_hint")),
                 html_for=html_id, required=True, error=C.errors.get("choices", ""))


def _create_dialog() -> rx.Component:
    return form_dialog(
        _label_input(C.new_label, C.set_new_label, "field-label"),
        field(t("fields_ui.key"),
              rx.input(value=C.new_key, on_change=C.set_new_key, id="field-key", width="100%",
                       font_family="monospace"),
              html_for="field-key", required=True, error=C.errors.get("key", ""),
              hint=t("fields_ui.key_help")),
        field(t("fields_ui.type"),
              choice(TYPE_OPTIONS, value=C.new_type, on_change=C.set_new_type,
                     id="field-type"),
              html_for="field-type", required=True, error=C.errors.get("type", "")),
        rx.cond(C.new_type == "choice",
                _choices_input(C.new_choices, C.set_new_choices, "field-choices")),
        form_error(C.errors),
        title=t("fields_ui.add"), open_=C.create_open, on_open_change=C.set_create_open,
        submit_label=t("fields_ui.create"), on_submit=C.create, test_id="field-create",
        trigger=rx.button(rx.icon("plus", size=16), t("fields_ui.add"), id="fields-add"),
    )


def _edit_dialog() -> rx.Component:
    return form_dialog(
        _label_input(C.edit_label, C.set_edit_label, "field-edit-label"),
        rx.cond(C.edit_type == "choice",
                _choices_input(C.edit_choices, C.set_edit_choices, "field-edit-choices")),
        form_error(C.errors),
        title=t("fields_ui.edit"), description=t("fields_ui.edit_help"), open_=C.edit_open,
        on_open_change=C.set_edit_open, submit_label=t("common.save"), on_submit=C.save_edit,
        test_id="field-edit",
    )


def _entity_picker() -> rx.Component:
    """Tabs on wider screens, a select on phones (four tabs do not fit in 390 px)."""
    return rx.fragment(
        rx.segmented_control.root(
            *[rx.segmented_control.item(label, value=e) for e, label in ENTITY_OPTIONS],
            value=C.entity, on_change=C.set_entity, id="fields-entity",
            display=rx.breakpoints(initial="none", sm="inline-grid"),
        ),
        rx.box(choice(ENTITY_OPTIONS, value=C.entity, on_change=C.set_entity,
                      id="fields-entity-select", aria_label=t("fields_ui.entity")),
               display=rx.breakpoints(initial="block", sm="none"), width="100%"),
    )


def fields_page() -> rx.Component:
    return shell(
        back_to_settings(),
        section(
            t("fields_ui.title"),
            rx.text(t("fields_ui.help"), size="2", color_scheme="gray"),
            rx.flex(_entity_picker(), rx.spacer(), _create_dialog(),
                    spacing="2", wrap="wrap", align="center", width="100%"),
            listing(C.fields, _field_row, t("fields_ui.none"), empty_id="fields-empty",
                    spacing="2"),
            test_id="fields-list",
        ),
        _edit_dialog(),
        title=t("fields_ui.title"),
        active="/ajustes",
    )


__all__ = ["fields_page"]
