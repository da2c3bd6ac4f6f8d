"""Quotes (presupuestos): the purchase simulation.

- The maths is one pure function, ``compute_totals`` (see ``quote_maths``), re-exported here.
- Numbering per year ``P-2026-0001``: the next number is computed inside the transaction and
  the unique ``(number, version)`` constraint arbitrates concurrent creations (retry).
- Versions: ``revise_quote`` makes v2, v3… of the same number with the lines copied.
- Statuses: borrador → enviado → aceptado / rechazado; caducado by ``expire_quotes`` when the
  validity date has passed. Accepting marks the opportunity won (amount = the quote's base)
  and rejects the other open quotes of that opportunity and the other versions.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import false, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from crm_app.models import (
    Account,
    Activity,
    ActivityKind,
    Contact,
    Opportunity,
    Organisation,
    Product,
    Quote,
    QuoteLine,
    QuoteStatus,
    Stage,
    StageKind,
    User,
    utcnow,
)
from crm_app.permissions import Action, Perm, can_access, restrict
from crm_app.reports.quote_pdf import render_quote_pdf
from crm_app.services import alerts, audit, mailer, outbox
from crm_app.services import organisation as org_service
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.defaults import default_tax_rate, ensure_organisation
from crm_app.services.errors import Conflict, DomainError, NotFound, ValidationFailed
from crm_app.services.links import blank, visible
from crm_app.services.normalize import email_is_valid, normalize_email
from crm_app.services.opportunities import move_stage, touch_activity, won_stage
from crm_app.services.overview import OPEN_QUOTE_STATUSES
from crm_app.services.products import parse_tax_rate
from crm_app.services.quote_maths import EXENTO, TaxLine, Totals, compute_totals, line_base
from crm_app.services.records import bin_clause, from_bin, record_changes, to_bin
from crm_app.services.sales_common import (
    Page,
    as_date,
    check,
    get_owned,
    order_by,
    paginate,
    rate_text,
    require_user,
    to_decimal,
    today_local,
    unknown_fields,
    user_names,
    where_equal,
)
from crm_app.services.sales_reads import STATUS_LABELS, quote_row
from crm_app.services.search import contains, matches

__all__ = [
    "STATUS_LABELS",
    "Preview",
    "TaxLine",
    "Totals",
    "accept_quote",
    "compute_totals",
    "create_quote",
    "delete_quote",
    "expire_quotes",
    "get_quote",
    "line_base",
    "list_quote_rows",
    "list_quotes",
    "new_quote_draft",
    "preview_quote",
    "quote_lines",
    "quote_pdf",
    "quote_row",
    "quote_totals",
    "quote_view",
    "reject_quote",
    "restore_quote",
    "revise_quote",
    "send_draft",
    "send_quote",
    "update_quote",
]

OPEN_STATUSES = (QuoteStatus.BORRADOR, QuoteStatus.ENVIADO)
OPEN_FILTER = "abiertos"  # list_quotes(status=...): overview's OPEN_QUOTE_STATUSES
QUOTE_FIELDS = ("account_id", "contact_id", "opportunity_id", "lines", "global_discount_pct",
                "recargo_equivalencia", "irpf_pct", "issue_date", "valid_until", "conditions",
                "notes")
LINE_FIELDS = ("product_id", "description", "quantity", "unit_price", "discount_pct",
               "tax_rate", "tax_exempt", "unit")
QUOTE_SORTS = {"number": Quote.number, "issue_date": Quote.issue_date,
               "valid_until": Quote.valid_until, "total": Quote.total,
               "created_at": Quote.created_at, "status": Quote.status}
MAX_LINES = 200
NUMBER_RETRIES = 12
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def format_number(year: int, seq: int, series: str = "P") -> str:
    """``P-2026-0001``: the series (Ajustes → Empresa, ``P`` by default), the year and the
    year's sequence. The sequence counts every quote of the year whatever its series, so a
    change of series never reuses a number."""
    return f"{series or 'P'}-{year}-{seq:04d}"


# --- validation -------------------------------------------------------------------------------


def _clean_lines(session: Session, actor: Actor, lines: Any,
                 errors: dict[str, str]) -> list[dict[str, Any]]:
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
        errors["lines"] = "Formato de líneas no válido."
        return []
    if not lines:
        errors["lines"] = "Añade al menos una línea."
        return []
    if len(lines) > MAX_LINES:
        errors["lines"] = f"Como mucho {MAX_LINES} líneas por presupuesto."
        return []
    out = []
    company_rate: Decimal | None = None  # the company's IVA by default, read once if needed
    for i, raw in enumerate(lines):
        p = f"lines.{i}."
        ln = dict(raw) if isinstance(raw, Mapping) else {}
        if not isinstance(raw, Mapping):
            errors[f"lines.{i}"] = "Línea no válida."
            continue
        for key in sorted(set(ln) - set(LINE_FIELDS) - {"id", "position", "line_base"}):
            errors[p + key] = "Campo desconocido."
        product = visible(session, actor, Product, ln.get("product_id"),
                          field=p + "product_id", errors=errors)
        description = str(ln.get("description") or "").strip()
        if not description and product is not None:
            description = product.name
        bad_product = p + "product_id" in errors  # one error per line, not three
        if not description and not bad_product:
            errors[p + "description"] = "Describe la línea o elige un producto."
        quantity = to_decimal(ln.get("quantity", 1), field_name=p + "quantity", errors=errors,
                              default=Decimal("1.000"), maximum=Decimal("99999999999"), places=3,
                              label="La cantidad")
        if p + "quantity" not in errors and quantity <= 0:
            errors[p + "quantity"] = "La cantidad debe ser mayor que 0."
        price_in = ln.get("unit_price")
        if price_in in (None, "") and product is not None:
            price_in = product.unit_price
        unit_price = to_decimal(price_in, field_name=p + "unit_price", errors=errors,
                                default=Decimal(0), minimum=Decimal(0),
                                maximum=Decimal("9999999999"), places=4, label="El precio")
        if price_in in (None, "") and not bad_product:
            errors[p + "unit_price"] = "Indica el precio."
        discount = to_decimal(ln.get("discount_pct"), field_name=p + "discount_pct",
                              errors=errors, default=Decimal("0.00"), minimum=Decimal(0),
                              maximum=HUNDRED, places=2, label="El descuento")
        if "tax_rate" in ln or "tax_exempt" in ln or product is None:
            if company_rate is None:
                company_rate = default_tax_rate(session=session)
            rate_in = ln.get("tax_rate", company_rate)
            exempt_in = ln.get("tax_exempt", False)
        else:
            rate_in, exempt_in = product.tax_rate, product.tax_exempt
        rate, exempt = parse_tax_rate(rate_in, exempt_in, p + "tax_rate", errors,
                                      company_rate if company_rate is not None
                                      else Decimal(21))
        unit = str(ln.get("unit") or (product.unit if product else "") or "ud").strip()[:20]
        out.append({"product_id": product.id if product else None, "description": description,
                    "quantity": quantity, "unit_price": unit_price, "discount_pct": discount,
                    "tax_rate": rate, "tax_exempt": exempt, "unit": unit})
    return out


def _pct(value: Any, name: str, label: str, errors: dict[str, str], default: Decimal) -> Decimal:
    fallback = Decimal(str(default)).quantize(CENT)
    return to_decimal(value, field_name=name, errors=errors, default=fallback,
                      minimum=Decimal(0), maximum=HUNDRED, places=2, label=label)


def _new_terms(org: Organisation, global_discount_pct: Any, irpf_pct: Any,
               errors: dict[str, str]) -> tuple[Decimal, Decimal]:
    """A new quote's global discount and IRPF (blank IRPF: the organisation's)."""
    g = _pct(global_discount_pct, "global_discount_pct", "El descuento global", errors,
             Decimal(0))
    irpf = _pct(irpf_pct, "irpf_pct", "El IRPF", errors, org.default_irpf_pct or Decimal(0))
    return g, irpf


@dataclass(frozen=True)
class Preview:
    """What a quote with these lines and terms would total, and what its save would refuse."""

    totals: Totals
    errors: dict[str, str]


@needs_actor
def preview_quote(*, session: Session, actor: Actor, lines: Any,
                  global_discount_pct: Any = None, recargo_equivalencia: bool = False,
                  irpf_pct: Any = None) -> Preview:
    """The editor's live totals, without saving: the lines and percentages go through the
    validation ``create_quote``/``update_quote`` use (``_clean_lines``, ``_pct``) and the totals
    through ``compute_totals``, so a value the save refuses (quantity 0, a 101 % discount, a
    product out of the catalog) is refused here with the same message under the same field,
    and what the editor shows is what the save stores. A value in error counts as the save
    would have read it (a quantity of 0 adds nothing). Writes nothing."""
    require_user(actor, Perm.RECORDS_VIEW)
    errors: dict[str, str] = {}
    clean = _clean_lines(session, actor, lines, errors)
    g, irpf = _new_terms(ensure_organisation(session=session), global_discount_pct, irpf_pct,
                         errors)
    totals = compute_totals(clean, global_discount_pct=g,
                            recargo_equivalencia=bool(recargo_equivalencia), irpf_pct=irpf)
    return Preview(totals, errors)


@needs_actor
def new_quote_draft(*, session: Session, actor: Actor, opportunity_id: Any = None,
                    account_id: Any = None) -> dict[str, Any]:
    """What a new quote starts with in the editor: the organisation's IRPF, validity and
    conditions; from an opportunity (``?oportunidad=``) its customer and contact, or a
    customer (``?cliente=``). Each read through the actor's scope: someone else's customer or
    deal is not found, like any other read. Writes nothing."""
    require_user(actor, Perm.RECORDS_VIEW)
    org = ensure_organisation(session=session)
    errors: dict[str, str] = {}
    opp = visible(session, actor, Opportunity, opportunity_id, field="opportunity_id",
                  errors=errors)
    if opp is not None:
        account_id = opp.account_id
    account = visible(session, actor, Account, account_id, field="account_id", errors=errors)
    if errors:
        raise NotFound(next(iter(errors.values())))
    contact = visible(session, actor, Contact, opp.contact_id, field="contact_id",
                      errors={}) if opp is not None and opp.contact_id else None
    return {"irpf_pct": org.default_irpf_pct or Decimal(0),
            "valid_until": today_local() + timedelta(days=org.quote_validity_days or 30),
            "conditions": org.quote_conditions or "",
            "account_id": account.id if account else None,
            "account_name": account.name if account else "",
            "recargo_equivalencia": bool(account and account.recargo_equivalencia),
            "opportunity_id": opp.id if opp else None,
            "contact_id": contact.id if contact else None}


def _links(session: Session, actor: Actor, data: Mapping[str, Any],
           current: Quote | None, errors: dict[str, str]
           ) -> tuple[Account | None, Contact | None, Opportunity | None]:
    """The quote's customer, contact and opportunity, all visible to the actor and coherent."""
    def given(key: str) -> tuple[Any, int | None]:
        """The id to resolve and the one already stored (kept as is when unchanged)."""
        stored = getattr(current, key) if current is not None else None
        return (data.get(key) if key in data else stored), stored

    opp_id, stored = given("opportunity_id")
    opp = visible(session, actor, Opportunity, opp_id, field="opportunity_id", errors=errors,
                  keep=stored)
    account_id, stored = given("account_id")
    from_opp = blank(account_id) and opp is not None
    if from_opp:
        account_id = opp.account_id
    account = visible(session, actor, Account, account_id, field="account_id", errors=errors,
                      keep=None if from_opp else stored)
    if account is None and "account_id" not in errors:
        errors["account_id"] = "Elige el cliente."
    if opp is not None and account is not None and opp.account_id not in (None, account.id):
        errors["opportunity_id"] = "La oportunidad es de otro cliente."
    contact_id, stored = given("contact_id")
    contact = visible(session, actor, Contact, contact_id, field="contact_id", errors=errors,
                      keep=stored)
    if contact is not None and account is not None and contact.account_id not in (
            None, account.id):
        errors["contact_id"] = "El contacto no es de este cliente."
    if blank(contact_id) and opp is not None and opp.contact_id and current is None:
        # The deal's contact, inherited only if the actor may see it (no error: not typed).
        contact = visible(session, actor, Contact, opp.contact_id, field="contact_id",
                          errors={})
    return account, contact, opp


