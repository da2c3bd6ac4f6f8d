"""/leads/[lead_id]: the lead's record page. Its data, status and owner changers, the timeline of
changes and activities (``services.leads.lead_timeline``), the recycle bin with undo, and the
conversion dialog (``services.conversion.convert_lead``) that ends with a link to the account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from crm_app.db import get_engine
from crm_app.formatting import ago, datetime_es
from crm_app.i18n import catalog, t
from crm_app.models import User
from crm_app.permissions import Perm, PermissionDenied
from crm_app.services import conversion, lead_options
from crm_app.services import leads as lead_service
from crm_app.services.custom_fields import active_defs
from crm_app.services.errors import DomainError, NotFound, ValidationFailed
from crm_app.services.pipelines import list_pipelines
from crm_app.state import AppState
from pages.leads import _as_datetime
from pages.leads_common import (
    PHONE_FULL,
    errors_of,
    labelled,
    message_of,
    option,
    path_id,
    phone_display,
    section,
    select_field,
    status_badge,
    status_options,
)
from pages.leads_form import custom_display

_DATA_FIELDS = ("company", "position", "email", "phone", "nif", "province", "city", "source")
_TIMELINE_ICONS = {"create": "sparkles", "update": "pencil", "status": "tag",
                   "assign": "user-round-cog", "delete": "trash-2", "restore": "rotate-ccw",
                   "convert": "building-2", "import": "upload", "import_update": "upload",
                   "call": "phone", "meeting": "users", "email": "mail", "task": "list-checks",
                   "note": "sticky-note"}


def _change_value(field: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if field == "status":
        return t(f"lead.status.{value}") if f"lead.status.{value}" in catalog() else str(value)
    if isinstance(value, bool):
        return t("common.yes") if value else t("common.no")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        parsed = _as_datetime(value)
        return datetime_es(parsed) if parsed else value
    return str(value)


def _field_label(field: str) -> str:
    key = f"leads.field.{field}"
    return t(key) if key in catalog() else field


def _title(item: dict) -> str:
    """The service's title, with status names as people read them."""
    if item.get("kind") == "event" and item.get("action") == "status":
        change = next((c for c in item.get("changes") or [] if c["field"] == "status"), None)
        if change is not None:
            return t("lead_ui.timeline.status", before=_change_value("status", change["before"]),
                     after=_change_value("status", change["after"]))
    return str(item.get("title") or "")


def timeline_rows(items: list[dict]) -> list[dict[str, str]]:
    rows = []
    for item in items:
        at = _as_datetime(item.get("at"))
        changes = [f"{_field_label(c['field'])}: {_change_value(c['field'], c['before'])} → "
                   f"{_change_value(c['field'], c['after'])}" for c in item.get("changes") or []
                   if f"leads.field.{c['field']}" in catalog()
                   and not (item.get("action") == "status" and c["field"] == "status")
                   and not (item.get("action") == "assign" and c["field"] == "owner_id")]
        rows.append({
            "id": f"{item['kind']}-{item['id']}",
            "title": _title(item),
            "detail": item.get("detail") or "",
            "who": item.get("actor_name") or "",
            "when": datetime_es(at) if isinstance(at, datetime) else "",
            "ago": ago(at) if isinstance(at, datetime) else "",
            "changes": "\n".join(changes),
            "icon": _TIMELINE_ICONS.get(item.get("action") or "", "circle"),
            "kind": item["kind"],
        })
    return rows


