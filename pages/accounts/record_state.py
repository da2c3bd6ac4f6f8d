"""The customer file's state (/clientes/[cliente_id]): everything ``account_360`` returns as
display strings, the contacts dialog (add, edit, delete) and the recycle bin.

One scoped service call fills the page; every change goes through its service and then reads
the file again, so what is shown is what is stored.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import accounts as account_service
from crm_app.services import contacts as contact_service
from crm_app.services import personal_data
from crm_app.services.audit import snapshot
from crm_app.state import AppState, Ctx, handler, setter
from crm_app.state_mixins.activity_log import ActivityLogMixin
from crm_app.state_mixins.personal_data import PersonalDataMixin
from crm_app.state_mixins.record_page import RecordPageMixin
from pages.accounts.rows import (
    account_card,
    alert_rows,
    contact_rows,
    document_rows,
    opportunity_rows,
    purchase_rows,
    quote_rows,
    timeline_rows,
)

CONTACT_FIELDS = ("first_name", "last_name", "position", "email", "phone")
TIMELINE_PAGE = 30
TIMELINE_MORE = 50


class AccountRecordState(ActivityLogMixin, PersonalDataMixin, RecordPageMixin, AppState):
    acc: dict[str, str] = {}
    contacts: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    timeline_limit: int = TIMELINE_PAGE
    timeline_more: bool = False
    opps_open: list[dict[str, str]] = []
    opps_closed: list[dict[str, str]] = []
    quotes: list[dict[str, str]] = []
    purchases: list[dict[str, str]] = []
    purchase_years: list[dict[str, str]] = []
    purchase_total: str = ""
    account_alerts: list[dict[str, str]] = []
    documents: list[dict[str, str]] = []
    # the contact dialog
    contact_open: bool = False
    contact_id: int = 0
    contact_form: dict[str, str] = {}
    contact_errors: dict[str, str] = {}
    contact_saving: bool = False

    _route: ClassVar[str] = "clientes"
    _log_link: ClassVar[str] = "account_id"
    _alert_entity: ClassVar[str] = "account"

    @rx.var
    def edit_href(self) -> str:
        return f"/clientes/{self.record_id}/editar"

    @rx.var
    def new_opportunity_href(self) -> str:
        return f"/oportunidades/nueva?cliente={self.record_id}"

    @rx.var
    def new_quote_href(self) -> str:
        return f"/presupuestos/nuevo?cliente={self.record_id}"

    def _fill(self, ctx: Ctx) -> None:
        data = account_service.account_360(session=ctx.session, actor=ctx.user,
                                           account_id=self.record_id,
                                           timeline_limit=self.timeline_limit + 1)
        self.acc = account_card(data["account"], data["owner"])
        self.contacts = contact_rows(data["contacts"])
        entries = data["timeline"]
        self.timeline_more = len(entries) > self.timeline_limit
        self.timeline = timeline_rows(entries[:self.timeline_limit])
        self.opps_open = opportunity_rows(data["opportunities"]["open"])
        self.opps_closed = opportunity_rows(data["opportunities"]["closed"])
        self.quotes = quote_rows(data["quotes"])
        self.purchases, self.purchase_years, self.purchase_total = purchase_rows(
            data["purchases"])
        self.account_alerts = alert_rows(data["alerts"])
        self.documents = document_rows(data["documents"])
        self._load_activities(ctx)

    def _forget(self) -> None:
        self.acc, self.contact_open, self.timeline_limit = {}, False, TIMELINE_PAGE
        self.log_open, self.record_activities = False, []

    @handler()
    def load(self, ctx: Ctx) -> None:
        """on_load: the customer of the path (or "no encontrado")."""
        self._open(ctx)

    @handler()
    def more_timeline(self, ctx: Ctx) -> None:
        self.timeline_limit += TIMELINE_MORE
        self._fill(ctx)

    # --- contacts -----------------------------------------------------------------------------

    @rx.event
    def new_contact(self) -> None:
        self.contact_id = 0
        self.contact_form = {k: "" for k in CONTACT_FIELDS}
        self.contact_errors = {}
        self._pd_show({})
        self.contact_open = True

    @handler()
    def edit_contact(self, ctx: Ctx, contact_id: str) -> None:
        c = contact_service.get_contact(session=ctx.session, actor=ctx.user,
                                        contact_id=int(contact_id) if str(contact_id).isdigit()
                                        else 0)
        self.contact_id = c.id or 0
        self.contact_form = {k: str(getattr(c, k) or "") for k in CONTACT_FIELDS}
        self.contact_errors = {}
        self._pd_show(snapshot(c) or {})  # RGPD: legal basis and consent
        self.contact_open = True

    @rx.var
    def contact_export_href(self) -> str:
        """The access export of the contact in the dialog (a ZIP from the API route)."""
        return f"/api/v1/contacts/{self.contact_id}/export"

    set_contact_open = setter("contact_open")

    @rx.event
    def set_contact_value(self, key: str, value: str) -> None:
        if key in CONTACT_FIELDS:
            self.contact_form = {**self.contact_form, key: str(value or "")[:250]}

    @handler(Perm.RECORDS_CHANGE, errors="contact_errors")
    def save_contact(self, ctx: Ctx) -> Any:
        data = {k: self.contact_form.get(k, "").strip() for k in CONTACT_FIELDS}
        if not self.pd_anonymised:
            data.update(self._pd_payload())
        with self._busy("contact_saving"):
            yield
            if self.contact_id:
                contact_service.update_contact(session=ctx.session, actor=ctx.user,
                                               contact_id=self.contact_id, data=data)
            else:
                contact_service.create_contact(session=ctx.session, actor=ctx.user,
                                               data={**data, "account_id": self.record_id})
        self.contact_open = False
        self._fill(ctx)
        yield rx.toast.success(t("sui.contacts.saved"))

    @handler(Perm.RECORDS_VIEW)
    def export_contact(self, ctx: Ctx) -> Any:
        """The contact's access export: the hourly limit first (a toast), then the ZIP."""
        personal_data.check_export_rate(session=ctx.session, actor=ctx.user)
        return rx.download(url=self.contact_export_href)

    @handler(Perm.RECORDS_DELETE)
    def anonymise_contact(self, ctx: Ctx) -> Any:
        """RGPD erasure of the contact in the dialog (the confirmation asked first)."""
        personal_data.anonymise_person(session=ctx.session, actor=ctx.user, entity="contact",
                                       record_id=self.contact_id)
        self.contact_open = False
        self._fill(ctx)
        return rx.toast.success(t("pd.anonymised"))

    @handler(Perm.RECORDS_DELETE)
    def delete_contact(self, ctx: Ctx, contact_id: str) -> Any:
        contact_service.delete_contact(session=ctx.session, actor=ctx.user,
                                       contact_id=int(contact_id) if str(contact_id).isdigit()
                                       else 0)
        self._fill(ctx)
        return rx.toast.success(t("sui.contacts.deleted"))

    # --- the recycle bin ----------------------------------------------------------------------

    @handler(Perm.RECORDS_DELETE)
    def delete_account(self, ctx: Ctx) -> Any:
        yield from self._delete_and_leave(ctx, account_service.delete_account,
                                          t("sui.accounts.deleted"), account_id=self.record_id)


__all__ = ["AccountRecordState"]