def _apply_totals(quote: Quote, lines: list[dict[str, Any]]) -> Totals:
    totals = compute_totals(lines, global_discount_pct=quote.global_discount_pct,
                            recargo_equivalencia=quote.recargo_equivalencia,
                            irpf_pct=quote.irpf_pct)
    quote.base_total = totals.base
    quote.tax_total = totals.tax
    quote.recargo_total = totals.recargo_total
    quote.irpf_total = totals.irpf
    quote.total = totals.total
    for ln, base in zip(lines, totals.line_bases, strict=True):
        ln["line_base"] = base
    return totals


def _add_lines(session: Session, quote: Quote, lines: list[dict[str, Any]]) -> None:
    for i, ln in enumerate(lines):
        session.add(QuoteLine(quote_id=quote.id, position=i, **{
            k: ln[k] for k in (*LINE_FIELDS, "line_base")}))


def _next_seq(session: Session, year: int) -> int:
    return int(session.exec(select(func.max(Quote.seq)).where(Quote.year == year)).one() or 0) + 1


def _next_version(session: Session, number: str) -> int:
    return int(session.exec(select(func.max(Quote.version))
                            .where(Quote.number == number)).one() or 0) + 1


def _snapshot(quote: Quote) -> dict[str, Any]:
    return audit.snapshot(quote) or {}


