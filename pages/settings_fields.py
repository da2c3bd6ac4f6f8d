"""/ajustes/campos (admin): custom fields for leads, accounts, contacts and opportunities.

Create (key, label, type, choices), edit the label and choices, reorder, deactivate (values are
kept, so re-activating brings them back) — all through ``services.custom_fields``.
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from components.legacy_leads import (
    PHONE_FULL,
    errors_of,
    labelled,
    message_of,
    option,
    section,
    select_field,
)
from crm_app.db import get_engine
from crm_app.i18n import t
from crm_app.permissions import Perm, PermissionDenied
from crm_app.services import custom_fields as fields_service
from crm_app.services.errors import DomainError
from crm_app.services.spain import fold
from crm_app.state import AppState

ENTITIES = fields_service.ENTITIES
TYPES = fields_service.TYPES


def key_from_label(label: str) -> str:
    """``"Sector de actividad"`` -> ``"sector_de_actividad"`` (a suggestion for the key)."""
    key = re.sub(r"[^a-z0-9]+", "_", fold(label or "")).strip("_")
    if key and not key[0].isalpha():
        key = "c_" + key
    return key[:60]


def _choices(text: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,\n]", text or "") if c.strip()]


class CustomFieldsState(AppState):
    entity: str = "lead"
    fields: list[dict[str, str]] = []
    # create
    create_open: bool = False
    new_label: str = ""
    new_key: str = ""
    new_type: str = "text"
    new_choices: str = ""
    # edit
    edit_open: bool = False
    edit_id: int = 0
    edit_label: str = ""
    edit_type: str = ""
    edit_choices: str = ""
    errors: dict[str, str] = {}
    # deactivate
    off_open: bool = False
    off_id: int = 0
    off_label: str = ""

    def _admin(self, session: Session) -> Any:
        return self._require_user(session, Perm.SETTINGS_CHANGE)

    def _fill(self, session: Session, user: Any) -> None:
        rows = fields_service.list_fields(session=session, actor=user, entity=self.entity,
                                          include_inactive=True)
        rows.sort(key=lambda d: (not d.active, d.position, d.id))
        active = [d for d in rows if d.active]
        self.fields = [{
            "id": str(d.id), "key": d.key, "label": d.label, "type": d.type,
            "type_label": t(f"leads.custom.type.{d.type}"),
            "choices": ", ".join(d.choices or []), "active": "1" if d.active else "",
            "first": "1" if active and d.id == active[0].id else "",
            "last": "1" if active and d.id == active[-1].id else "",
        } for d in rows]

    @rx.event
    def load(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            self._fill(session, user)
        return None

    @rx.event
    def set_entity(self, value: str | list[str]) -> Any:
        if isinstance(value, str) and value in ENTITIES:
            self.entity = value
        return self.load()

    # --- create --------------------------------------------------------------------------

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open = value
        if value:
            self.new_label = self.new_key = self.new_choices = ""
            self.new_type, self.errors = "text", {}

    @rx.event
    def set_new_label(self, value: str) -> None:
        suggested = key_from_label(self.new_label)
        if not self.new_key or self.new_key == suggested:
            self.new_key = key_from_label(value)
        self.new_label = value

    @rx.event
    def set_new_key(self, value: str) -> None:
        self.new_key = value

    @rx.event
    def set_new_type(self, value: str) -> None:
        if value in TYPES:
            self.new_type = value

    @rx.event
    def set_new_choices(self, value: str) -> None:
        self.new_choices = value

    @rx.event
    def create(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
                defn = fields_service.create_field(
                    session=session, actor=user, entity=self.entity, key=self.new_key,
                    label=self.new_label, type=self.new_type,
                    choices=_choices(self.new_choices))
                self._fill(session, user)
            except (DomainError, PermissionDenied) as exc:
                self.errors = errors_of(exc)
                return None
        self.create_open = False
        return rx.toast.success(t("fields_ui.created", label=defn.label))

    # --- edit ----------------------------------------------------------------------------

    @rx.event
    def open_edit(self, field_id: str) -> None:
        row = next((f for f in self.fields if f["id"] == field_id), None)
        if row is None:
            return
        self.edit_id, self.edit_label = int(field_id), row["label"]
        self.edit_type, self.edit_choices = row["type"], row["choices"]
        self.errors, self.edit_open = {}, True

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        self.edit_open = value

    @rx.event
    def set_edit_label(self, value: str) -> None:
        self.edit_label = value

    @rx.event
    def set_edit_choices(self, value: str) -> None:
        self.edit_choices = value

    @rx.event
    def save_edit(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
                fields_service.update_field(
                    session=session, actor=user, field_id=self.edit_id, label=self.edit_label,
                    choices=_choices(self.edit_choices) if self.edit_type == "choice" else None)
                self._fill(session, user)
            except (DomainError, PermissionDenied) as exc:
                self.errors = errors_of(exc)
                return None
        self.edit_open = False
        return rx.toast.success(t("fields_ui.saved"))

    # --- order and active ------------------------------------------------------------------

    @rx.event
    def move(self, field_id: str, delta: int) -> Any:
        active = [f for f in self.fields if f["active"]]
        ids = [int(f["id"]) for f in active]
        if not field_id.isdigit() or int(field_id) not in ids:
            return None
        i = ids.index(int(field_id))
        j = i + delta
        if not 0 <= j < len(ids):
            return None
        ids[i], ids[j] = ids[j], ids[i]
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
                for position, fid in enumerate(ids):
                    fields_service.update_field(session=session, actor=user, field_id=fid,
                                                position=position)
                self._fill(session, user)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        return None

    @rx.event
    def ask_off(self, field_id: str) -> None:
        row = next((f for f in self.fields if f["id"] == field_id), None)
        if row is not None:
            self.off_id, self.off_label, self.off_open = int(field_id), row["label"], True

    @rx.event
    def set_off_open(self, value: bool) -> None:
        self.off_open = value

    @rx.event
    def deactivate(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
                fields_service.delete_field(session=session, actor=user, field_id=self.off_id)
                self._fill(session, user)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        self.off_open = False
        return rx.toast.success(t("fields_ui.deactivated", label=self.off_label),
                                action={"label": t("lead_ui.undo"),
                                        "on_click": CustomFieldsState.reactivate(
                                            str(self.off_id))})

    @rx.event
    def reactivate(self, field_id: str) -> Any:
        if not str(field_id).isdigit():
            return None
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
                fields_service.update_field(session=session, actor=user, field_id=int(field_id),
                                            active=True)
                self._fill(session, user)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        return rx.toast.success(t("fields_ui.reactivated"))


C = CustomFieldsState


def _field_row(f: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.cond(f["active"] == "1",
                    rx.vstack(
                        rx.icon_button(rx.icon("chevron-up", size=14), size="1", variant="ghost",
                                       disabled=f["first"] == "1", on_click=C.move(f["id"], -1),
                                       aria_label=t("fields_ui.up")),
                        rx.icon_button(rx.icon("chevron-down", size=14), size="1",
                                       variant="ghost", disabled=f["last"] == "1",
                                       on_click=C.move(f["id"], 1),
                                       aria_label=t("fields_ui.down")),
                        spacing="1"),
                    rx.box(width="24px")),
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
                rx.cond(f["active"] == "1",
                        rx.icon_button(rx.icon("eye-off", size=16), variant="soft",
                                       color_scheme="red", on_click=C.ask_off(f["id"]),
                                       aria_label=t("fields_ui.deactivate"),
                                       data_testid="field-off-" + f["key"].to(str)),
                        rx.icon_button(rx.icon("eye", size=16), variant="soft",
                                       on_click=C.reactivate(f["id"]),
                                       aria_label=t("fields_ui.reactivate"),
                                       data_testid="field-on-" + f["key"].to(str))),
                spacing="2",
            ),
            spacing="3", align="center", width="100%",
        ),
        width="100%",
        opacity=rx.cond(f["active"] == "1", "1", "0.6"),
        data_testid="field-" + f["key"].to(str),
    )


def _create_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16), t("fields_ui.add"),
                                    id="fields-add")),
        rx.dialog.content(
            rx.dialog.title(t("fields_ui.add")),
            rx.vstack(
                labelled(t("fields_ui.label"),
                         rx.input(value=C.new_label, on_change=C.set_new_label,
                                  id="field-label", width="100%"),
                         html_for="field-label", required=True,
                         error=C.errors.get("label", "")),
                labelled(t("fields_ui.key"),
                         rx.input(value=C.new_key, on_change=C.set_new_key, id="field-key",
                                  width="100%", font_family="monospace"),
                         html_for="field-key", required=True, error=C.errors.get("key", ""),
                         hint=rx.text(t("fields_ui.key_help"), size="1", color_scheme="gray")),
                labelled(t("fields_ui.type"),
                         select_field(C.new_type, [option(x, t(f"leads.custom.type.{x}"))
                                                   for x in TYPES],
                                      C.set_new_type, id_="field-type"),
                         html_for="field-type", required=True, error=C.errors.get("type", "")),
                rx.cond(C.new_type == "choice",
                        labelled(t("fields_ui.choices"),
                                 rx.text_area(value=C.new_choices, on_change=C.set_new_choices,
                                              id="field-choices", width="100%",
                                              placeholder=t("fields_ui.choices_hint")),
                                 html_for="field-choices", required=True,
                                 error=C.errors.get("choices", ""))),
                rx.cond(C.errors.get("_", "") != "",
                        rx.callout(C.errors.get("_", ""), color_scheme="red",
                                   icon="triangle-alert", width="100%", role="alert")),
                rx.flex(
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                              color_scheme="gray", width=PHONE_FULL)),
                    rx.button(t("fields_ui.create"), on_click=C.create, id="field-create",
                              width=PHONE_FULL),
                    spacing="2", justify="end", width="100%",
                    direction=rx.breakpoints(initial="column-reverse", xs="row"),
                ),
                spacing="3", margin_top="var(--space-3)",
            ),
            max_width="480px",
        ),
        open=C.create_open, on_open_change=C.set_create_open,
    )


def _edit_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("fields_ui.edit")),
            rx.dialog.description(t("fields_ui.edit_help"), size="2"),
            rx.vstack(
                labelled(t("fields_ui.label"),
                         rx.input(value=C.edit_label, on_change=C.set_edit_label,
                                  id="field-edit-label", width="100%"),
                         html_for="field-edit-label", required=True,
                         error=C.errors.get("label", "")),
                rx.cond(C.edit_type == "choice",
                        labelled(t("fields_ui.choices"),
                                 rx.text_area(value=C.edit_choices,
                                              on_change=C.set_edit_choices,
                                              id="field-edit-choices", width="100%"),
                                 html_for="field-edit-choices", required=True,
                                 error=C.errors.get("choices", ""))),
                rx.flex(
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                              color_scheme="gray", width=PHONE_FULL)),
                    rx.button(t("common.save"), on_click=C.save_edit, id="field-edit-save",
                              width=PHONE_FULL),
                    spacing="2", justify="end", width="100%",
                    direction=rx.breakpoints(initial="column-reverse", xs="row"),
                ),
                spacing="3", margin_top="var(--space-3)",
            ),
            max_width="480px",
        ),
        open=C.edit_open, on_open_change=C.set_edit_open,
    )


def _off_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("fields_ui.off_title"), " «", C.off_label, "»"),
            rx.alert_dialog.description(t("fields_ui.off_help"), size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                 color_scheme="gray")),
                rx.button(t("fields_ui.deactivate"), color_scheme="red", on_click=C.deactivate,
                          id="field-off-confirm"),
                justify="end", width="100%", margin_top="var(--space-3)",
            ),
            max_width="440px",
        ),
        open=C.off_open, on_open_change=C.set_off_open,
    )


def fields_page() -> rx.Component:
    return shell(
        rx.hstack(rx.link(rx.button(rx.icon("arrow-left", size=16), t("nav.settings"),
                                    variant="ghost"), href="/ajustes"),
                  width="100%"),
        section(
            t("fields_ui.title"),
            rx.text(t("fields_ui.help"), size="2", color_scheme="gray"),
            rx.flex(
                rx.segmented_control.root(
                    *[rx.segmented_control.item(t(f"fields_ui.entity.{e}"), value=e)
                      for e in ENTITIES],
                    value=C.entity, on_change=C.set_entity, id="fields-entity",
                    display=rx.breakpoints(initial="none", sm="inline-grid"),
                ),
                rx.box(select_field(C.entity, [option(e, t(f"fields_ui.entity.{e}"))
                                               for e in ENTITIES],
                                    C.set_entity, id_="fields-entity-select",
                                    aria_label=t("fields_ui.entity")),
                       display=rx.breakpoints(initial="block", sm="none"), width="100%"),
                rx.spacer(),
                _create_dialog(),
                spacing="2", wrap="wrap", align="center", width="100%",
            ),
            rx.cond(C.fields.length() > 0,
                    rx.vstack(rx.foreach(C.fields, _field_row), spacing="2", width="100%"),
                    rx.text(t("fields_ui.none"), size="2", color_scheme="gray",
                            data_testid="fields-empty")),
            test_id="fields-list",
        ),
        _edit_dialog(),
        _off_dialog(),
        title=t("fields_ui.title"),
        active="/ajustes",
    )
