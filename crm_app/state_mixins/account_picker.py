"""Pick the customer of a record: search by name or NIF, pick one, change it.

Used by the opportunity form and the quote editor (``class S(AccountPickerMixin, AppState)``;
view: ``components.account_picker.account_picker``). The search and the pick go through the
accounts service, so only customers in the user's scope are offered or accepted; the screen
reacts to a pick in ``_account_picked`` (its contacts, its opportunities…).
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.models import Account
from crm_app.services import accounts as account_service
from crm_app.services import contacts as contact_service
from crm_app.state import Ctx, handler

MIN_QUERY = 2  # characters typed before the search runs
MAX_OPTIONS = 8
MAX_CONTACTS = 100


class AccountPickerMixin(rx.State, mixin=True):
    account_id: str = ""
    account_name: str = ""
    account_q: str = ""
    account_options: list[dict[str, str]] = []
    contact_options: list[dict[str, str]] = []  # the picked customer's contacts

    def _account_picked(self, ctx: Ctx, account: Account | None) -> None:
        """Hook: the screen loads what depends on the customer (``None``: cleared)."""

    def _set_account(self, ctx: Ctx, account_id: int | None, name: str = "") -> None:
        """Show the customer as picked, with its contacts (also when a screen opens a record
        or arrives with ``?cliente=``); ``None`` clears it."""
        self.account_id = str(account_id) if account_id else ""
        self.account_name = name if account_id else ""
        self.account_q, self.account_options = "", []
        self._load_contacts(ctx, account_id)

    def _load_contacts(self, ctx: Ctx, account_id: int | None) -> None:
        if not account_id:
            self.contact_options = []
            return
        page = contact_service.list_contacts(session=ctx.session, actor=ctx.user,
                                             account_id=account_id, limit=MAX_CONTACTS)
        self.contact_options = [{"value": str(c.id),
                                 "label": f"{c.first_name} {c.last_name}".strip() or c.email}
                                for c in page.items]

    @handler()
    def search_accounts(self, ctx: Ctx, value: str) -> None:
        self.account_q = str(value or "")[:200]
        if len(self.account_q.strip()) < MIN_QUERY:
            self.account_options = []
            return
        page = account_service.list_accounts(session=ctx.session, actor=ctx.user,
                                             q=self.account_q, limit=MAX_OPTIONS)
        self.account_options = [{"value": str(a.id), "label": a.name,
                                 "detail": " · ".join(x for x in (a.nif, a.province) if x)}
                                for a in page.items]

    @handler()
    def pick_account(self, ctx: Ctx, account_id: str) -> Any:
        account = account_service.get_account(session=ctx.session, actor=ctx.user,
                                              account_id=account_id)  # type: ignore[arg-type]
        self._set_account(ctx, account.id, account.name)
        self._account_picked(ctx, account)

    @handler()
    def clear_account(self, ctx: Ctx) -> None:
        self._set_account(ctx, None)
        self._account_picked(ctx, None)


__all__ = ["AccountPickerMixin"]
