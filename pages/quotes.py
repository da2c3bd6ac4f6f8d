"""Presupuestos: the list, and the quote editor (the purchase simulation).

Routes: /presupuestos, /presupuestos/nuevo (?oportunidad=ID or ?cliente=ID), /presupuestos/[id].

The editor recomputes the totals on the server after every change with the same function the
service saves with (``services.quotes.compute_totals``), so what the user sees is what the
quote, its PDF and its email will say. Sending runs in a background event, in a thread.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import reflex as rx
from sqlmodel import Session, select

from components.layout import shell
from components.sales_ui import (
    PHONE_FULL,
    big_empty,
    choice,
    confirm,
    form_actions,
    form_field,
    link_button,
    paged_table,
    row_card,
    section,
    status_badge,
)
from crm_app.db import get_engine
from crm_app.formatting import date_es, datetime_es, money
from crm_app.i18n import t
from crm_app.list_state import ListMixin
from crm_app.models import Account, Contact, Opportunity, User
from crm_app.services import auth as auth_service
from crm_app.services import opportunities as opp_service
from crm_app.services import products as product_service
from crm_app.services import quotes as quote_service
from crm_app.services.defaults import ensure_organisation
from crm_app.services.errors import ValidationFailed
from crm_app.services.products import parse_tax_rate
from crm_app.services.quote_maths import EXENTO
from crm_app.services.sales_common import rate_text, to_decimal, today_local, user_names
from crm_app.state import AppState
from pages.opportunities import account_picker
from pages.sales_shared import (
    NONE,
    AccountPickerMixin,
    NotSignedIn,
    dec_text,
    failure,
    path_id,
    sid,
    to_id,
    user_session,
)

STATUSES = ("borrador", "enviado", "aceptado", "rechazado", "caducado")
SORTS = ("number", "issue_date", "valid_until", "total")
TAX_OPTIONS = [("21", "21 %"), ("10", "10 %"), ("4", "4 %"), ("0", "0 %")]
LINE_FIELDS = ("description", "quantity", "unit_price", "discount_pct", "tax_rate")
LINE_GRID = "minmax(0, 4fr) repeat(3, minmax(0, 1.1fr)) minmax(0, 1.2fr) minmax(0, 1.9fr)"


# --- the list ---------------------------------------------------------------------------------


class QuotesState(ListMixin, AppState):
    sort: str = "number"
    desc: bool = True
    status: str = NONE

    def _fetch(self, session: Session, user: User, offset: int, limit: int
               ) -> tuple[list[dict[str, str]], int]:
        status = self.status if self.status in STATUSES else ""
        page = quote_service.list_quotes(session=session, actor=user, q=self.q, status=status,
                                         sort=("-" if self.desc else "") + self.sort,
                                         offset=offset, limit=limit)
        account_ids = {q.account_id for q in page.items}
        accounts = dict(session.exec(select(Account.id, Account.name).where(
            Account.id.in_(account_ids))).all()) if account_ids else {}
        names = user_names(session, {q.owner_id for q in page.items})
        return [{
            "id": str(q.id), "label": f"{q.number} v{q.version}",
            "account": accounts.get(q.account_id, ""), "status": str(q.status),
            "status_label": quote_service.STATUS_LABELS.get(q.status, q.status),
            "total": money(q.total), "base": money(q.base_total),
            "issue_date": date_es(q.issue_date), "valid_until": date_es(q.valid_until),
            "owner": names.get(q.owner_id, ""), "href": f"/presupuestos/{q.id}",
        } for q in page.items], page.total

    @rx.event
    def set_status(self, value: str) -> Any:
        self.status = value if value in STATUSES else NONE
        self.page = 1
        return self._reload()

    @rx.event
    def sort_by(self, column: str) -> Any:
        if column not in SORTS:
            return None
        if self.sort == column:
            self.desc = not self.desc
        else:
            self.sort, self.desc = column, column in ("number", "total", "issue_date")
        self.page = 1
        return self._reload()


def _quote_row(r: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.link(r["label"], href=r["href"], weight="medium"),
                      white_space="nowrap"),
        rx.table.cell(r["account"]),
        rx.table.cell(status_badge(r["status"], r["status_label"])),
        rx.table.cell(r["base"], white_space="nowrap", text_align="right"),
        rx.table.cell(r["total"], white_space="nowrap", text_align="right"),
        rx.table.cell(r["issue_date"], white_space="nowrap"),
        rx.table.cell(r["valid_until"], white_space="nowrap"),
        rx.table.cell(r["owner"]),
        data_testid="quote-row",
    )


def _quote_card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(rx.link(r["label"], href=r["href"], weight="medium"), rx.spacer(),
                  rx.text(r["total"], weight="bold", size="2", white_space="nowrap"),
                  width="100%", align="center"),
        rx.text(r["account"], size="1", color_scheme="gray"),
        rx.hstack(status_badge(r["status"], r["status_label"]),
                  rx.text(r["issue_date"], " → ", r["valid_until"], size="1",
                          color_scheme="gray"),
                  spacing="2", align="center", wrap="wrap"),
        test_id="quote-card",
    )


def quotes_page() -> rx.Component:
    s = QuotesState
    return shell(
        paged_table(
            s,
            [("number", t("col.number"), True), ("account", t("col.account"), False),
             ("status", t("col.status"), False), ("base", t("sui.quote.base"), False),
             ("total", t("col.total"), True), ("issue_date", t("col.issue_date"), True),
             ("valid_until", t("col.valid_until"), True), ("owner", t("col.owner"), False)],
            _quote_row,
            card=_quote_card,
            count_label=t("count.quotes"),
            test_id="quotes",
            search_placeholder=t("sui.quotes.search"),
            toolbar=[
                rx.box(choice([(NONE, t("sui.filter.all_status"))] +
                              [(x, t(f"quote.status.{x}")) for x in STATUSES],
                              value=s.status, on_change=s.set_status, id="quotes-status",
                              aria_label=t("col.status")),
                       min_width="170px", flex_shrink="0"),
                link_button(t("sui.products.title"), "/productos", icon="package",
                            id="quotes-catalog", variant="soft", width=PHONE_FULL,
                            flex_shrink="0"),
                link_button(t("sui.quotes.new"), "/presupuestos/nuevo", icon="plus",
                            id="quote-new", width=PHONE_FULL, flex_shrink="0"),
            ],
            empty=rx.cond(
                (s.status != NONE) | (s.q != ""),
                big_empty("search-x", t("sui.common.no_matches"), test_id="quotes-empty"),
                big_empty("file-text", t("sui.quotes.empty"),
                          link_button(t("sui.quotes.new"), "/presupuestos/nuevo", icon="plus",
                                      id="quote-new-empty"),
                          test_id="quotes-empty")),
        ),
        title=t("nav.quotes"),
        active="/presupuestos",
    )


# --- the editor -------------------------------------------------------------------------------


def _new_line(**values: str) -> dict[str, str]:
    line = {"key": uuid.uuid4().hex[:8], "product_id": "", "description": "", "quantity": "1",
            "unit": "ud", "unit_price": "", "discount_pct": "", "tax_rate": "21",
            "base": money(Decimal(0))}
    line.update(values)
    return line


def _rate_label(rate_key: str) -> str:
    if rate_key == EXENTO:
        return t("sui.quote.exempt")
    return f"{rate_key.replace('.', ',')}\u00a0%"


class QuoteEditorState(AccountPickerMixin, AppState):
    quote_id: int = 0
    head: dict[str, str] = {}
    versions: list[dict[str, str]] = []
    editable: bool = True
    loaded: bool = False
    lines: list[dict[str, str]] = []
    global_discount: str = ""
    recargo: bool = False
    irpf: str = ""
    valid_until: str = ""
    conditions: str = ""
    notes: str = ""
    contact_id: str = NONE
    opportunity_id: str = NONE
    opportunity_options: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    taxes: list[dict[str, str]] = []
    recargos: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    dirty: bool = False
    product_q: str = ""
    product_options: list[dict[str, str]] = []
    saving: bool = False
    deciding: bool = False
    revising: bool = False
    send_open: bool = False
    send_to: str = ""
    send_message: str = ""
    send_errors: dict[str, str] = {}
    sending: bool = False

    # --- maths ---------------------------------------------------------------------------------

    def _recompute(self) -> None:
        """Totals of what is on screen, by the service's own function (exact Decimal)."""
        live: dict[str, str] = {}
        parsed = []
        for i, ln in enumerate(self.lines):
            p = f"lines.{i}."
            qty = to_decimal(ln.get("quantity"), field_name=p + "quantity", errors=live,
                             default=Decimal(0), places=3, label=t("sui.quote.qty_label"))
            price = to_decimal(ln.get("unit_price"), field_name=p + "unit_price", errors=live,
                               default=Decimal(0), minimum=Decimal(0), places=4,
                               label=t("sui.quote.price_label"))
            disc = to_decimal(ln.get("discount_pct"), field_name=p + "discount_pct",
                              errors=live, default=Decimal(0), minimum=Decimal(0),
                              maximum=Decimal(100), places=2,
                              label=t("sui.quote.discount_label"))
            rate, exempt = parse_tax_rate(ln.get("tax_rate") or "21", False, p + "tax_rate",
                                          live)
            if qty is not None and qty < 0:
                live[p + "quantity"] = t("sui.quote.qty_positive")
                qty = Decimal(0)
            parsed.append({"quantity": qty or Decimal(0), "unit_price": price or Decimal(0),
                           "discount_pct": disc or Decimal(0), "tax_rate": rate,
                           "tax_exempt": exempt})
        g = to_decimal(self.global_discount, field_name="global_discount_pct", errors=live,
                       default=Decimal(0), minimum=Decimal(0), maximum=Decimal(100), places=2,
                       label=t("sui.quote.global_discount_label")) or Decimal(0)
        irpf = to_decimal(self.irpf, field_name="irpf_pct", errors=live, default=Decimal(0),
                          minimum=Decimal(0), maximum=Decimal(100), places=2,
                          label=t("sui.quote.irpf_label")) or Decimal(0)
        totals = quote_service.compute_totals(parsed, global_discount_pct=g,
                                              recargo_equivalencia=self.recargo, irpf_pct=irpf)
        self.lines = [{**ln, "base": money(b)} for ln, b in zip(self.lines, totals.line_bases,
                                                                  strict=True)]
        self.taxes = [{"label": _rate_label(x.rate_key), "base": money(x.base),
                       "amount": money(x.amount)} for x in totals.taxes]
        self.recargos = [{"label": f"{rate_text(x.rate).replace('.', ',')}\u00a0% "
                                   f"({t('sui.quote.on_iva')} "
                                   f"{rate_text(x.iva_rate).replace('.', ',')}\u00a0%)",
                          "base": money(x.base), "amount": money(x.amount)}
                         for x in totals.recargo]
        self.totals = {
            "subtotal": money(totals.subtotal), "discount": money(totals.discount),
            "has_discount": "1" if totals.discount else "",
            "discount_label": t("sui.quote.discount_row",
                                pct=dec_text(totals.global_discount_pct)),
            "base": money(totals.base), "tax": money(totals.tax),
            "recargo": money(totals.recargo_total), "irpf": money(totals.irpf),
            "irpf_pct": dec_text(totals.irpf_pct) + "\u00a0%",
            "has_irpf": "1" if totals.irpf else "", "total": money(totals.total),
        }
        kept = {k: v for k, v in self.errors.items()
                if not k.startswith("lines.") and k not in ("global_discount_pct", "irpf_pct")}
        self.errors = {**kept, **live}

    # --- loading --------------------------------------------------------------------------------

    def _load_opportunities(self, session: Session, user: User, account_id: int | None) -> None:
        if not account_id:
            self.opportunity_options = []
            return
        page = opp_service.list_opportunities(session=session, actor=user,
                                              account_id=account_id, limit=100)
        self.opportunity_options = [{"value": str(o.id), "label": o.name} for o in page.items]

    def _account_picked(self, session: Session, user: User, account: Account | None) -> None:
        self.contact_id = NONE
        self.opportunity_id = NONE
        self.recargo = bool(account and account.recargo_equivalencia)
        self._load_opportunities(session, user, account.id if account else None)
        self.dirty = True
        self._recompute()

    def _load_quote(self, session: Session, user: User) -> None:
        view = quote_service.quote_view(session=session, actor=user, quote_id=self.quote_id)
        self.head = {
            "label": view["label"], "number": view["number"], "status": str(view["status"]),
            "status_label": view["status_label"], "owner": view["owner"],
            "issue_date": date_es(view["issue_date"]),
            "valid_until_text": date_es(view["valid_until"]),
            "sent_at": datetime_es(view["sent_at"]),
            "decided_at": datetime_es(view["decided_at"]),
            "pdf": f"/api/v1/quotes/{view['id']}/pdf",
            "opportunity_href": f"/oportunidades/{view['opportunity_id']}"
            if view["opportunity_id"] else "",
            "account_href": f"/clientes/{view['account_id']}",
            "opportunity_name": "",
        }
        if view["opportunity_id"]:
            opp = session.get(Opportunity, view["opportunity_id"])
            self.head["opportunity_name"] = opp.name if opp else ""
        self.editable = bool(view["editable"])
        self.versions = [{"id": str(v["id"]), "label": f"v{v['version']}",
                          "status": str(v["status"]),
                          "current": "1" if v["id"] == view["id"] else ""}
                         for v in view["versions"]]
        account = session.get(Account, view["account_id"])
        self.account_id = sid(view["account_id"])
        self.account_name = account.name if account else ""
        self._load_contacts(session, user, view["account_id"])
        self._load_opportunities(session, user, view["account_id"])
        self.contact_id = sid(view["contact_id"]) or NONE
        self.opportunity_id = sid(view["opportunity_id"]) or NONE
        self.lines = [_new_line(
            product_id=sid(ln["product_id"]), description=ln["description"],
            quantity=dec_text(ln["quantity"]), unit=ln["unit"],
            unit_price=dec_text(ln["unit_price"]),
            discount_pct=dec_text(ln["discount_pct"]) if ln["discount_pct"] else "",
            tax_rate=str(ln["tax_rate"])) for ln in view["lines"]]
        self.global_discount = dec_text(view["global_discount_pct"]) \
            if view["global_discount_pct"] else ""
        self.recargo = bool(view["recargo_equivalencia"])
        self.irpf = dec_text(view["irpf_pct"])
        self.valid_until = view["valid_until"].isoformat()
        self.conditions = view["conditions"] or ""
        self.notes = view["notes"] or ""
        self.dirty = False
        self.errors = {}
        self._recompute()

    @rx.event
    def load(self) -> Any:
        self.loaded = False
        self.errors, self.send_open, self.product_q, self.product_options = {}, False, "", []
        self.account_q, self.account_options = "", []
        quote_id = path_id(self.router.url.path, "presupuestos")
        try:
            with user_session(self) as (session, user):
                if quote_id is not None:
                    self.quote_id = quote_id
                    self._load_quote(session, user)
                else:
                    self._new(session, user)
        except Exception as exc:  # noqa: BLE001
            return [failure(exc), rx.redirect("/presupuestos")]
        self.loaded = True
        return None

    def _new(self, session: Session, user: User) -> None:
        org = ensure_organisation(session=session)
        session.commit()
        self.quote_id = 0
        self.head = {"status": "borrador", "status_label": t("quote.status.borrador"),
                     "label": t("sui.quotes.new")}
        self.versions = []
        self.editable = True
        self.lines = []
        self.global_discount = ""
        self.irpf = dec_text(org.default_irpf_pct or Decimal(0))
        self.valid_until = (today_local() + _days(org.quote_validity_days or 30)).isoformat()
        self.conditions = org.quote_conditions or ""
        self.notes = ""
        self.account_id = self.account_name = ""
        self.contact_options, self.opportunity_options = [], []
        self.contact_id = self.opportunity_id = NONE
        self.recargo = False
        params = self.router.url.query_parameters
        opp_id = to_id(params.get("oportunidad"))
        account_id = to_id(params.get("cliente"))
        if opp_id:
            opp = opp_service.get_opportunity(session=session, actor=user, opportunity_id=opp_id)
            account_id = opp.account_id
        if account_id:
            from crm_app.services.accounts import get_account

            account = get_account(session=session, actor=user, account_id=account_id)
            self.account_id, self.account_name = str(account.id), account.name
            self.recargo = account.recargo_equivalencia
            self._load_contacts(session, user, account.id)
            self._load_opportunities(session, user, account.id)
        if opp_id:
            self.opportunity_id = str(opp_id)
            if opp.contact_id:
                self.contact_id = str(opp.contact_id)
        self.dirty = False
        self._recompute()

    # --- editing (every change recomputes) ------------------------------------------------------

    def _editing(self) -> bool:
        return self.editable and self.loaded

    @rx.event
    def set_line(self, index: int, name: str, value: str) -> None:
        if not self._editing() or name not in LINE_FIELDS or not 0 <= index < len(self.lines):
            return
        lines = [dict(ln) for ln in self.lines]
        lines[index][name] = str(value)[:500]
        self.lines = lines
        self.dirty = True
        self._recompute()

    @rx.event
    def remove_line(self, index: int) -> None:
        if not self._editing() or not 0 <= index < len(self.lines):
            return
        self.lines = [ln for i, ln in enumerate(self.lines) if i != index]
        self.errors = {k: v for k, v in self.errors.items() if not k.startswith("lines.")}
        self.dirty = True
        self._recompute()

    @rx.event
    def add_free_line(self) -> None:
        if not self._editing():
            return
        self.lines = [*self.lines, _new_line()]
        self.dirty = True
        self._recompute()

    @rx.event
    def search_products(self, value: str) -> Any:
        self.product_q = value
        if not value.strip():
            self.product_options = []
            return None
        try:
            with user_session(self) as (session, user):
                page = product_service.list_products(session=session, actor=user, q=value,
                                                     limit=8)
                self.product_options = [{
                    "value": str(p.id), "label": p.name, "sku": p.sku,
                    "price": money(p.unit_price) + " / " + p.unit,
                    "tax": t("sui.quote.exempt") if p.tax_exempt else
                    f"{t('sui.quote.iva')} {rate_text(p.tax_rate)}\u00a0%"} for p in page.items]
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None

    @rx.event
    def add_product(self, product_id: str) -> Any:
        if not self._editing():
            return None
        try:
            with user_session(self) as (session, user):
                p = product_service.get_product(session=session, actor=user,
                                                product_id=int(product_id))
                self.lines = [*self.lines, _new_line(
                    product_id=str(p.id), description=p.name, unit=p.unit,
                    unit_price=dec_text(p.unit_price),
                    tax_rate=EXENTO if p.tax_exempt else rate_text(p.tax_rate))]
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        self.product_q, self.product_options = "", []
        self.dirty = True
        self._recompute()
        return None

    @rx.event
    def set_global_discount(self, value: str) -> None:
        if self._editing():
            self.global_discount, self.dirty = value, True
            self._recompute()

    @rx.event
    def set_irpf(self, value: str) -> None:
        if self._editing():
            self.irpf, self.dirty = value, True
            self._recompute()

    @rx.event
    def set_recargo(self, value: bool) -> None:
        if self._editing():
            self.recargo, self.dirty = bool(value), True
            self._recompute()

    @rx.event
    def set_valid_until(self, value: str) -> None:
        if self._editing():
            self.valid_until, self.dirty = value, True

    @rx.event
    def set_conditions(self, value: str) -> None:
        if self._editing():
            self.conditions, self.dirty = value, True

    @rx.event
    def set_notes(self, value: str) -> None:
        if self._editing():
            self.notes, self.dirty = value, True

    @rx.event
    def set_contact(self, value: str) -> None:
        if self._editing():
            self.contact_id, self.dirty = value, True

    @rx.event
    def set_opportunity(self, value: str) -> None:
        if self._editing():
            self.opportunity_id, self.dirty = value, True

    # --- commands -------------------------------------------------------------------------------

    def _payload(self) -> dict[str, Any]:
        return {
            "account_id": to_id(self.account_id),
            "contact_id": to_id(self.contact_id),
            "opportunity_id": to_id(self.opportunity_id),
            "lines": [{"product_id": to_id(ln["product_id"]), "description": ln["description"],
                       "quantity": ln["quantity"], "unit_price": ln["unit_price"],
                       "discount_pct": ln["discount_pct"] or "0", "tax_rate": ln["tax_rate"],
                       "unit": ln["unit"]} for ln in self.lines],
            "global_discount_pct": self.global_discount or "0",
            "recargo_equivalencia": self.recargo,
            "irpf_pct": self.irpf or "0",
            "valid_until": self.valid_until or None,
            "conditions": self.conditions,
            "notes": self.notes,
        }

    @rx.event
    def save(self):  # noqa: ANN201
        if not self._editing():
            return
        self.saving = True
        yield
        data = self._payload()
        try:
            with user_session(self) as (session, user):
                if self.quote_id:
                    quote_service.update_quote(session=session, actor=user,
                                               quote_id=self.quote_id, data=data)
                    self._load_quote(session, user)
                    new_id = None
                else:
                    quote = quote_service.create_quote(session=session, actor=user, **data)
                    new_id = quote.id
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
        if new_id is not None:
            self.dirty = False
            yield [rx.toast.success(t("sui.quotes.created")),
                   rx.redirect(f"/presupuestos/{new_id}")]
            return
        yield rx.toast.success(t("sui.quotes.saved"))

    def _decide(self, action: str):  # noqa: ANN202
        if not self.quote_id or self.dirty:
            yield rx.toast.error(t("sui.quote.save_first"))
            return
        self.deciding = True
        yield
        try:
            with user_session(self) as (session, user):
                if action == "accept":
                    quote_service.accept_quote(session=session, actor=user,
                                               quote_id=self.quote_id)
                    message = t("sui.quote.accepted")
                elif action == "reject":
                    quote_service.reject_quote(session=session, actor=user,
                                               quote_id=self.quote_id)
                    message = t("sui.quote.rejected")
                else:
                    quote_service.delete_quote(session=session, actor=user,
                                               quote_id=self.quote_id)
                    self.deciding = False
                    yield [rx.toast.success(t("sui.quote.deleted")),
                           rx.redirect("/presupuestos")]
                    return
                self._load_quote(session, user)
        except Exception as exc:  # noqa: BLE001
            self.deciding = False
            yield failure(exc)
            return
        self.deciding = False
        yield rx.toast.success(message)

    @rx.event
    def accept(self):  # noqa: ANN201
        yield from self._decide("accept")

    @rx.event
    def reject(self):  # noqa: ANN201
        yield from self._decide("reject")

    @rx.event
    def delete(self):  # noqa: ANN201
        yield from self._decide("delete")

    @rx.event
    def revise(self):  # noqa: ANN201
        if not self.quote_id:
            return
        self.revising = True
        yield
        try:
            with user_session(self) as (session, user):
                quote = quote_service.revise_quote(session=session, actor=user,
                                                   quote_id=self.quote_id)
                new_id, version = quote.id, quote.version
        except Exception as exc:  # noqa: BLE001
            self.revising = False
            yield failure(exc)
            return
        self.revising = False
        yield [rx.toast.success(t("sui.quote.revised", version=version)),
               rx.redirect(f"/presupuestos/{new_id}")]

    # --- sending (background: PDF rendering and SMTP off the event loop) -----------------------

    @rx.event
    def open_send(self) -> Any:
        if not self.quote_id or self.dirty:
            return rx.toast.error(t("sui.quote.save_first"))
        try:
            with user_session(self) as (session, user):
                quote = quote_service.get_quote(session=session, actor=user,
                                                quote_id=self.quote_id)
                contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
                account = session.get(Account, quote.account_id)
                self.send_to = (contact.email if contact and contact.email else
                                (account.email if account else "")) or ""
                self.send_message = quote_service.default_message(
                    ensure_organisation(session=session), quote, contact)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        self.send_errors = {}
        self.send_open = True
        return None

    @rx.event
    def set_send_open(self, value: bool) -> None:
        if not self.sending:
            self.send_open = value

    @rx.event
    def set_send_to(self, value: str) -> None:
        self.send_to = value

    @rx.event
    def set_send_message(self, value: str) -> None:
        self.send_message = value

    @rx.event(background=True)
    async def send(self):  # noqa: ANN201
        async with self:
            if self.sending or not self.quote_id:
                return
            self.sending = True
            self.send_errors = {}
            token = self._session_token()
            quote_id = self.quote_id
            to = [x for x in re.split(r"[,;\s]+", self.send_to) if x]
            message = self.send_message

        def work() -> list[str]:
            with Session(get_engine()) as session:
                user = auth_service.user_for_session(session=session, token=token)
                if user is None:
                    raise NotSignedIn
                quote_service.send_quote(session=session, actor=user, quote_id=quote_id, to=to,
                                         message=message)
            return to

        try:
            await rx.run_in_thread(work)
        except ValidationFailed as exc:
            async with self:
                self.sending = False
                self.send_errors = dict(exc.errors)
            yield failure(exc)
            return
        except Exception as exc:  # noqa: BLE001
            async with self:
                self.sending = False
            yield failure(exc)
            return
        async with self:
            self.sending = False
            self.send_open = False
            try:
                with user_session(self) as (session, user):
                    self._load_quote(session, user)
            except Exception as exc:  # noqa: BLE001
                yield failure(exc)
        yield rx.toast.success(t("sui.quote.sent", to=", ".join(to)))


