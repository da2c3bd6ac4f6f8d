"""/ajustes/auditoria: the company's audit log on the list kit (``audit.view``: admins).

Filters (user, record type, record number, Madrid days from/to) are the service's parameters,
so a bad one shows its message under its field; the page is read on the server
(``services.audit_log``). "Descargar CSV" writes what the filters (and the search) select in
a background event, off the event loop, and hands it to the browser (at most
``audit_log.MAX_EXPORT_ROWS`` rows; more asks for a shorter period under "Desde").
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.i18n import t
from crm_app.list_state import ListState
from crm_app.permissions import Perm
from crm_app.services import audit_log
from crm_app.services.table_export import CSV_MIME
from crm_app.state import AppState, Ctx, handler


def row(r: dict[str, Any]) -> dict[str, str]:
    """One entry as display strings; each change on its own line."""
    lines = [f"{c['field']}: {c['before']} → {c['after']}" if c["before"] and c["after"]
             else f"{c['field']}: {c['after'] or c['before']}" for c in r["changes"]]
    return {"id": str(r["id"]), "at": r["at_text"], "who": r["actor_name"],
            "entity": r["entity_label"],
            "entity_id": "" if r["entity_id"] is None else str(r["entity_id"]),
            "href": r["href"], "action": r["action_label"], "changes": "\n".join(lines),
            "note": r["note"]}


class AuditState(ListState, AppState):
    user_options: list[dict[str, str]] = []
    entity_options: list[dict[str, str]] = []
    exporting: bool = False

    _sorts: ClassVar = ()
    _default_sort: ClassVar = ("at", True)
    _view_perm: ClassVar = Perm.AUDIT_VIEW
    _filter_labels: ClassVar = {"user_id": "audit.f.user", "entity": "audit.f.entity",
                                "entity_id": "audit.f.entity_id", "from": "audit.f.from",
                                "to": "audit.f.to"}

    @rx.var
    def count_label(self) -> str:
        return t("audit.count_one") if self.total == 1 else t("audit.count")

    def _service_filters(self) -> dict[str, Any]:
        f = self.filters
        return {"user_id": f.get("user_id"), "entity": f.get("entity", ""),
                "entity_id": f.get("entity_id"), "date_from": f.get("from"),
                "date_to": f.get("to"), "q": self.q}

    @handler(Perm.AUDIT_VIEW, errors="filter_errors", background=True)
    async def export_csv(self, ctx: Ctx) -> Any:
        """The CSV of what the filters select, written in a worker thread."""
        async with self:
            filters = self._service_filters()
            self.exporting = True
        try:
            name, data = await rx.run_in_thread(lambda: audit_log.export_csv(
                session=ctx.session, actor=ctx.user, **filters))
        finally:
            async with self:
                self.exporting = False
        return rx.download(data=data, filename=name, mime_type=CSV_MIME)

    def _load_options(self, ctx: Ctx) -> None:
        opts = audit_log.filter_options(session=ctx.session, actor=ctx.user)
        self.user_options, self.entity_options = opts["users"], opts["entities"]

    def _chip_text(self, name: str, value: str) -> str:
        options = {"user_id": self.user_options, "entity": self.entity_options}.get(name)
        if options:
            return next((o["label"] for o in options if o["value"] == value), value)
        return value

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        page = audit_log.list_events(session=ctx.session, actor=ctx.user, offset=offset,
                                     limit=limit, **self._service_filters())
        return [row(r) for r in page.items], page.total


__all__ = ["AuditState"]
