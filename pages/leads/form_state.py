"""The lead form's state: /leads/nuevo and /leads/[lead_id]/editar.

The service validates (``clean_lead_data``: email, phone to E.164, NIF/CIF/NIE, a name or a
company, an email or a phone, the discard reason, custom fields) and its Spanish messages land
under each field; before saving it looks for the records the lead would newly share an email,
phone or NIF with (``possible_duplicates``) and asks "guardar igualmente". Email, phone and
NIF are also checked as the user leaves the field, with the services' own normalisers.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import phone_es
from crm_app.i18n import t
from crm_app.list_state import NONE
from crm_app.permissions import Perm, can_access
from crm_app.services import lead_options
from crm_app.services import leads as lead_service
from crm_app.services.custom_fields import active_defs
from crm_app.services.normalize import (
    EMAIL_INVALID,
    email_is_valid,
    normalize_nif,
    normalize_phone,
)
from crm_app.state import AppState, Ctx, events, handler, scroll_into_view, toast_and_go
from crm_app.state_mixins.record_form import RecordFormMixin, picked
from pages.leads.rows import custom_display, option

TEXT_INPUTS = ("first_name", "last_name", "company", "position", "email", "phone", "nif",
               "city", "source", "notes")
SELECTS = ("province", "owner_id")  # uncontrolled selects submitted with the form
_ENTITY_KEYS = {"lead": "leads.entity.lead", "contact": "leads.entity.contact",
                "account": "leads.entity.account"}
_FIELD_KEYS = {"email": "lead_ui.dup.field.email", "phone": "lead_ui.dup.field.phone",
               "nif": "lead_ui.dup.field.nif"}
# The order of the fields on screen: the first one in error is brought into view.
_ORDER = ("first_name", "company", "email", "phone", "nif", "province", "status",
          "discard_reason", "owner_id")


class LeadFormState(RecordFormMixin, AppState):
    status: str = "nuevo"
    owner_options: list[dict[str, str]] = []
    custom_inputs: list[dict[str, str]] = []  # {key, label, type}
    custom_choices: dict[str, list[dict[str, str]]] = {}
    phone_hint: str = ""
    nif_hint: str = ""
    dups: list[dict[str, str]] = []

    _list_href: ClassVar[str] = "/leads"
    _pending: dict[str, Any] = {}

    @rx.var
    def has_dups(self) -> bool:
        return len(self.dups) > 0

    # --- loading ----------------------------------------------------------------------------

    def _reset(self) -> None:
        self._reset_form()
        self.dups, self._pending = [], {}
        self.phone_hint = self.nif_hint = ""
        self.status = "nuevo"

    def _load_choices(self, ctx: Ctx, current: dict[str, Any]) -> None:
        """The owner select and the custom fields, with ``current``'s values in the inputs."""
        self.owner_options = [option(NONE, t("lead_ui.form.owner_auto")), *[
            option(u.id, u.name) for u in
            lead_options.assignable_users(session=ctx.session, actor=ctx.user)]]
        defs = active_defs(session=ctx.session, entity="lead").values()
        self.custom_inputs = [{"key": d.key, "label": d.label, "type": d.type} for d in defs]
        self.custom_choices = {
            d.key: [option(NONE, "—"), *([option(c, c) for c in d.choices or []]
                                         if d.type == "choice" else
                                         [option("true", t("common.yes")),
                                          option("false", t("common.no"))])]
            for d in defs if d.type in ("choice", "bool")}
        stored = current.get("custom") or {}
        self.values = {
            **{k: str(current.get(k) or "") for k in (*TEXT_INPUTS, "discard_reason",
                                                      "province")},
            "owner_id": str(current.get("owner_id") or NONE),
            **{f"custom.{d.key}": custom_display(d.type, stored.get(d.key))
               or (NONE if d.type in ("choice", "bool") else "") for d in defs},
        }

    @handler()
    def new_lead(self, ctx: Ctx) -> None:
        """on_load of /leads/nuevo: an empty form."""
        self._reset()
        self._load_choices(ctx, {})
        self.form_key = f"new-{id(self)}-{len(self.values)}"
        self.ready = True

    @handler()
    def edit_lead(self, ctx: Ctx) -> None:
        """on_load of /leads/[lead_id]/editar. A lead that is missing or out of the user's
        scope shows "not found" (the service's refusal is the toast)."""
        self._reset()
        self.not_found = self.ready = True
        lead = lead_service.get_lead_dict(session=ctx.session, actor=ctx.user,
                                          lead_id=self._route_id("leads") or 0)
        self.record_id = int(lead["id"])
        self.title = t("lead_ui.form.edit_title", name=lead["display_name"] or "")
        self.status = lead["status"]
        self._load_choices(ctx, lead)
        self.form_key = f"edit-{self.record_id}-{lead.get('updated_at') or ''}"
        self.not_found = False

    @rx.event
    def set_status(self, value: str) -> None:
        self.status = value
        self.errors = {k: v for k, v in self.errors.items()
                       if k not in ("status", "discard_reason")}

    # --- checks as the user leaves a field (the services' normalisers, no data read) --------

    def _set_error(self, key: str, message: str) -> None:
        errors = {k: v for k, v in self.errors.items() if k != key}
        if message:
            errors[key] = message
        self.errors = errors

    @rx.event
    def check_email(self, value: str) -> None:
        value = (value or "").strip()
        self._set_error("email", EMAIL_INVALID if value and not email_is_valid(value) else "")

    def _normalised(self, key: str, normalise: Any, value: str) -> str:
        """``value`` as the service will keep it, or "" with the service's message under the
        field when it cannot be kept."""
        try:
            clean = normalise(value)
        except ValueError as exc:
            self._set_error(key, str(exc))
            return ""
        self._set_error(key, "")
        return clean

    @rx.event
    def check_phone(self, value: str) -> None:
        e164 = self._normalised("phone", normalize_phone, value)
        self.phone_hint = (t("lead_ui.form.phone_e164", shown=phone_es(e164), e164=e164)
                           if e164 else "")

    @rx.event
    def check_nif(self, value: str) -> None:
        nif = self._normalised("nif", normalize_nif, value)
        self.nif_hint = t("lead_ui.form.nif_ok", nif=nif) if nif else ""

    # --- saving -------------------------------------------------------------------------------

    def _collect(self, form: dict[str, Any]) -> dict[str, Any]:
        """The service's payload from the submitted form (every value as typed)."""
        data: dict[str, Any] = {k: str(form.get(k) or "") for k in TEXT_INPUTS}
        data["status"] = self.status
        data["province"] = picked(form.get("province"))
        data["discard_reason"] = (str(form.get("discard_reason") or "")
                                  if self.status == "descartado" else "")
        owner = picked(form.get("owner_id"))
        if owner:  # the service decides whether this user may give the lead to that one
            data["owner_id"] = owner
        custom = {i["key"]: picked(form.get(f"custom.{i['key']}")) for i in self.custom_inputs}
        if custom:
            data["custom"] = custom
        return data

    def _field_element(self, name: str) -> str:
        return (f"lead-custom-{name[7:]}" if name.startswith("custom.")
                else f"lead-{name.replace('_', '-')}")

    def _fields_in_order(self) -> list[str]:
        return [*_ORDER, *[f"custom.{c['key']}" for c in self.custom_inputs]]

    def _after_field_errors(self, var: str, errors: dict[str, str]) -> Any:
        self.dups = []  # the field errors come first; the duplicates are asked about after
        return super()._after_field_errors(var, errors)

    def _dup_rows(self, found: list[dict]) -> list[dict[str, str]]:
        rows = []
        for d in found:
            entity = t(_ENTITY_KEYS.get(d["entity"], "leads.entity.lead"))
            what = t(_FIELD_KEYS.get(d["field"], "lead_ui.dup.field.email"))
            if not d["visible"]:
                rows.append({"text": t("leads.duplicate.hidden", entity=entity, field=what),
                             "href": "", "owner": ""})
                continue
            href = {"lead": f"/leads/{d['id']}", "account": f"/clientes/{d['id']}"}.get(
                d["entity"], "")
            text = t("lead_ui.dup.visible", entity=entity,
                     name=d.get("name") or d.get("company") or "", field=what)
            rows.append({"text": text[:1].upper() + text[1:], "href": href,
                         "owner": d.get("owner_name") or ""})
        return rows

    def _save(self, ctx: Ctx, data: dict[str, Any]) -> list[Any]:
        if self.record_id:
            lead = lead_service.update_lead(session=ctx.session, actor=ctx.user,
                                            lead_id=self.record_id, data=data)
            message = t("lead_ui.form.updated")
        else:
            lead = lead_service.create_lead(session=ctx.session, actor=ctx.user, data=data)
            message = t("lead_ui.form.created")
        self._pending, self.dups = {}, []
        if not can_access(ctx.user, lead):  # the rules gave it to someone out of our scope
            written = lead_service.written_lead_dict(session=ctx.session, lead=lead)
            return toast_and_go(t("lead_ui.form.created_elsewhere",
                                  owner=written.get("owner_name") or ""), "/leads")
        return toast_and_go(message, f"/leads/{lead.id}")

    @handler(Perm.RECORDS_CHANGE, errors="errors")
    def submit(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        with self._busy("saving"):
            yield
            current = (lead_service.get_lead(session=ctx.session, actor=ctx.user,
                                             lead_id=self.record_id, action="change")
                       if self.record_id else None)
            data = self._collect(form)
            clean = lead_service.clean_lead_data(session=ctx.session, data=data,
                                                 current=current)
            found = lead_service.possible_duplicates(session=ctx.session, actor=ctx.user,
                                                     clean=clean, current=current)
            if found:
                self._pending, self.dups = data, self._dup_rows(found)
                yield scroll_into_view("lead-duplicates")
                return
            yield self._save(ctx, data)

    @handler(Perm.RECORDS_CHANGE, errors="errors")
    def save_anyway(self, ctx: Ctx) -> Any:
        if not self._pending:
            return None
        return events(self._save(ctx, dict(self._pending)))

    @rx.event
    def dismiss_dups(self) -> None:
        self.dups, self._pending = [], {}


__all__ = ["LeadFormState"]
