"""Clientes: the list (filters, recycle bin), the form, and the ficha de cliente (360°).

Routes: /clientes, /clientes/nuevo, /clientes/[id], /clientes/[id]/editar.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from components.sales_ui import (
    PHONE_FULL,
    big_empty,
    choice,
    confirm,
    empty_note,
    form_actions,
    form_field,
    info,
    link_button,
    paged_table,
    row_card,
    section,
    status_badge,
    text_input,
)
from crm_app.formatting import ago, date_es, datetime_es, money, number
from crm_app.i18n import t
from crm_app.list_state import ListMixin
from crm_app.models import User
from crm_app.services import accounts as account_service
from crm_app.services import contacts as contact_service
from crm_app.services.defaults import SECTORS, SIZE_BANDS
from crm_app.services.errors import ValidationFailed
from crm_app.services.sales_common import user_names
from crm_app.services.spain import PROVINCES, fold
from crm_app.state import AppState
from pages.sales_shared import (
    NONE,
    channel_options,
    failure,
    owner_options,
    path_id,
    sid,
    to_id,
    user_session,
)

PROVINCE_NAMES = sorted(PROVINCES, key=fold)
FILTERS = ("province", "sector", "size_band", "channel", "owner_id")
FORM_FIELDS = ("name", "trade_name", "nif", "sector", "size_band", "address", "postal_code",
               "city", "province", "country", "email", "phone", "website", "channel", "notes")
SORTS = ("name", "province", "sector", "channel", "created_at")


def _opt(value: str) -> str:
    return "" if value in ("", NONE) else value


# --- the list ---------------------------------------------------------------------------------


class AccountsState(ListMixin, AppState):
    sort: str = "name"
    desc: bool = False
    province: str = NONE
    sector: str = NONE
    size_band: str = NONE
    channel: str = NONE
    owner_id: str = NONE
    bin: bool = False
    owners: list[dict[str, str]] = []

    def _fetch(self, session: Session, user: User, offset: int, limit: int
               ) -> tuple[list[dict[str, str]], int]:
        page = account_service.list_accounts(
            session=session, actor=user, q=self.q, province=_opt(self.province),
            sector=_opt(self.sector), size_band=_opt(self.size_band),
            channel=_opt(self.channel), owner_id=to_id(self.owner_id), deleted=self.bin,
            sort=("-" if self.desc else "") + self.sort, offset=offset, limit=limit)
        names = user_names(session, {a.owner_id for a in page.items})
        return [{
            "id": str(a.id), "name": a.name, "trade_name": a.trade_name, "nif": a.nif,
            "province": a.province, "sector": a.sector, "size_band": a.size_band,
            "channel": a.channel, "owner": names.get(a.owner_id, ""),
            "created_at": date_es(a.created_at), "deleted_at": date_es(a.deleted_at),
            "href": f"/clientes/{a.id}",
        } for a in page.items], page.total

    @rx.var
    def filtered(self) -> bool:
        return any(getattr(self, f) != NONE for f in FILTERS)

    @rx.event
    def load(self) -> Any:
        try:
            with user_session(self) as (session, user):
                self.owners = owner_options(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return self._reload()

    @rx.event
    def set_filter(self, name: str, value: str) -> Any:
        if name not in FILTERS:
            return None
        setattr(self, name, value or NONE)
        self.page = 1
        return self._reload()

    @rx.event
    def clear_filters(self) -> Any:
        for name in FILTERS:
            setattr(self, name, NONE)
        self.page = 1
        return self._reload()

    @rx.event
    def set_view(self, value: str | list[str]) -> Any:
        self.bin = value == "bin"
        self.page = 1
        return self._reload()

    @rx.event
    def sort_by(self, column: str) -> Any:
        if column not in SORTS:
            return None
        if self.sort == column:
            self.desc = not self.desc
        else:
            self.sort, self.desc = column, False
        self.page = 1
        return self._reload()

    @rx.event
    def restore(self, account_id: str) -> Any:
        try:
            with user_session(self) as (session, user):
                account_service.restore_account(session=session, actor=user,
                                                account_id=int(account_id))
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return [self._reload(), rx.toast.success(t("sui.accounts.restored"))]


def _filter(name: str, all_label: str, options: list[tuple[str, str]] | rx.Var) -> rx.Component:
    if isinstance(options, rx.Var):
        opts: Any = rx.Var.create([{"value": NONE, "label": all_label}]) + options
    else:
        opts = [(NONE, all_label), *options]
    return choice(opts, value=getattr(AccountsState, name),
                  on_change=lambda v: AccountsState.set_filter(name, v),
                  id=f"accounts-filter-{name}", aria_label=all_label)


def _account_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.vstack(
            rx.cond(AccountsState.bin, rx.text(row["name"], weight="medium"),
                    rx.link(row["name"], href=row["href"], weight="medium")),
            rx.cond(row["trade_name"], rx.text(row["trade_name"], size="1",
                                               color_scheme="gray")),
            spacing="0")),
        rx.table.cell(row["nif"], white_space="nowrap"),
        rx.table.cell(row["province"]),
        rx.table.cell(row["sector"]),
        rx.table.cell(row["size_band"], white_space="nowrap"),
        rx.table.cell(row["channel"]),
        rx.table.cell(rx.cond(AccountsState.bin, row["deleted_at"], row["owner"])),
        rx.table.cell(rx.cond(
            AccountsState.bin,
            rx.button(rx.icon("undo-2", size=14), t("sui.accounts.restore"), size="1",
                      variant="soft", on_click=AccountsState.restore(row["id"]),
                      id="restore-" + row["id"]),
        )),
        data_testid="account-row",
    )


def _account_card(row: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(
            rx.cond(AccountsState.bin, rx.text(row["name"], weight="medium"),
                    rx.link(row["name"], href=row["href"], weight="medium")),
            rx.spacer(),
            rx.text(row["nif"], size="1", color_scheme="gray", white_space="nowrap"),
            width="100%", align="start"),
        rx.cond(row["trade_name"], rx.text(row["trade_name"], size="1", color_scheme="gray")),
        rx.text(rx.cond(row["province"], row["province"], "—"), " · ",
                rx.cond(row["sector"], row["sector"], "—"), " · ",
                rx.cond(row["channel"], row["channel"], "—"), size="1"),
        rx.hstack(
            rx.text(rx.cond(AccountsState.bin, row["deleted_at"], row["owner"]), size="1",
                    color_scheme="gray"),
            rx.spacer(),
            rx.cond(AccountsState.bin, rx.button(
                rx.icon("undo-2", size=14), t("sui.accounts.restore"), size="1",
                variant="soft", on_click=AccountsState.restore(row["id"]),
                id="restore-card-" + row["id"])),
            width="100%", align="center"),
        test_id="account-card",
    )


def accounts_page() -> rx.Component:
    s = AccountsState
    return shell(
        paged_table(
            s,
            [("name", t("col.legal_name"), True), ("nif", t("col.nif"), False),
             ("province", t("col.province"), True), ("sector", t("col.sector"), True),
             ("size_band", t("sui.account.size_band"), False),
             ("channel", t("col.channel"), True),
             ("owner", rx.cond(s.bin, t("sui.accounts.deleted_at"), t("col.owner")), False),
             ("actions", "", False)],
            _account_row,
            card=_account_card,
            count_label=rx.cond(s.bin, t("sui.accounts.count_bin"), t("count.accounts")),
            test_id="accounts",
            search_placeholder=t("sui.accounts.search"),
            toolbar=[
                rx.segmented_control.root(
                    rx.segmented_control.item(t("sui.accounts.active"), value="active"),
                    rx.segmented_control.item(t("sui.accounts.bin"), value="bin"),
                    value=rx.cond(s.bin, "bin", "active"), on_change=s.set_view,
                    id="accounts-view", flex_shrink="0",
                ),
                link_button(t("sui.accounts.new"), "/clientes/nuevo", icon="plus",
                            id="account-new", width=PHONE_FULL, flex_shrink="0"),
            ],
            filters=[rx.grid(
                _filter("province", t("sui.filter.all_provinces"),
                        [(p, p) for p in PROVINCE_NAMES]),
                _filter("sector", t("sui.filter.all_sectors"), [(x, x) for x in SECTORS]),
                _filter("size_band", t("sui.filter.all_sizes"),
                        [(x, t("sui.size_band", band=x)) for x in SIZE_BANDS]),
                _filter("channel", t("sui.filter.all_channels"),
                        [(x["value"], x["label"]) for x in channel_options()]),
                rx.cond(AppState.user_scope != "own",
                        _filter("owner_id", t("sui.filter.all_owners"), s.owners)),
                rx.cond(s.filtered, rx.button(rx.icon("x", size=14), t("sui.filter.clear"),
                                              variant="ghost", on_click=s.clear_filters,
                                              id="accounts-clear-filters")),
                columns=rx.breakpoints(initial="2", md="3", lg="6"),
                spacing="2",
                width="100%",
            )],
            empty=rx.cond(
                s.bin,
                big_empty("trash-2", t("sui.accounts.bin_empty"), test_id="accounts-empty"),
                rx.cond(s.filtered | (s.q != ""),
                        big_empty("search-x", t("sui.common.no_matches"),
                                  rx.button(t("sui.filter.clear"), variant="soft",
                                            on_click=s.clear_filters),
                                  test_id="accounts-empty"),
                        big_empty("building-2", t("sui.accounts.empty"),
                                  link_button(t("sui.accounts.new"), "/clientes/nuevo",
                                              icon="plus", id="account-new-empty"),
                                  test_id="accounts-empty")),
            ),
        ),
        title=t("nav.accounts"),
        active="/clientes",
    )


# --- the form ---------------------------------------------------------------------------------


class AccountFormState(AppState):
    account_id: int = 0
    form: dict[str, str] = {}
    recargo: bool = False
    errors: dict[str, str] = {}
    saving: bool = False
    form_key: int = 0
    owners: list[dict[str, str]] = []

    @rx.event
    def load(self) -> Any:
        self.errors = {}
        self.saving = False
        account_id = path_id(self.router.url.path, "clientes")
        try:
            with user_session(self) as (session, user):
                self.owners = owner_options(session, user)
                if account_id is None:
                    self.account_id = 0
                    self.form = {k: "" for k in FORM_FIELDS} | {
                        "country": "ES", "sector": NONE, "size_band": NONE, "channel": NONE,
                        "province": NONE, "owner_id": str(user.id)}
                    self.recargo = False
                else:
                    a = account_service.get_account(session=session, actor=user,
                                                    account_id=account_id)
                    self.account_id = a.id
                    self.form = {k: str(getattr(a, k) or "") for k in FORM_FIELDS}
                    for k in ("sector", "size_band", "channel", "province"):
                        self.form[k] = self.form[k] or NONE
                    self.form["owner_id"] = sid(a.owner_id)
                    self.recargo = a.recargo_equivalencia
        except Exception as exc:  # noqa: BLE001
            return [failure(exc), rx.redirect("/clientes")]
        finally:
            self.form_key += 1
        return None

    @rx.event
    def save(self, form_data: dict[str, Any]):  # noqa: ANN201
        data: dict[str, Any] = {k: _opt(str(form_data.get(k) or "").strip())
                                for k in FORM_FIELDS}
        data["recargo_equivalencia"] = str(form_data.get("recargo_equivalencia", "")) in (
            "on", "true", "True", "1")
        owner = to_id(form_data.get("owner_id"))
        if owner is not None:
            data["owner_id"] = owner
        self.saving = True
        yield
        try:
            with user_session(self) as (session, user):
                if self.account_id:
                    if owner is None:
                        data.pop("owner_id", None)
                    account = account_service.update_account(
                        session=session, actor=user, account_id=self.account_id, data=data)
                    message = t("sui.accounts.saved")
                else:
                    account = account_service.create_account(session=session, actor=user,
                                                             data=data)
                    message = t("sui.accounts.created")
                new_id = account.id
        except ValidationFailed as exc:
            self.saving = False
            self.errors = dict(exc.errors)
            yield failure(exc)
            return
        except Exception as exc:  # noqa: BLE001
            self.saving = False
            yield failure(exc)
            return
        self.saving = False
        self.errors = {}
        yield [rx.toast.success(message), rx.redirect(f"/clientes/{new_id}")]


def _account_form() -> rx.Component:
    s = AccountFormState
    f, e = s.form, s.errors

    def inp(name: str, text: str, *, required: bool = False, **props: Any) -> rx.Component:
        return form_field(text, text_input(name, default=f[name], **props), html_for=name,
                          required=required, error=e[name])

    def sel(name: str, text: str, options: list[tuple[str, str]] | rx.Var,
            none_label: str, *, required: bool = False) -> rx.Component:
        if isinstance(options, rx.Var):
            opts: Any = options
        else:
            opts = [(NONE, none_label), *options]
        return form_field(text, choice(opts, default_value=f[name], name=name, id=name,
                                       aria_label=text), html_for=name, required=required,
                          error=e[name])

    grid = {"columns": rx.breakpoints(initial="1", sm="2"), "spacing": "3", "width": "100%"}
    return rx.el.form(
        rx.vstack(
            rx.card(rx.vstack(
                rx.heading(t("sui.account.fiscal"), size="3"),
                rx.grid(
                    inp("name", t("col.legal_name"), required=True, auto_focus=True),
                    inp("trade_name", t("sui.account.trade_name")),
                    inp("nif", t("col.nif"), placeholder="B12345674"),
                    inp("country", t("sui.account.country"), max_length=2),
                    **grid),
                spacing="3", width="100%"), width="100%"),
            rx.card(rx.vstack(
                rx.heading(t("sui.account.address"), size="3"),
                rx.grid(
                    inp("address", t("sui.account.address")),
                    inp("postal_code", t("sui.account.postal_code"), input_mode="numeric"),
                    inp("city", t("sui.account.city")),
                    sel("province", t("col.province"), [(p, p) for p in PROVINCE_NAMES],
                        t("sui.common.choose"), required=True),
                    **grid),
                spacing="3", width="100%"), width="100%"),
            rx.card(rx.vstack(
                rx.heading(t("sui.account.contact_data"), size="3"),
                rx.grid(
                    inp("email", t("col.email"), type_="email"),
                    inp("phone", t("col.phone"), type_="tel"),
                    inp("website", t("sui.account.website"), placeholder="https://"),
                    **grid),
                spacing="3", width="100%"), width="100%"),
            rx.card(rx.vstack(
                rx.heading(t("sui.account.classification"), size="3"),
                rx.grid(
                    sel("sector", t("col.sector"), [(x, x) for x in SECTORS],
                        t("sui.common.unspecified")),
                    sel("size_band", t("sui.account.size_band"),
                        [(x, t("sui.size_band", band=x)) for x in SIZE_BANDS],
                        t("sui.common.unspecified")),
                    sel("channel", t("col.channel"),
                        [(x["value"], x["label"]) for x in channel_options()],
                        t("sui.common.unspecified")),
                    rx.cond(AppState.can_assign,
                            sel("owner_id", t("col.owner"), s.owners, "")),
                    **grid),
                rx.vstack(
                    rx.el.label(
                        rx.hstack(
                            rx.checkbox(name="recargo_equivalencia", id="recargo_equivalencia",
                                        default_checked=s.recargo),
                            rx.text(t("sui.account.recargo"), size="2", weight="medium"),
                            align="center", spacing="2"),
                        html_for="recargo_equivalencia"),
                    rx.text(t("sui.account.recargo_help"), size="1", color_scheme="gray"),
                    spacing="1"),
                form_field(t("sui.account.notes"),
                           rx.text_area(name="notes", id="notes", default_value=f["notes"],
                                        width="100%", rows="3"),
                           html_for="notes", error=e["notes"]),
                spacing="3", width="100%"), width="100%"),
            rx.text(t("sui.common.required_note"), size="1", color_scheme="gray"),
            form_actions(
                rx.button(rx.icon("check", size=16), t("common.save"), type="submit",
                          loading=s.saving, width=PHONE_FULL, id="account-save"),
                link_button(t("common.cancel"),
                            rx.cond(s.account_id > 0, "/clientes/" + s.account_id.to_string(),
                                    "/clientes"),
                            id="account-cancel", variant="soft", color_scheme="gray",
                            width=PHONE_FULL),
            ),
            spacing="3",
            width="100%",
            max_width="880px",
        ),
        on_submit=s.save,
        key=s.form_key,
        id="account-form",
        style={"width": "100%"},
    )


def account_form_page() -> rx.Component:
    return shell(_account_form(), title=t("sui.accounts.form_title"), active="/clientes")


# --- the ficha de cliente ---------------------------------------------------------------------

_TIMELINE_ICONS = {"lead": "user-plus", "audit": "pencil", "activity": "list-checks",
                   "email": "mail", "stage": "kanban", "document": "file"}


def _entry_href(entry: dict[str, Any]) -> str:
    if entry["entity"] == "opportunity" and entry["entity_id"]:
        return f"/oportunidades/{entry['entity_id']}"
    if entry["entity"] == "quote" and entry["entity_id"]:
        return f"/presupuestos/{entry['entity_id']}"
    if entry["entity"] == "lead" and entry["entity_id"]:
        return f"/leads/{entry['entity_id']}"
    return ""


def _opp_row(row: dict[str, Any]) -> dict[str, str]:
    return {"id": str(row["id"]), "name": row["name"], "stage": row["stage_name"],
            "kind": str(row["kind"]), "amount": money(row["amount"]),
            "weighted": money(row["weighted"]), "owner": row["owner"],
            "expected_close": date_es(row["expected_close"]),
            "closed_at": date_es(row["closed_at"]), "lost_reason": row["lost_reason"] or "",
            "stale": "1" if row["stale"] else "", "href": f"/oportunidades/{row['id']}"}


class AccountDetailState(AppState):
    account_id: int = 0
    acc: dict[str, str] = {}
    contacts: list[dict[str, str]] = []
    timeline: list[dict[str, str]] = []
    timeline_limit: int = 30
    timeline_more: bool = False
    opps_open: list[dict[str, str]] = []
    opps_closed: list[dict[str, str]] = []
    quotes: list[dict[str, str]] = []
    purchases: list[dict[str, str]] = []
    purchase_years: list[dict[str, str]] = []
    purchase_total: str = ""
    alerts: list[dict[str, str]] = []
    documents: list[dict[str, str]] = []
    loaded: bool = False
    # the contact dialog
    contact_open: bool = False
    contact_id: int = 0
    contact_form: dict[str, str] = {}
    contact_errors: dict[str, str] = {}
    contact_key: int = 0
    contact_saving: bool = False
    deleting: bool = False

    def _load(self, session: Session, user: User) -> None:
        data = account_service.account_360(session=session, actor=user,
                                           account_id=self.account_id,
                                           timeline_limit=self.timeline_limit + 1)
        a = data["account"]
        self.acc = {
            "id": str(a.id), "name": a.name, "trade_name": a.trade_name, "nif": a.nif,
            "address": a.address, "postal_code": a.postal_code, "city": a.city,
            "province": a.province, "country": a.country, "email": a.email, "phone": a.phone,
            "website": a.website, "sector": a.sector,
            "size_band": t("sui.size_band", band=a.size_band) if a.size_band else "",
            "channel": a.channel, "owner": data["owner"],
            "recargo": t("common.yes") if a.recargo_equivalencia else t("common.no"),
            "recargo_flag": "1" if a.recargo_equivalencia else "",
            "notes": a.notes, "created_at": date_es(a.created_at),
            "place": ", ".join(dict.fromkeys(x for x in (a.city, a.province) if x)),
        }
        self.contacts = [{"id": str(c["id"]), "name": c["name"], "position": c["position"],
                          "email": c["email"], "phone": c["phone"],
                          "first_name": c["first_name"], "last_name": c["last_name"]}
                         for c in data["contacts"]]
        entries = data["timeline"]
        self.timeline_more = len(entries) > self.timeline_limit
        self.timeline = [{
            "when": datetime_es(e["at"]), "ago": ago(e["at"]), "kind": e["kind"],
            "icon": _TIMELINE_ICONS.get(e["kind"], "circle"), "title": e["title"],
            "detail": (e["detail"] or "")[:280], "user": e["user"] or "",
            "href": _entry_href(e),
        } for e in entries[:self.timeline_limit]]
        self.opps_open = [_opp_row(r) for r in data["opportunities"]["open"]]
        self.opps_closed = [_opp_row(r) for r in data["opportunities"]["closed"]]
        self.quotes = [{"id": str(q["id"]), "label": q["label"], "status": str(q["status"]),
                        "status_label": q["status_label"], "total": money(q["total"]),
                        "issue_date": date_es(q["issue_date"]),
                        "valid_until": date_es(q["valid_until"]),
                        "href": f"/presupuestos/{q['id']}"} for q in data["quotes"]]
        p = data["purchases"]
        self.purchases = [{
            "date": date_es(i["date"]), "title": i["title"], "amount": money(i["amount"]),
            "href": f"/presupuestos/{i['quote_id']}" if i["quote_id"] else
            f"/oportunidades/{i['opportunity_id']}"} for i in p["items"][:20]]
        self.purchase_years = [{"year": str(y["year"]), "total": money(y["total"]),
                                "count": t("sui.account.purchases_one") if y["count"] == 1
                                else t("sui.account.purchases_count", n=number(y["count"]))}
                               for y in p["per_year"]]
        self.purchase_total = money(p["total"])
        self.alerts = [{"message": x["message"], "severity": x["severity"],
                        "when": ago(x["created_at"])} for x in data["alerts"]]
        self.documents = [{"filename": d["filename"], "when": date_es(d["created_at"]),
                           "size": f"{max(1, (d['size'] or 0) // 1024)} KB"}
                          for d in data["documents"]]
        self.loaded = True

    def _refresh(self) -> Any:
        try:
            with user_session(self) as (session, user):
                self._load(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None

    @rx.event
    def load(self) -> Any:
        self.loaded = False
        self.contact_open = False
        self.timeline_limit = 30
        account_id = path_id(self.router.url.path, "clientes")
        if account_id is None:
            return rx.redirect("/clientes")
        self.account_id = account_id
        try:
            with user_session(self) as (session, user):
                self._load(session, user)
        except Exception as exc:  # noqa: BLE001
            return [failure(exc), rx.redirect("/clientes")]
        return None

    @rx.event
    def more_timeline(self) -> Any:
        self.timeline_limit += 50
        return self._refresh()

    @rx.event
    def new_contact(self) -> None:
        self.contact_id = 0
        self.contact_form = {k: "" for k in ("first_name", "last_name", "position", "email",
                                             "phone")}
        self.contact_errors = {}
        self.contact_key += 1
        self.contact_open = True

    @rx.event
    def edit_contact(self, contact_id: str) -> Any:
        try:
            with user_session(self) as (session, user):
                c = contact_service.get_contact(session=session, actor=user,
                                                contact_id=int(contact_id))
                self.contact_id = c.id
                self.contact_form = {k: str(getattr(c, k) or "") for k in (
                    "first_name", "last_name", "position", "email", "phone")}
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        self.contact_errors = {}
        self.contact_key += 1
        self.contact_open = True
        return None

    @rx.event
    def set_contact_open(self, value: bool) -> None:
        self.contact_open = value

    @rx.event
    def save_contact(self, form_data: dict[str, Any]):  # noqa: ANN201
        data = {k: str(form_data.get(k) or "").strip() for k in (
            "first_name", "last_name", "position", "email", "phone")}
        self.contact_saving = True
        yield
        try:
            with user_session(self) as (session, user):
                if self.contact_id:
                    contact_service.update_contact(session=session, actor=user,
                                                   contact_id=self.contact_id, data=data)
                else:
                    contact_service.create_contact(
                        session=session, actor=user, data={**data, "account_id": self.account_id})
                self._load(session, user)
        except ValidationFailed as exc:
            self.contact_saving = False
            self.contact_errors = dict(exc.errors)
            yield failure(exc)
            return
        except Exception as exc:  # noqa: BLE001
            self.contact_saving = False
            yield failure(exc)
            return
        self.contact_saving = False
        self.contact_open = False
        yield rx.toast.success(t("sui.contacts.saved"))

    @rx.event
    def delete_contact(self, contact_id: str) -> Any:
        try:
            with user_session(self) as (session, user):
                contact_service.delete_contact(session=session, actor=user,
                                               contact_id=int(contact_id))
                self._load(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return rx.toast.success(t("sui.contacts.deleted"))

    @rx.event
    def delete_account(self):  # noqa: ANN201
        self.deleting = True
        yield
        try:
            with user_session(self) as (session, user):
                account_service.delete_account(session=session, actor=user,
                                               account_id=self.account_id)
        except Exception as exc:  # noqa: BLE001
            self.deleting = False
            yield failure(exc)
            return
        self.deleting = False
        yield [rx.toast.success(t("sui.accounts.deleted")), rx.redirect("/clientes")]


def _timeline_item(e: rx.Var) -> rx.Component:
    title = rx.cond(e["href"], rx.link(e["title"], href=e["href"], weight="medium", size="2"),
                    rx.text(e["title"], weight="medium", size="2"))
    return rx.hstack(
        rx.box(rx.icon(e["icon"], size=14, color=rx.color("accent", 10)),
               background=rx.color("accent", 3), padding="6px", border_radius="9999px",
               display="flex", flex_shrink="0"),
        rx.vstack(
            title,
            rx.cond(e["detail"], rx.text(e["detail"], size="1", color_scheme="gray",
                                         style={"whiteSpace": "pre-line",
                                                "overflowWrap": "anywhere"})),
            rx.text(e["when"], " · ", e["user"], size="1", color_scheme="gray",
                    title=e["ago"]),
            spacing="0",
            min_width="0",
        ),
        align="start",
        spacing="3",
        width="100%",
        data_testid="timeline-item",
    )


def _opp_item(o: rx.Var, closed: bool = False) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(o["name"], href=o["href"], weight="medium", size="2"),
            rx.hstack(
                status_badge(o["kind"], o["stage"]),
                rx.cond(o["stale"], rx.badge(t("sui.opp.stale"), color_scheme="orange",
                                             variant="soft")),
                rx.text(rx.cond(closed, o["closed_at"], o["expected_close"]), size="1",
                        color_scheme="gray"),
                spacing="2", align="center", wrap="wrap"),
            rx.cond(o["lost_reason"], rx.text(o["lost_reason"], size="1", color_scheme="gray")),
            spacing="1", min_width="0"),
        rx.spacer(),
        rx.text(o["amount"], size="2", weight="medium", white_space="nowrap"),
        width="100%",
        align="start",
        data_testid="account-opportunity",
    )


def _quote_item(q: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.link(q["label"], href=q["href"], weight="medium", size="2"),
            rx.hstack(status_badge(q["status"], q["status_label"]),
                      rx.text(q["issue_date"], size="1", color_scheme="gray"),
                      spacing="2", align="center"),
            spacing="1"),
        rx.spacer(),
        rx.text(q["total"], size="2", weight="medium", white_space="nowrap"),
        width="100%",
        align="start",
        data_testid="account-quote",
    )


def _contact_item(c: rx.Var) -> rx.Component:
    s = AccountDetailState
    return rx.hstack(
        rx.avatar(fallback=c["name"].to(str)[0:1], size="2", radius="full"),
        rx.vstack(
            rx.text(c["name"], weight="medium", size="2"),
            rx.cond(c["position"], rx.text(c["position"], size="1", color_scheme="gray")),
            rx.cond(c["email"], rx.link(c["email"], href="mailto:" + c["email"], size="1")),
            rx.cond(c["phone"], rx.link(c["phone"], href="tel:" + c["phone"], size="1")),
            spacing="0", min_width="0", style={"overflowWrap": "anywhere"}),
        rx.spacer(),
        rx.icon_button(rx.icon("pencil", size=14), variant="ghost", size="1",
                       aria_label=t("sui.contacts.edit"),
                       on_click=s.edit_contact(c["id"]), id="contact-edit-" + c["id"]),
        confirm(rx.icon_button(rx.icon("trash-2", size=14), variant="ghost", size="1",
                               color_scheme="red", aria_label=t("sui.contacts.delete"),
                               id="contact-delete-" + c["id"]),
                title=t("sui.contacts.delete"), description=t("sui.contacts.delete_q"),
                confirm_label=t("common.delete"), on_confirm=s.delete_contact(c["id"]),
                test_id="contact-delete"),
        width="100%",
        align="start",
        data_testid="contact-item",
    )


def _contact_dialog() -> rx.Component:
    s = AccountDetailState
    f, e = s.contact_form, s.contact_errors

    def inp(name: str, text: str, **props: Any) -> rx.Component:
        return form_field(text, text_input(name, default=f[name], id="contact-" + name,
                                           **props),
                          html_for="contact-" + name, error=e[name])

    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(s.contact_id > 0, t("sui.contacts.edit"),
                                    t("sui.contacts.new"))),
            rx.el.form(
                rx.vstack(
                    rx.grid(inp("first_name", t("sui.contact.first_name"), auto_focus=True),
                            inp("last_name", t("sui.contact.last_name")),
                            columns=rx.breakpoints(initial="1", sm="2"), spacing="3",
                            width="100%"),
                    rx.text(t("sui.contacts.name_rule"), size="1", color_scheme="gray"),
                    inp("position", t("sui.contact.position")),
                    inp("email", t("col.email"), type_="email"),
                    inp("phone", t("col.phone"), type_="tel"),
                    form_actions(
                        rx.button(t("common.save"), type="submit", loading=s.contact_saving,
                                  width=PHONE_FULL, id="contact-save"),
                        rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                  color_scheme="gray", type="button",
                                                  width=PHONE_FULL)),
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=s.save_contact,
                key=s.contact_key,
            ),
            max_width="520px",
            data_testid="contact-dialog",
        ),
        open=s.contact_open,
        on_open_change=s.set_contact_open,
    )


def account_detail_page() -> rx.Component:
    s = AccountDetailState
    a = s.acc
    header = rx.card(
        rx.flex(
            rx.vstack(
                rx.heading(a["name"], size="6", id="account-name",
                           style={"overflowWrap": "anywhere"}),
                rx.hstack(
                    rx.cond(a["trade_name"], rx.text(a["trade_name"], color_scheme="gray",
                                                     size="2")),
                    rx.cond(a["nif"], rx.badge(a["nif"], variant="surface")),
                    rx.cond(a["place"], rx.badge(rx.icon("map-pin", size=12), a["place"],
                                                 variant="soft", color_scheme="gray")),
                    rx.cond(a["recargo_flag"], rx.badge(t("sui.account.recargo"),
                                                        color_scheme="amber")),
                    spacing="2", wrap="wrap", align="center"),
                spacing="2",
                min_width="0",
            ),
            rx.spacer(),
            rx.flex(
                confirm(rx.button(rx.icon("trash-2", size=16), t("common.delete"),
                                  variant="soft", color_scheme="red", loading=s.deleting,
                                  id="account-delete", width=PHONE_FULL),
                        title=t("sui.accounts.delete_q_title"),
                        description=t("sui.accounts.delete_q"), confirm_label=t(
                            "common.delete"), on_confirm=s.delete_account,
                        test_id="account-delete"),
                link_button(t("common.edit"), "/clientes/" + a["id"] + "/editar",
                            icon="pencil", id="account-edit", variant="soft",
                            width=PHONE_FULL),
                link_button(t("sui.opps.new"), "/oportunidades/nueva?cliente=" + a["id"],
                            icon="kanban", id="account-new-opportunity", variant="soft",
                            width=PHONE_FULL),
                link_button(t("sui.quotes.new"), "/presupuestos/nuevo?cliente=" + a["id"],
                            icon="file-plus", id="account-new-quote", width=PHONE_FULL),
                spacing="2",
                wrap="wrap",
                direction=rx.breakpoints(initial="column", sm="row"),
                width=PHONE_FULL,
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
    data = section(
        t("sui.360.data"),
        rx.grid(
            info(t("col.nif"), a["nif"]), info(t("col.owner"), a["owner"]),
            info(t("col.email"), a["email"]), info(t("col.phone"), a["phone"]),
            info(t("sui.account.address"), a["address"]),
            info(t("sui.account.postal_code"), a["postal_code"]),
            info(t("sui.account.city"), a["city"]), info(t("col.province"), a["province"]),
            info(t("col.sector"), a["sector"]), info(t("sui.account.size_band"), a["size_band"]),
            info(t("col.channel"), a["channel"]), info(t("sui.account.recargo"), a["recargo"]),
            info(t("sui.account.website"), a["website"]),
            info(t("sui.account.created_at"), a["created_at"]),
            columns="2", spacing="3", width="100%"),
        rx.cond(a["notes"], info(t("sui.account.notes"), a["notes"])),
        test_id="account-data", icon="building-2")
    contacts = section(
        t("sui.360.contacts"),
        rx.cond(s.contacts.length() > 0,
                rx.vstack(rx.foreach(s.contacts, _contact_item), spacing="3", width="100%"),
                empty_note("users", t("sui.360.empty.contacts"), "contacts-empty")),
        actions=[rx.button(rx.icon("plus", size=14), t("sui.contacts.add"), size="1",
                           variant="soft", on_click=s.new_contact, id="contact-new")],
        test_id="account-contacts", icon="users")
    timeline = section(
        t("sui.360.timeline"),
        rx.cond(s.timeline.length() > 0,
                rx.vstack(rx.foreach(s.timeline, _timeline_item), spacing="3", width="100%"),
                empty_note("history", t("sui.360.empty.timeline"), "timeline-empty")),
        rx.cond(s.timeline_more, rx.button(t("sui.common.more"), variant="ghost",
                                           on_click=s.more_timeline, id="timeline-more")),
        test_id="account-timeline", icon="history")
    opportunities = section(
        t("sui.360.opportunities"),
        rx.text(t("sui.360.open"), size="2", weight="bold", color_scheme="gray"),
        rx.cond(s.opps_open.length() > 0,
                rx.vstack(rx.foreach(s.opps_open, _opp_item), spacing="3", width="100%"),
                empty_note("kanban", t("sui.360.empty.opportunities"), "opps-open-empty")),
        rx.text(t("sui.360.closed"), size="2", weight="bold", color_scheme="gray"),
        rx.cond(s.opps_closed.length() > 0,
                rx.vstack(rx.foreach(s.opps_closed, lambda o: _opp_item(o, closed=True)),
                          spacing="3", width="100%"),
                empty_note("archive", t("sui.360.empty.closed"), "opps-closed-empty")),
        test_id="account-opportunities", icon="kanban")
    quotes = section(
        t("sui.360.quotes"),
        rx.cond(s.quotes.length() > 0,
                rx.vstack(rx.foreach(s.quotes, _quote_item), spacing="3", width="100%"),
                empty_note("file-text", t("sui.360.empty.quotes"), "quotes-empty")),
        test_id="account-quotes", icon="file-text")
    purchases = section(
        t("sui.360.purchases"),
        rx.cond(
            s.purchase_years.length() > 0,
            rx.vstack(
                rx.grid(rx.foreach(s.purchase_years, lambda y: rx.card(rx.vstack(
                    rx.text(y["year"], size="1", color_scheme="gray"),
                    rx.text(y["total"], size="4", weight="bold"),
                    rx.text(y["count"], size="1", color_scheme="gray"), spacing="0"),
                    size="1", data_testid="purchase-year")),
                    columns=rx.breakpoints(initial="2", sm="3"), spacing="2", width="100%"),
                rx.foreach(s.purchases, lambda p: rx.hstack(
                    rx.text(p["date"], size="1", color_scheme="gray", white_space="nowrap"),
                    rx.link(p["title"], href=p["href"], size="2"),
                    rx.spacer(),
                    rx.text(p["amount"], size="2", white_space="nowrap"),
                    width="100%", align="center", spacing="2")),
                rx.hstack(rx.text(t("sui.360.purchases_total"), size="2", weight="bold"),
                          rx.spacer(),
                          rx.text(s.purchase_total, size="2", weight="bold",
                                  data_testid="purchase-total"),
                          width="100%"),
                rx.text(t("sui.360.purchases_note"), size="1", color_scheme="gray"),
                spacing="2",
                width="100%",
            ),
            empty_note("shopping-bag", t("sui.360.empty.purchases"), "purchases-empty")),
        test_id="account-purchases", icon="shopping-bag")
    alerts = section(
        t("sui.360.alerts"),
        rx.cond(s.alerts.length() > 0,
                rx.vstack(rx.foreach(s.alerts, lambda x: rx.callout(
                    x["message"], icon="triangle-alert", size="1",
                    color_scheme=rx.match(x["severity"], ("critical", "red"),
                                          ("warning", "amber"), "blue"))),
                    spacing="2", width="100%"),
                empty_note("bell", t("sui.360.empty.alerts"), "alerts-empty")),
        test_id="account-alerts", icon="bell")
    documents = section(
        t("sui.360.documents"),
        rx.cond(s.documents.length() > 0,
                rx.vstack(rx.foreach(s.documents, lambda d: rx.hstack(
                    rx.icon("file", size=14), rx.text(d["filename"], size="2"), rx.spacer(),
                    rx.text(d["when"], size="1", color_scheme="gray"), width="100%")),
                    spacing="2", width="100%"),
                empty_note("folder-open", t("sui.360.empty.documents"), "documents-empty")),
        test_id="account-documents", icon="folder-open")
    return shell(
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("sui.accounts.back"),
                                  align="center", spacing="1"),
                        href="/clientes", size="2", id="back-to-accounts"),
                header,
                # Desktop: two columns. Phones: one, with the data and contacts first (the
                # column wrappers become ``display: contents`` and ``order`` sorts the cards).
                rx.flex(
                    rx.flex(*[rx.box(c, order=str(n), width="100%") for n, c in (
                        (3, opportunities), (4, quotes), (5, purchases), (6, timeline))],
                        direction="column", spacing="4", min_width="0", width="100%",
                        flex="2", display=rx.breakpoints(initial="contents", lg="flex")),
                    rx.flex(*[rx.box(c, order=str(n), width="100%") for n, c in (
                        (1, data), (2, contacts), (7, alerts), (8, documents))],
                        direction="column", spacing="4", min_width="0", width="100%",
                        flex="1", display=rx.breakpoints(initial="contents", lg="flex")),
                    direction=rx.breakpoints(initial="column", lg="row"),
                    spacing="4",
                    width="100%",
                    align="start",
                ),
                _contact_dialog(),
                spacing="4",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="var(--space-8)"),
        ),
        title=t("sui.accounts.file"),
        active="/clientes",
    )
