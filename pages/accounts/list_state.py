"""The customers list's state: ``ListState`` with the customers' sorts and filters, and the
recycle bin as the list's second tab (restore from there).

Filters are named like ``services.accounts.list_accounts`` takes them, so its errors land next
to the control that caused them. The owner filter offers the people whose records the user
may see (``lead_options.visible_users``: the one rule every screen uses).
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.i18n import t
from crm_app.list_state import ListState
from crm_app.permissions import Perm
from crm_app.services import accounts as account_service
from crm_app.services import lead_options
from crm_app.services.sales_common import user_names
from crm_app.services.spain import canonical_province
from crm_app.state import AppState, Ctx, handler
from pages.accounts.rows import account_row, people, plural, size_band_label

ACTIVE, BIN = "active", "bin"


class AccountsListState(ListState, AppState):
    _alert_entity: ClassVar = "account"  # the rows' alert icons
    _sorts: ClassVar = ("name", "province", "sector", "channel", "created_at")
    _default_sort: ClassVar = ("name", False)
    _views: ClassVar = (ACTIVE, BIN)
    _filter_labels: ClassVar = {
        "province": "col.province", "sector": "col.sector",
        "size_band": "sui.account.size_band", "channel": "col.channel", "owner_id": "col.owner",
    }

    owner_options: list[dict[str, str]] = []

    @rx.var
    def in_bin(self) -> bool:
        return self.view == BIN

    @rx.var
    def count_label(self) -> str:
        """``1 cliente`` / ``12 clientes`` (and the same in the bin)."""
        if self.view == BIN:
            return plural(self.total, "acc_ui.count_bin_one", "sui.accounts.count_bin")
        return plural(self.total, "acc_ui.count_one", "count.accounts")

    # --- ListState hooks ------------------------------------------------------------------

    def _load_options(self, ctx: Ctx) -> None:
        self.owner_options = people(lead_options.visible_users(session=ctx.session,
                                                               actor=ctx.user))

    def _filter_value(self, name: str, value: str) -> str:
        return (canonical_province(value) or value) if name == "province" else value

    def _chip_text(self, name: str, value: str) -> str:
        if name == "size_band":
            return size_band_label(value)
        if name == "owner_id":
            return next((o["label"] for o in self.owner_options if o["value"] == value), value)
        return value

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        f = self.filters
        owner = f.get("owner_id", "")
        page = account_service.list_accounts(
            session=ctx.session, actor=ctx.user, q=self.q, province=f.get("province", ""),
            sector=f.get("sector", ""), size_band=f.get("size_band", ""),
            channel=f.get("channel", ""), owner_id=int(owner) if owner.isdigit() else None,
            deleted=self.view == BIN, sort=("-" if self.desc else "") + self.sort,
            offset=offset, limit=limit)
        names = user_names(ctx.session, {a.owner_id for a in page.items})
        return [account_row(a, names.get(a.owner_id or 0, "")) for a in page.items], page.total

    # --- the recycle bin ------------------------------------------------------------------

    @handler(Perm.RECORDS_DELETE)
    def restore(self, ctx: Ctx, account_id: str) -> Any:
        account_service.restore_account(session=ctx.session, actor=ctx.user,
                                        account_id=int(account_id) if str(account_id).isdigit()
                                        else 0)
        return self._done(ctx, t("sui.accounts.restored"))


__all__ = ["ACTIVE", "BIN", "AccountsListState"]
