"""/leads/nuevo and /leads/[lead_id]/editar: the lead form.

The server validates (``clean_lead_data``: email syntax, phone to E.164, NIF/CIF/NIE, name or
company, email or phone, discard reason) and shows its Spanish messages under each field; before
saving it looks for duplicates (same email, phone or NIF in a lead, contact or account) and asks
"guardar igualmente". Email, phone and NIF are also checked as soon as the field is left.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from crm_app.db import get_engine
from crm_app.i18n import t
from crm_app.models import User
from crm_app.permissions import Perm, PermissionDenied, can_access
from crm_app.services import lead_options
from crm_app.services import leads as lead_service
from crm_app.services.custom_fields import active_defs
from crm_app.services.errors import DomainError, NotFound, ValidationFailed
from crm_app.services.normalize import (
    EMAIL_INVALID,
    email_is_valid,
    normalize_nif,
    normalize_phone,
)
from crm_app.state import AppState
from pages.leads_common import (
    NONE,
    PHONE_FULL,
    errors_of,
    events,
    labelled,
    message_of,
    option,
    path_id,
    phone_display,
    province_options,
    scroll_into_view,
    section,
    select_field,
    status_options,
)

TEXT_INPUTS = ("first_name", "last_name", "company", "position", "email", "phone", "nif",
               "city", "source", "notes")
_ENTITY_KEYS = {"lead": "leads.entity.lead", "contact": "leads.entity.contact",
                "account": "leads.entity.account"}
_FIELD_KEYS = {"email": "lead_ui.dup.field.email", "phone": "lead_ui.dup.field.phone",
               "nif": "lead_ui.dup.field.nif"}


def custom_display(kind: str, value: Any) -> str:
    """A stored custom value as the form shows it (dd/mm/aaaa, decimal comma)."""
    if value is None or value == "":
        return ""
    if kind == "date":
        try:
            return date.fromisoformat(str(value)[:10]).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    if kind == "number":
        return str(value).replace(".", ",")
    if kind == "bool":
        return "true" if value in (True, "true") else "false"
    return str(value)


class LeadFormState(AppState):
    record_id: int = 0
    form_key: str = "new"
    title: str = ""
    values: dict[str, str] = {}
    status: str = "nuevo"
    province: str = ""
    owner_id: str = ""
    owner_options: list[dict[str, str]] = []
    custom_inputs: list[dict[str, str]] = []
    custom_choices: dict[str, list[dict[str, str]]] = {}
    custom_selects: dict[str, str] = {}
    errors: dict[str, str] = {}
    phone_hint: str = ""
    nif_hint: str = ""
    dups: list[dict[str, str]] = []
    saving: bool = False
    not_found: bool = False
    ready: bool = False

    _pending: dict[str, Any] = {}
    _original: dict[str, str] = {}

    @rx.var
    def has_dups(self) -> bool:
        return len(self.dups) > 0

    @rx.var
    def cancel_href(self) -> str:
        return f"/leads/{self.record_id}" if self.record_id else "/leads"

    # --- loading -------------------------------------------------------------------------

    def _reset(self) -> None:
        self.errors, self.dups, self._pending = {}, [], {}
        self.phone_hint = self.nif_hint = ""
        self.saving = self.not_found = False

    def _load_custom(self, session: Session, current: dict | None) -> None:
        defs = active_defs(session=session, entity="lead")
        self.custom_inputs = [{"key": d.key, "label": d.label, "type": d.type}
                              for d in defs.values()]
        choices: dict[str, list[dict[str, str]]] = {}
        selects: dict[str, str] = {}
        values = dict(self.values)
        for d in defs.values():
            stored = (current or {}).get(d.key)
            if d.type in ("choice", "bool"):
                if d.type == "choice":
                    opts = [option(c, c) for c in d.choices or []]
                else:
                    opts = [option("true", t("common.yes")), option("false", t("common.no"))]
                choices[d.key] = [option(NONE, "—"), *opts]
                selects[d.key] = custom_display(d.type, stored) or NONE
            else:
                values[f"custom.{d.key}"] = custom_display(d.type, stored)
        self.values = values
        self.custom_choices = choices
        self.custom_selects = selects

    def _load_owners(self, session: Session, user: User) -> None:
        self.owner_options = [option(NONE, t("lead_ui.form.owner_auto")), *[
            option(u.id, u.name) for u in
            lead_options.assignable_users(session=session, actor=user)]]

    @rx.event
    def new_lead(self) -> Any:
        self._reset()
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect("/login?next=/leads/nuevo")
            self.record_id = 0
            self.title = ""
            self.values = {k: "" for k in TEXT_INPUTS}
            self.status, self.province, self.owner_id = "nuevo", "", NONE
            self._original = {}
            self._load_owners(session, user)
            self._load_custom(session, None)
        self.form_key = f"new-{id(self)}-{len(self.values)}"
        self.ready = True
        return None

    @rx.event
    def edit_lead(self) -> Any:
        self._reset()
        lead_id = path_id(self.router.url.path)
        raw = str(lead_id or "")
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect(f"/login?next=/leads/{raw}/editar")
            try:
                lead = lead_service.get_lead_dict(session=session, actor=user,
                                                  lead_id=int(raw))
            except (NotFound, ValueError, PermissionDenied):
                self.not_found = True
                self.ready = True
                return None
            self.record_id = int(lead["id"])
            self.title = t("lead_ui.form.edit_title", name=lead["display_name"] or "")
            self.values = {k: str(lead.get(k) or "") for k in (*TEXT_INPUTS, "discard_reason")}
            self.status = lead["status"]
            self.province = lead.get("province") or ""
            self.owner_id = str(lead["owner_id"]) if lead.get("owner_id") else NONE
            self._original = {k: str(lead.get(k) or "") for k in ("email", "phone", "nif")}
            self._load_owners(session, user)
            self._load_custom(session, lead.get("custom") or {})
        self.form_key = f"edit-{self.record_id}-{lead.get('updated_at') or ''}"
        self.ready = True
        return None

    @rx.event
    def leave(self) -> None:
        self.ready = False

    # --- controlled selects ---------------------------------------------------------------

    @rx.event
    def set_status(self, value: str) -> None:
        self.status = value
        self.errors = {k: v for k, v in self.errors.items() if k not in ("status",
                                                                          "discard_reason")}

    @rx.event
    def set_province(self, value: str) -> None:
        self.province = "" if value == NONE else value

    @rx.event
    def set_owner(self, value: str) -> None:
        self.owner_id = value

    @rx.event
    def set_custom_select(self, key: str, value: str) -> None:
        self.custom_selects = {**self.custom_selects, key: value}

    # --- checks as the user leaves a field (pure normalisers, no data read) ----------------

    def _set_error(self, key: str, message: str) -> None:
        errors = {k: v for k, v in self.errors.items() if k != key}
        if message:
            errors[key] = message
        self.errors = errors

    @rx.event
    def check_email(self, value: str) -> None:
        value = (value or "").strip()
        self._set_error("email", EMAIL_INVALID if value and not email_is_valid(value) else "")

    @rx.event
    def check_phone(self, value: str) -> None:
        try:
            e164 = normalize_phone(value)
        except ValueError as exc:
            self.phone_hint = ""
            self._set_error("phone", str(exc))
            return
        self._set_error("phone", "")
        self.phone_hint = (t("lead_ui.form.phone_e164", shown=phone_display(e164), e164=e164)
                           if e164 else "")

    @rx.event
    def check_nif(self, value: str) -> None:
        try:
            nif = normalize_nif(value)
        except ValueError as exc:
            self.nif_hint = ""
            self._set_error("nif", str(exc))
            return
        self._set_error("nif", "")
        self.nif_hint = t("lead_ui.form.nif_ok", nif=nif) if nif else ""

    # --- saving ----------------------------------------------------------------------------

    def _collect(self, form: dict[str, Any], can_assign: bool) -> dict[str, Any]:
        data: dict[str, Any] = {k: str(form.get(k) or "") for k in TEXT_INPUTS}
        data["status"] = self.status
        data["province"] = self.province
        data["discard_reason"] = (str(form.get("discard_reason") or "")
                                  if self.status == "descartado" else "")
        if can_assign and self.owner_id not in ("", NONE):
            data["owner_id"] = int(self.owner_id)
        custom: dict[str, Any] = {}
        for item in self.custom_inputs:
            key = item["key"]
            if item["type"] in ("choice", "bool"):
                value = self.custom_selects.get(key, NONE)
                custom[key] = "" if value == NONE else value
            else:
                custom[key] = str(form.get(f"custom.{key}") or "")
        if custom:
            data["custom"] = custom
        return data

    def _duplicates(self, session: Session, user: User, data: dict[str, Any]) -> list[dict]:
        keys: dict[str, str] = {}
        for name in ("email", "phone", "nif"):
            value = data.get(name) or ""
            if not value:
                continue
            if self.record_id:  # editing: only what changed can become a new duplicate
                try:
                    same = {"email": lambda v: v.strip().lower(), "phone": normalize_phone,
                            "nif": normalize_nif}[name](value) == self._original.get(name, "")
                except ValueError:
                    same = False
                if same:
                    continue
            keys[name] = value
        if not keys:
            return []
        return lead_service.find_duplicates(session=session, actor=user,
                                            exclude_id=self.record_id or None, **keys)

    def _dup_rows(self, found: list[dict]) -> list[dict[str, str]]:
        rows = []
        for d in found:
            entity = t(_ENTITY_KEYS.get(d["entity"], "leads.entity.lead"))
            field = t(_FIELD_KEYS.get(d["field"], "lead_ui.dup.field.email"))
            if not d["visible"]:
                rows.append({"text": t("leads.duplicate.hidden", entity=entity, field=field),
                             "href": "", "owner": ""})
                continue
            href = {"lead": f"/leads/{d['id']}", "account": f"/clientes/{d['id']}"}.get(
                d["entity"], "")
            text = t("lead_ui.dup.visible", entity=entity,
                     name=d.get("name") or d.get("company") or "", field=field)
            rows.append({"text": text[:1].upper() + text[1:],
                         "href": href, "owner": d.get("owner_name") or ""})
        return rows

    def _scroll_to_error(self) -> Any:
        order = ["first_name", "company", "email", "phone", "nif", "province", "status",
                 "discard_reason", "owner_id", *[f"custom.{c['key']}" for c in
                                                 self.custom_inputs]]
        first = next((k for k in order if k in self.errors), None)
        if first is None:
            return None
        target = (f"lead-custom-{first[7:]}" if first.startswith("custom.")
                  else f"lead-{first.replace('_', '-')}")
        return scroll_into_view(target)

    def _save(self, session: Session, user: User, data: dict[str, Any]) -> Any:
        try:
            if self.record_id:
                lead = lead_service.update_lead(session=session, actor=user,
                                                lead_id=self.record_id, data=data)
                message = t("lead_ui.form.updated")
            else:
                lead = lead_service.create_lead(session=session, actor=user, data=data)
                message = t("lead_ui.form.created")
        except ValidationFailed as exc:
            self.errors = errors_of(exc)
            self.dups = []
            return events(rx.toast.error(exc.message), self._scroll_to_error())
        except (DomainError, PermissionDenied) as exc:
            return rx.toast.error(message_of(exc))
        self._pending = {}
        self.dups = []
        if not can_access(user, lead):
            written = lead_service.written_lead_dict(session=session, lead=lead)
            return [rx.toast.success(t("lead_ui.form.created_elsewhere",
                                       owner=written.get("owner_name") or "")),
                    rx.redirect("/leads")]
        return [rx.toast.success(message), rx.redirect(f"/leads/{lead.id}")]

    @rx.event
    def submit(self, form: dict[str, Any]) -> Any:
        self.saving = True
        yield
        try:
            with Session(get_engine()) as session:
                try:
                    user = self._require_user(session, Perm.RECORDS_CHANGE)
                    current = (lead_service.get_lead(session=session, actor=user,
                                                     lead_id=self.record_id, action="change")
                               if self.record_id else None)
                except (DomainError, PermissionDenied) as exc:
                    yield rx.toast.error(message_of(exc))
                    return
                data = self._collect(form, self.can_assign)
                try:
                    lead_service.clean_lead_data(session=session, data=data, current=current)
                except ValidationFailed as exc:
                    self.errors = errors_of(exc)
                    self.dups = []
                    yield [rx.toast.error(exc.message), self._scroll_to_error()]
                    return
                self.errors = {}
                found = self._duplicates(session, user, data)
                if found:
                    self._pending = data
                    self.dups = self._dup_rows(found)
                    yield scroll_into_view("lead-duplicates")
                    return
                yield self._save(session, user, data)
        finally:
            self.saving = False

    @rx.event
    def save_anyway(self) -> Any:
        if not self._pending:
            return None
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_CHANGE)
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            return self._save(session, user, dict(self._pending))

    @rx.event
    def dismiss_dups(self) -> None:
        self.dups, self._pending = [], {}


F = LeadFormState


# --- components ------------------------------------------------------------------------------


def _text(name: str, label_key: str, *, required: bool = False, on_blur: Any = None,
          hint: rx.Component | None = None, **props: Any) -> rx.Component:
    html_id = f"lead-{name.replace('_', '-')}"
    return labelled(
        t(label_key),
        rx.input(name=name, id=html_id, default_value=F.values.get(name, ""), width="100%",
                 on_blur=on_blur, aria_invalid=rx.cond(F.errors.get(name, "") != "", "true",
                                                       "false"), **props),
        html_for=html_id, required=required, error=F.errors.get(name, ""), hint=hint,
    )


def _hint(var: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(var != "", rx.text(var, size="1", color_scheme="gray", data_testid=test_id))


def _custom_input(item: rx.Var) -> rx.Component:
    key = item["key"]
    html_id = "lead-custom-" + key.to(str)
    name = "custom." + key.to(str)
    select = select_field(F.custom_selects.get(key, NONE), F.custom_choices.get(key, []),
                          lambda v: F.set_custom_select(key, v), id_=html_id)
    control = rx.match(
        item["type"],
        ("choice", select),
        ("bool", select),
        ("number", rx.input(name=name, id=html_id, default_value=F.values.get(name, ""),
                            inputmode="decimal", width="100%")),
        ("date", rx.input(name=name, id=html_id, default_value=F.values.get(name, ""),
                          placeholder=t("lead_ui.date_placeholder"), width="100%")),
        rx.input(name=name, id=html_id, default_value=F.values.get(name, ""), width="100%"),
    )
    return rx.vstack(
        rx.el.label(rx.text(item["label"], size="2", weight="medium", as_="span"),
                    html_for=html_id),
        control,
        rx.cond(F.errors.get(name, "") != "",
                rx.text(F.errors.get(name, ""), size="1", color=rx.color("red", 11),
                        role="alert", data_testid="error-" + name)),
        spacing="1", width="100%",
    )


def _duplicates_warning() -> rx.Component:
    return rx.cond(
        F.has_dups,
        rx.box(
            rx.vstack(
                rx.hstack(rx.icon("copy", size=18, color=rx.color("amber", 11)),
                          rx.text(t("lead_ui.dup.title"), weight="bold",
                                  color=rx.color("amber", 12)),
                          spacing="2", align="center"),
                rx.foreach(F.dups, lambda d: rx.hstack(
                    rx.cond(d["href"] != "", rx.link(d["text"], href=d["href"], size="2"),
                            rx.text(d["text"], size="2")),
                    rx.cond(d["owner"] != "", rx.text("· ", d["owner"], size="2",
                                                      color_scheme="gray")),
                    spacing="1", wrap="wrap")),
                rx.flex(
                    rx.button(t("lead_ui.dup.review"), variant="surface", color_scheme="gray",
                              on_click=F.dismiss_dups, id="lead-dup-review", type="button",
                              width=PHONE_FULL),
                    rx.button(t("lead_ui.dup.save_anyway"), color_scheme="amber",
                              on_click=F.save_anyway, id="lead-save-anyway", type="button",
                              width=PHONE_FULL),
                    spacing="2", justify="end", width="100%",
                    direction=rx.breakpoints(initial="column-reverse", xs="row"),
                ),
                spacing="2", width="100%",
            ),
            background=rx.color("amber", 3),
            border=f"1px solid {rx.color('amber', 6)}",
            border_radius="var(--radius-3)",
            padding="var(--space-3)",
            role="alert",
            width="100%",
            id="lead-duplicates",
            data_testid="lead-duplicates",
        ),
    )


def _grid(*children: rx.Component) -> rx.Component:
    return rx.grid(*children, columns=rx.breakpoints(initial="1", sm="2"), spacing="3",
                   width="100%")


def _form() -> rx.Component:
    contact = section(
        t("lead_ui.form.contact"),
        rx.text(t("lead_ui.form.required_note"), size="1", color_scheme="gray"),
        _grid(
            _text("first_name", "leads.field.first_name", required=True,
                  auto_complete="given-name"),
            _text("last_name", "leads.field.last_name", auto_complete="family-name"),
            _text("company", "leads.field.company", required=True, auto_complete="organization"),
            _text("position", "leads.field.position"),
            _text("email", "leads.field.email", required=True, type="email",
                  on_blur=F.check_email, auto_complete="email"),
            _text("phone", "leads.field.phone", required=True, type="tel", inputmode="tel",
                  on_blur=F.check_phone, hint=_hint(F.phone_hint, "lead-phone-hint"),
                  auto_complete="tel"),
            _text("nif", "leads.field.nif", on_blur=F.check_nif,
                  hint=_hint(F.nif_hint, "lead-nif-hint")),
        ),
    )
    place = section(
        t("lead_ui.form.origin"),
        _grid(
            labelled(t("leads.field.province"),
                     select_field(rx.cond(F.province == "", NONE, F.province),
                                  [{"value": NONE, "label": "—"}, *province_options()],
                                  F.set_province, id_="lead-province"),
                     html_for="lead-province", error=F.errors.get("province", "")),
            _text("city", "leads.field.city"),
            _text("source", "leads.field.source", placeholder=t("lead_ui.form.source_hint")),
        ),
    )
    follow = section(
        t("lead_ui.form.follow_up"),
        _grid(
            labelled(t("leads.field.status"),
                     select_field(F.status, rx.cond(F.status == "convertido",
                                                    status_options(pickable=False),
                                                    status_options()),
                                  F.set_status, id_="lead-status",
                                  disabled=F.status == "convertido"),
                     html_for="lead-status", error=F.errors.get("status", "")),
            rx.cond(F.status == "descartado",
                    _text("discard_reason", "leads.field.discard_reason", required=True)),
            rx.cond(F.can_assign,
                    labelled(t("leads.field.owner_id"),
                             select_field(F.owner_id, F.owner_options, F.set_owner,
                                          id_="lead-owner"),
                             html_for="lead-owner", error=F.errors.get("owner_id", ""))),
        ),
        labelled(t("leads.field.notes"),
                 rx.text_area(name="notes", id="lead-notes",
                              default_value=F.values.get("notes", ""), rows="4",
                              width="100%"),
                 html_for="lead-notes"),
    )
    custom = rx.cond(
        F.custom_inputs.length() > 0,
        section(t("leads.field.custom"), _grid(rx.foreach(F.custom_inputs, _custom_input)),
                test_id="lead-custom"),
    )
    footer = rx.flex(
        rx.link(rx.button(t("common.cancel"), variant="soft", color_scheme="gray",
                          type="button", width="100%"),
                href=F.cancel_href, width=rx.breakpoints(initial="100%", sm="auto")),
        rx.button(rx.icon("save", size=16), t("common.save"), type="submit",
                  loading=F.saving, disabled=F.saving, id="lead-save",
                  width=rx.breakpoints(initial="100%", sm="auto")),
        spacing="2",
        justify="end",
        direction=rx.breakpoints(initial="column-reverse", sm="row"),
        width="100%",
        position="sticky",
        bottom="0",
        padding_y="var(--space-3)",
        background_color=rx.color("gray", 1),
        border_top=f"1px solid {rx.color('gray', 5)}",
        z_index="5",
    )
    return rx.form(
        rx.vstack(contact, place, follow, custom, _duplicates_warning(), footer, spacing="4",
                  width="100%"),
        on_submit=F.submit,
        key=F.form_key,
        id="lead-form",
        width="100%",
    )


def _body() -> rx.Component:
    # The form appears once its page loader has filled it (``ready``), so nothing typed is
    # lost to a late remount; leaving the page makes it wait again next time.
    return rx.cond(
        F.ready,
        rx.box(
            rx.cond(
                F.not_found,
                rx.callout(t("lead_ui.not_found"), icon="circle-alert", color_scheme="red",
                           id="lead-not-found"),
                rx.vstack(
                    rx.cond(F.title != "", rx.heading(F.title, size="5", id="lead-form-title")),
                    rx.cond(F.errors.get("_", "") != "",
                            rx.callout(F.errors.get("_", ""), color_scheme="red",
                                       icon="triangle-alert", width="100%")),
                    _form(),
                    spacing="3", width="100%", max_width="880px",
                ),
            ),
            on_unmount=F.leave,
            width="100%",
        ),
        rx.center(rx.spinner(size="3"), padding="var(--space-8)", width="100%"),
    )


def new_lead_page() -> rx.Component:
    return shell(_body(), title=t("lead_ui.new"), active="/leads")


def edit_lead_page() -> rx.Component:
    return shell(_body(), title=t("lead_ui.form.edit"), active="/leads")
