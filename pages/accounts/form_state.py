"""The customer form's state: /clientes/nuevo and /clientes/[cliente_id]/editar.

The service validates (``accounts._clean_account``: the NIF/CIF/NIE and its uniqueness, postal
code against province, email, phone, country code, size band) and its Spanish messages land
under each field. The owner select offers exactly the people the user may give a record to
(``lead_options.assignable_users``, the rule of every screen), plus the current owner so an
edit never changes it by accident.
"""

from __future__ import annotations

from typing import Any, ClassVar

from crm_app.i18n import t
from crm_app.list_state import NONE
from crm_app.permissions import Perm
from crm_app.services import accounts as account_service
from crm_app.services import lead_options
from crm_app.services.sales_common import user_names
from crm_app.state import AppState, Ctx, handler, toast_and_go
from crm_app.state_mixins.record_form import RecordFormMixin, picked
from pages.accounts.rows import (
    FIELD_ORDER,
    SELECT_FIELDS,
    TEXT_FIELDS,
    channel_choices,
    form_values,
    option,
    people,
)


class AccountFormState(RecordFormMixin, AppState):
    owner_options: list[dict[str, str]] = []
    channel_options: list[dict[str, str]] = []

    _list_href: ClassVar[str] = "/clientes"
    _field_order: ClassVar[tuple[str, ...]] = FIELD_ORDER

    # --- loading ----------------------------------------------------------------------------

    def _fill(self, ctx: Ctx, values: dict[str, str]) -> None:
        """The selects' options, with ``values``' owner and channel among them."""
        owners = people(lead_options.assignable_users(session=ctx.session, actor=ctx.user))
        current = values.get("owner_id", "")
        if current.isdigit() and all(o["value"] != current for o in owners):
            name = user_names(ctx.session, {int(current)}).get(int(current), "")
            owners.append(option(current, name or current))
        self.owner_options = owners
        self.channel_options = [option(NONE, t("sui.common.unspecified")),
                                *channel_choices(values.get("channel", ""))]
        self.values = {k: (v or NONE) if k in SELECT_FIELDS else v for k, v in values.items()}
        self.ready = True

    @handler()
    def new_account(self, ctx: Ctx) -> None:
        """on_load of /clientes/nuevo: an empty form, owned by the user."""
        self._reset_form()
        self._fill(ctx, form_values(None, ctx.user.id or 0))
        self.form_key = f"new-{id(self)}-{ctx.user.id}"

    @handler()
    def edit_account(self, ctx: Ctx) -> None:
        """on_load of /clientes/[cliente_id]/editar. A customer that is missing or out of the
        user's scope shows "not found" (the service's refusal is the toast)."""
        self._reset_form()
        self.not_found = self.ready = True
        account = account_service.get_account(session=ctx.session, actor=ctx.user,
                                              account_id=self._route_id("clientes") or 0)
        self.record_id = account.id or 0
        self.title = account.name
        self._fill(ctx, form_values(account, ctx.user.id or 0))
        self.form_key = f"edit-{self.record_id}-{account.updated_at or ''}"
        self.not_found = False

    # --- saving -------------------------------------------------------------------------------

    def _collect(self, form: dict[str, Any]) -> dict[str, Any]:
        """The service's payload from the submitted form (every value as typed)."""
        data: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in TEXT_FIELDS}
        data.update({k: picked(form.get(k)) for k in SELECT_FIELDS})
        data["recargo_equivalencia"] = str(form.get("recargo_equivalencia") or "") in (
            "on", "true", "True", "1")
        owner = picked(form.get("owner_id"))
        if owner:  # the service decides whether this user may give the customer to them
            data["owner_id"] = int(owner) if owner.isdigit() else owner
        return data

    @handler(Perm.RECORDS_CHANGE, errors="errors")
    def submit(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        with self._busy("saving"):
            yield
            data = self._collect(form)
            if self.record_id:
                account = account_service.update_account(
                    session=ctx.session, actor=ctx.user, account_id=self.record_id, data=data)
                message = t("sui.accounts.saved")
            else:
                account = account_service.create_account(session=ctx.session, actor=ctx.user,
                                                         data=data)
                message = t("sui.accounts.created")
        yield toast_and_go(message, f"/clientes/{account.id}")


__all__ = ["AccountFormState"]