def _days(n: int) -> timedelta:
    return timedelta(days=n)


# --- editor UI --------------------------------------------------------------------------------


def _line_row(line: rx.Var, i: rx.Var) -> rx.Component:
    s = QuoteEditorState
    e = s.errors
    key = "lines." + i.to_string() + "."
    ro = ~s.editable

    def cell(text: str, control: rx.Component, field: str) -> rx.Component:
        return rx.vstack(
            rx.mobile_and_tablet(rx.text(text, size="1", color_scheme="gray")),
            control,
            rx.cond(e[key + field], rx.text(e[key + field], size="1", color_scheme="red",
                                            role="alert")),
            spacing="1", width="100%", min_width="0")

    def num(field: str, text: str) -> rx.Component:
        return cell(text, rx.input(
            value=line[field], on_change=lambda v: s.set_line(i, field, v),
            input_mode="decimal", width="100%", read_only=ro, aria_label=text,
            id="line-" + i.to_string() + "-" + field, text_align="right"), field)

    return rx.grid(
        rx.box(cell(t("sui.quote.line.description"), rx.input(
            value=line["description"], on_change=lambda v: s.set_line(i, "description", v),
            width="100%", read_only=ro, aria_label=t("sui.quote.line.description"),
            id="line-" + i.to_string() + "-description"), "description"),
            grid_column=rx.breakpoints(initial="1 / -1", lg="auto")),
        num("quantity", t("sui.quote.line.quantity")),
        num("unit_price", t("sui.quote.line.unit_price")),
        num("discount_pct", t("sui.quote.line.discount")),
        cell(t("sui.quote.line.tax_rate"), rx.select.root(
            rx.select.trigger(width="100%", aria_label=t("sui.quote.line.tax_rate"),
                              id="line-" + i.to_string() + "-tax_rate"),
            rx.select.content(*[rx.select.item(lbl, value=val) for val, lbl in TAX_OPTIONS],
                              rx.select.item(t("sui.quote.exempt"), value=EXENTO)),
            value=line["tax_rate"], on_change=lambda v: s.set_line(i, "tax_rate", v),
            disabled=ro), "tax_rate"),
        rx.hstack(
            rx.mobile_and_tablet(rx.text(t("sui.quote.line.amount"), size="2",
                                         color_scheme="gray")),
            rx.spacer(),
            rx.text(line["base"], weight="medium", white_space="nowrap",
                    data_testid="line-base"),
            rx.cond(s.editable, rx.icon_button(
                rx.icon("trash-2", size=14), variant="ghost", color_scheme="red",
                aria_label=t("sui.quote.remove_line"), on_click=s.remove_line(i),
                id="line-" + i.to_string() + "-remove", type="button"),
                rx.box(width="24px")),
            align="center", spacing="3", width="100%",
            padding_top=rx.breakpoints(initial="0", lg="6px"),
            grid_column=rx.breakpoints(initial="1 / -1", lg="auto")),
        grid_template_columns=rx.breakpoints(initial="repeat(2, minmax(0, 1fr))", lg=LINE_GRID),
        spacing="2",
        width="100%",
        align_items="start",
        padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="quote-line",
    )


