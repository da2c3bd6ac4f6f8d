"""/ajustes/auditoria: the company's audit log on the list kit (``audit.view``: admins).

Filters (user, record type, record number, Madrid days from/to) are the service's parameters,
so a bad one shows its message under its field; the page is read on the server
(``services.audit_log``). "Descargar CSV" is a plain link to ``/api/v1/audit/export`` with the
same filters: the browser downloads it with the session cookie, nothing passes through the
websocket.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlencode

import reflex as rx

from crm_app.i18n import t
from crm_app.list_state import ListState
from crm_app.permissions import Perm
from crm_app.services import audit_log
from crm_app.state import AppState, Ctx

# screen filter name -> the API's query parameter (the service's errors use the screen names)
API_PARAMS = {"user_id": "user_id", "entity": "entity", "entity_id": "entity_id",
              "from": "from", "to": "to"}


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

    _sorts: ClassVar = ()
    _default_sort: ClassVar = ("at", True)
    _view_perm: ClassVar = Perm.AUDIT_VIEW
    _filter_labels: ClassVar = {"user_id": "audit.f.user", "entity": "audit.f.entity",
                                "entity_id": "audit.f.entity_id", "from": "audit.f.from",
                                "to": "audit.f.to"}

    @rx.var
    def count_label(self) -> str:
        return t("audit.count_one") if self.total == 1 else t("audit.count")

    @rx.var
    def export_href(self) -> str:
        """The CSV of what the filters select (the search box too)."""
        params = {API_PARAMS[k]: v for k, v in self.filters.items() if k in API_PARAMS and v}
        return "/api/v1/audit/export" + ("?" + urlencode(params) if params else "")

    def _load_options(self, ctx: Ctx) -> None:
        opts = audit_log.filter_options(session=ctx.session, actor=ctx.user)
        self.user_options, self.entity_options = opts["users"], opts["entities"]

    def _chip_text(self, name: str, value: str) -> str:
        options = {"user_id": self.user_options, "entity": self.entity_options}.get(name)
        if options:
            return next((o["label"] for o in options if o["value"] == value), value)
        return value

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        f = self.filters
        page = audit_log.list_events(
            session=ctx.session, actor=ctx.user, user_id=f.get("user_id"),
            entity=f.get("entity", ""), entity_id=f.get("entity_id"),
            date_from=f.get("from"), date_to=f.get("to"), q=self.q, offset=offset,
            limit=limit)
        return [row(r) for r in page.items], page.total


__all__ = ["AuditState"]
