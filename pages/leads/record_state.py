"""The lead's record page state: its data, the status and owner changers, the timeline
(``lead_timeline``), the recycle bin with undo and the conversion (``convert_lead``)."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import datetime_es, phone_es
from crm_app.i18n import t
from crm_app.permissions import Perm, can_access
from crm_app.services import conversion, lead_options, personal_data
from crm_app.services import leads as lead_service
from crm_app.services.custom_fields import active_defs
from crm_app.services.pipelines import list_pipelines
from crm_app.state import AppState, Ctx, handler, setter, toast_and_go
from crm_app.state_mixins.activity_log import ActivityLogMixin
from crm_app.state_mixins.personal_data import PersonalDataMixin
from crm_app.state_mixins.record_page import RecordPageMixin
from pages.leads.rows import CONVERTED, as_datetime, custom_text, option, timeline_rows

_DATA_FIELDS = ("company", "position", "email", "phone", "nif", "province", "city", "source")


class LeadRecordState(ActivityLogMixin, PersonalDataMixin, RecordPageMixin, AppState):
    lead: dict[str, str] = {}
    fields: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    status: str = ""
    discard_open: bool = False
    discard_reason: str = ""
    errors: dict[str, str] = {}
    owner_id: str = ""
    owner_options: list[dict[str, str]] = []
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

    _route: ClassVar[str] = "leads"
    _log_link: ClassVar[str] = "lead_id"
    _alert_entity: ClassVar[str] = "lead"
    _deleted_id: int | None = None

    @rx.var
    def converted(self) -> bool:
        return self.status == CONVERTED

    @rx.var
    def edit_href(self) -> str:
        return f"/leads/{self.record_id}/editar"

    @rx.var
    def export_href(self) -> str:
        """The access export (a ZIP), served by the authorised API route."""
        return f"/api/v1/leads/{self.record_id}/export"

    def _fill(self, ctx: Ctx) -> None:
        """The lead, its fields and its timeline, as the page shows them."""
        data = lead_service.get_lead_dict(session=ctx.session, actor=ctx.user,
                                          lead_id=self.record_id)
        self.status = data["status"]
        self.owner_id = str(data.get("owner_id") or "")
        self._pd_show(data)
        created = as_datetime(data.get("created_at"))
        self.lead = {
            "name": data.get("display_name") or "—",
            "status": t(f"lead.status.{data['status']}"),
            "status_key": data["status"],
            "owner": data.get("owner_name") or t("lead_ui.record.no_owner"),
            "team": data.get("team_name") or "",
            "email": data.get("email") or "",
            "phone": data.get("phone") or "",
            "phone_display": phone_es(data.get("phone")),
            "discard_reason": data.get("discard_reason") or "",
            "notes": data.get("notes") or "",
            "created": datetime_es(created) if created else "",
        }
        self.account_href = (f"/clientes/{data['converted_account_id']}"
                             if data.get("converted_account_id") else "")
        fields = [{"label": t(f"leads.field.{name}"),
                   "value": (phone_es(data.get(name)) if name == "phone"
                             else data.get(name) or "") or "—", "key": name}
                  for name in _DATA_FIELDS]
        fields.append({"label": t("leads.field.created_at"), "value": self.lead["created"],
                       "key": "created_at"})
        custom = data.get("custom") or {}
        fields.extend({"label": d.label, "value": custom_text(d.type, custom.get(d.key)) or "—",
                       "key": f"custom-{d.key}"}
                      for d in active_defs(session=ctx.session, entity="lead").values())
        self.fields = fields
        self.timeline = timeline_rows(lead_service.lead_timeline(
            session=ctx.session, actor=ctx.user, lead_id=self.record_id, limit=100))
        self._load_activities(ctx)

    @handler()
    def load(self, ctx: Ctx) -> None:
        """on_load: the lead of the path (or "no encontrado") and whom it may be given to."""
        self._open(ctx)
        self.owner_options = [option(u.id, u.name) for u in lead_options.assignable_users(
            session=ctx.session, actor=ctx.user)]

    def _forget(self) -> None:
        self.errors, self.discard_open, self.convert_open = {}, False, False
        self.log_open, self.record_activities = False, []
        self.lead, self.fields, self.timeline = {}, [], []

    # --- status -------------------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE, errors="errors")
    def pick_status(self, ctx: Ctx, value: str) -> Any:
        """A status from the select; "descartado" asks for the reason first."""
        if value == self.status:
            return None
        if value == "descartado":
            self.discard_reason, self.discard_open = "", True
            return None
        return self._change_status(ctx, value, "")

    set_discard_open = setter("discard_open")

    set_discard_reason = setter("discard_reason")

    @handler(Perm.RECORDS_CHANGE, errors="errors")
    def confirm_discard(self, ctx: Ctx) -> Any:
        return self._change_status(ctx, "descartado", self.discard_reason)

    def _change_status(self, ctx: Ctx, status: str, reason: str) -> Any:
        lead_service.change_status(session=ctx.session, actor=ctx.user, lead_id=self.record_id,
                                   status=status, discard_reason=reason)
        self.discard_open = False
        self._fill(ctx)
        return rx.toast.success(t("lead_ui.record.status_changed",
                                  status=t(f"lead.status.{status}")))

    # --- owner --------------------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE)
    def pick_owner(self, ctx: Ctx, value: str) -> Any:
        if not str(value).isdigit() or value == self.owner_id:
            return None
        lead = lead_service.assign_lead(session=ctx.session, actor=ctx.user,
                                        lead_id=self.record_id, owner_id=int(value))
        if not can_access(ctx.user, lead):  # given to someone out of this user's scope
            return toast_and_go(t("lead_ui.record.assigned_away"), "/leads")
        self._fill(ctx)
        return rx.toast.success(t("lead_ui.record.assigned", owner=self.lead.get("owner", "")))

    # --- recycle bin --------------------------------------------------------------------------

    @handler(Perm.RECORDS_DELETE)
    def delete(self, ctx: Ctx) -> Any:
        lead_service.delete_lead(session=ctx.session, actor=ctx.user, lead_id=self.record_id)
        self._deleted_id = self.record_id
        return [rx.redirect("/leads"),
                rx.toast.success(t("lead_ui.record.deleted"), duration=10000,
                                 action={"label": t("lead_ui.undo"),
                                         "on_click": LeadRecordState.undo_delete})]

    @handler(Perm.RECORDS_DELETE)
    def undo_delete(self, ctx: Ctx) -> Any:
        lead_id, self._deleted_id = self._deleted_id, None
        if lead_id is None:
            return None
        lead_service.restore_lead(session=ctx.session, actor=ctx.user, lead_id=lead_id)
        return toast_and_go(t("lead_ui.record.restored"), f"/leads/{lead_id}")

    # --- personal data (RGPD) ------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE, errors="pd_errors")
    def save_consent(self, ctx: Ctx) -> Any:
        """The legal basis and consent of the card, through ``update_lead``'s validation."""
        with self._busy("pd_saving"):
            yield
            lead_service.update_lead(session=ctx.session, actor=ctx.user,
                                     lead_id=self.record_id, data=self._pd_payload())
        self._fill(ctx)
        yield rx.toast.success(t("pd.saved"))

    @handler(Perm.RECORDS_VIEW)
    def export_person(self, ctx: Ctx) -> Any:
        """The access export: the hourly limit first (a toast), then the ZIP from the API."""
        personal_data.check_export_rate(session=ctx.session, actor=ctx.user)
        return rx.download(url=self.export_href)

    @handler(Perm.RECORDS_DELETE)
    def anonymise(self, ctx: Ctx) -> Any:
        """Irreversible erasure (the dialog asked first); the page shows what is left."""
        personal_data.anonymise_person(session=ctx.session, actor=ctx.user, entity="lead",
                                       record_id=self.record_id)
        self._fill(ctx)
        return rx.toast.success(t("pd.anonymised"))

    # --- conversion ---------------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE)
    def open_convert(self, ctx: Ctx) -> None:
        """The conversion dialog: what it will do (new or matched account) and the pipelines."""
        self.conv_errors, self.conv_preview, self.conv_blocked = {}, "", ""
        self.conv_opportunity, self.conv_amount = False, ""
        preview = conversion.conversion_preview(session=ctx.session, actor=ctx.user,
                                                lead_id=self.record_id)
        pipelines = list_pipelines(session=ctx.session, actor=ctx.user)
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

    set_convert_open = setter("convert_open")

    set_conv_opportunity = setter("conv_opportunity")

    set_conv_pipeline = setter("conv_pipeline")

    set_conv_name = setter("conv_name")

    set_conv_amount = setter("conv_amount")

    @handler(Perm.RECORDS_CHANGE, errors="conv_errors")
    def convert(self, ctx: Ctx) -> Any:
        with self._busy("converting"):
            yield
            with_opp = self.conv_opportunity
            result = conversion.convert_lead(
                session=ctx.session, actor=ctx.user, lead_id=self.record_id,
                create_opportunity=with_opp,
                pipeline_id=int(self.conv_pipeline) if with_opp and self.conv_pipeline.isdigit()
                else None,
                opportunity_name=self.conv_name, amount=self.conv_amount or None)
        self._fill(ctx)
        self.convert_open = False
        self.account_href = f"/clientes/{result['account_id']}"
        yield rx.toast.success(t("lead_ui.convert.done_matched" if result["account_matched"]
                                 else "lead_ui.convert.done"))


__all__ = ["LeadRecordState"]
