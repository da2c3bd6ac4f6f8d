"""/presupuestos/nuevo (``?oportunidad=ID`` or ``?cliente=ID``) and /presupuestos/[id]: the
quote editor's state — the customer, the lines, the terms and the live totals.

Every change to a line or a money term asks the service for a preview
(``quotes.preview_quote``): the same line validation and ``compute_totals`` the save runs, so
the totals on screen are the ones the quote, its PDF and its email will carry, and a value the
save refuses (quantity 0…) is refused inline at once with the save's own message. The preview
shows what is wrong with what was typed; what is still missing (a description, a price, the
customer) is said by the save. The decisions, versions and e-mail are in ``commands``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import date_es, dec_text, money
from crm_app.i18n import t
from crm_app.list_state import NONE
from crm_app.permissions import Perm, require
from crm_app.services import opportunities as opp_service
from crm_app.services import products as product_service
from crm_app.services import quotes as quote_service
from crm_app.services.defaults import default_tax_rate
from crm_app.services.links import as_id
from crm_app.services.sales_common import rate_text
from crm_app.state import AppState, Ctx, handler, toast_and_go
from crm_app.state_mixins.account_picker import AccountPickerMixin
from crm_app.state_mixins.activity_log import ActivityLogMixin
from pages.quotes import rows
from pages.quotes.commands import QuoteCommandsMixin

MAX_PRODUCT_OPTIONS = 8
MAX_OPPORTUNITIES = 100
MAX_TEXT = 500  # one line's input (the service bounds every value again)
# the editor's other fields (state var -> longest value kept)
TEXT_FIELDS = {"valid_until": 10, "conditions": 20_000, "notes": 20_000, "contact_id": 20,
               "opportunity_id": 20}
# the element of a field the service names (a line's field is ``line-<i>-<field>``)
FIELD_IDS = {"account_id": "quote-account-search", "contact_id": "quote-contact",
             "opportunity_id": "quote-opportunity", "lines": "lines",
             "global_discount_pct": "global_discount", "irpf_pct": "irpf"}


def _picked(value: str) -> str | None:
    """A select's value as the service reads it (``None`` for "none")."""
    return None if not value or value == NONE else value


def _index(value: Any, lines: list[Any]) -> int | None:
    """A line's position sent by the browser, if it names one of the lines."""
    return value if isinstance(value, int) and 0 <= value < len(lines) else None