def _lines_card() -> rx.Component:
    s = QuoteEditorState
    header = rx.desktop_only(rx.grid(
        *[rx.text(t(k), size="1", color_scheme="gray", weight="medium",
                  text_align="right" if k not in ("sui.quote.line.description",
                                                  "sui.quote.line.tax_rate") else "left")
          for k in ("sui.quote.line.description", "sui.quote.line.quantity",
                    "sui.quote.line.unit_price", "sui.quote.line.discount",
                    "sui.quote.line.tax_rate", "sui.quote.line.amount")],
        grid_template_columns=LINE_GRID,
        spacing="2", width="100%"), width="100%")
    adder = rx.cond(s.editable, rx.vstack(
        rx.flex(
            rx.box(rx.debounce_input(rx.input(
                rx.input.slot(rx.icon("package-search", size=16)),
                value=s.product_q, on_change=s.search_products,
                placeholder=t("sui.quote.search_product"), width="100%",
                id="product-search", aria_label=t("sui.quote.add_product")),
                debounce_timeout=250), flex_grow="1", width="100%"),
            rx.button(rx.icon("plus", size=16), t("sui.quote.add_line"), variant="soft",
                      type="button", on_click=s.add_free_line, id="add-free-line",
                      width=PHONE_FULL, flex_shrink="0"),
            spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row")),
        rx.cond(s.product_options.length() > 0, rx.vstack(
            rx.foreach(s.product_options, lambda p: rx.button(
                rx.hstack(
                    rx.vstack(rx.text(p["label"], size="2", weight="medium"),
                              rx.text(p["sku"], " · ", p["tax"], size="1",
                                      color_scheme="gray"),
                              spacing="0", align="start"),
                    rx.spacer(),
                    rx.text(p["price"], size="2", white_space="nowrap"),
                    width="100%", align="center"),
                variant="ghost", type="button", width="100%", height="auto",
                padding_y="var(--space-1)", on_click=s.add_product(p["value"]),
                data_testid="product-option")),
            spacing="1", width="100%", border=f"1px solid {rx.color('gray', 5)}",
            border_radius="var(--radius-3)", padding="var(--space-1)")),
        rx.cond((s.product_q != "") & (s.product_options.length() == 0),
                rx.text(t("sui.quote.no_products"), size="1", color_scheme="gray")),
        spacing="2", width="100%"))
    return section(
        t("sui.quote.lines"),
        header,
        rx.cond(s.lines.length() > 0,
                rx.vstack(rx.foreach(s.lines, _line_row), spacing="0", width="100%"),
                rx.text(t("sui.quote.no_lines"), size="2", color_scheme="gray",
                        data_testid="no-lines")),
        rx.cond(s.errors["lines"], rx.text(s.errors["lines"], size="1", color_scheme="red",
                                           role="alert")),
        adder,
        test_id="quote-lines", icon="list")


def _money_row(text: Any, value: Any, test_id: str, *, strong: bool = False,
               negative: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(text, size="3" if strong else "2", weight="bold" if strong else "regular"),
        rx.spacer(),
        rx.text(rx.cond(negative, "− ", ""), value, size="3" if strong else "2",
                weight="bold" if strong else "medium", white_space="nowrap",
                data_testid=test_id),
        width="100%", align="center")


def _totals_card() -> rx.Component:
    s = QuoteEditorState
    tt = s.totals
    return rx.card(rx.vstack(
        rx.heading(t("sui.quote.totals"), size="4"),
        rx.cond(tt["has_discount"], rx.vstack(
            _money_row(t("sui.quote.subtotal"), tt["subtotal"], "total-subtotal"),
            _money_row(tt["discount_label"], tt["discount"], "total-discount", negative=True),
            spacing="1", width="100%")),
        rx.cond(s.taxes.length() > 1, rx.vstack(
            rx.foreach(s.taxes, lambda x: rx.vstack(
                _money_row(t("sui.quote.base") + " " + x["label"], x["base"], "tax-base"),
                _money_row(t("sui.quote.iva") + " " + x["label"], x["amount"], "tax-amount"),
                spacing="1", width="100%")),
            rx.separator(),
            spacing="2", width="100%")),
        _money_row(t("sui.quote.base"), tt["base"], "total-base"),
        _money_row(rx.cond(s.taxes.length() == 1, t("sui.quote.iva") + " " + s.taxes[0]["label"],
                           t("sui.quote.iva")), tt["tax"], "total-tax"),
        rx.foreach(s.recargos, lambda x: _money_row(t("sui.quote.recargo") + " " + x["label"],
                                                    x["amount"], "recargo-amount")),
        rx.cond(tt["has_irpf"], _money_row(t("sui.quote.irpf") + " " + tt["irpf_pct"],
                                           tt["irpf"], "total-irpf", negative=True)),
        rx.separator(),
        _money_row(t("sui.quote.total"), tt["total"], "total", strong=True),
        rx.cond(s.dirty & (s.quote_id > 0), rx.callout(t("sui.quote.unsaved"), icon="info",
                                                      size="1", color_scheme="amber",
                                                      width="100%")),
        spacing="2", width="100%"),
        width="100%", data_testid="quote-totals",
        position=rx.breakpoints(initial="static", lg="sticky"), top="80px")


def _terms_card() -> rx.Component:
    s = QuoteEditorState
    ro = ~s.editable
    return section(
        t("sui.quote.terms"),
        rx.grid(
            form_field(t("sui.quote.global_discount"), rx.input(
                value=s.global_discount, on_change=s.set_global_discount, id="global_discount",
                input_mode="decimal", placeholder="0", read_only=ro, width="100%"),
                html_for="global_discount", error=s.errors["global_discount_pct"]),
            form_field(t("sui.quote.irpf_field"), rx.input(
                value=s.irpf, on_change=s.set_irpf, id="irpf", input_mode="decimal",
                placeholder="0", read_only=ro, width="100%"),
                html_for="irpf", error=s.errors["irpf_pct"], hint=t("sui.quote.irpf_hint")),
            form_field(t("col.valid_until"), rx.input(
                type="date", value=s.valid_until, on_change=s.set_valid_until,
                id="valid_until", read_only=ro, width="100%"),
                html_for="valid_until", error=s.errors["valid_until"]),
            columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%"),
        rx.el.label(rx.hstack(
            rx.checkbox(checked=s.recargo, on_change=s.set_recargo, id="recargo",
                        disabled=ro),
            rx.text(t("sui.account.recargo"), size="2", weight="medium"),
            align="center", spacing="2"), html_for="recargo"),
        rx.text(t("sui.quote.recargo_hint"), size="1", color_scheme="gray"),
        form_field(t("sui.quote.conditions"), rx.text_area(
            value=s.conditions, on_change=s.set_conditions, id="conditions", rows="3",
            read_only=ro, width="100%"), html_for="conditions", error=s.errors["conditions"]),
        form_field(t("sui.quote.notes"), rx.text_area(
            value=s.notes, on_change=s.set_notes, id="notes", rows="2", read_only=ro,
            width="100%"), html_for="notes", error=s.errors["notes"]),
        test_id="quote-terms", icon="settings-2")


def _customer_card() -> rx.Component:
    s = QuoteEditorState
    none: Any = rx.Var.create([{"value": NONE, "label": t("sui.common.unspecified")}])
    return section(
        t("sui.quote.customer"),
        rx.grid(
            rx.cond(s.editable & (s.quote_id == 0),
                    account_picker(s, error=s.errors["account_id"], id_prefix="quote"),
                    form_field(t("col.account"), rx.link(s.account_name,
                                                         href=s.head["account_href"],
                                                         id="quote-account-link"))),
            form_field(t("sui.opp.contact"), choice(none + s.contact_options,
                                                    value=s.contact_id,
                                                    on_change=s.set_contact,
                                                    id="quote-contact",
                                                    disabled=~s.editable | (s.account_id == "")),
                       html_for="quote-contact", error=s.errors["contact_id"]),
            form_field(t("sui.quote.opportunity"), choice(none + s.opportunity_options,
                                                          value=s.opportunity_id,
                                                          on_change=s.set_opportunity,
                                                          id="quote-opportunity",
                                                          disabled=~s.editable |
                                                          (s.account_id == "")),
                       html_for="quote-opportunity", error=s.errors["opportunity_id"]),
            columns=rx.breakpoints(initial="1", md="3"), spacing="3", width="100%"),
        test_id="quote-customer", icon="building-2")


def _send_dialog() -> rx.Component:
    s = QuoteEditorState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("sui.quote.send")),
            rx.dialog.description(t("sui.quote.send_help"), size="2",
                                  margin_bottom="var(--space-3)"),
            rx.vstack(
                form_field(t("sui.quote.send_to"), rx.input(
                    value=s.send_to, on_change=s.set_send_to, id="send-to", type="text",
                    width="100%", placeholder=t("sui.quote.send_to_placeholder")),
                    html_for="send-to",
                    required=True, error=s.send_errors["to"]),
                form_field(t("sui.quote.send_message"), rx.text_area(
                    value=s.send_message, on_change=s.set_send_message, id="send-message",
                    rows="8", width="100%"), html_for="send-message"),
                rx.text(t("sui.quote.send_attach"), size="1", color_scheme="gray"),
                form_actions(
                    rx.button(rx.icon("send", size=16), t("sui.quote.send_button"),
                              on_click=s.send, loading=s.sending, width=PHONE_FULL,
                              id="send-submit"),
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                              color_scheme="gray", width=PHONE_FULL,
                                              disabled=s.sending)),
                ),
                spacing="3", width="100%"),
            max_width="560px",
            data_testid="send-dialog",
        ),
        open=s.send_open,
        on_open_change=s.set_send_open,
    )


