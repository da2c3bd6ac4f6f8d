"""The leads list's state: ``ListState`` with the leads' sorts and filters (custom fields
included), saved views, and the bulk actions (assign, status, recycle bin with undo).

Filters are named like ``services.leads.list_leads`` takes them (``status``, ``owner_id``,
``created_from``… and ``custom.<key>``, ``custom.<key>:min|max`` for number ranges), so the
service's field errors land next to the control that caused them. Every handler that reads or
writes goes through ``@handler``; the services scope rows and check the finer permissions.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.i18n import t
from crm_app.list_state import NONE, ListState
from crm_app.permissions import Perm
from crm_app.services import lead_options
from crm_app.services import leads as lead_service
from crm_app.services import saved_views as views_service
from crm_app.services.custom_fields import active_defs
from crm_app.services.overview import OPEN_LEAD_STATUSES
from crm_app.services.spain import canonical_province
from crm_app.state import AppState, Ctx, handler, setter
from pages.leads.rows import lead_row, option, plural

CUSTOM = "custom."
BOUNDS = ("min", "max")


def _custom_key(name: str) -> tuple[str, str]:
    """``custom.empleados:min`` → (``empleados``, ``min``); a plain filter → (``""``, ``""``)."""
    if not name.startswith(CUSTOM):
        return "", ""
    key, _, bound = name[len(CUSTOM):].partition(":")
    return key, bound


OPEN_STATUSES = ",".join(OPEN_LEAD_STATUSES)  # the status filter takes a comma list

class LeadsListState(ListState, AppState):
    _alert_entity: ClassVar = "lead"  # the rows' alert icons
    _sorts: ClassVar = ("first_name", "company", "status", "province", "source", "created_at")
    _default_sort: ClassVar = ("created_at", True)
    _filter_labels: ClassVar = {
        "status": "lead_ui.filter.status", "source": "lead_ui.filter.source",
        "owner_id": "lead_ui.filter.owner", "team_id": "lead_ui.filter.team",
        "province": "lead_ui.filter.province", "created_from": "lead_ui.filter.from",
        "created_to": "lead_ui.filter.to", "import_batch_id": "lead_ui.filter.batch",
    }

    # options of the selects
    source_options: list[dict[str, str]] = []
    owner_options: list[dict[str, str]] = []
    assign_options: list[dict[str, str]] = []
    team_options: list[dict[str, str]] = []
    custom_filters: list[dict[str, str]] = []  # {key, label, type} of the active custom fields
    custom_choices: dict[str, list[dict[str, str]]] = {}
    # bulk actions
    bulk_owner: str = ""
    bulk_status: str = ""
    bulk_reason: str = ""
    bulk_errors: dict[str, str] = {}
    assign_open: bool = False
    status_open: bool = False
    # saved views
    views: list[dict[str, str]] = []  # {value: id, label: name}
    view_id: str = ""
    view_open: bool = False
    view_name: str = ""
    view_errors: dict[str, str] = {}

    _undo_ids: list[int] = []

    @rx.var
    def count_label(self) -> str:
        return t("lead_ui.count_one") if self.total == 1 else t("count.leads")

    # --- ListState hooks --------------------------------------------------------------------

    def _custom_def(self, key: str) -> dict[str, str] | None:
        return next((f for f in self.custom_filters if f["key"] == key), None)

    def _accepts(self, name: str) -> bool:
        key, bound = _custom_key(name)
        if not key:
            return name in self._filter_labels
        found = self._custom_def(key)
        return found is not None and (bound == "") == (found["type"] != "number") \
            and bound in ("", *BOUNDS)

    def _chip_label(self, name: str) -> str:
        key, bound = _custom_key(name)
        if not key:
            return super()._chip_label(name)
        label = (self._custom_def(key) or {}).get("label", key)
        return f"{label} ({t('lead_ui.filter.' + bound)})" if bound else label

    def _chip_text(self, name: str, value: str) -> str:
        if name == "status" and value == OPEN_STATUSES:
            return t("lead_ui.filter.open")
        if name == "status":
            return t(f"lead.status.{value}") if value in lead_service.STATUSES else value
        key, _ = _custom_key(name)
        options = {"owner_id": self.owner_options, "team_id": self.team_options}.get(name) \
            or self.custom_choices.get(key, [])
        return next((o["label"] for o in options if o["value"] == value), value)

    def _filter_value(self, name: str, value: str) -> str:
        return (canonical_province(value) or value) if name == "province" else value

    def _filtered(self, ctx: Ctx) -> None:
        self.view_id = ""  # what is shown is no longer the saved view
        super()._filtered(ctx)

    def _service_filters(self) -> dict[str, Any]:
        """``filters`` as ``list_leads`` takes them (number ranges as ``[min, max]``)."""
        out: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for name, value in self.filters.items():
            if not value or not self._accepts(name):
                continue
            key, bound = _custom_key(name)
            if not key:
                out[name] = value
            elif bound:
                custom.setdefault(key, ["", ""])[BOUNDS.index(bound)] = value
            else:
                custom[key] = value
        if custom:
            out["custom"] = custom
        return out

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        rows, total = lead_service.list_leads(
            session=ctx.session, actor=ctx.user, q=self.q, filters=self._service_filters(),
            sort=self.sort, desc=self.desc, page=offset // limit + 1, page_size=limit)
        return [lead_row(r) for r in rows], total

    def _load_options(self, ctx: Ctx) -> None:
        session, user = ctx.session, ctx.user
        self.source_options = [option(s, s) for s in
                               lead_options.lead_sources(session=session, actor=user)]
        self.owner_options = [option(u.id, u.name) for u in
                              lead_options.visible_users(session=session, actor=user)]
        self.assign_options = [option(u.id, u.name) for u in
                               lead_options.assignable_users(session=session, actor=user)]
        self.team_options = [option(tm.id, tm.name) for tm in
                             lead_options.visible_teams(session=session, actor=user)]
        defs = active_defs(session=session, entity="lead").values()
        self.custom_filters = [{"key": d.key, "label": d.label, "type": d.type} for d in defs]
        self.custom_choices = {
            d.key: ([option(c, c) for c in d.choices or []] if d.type == "choice" else
                    [option("true", t("common.yes")), option("false", t("common.no"))])
            for d in defs if d.type in ("choice", "bool")}
        self._load_views(ctx)
        # ``/leads?lote=12`` (the import wizard's "see the leads") shows that batch only.
        batch = str(self.router.url.query_parameters.get("lote", "") or "")
        self.filters = {**{k: v for k, v in self.filters.items() if k != "import_batch_id"},
                        **({"import_batch_id": batch} if batch.isdigit() else {})}
        # ``/leads?estado=abiertos`` ("Leads abiertos" on Inicio) shows what that card counts.
        if self.router.url.query_parameters.get("estado") == "abiertos":
            self.filters = {**self.filters, "status": OPEN_STATUSES}
        self.assign_open = self.status_open = self.view_open = False

    def _load_views(self, ctx: Ctx) -> None:
        self.views = [option(v.id, v.name) for v in views_service.list_views(
            session=ctx.session, actor=ctx.user, entity="lead")]

    # --- bulk actions -------------------------------------------------------------------------

    @rx.event
    def open_assign(self) -> None:
        self.bulk_owner, self.bulk_errors, self.assign_open = "", {}, True

    set_assign_open = setter("assign_open")

    set_bulk_owner = setter("bulk_owner")

    @rx.event
    def open_status(self) -> None:
        self.bulk_status, self.bulk_reason, self.bulk_errors = "", "", {}
        self.status_open = True

    set_status_open = setter("status_open")

    set_bulk_status = setter("bulk_status")

    set_bulk_reason = setter("bulk_reason")

    @handler(Perm.RECORDS_ASSIGN, errors="bulk_errors")
    def bulk_assign(self, ctx: Ctx) -> Any:
        n = lead_service.bulk_assign(session=ctx.session, actor=ctx.user,
                                     lead_ids=self._selected_ids(),
                                     owner_id=self.bulk_owner or None)  # type: ignore[arg-type]
        self.assign_open = False
        return self._done(ctx, plural("lead_ui.bulk.assigned", n))

    @handler(Perm.RECORDS_CHANGE, errors="bulk_errors")
    def bulk_change_status(self, ctx: Ctx) -> Any:
        n = lead_service.bulk_change_status(
            session=ctx.session, actor=ctx.user, lead_ids=self._selected_ids(),
            status=self.bulk_status, discard_reason=self.bulk_reason)
        self.status_open = False
        return self._done(ctx, plural("lead_ui.bulk.status_done", n))

    @handler(Perm.RECORDS_DELETE)
    def bulk_delete(self, ctx: Ctx) -> Any:
        ids = self._selected_ids()
        n = lead_service.bulk_delete(session=ctx.session, actor=ctx.user, lead_ids=ids)
        self._undo_ids = ids
        return self._done(ctx, plural("lead_ui.bulk.deleted", n), duration=10000,
                          id="leads-deleted-toast",
                          action={"label": t("lead_ui.undo"),
                                  "on_click": LeadsListState.undo_delete})

    @handler(Perm.RECORDS_DELETE)
    def undo_delete(self, ctx: Ctx) -> Any:
        ids, self._undo_ids = list(self._undo_ids), []
        if not ids:
            return None
        for lead_id in ids:
            lead_service.restore_lead(session=ctx.session, actor=ctx.user, lead_id=lead_id)
        return self._done(ctx, plural("lead_ui.bulk.restored", len(ids)))

    # --- saved views --------------------------------------------------------------------------

    @rx.event
    def set_view_open(self, value: bool) -> None:
        self.view_open = value
        if value:
            self.view_name, self.view_errors = "", {}

    set_view_name = setter("view_name")

    @handler(errors="view_errors")
    def save_view(self, ctx: Ctx) -> Any:
        filters = {**self._service_filters(), "q": self.q, "sort": self.sort, "desc": self.desc}
        view = views_service.create_view(session=ctx.session, actor=ctx.user, entity="lead",
                                         name=self.view_name, filters=filters)
        self._load_views(ctx)
        self.view_id, self.view_open = str(view.id), False
        return rx.toast.success(t("lead_ui.views.saved", name=view.name))

    @handler(errors="filter_errors")
    def apply_view(self, ctx: Ctx, view_id: str) -> None:
        """Show a saved view: its search, filters and order ("none" shows every lead)."""
        if not str(view_id).isdigit():
            self.filters, self.q = {}, ""
            self._filtered(ctx)
            return
        view = views_service.get_view(session=ctx.session, actor=ctx.user,
                                      view_id=int(view_id))
        saved = dict(view.filters or {})
        filters = {name: ",".join(map(str, value)) if isinstance(value, list) else str(value)
                   for name, value in saved.items()
                   if name in self._filter_labels and value not in (None, "", [], {})}
        for key, value in (saved.get("custom") or {}).items():
            if isinstance(value, list) and len(value) == len(BOUNDS):
                filters.update({f"{CUSTOM}{key}:{b}": str(v)
                                for b, v in zip(BOUNDS, value, strict=True)
                                if v not in (None, "")})
            elif value not in (None, ""):
                filters[f"{CUSTOM}{key}"] = str(value)
        self.filters = filters
        self.q = str(saved.get("q") or "")[:200]
        self.sort = saved.get("sort") if saved.get("sort") in self._sorts \
            else self._default_sort[0]
        self.desc = bool(saved.get("desc", True))
        self._filtered(ctx)
        self.view_id = str(view.id)

    @handler()
    def delete_view(self, ctx: Ctx) -> Any:
        if not self.view_id.isdigit():
            return None
        views_service.delete_view(session=ctx.session, actor=ctx.user, view_id=int(self.view_id))
        self._load_views(ctx)
        self.view_id = ""
        return rx.toast.success(t("lead_ui.views.deleted"))


__all__ = ["NONE", "LeadsListState"]