class QuoteEditorState(ActivityLogMixin, QuoteCommandsMixin, AccountPickerMixin, AppState):
    quote_id: int = 0

    _log_link: ClassVar[str] = "quote_id"
    _log_done: ClassVar[int] = 10  # the quote has no timeline: its latest logged ones

    def _log_record_id(self) -> int:
        return self.quote_id

    def _after_log(self, ctx: Ctx) -> None:
        self._load_activities(ctx)  # the quote's form keeps its unsaved changes
    found: bool = True
    loaded: bool = False
    head: dict[str, str] = {}
    versions: list[dict[str, str]] = []
    editable: bool = True
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
    form_key: int = 0  # the uncontrolled inputs (dates, texts) take new defaults when it moves
    product_q: str = ""
    product_options: list[dict[str, str]] = []
    saving: bool = False

    # --- the preview: the service's validation and maths -------------------------------------

    def _terms(self) -> dict[str, Any]:
        """The lines and money terms as the service reads them: preview and save send these."""
        return {"lines": rows.payload_lines(self.lines),
                "global_discount_pct": self.global_discount or "0",
                "recargo_equivalencia": self.recargo, "irpf_pct": self.irpf or "0"}

    def _typed(self, key: str) -> bool:
        """Whether the field an error names holds something typed: the preview says what is
        wrong with a value; a value still missing is for the save to say."""
        if key == "global_discount_pct":
            return bool(self.global_discount.strip())
        if key == "irpf_pct":
            return bool(self.irpf.strip())
        parts = key.split(".")
        if len(parts) == 3 and parts[0] == "lines" and parts[1].isdigit() \
                and int(parts[1]) < len(self.lines):
            return bool(str(self.lines[int(parts[1])].get(parts[2], "")).strip())
        return False

    def _preview(self, ctx: Ctx) -> None:
        p = quote_service.preview_quote(session=ctx.session, actor=ctx.user, **self._terms())
        bases = p.totals.line_bases
        if len(bases) == len(self.lines):
            self.lines = [{**ln, "base": money(b)} for ln, b in zip(self.lines, bases,
                                                                      strict=True)]
        self.totals, self.taxes, self.recargos = rows.totals(p.totals.as_dict())
        kept = {k: v for k, v in self.errors.items() if not rows.is_term_error(k)}
        self.errors = {**kept, **{k: v for k, v in p.errors.items() if self._typed(k)}}

    def _after_field_errors(self, var: str, errors: dict[str, str]) -> Any:
        """A long editor on a phone: bring the first error the save found into view (its
        message sits under its field, so the field shows above it)."""
        if var != "errors" or not errors:
            return None
        key = next(iter(errors))
        html_id = "line-" + key[6:].replace(".", "-") if key.startswith("lines.") \
            else FIELD_IDS.get(key, key)
        return rx.scroll_to(f"{html_id}-error", align_to_top=False)

    def _changed(self, ctx: Ctx) -> None:
        self.dirty = True
        self._preview(ctx)

    def _editing(self) -> bool:
        return self.editable and self.loaded

    # --- loading ------------------------------------------------------------------------------

    def _load_opportunities(self, ctx: Ctx, account_id: int | None) -> None:
        if not account_id:
            self.opportunity_options = []
            return
        page = opp_service.list_opportunities(session=ctx.session, actor=ctx.user,
                                              account_id=account_id, limit=MAX_OPPORTUNITIES)
        self.opportunity_options = [rows.option(o.id, o.name) for o in page.items]

    def _account_picked(self, ctx: Ctx, account: Any) -> None:
        """A customer picked (or cleared): its contacts and deals; recargo by its flag."""
        self.contact_id = self.opportunity_id = NONE
        self.recargo = bool(account is not None and account.recargo_equivalencia)
        self._load_opportunities(ctx, account.id if account is not None else None)
        self._changed(ctx)

    def _show_head(self, view: dict[str, Any]) -> None:
        """The header of a stored quote: status, dates, versions (after a decision or a send)."""
        self.head = rows.head(view)
        self.editable = bool(view["editable"])
        self.versions = rows.versions(view)

    def _show(self, ctx: Ctx, view: dict[str, Any]) -> None:
        """A stored quote as the editor shows it, with its stored totals."""
        self.quote_id = view["id"]
        self._show_head(view)
        self._set_account(ctx, view["account_id"], view["account_name"])
        self._load_opportunities(ctx, view["account_id"])
        self.contact_id = str(view["contact_id"] or NONE)
        self.opportunity_id = str(view["opportunity_id"] or NONE)
        self.lines = [rows.stored_line(ln) for ln in view["lines"]]
        self.global_discount = dec_text(view["global_discount_pct"]) \
            if view["global_discount_pct"] else ""
        self.recargo = bool(view["recargo_equivalencia"])
        self.irpf = dec_text(view["irpf_pct"])
        self.valid_until = date_es(view["valid_until"])
        self.conditions = view["conditions"] or ""
        self.notes = view["notes"] or ""
        self.totals, self.taxes, self.recargos = rows.totals(view["totals"])
        self.dirty = False
        self.errors = {}
        self.form_key += 1

    def _reload(self, ctx: Ctx) -> None:
        self._show(ctx, quote_service.quote_view(session=ctx.session, actor=ctx.user,
                                                 quote_id=self.quote_id))

    def _new(self, ctx: Ctx) -> None:
        params = self.router.url.query_parameters
        d = quote_service.new_quote_draft(session=ctx.session, actor=ctx.user,
                                          opportunity_id=params.get("oportunidad"),
                                          account_id=params.get("cliente"))
        self.quote_id = 0
        self.head, self.versions, self.editable = rows.new_head(), [], True
        self.lines, self.global_discount, self.notes = [], "", ""
        self.irpf = dec_text(d["irpf_pct"])
        self.valid_until = date_es(d["valid_until"])
        self.conditions = d["conditions"]
        self._set_account(ctx, d["account_id"], d["account_name"])
        self._load_opportunities(ctx, d["account_id"])
        self.recargo = d["recargo_equivalencia"]
        self.opportunity_id = str(d["opportunity_id"] or NONE)
        self.contact_id = str(d["contact_id"] or NONE)
        self.errors = {}
        self.form_key += 1
        self._preview(ctx)
        self.dirty = False

    @handler(Perm.FISCAL_VIEW)
    def load(self, ctx: Ctx) -> None:
        """on_load. A quote that is missing or out of scope shows "no encontrado". Reading a
        quote is a fiscal read (the asesor too); a new one needs the records permission."""
        self.found = self.loaded = False
        self.send_open, self.product_q, self.product_options = False, "", []
        quote_id = self._route_id("presupuestos")
        if quote_id is None:
            require(ctx.user, Perm.RECORDS_CHANGE)
            self._new(ctx)
        else:
            self.quote_id = quote_id
            self._reload(ctx)
        self.log_open = False
        self._load_activities(ctx)
        self.found = self.loaded = True

    # --- editing (every change to the money asks the service) --------------------------------

    @handler()
    def set_line(self, ctx: Ctx, index: int, name: str, value: str) -> None:
        i = _index(index, self.lines)
        if not self._editing() or name not in rows.LINE_FIELDS or i is None:
            return
        lines = [dict(ln) for ln in self.lines]
        lines[i][name] = str(value or "")[:MAX_TEXT]
        self.lines = lines
        self._changed(ctx)

    @handler()
    def remove_line(self, ctx: Ctx, index: int) -> None:
        i = _index(index, self.lines)
        if not self._editing() or i is None:
            return
        self.lines = [ln for n, ln in enumerate(self.lines) if n != i]
        self.errors = {k: v for k, v in self.errors.items() if not rows.is_term_error(k)}
        self._changed(ctx)

    @handler()
    def add_free_line(self, ctx: Ctx) -> None:
        """A line without product, its IVA the company's by default (Ajustes → Empresa)."""
        if self._editing():
            rate = rate_text(default_tax_rate(session=ctx.session))
            self.lines = [*self.lines, rows.new_line(tax_rate=rate)]
            self._changed(ctx)

    @handler()
    def search_products(self, ctx: Ctx, value: str) -> None:
        self.product_q = str(value or "")[:200]
        if not self.product_q.strip():
            self.product_options = []
            return
        page = product_service.list_products(session=ctx.session, actor=ctx.user,
                                             q=self.product_q, limit=MAX_PRODUCT_OPTIONS)
        self.product_options = [rows.product_option(p) for p in page.items]

    @handler()
    def add_product(self, ctx: Ctx, product_id: str) -> None:
        if not self._editing():
            return
        p = product_service.get_product(session=ctx.session, actor=ctx.user,
                                        product_id=as_id(product_id) or 0)
        self.lines = [*self.lines, rows.product_line(p)]
        self.product_q, self.product_options = "", []
        self._changed(ctx)

    @handler()
    def set_global_discount(self, ctx: Ctx, value: str) -> None:
        if self._editing():
            self.global_discount = str(value or "")[:MAX_TEXT]
            self._changed(ctx)

    @handler()
    def set_irpf(self, ctx: Ctx, value: str) -> None:
        if self._editing():
            self.irpf = str(value or "")[:MAX_TEXT]
            self._changed(ctx)

    @handler()
    def set_recargo(self, ctx: Ctx, value: bool) -> None:
        if self._editing():
            self.recargo = bool(value)
            self._changed(ctx)

    @rx.event
    def set_text(self, name: str, value: str) -> None:
        """A field the totals do not depend on (a text kept when it loses focus, a select):
        only the fields of ``TEXT_FIELDS``, bounded (the service checks every value again)."""
        limit = TEXT_FIELDS.get(name)
        text = str(value or "")[:limit or 0]
        if limit and self._editing() and text != getattr(self, name):
            setattr(self, name, text)
            self.dirty = True

    # --- saving -------------------------------------------------------------------------------

    def _data(self) -> dict[str, Any]:
        return {"account_id": self.account_id or None,
                "contact_id": _picked(self.contact_id),
                "opportunity_id": _picked(self.opportunity_id),
                **self._terms(),
                "valid_until": self.valid_until or None,
                "conditions": self.conditions, "notes": self.notes}

    @handler(Perm.RECORDS_CHANGE, errors="errors")
    def save(self, ctx: Ctx) -> Any:
        """Create the borrador or save the changes; the service's errors go under each field."""
        if not self._editing():
            return
        data = self._data()
        with self._busy("saving"):
            yield
            if self.quote_id:
                quote_service.update_quote(session=ctx.session, actor=ctx.user,
                                           quote_id=self.quote_id, data=data)
            else:
                quote = quote_service.create_quote(session=ctx.session, actor=ctx.user, **data)
        if not self.quote_id:
            self.dirty = False
            yield toast_and_go(t("sui.quotes.created"), f"/presupuestos/{quote.id}")
            return
        self._reload(ctx)
        yield rx.toast.success(t("sui.quotes.saved"))


__all__ = ["QuoteEditorState"]