def _header() -> rx.Component:
    s = QuoteEditorState
    h = s.head
    saved = s.quote_id > 0
    is_open = (h["status"] == "borrador") | (h["status"] == "enviado")
    clean = ~s.dirty
    actions = rx.flex(
        rx.cond(saved & clean, link_button(t("sui.quote.pdf"), h["pdf"], icon="file-text",
                                           id="quote-pdf", variant="soft", external=True,
                                           width=PHONE_FULL)),
        rx.cond(saved & is_open & clean, rx.button(
            rx.icon("mail", size=16), t("sui.quote.send"), variant="soft",
            on_click=s.open_send, id="quote-send", width=PHONE_FULL)),
        rx.cond(saved & is_open & clean, confirm(
            rx.button(rx.icon("x", size=16), t("sui.quote.reject"), variant="soft",
                      color_scheme="red", loading=s.deciding, id="quote-reject",
                      width=PHONE_FULL),
            title=t("sui.quote.reject_q_title"), description=t("sui.quote.reject_q"),
            confirm_label=t("sui.quote.reject"), on_confirm=s.reject, test_id="quote-reject")),
        rx.cond(saved & is_open & clean, confirm(
            rx.button(rx.icon("check", size=16), t("sui.quote.accept"), color_scheme="green",
                      loading=s.deciding, id="quote-accept", width=PHONE_FULL),
            title=t("sui.quote.accept_q_title"), description=t("sui.quote.accept_q"),
            confirm_label=t("sui.quote.accept"), on_confirm=s.accept, test_id="quote-accept",
            color="green")),
        rx.cond(saved & (h["status"] != "borrador") & (h["status"] != "aceptado"),
                rx.button(rx.icon("copy-plus", size=16), t("sui.quote.revise"),
                          variant="soft", on_click=s.revise, loading=s.revising,
                          id="quote-revise", width=PHONE_FULL)),
        spacing="2", wrap="wrap", direction=rx.breakpoints(initial="column", sm="row"),
        width=PHONE_FULL)
    return rx.card(rx.flex(
        rx.vstack(
            rx.hstack(rx.heading(h["label"], size="6", id="quote-number"),
                      status_badge(h["status"], h["status_label"]),
                      align="center", spacing="3", wrap="wrap", data_testid="quote-status"),
            rx.cond(saved, rx.hstack(
                rx.text(t("col.issue_date"), ": ", h["issue_date"], size="2",
                        color_scheme="gray"),
                rx.text(t("col.valid_until"), ": ", h["valid_until_text"], size="2",
                        color_scheme="gray"),
                rx.cond(h["sent_at"], rx.text(t("sui.quote.sent_at"), ": ", h["sent_at"],
                                              size="2", color_scheme="gray")),
                rx.cond(h["opportunity_href"], rx.link(
                    rx.hstack(rx.icon("kanban", size=14), h["opportunity_name"], spacing="1",
                              align="center"),
                    href=h["opportunity_href"], size="2", id="quote-opportunity-link")),
                spacing="3", wrap="wrap")),
            rx.cond(s.versions.length() > 1, rx.hstack(
                rx.text(t("sui.quote.versions"), size="1", color_scheme="gray"),
                rx.foreach(s.versions, lambda v: rx.link(
                    rx.badge(v["label"], variant=rx.cond(v["current"], "solid", "soft")),
                    href="/presupuestos/" + v["id"])),
                spacing="1", align="center", wrap="wrap")),
            spacing="2", min_width="0"),
        rx.spacer(),
        rx.cond(saved, actions),
        direction=rx.breakpoints(initial="column", md="row"), spacing="3", width="100%"),
        width="100%")


