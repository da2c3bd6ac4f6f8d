"""/tareas: the tabs Hoy / Vencidas / Próximas / Hechas over ``services.activities`` — the
sets "Tu día" counts (``overview.task_filters``) — in a scope (mine, my team's for managers,
all for company scope), with row and bulk actions: done, +1 día, +1 semana, a picked date,
reassign.

``/tareas?vence=hoy|vencidas|proximas|hechas`` (the "Tu día" cards) opens that tab.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import datetime_es
from crm_app.i18n import t
from crm_app.list_state import ListState
from crm_app.permissions import Perm
from crm_app.services import activities as activity_service
from crm_app.services import lead_options
from crm_app.services.overview import TASK_WINDOWS
from crm_app.state import AppState, Ctx, handler, setter
from crm_app.state_mixins.activity_log import default_due


def task_row(r: dict[str, Any]) -> dict[str, str]:
    """One ``activities.describe`` row as the list shows it."""
    return {"id": str(r["id"]), "subject": r["subject"], "kind": t(f"act.kind.{r['kind']}"),
            "due": datetime_es(r["due_at"]), "done": datetime_es(r["done_at"]),
            "overdue": "1" if r["overdue"] else "", "open": "1" if r["status"] == "open"
            else "", "owner": r["owner"], "outcome": r["outcome"],
            "record": r["record_name"], "record_href": r["record_path"],
            "customer": r["account_name"], "customer_href": r["account_path"]}


class TasksState(ListState, AppState):
    scope: str = "mine"
    scope_options: list[dict[str, str]] = []
    counts: dict[str, str] = {}
    # the "Elegir fecha" and "Reasignar" dialogs (one row, or the selection)
    pick_open: bool = False
    pick_value: str = ""
    reassign_open: bool = False
    reassign_owner: str = ""
    owner_options: list[dict[str, str]] = []
    action_errors: dict[str, str] = {}
    working: bool = False

    _sorts: ClassVar = ("due_at",)
    _default_sort: ClassVar = ("due_at", False)
    _views: ClassVar = TASK_WINDOWS
    _targets: list[int] = []

    set_pick_open = setter("pick_open")
    set_pick_value = setter("pick_value", limit=40)
    set_reassign_open = setter("reassign_open")
    set_reassign_owner = setter("reassign_owner", limit=12)

    @rx.var
    def many_scopes(self) -> bool:
        return len(self.scope_options) > 1

    def _load_options(self, ctx: Ctx) -> None:
        params = self.router.url.query_parameters
        wanted = str(params.get("vence", "") or "")
        self.view = wanted if wanted in self._views else self._views[0]
        scopes = activity_service.scopes_for(ctx.user)
        self.scope_options = [{"value": s, "label": t(f"act.scope.{s}")} for s in scopes]
        if self.scope not in scopes:
            self.scope = scopes[0]

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        page = activity_service.list_activities(
            session=ctx.session, actor=ctx.user, window=self.view, scope=self.scope, q=self.q,
            offset=offset, limit=limit)
        counts = activity_service.task_counts(session=ctx.session, actor=ctx.user,
                                              scope=self.scope)
        self.counts = {k: str(v) for k, v in counts.items()}
        return [task_row(r) for r in activity_service.describe(ctx.session, page.items)], \
            page.total

    def _ids(self, activity_id: str) -> list[int]:
        """One row's id, or the selection when ``activity_id`` is empty (bulk)."""
        if activity_id:
            return [int(activity_id)] if str(activity_id).isdigit() else [0]
        return self._selected_ids()

    def _bulk(self, ctx: Ctx, ids: list[int], action: str, message: str,
              **args: Any) -> list[Any]:
        """The one way rows change: ``activities.bulk_update`` (one transaction, each checked;
        for one row too), then the list again and a toast."""
        n = activity_service.bulk_update(session=ctx.session, actor=ctx.user, ids=ids,
                                         action=action, **args)
        return self._done(ctx, message if len(ids) == 1 else t("act.toast.bulk", n=n))

    # --- events ---------------------------------------------------------------------------------

    @handler(Perm.RECORDS_VIEW, errors="filter_errors")
    def set_scope(self, ctx: Ctx, value: str) -> None:
        if any(o["value"] == value for o in self.scope_options):
            self.scope = value
            self._filtered(ctx)

    @handler(Perm.RECORDS_CHANGE)
    def mark_done(self, ctx: Ctx, activity_id: str) -> Any:
        return self._bulk(ctx, self._ids(activity_id), "done", t("act.toast.done"))

    @handler(Perm.RECORDS_CHANGE)
    def reopen(self, ctx: Ctx, activity_id: str) -> Any:
        return self._bulk(ctx, self._ids(activity_id), "reopen", t("act.toast.reopened"))

    @handler(Perm.RECORDS_CHANGE)
    def plus_day(self, ctx: Ctx, activity_id: str) -> Any:
        return self._bulk(ctx, self._ids(activity_id), "reschedule",
                          t("act.toast.rescheduled", when=t("act.row.plus_day")), shift="day")

    @handler(Perm.RECORDS_CHANGE)
    def plus_week(self, ctx: Ctx, activity_id: str) -> Any:
        return self._bulk(ctx, self._ids(activity_id), "reschedule",
                          t("act.toast.rescheduled", when=t("act.row.plus_week")),
                          shift="week")

    @handler(Perm.RECORDS_CHANGE)
    def open_pick(self, ctx: Ctx, activity_id: str) -> None:
        """"Elegir fecha" for a row (or, with no id, for the selection)."""
        self._targets = self._ids(activity_id)
        self.pick_value, self.action_errors, self.pick_open = default_due(), {}, True

    @handler(Perm.RECORDS_CHANGE, errors="action_errors")
    def save_pick(self, ctx: Ctx) -> Any:
        out = self._bulk(ctx, self._targets, "reschedule",
                         t("act.toast.rescheduled", when=self.pick_value),
                         due_at=self.pick_value)
        self.pick_open = False
        return out

    @handler(Perm.RECORDS_CHANGE)
    def open_reassign(self, ctx: Ctx, activity_id: str) -> None:
        """"Reasignar" a row (or the selection) to someone the user may give tasks to."""
        self._targets = self._ids(activity_id)
        users = lead_options.assignable_users(session=ctx.session, actor=ctx.user)
        self.owner_options = [{"value": str(u.id), "label": u.name} for u in users]
        self.reassign_owner = str(ctx.user.id)
        self.action_errors, self.reassign_open = {}, True

    @handler(Perm.RECORDS_CHANGE, errors="action_errors")
    def save_reassign(self, ctx: Ctx) -> Any:
        out = self._bulk(ctx, self._targets, "reassign", t("act.toast.reassigned"),
                         owner_id=self.reassign_owner)
        self.reassign_open = False
        return out
