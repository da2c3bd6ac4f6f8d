"""What the quote editor asks the quotes service: the live preview of totals (the same line
validation and maths as the save), the list's rows, a new quote's starting values, the send
dialog's starting values and the opportunity named on a quote."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sales_support as build
from smtp_inbox import local_smtp
from sqlmodel import func, select

from crm_app.models import AuditEvent, Organisation, Quote
from crm_app.services import contacts, products, quotes
from crm_app.services.errors import NotFound, ValidationFailed
from crm_app.services.sales_common import today_local

BAD_LINES = [
    {"description": "", "quantity": "0", "unit_price": "-1", "tax_rate": "7"},
    {"description": "ok", "quantity": "abc", "unit_price": "1", "discount_pct": "101"},
]


def _count(session, model) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_preview_refuses_quantity_0_exactly_as_the_save(session, people):
    c1 = people.comercial1
    acc = build.account(session, c1)
    draft = build.quote(session, c1, acc.id)
    lines = [{"description": "Montaje", "quantity": "0", "unit_price": "50", "tax_rate": "21"}]
    preview = quotes.preview_quote(session=session, actor=c1, lines=lines, irpf_pct="0")
    assert preview.errors == {"lines.0.quantity": "La cantidad debe ser mayor que 0."}
    before = (_count(session, Quote), _count(session, AuditEvent))
    with pytest.raises(ValidationFailed) as created:
        quotes.create_quote(session=session, actor=c1, account_id=acc.id, lines=lines,
                            irpf_pct="0")
    with pytest.raises(ValidationFailed) as updated:
        quotes.update_quote(session=session, actor=c1, quote_id=draft.id,
                            data={"lines": lines, "irpf_pct": "0"})
    assert created.value.errors == updated.value.errors == preview.errors
    assert (_count(session, Quote), _count(session, AuditEvent)) == before
    # A negative one and one with too many decimals: the same messages on both sides too.
    for quantity in ("-2", "1,0005"):
        bad = [{**lines[0], "quantity": quantity}]
        shown = quotes.preview_quote(session=session, actor=c1, lines=bad).errors
        with pytest.raises(ValidationFailed) as saved:
            quotes.create_quote(session=session, actor=c1, account_id=acc.id, lines=bad)
        assert shown == saved.value.errors and "lines.0.quantity" in shown


def test_the_preview_reports_every_line_and_percentage_error_of_the_save(session, people):
    c1 = people.comercial1
    acc = build.account(session, c1)
    preview = quotes.preview_quote(session=session, actor=c1, lines=BAD_LINES,
                                   global_discount_pct="120", irpf_pct="-1")
    with pytest.raises(ValidationFailed) as exc:
        quotes.create_quote(session=session, actor=c1, account_id=acc.id, lines=BAD_LINES,
                            global_discount_pct="120", irpf_pct="-1")
    assert preview.errors == exc.value.errors
    assert preview.errors["lines.0.quantity"] == "La cantidad debe ser mayor que 0."
    assert preview.errors["irpf_pct"] == "El IRPF no puede ser menor que 0."
    assert quotes.preview_quote(session=session, actor=c1, lines=[]).errors == {
        "lines": "Añade al menos una línea."}


def test_the_preview_totals_are_the_totals_the_save_stores(session, people):
    c1 = people.comercial1
    shop = build.account(session, c1, recargo_equivalencia=True)
    kit = build.product(session, people.admin, name="Kit", unit_price="49.90", tax_rate="10",
                        unit="caja")
    course = build.product(session, people.admin, name="Curso", unit_price="200",
                           tax_rate="exento")
    lines = [{"product_id": str(kit.id), "description": "Kit", "quantity": "3",
              "unit_price": "49,90", "tax_rate": "10", "unit": "caja"},
             {"product_id": str(course.id), "description": "Curso", "quantity": "1",
              "unit_price": "200", "tax_rate": "exento"},
             {"product_id": None, "description": "Montaje", "quantity": "2,5",
              "unit_price": "40", "discount_pct": "12,5", "tax_rate": "21"}]
    terms = {"global_discount_pct": "5", "recargo_equivalencia": True, "irpf_pct": "15"}
    audits = _count(session, AuditEvent)
    preview = quotes.preview_quote(session=session, actor=c1, lines=lines, **terms)
    assert preview.errors == {} and _count(session, AuditEvent) == audits
    saved = quotes.create_quote(session=session, actor=c1, account_id=shop.id, lines=lines,
                                **terms)
    t = preview.totals
    assert (t.base, t.tax, t.recargo_total, t.irpf, t.total) == (
        saved.base_total, saved.tax_total, saved.recargo_total, saved.irpf_total, saved.total)
    stored = quotes.quote_lines(session=session, actor=c1, quote_id=saved.id)
    assert t.line_bases == tuple(ln.line_base for ln in stored)
    assert t.line_bases == (Decimal("149.70"), Decimal("200.00"), Decimal("87.50"))


def test_the_preview_refuses_a_product_out_of_the_catalog(session, people):
    gone = build.product(session, people.admin, name="Viejo")
    products.update_product(session=session, actor=people.admin, product_id=gone.id,
                            data={"active": False})
    preview = quotes.preview_quote(session=session, actor=people.comercial1, lines=[
        {"product_id": str(gone.id), "description": "Viejo", "quantity": "1",
         "unit_price": "1", "tax_rate": "21"}])
    assert list(preview.errors) == ["lines.0.product_id"]


def test_the_list_rows_name_the_customer_and_the_owner_within_the_scope(session, people):
    c1, c3 = people.comercial1, people.comercial3
    acc = build.account(session, c1, name="Talleres Ruiz S.L.")
    a = build.quote(session, c1, acc.id)
    b = build.quote(session, c1, acc.id, lines=[
        {"description": "Grande", "quantity": "10", "unit_price": "100", "tax_rate": "21"}])
    quotes.reject_quote(session=session, actor=c1, quote_id=b.id)
    build.quote(session, c3, build.account(session, c3).id)
    page = quotes.list_quote_rows(session=session, actor=c1, sort="-total")
    assert page.total == 2 and [r["id"] for r in page.items] == [b.id, a.id]
    assert page.items[0]["account_name"] == "Talleres Ruiz S.L."
    assert page.items[0]["owner"] == "Comercial1" and page.items[0]["status_label"] == "Rechazado"
    only = quotes.list_quote_rows(session=session, actor=c1, status="borrador")
    assert [r["id"] for r in only.items] == [a.id]
    # "abiertos" (Inicio's "Presupuestos pendientes" opens the list with it): borrador or enviado
    opened = quotes.list_quote_rows(session=session, actor=c1, status="abiertos")
    assert [r["id"] for r in opened.items] == [a.id]
    assert quotes.list_quote_rows(session=session, actor=c1, q="ruiz").total == 2
    assert quotes.list_quote_rows(session=session, actor=people.director).total == 3


def test_a_new_quote_starts_from_the_organisation_and_the_opportunity(session, people):
    c1 = people.comercial1
    org = session.exec(select(Organisation)).one()
    org.default_irpf_pct, org.quote_validity_days = Decimal("15"), 10
    org.quote_conditions = "Pago a 30 días."
    session.add(org)
    session.commit()
    shop = build.account(session, c1, name="Tienda", recargo_equivalencia=True)
    person = contacts.create_contact(session=session, actor=c1, data={
        "first_name": "Ana", "last_name": "Gil", "email": "ana@tienda.es",
        "account_id": shop.id})
    opp = build.opportunity(session, c1, shop.id, contact_id=person.id)
    draft = quotes.new_quote_draft(session=session, actor=c1, opportunity_id=opp.id)
    assert draft == {"irpf_pct": Decimal("15.00"),
                     "valid_until": today_local() + timedelta(days=10),
                     "conditions": "Pago a 30 días.", "account_id": shop.id,
                     "account_name": "Tienda", "recargo_equivalencia": True,
                     "opportunity_id": opp.id, "contact_id": person.id}
    by_account = quotes.new_quote_draft(session=session, actor=c1, account_id=str(shop.id))
    assert (by_account["account_id"], by_account["opportunity_id"],
            by_account["contact_id"]) == (shop.id, None, None)
    blank = quotes.new_quote_draft(session=session, actor=c1)
    assert (blank["account_id"], blank["recargo_equivalencia"]) == (None, False)
    # Someone else's customer or deal reads as not found, like any other read.
    with pytest.raises(NotFound, match="Oportunidad no encontrada"):
        quotes.new_quote_draft(session=session, actor=people.comercial3, opportunity_id=opp.id)
    with pytest.raises(NotFound, match="Cliente no encontrado"):
        quotes.new_quote_draft(session=session, actor=people.comercial3, account_id=shop.id)


def test_the_send_dialog_starts_with_the_services_recipients_and_message(session, people):
    c1 = people.comercial1
    acc = build.account(session, c1, email="compras@cliente.es")
    q = build.quote(session, c1, acc.id)
    start = quotes.send_draft(session=session, actor=c1, quote_id=q.id)
    assert start["to"] == "compras@cliente.es"
    assert start["message"].startswith("Hola:") and q.number in start["message"]
    with pytest.raises(NotFound):
        quotes.send_draft(session=session, actor=people.comercial3, quote_id=q.id)


def test_the_quote_view_names_its_opportunity(session, people):
    c1 = people.comercial1
    acc = build.account(session, c1)
    opp = build.opportunity(session, c1, acc.id, name="Renovación")
    q = build.quote(session, c1, acc.id, opportunity_id=opp.id)
    assert quotes.quote_view(session=session, actor=c1, quote_id=q.id)[
        "opportunity_name"] == "Renovación"
    plain = build.quote(session, c1, acc.id)
    assert quotes.quote_view(session=session, actor=c1, quote_id=plain.id)[
        "opportunity_name"] == ""


def test_send_takes_the_recipients_as_typed_in_the_dialog(session, people):
    c1 = people.comercial1
    q = build.quote(session, c1, build.account(session, c1).id)
    with local_smtp("Ventas <ventas@norte.test>") as (inbox, settings):
        quotes.send_quote(session=session, actor=c1, quote_id=q.id, settings=settings,
                          to=" ana@cliente.es;  Luis@Cliente.es,pagos@cliente.es ")
        with pytest.raises(ValidationFailed) as exc:
            quotes.send_quote(session=session, actor=c1, quote_id=q.id, settings=settings,
                              to="ana@cliente.es, no-es-correo")
    [(rcpts, _msg)] = inbox.messages
    assert rcpts == ["ana@cliente.es", "luis@cliente.es", "pagos@cliente.es"]
    assert exc.value.errors == {"to": "Correo no válido: no-es-correo"}