class LeadRecordState(AppState):
    record_id: int = 0
    found: bool = True
    lead: dict[str, str] = {}
    fields: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    status: str = ""
    discard_open: bool = False
    discard_reason: str = ""
    errors: dict[str, str] = {}
    owner_id: str = ""
    owner_options: list[dict[str, str]] = []
    busy: bool = False
    # conversion
    convert_open: bool = False
    conv_opportunity: bool = False
    conv_pipeline: str = ""
    conv_name: str = ""
    conv_amount: str = ""
    conv_errors: dict[str, str] = {}
    conv_preview: str = ""
    conv_blocked: str = ""
    pipeline_options: list[dict[str, str]] = []
    converting: bool = False
    account_href: str = ""

    _deleted_id: int | None = None

    @rx.var
    def converted(self) -> bool:
        return self.status == "convertido"

    @rx.var
    def edit_href(self) -> str:
        return f"/leads/{self.record_id}/editar"

    def _lead_id_param(self) -> int | None:
        return path_id(self.router.url.path)

    def _fill(self, session: Session, user: User) -> None:
        data = lead_service.get_lead_dict(session=session, actor=user, lead_id=self.record_id)
        self.found = True
        self.status = data["status"]
        self.owner_id = str(data.get("owner_id") or "")
        created = _as_datetime(data.get("created_at"))
        self.lead = {
            "name": data.get("display_name") or "—",
            "status": t(f"lead.status.{data['status']}"),
            "status_key": data["status"],
            "owner": data.get("owner_name") or t("lead_ui.record.no_owner"),
            "team": data.get("team_name") or "",
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
            "phone_display": phone_display(data.get("phone")),
            "discard_reason": data.get("discard_reason") or "",
            "notes": data.get("notes") or "",
            "created": datetime_es(created) if created else "",
            "account_id": str(data.get("converted_account_id") or ""),
            "opportunity_id": str(data.get("converted_opportunity_id") or ""),
        }
        self.account_href = (f"/clientes/{data['converted_account_id']}"
                             if data.get("converted_account_id") else "")
        fields = []
        for name in _DATA_FIELDS:
            value = data.get(name) or ""
            if name == "phone":
                value = phone_display(value)
            fields.append({"label": t(f"leads.field.{name}"), "value": value or "—",
                           "key": name})
        fields.append({"label": t("leads.field.created_at"), "value": self.lead["created"],
                       "key": "created_at"})
        custom = data.get("custom") or {}
        for d in active_defs(session=session, entity="lead").values():
            shown = custom_display(d.type, custom.get(d.key))
            if d.type == "bool" and shown:
                shown = t("common.yes") if shown == "true" else t("common.no")
            fields.append({"label": d.label, "value": shown or "—", "key": f"custom-{d.key}"})
        self.fields = fields
        self.timeline = timeline_rows(lead_service.lead_timeline(
            session=session, actor=user, lead_id=self.record_id, limit=100))

    @rx.event
    def load(self) -> Any:
        self.errors, self.discard_open, self.convert_open = {}, False, False
        lead_id = self._lead_id_param()
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect(f"/login?next=/leads/{lead_id or ''}")
            if lead_id is None:
                self.found = False
                return None
            self.record_id = lead_id
            try:
                self._fill(session, user)
            except (NotFound, PermissionDenied):
                self.found = False
                self.lead, self.fields, self.timeline = {}, [], []
                return None
            self.owner_options = [option(u.id, u.name) for u in
                                  lead_options.assignable_users(session=session, actor=user)]
        return None

    def _refresh(self, session: Session, user: User) -> None:
        try:
            self._fill(session, user)
        except (NotFound, PermissionDenied):
            self.found = False

    # --- status ----------------------------------------------------------------------------

    @rx.event
    def pick_status(self, value: str) -> Any:
        if value == self.status:
            return None
        if value == "descartado":
            self.discard_reason, self.errors, self.discard_open = "", {}, True
            return None
        return self._change_status(value, "")

    @rx.event
    def set_discard_open(self, value: bool) -> None:
        self.discard_open = value

    @rx.event
    def set_discard_reason(self, value: str) -> None:
        self.discard_reason = value

    @rx.event
    def confirm_discard(self) -> Any:
        if not self.discard_reason.strip():
            self.errors = {"discard_reason": t("lead_ui.record.reason_needed")}
            return None
        return self._change_status("descartado", self.discard_reason)

    def _change_status(self, status: str, reason: str) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_CHANGE)
                lead_service.change_status(session=session, actor=user, lead_id=self.record_id,
                                           status=status, discard_reason=reason)
            except ValidationFailed as exc:
                self.errors = errors_of(exc)
                return rx.toast.error(message_of(exc))
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
            self.discard_open = False
            self._refresh(session, user)
        return rx.toast.success(t("lead_ui.record.status_changed",
                                  status=t(f"lead.status.{status}")))

    # --- owner -----------------------------------------------------------------------------

    @rx.event
    def pick_owner(self, value: str) -> Any:
        if not value.isdigit() or value == self.owner_id:
            return None
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_CHANGE)
                lead_service.assign_lead(session=session, actor=user, lead_id=self.record_id,
                                         owner_id=int(value))
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
            self._refresh(session, user)
        if not self.found:
            return [rx.toast.success(t("lead_ui.record.assigned_away")), rx.redirect("/leads")]
        return rx.toast.success(t("lead_ui.record.assigned", owner=self.lead.get("owner", "")))

    # --- recycle bin -------------------------------------------------------------------------

    @rx.event
    def delete(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_DELETE)
                lead_service.delete_lead(session=session, actor=user, lead_id=self.record_id)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        self._deleted_id = self.record_id
        return [rx.redirect("/leads"),
                rx.toast.success(t("lead_ui.record.deleted"), duration=10000,
                                 action={"label": t("lead_ui.undo"),
                                         "on_click": LeadRecordState.undo_delete})]

    @rx.event
    def undo_delete(self) -> Any:
        lead_id, self._deleted_id = self._deleted_id, None
        if lead_id is None:
            return None
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_DELETE)
                lead_service.restore_lead(session=session, actor=user, lead_id=lead_id)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        return [rx.redirect(f"/leads/{lead_id}"), rx.toast.success(t("lead_ui.record.restored"))]

    # --- conversion --------------------------------------------------------------------------

    @rx.event
    def open_convert(self) -> Any:
        self.conv_errors, self.conv_preview, self.conv_blocked = {}, "", ""
        self.conv_opportunity, self.conv_amount = False, ""
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_CHANGE)
                preview = conversion.conversion_preview(session=session, actor=user,
                                                        lead_id=self.record_id)
                pipelines = list_pipelines(session=session, actor=user)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        self.pipeline_options = [option(p.id, p.name) for p in pipelines]
        default = next((p for p in pipelines if getattr(p, "is_default", False)),
                       pipelines[0] if pipelines else None)
        self.conv_pipeline = str(default.id) if default else ""
        self.conv_name = self.lead.get("name", "")
        if preview.get("blocked"):
            self.conv_blocked = preview["blocked"]
        elif preview.get("account"):
            acc = preview["account"]
            self.conv_preview = t("lead_ui.convert.match", name=acc["name"],
                                  nif=acc.get("nif") or "—")
        else:
            self.conv_preview = t("lead_ui.convert.new_account",
                                  name=preview.get("new_account_name") or "")
        self.convert_open = True
        return None

    @rx.event
    def set_convert_open(self, value: bool) -> None:
        self.convert_open = value

    @rx.event
    def set_conv_opportunity(self, value: bool) -> None:
        self.conv_opportunity = value

    @rx.event
    def set_conv_pipeline(self, value: str) -> None:
        self.conv_pipeline = value

    @rx.event
    def set_conv_name(self, value: str) -> None:
        self.conv_name = value

    @rx.event
    def set_conv_amount(self, value: str) -> None:
        self.conv_amount = value

    @rx.event
    def convert(self) -> Any:
        self.converting = True
        yield
        try:
            with Session(get_engine()) as session:
                try:
                    user = self._require_user(session, Perm.RECORDS_CHANGE)
                    result = conversion.convert_lead(
                        session=session, actor=user, lead_id=self.record_id,
                        create_opportunity=self.conv_opportunity,
                        pipeline_id=int(self.conv_pipeline) if self.conv_opportunity
                        and self.conv_pipeline.isdigit() else None,
                        opportunity_name=self.conv_name, amount=self.conv_amount or None)
                except ValidationFailed as exc:
                    self.conv_errors = errors_of(exc)
                    return
                except (DomainError, PermissionDenied) as exc:
                    self.conv_errors = {"_": message_of(exc)}
                    return
                self._refresh(session, user)
            self.convert_open = False
            self.account_href = f"/clientes/{result['account_id']}"
            key = "lead_ui.convert.done_matched" if result["account_matched"] else \
                "lead_ui.convert.done"
            yield rx.toast.success(t(key))
        finally:
            self.converting = False


