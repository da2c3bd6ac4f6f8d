"""Quotes: numbering per year, versions, defaults, statuses, expiry, accept → won."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sales_support as build
from sqlmodel import Session, select

from crm_app.models import AuditEvent, Organisation, QuoteLine, StageChange
from crm_app.services import opportunities, quotes
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import Conflict, NotFound, ValidationFailed
from crm_app.services.sales_common import today_local


def test_numbering_per_year(session, people):
    acc = build.account(session, people.comercial1)
    year = today_local().year
    a = build.quote(session, people.comercial1, acc.id)
    b = build.quote(session, people.comercial3, build.account(session, people.comercial3).id)
    old = build.quote(session, people.comercial1, acc.id, issue_date=date(year - 1, 12, 30),
                      valid_until=date(year, 1, 30))
    assert (a.number, a.version, a.seq) == (f"P-{year}-0001", 1, 1)
    assert b.number == f"P-{year}-0002"  # one sequence for the company, not per user
    assert old.number == f"P-{year - 1}-0001"
    assert build.quote(session, people.comercial1, acc.id).number == f"P-{year}-0003"


def test_numbering_retries_when_another_transaction_took_the_number(session, people,
                                                                    monkeypatch):
    acc = build.account(session, people.comercial1)
    first = build.quote(session, people.comercial1, acc.id)
    real = quotes._next_seq
    calls = []

    def stale(session, year):  # the first read misses the row committed meanwhile
        calls.append(year)
        return 1 if len(calls) == 1 else real(session, year)

    monkeypatch.setattr(quotes, "_next_seq", stale)
    second = build.quote(session, people.comercial1, acc.id)
    assert len(calls) == 2
    assert (first.seq, second.seq) == (1, 2)


def test_concurrent_creation_gives_distinct_numbers(engine, session, people):
    acc = build.account(session, people.comercial1)
    user_id = people.comercial1.id
    numbers: list[str] = []
    failures: list[BaseException] = []
    barrier = threading.Barrier(3)

    def worker():
        try:
            with Session(engine, expire_on_commit=False) as s:
                from crm_app.models import User

                actor = s.get(User, user_id)
                barrier.wait()
                for _ in range(4):
                    numbers.append(build.quote(s, actor, acc.id).number)
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures
    year = today_local().year
    assert sorted(numbers) == [f"P-{year}-{i:04d}" for i in range(1, 13)]


def test_defaults_from_account_organisation_and_catalog(session, people):
    org = session.exec(select(Organisation)).one()
    org.default_irpf_pct = Decimal("15")
    org.quote_validity_days = 15
    org.quote_conditions = "Pago a 30 días."
    session.add(org)
    session.commit()
    shop = build.account(session, people.comercial1, recargo_equivalencia=True)
    prod = build.product(session, people.admin, name="Kit básico", unit_price="49.90",
                         tax_rate="10", unit="caja")
    exempt = build.product(session, people.admin, name="Curso", unit_price="200",
                           tax_rate="exento")
    q = build.quote(session, people.comercial1, shop.id, lines=[
        {"product_id": prod.id, "quantity": "3"},
        {"product_id": exempt.id},
        {"product_id": prod.id, "description": "Kit con descuento", "unit_price": "40",
         "tax_rate": "21"}])
    assert q.recargo_equivalencia is True and q.irpf_pct == Decimal("15")
    assert q.valid_until - q.issue_date == timedelta(days=15)
    assert q.conditions == "Pago a 30 días."
    assert q.owner_id == people.comercial1.id and q.status == "borrador"
    lines = quotes.quote_lines(session=session, actor=people.comercial1, quote_id=q.id)
    assert [(ln.description, ln.unit_price, ln.tax_rate, ln.tax_exempt, ln.unit, ln.line_base)
            for ln in lines] == [
        ("Kit básico", Decimal("49.9000"), Decimal("10.00"), False, "caja", Decimal("149.70")),
        ("Curso", Decimal("200.0000"), Decimal("0.00"), True, "ud", Decimal("200.00")),
        ("Kit con descuento", Decimal("40.0000"), Decimal("21.00"), False, "caja",
         Decimal("40.00"))]
    # 10 %: 149,70 → IVA 14,97, R.E. 1,4 % = 2,0958 → 2,10; 21 %: 40 → IVA 8,40, R.E. 2,08;
    # exento 200; IRPF 15 % of 389,70 = 58,455 → 58,46
    assert (q.base_total, q.tax_total, q.recargo_total, q.irpf_total, q.total) == (
        Decimal("389.70"), Decimal("23.37"), Decimal("4.18"), Decimal("58.46"),
        Decimal("358.79"))
    view = quotes.quote_view(session=session, actor=people.comercial1, quote_id=q.id)
    assert view["totals"]["total"] == "358.79"
    assert [ln["tax_rate"] for ln in view["lines"]] == ["10", "exento", "21"]
    # Recargo and IRPF can be changed per quote
    plain = build.quote(session, people.comercial1, shop.id, recargo_equivalencia=False,
                        irpf_pct="0")
    assert (plain.recargo_total, plain.irpf_total, plain.total) == (
        Decimal("0.00"), Decimal("0.00"), Decimal("121.00"))


def test_validation(session, people):
    mine = build.account(session, people.comercial1)
    theirs = build.account(session, people.comercial3)
    with pytest.raises(ValidationFailed) as exc:
        build.quote(session, people.comercial1, theirs.id, global_discount_pct="120", lines=[
            {"description": "", "quantity": "0", "unit_price": "-1", "tax_rate": "7"},
            {"description": "ok", "quantity": "abc", "unit_price": "1", "discount_pct": "101"}])
    assert exc.value.errors == {
        "account_id": "Cliente no encontrado.",
        "global_discount_pct": "El descuento global no puede ser mayor que 100.",
        "lines.0.description": "Describe la línea o elige un producto.",
        "lines.0.quantity": "La cantidad debe ser mayor que 0.",
        "lines.0.unit_price": "El precio no puede ser menor que 0.",
        "lines.0.tax_rate": "Tipo de IVA no válido: 21, 10, 4, 0 o exento.",
        "lines.1.quantity": "La cantidad debe ser un número.",
        "lines.1.discount_pct": "El descuento no puede ser mayor que 100.",
    }
    with pytest.raises(ValidationFailed) as exc:
        build.quote(session, people.comercial1, mine.id, lines=[])
    assert exc.value.errors == {"lines": "Añade al menos una línea."}
    other_opp = build.opportunity(session, people.comercial1, build.account(
        session, people.comercial1).id)
    with pytest.raises(ValidationFailed) as exc:
        build.quote(session, people.comercial1, mine.id, opportunity_id=other_opp.id)
    assert exc.value.errors == {"opportunity_id": "La oportunidad es de otro cliente."}
    with pytest.raises(ValidationFailed) as exc:
        build.quote(session, people.comercial1, mine.id, valid_until=date(2000, 1, 1))
    assert "valid_until" in exc.value.errors


def test_scope(session, people):
    acc = build.account(session, people.comercial1)
    q = build.quote(session, people.comercial1, acc.id)
    for outsider in (people.comercial2, people.manager2, people.comercial3):
        with pytest.raises(NotFound):
            quotes.get_quote(session=session, actor=outsider, quote_id=q.id)
        with pytest.raises(NotFound):
            quotes.accept_quote(session=session, actor=outsider, quote_id=q.id)
    assert quotes.get_quote(session=session, actor=people.manager1, quote_id=q.id) == q
    assert quotes.list_quotes(session=session, actor=people.comercial2).total == 0
    assert quotes.list_quotes(session=session, actor=people.director).total == 1
    assert quotes.list_quotes(session=session, actor=people.director,
                              q=q.number[-4:]).total == 1


def test_update_only_borrador_and_revise_makes_a_new_version(session, people):
    acc = build.account(session, people.comercial1)
    q = build.quote(session, people.comercial1, acc.id)
    quotes.update_quote(session=session, actor=people.comercial1, quote_id=q.id, data={
        "global_discount_pct": "10", "lines": [
            {"description": "A", "quantity": "2", "unit_price": "50", "tax_rate": "21"},
            {"description": "B", "quantity": "1", "unit_price": "10", "tax_rate": "4"}]})
    assert (q.base_total, q.total) == (Decimal("99.00"), Decimal("118.26"))
    # 21 %: 100 × 0,9 = 90 → IVA 18,90; 4 %: 10 × 0,9 = 9 → IVA 0,36; 99 + 19,26
    quotes.reject_quote(session=session, actor=people.comercial1, quote_id=q.id,
                        reason="Caro")
    with pytest.raises(Conflict):
        quotes.update_quote(session=session, actor=people.comercial1, quote_id=q.id,
                            data={"notes": "x"})
    v2 = quotes.revise_quote(session=session, actor=people.comercial1, quote_id=q.id)
    assert (v2.number, v2.version, v2.status) == (q.number, 2, "borrador")
    assert v2.issue_date == today_local() and v2.total == q.total
    lines = quotes.quote_lines(session=session, actor=people.comercial1, quote_id=v2.id)
    assert [ln.description for ln in lines] == ["A", "B"]
    v3 = quotes.revise_quote(session=session, actor=people.comercial1, quote_id=q.id)
    assert v3.version == 3
    view = quotes.quote_view(session=session, actor=people.comercial1, quote_id=v3.id)
    assert [v["version"] for v in view["versions"]] == [1, 2, 3]
    # Editing v3 leaves v2's lines alone
    quotes.update_quote(session=session, actor=people.comercial1, quote_id=v3.id,
                        data={"lines": [{"description": "C", "unit_price": "1"}]})
    assert len(session.exec(select(QuoteLine).where(QuoteLine.quote_id == v2.id)).all()) == 2


def test_accept_wins_the_opportunity_and_rejects_the_others(session, people):
    c1 = people.comercial1
    acc = build.account(session, c1)
    opp = build.opportunity(session, c1, acc.id, amount="1")
    a = build.quote(session, c1, acc.id, opportunity_id=opp.id, lines=[
        {"description": "Plan A", "quantity": "1", "unit_price": "800", "tax_rate": "21"}])
    b = build.quote(session, c1, acc.id, opportunity_id=opp.id, lines=[
        {"description": "Plan B", "quantity": "1", "unit_price": "1200", "tax_rate": "21"}])
    b2 = quotes.revise_quote(session=session, actor=c1, quote_id=b.id)
    unrelated = build.quote(session, c1, acc.id)
    quotes.accept_quote(session=session, actor=c1, quote_id=b2.id)

    session.refresh(opp)
    won = build.stage(session, "Ganada")
    assert opp.stage_id == won.id and opp.closed_at is not None
    assert opp.amount == Decimal("1200.00")  # the accepted quote's taxable base
    last = session.exec(select(StageChange).where(StageChange.opportunity_id == opp.id)
                        .order_by(StageChange.id.desc())).first()
    assert (last.to_stage_id, last.changed_by_id) == (won.id, c1.id)
    for q in (a, b):
        session.refresh(q)
    assert (b2.status, a.status, b.status) == ("aceptado", "rechazado", "rechazado")
    session.refresh(unrelated)
    assert unrelated.status == "borrador"
    assert b2.decided_at is not None
    notes = session.exec(select(AuditEvent.note).where(AuditEvent.entity == "quote",
                                                       AuditEvent.action == "reject")).all()
    assert notes == [f"Se aceptó {b.number} v2"] * 2
    with pytest.raises(Conflict):
        quotes.accept_quote(session=session, actor=c1, quote_id=a.id)
    with pytest.raises(Conflict):
        quotes.revise_quote(session=session, actor=c1, quote_id=b2.id)


def test_accept_on_an_already_won_opportunity_only_updates_amount(session, people):
    c1 = people.comercial1
    acc = build.account(session, c1)
    opp = build.opportunity(session, c1, acc.id, amount="5")
    opportunities.move_stage(session=session, actor=c1, opportunity_id=opp.id,
                             stage_id=build.stage(session, "Ganada").id)
    q = build.quote(session, c1, acc.id, opportunity_id=opp.id)
    n = len(session.exec(select(StageChange).where(StageChange.opportunity_id == opp.id)).all())
    quotes.accept_quote(session=session, actor=c1, quote_id=q.id)
    assert opp.amount == Decimal("100.00")
    assert len(session.exec(select(StageChange)
                            .where(StageChange.opportunity_id == opp.id)).all()) == n


def test_expire_quotes(session, people):
    acc = build.account(session, people.comercial1)
    today = today_local()
    past = dict(issue_date=today - timedelta(days=40), valid_until=today - timedelta(days=1))
    draft = build.quote(session, people.comercial1, acc.id, **past)
    sent = build.quote(session, people.comercial1, acc.id, **past)
    sent.status = "enviado"
    session.add(sent)
    session.commit()
    done = build.quote(session, people.comercial1, acc.id, **past)
    quotes.accept_quote(session=session, actor=people.comercial1, quote_id=done.id)
    current = build.quote(session, people.comercial1, acc.id, valid_until=today)
    assert quotes.expire_quotes(session=session, actor=SYSTEM) == 2
    for q in (draft, sent, done, current):
        session.refresh(q)
    assert [q.status for q in (draft, sent, done, current)] == [
        "caducado", "caducado", "aceptado", "borrador"]
    assert quotes.expire_quotes(session=session, actor=SYSTEM) == 0
    with pytest.raises(Conflict):
        quotes.accept_quote(session=session, actor=people.comercial1, quote_id=draft.id)
    expired = session.exec(select(AuditEvent).where(AuditEvent.action == "expire")).all()
    assert {e.entity_id for e in expired} == {draft.id, sent.id}
    assert all(e.actor_id is None for e in expired)
    # An expired quote can be revised into a fresh borrador
    v2 = quotes.revise_quote(session=session, actor=people.comercial1, quote_id=draft.id)
    assert v2.status == "borrador" and v2.valid_until > today


def test_recycle_bin(session, people):
    acc = build.account(session, people.comercial1)
    q = build.quote(session, people.comercial1, acc.id)
    quotes.delete_quote(session=session, actor=people.comercial1, quote_id=q.id)
    assert quotes.list_quotes(session=session, actor=people.comercial1).total == 0
    assert quotes.list_quotes(session=session, actor=people.comercial1, deleted=True).total == 1
    quotes.restore_quote(session=session, actor=people.comercial1, quote_id=q.id)
    assert quotes.list_quotes(session=session, actor=people.comercial1).total == 1