def _insert_numbered(*, session: Session, build: Callable[[], Quote], lines: list[dict[str, Any]],
                     refused: str) -> tuple[Quote, list[dict[str, Any]]]:
    """Insert the quote ``build()`` makes, with its totals and ``lines``; returns it and the
    lines as saved. No commit.

    ``build`` reads the next number (or version) each time it is called: two users may take
    the same one between that read and the insert, and the unique ``(number, version)``
    constraint refuses the second, which rolls back and tries again with the next, up to
    ``NUMBER_RETRIES`` times (then ``Conflict(refused)``). Each retry first waits a random,
    growing moment: without it the same writer can lose every race to the others on a busy
    machine (seen on CI: three threads, one gave up after eight immediate retries).
    """
    for attempt in range(NUMBER_RETRIES):
        quote = build()
        rows = [dict(ln) for ln in lines]
        _apply_totals(quote, rows)
        try:
            session.add(quote)
            session.flush()
        except IntegrityError:
            session.rollback()
            if attempt == NUMBER_RETRIES - 1:
                raise Conflict(refused) from None
            time.sleep(random.uniform(0, min(0.25, 0.005 * 2 ** attempt)))  # noqa: S311
            continue
        _add_lines(session, quote, rows)
        return quote, rows
    raise Conflict(refused)  # pragma: no cover


