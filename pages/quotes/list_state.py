"""/presupuestos: the quotes list on ``ListState`` — search by number or customer, the status
filter (``?estado=abiertos`` from Inicio's "Presupuestos pendientes", or one status), sortable
number, dates and total; one scoped service call per page."""

from __future__ import annotations

from typing import ClassVar

import reflex as rx

from crm_app.i18n import t
from crm_app.list_state import ListState
from crm_app.permissions import Perm
from crm_app.services import quotes as quote_service
from crm_app.state import AppState, Ctx
from pages.quotes import rows


class QuotesState(ListState, AppState):
    _alert_entity: ClassVar = "quote"  # the rows' alert icons
    _sorts: ClassVar = ("number", "issue_date", "valid_until", "total")
    _default_sort: ClassVar = ("number", True)
    _filter_labels: ClassVar = {"status": "col.status"}
    _view_perm: ClassVar = Perm.FISCAL_VIEW  # the asesor reads the quotes too

    @rx.var
    def count_label(self) -> str:
        return t("quote_ui.count_one") if self.total == 1 else t("count.quotes")

    def _load_options(self, ctx: Ctx) -> None:
        """A link with ``?estado=`` opens the list filtered to it (other filters survive)."""
        wanted = str(self.router.url.query_parameters.get("estado", "") or "")
        if wanted:
            status = self._filter_value("status", wanted)
            self.filters = {**{k: v for k, v in self.filters.items() if k != "status"},
                            **({"status": status} if status else {})}

    def _filter_value(self, name: str, value: str) -> str:
        known = {o["value"] for o in rows.status_options()}
        return value if name != "status" or value in known else ""

    def _chip_text(self, name: str, value: str) -> str:
        return rows.status_text(value) if name == "status" else value

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        page = quote_service.list_quote_rows(
            session=ctx.session, actor=ctx.user, q=self.q,
            status=self.filters.get("status", ""), sort=("-" if self.desc else "") + self.sort,
            offset=offset, limit=limit)
        return [rows.list_row(r) for r in page.items], page.total


__all__ = ["QuotesState"]