def quote_editor_page() -> rx.Component:
    s = QuoteEditorState
    save_bar = rx.cond(s.editable, form_actions(
        rx.button(rx.icon("save", size=16), rx.cond(s.quote_id > 0, t("common.save"),
                                                    t("sui.quote.save_draft")),
                  on_click=s.save, loading=s.saving, width=PHONE_FULL, id="quote-save"),
        rx.cond(s.quote_id > 0, confirm(
            rx.button(rx.icon("trash-2", size=16), t("common.delete"), variant="soft",
                      color_scheme="red", width=PHONE_FULL, id="quote-delete",
                      type="button"),
            title=t("sui.quote.delete_q_title"), description=t("sui.quote.delete_q"),
            confirm_label=t("common.delete"), on_confirm=s.delete, test_id="quote-delete"),
            link_button(t("common.cancel"), "/presupuestos", id="quote-cancel",
                        variant="soft", color_scheme="gray", width=PHONE_FULL)),
    ))
    return shell(
        rx.cond(
            s.loaded,
            rx.vstack(
                rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("sui.quotes.back"),
                                  align="center", spacing="1"),
                        href="/presupuestos", size="2"),
                _header(),
                rx.cond(~s.editable, rx.callout(t("sui.quote.readonly"), icon="lock",
                                                size="1", width="100%")),
                _customer_card(),
                _lines_card(),
                rx.grid(
                    rx.box(_terms_card(), grid_column=rx.breakpoints(initial="auto",
                                                                     lg="span 2"),
                           min_width="0"),
                    rx.box(_totals_card(), min_width="0"),
                    columns=rx.breakpoints(initial="1", lg="3"), spacing="4", width="100%",
                    align_items="start"),
                save_bar,
                _send_dialog(),
                spacing="4",
                width="100%",
            ),
            rx.center(rx.spinner(size="3"), padding="var(--space-8)"),
        ),
        title=t("sui.quotes.editor_title"),
        active="/presupuestos",
    )


__all__ = ["QuoteEditorState", "QuotesState", "quote_editor_page", "quotes_page"]