# --- commands ---------------------------------------------------------------------------------


@needs_actor
def create_quote(*, session: Session, actor: Actor, account_id: int | None,
                 lines: Sequence[Mapping[str, Any]], opportunity_id: int | None = None,
                 contact_id: int | None = None, global_discount_pct: Any = None,
                 recargo_equivalencia: bool | None = None, irpf_pct: Any = None,
                 issue_date: date | str | None = None, valid_until: date | str | None = None,
                 conditions: str | None = None, notes: str = "") -> Quote:
    """A new quote (borrador, v1) numbered ``P-<year>-<seq>``.

    Lines: ``product_id`` (optional; fills description, price, IVA and unit from the catalog),
    ``description``, ``quantity``, ``unit_price``, ``discount_pct``, ``tax_rate`` (21, 10, 4,
    0 or "exento"). Defaults: recargo from the customer's flag, IRPF and validity and
    conditions from the organisation, issue date today (Madrid).
    """
    require_user(actor, Perm.RECORDS_CHANGE)
    org = ensure_organisation(session=session)
    errors: dict[str, str] = {}
    account, contact, opp = _links(session, actor, {
        "account_id": account_id, "opportunity_id": opportunity_id, "contact_id": contact_id},
        None, errors)
    clean = _clean_lines(session, actor, lines, errors)
    g, irpf = _new_terms(org, global_discount_pct, irpf_pct, errors)
    issued = as_date(issue_date, field_name="issue_date", errors=errors) or today_local()
    valid = as_date(valid_until, field_name="valid_until", errors=errors) or (
        issued + timedelta(days=org.quote_validity_days or 30))
    if valid < issued:
        errors["valid_until"] = "La validez no puede ser anterior a la fecha del presupuesto."
    check(errors)
    recargo = account.recargo_equivalencia if recargo_equivalencia is None \
        else bool(recargo_equivalencia)
    owner_src = opp or account
    header = dict(account_id=account.id, contact_id=contact.id if contact else None,
                  opportunity_id=opp.id if opp else None, status=QuoteStatus.BORRADOR,
                  issue_date=issued, valid_until=valid, global_discount_pct=g,
                  recargo_equivalencia=recargo, irpf_pct=irpf,
                  conditions=org.quote_conditions if conditions is None else str(conditions),
                  notes=str(notes or ""),
                  owner_id=owner_src.owner_id if owner_src.owner_id else actor.id,
                  team_id=owner_src.team_id if owner_src.owner_id else actor.team_id)

    def build() -> Quote:
        seq = _next_seq(session, issued.year)
        return Quote(number=format_number(issued.year, seq, org.quote_series), year=issued.year,
                     seq=seq,
                     version=1, created_at=utcnow(), **header)

    quote, rows = _insert_numbered(session=session, build=build, lines=[dict(ln) for ln in clean],
                                   refused="No se pudo numerar el presupuesto; inténtalo de nuevo.")
    audit.record(session=session, actor=actor, entity="quote", entity_id=quote.id,
                 action="create", after={**_snapshot(quote), "lines": len(rows)},
                 note=f"{quote.number} v1")
    outbox.emit_created(session=session, entity="quote", record_id=quote.id, actor_id=actor.id)
    session.commit()
    return quote


