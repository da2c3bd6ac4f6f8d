"""/ajustes/campos (admin): custom fields for leads, accounts, contacts and opportunities.

Create (key, label, type, choices), edit the label and choices, reorder, deactivate (values are
kept, so re-activating brings them back): every rule and every write is
``services.custom_fields``; this state only holds what the screen shows.
"""

from __future__ import annotations

import re
from typing import Any

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import custom_fields as fields_service
from crm_app.services.links import as_id
from crm_app.state import AppState, Ctx, handler, setter

ENTITIES = fields_service.ENTITIES
TYPES = fields_service.TYPES


def choices_of(text: str) -> list[str]:
    """The options typed one per line or separated by commas."""
    return [c.strip() for c in re.split(r"[,\n]", text or "") if c.strip()]


class CustomFieldsState(AppState):
    entity: str = "lead"
    fields: list[dict[str, str]] = []
    errors: dict[str, str] = {}
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

    def _fill(self, ctx: Ctx) -> None:
        rows = fields_service.list_fields(session=ctx.session, actor=ctx.user,
                                          entity=self.entity, include_inactive=True)
        rows.sort(key=lambda d: (not d.active, d.position, d.id))
        active = [d for d in rows if d.active]
        self.fields = [{
            "id": str(d.id), "key": d.key, "label": d.label, "type": d.type,
            "type_label": t(f"leads.custom.type.{d.type}"),
            "choices": ", ".join(d.choices or []), "active": "1" if d.active else "",
            "first": "1" if active and d.id == active[0].id else "",
            "last": "1" if active and d.id == active[-1].id else "",
        } for d in rows]

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        """on_load after ``check_admin``."""
        self._fill(ctx)

    @handler(Perm.SETTINGS_CHANGE)
    def set_entity(self, ctx: Ctx, value: str | list[str]) -> None:
        if isinstance(value, str) and value in ENTITIES:
            self.entity = value
        self._fill(ctx)

    # --- create ----------------------------------------------------------------------------

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open = value
        if value:
            self.new_label = self.new_key = self.new_choices = ""
            self.new_type, self.errors = "text", {}

    @rx.event
    def set_new_label(self, value: str) -> None:
        """The key follows the label until the admin types a key of their own."""
        suggested = fields_service.key_from_label(self.new_label)
        if not self.new_key or self.new_key == suggested:
            self.new_key = fields_service.key_from_label(value)
        self.new_label = value

    set_new_key = setter("new_key")

    @rx.event
    def set_new_type(self, value: str) -> None:
        if value in TYPES:
            self.new_type = value

    set_new_choices = setter("new_choices")

    @handler(Perm.SETTINGS_CHANGE, errors="errors")
    def create(self, ctx: Ctx) -> Any:
        defn = fields_service.create_field(
            session=ctx.session, actor=ctx.user, entity=self.entity, key=self.new_key,
            label=self.new_label, type=self.new_type, choices=choices_of(self.new_choices))
        self._fill(ctx)
        self.create_open = False
        return rx.toast.success(t("fields_ui.created", label=defn.label))

    # --- edit ------------------------------------------------------------------------------

    @rx.event
    def open_edit(self, field_id: str) -> None:
        row = next((f for f in self.fields if f["id"] == field_id), None)
        if row is None:
            return
        self.edit_id, self.edit_label = int(field_id), row["label"]
        self.edit_type, self.edit_choices = row["type"], row["choices"]
        self.errors, self.edit_open = {}, True

    set_edit_open = setter("edit_open")

    set_edit_label = setter("edit_label")

    set_edit_choices = setter("edit_choices")

    @handler(Perm.SETTINGS_CHANGE, errors="errors")
    def save_edit(self, ctx: Ctx) -> Any:
        fields_service.update_field(
            session=ctx.session, actor=ctx.user, field_id=self.edit_id, label=self.edit_label,
            choices=choices_of(self.edit_choices) if self.edit_type == "choice" else None)
        self._fill(ctx)
        self.edit_open = False
        return rx.toast.success(t("fields_ui.saved"))

    # --- order and active ------------------------------------------------------------------

    @handler(Perm.SETTINGS_CHANGE)
    def move(self, ctx: Ctx, field_id: str, delta: int) -> None:
        fields_service.move_field(session=ctx.session, actor=ctx.user,
                                  field_id=as_id(field_id) or 0, delta=delta)
        self._fill(ctx)

    @handler(Perm.SETTINGS_CHANGE)
    def deactivate(self, ctx: Ctx, field_id: str) -> Any:
        defn = fields_service.delete_field(
            session=ctx.session, actor=ctx.user,
            field_id=as_id(field_id) or 0)
        self._fill(ctx)
        return rx.toast.success(t("fields_ui.deactivated", label=defn.label),
                                action={"label": t("lead_ui.undo"),
                                        "on_click": CustomFieldsState.reactivate(str(defn.id))})

    @handler(Perm.SETTINGS_CHANGE)
    def reactivate(self, ctx: Ctx, field_id: str) -> Any:
        fields_service.update_field(session=ctx.session, actor=ctx.user,
                                    field_id=as_id(field_id) or 0,
                                    active=True)
        self._fill(ctx)
        return rx.toast.success(t("fields_ui.reactivated"))


__all__ = ["CustomFieldsState", "choices_of"]