R = LeadRecordState


# --- components ------------------------------------------------------------------------------


def _data_card() -> rx.Component:
    return section(
        t("lead_ui.record.data"),
        rx.grid(
            rx.foreach(R.fields, lambda f: rx.vstack(
                rx.text(f["label"], size="1", color_scheme="gray"),
                rx.text(f["value"], size="2", word_break="break-word",
                        data_testid="lead-field-" + f["key"].to(str)),
                spacing="0", min_width="0")),
            columns=rx.breakpoints(initial="1", xs="2", lg="3"),
            spacing="3",
            width="100%",
        ),
        rx.cond(R.lead["notes"] != "",
                rx.vstack(rx.text(t("leads.field.notes"), size="1", color_scheme="gray"),
                          rx.text(R.lead["notes"], size="2", white_space="pre-wrap"),
                          spacing="0")),
        test_id="lead-data",
    )


def _status_card() -> rx.Component:
    return section(
        t("leads.field.status"),
        labelled(t("lead_ui.record.change_status"),
                 select_field(R.status, rx.cond(R.converted, status_options(pickable=False),
                                                status_options()),
                              R.pick_status, id_="lead-status-select", disabled=R.converted),
                 html_for="lead-status-select"),
        rx.cond(R.lead["discard_reason"] != "",
                rx.text(t("leads.field.discard_reason"), ": ", R.lead["discard_reason"],
                        size="2", color_scheme="gray", data_testid="lead-discard-reason")),
        rx.cond(R.can_assign,
                labelled(t("leads.field.owner_id"),
                         select_field(R.owner_id, R.owner_options, R.pick_owner,
                                      id_="lead-owner-select"),
                         html_for="lead-owner-select"),
                rx.vstack(rx.text(t("leads.field.owner_id"), size="1", color_scheme="gray"),
                          rx.text(R.lead["owner"], size="2"), spacing="0")),
        rx.cond(R.lead["team"] != "",
                rx.text(t("leads.field.team_id"), ": ", R.lead["team"], size="1",
                        color_scheme="gray")),
        test_id="lead-status-card",
    )