@needs_actor
def update_quote(*, session: Session, actor: Actor, quote_id: int,
                 data: Mapping[str, Any]) -> Quote:
    """Change a borrador (sent quotes are revised instead: ``revise_quote``)."""
    quote = get_owned(session, actor, Quote, quote_id, Action.CHANGE, label="Presupuesto")
    if quote.status != QuoteStatus.BORRADOR:
        raise Conflict("Solo se puede modificar un borrador: crea una nueva versión.")
    errors = unknown_fields(data=data, allowed=QUOTE_FIELDS)
    account, contact, opp = _links(session, actor, data, quote, errors)
    rows = _clean_lines(session, actor, data["lines"], errors) if "lines" in data else None
    before = _snapshot(quote)
    values: dict[str, Any] = {}
    if "global_discount_pct" in data:
        values["global_discount_pct"] = _pct(data["global_discount_pct"], "global_discount_pct",
                                             "El descuento global", errors, Decimal(0))
    if "irpf_pct" in data:
        values["irpf_pct"] = _pct(data["irpf_pct"], "irpf_pct", "El IRPF", errors, Decimal(0))
    if "recargo_equivalencia" in data:
        values["recargo_equivalencia"] = bool(data["recargo_equivalencia"])
    for key in ("issue_date", "valid_until"):
        if key in data:
            values[key] = as_date(data[key], field_name=key, errors=errors) or getattr(quote, key)
    if values.get("valid_until", quote.valid_until) < values.get("issue_date", quote.issue_date):
        errors["valid_until"] = "La validez no puede ser anterior a la fecha del presupuesto."
    if "issue_date" in data and values.get("issue_date", quote.issue_date).year != quote.year:
        errors["issue_date"] = "La fecha debe ser del año del número del presupuesto."
    for key in ("conditions", "notes"):
        if key in data:
            values[key] = str(data[key] or "")
    check(errors)
    values.update(account_id=account.id, contact_id=contact.id if contact else None,
                  opportunity_id=opp.id if opp else None)
    for key, value in values.items():
        setattr(quote, key, value)
    if rows is None:
        existing = _lines(session, quote.id)
        rows = [_line_dict(ln) for ln in existing]
        _apply_totals(quote, rows)
        for ln, row in zip(existing, rows, strict=True):
            ln.line_base = row["line_base"]
            session.add(ln)
    else:
        for old_line in session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote.id)):
            session.delete(old_line)
        session.flush()
        _apply_totals(quote, rows)
        _add_lines(session, quote, rows)
    # New lines always count as a change (``before`` has no count): the event says how many.
    after = {**_snapshot(quote), **({"lines": len(rows)} if "lines" in data else {})}
    record_changes(session=session, actor=actor, record=quote, entity="quote", before=before,
                   after=after)
    session.commit()
    return quote


@needs_actor
def revise_quote(*, session: Session, actor: Actor, quote_id: int) -> Quote:
    """A new version (v2, v3…) of the same number: a borrador with the lines copied, dated
    today with a fresh validity. An accepted quote cannot be revised."""
    source = get_owned(session, actor, Quote, quote_id, Action.CHANGE, label="Presupuesto")
    if source.status == QuoteStatus.ACEPTADO:
        raise Conflict("Un presupuesto aceptado no se puede revisar.")
    org = ensure_organisation(session=session)
    lines = [_line_dict(ln) for ln in _lines(session, source.id)]
    source_id, number = source.id, source.number
    today = today_local()
    keep = {k: getattr(source, k) for k in (
        "number", "year", "seq", "account_id", "contact_id", "opportunity_id",
        "global_discount_pct", "recargo_equivalencia", "irpf_pct", "conditions", "notes",
        "owner_id", "team_id")}

    def build() -> Quote:
        return Quote(**keep, version=_next_version(session, number), status=QuoteStatus.BORRADOR,
                     issue_date=today, created_at=utcnow(),
                     valid_until=today + timedelta(days=org.quote_validity_days or 30))

    quote, _ = _insert_numbered(session=session, build=build, lines=lines,
                                refused="No se pudo crear la versión; inténtalo de nuevo.")
    audit.record(session=session, actor=actor, entity="quote", entity_id=quote.id,
                 action="revise", before={"quote_id": source_id},
                 after={"number": number, "version": quote.version},
                 note=f"{number} v{quote.version}")
    session.commit()
    return quote


def _decide(session: Session, actor: Actor, quote: Quote, status: str, action: str,
            note: str = "") -> None:
    before = {"status": quote.status}
    quote.status = status
    quote.decided_at = utcnow()
    quote.updated_at = quote.decided_at
    session.add(quote)
    audit.record(session=session, actor=actor, entity="quote", entity_id=quote.id,
                 action=action, before=before, after={"status": status}, note=note)
    outbox.emit(session=session, event=f"quote.{'accepted' if action == 'accept' else 'rejected'}",
                entity="quote", record_id=quote.id, actor_id=actor.id, data={"status": status})


@needs_actor
def accept_quote(*, session: Session, actor: Actor, quote_id: int) -> Quote:
    """The customer accepted: status aceptado; its opportunity moves to the pipeline's won
    stage with amount = the quote's taxable base; the other open quotes of that opportunity
    (and the other versions of this number) are rejected. One transaction."""
    quote = get_owned(session, actor, Quote, quote_id, Action.CHANGE, label="Presupuesto")
    if quote.status not in OPEN_STATUSES:
        raise Conflict(f"Un presupuesto {STATUS_LABELS[quote.status].lower()} no se puede "
                       "aceptar.")
    if quote.opportunity_id:
        opp = session.get(Opportunity, quote.opportunity_id)
        if opp is not None and opp.deleted_at is None:
            stage = session.get(Stage, opp.stage_id)
            if stage is not None and stage.kind == StageKind.WON:
                move_stage(session=session, actor=actor, opportunity_id=opp.id,
                           stage_id=opp.stage_id, fields={"amount": quote.base_total},
                           commit=False)
            else:
                target = won_stage(session, opp.pipeline_id)
                move_stage(session=session, actor=actor, opportunity_id=opp.id,
                           stage_id=target.id, fields={"amount": quote.base_total},
                           commit=False)
    siblings = select(Quote).where(
        Quote.id != quote.id, Quote.status.in_(OPEN_STATUSES), Quote.deleted_at.is_(None),
        or_(Quote.number == quote.number,
            Quote.opportunity_id == quote.opportunity_id if quote.opportunity_id else false()))
    label = f"{quote.number} v{quote.version}"
    for other in session.exec(siblings).all():
        _decide(session, actor, other, QuoteStatus.RECHAZADO, "reject",
                note=f"Se aceptó {label}")
    _decide(session, actor, quote, QuoteStatus.ACEPTADO, "accept", note=label)
    alerts.quote_decided(session=session, actor=actor, quote=quote)
    session.commit()
    return quote


