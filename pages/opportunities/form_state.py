"""The opportunity form: /oportunidades/nueva (``?cliente=ID`` picks the customer) and
/oportunidades/[oportunidad_id]/editar.

The service validates every field (name, amount, ``dd/mm/aaaa`` dates, the customer, its
contact and the product through the user's scope, the owner by the assignment rule, the
stage's required fields) and its Spanish messages land under each field.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.formatting import date_es, dec_text
from crm_app.i18n import t
from crm_app.list_state import NONE
from crm_app.models import Account
from crm_app.permissions import Perm
from crm_app.services import accounts as account_service
from crm_app.services import lead_options
from crm_app.services import opportunities as opp_service
from crm_app.services import pipelines as pipeline_service
from crm_app.services import products as product_service
from crm_app.state import AppState, Ctx, handler, toast_and_go
from crm_app.state_mixins.account_picker import AccountPickerMixin
from pages.opportunities.rows import channel_options, option

MAX_PRODUCTS = 200


def _picked(value: Any) -> str:
    """A select's value, ``""`` for "none"."""
    value = str(value or "")
    return "" if value == NONE else value


class OpportunityFormState(AccountPickerMixin, AppState):
    opp_id: int = 0
    found: bool = True
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    saving: bool = False
    form_key: int = 0
    owners: list[dict[str, str]] = []
    pipelines: list[dict[str, str]] = []
    stages: list[dict[str, str]] = []
    products: list[dict[str, str]] = []
    channels: list[dict[str, str]] = []
    pipeline_id: str = ""
    stage_id: str = ""
    contact_id: str = NONE

    @rx.var
    def cancel_href(self) -> str:
        return f"/oportunidades/{self.opp_id}" if self.opp_id else "/oportunidades"

    @rx.var
    def title(self) -> str:
        return t("opp_ui.edit_title") if self.opp_id else t("opp_ui.new_title")

    def _account_picked(self, ctx: Ctx, account: Account | None) -> None:
        self.contact_id = NONE  # a contact of the previous customer no longer fits

    def _load_stages(self, ctx: Ctx) -> None:
        """A new opportunity starts in an open stage of its pipeline (the first by default)."""
        if self.opp_id or not self.pipeline_id:
            self.stages = []
            return
        stages = pipeline_service.open_stages(session=ctx.session, actor=ctx.user,
                                              pipeline_id=self.pipeline_id)
        self.stages = [option(st.id, st.name) for st in stages]
        if self.stage_id not in {s["value"] for s in self.stages}:
            self.stage_id = self.stages[0]["value"] if self.stages else ""

    def _new(self, ctx: Ctx) -> None:
        self.opp_id = 0
        self.form = {"name": "", "amount": "", "expected_close": "", "description": "",
                     "channel": NONE, "product_id": NONE, "owner_id": str(ctx.user.id)}
        pipelines = pipeline_service.list_pipelines(session=ctx.session, actor=ctx.user)
        default = next((p for p in pipelines if p.is_default), None) or \
            (pipelines[0] if pipelines else None)
        self.pipeline_id, self.stage_id = (str(default.id) if default else ""), ""
        self.contact_id = NONE
        self.channels = channel_options()
        account_id = str(self.router.url.query_parameters.get("cliente", "") or "")
        if account_id:
            account = account_service.get_account(session=ctx.session, actor=ctx.user,
                                                  account_id=account_id)  # type: ignore[arg-type]
            self._set_account(ctx, account.id, account.name)
        else:
            self._set_account(ctx, None)

    def _edit(self, ctx: Ctx, opp_id: int) -> None:
        o = opp_service.opportunity_detail(session=ctx.session, actor=ctx.user,
                                           opportunity_id=opp_id)
        self.opp_id = o["id"]
        self.form = {
            "name": o["name"], "amount": dec_text(o["amount"]),
            "expected_close": date_es(o["expected_close"]), "description": o["description"],
            "channel": o["channel"] or NONE, "product_id": str(o["product_id"] or NONE),
            "owner_id": str(o["owner_id"] or ""),
        }
        self.channels = channel_options(o["channel"] or "")
        self.pipeline_id, self.stage_id = str(o["pipeline_id"]), str(o["stage_id"])
        self._set_account(ctx, o["account_id"], o["account_name"])
        self.contact_id = str(o["contact_id"] or NONE)

    @handler()
    def load(self, ctx: Ctx) -> None:
        """on_load: the choices, then a blank form or the opportunity's values."""
        self.errors, self.saving, self.found = {}, False, False
        self.owners = [option(u.id, u.name) for u in
                       lead_options.assignable_users(session=ctx.session, actor=ctx.user)]
        self.pipelines = [option(p.id, p.name) for p in
                          pipeline_service.list_pipelines(session=ctx.session, actor=ctx.user)]
        products = product_service.list_products(session=ctx.session, actor=ctx.user,
                                                 limit=MAX_PRODUCTS).items
        self.products = [option(NONE, t("sui.common.unspecified")),
                         *[option(p.id, f"{p.name} · {p.sku}") for p in products]]
        opp_id = self._route_id("oportunidades")
        if opp_id is None:
            self._new(ctx)
        else:
            self._edit(ctx, opp_id)
        self._load_stages(ctx)
        self.found = True
        self.form_key += 1  # the uncontrolled inputs take the new defaults

    @handler()
    def set_pipeline(self, ctx: Ctx, value: str) -> None:
        if value in {p["value"] for p in self.pipelines}:
            self.pipeline_id = value
            self._load_stages(ctx)

    @rx.event
    def set_stage(self, value: str) -> None:
        self.stage_id = value

    @rx.event
    def set_contact(self, value: str) -> None:
        self.contact_id = value

    def _data(self, form: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": str(form.get("name") or ""),
            "amount": str(form.get("amount") or ""),
            "expected_close": str(form.get("expected_close") or ""),
            "description": str(form.get("description") or ""),
            "product_id": _picked(form.get("product_id")),
            "account_id": self.account_id,
            "contact_id": _picked(self.contact_id),
        }
        channel = _picked(form.get("channel"))
        if channel or self.opp_id:  # a new one without channel takes its customer's
            data["channel"] = channel
        owner = _picked(form.get("owner_id"))
        if owner:  # the service applies the assignment rule
            data["owner_id"] = owner
        return data

    @handler(Perm.RECORDS_CHANGE, errors="errors")
    def save(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        data = self._data(form)
        with self._busy("saving"):
            yield
            if self.opp_id:
                opp = opp_service.update_opportunity(session=ctx.session, actor=ctx.user,
                                                     opportunity_id=self.opp_id, data=data)
                message = t("sui.opps.saved")
            else:
                data.update(pipeline_id=self.pipeline_id, stage_id=self.stage_id)
                opp = opp_service.create_opportunity(session=ctx.session, actor=ctx.user,
                                                     data=data)
                message = t("sui.opps.created")
        yield toast_and_go(message, f"/oportunidades/{opp.id}")


__all__ = ["OpportunityFormState"]
