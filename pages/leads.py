"""/leads: the leads list. Search, filters (chips), sortable headers, count, pages, saved views,
bulk actions (assign, status, recycle bin with undo) and rows that become cards on a phone.

Everything is queried page by page in the database through ``services.leads.list_leads``; the
state holds only the filters and the rows on screen (dicts of display strings).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import reflex as rx
from sqlmodel import Session

from components.empty_state import empty_state
from components.layout import shell
from crm_app.db import get_engine
from crm_app.formatting import date_es, number
from crm_app.i18n import t
from crm_app.list_state import ListMixin
from crm_app.models import User
from crm_app.permissions import Perm, PermissionDenied
from crm_app.services import lead_options
from crm_app.services import leads as lead_service
from crm_app.services import saved_views as views_service
from crm_app.services.custom_fields import active_defs
from crm_app.services.errors import DomainError, ValidationFailed
from crm_app.services.spain import canonical_province
from crm_app.state import AppState
from pages.leads_common import (
    NONE,
    errors_of,
    events,
    labelled,
    message_of,
    option,
    phone_display,
    prepend,
    province_options,
    select_field,
    status_badge,
    status_options,
)

FILTERS = ("f_status", "f_source", "f_owner", "f_team", "f_province", "f_from", "f_to",
           "f_batch")
SORTABLE = ("first_name", "company", "status", "province", "source", "created_at")
CHIP_LABELS = {"f_status": "lead_ui.filter.status", "f_source": "lead_ui.filter.source",
               "f_owner": "lead_ui.filter.owner", "f_team": "lead_ui.filter.team",
               "f_province": "lead_ui.filter.province", "f_from": "lead_ui.filter.from",
               "f_to": "lead_ui.filter.to", "f_batch": "lead_ui.filter.batch"}
VIEW_KEYS = {"f_status": "status", "f_source": "source", "f_owner": "owner_id",
             "f_team": "team_id", "f_province": "province", "f_from": "created_from",
             "f_to": "created_to", "f_batch": "import_batch_id"}


def lead_row(lead: dict) -> dict[str, str]:
    """One lead (a ``lead_dict``) as the strings a row or a card shows."""
    person = lead.get("name") or ""
    row = {
        "id": str(lead["id"]),
        "name": person or lead.get("company") or "—",
        "company": (lead.get("company") or "") if person else "",
        "email": lead.get("email") or "",
        "phone": phone_display(lead.get("phone")),
        "status": t(f"lead.status.{lead['status']}"),
        "status_key": lead["status"],
        "province": lead.get("province") or "",
        "source": lead.get("source") or "",
        "owner": lead.get("owner_name") or "",
        "created_at": date_es(_as_datetime(lead.get("created_at"))),
        "href": f"/leads/{lead['id']}",
    }
    row["meta"] = " · ".join(v for v in (row["owner"], row["province"], row["created_at"]) if v)
    return row


def _plural(key: str, n: int) -> str:
    """``1 lead reasignado`` / ``1.234 leads reasignados``."""
    return t(f"{key}.one" if n == 1 else f"{key}.many", n=number(n))


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


class LeadsListState(ListMixin, AppState):
    # filters (display values; "" = no filter)
    f_status: str = ""
    f_source: str = ""
    f_owner: str = ""
    f_team: str = ""
    f_province: str = ""
    f_from: str = ""
    f_to: str = ""
    f_batch: str = ""
    f_custom: dict[str, str] = {}
    filter_errors: dict[str, str] = {}
    show_filters: bool = False
    chips: list[dict[str, str]] = []
    # options of the selects
    source_options: list[dict[str, str]] = []
    owner_options: list[dict[str, str]] = []
    assign_options: list[dict[str, str]] = []
    team_options: list[dict[str, str]] = []
    custom_filters: list[dict[str, str]] = []
    custom_choices: dict[str, list[dict[str, str]]] = {}
    # bulk selection on the current page
    selected: list[str] = []
    bulk_owner: str = ""
    bulk_status: str = ""
    bulk_reason: str = ""
    bulk_errors: dict[str, str] = {}
    assign_open: bool = False
    status_open: bool = False
    delete_open: bool = False
    busy: bool = False
    # saved views
    views: list[dict[str, str]] = []
    view_id: str = ""
    view_open: bool = False
    view_name: str = ""
    view_error: str = ""

    _undo_ids: list[int] = []

    # --- computed ------------------------------------------------------------------------

    @rx.var
    def selected_count(self) -> int:
        return len(self.selected)

    @rx.var
    def page_ids(self) -> list[str]:
        return [r["id"] for r in self.rows]

    @rx.var
    def all_selected(self) -> bool:
        return bool(self.rows) and len(self.selected) == len(self.rows)

    @rx.var
    def has_filters(self) -> bool:
        return bool(self.chips) or bool(self.q)

    @rx.var
    def count_label(self) -> str:
        return t("lead_ui.count_one") if self.total == 1 else t("count.leads")

    # --- data ----------------------------------------------------------------------------

    def _filters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for attr, key in VIEW_KEYS.items():
            value = getattr(self, attr)
            if value:
                out[key] = value
        custom: dict[str, Any] = {}
        for key, value in self.f_custom.items():
            if not value:
                continue
            if key.endswith(":min") or key.endswith(":max"):
                base = key[:-4]
                pair = custom.setdefault(base, ["", ""])
                pair[0 if key.endswith(":min") else 1] = value
            else:
                custom[key] = value
        if custom:
            out["custom"] = custom
        return out

    def _fetch(self, session: Session, user: User, offset: int, limit: int
               ) -> tuple[list[dict[str, str]], int]:
        rows, total = lead_service.list_leads(
            session=session, actor=user, q=self.q, filters=self._filters(), sort=self.sort,
            desc=self.desc, page=offset // limit + 1, page_size=limit)
        return [lead_row(r) for r in rows], total

    def _reload(self) -> Any:
        self.selected = []
        self._make_chips()
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect("/login?next=/leads")
            try:
                self.rows, self.total = self._fetch(
                    session, user, (self.page - 1) * self.page_size, self.page_size)
                self.filter_errors = {}
            except ValidationFailed as exc:
                self.filter_errors = errors_of(exc)
                self.rows, self.total = [], 0
            except PermissionDenied as exc:
                self.rows, self.total = [], 0
                return rx.toast.error(exc.message)
        return None

    def _label_of(self, options: list[dict[str, str]], value: str) -> str:
        return next((o["label"] for o in options if o["value"] == value), value)

    def _make_chips(self) -> None:
        chips = []
        labels = {"f_status": status_options(pickable=False), "f_owner": self.owner_options,
                  "f_team": self.team_options}
        for attr in FILTERS:
            value = getattr(self, attr)
            if not value:
                continue
            shown = self._label_of(labels[attr], value) if attr in labels else value
            chips.append({"key": attr, "label": f"{t(CHIP_LABELS[attr])}: {shown}"})
        names = {f["key"]: f["label"] for f in self.custom_filters}
        for key, value in self.f_custom.items():
            if not value:
                continue
            base, _, bound = key.partition(":")
            label = names.get(base, base)
            if bound:
                label = f"{label} ({t('lead_ui.filter.' + bound)})"
            shown = value
            if base in self.custom_choices:
                shown = self._label_of(self.custom_choices[base], value)
            chips.append({"key": "custom:" + key, "label": f"{label}: {shown}"})
        self.chips = chips

    def _load_options(self, session: Session, user: User) -> None:
        self.source_options = [option(s, s) for s in
                               lead_options.lead_sources(session=session, actor=user)]
        self.owner_options = [option(u.id, u.name) for u in
                              lead_options.visible_users(session=session, actor=user)]
        self.assign_options = [option(u.id, u.name) for u in
                               lead_options.assignable_users(session=session, actor=user)]
        self.team_options = [option(tm.id, tm.name) for tm in
                             lead_options.visible_teams(session=session, actor=user)]
        defs = active_defs(session=session, entity="lead")
        self.custom_filters = [{"key": d.key, "label": d.label, "type": d.type}
                               for d in defs.values()]
        choices: dict[str, list[dict[str, str]]] = {}
        for d in defs.values():
            if d.type == "choice":
                choices[d.key] = [option(c, c) for c in d.choices or []]
            elif d.type == "bool":
                choices[d.key] = [option("true", t("common.yes")),
                                  option("false", t("common.no"))]
        self.custom_choices = choices
        self._load_views(session, user)

    def _load_views(self, session: Session, user: User) -> None:
        self.views = [{"id": str(v.id), "name": v.name} for v in
                      views_service.list_views(session=session, actor=user, entity="lead")]

    # --- page events ---------------------------------------------------------------------

    @rx.event
    def open_page(self) -> Any:
        with Session(get_engine()) as session:
            user = self._current_user(session)
            if user is None:
                return rx.redirect("/login?next=/leads")
            self._load_options(session, user)
        batch = str(self.router.url.query_parameters.get("lote", "") or "")
        self.f_batch = batch if batch.isdigit() else ""
        self.page = 1
        return self._reload()

    @rx.event
    def toggle_filters(self) -> None:
        self.show_filters = not self.show_filters

    @rx.event
    def set_filter(self, name: str, value: str) -> Any:
        if name not in FILTERS:
            return None
        value = "" if value == NONE else str(value or "").strip()
        if name == "f_province" and value:
            value = canonical_province(value) or value
        setattr(self, name, value)
        self.view_id = ""
        self.page = 1
        return self._reload()

    @rx.event
    def set_custom_filter(self, key: str, value: str) -> Any:
        if key.split(":", 1)[0] not in {f["key"] for f in self.custom_filters}:
            return None
        value = "" if value == NONE else str(value or "").strip()
        custom = dict(self.f_custom)
        if value:
            custom[key] = value
        else:
            custom.pop(key, None)
        self.f_custom = custom
        self.view_id = ""
        self.page = 1
        return self._reload()

    @rx.event
    def remove_chip(self, key: str) -> Any:
        if key.startswith("custom:"):
            custom = dict(self.f_custom)
            custom.pop(key[7:], None)
            self.f_custom = custom
        elif key in FILTERS:
            setattr(self, key, "")
        self.view_id = ""
        self.page = 1
        return self._reload()

    @rx.event
    def clear_filters(self) -> Any:
        for name in FILTERS:
            setattr(self, name, "")
        self.f_custom = {}
        self.q = ""
        self.view_id = ""
        self.page = 1
        return self._reload()

    @rx.event
    def set_sort_field(self, value: str) -> Any:
        field, _, direction = value.partition(":")
        if field in SORTABLE:
            self.sort = field
            self.desc = direction == "desc"
            self.page = 1
        return self._reload()

    # --- selection -----------------------------------------------------------------------

    @rx.event
    def toggle_row(self, lead_id: str, checked: bool) -> None:
        ids = [i for i in self.selected if i != lead_id]
        if checked and lead_id in self.page_ids:
            ids.append(lead_id)
        self.selected = ids

    @rx.event
    def toggle_page(self, checked: bool) -> None:
        self.selected = list(self.page_ids) if checked else []

    def _selected_ints(self) -> list[int]:
        return [int(i) for i in self.selected if str(i).isdigit()]

    # --- bulk actions --------------------------------------------------------------------

    @rx.event
    def open_assign(self) -> None:
        self.bulk_owner, self.bulk_errors, self.assign_open = "", {}, True

    @rx.event
    def set_assign_open(self, value: bool) -> None:
        self.assign_open = value

    @rx.event
    def set_bulk_owner(self, value: str) -> None:
        self.bulk_owner = value

    @rx.event
    def open_status(self) -> None:
        self.bulk_status, self.bulk_reason, self.bulk_errors = "", "", {}
        self.status_open = True

    @rx.event
    def set_status_open(self, value: bool) -> None:
        self.status_open = value

    @rx.event
    def set_bulk_status(self, value: str) -> None:
        self.bulk_status = value

    @rx.event
    def set_bulk_reason(self, value: str) -> None:
        self.bulk_reason = value

    @rx.event
    def set_delete_open(self, value: bool) -> None:
        self.delete_open = value

    @rx.event
    def bulk_assign(self) -> Any:
        if not self.bulk_owner:
            self.bulk_errors = {"owner_id": t("lead_ui.bulk.pick_owner")}
            return None
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_ASSIGN)
                n = lead_service.bulk_assign(session=session, actor=user,
                                             lead_ids=self._selected_ints(),
                                             owner_id=int(self.bulk_owner))
            except (DomainError, PermissionDenied) as exc:
                self.bulk_errors = errors_of(exc)
                return None
        self.assign_open = False
        return events(self._reload(), rx.toast.success(_plural("lead_ui.bulk.assigned", n)))

    @rx.event
    def bulk_change_status(self) -> Any:
        if not self.bulk_status:
            self.bulk_errors = {"status": t("lead_ui.bulk.pick_status")}
            return None
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_CHANGE)
                n = lead_service.bulk_change_status(
                    session=session, actor=user, lead_ids=self._selected_ints(),
                    status=self.bulk_status, discard_reason=self.bulk_reason)
            except (DomainError, PermissionDenied) as exc:
                self.bulk_errors = errors_of(exc)
                return None
        self.status_open = False
        return events(self._reload(), rx.toast.success(_plural("lead_ui.bulk.status_done", n)))

    @rx.event
    def bulk_delete(self) -> Any:
        ids = self._selected_ints()
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_DELETE)
                before = {r["id"] for r in self.rows}
                n = lead_service.bulk_delete(session=session, actor=user, lead_ids=ids)
            except (DomainError, PermissionDenied) as exc:
                self.delete_open = False
                return rx.toast.error(message_of(exc))
        self._undo_ids = [i for i in ids if str(i) in before]
        self.delete_open = False
        return events(self._reload(), rx.toast.success(
            _plural("lead_ui.bulk.deleted", n), duration=10000, id="leads-deleted-toast",
            action={"label": t("lead_ui.undo"), "on_click": LeadsListState.undo_delete}))

    @rx.event
    def undo_delete(self) -> Any:
        ids, self._undo_ids = list(self._undo_ids), []
        restored = 0
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_DELETE)
                for lead_id in ids:
                    lead_service.restore_lead(session=session, actor=user, lead_id=lead_id)
                    restored += 1
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        return events(self._reload(), rx.toast.success(_plural("lead_ui.bulk.restored", restored)))

    # --- saved views ---------------------------------------------------------------------

    @rx.event
    def set_view_open(self, value: bool) -> None:
        self.view_open = value
        if value:
            self.view_name, self.view_error = "", ""

    @rx.event
    def set_view_name(self, value: str) -> None:
        self.view_name = value

    @rx.event
    def save_view(self) -> Any:
        filters: dict[str, Any] = {**self._filters(), "q": self.q, "sort": self.sort,
                                   "desc": self.desc}
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_VIEW)
                view = views_service.create_view(session=session, actor=user, entity="lead",
                                                 name=self.view_name, filters=filters)
                self._load_views(session, user)
            except (DomainError, PermissionDenied) as exc:
                self.view_error = next(iter(errors_of(exc).values()), "")
                return None
            self.view_id = str(view.id)
        self.view_open = False
        return rx.toast.success(t("lead_ui.views.saved", name=view.name))

    @rx.event
    def apply_view(self, view_id: str) -> Any:
        if view_id == NONE:
            return self.clear_filters()
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_VIEW)
                view = views_service.get_view(session=session, actor=user, view_id=int(view_id))
            except (DomainError, PermissionDenied, ValueError) as exc:
                return rx.toast.error(message_of(exc))
            filters = dict(view.filters or {})
        for attr, key in VIEW_KEYS.items():
            value = filters.get(key, "")
            setattr(self, attr, str(value) if value not in (None, [], {}) else "")
        custom: dict[str, str] = {}
        for key, value in (filters.get("custom") or {}).items():
            if isinstance(value, list) and len(value) == 2:
                custom[f"{key}:min"], custom[f"{key}:max"] = str(value[0] or ""), str(
                    value[1] or "")
            elif value not in (None, ""):
                custom[key] = str(value)
        self.f_custom = {k: v for k, v in custom.items() if v}
        self.q = str(filters.get("q") or "")
        self.sort = filters.get("sort") if filters.get("sort") in SORTABLE else "created_at"
        self.desc = bool(filters.get("desc", True))
        self.view_id = view_id
        self.page = 1
        return self._reload()

    @rx.event
    def delete_view(self) -> Any:
        if not self.view_id:
            return None
        with Session(get_engine()) as session:
            try:
                user = self._require_user(session, Perm.RECORDS_VIEW)
                views_service.delete_view(session=session, actor=user, view_id=int(self.view_id))
                self._load_views(session, user)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        self.view_id = ""
        return rx.toast.success(t("lead_ui.views.deleted"))


S = LeadsListState


# --- components ------------------------------------------------------------------------------


def _sort_button(key: str, label: str) -> rx.Component:
    return rx.button(
        label,
        rx.cond(S.sort == key,
                rx.cond(S.desc, rx.icon("arrow-down", size=14), rx.icon("arrow-up", size=14)),
                rx.icon("arrow-up-down", size=14, opacity="0.35")),
        variant="ghost", size="2", color_scheme="gray", high_contrast=True,
        on_click=S.sort_by(key), id=f"leads-sort-{key}",
        aria_label=t("lead_ui.sort_by", field=label), font_weight="bold", padding_x="0",
        margin="0",
    )


def _sort_header(key: str, label: str, **props: Any) -> rx.Component:
    return rx.table.column_header_cell(
        _sort_button(key, label),
        aria_sort=rx.cond(S.sort == key, rx.cond(S.desc, "descending", "ascending"), "none"),
        **props,
    )


def _secondary(value: rx.Var) -> rx.Component:
    return rx.cond(value != "", rx.text(value, size="1", color_scheme="gray"))


def _row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.checkbox(
            checked=S.selected.contains(row["id"]),
            on_change=lambda v: S.toggle_row(row["id"], v),
            aria_label=t("lead_ui.select_row"),
            data_testid="lead-check-" + row["id"].to(str))),
        rx.table.cell(rx.vstack(
            rx.link(row["name"], href=row["href"], weight="medium",
                    data_testid="lead-link-" + row["id"].to(str)),
            _secondary(row["company"]), spacing="0")),
        rx.table.cell(rx.vstack(rx.text(row["email"], size="2", max_width="260px",
                                        overflow="hidden", text_overflow="ellipsis",
                                        white_space="nowrap", title=row["email"]),
                                _secondary(row["phone"]), spacing="0")),
        rx.table.cell(status_badge(row["status"], row["status_key"])),
        rx.table.cell(row["province"]),
        rx.table.cell(row["source"]),
        rx.table.cell(row["owner"]),
        rx.table.cell(row["created_at"], white_space="nowrap"),
        data_testid="lead-row-" + row["id"].to(str),
        vertical_align="middle",
    )


def _table() -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                rx.table.column_header_cell(rx.checkbox(
                    checked=S.all_selected, on_change=S.toggle_page,
                    aria_label=t("lead_ui.select_page"), id="leads-check-all"), width="40px"),
                rx.table.column_header_cell(rx.hstack(
                    _sort_button("first_name", t("col.name")), rx.text("·", color_scheme="gray"),
                    _sort_button("company", t("col.company")), spacing="2", align="center")),
                rx.table.column_header_cell(t("lead_ui.col.contact")),
                _sort_header("status", t("col.status")),
                _sort_header("province", t("col.province")),
                _sort_header("source", t("leads.field.source")),
                rx.table.column_header_cell(t("col.owner")),
                _sort_header("created_at", t("col.created_at")),
                vertical_align="middle",
            )),
            rx.table.body(rx.foreach(S.rows, _row)),
            variant="surface", size="2", width="100%",
        ),
        overflow_x="auto",
        width="100%",
        display=rx.breakpoints(initial="none", md="block"),
        data_testid="leads-table",
    )


def _card(row: rx.Var) -> rx.Component:
    return rx.card(
        rx.hstack(
            rx.checkbox(checked=S.selected.contains(row["id"]),
                        on_change=lambda v: S.toggle_row(row["id"], v),
                        aria_label=t("lead_ui.select_row"), margin_top="4px"),
            rx.vstack(
                rx.hstack(
                    rx.link(row["name"], href=row["href"], weight="medium", size="3",
                            data_testid="lead-card-link-" + row["id"].to(str)),
                    rx.spacer(),
                    status_badge(row["status"], row["status_key"]),
                    width="100%", align="center",
                ),
                rx.cond(row["company"] != "", rx.text(row["company"], size="2")),
                rx.cond(row["email"] != "", rx.text(row["email"], size="2", color_scheme="gray",
                                                    word_break="break-all")),
                rx.cond(row["phone"] != "", rx.text(row["phone"], size="2",
                                                    color_scheme="gray")),
                rx.text(row["meta"], size="1", color_scheme="gray"),
                spacing="1", width="100%", min_width="0",
            ),
            spacing="3", align="start", width="100%",
        ),
        width="100%",
        data_testid="lead-card-" + row["id"].to(str),
    )


def _cards() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.checkbox(t("lead_ui.select_page"), checked=S.all_selected,
                        on_change=S.toggle_page, id="leads-check-all-cards"),
            rx.spacer(),
            rx.select.root(
                rx.select.trigger(aria_label=t("lead_ui.sort"), id="leads-sort-select"),
                rx.select.content(
                    rx.select.item(t("lead_ui.sort.newest"), value="created_at:desc"),
                    rx.select.item(t("lead_ui.sort.oldest"), value="created_at:asc"),
                    rx.select.item(t("lead_ui.sort.name"), value="first_name:asc"),
                    rx.select.item(t("lead_ui.sort.company"), value="company:asc"),
                    rx.select.item(t("lead_ui.sort.status"), value="status:asc"),
                    rx.select.item(t("lead_ui.sort.province"), value="province:asc"),
                    position="popper",
                ),
                value=S.sort + ":" + rx.cond(S.desc, "desc", "asc"),
                on_change=S.set_sort_field,
                size="1",
            ),
            width="100%", align="center",
        ),
        rx.foreach(S.rows, _card),
        spacing="2",
        width="100%",
        display=rx.breakpoints(initial="flex", md="none"),
        data_testid="leads-cards",
    )


def _filter_select(attr: str, label_key: str, options: Any) -> rx.Component:
    test = attr.replace("f_", "filter-")
    return labelled(
        t(label_key),
        select_field(rx.cond(getattr(S, attr) == "", NONE, getattr(S, attr)),
                     [{"value": NONE, "label": t("lead_ui.filter.all")}, *options]
                     if isinstance(options, list) else options,
                     lambda v: S.set_filter(attr, v), id_=test),
        html_for=test,
    )


def _all_option(options: rx.Var) -> rx.Var:
    return prepend(option(NONE, t("lead_ui.filter.all")), options)


def _date_filter(attr: str, label_key: str) -> rx.Component:
    test = attr.replace("f_", "filter-")
    key = attr.replace("f_", "created_")
    return labelled(
        t(label_key),
        rx.input(default_value=getattr(S, attr), key=getattr(S, attr),
                 placeholder=t("lead_ui.date_placeholder"), id=test, inputmode="numeric",
                 on_blur=lambda v: S.set_filter(attr, v), width="100%"),
        html_for=test,
        error=S.filter_errors.get(key, ""),
    )


def _custom_filter(item: rx.Var) -> rx.Component:
    key = item["key"]
    test = "filter-custom-" + key.to(str)
    choice = select_field(
        rx.cond(S.f_custom.get(key, "") == "", NONE, S.f_custom.get(key, "")),
        _all_option(S.custom_choices.get(key, [])),
        lambda v: S.set_custom_filter(key, v), id_=test)
    number = rx.hstack(
        rx.input(default_value=S.f_custom.get(key + ":min", ""),
                 key=S.f_custom.get(key + ":min", ""), placeholder=t("lead_ui.filter.min"),
                 on_blur=lambda v: S.set_custom_filter(key + ":min", v), inputmode="decimal",
                 id=test + "-min", aria_label=t("lead_ui.filter.min")),
        rx.input(default_value=S.f_custom.get(key + ":max", ""),
                 key=S.f_custom.get(key + ":max", ""), placeholder=t("lead_ui.filter.max"),
                 on_blur=lambda v: S.set_custom_filter(key + ":max", v), inputmode="decimal",
                 id=test + "-max", aria_label=t("lead_ui.filter.max")),
        spacing="2", width="100%",
    )
    text = rx.input(default_value=S.f_custom.get(key, ""), key=S.f_custom.get(key, ""),
                    on_blur=lambda v: S.set_custom_filter(key, v), id=test, width="100%",
                    placeholder=rx.cond(item["type"] == "date", t("lead_ui.date_placeholder"),
                                        ""))
    return rx.vstack(
        rx.el.label(rx.text(item["label"], size="2", weight="medium", as_="span"),
                    html_for=test),
        rx.match(item["type"], ("choice", choice), ("bool", choice), ("number", number), text),
        rx.cond(S.filter_errors.get("custom." + key.to(str), "") != "",
                rx.text(S.filter_errors.get("custom." + key.to(str), ""), size="1",
                        color=rx.color("red", 11), role="alert")),
        spacing="1", width="100%",
    )


def _filters_panel() -> rx.Component:
    return rx.cond(
        S.show_filters,
        rx.card(
            rx.grid(
                _filter_select("f_status", "lead_ui.filter.status",
                               status_options(pickable=False)),
                _filter_select("f_source", "lead_ui.filter.source",
                               _all_option(S.source_options)),
                rx.cond(S.user_scope != "own",
                        _filter_select("f_owner", "lead_ui.filter.owner",
                                       _all_option(S.owner_options))),
                rx.cond(S.user_scope == "company",
                        _filter_select("f_team", "lead_ui.filter.team",
                                       _all_option(S.team_options))),
                _filter_select("f_province", "lead_ui.filter.province", province_options()),
                _date_filter("f_from", "lead_ui.filter.from"),
                _date_filter("f_to", "lead_ui.filter.to"),
                rx.foreach(S.custom_filters, _custom_filter),
                columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                spacing="3",
                width="100%",
            ),
            width="100%",
            data_testid="leads-filters",
        ),
    )


def _chips() -> rx.Component:
    return rx.cond(
        S.chips.length() > 0,
        rx.flex(
            rx.foreach(S.chips, lambda c: rx.badge(
                c["label"],
                rx.icon_button(rx.icon("x", size=12), size="1", variant="ghost",
                               on_click=S.remove_chip(c["key"]),
                               aria_label=t("lead_ui.filter.remove"),
                               data_testid="chip-remove-" + c["key"].to(str)),
                size="2", variant="soft", radius="full",
                data_testid="chip-" + c["key"].to(str),
            )),
            rx.button(t("lead_ui.filter.clear"), variant="ghost", size="1",
                      on_click=S.clear_filters, id="leads-clear-filters"),
            wrap="wrap", spacing="2", align="center", width="100%",
        ),
    )


def _views_control() -> rx.Component:
    return rx.hstack(
        rx.select.root(
            rx.select.trigger(placeholder=t("lead_ui.views.pick"), id="leads-view-select",
                              aria_label=t("lead_ui.views.title")),
            rx.select.content(
                rx.select.item(t("lead_ui.views.none"), value=NONE),
                rx.foreach(S.views, lambda v: rx.select.item(v["name"], value=v["id"])),
                position="popper",
            ),
            value=rx.cond(S.view_id == "", NONE, S.view_id),
            on_change=S.apply_view,
        ),
        rx.dialog.root(
            rx.dialog.trigger(rx.button(rx.icon("bookmark-plus", size=16),
                                        rx.text(t("lead_ui.views.save"),
                                                display=rx.breakpoints(initial="none",
                                                                       sm="inline")),
                                        variant="soft", id="leads-view-save",
                                        aria_label=t("lead_ui.views.save"))),
            rx.dialog.content(
                rx.dialog.title(t("lead_ui.views.save_title")),
                rx.dialog.description(t("lead_ui.views.save_help"), size="2"),
                rx.vstack(
                    labelled(t("lead_ui.views.name"),
                             rx.input(value=S.view_name, on_change=S.set_view_name,
                                      id="view-name", width="100%"),
                             html_for="view-name", required=True, error=S.view_error),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                  color_scheme="gray")),
                        rx.button(t("common.save"), on_click=S.save_view, id="view-save"),
                        justify="end", width="100%",
                    ),
                    spacing="3", margin_top="var(--space-3)",
                ),
                max_width="420px",
            ),
            open=S.view_open,
            on_open_change=S.set_view_open,
        ),
        rx.cond(S.view_id != "",
                rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                               on_click=S.delete_view, aria_label=t("lead_ui.views.delete"),
                               id="leads-view-delete")),
        spacing="2", align="center",
    )


def _selected_word() -> rx.Var:
    return rx.cond(S.selected_count == 1, t("lead_ui.bulk.selected_one"),
                   t("lead_ui.bulk.selected"))


def _bulk_bar() -> rx.Component:
    assign_dialog = rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("user-round-cog", size=16),
                                    t("lead_ui.bulk.assign"), variant="soft",
                                    on_click=S.open_assign, id="bulk-assign")),
        rx.dialog.content(
            rx.dialog.title(t("lead_ui.bulk.assign_title")),
            rx.vstack(
                labelled(t("col.owner"),
                         select_field(S.bulk_owner, S.assign_options, S.set_bulk_owner,
                                      id_="bulk-owner", placeholder=t("lead_ui.pick")),
                         html_for="bulk-owner", required=True,
                         error=S.bulk_errors.get("owner_id", "")),
                rx.cond(S.bulk_errors.get("_", "") != "",
                        rx.callout(S.bulk_errors.get("_", ""), color_scheme="red",
                                   icon="triangle-alert", width="100%")),
                rx.hstack(rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                    color_scheme="gray")),
                          rx.button(t("lead_ui.bulk.assign"), on_click=S.bulk_assign,
                                    id="bulk-assign-confirm"),
                          justify="end", width="100%"),
                spacing="3", margin_top="var(--space-3)",
            ),
            max_width="420px",
        ),
        open=S.assign_open, on_open_change=S.set_assign_open,
    )
    status_dialog = rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("tag", size=16), t("lead_ui.bulk.status"),
                                    variant="soft", on_click=S.open_status, id="bulk-status")),
        rx.dialog.content(
            rx.dialog.title(t("lead_ui.bulk.status_title")),
            rx.vstack(
                labelled(t("col.status"),
                         select_field(S.bulk_status, status_options(), S.set_bulk_status,
                                      id_="bulk-status-select", placeholder=t("lead_ui.pick")),
                         html_for="bulk-status-select", required=True,
                         error=S.bulk_errors.get("status", "")),
                rx.cond(S.bulk_status == "descartado",
                        labelled(t("leads.field.discard_reason"),
                                 rx.input(value=S.bulk_reason, on_change=S.set_bulk_reason,
                                          id="bulk-reason", width="100%"),
                                 html_for="bulk-reason", required=True,
                                 error=S.bulk_errors.get("discard_reason", ""))),
                rx.hstack(rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                    color_scheme="gray")),
                          rx.button(t("lead_ui.bulk.apply"), on_click=S.bulk_change_status,
                                    id="bulk-status-confirm"),
                          justify="end", width="100%"),
                spacing="3", margin_top="var(--space-3)",
            ),
            max_width="420px",
        ),
        open=S.status_open, on_open_change=S.set_status_open,
    )
    delete_dialog = rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(rx.icon("trash-2", size=16), t("lead_ui.bulk.delete"),
                                          variant="soft", color_scheme="red",
                                          id="bulk-delete")),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("lead_ui.bulk.delete_title")),
            rx.alert_dialog.description(t("lead_ui.bulk.delete_help"), size="2"),
            rx.text(S.selected_count, " ", _selected_word(), weight="medium",
                    size="2"),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                 color_scheme="gray")),
                rx.button(t("lead_ui.bulk.delete"), color_scheme="red", on_click=S.bulk_delete,
                          id="bulk-delete-confirm"),
                justify="end", width="100%", margin_top="var(--space-3)",
            ),
            max_width="420px",
        ),
        open=S.delete_open, on_open_change=S.set_delete_open,
    )
    return rx.cond(
        S.selected_count > 0,
        rx.flex(
            rx.text(S.selected_count, " ", _selected_word(), weight="medium",
                    size="2", data_testid="bulk-count"),
            rx.spacer(),
            rx.cond(S.can_assign, assign_dialog),
            status_dialog,
            delete_dialog,
            spacing="2", wrap="wrap", align="center", width="100%",
            padding="var(--space-2) var(--space-3)",
            background_color=rx.color("accent", 3),
            border_radius="var(--radius-3)",
            data_testid="bulk-bar",
        ),
    )


def _pager() -> rx.Component:
    return rx.cond(
        S.total > S.page_size,
        rx.hstack(
            rx.button(t("common.prev"), variant="soft", disabled=~S.has_prev,
                      on_click=S.prev_page, id="leads-prev"),
            rx.text(t("common.page"), " ", S.page, " ", t("common.of"), " ", S.pages, size="2",
                    data_testid="leads-page"),
            rx.button(t("common.next"), variant="soft", disabled=~S.has_next,
                      on_click=S.next_page, id="leads-next"),
            align="center", justify="center", width="100%",
        ),
    )


def _empty() -> rx.Component:
    return rx.cond(
        S.has_filters,
        empty_state("search-x", t("lead_ui.empty_filtered"),
                    rx.button(t("lead_ui.filter.clear"), variant="soft", on_click=S.clear_filters,
                              id="leads-empty-clear"),
                    test_id="leads-empty-filtered"),
        empty_state("user-plus", t("empty.leads"),
                    rx.link(rx.button(rx.icon("plus", size=16), t("lead_ui.new")),
                            href="/leads/nuevo", id="leads-empty-new"),
                    rx.link(rx.button(rx.icon("upload", size=16), t("lead_ui.import"),
                                      variant="soft"),
                            href="/leads/importar", id="leads-empty-import"),
                    test_id="leads-empty"),
    )


def leads_page() -> rx.Component:
    actions = rx.hstack(
        rx.link(rx.button(rx.icon("upload", size=16), t("lead_ui.import"), variant="soft"),
                href="/leads/importar", id="leads-import"),
        rx.link(rx.button(rx.icon("plus", size=16), t("lead_ui.new")), href="/leads/nuevo",
                id="leads-new"),
        spacing="2",
    )
    toolbar = rx.flex(
        rx.debounce_input(
            rx.input(
                rx.input.slot(rx.icon("search", size=16)),
                placeholder=t("lead_ui.search_placeholder"),
                value=S.q, on_change=S.search, width="100%", flex="1", id="leads-search",
                aria_label=t("common.search"),
            ),
            debounce_timeout=300,
        ),
        rx.hstack(
            rx.button(rx.icon("sliders-horizontal", size=16), t("lead_ui.filters"),
                      variant=rx.cond(S.show_filters, "solid", "soft"),
                      on_click=S.toggle_filters, id="leads-filters-toggle",
                      aria_expanded=S.show_filters),
            _views_control(),
            spacing="2", align="center", flex_shrink="0",
        ),
        spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row"),
    )
    return shell(
        rx.flex(
            rx.text(S.total_text, " ", S.count_label, size="2", color_scheme="gray",
                    data_testid="leads-count"),
            rx.spacer(),
            actions,
            align="center", width="100%", spacing="2", wrap="wrap",
        ),
        toolbar,
        _filters_panel(),
        _chips(),
        _bulk_bar(),
        rx.cond(S.total > 0, rx.fragment(_table(), _cards()), _empty()),
        _pager(),
        title=t("nav.leads"),
        active="/leads",
    )