@needs_actor
def reject_quote(*, session: Session, actor: Actor, quote_id: int,
                 reason: str = "") -> Quote:
    quote = get_owned(session, actor, Quote, quote_id, Action.CHANGE, label="Presupuesto")
    if quote.status not in OPEN_STATUSES:
        raise Conflict(f"Un presupuesto {STATUS_LABELS[quote.status].lower()} no se puede "
                       "rechazar.")
    _decide(session, actor, quote, QuoteStatus.RECHAZADO, "reject", note=str(reason or "")[:300])
    alerts.quote_decided(session=session, actor=actor, quote=quote)
    session.commit()
    return quote


@needs_actor
def expire_quotes(*, session: Session, actor: Actor, today: date | None = None) -> int:
    """Mark caducado every borrador/enviado quote whose validity ended before today (Madrid).
    Run daily by the worker as ``actors.SYSTEM``; returns how many changed."""
    today = today or today_local()
    rows = session.exec(select(Quote).where(Quote.status.in_(OPEN_STATUSES),
                                            Quote.valid_until < today,
                                            Quote.deleted_at.is_(None))).all()
    for quote in rows:
        _decide(session, actor, quote, QuoteStatus.CADUCADO, "expire",
                note=f"Válido hasta {quote.valid_until.strftime('%d/%m/%Y')}")
        quote.decided_at = None  # expiry is not a customer decision
    session.commit()
    return len(rows)


@needs_actor
def delete_quote(*, session: Session, actor: Actor, quote_id: int) -> Quote:
    quote = get_owned(session, actor, Quote, quote_id, Action.DELETE, label="Presupuesto")
    if quote.status == QuoteStatus.ACEPTADO:
        raise Conflict("Un presupuesto aceptado no se puede eliminar.")
    to_bin(session=session, actor=actor, record=quote, entity="quote",
           note=f"{quote.number} v{quote.version}")
    return quote


@needs_actor
def restore_quote(*, session: Session, actor: Actor, quote_id: int) -> Quote:
    quote = get_owned(session, actor, Quote, quote_id, Action.DELETE, label="Presupuesto",
                      include_deleted=True)
    from_bin(session=session, actor=actor, record=quote, entity="quote",
             note=f"{quote.number} v{quote.version}")
    return quote


# --- reads ------------------------------------------------------------------------------------


@needs_actor
def get_quote(*, session: Session, actor: Actor, quote_id: int) -> Quote:
    return get_owned(session, actor, Quote, quote_id, label="Presupuesto")


@needs_actor
def quote_lines(*, session: Session, actor: Actor, quote_id: int) -> list[QuoteLine]:
    quote = get_quote(session=session, actor=actor, quote_id=quote_id)
    return _lines(session, quote.id)


def _lines(session: Session, quote_id: int) -> list[QuoteLine]:
    """The lines of a quote the caller has already checked."""
    return list(session.exec(select(QuoteLine).where(QuoteLine.quote_id == quote_id)
                             .order_by(QuoteLine.position, QuoteLine.id)).all())


def _line_dict(ln: QuoteLine) -> dict[str, Any]:
    return {k: getattr(ln, k) for k in (*LINE_FIELDS, "line_base")}


@needs_actor
def quote_totals(*, session: Session, actor: Actor, quote_id: int) -> Totals:
    quote = get_quote(session=session, actor=actor, quote_id=quote_id)
    lines = _lines(session, quote.id)
    return compute_totals(lines, global_discount_pct=quote.global_discount_pct,
                          recargo_equivalencia=quote.recargo_equivalencia,
                          irpf_pct=quote.irpf_pct)