def _discard_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("lead_ui.record.discard_title")),
            rx.vstack(
                labelled(t("leads.field.discard_reason"),
                         rx.input(value=R.discard_reason, on_change=R.set_discard_reason,
                                  id="discard-reason", width="100%", auto_focus=True),
                         html_for="discard-reason", required=True,
                         error=R.errors.get("discard_reason", "")),
                rx.hstack(rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                    color_scheme="gray")),
                          rx.button(t("lead_ui.record.discard"), on_click=R.confirm_discard,
                                    id="discard-confirm"),
                          justify="end", width="100%"),
                spacing="3", margin_top="var(--space-3)",
            ),
            max_width="420px",
        ),
        open=R.discard_open, on_open_change=R.set_discard_open,
    )


def _convert_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("lead_ui.convert.title")),
            rx.dialog.description(t("lead_ui.convert.help"), size="2"),
            rx.vstack(
                rx.cond(R.conv_blocked != "",
                        rx.callout(R.conv_blocked, color_scheme="red", icon="ban",
                                   width="100%", id="convert-blocked"),
                        rx.callout(R.conv_preview, icon="building-2", width="100%",
                                   id="convert-preview")),
                rx.checkbox(t("lead_ui.convert.with_opportunity"),
                            checked=R.conv_opportunity, on_change=R.set_conv_opportunity,
                            id="convert-opportunity"),
                rx.cond(
                    R.conv_opportunity,
                    rx.vstack(
                        labelled(t("lead_ui.convert.pipeline"),
                                 select_field(R.conv_pipeline, R.pipeline_options,
                                              R.set_conv_pipeline, id_="convert-pipeline"),
                                 html_for="convert-pipeline", required=True,
                                 error=R.conv_errors.get("pipeline_id", "")),
                        labelled(t("lead_ui.convert.name"),
                                 rx.input(value=R.conv_name, on_change=R.set_conv_name,
                                          id="convert-name", width="100%"),
                                 html_for="convert-name"),
                        labelled(t("lead_ui.convert.amount"),
                                 rx.input(value=R.conv_amount, on_change=R.set_conv_amount,
                                          id="convert-amount", inputmode="decimal",
                                          placeholder="1.234,56", width="100%"),
                                 html_for="convert-amount",
                                 error=R.conv_errors.get("amount", "")),
                        spacing="3", width="100%",
                    ),
                ),
                rx.cond(R.conv_errors.get("_", "") != "",
                        rx.callout(R.conv_errors.get("_", ""), color_scheme="red",
                                   icon="triangle-alert", width="100%", role="alert")),
                rx.flex(
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                              color_scheme="gray", width=PHONE_FULL)),
                    rx.button(rx.icon("building-2", size=16), t("lead_ui.convert.submit"),
                              on_click=R.convert, loading=R.converting,
                              disabled=R.converting | (R.conv_blocked != ""),
                              id="convert-submit", width=PHONE_FULL),
                    spacing="2", justify="end", width="100%",
                    direction=rx.breakpoints(initial="column-reverse", xs="row"),
                ),
                spacing="3", margin_top="var(--space-3)", width="100%",
            ),
            max_width="480px",
        ),
        open=R.convert_open, on_open_change=R.set_convert_open,
    )