@needs_actor
def quote_view(*, session: Session, actor: Actor, quote_id: int) -> dict[str, Any]:
    """The full quote as plain data (API, detail page): header, lines, totals breakdown."""
    quote = get_quote(session=session, actor=actor, quote_id=quote_id)
    lines = _lines(session, quote.id)
    totals = compute_totals(lines, global_discount_pct=quote.global_discount_pct,
                            recargo_equivalencia=quote.recargo_equivalencia,
                            irpf_pct=quote.irpf_pct)
    account = session.get(Account, quote.account_id)
    versions = session.exec(select(Quote.id, Quote.version, Quote.status)
                            .where(Quote.number == quote.number, Quote.deleted_at.is_(None))
                            .order_by(Quote.version)).all()
    names = user_names(session, {quote.owner_id})
    # The deal's name through the actor's scope (a link to a deal they cannot open says nothing).
    opp = visible(session, actor, Opportunity, quote.opportunity_id, field="opportunity_id",
                  errors={})
    return {
        **quote_row(quote, names, account.name if account else ""),
        "contact_id": quote.contact_id, "team_id": quote.team_id,
        "global_discount_pct": quote.global_discount_pct,
        "recargo_equivalencia": quote.recargo_equivalencia, "irpf_pct": quote.irpf_pct,
        "conditions": quote.conditions, "notes": quote.notes, "created_at": quote.created_at,
        "updated_at": quote.updated_at,
        "editable": quote.status == QuoteStatus.BORRADOR
                    and can_access(actor, quote, Action.CHANGE),
        "opportunity_name": opp.name if opp is not None else "",
        "versions": [{"id": i, "version": v, "status": s} for i, v, s in versions],
        "lines": [{"id": ln.id, "position": ln.position, "product_id": ln.product_id,
                   "description": ln.description, "quantity": ln.quantity, "unit": ln.unit,
                   "unit_price": ln.unit_price, "discount_pct": ln.discount_pct,
                   "tax_rate": EXENTO if ln.tax_exempt else rate_text(ln.tax_rate),
                   "tax_exempt": ln.tax_exempt, "line_base": ln.line_base} for ln in lines],
        "totals": totals.as_dict(),
    }


@needs_actor
def list_quotes(*, session: Session, actor: Actor, q: str = "", status: str = "",
                account_id: int | None = None, opportunity_id: int | None = None,
                year: int | None = None, owner_id: int | None = None,
                team_id: int | None = None, deleted: bool = False, sort: str = "-number",
                offset: int = 0, limit: int = 25) -> Page[Quote]:
    """One page of quotes; search on the number and the customer's name. ``status`` is one
    status or ``"abiertos"`` (borrador or enviado: still waiting for the customer)."""
    stmt = select(Quote).where(bin_clause(Quote, deleted=deleted))
    if (q or "").strip():
        number = " ".join(q.split()).lower()  # numbers are ASCII: lower() is their fold
        stmt = stmt.where(or_(contains(func.lower(Quote.number), number),
                              Quote.account_id.in_(select(Account.id).where(
                                  matches(Account, q, first_section=True)))))
    if status == OPEN_FILTER:  # what Inicio's "Presupuestos pendientes" counts
        stmt = stmt.where(Quote.status.in_(OPEN_QUOTE_STATUSES))
    elif status:
        stmt = stmt.where(Quote.status == status)
    stmt = where_equal(stmt, Quote, account_id=account_id, opportunity_id=opportunity_id,
                       year=year, owner_id=owner_id, team_id=team_id)
    stmt = restrict(stmt, actor)
    if sort.lstrip("-") == "number":
        desc = sort.startswith("-")
        cols = (Quote.year, Quote.seq, Quote.version)
        stmt = stmt.order_by(*[c.desc() if desc else c.asc() for c in cols])
    else:
        stmt = order_by(stmt, Quote, sort, QUOTE_SORTS, "-created_at")
    rows, total = paginate(session, stmt, offset, limit)
    return Page(rows, total, max(0, offset), limit)


@needs_actor
def list_quote_rows(*, session: Session, actor: Actor, **filters: Any
                    ) -> Page[dict[str, Any]]:
    """``list_quotes`` (same filters, same scope) as ``quote_row`` dicts naming the customer
    and the owner: the quotes list screen."""
    page = list_quotes(session=session, actor=actor, **filters)
    ids = {q.account_id for q in page.items}
    accounts = dict(session.exec(select(Account.id, Account.name)
                                 .where(Account.id.in_(ids))).all()) if ids else {}
    names = user_names(session, {q.owner_id for q in page.items})
    return Page([quote_row(q, names, accounts.get(q.account_id, "")) for q in page.items],
                page.total, page.offset, page.limit)


# --- PDF and email ----------------------------------------------------------------------------


def pdf_filename(quote: Quote) -> str:
    return f"Presupuesto-{quote.number}-v{quote.version}.pdf"


@needs_actor
def quote_pdf(*, session: Session, actor: Actor, quote_id: int) -> tuple[str, bytes]:
    """``(filename, pdf bytes)`` of the quote as the customer receives it."""
    return _render_pdf(session, get_quote(session=session, actor=actor, quote_id=quote_id))


def _render_pdf(session: Session, quote: Quote) -> tuple[str, bytes]:
    """``quote_pdf`` of a quote the caller has already checked."""
    lines = _lines(session, quote.id)
    totals = compute_totals(lines, global_discount_pct=quote.global_discount_pct,
                            recargo_equivalencia=quote.recargo_equivalencia,
                            irpf_pct=quote.irpf_pct)
    org = ensure_organisation(session=session)
    account = session.get(Account, quote.account_id)
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    owner = session.get(User, quote.owner_id) if quote.owner_id else None
    pdf = render_quote_pdf(quote=quote, lines=lines, totals=totals, org=org, account=account,
                           contact=contact, owner=owner)
    return pdf_filename(quote), pdf


def _default_recipients(session: Session, quote: Quote) -> list[str]:
    if quote.contact_id:
        contact = session.get(Contact, quote.contact_id)
        if contact is not None and contact.email:
            return [contact.email]
    account = session.get(Account, quote.account_id)
    return [account.email] if account is not None and account.email else []


@needs_actor
def send_draft(*, session: Session, actor: Actor, quote_id: int) -> dict[str, str]:
    """The send dialog's starting values: the recipients ``send_quote`` would use by default
    and its default message (the actor must be allowed to send it)."""
    quote = get_owned(session, actor, Quote, quote_id, Action.CHANGE, label="Presupuesto")
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    return {"to": ", ".join(_default_recipients(session, quote)),
            "message": default_message(ensure_organisation(session=session), quote, contact)}


def default_message(org: Organisation, quote: Quote, contact: Contact | None) -> str:
    greeting = f"Hola, {contact.first_name}:" if contact and contact.first_name else "Hola:"
    return (f"{greeting}\n\nTe adjuntamos el presupuesto {quote.number} (versión "
            f"{quote.version}), válido hasta el {quote.valid_until.strftime('%d/%m/%Y')}.\n\n"
            "Quedamos a tu disposición para cualquier duda.\n\nUn saludo,\n"
            f"{org.legal_name}".rstrip())


@needs_actor
def send_quote(*, session: Session, actor: Actor, quote_id: int,
               to: list[str] | str | None = None, message: str = "",
               settings: Any = None) -> Quote:
    """Email the quote's PDF (SMTP: ``settings``, else the company's server from Ajustes →
    Empresa, else the ``CRM_SMTP_*`` settings). Status enviado, ``sent_at``, an email
    activity on the customer's timeline and an audit event. Recipients default to the
    quote's contact, else the customer's email; ``to`` may be a list or what a user types
    in the send dialog (``"a@x.es, b@y.es"``: commas, semicolons or spaces between them)."""
    if isinstance(to, str):
        to = re.split(r"[,;\s]+", to)
    quote = get_owned(session, actor, Quote, quote_id, Action.CHANGE, label="Presupuesto")
    if quote.status not in OPEN_STATUSES:
        raise Conflict(f"Un presupuesto {STATUS_LABELS[quote.status].lower()} no se puede "
                       "enviar.")
    recipients = [normalize_email(x) for x in (to or []) if str(x).strip()] or \
        _default_recipients(session, quote)
    bad = [x for x in recipients if not email_is_valid(x)]
    if not recipients:
        raise ValidationFailed({"to": "Indica al menos un destinatario (el cliente no tiene "
                                      "correo)."})
    if bad:
        raise ValidationFailed({"to": "Correo no válido: " + ", ".join(bad)})
    org = ensure_organisation(session=session)
    contact = session.get(Contact, quote.contact_id) if quote.contact_id else None
    body = (message or "").strip() or default_message(org, quote, contact)
    filename, pdf = _render_pdf(session, quote)
    settings = settings or org_service.mail_settings(session=session)
    subject = f"Presupuesto {quote.number}" + (f" — {org.legal_name}" if org.legal_name else "")
    reply_to = actor.email  # None for the system
    try:
        mailer.send_email(to=recipients, subject=subject, body=body,
                          attachments=[(filename, pdf, "application/pdf")], reply_to=reply_to,
                          settings=settings)
    except mailer.MailError as exc:
        raise DomainError(str(exc)) from exc
    now = utcnow()
    before = {"status": quote.status, "sent_at": audit.jsonable(quote.sent_at)}
    quote.status = QuoteStatus.ENVIADO
    quote.sent_at = now
    quote.updated_at = now
    session.add(quote)
    session.add(Activity(
        kind=ActivityKind.EMAIL, subject=f"Presupuesto {quote.number} v{quote.version} enviado",
        description=f"Para: {', '.join(recipients)}\n\n{body}", done_at=now,
        account_id=quote.account_id, contact_id=quote.contact_id,
        opportunity_id=quote.opportunity_id, created_by_id=actor.id,
        owner_id=quote.owner_id, team_id=quote.team_id, source="system", created_at=now))
    touch_activity(session=session, opportunity_id=quote.opportunity_id, at=now)
    audit.record(session=session, actor=actor, entity="quote", entity_id=quote.id,
                 action="send", before=before,
                 after={"status": quote.status, "sent_at": now.isoformat(), "to": recipients},
                 note=f"{quote.number} v{quote.version}")
    outbox.emit(session=session, event="quote.sent", entity="quote", record_id=quote.id,
                actor_id=actor.id, data={"status": quote.status})
    session.commit()
    return quote