def _timeline_item(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.box(rx.icon(item["icon"], size=16, color=rx.color("accent", 11)),
               background=rx.color("accent", 3), border_radius="9999px",
               padding="var(--space-2)", display="flex", flex_shrink="0"),
        rx.vstack(
            rx.text(item["title"], size="2", weight="medium"),
            rx.text(item["who"], rx.cond(item["who"] != "", " · ", ""), item["when"], " · ",
                    item["ago"], size="1", color_scheme="gray"),
            rx.cond(item["detail"] != "", rx.text(item["detail"], size="1",
                                                  color_scheme="gray")),
            rx.cond(item["changes"] != "", rx.text(item["changes"], size="1",
                                                   white_space="pre-line")),
            spacing="0", min_width="0",
        ),
        spacing="3", align="start", width="100%",
        data_testid="timeline-" + item["id"].to(str),
    )


def _timeline() -> rx.Component:
    return section(
        t("lead_ui.record.timeline"),
        rx.cond(R.timeline.length() > 0,
                rx.vstack(rx.foreach(R.timeline, _timeline_item), spacing="3", width="100%"),
                rx.text(t("lead_ui.record.timeline_empty"), size="2", color_scheme="gray")),
        test_id="lead-timeline",
    )


def _header() -> rx.Component:
    delete = rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(rx.icon("trash-2", size=16),
                                          t("lead_ui.bulk.delete"), variant="soft",
                                          color_scheme="red", id="lead-delete")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("lead_ui.record.delete_title")),
            rx.alert_dialog.description(t("lead_ui.bulk.delete_help"), size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                 color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("lead_ui.bulk.delete"), color_scheme="red",
                                                 on_click=R.delete, id="lead-delete-confirm")),
                justify="end", width="100%", margin_top="var(--space-3)",
            ),
            max_width="420px",
        ),
    )
    return rx.flex(
        rx.vstack(
            rx.hstack(rx.heading(R.lead["name"], size="6", id="lead-name"),
                      status_badge(R.lead["status"], R.lead["status_key"],
                                   data_testid="lead-status"),
                      align="center", wrap="wrap", spacing="2"),
            rx.hstack(
                rx.cond(R.lead["email"] != "",
                        rx.link(rx.hstack(rx.icon("mail", size=14), rx.text(R.lead["email"]),
                                          spacing="1", align="center"),
                                href="mailto:" + R.lead["email"], size="2",
                                word_break="break-all")),
                rx.cond(R.lead["phone"] != "",
                        rx.link(rx.hstack(rx.icon("phone", size=14),
                                          rx.text(R.lead["phone_display"]),
                                          spacing="1", align="center"),
                                href="tel:" + R.lead["phone"], size="2")),
                spacing="3", wrap="wrap",
            ),
            spacing="1", min_width="0",
        ),
        rx.spacer(),
        rx.flex(
            rx.link(rx.button(rx.icon("arrow-left", size=16), t("common.back"), variant="ghost"),
                    href="/leads"),
            rx.link(rx.button(rx.icon("pencil", size=16), t("common.edit"), variant="soft"),
                    href=R.edit_href, id="lead-edit"),
            delete,
            rx.cond(R.converted,
                    rx.cond(R.account_href != "",
                            rx.link(rx.button(rx.icon("building-2", size=16),
                                              t("lead_ui.convert.open_account")),
                                    href=R.account_href, id="lead-account-link")),
                    rx.button(rx.icon("building-2", size=16), t("lead_ui.convert.button"),
                              on_click=R.open_convert, id="lead-convert")),
            spacing="2", wrap="wrap", align="center",
        ),
        spacing="3", wrap="wrap", width="100%", align="start",
    )


def lead_record_page() -> rx.Component:
    return shell(
        rx.cond(
            R.found,
            rx.vstack(
                _header(),
                rx.grid(
                    rx.vstack(_data_card(), _timeline(), spacing="4", width="100%",
                              min_width="0"),
                    rx.vstack(_status_card(), spacing="4", width="100%", min_width="0",
                              order=rx.breakpoints(initial="-1", md="0")),
                    columns=rx.breakpoints(initial="1", md="3fr 2fr"),
                    spacing="4",
                    width="100%",
                ),
                _discard_dialog(),
                _convert_dialog(),
                spacing="4",
                width="100%",
            ),
            rx.callout(t("lead_ui.not_found"), icon="circle-alert", color_scheme="red",
                       id="lead-not-found"),
        ),
        title=t("nav.leads"),
        active="/leads",
    )
