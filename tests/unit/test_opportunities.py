"""Opportunities: stage history, required fields on entry, closed_at, "sin actividad", kanban."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sales_support as build
from sqlmodel import select

from crm_app.formatting import TZ
from crm_app.models import AuditEvent, Organisation, Stage, StageChange, utcnow
from crm_app.services import opportunities, pipelines
from crm_app.services.errors import NotFound, ValidationFailed


def changes(session, opp_id):
    return list(session.exec(select(StageChange).where(StageChange.opportunity_id == opp_id)
                             .order_by(StageChange.id)).all())


def test_create_records_entry_into_first_open_stage(session, people):
    acc = build.account(session, people.comercial1, channel="Feria")
    opp = build.opportunity(session, people.comercial1, acc.id)
    analysis = build.stage(session, "En análisis")
    assert opp.stage_id == analysis.id
    assert opp.channel == "Feria"  # inherited from the customer
    assert opp.closed_at is None and opp.stage_entered_at == opp.created_at
    [first] = changes(session, opp.id)
    assert (first.from_stage_id, first.to_stage_id, first.changed_by_id) == (
        None, analysis.id, people.comercial1.id)
    assert (first.owner_id, first.team_id) == (people.comercial1.id, people.team_norte.id)


def test_stage_moves_are_recorded_with_time_and_user(session, people):
    opp = build.opportunity(session, people.comercial1)
    offer, nego = build.stage(session, "Oferta presentada"), build.stage(session,
                                                                         "En negociación")
    before = utcnow()
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=opp.id,
                             stage_id=offer.id)
    opportunities.move_stage(session=session, actor=people.manager1, opportunity_id=opp.id,
                             stage_id=nego.id, fields={"amount": "2500.50"})
    history = changes(session, opp.id)
    assert [(c.from_stage_id, c.to_stage_id) for c in history][1:] == [
        (history[0].to_stage_id, offer.id), (offer.id, nego.id)]
    assert [c.changed_by_id for c in history] == [people.comercial1.id, people.comercial1.id,
                                                  people.manager1.id]
    assert all(c.changed_at >= before for c in history[1:])
    assert opp.stage_entered_at == history[-1].changed_at
    assert opp.amount == Decimal("2500.50")
    view = opportunities.stage_history(session=session, actor=people.comercial1,
                                       opportunity_id=opp.id)
    assert [(h["from_stage"], h["to_stage"], h["changed_by"]) for h in view] == [
        ("", "En análisis", "Comercial1"), ("En análisis", "Oferta presentada", "Comercial1"),
        ("Oferta presentada", "En negociación", "Manager1")]
    moves = session.exec(select(AuditEvent).where(AuditEvent.entity == "opportunity",
                                                  AuditEvent.action == "move")).all()
    assert len(moves) == 2


def test_required_fields_on_entry_closed_at_set_and_cleared(session, people):
    opp = build.opportunity(session, people.comercial1)
    lost = build.stage(session, "Perdida")
    with pytest.raises(ValidationFailed) as exc:
        opportunities.move_stage(session=session, actor=people.comercial1,
                                 opportunity_id=opp.id, stage_id=lost.id)
    assert exc.value.errors == {
        "lost_reason": "Para pasar a «Perdida» indica el motivo de pérdida."}
    assert len(changes(session, opp.id)) == 1  # nothing moved
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=opp.id,
                             stage_id=lost.id, fields={"lost_reason": "Precio"})
    assert opp.closed_at is not None and opp.lost_reason == "Precio"
    assert opp.closed_at == opp.stage_entered_at
    # Reopen: closed_at and the lost reason go; the move is history
    nego = build.stage(session, "En negociación")
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=opp.id,
                             stage_id=nego.id)
    assert opp.closed_at is None and opp.lost_reason == ""
    won = build.stage(session, "Ganada")
    opportunities.update_opportunity(session=session, actor=people.comercial1,
                                     opportunity_id=opp.id, data={"stage_id": won.id})
    assert opp.closed_at is not None
    assert [c.to_stage_id for c in changes(session, opp.id)][-3:] == [lost.id, nego.id, won.id]


def test_custom_required_field_and_bad_stage(session, people):
    other = build.stage(session, "Ganada")  # a stage of the default pipeline "Ventas"
    pipe = pipelines.create_pipeline(session=session, actor=people.admin, name="Proyectos",
                                     stages=[
        {"name": "Nuevo", "kind": "open", "probability": 20},
        {"name": "Firmado", "kind": "won", "required_fields": ["expected_close", "amount"]},
        {"name": "Descartado", "kind": "lost"}])
    opp = build.opportunity(session, people.comercial1, pipeline_id=pipe.id, amount="0")
    signed = session.exec(select(Stage).where(Stage.name == "Firmado")).one()
    with pytest.raises(ValidationFailed) as exc:
        opportunities.move_stage(session=session, actor=people.comercial1,
                                 opportunity_id=opp.id, stage_id=signed.id)
    assert set(exc.value.errors) == {"expected_close", "amount"}
    with pytest.raises(ValidationFailed) as exc:
        opportunities.move_stage(session=session, actor=people.comercial1,
                                 opportunity_id=opp.id, stage_id=other.id)
    assert set(exc.value.errors) == {"stage_id"}
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=opp.id,
                             stage_id=signed.id,
                             fields={"expected_close": "2026-12-01", "amount": "10"})
    assert opp.expected_close.isoformat() == "2026-12-01"


def test_scope_and_history_dates_for_admins_only(session, people):
    opp = build.opportunity(session, people.comercial1)
    offer = build.stage(session, "Oferta presentada")
    for outsider in (people.comercial2, people.manager2):
        with pytest.raises(NotFound):
            opportunities.move_stage(session=session, actor=outsider, opportunity_id=opp.id,
                                     stage_id=offer.id)
    opportunities.move_stage(session=session, actor=people.manager1, opportunity_id=opp.id,
                             stage_id=offer.id)  # same team
    won = build.stage(session, "Ganada")
    with pytest.raises(ValidationFailed) as exc:
        build.opportunity(session, people.comercial1, stage_id=won.id,
                          created_at="2024-01-10", closed_at="2024-02-20")
    assert set(exc.value.errors) == {"created_at", "closed_at"}
    hist = build.opportunity(session, people.admin, stage_id=won.id, owner_id=people.comercial1.id,
                             created_at="2024-01-10", closed_at="2024-02-20T12:00:00+01:00")
    assert hist.created_at.date().isoformat() in {"2024-01-09", "2024-01-10"}
    assert hist.closed_at == datetime(2024, 2, 20, 11, 0, tzinfo=UTC)
    [entry] = changes(session, hist.id)
    assert entry.changed_at == hist.closed_at == hist.stage_entered_at
    with pytest.raises(ValidationFailed):  # an open opportunity has no closing date
        build.opportunity(session, people.admin, created_at="2024-01-10", closed_at="2024-02-20")


def test_stale_marker(session, people):
    opp = build.opportunity(session, people.comercial1)
    analysis = build.stage(session, "En análisis")  # stale after 14 days
    now = utcnow()
    opp.stage_entered_at = now - timedelta(days=15)
    session.add(opp)
    session.commit()
    assert opportunities.is_stale(opp, analysis, default_days=30, now=now)
    row = opportunities.opportunity_rows(session, [opp])[0]
    assert row["stale"] and row["days_in_stage"] == 15 and row["days_idle"] == 15
    stale = opportunities.list_opportunities(session=session, actor=people.comercial1,
                                             stale=True)
    assert [o.id for o in stale.items] == [opp.id]
    # Recent activity resets the clock
    opportunities.touch_activity(session=session, opportunity_id=opp.id,
                                 at=now - timedelta(days=2))
    session.commit()
    assert not opportunities.is_stale(opp, analysis, default_days=30, now=now)
    assert opportunities.list_opportunities(session=session, actor=people.comercial1,
                                            stale=True).total == 0
    assert opportunities.list_opportunities(session=session, actor=people.comercial1,
                                            stale=False).total == 1
    # A stage without its own threshold uses the organisation's default
    analysis.stale_days = None
    org = session.exec(select(Organisation)).one()
    org.stale_days_default = 1
    session.add_all([analysis, org])
    session.commit()
    assert opportunities.opportunity_rows(session, [opp])[0]["stale"]
    # Closed opportunities are never "sin actividad"
    won = build.stage(session, "Ganada")
    assert not opportunities.is_stale(opp, won, default_days=1, now=now + timedelta(days=99))


def test_kanban_columns_sums_and_scope(session, people):
    c1, c3 = people.comercial1, people.comercial3
    offer, won = build.stage(session, "Oferta presentada"), build.stage(session, "Ganada")
    for amount in ("1000.00", "250.50", "0.01"):
        build.opportunity(session, c1, amount=amount)
    o = build.opportunity(session, c1, amount="999.99")
    opportunities.move_stage(session=session, actor=c1, opportunity_id=o.id, stage_id=offer.id)
    w = build.opportunity(session, c1, amount="400")
    opportunities.move_stage(session=session, actor=c1, opportunity_id=w.id, stage_id=won.id)
    build.opportunity(session, c3, amount="5000")  # another team

    board = opportunities.kanban(session=session, actor=people.director, per_column=2)
    cols = {c["name"]: c for c in board["columns"]}
    assert [c["name"] for c in board["columns"]] == [
        "En análisis", "Oferta presentada", "En negociación", "Ganada", "Cancelada", "Perdida"]
    a = cols["En análisis"]
    assert (a["count"], a["amount"]) == (4, Decimal("6250.51"))
    assert a["weighted"] == Decimal("625.05")  # 6.250,51 × 10 % = 625,051 → 625,05
    assert len(a["cards"]) == 2 and a["has_more"]
    assert (cols["Oferta presentada"]["count"], cols["Oferta presentada"]["weighted"]) == (
        1, Decimal("400.00"))  # 999,99 × 40 % = 399,996 → 400,00
    assert (cols["Ganada"]["amount"], cols["Ganada"]["weighted"]) == (Decimal("400.00"),
                                                                      Decimal("400.00"))
    assert cols["Perdida"]["required_fields"] == ["lost_reason"]
    assert board["totals"]["open_count"] == 5
    assert board["totals"]["open_amount"] == Decimal("7250.50")
    card = cols["Oferta presentada"]["cards"][0]
    assert card["owner"] == "Comercial1" and card["stale"] is False

    mine = opportunities.kanban(session=session, actor=c1)
    assert {c["name"]: c["count"] for c in mine["columns"]}["En análisis"] == 3
    theirs = opportunities.kanban(session=session, actor=people.manager2)
    assert sum(c["count"] for c in theirs["columns"]) == 1
    # More cards of one column come from the list with the stage filter
    rest = opportunities.list_opportunities(session=session, actor=people.director,
                                            stage_id=a["stage_id"], offset=2, limit=2)
    assert rest.total == 4 and len(rest.items) == 2


def test_list_filters(session, people):
    acc = build.account(session, people.comercial1, name="Mármoles Sur")
    a = build.opportunity(session, people.comercial1, acc.id, name="Encimeras", channel="Web")
    build.opportunity(session, people.comercial1, name="Otra")
    lost = build.stage(session, "Perdida")
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=a.id,
                             stage_id=lost.id, fields={"lost_reason": "Precio"})

    def ids(**kw):
        return [o.id for o in opportunities.list_opportunities(
            session=session, actor=people.comercial1, **kw).items]

    assert ids(q="mármoles") == [a.id]
    assert ids(status="lost") == [a.id]
    assert len(ids(status="open")) == 1
    assert ids(channel="Web") == [a.id]
    assert ids(account_id=acc.id) == [a.id]
    today = utcnow().astimezone(TZ).date()  # the filters take Madrid days
    assert ids(closed_from=today, closed_to=today) == [a.id]
    assert ids(closed_to=today - timedelta(days=1)) == []


# --- what the screens ask the service (issue 11: rules live in services) ----------------------


def test_a_missing_or_foreign_opportunity_is_not_found_in_the_right_gender(session, people):
    opp = build.opportunity(session, people.comercial1)
    for actor, opp_id in ((people.comercial1, 999_999), (people.comercial2, opp.id)):
        with pytest.raises(NotFound) as exc:
            opportunities.get_opportunity(session=session, actor=actor, opportunity_id=opp_id)
        assert exc.value.message == "Oportunidad no encontrada."


def test_dates_in_spanish_order_are_accepted(session, people):
    opp = build.opportunity(session, people.comercial1, expected_close="31/12/2026")
    assert opp.expected_close.isoformat() == "2026-12-31"
    with pytest.raises(ValidationFailed) as exc:
        build.opportunity(session, people.comercial1, expected_close="31/13/2026")
    assert exc.value.errors == {"expected_close": "Fecha no válida: usa dd/mm/aaaa."}


def test_move_requirements_name_the_missing_required_fields(session, people):
    elsewhere = build.stage(session, "Perdida")  # of the default pipeline "Ventas"
    pipe = pipelines.create_pipeline(session=session, actor=people.admin, name="Proyectos",
                                     stages=[
        {"name": "Nuevo", "kind": "open", "probability": 20},
        {"name": "Firmado", "kind": "won",
         "required_fields": ["expected_close", "amount", "contact_id"]},
        {"name": "Descartado", "kind": "lost", "required_fields": ["lost_reason"]}])
    opp = build.opportunity(session, people.comercial1, pipeline_id=pipe.id, amount="0")
    signed, dropped = (session.exec(select(Stage).where(Stage.name == n)).one()
                       for n in ("Firmado", "Descartado"))
    need = opportunities.move_requirements(session=session, actor=people.comercial1,
                                           opportunity_id=opp.id, stage_id=signed.id)
    assert (need["stage_name"], need["account_id"]) == ("Firmado", None)
    assert need["fields"] == [
        {"key": "expected_close", "label": "Cierre previsto", "kind": "date"},
        {"key": "amount", "label": "Importe", "kind": "number"},
        {"key": "contact_id", "label": "Contacto", "kind": "contact"}]
    opportunities.update_opportunity(session=session, actor=people.comercial1,
                                     opportunity_id=opp.id, data={"amount": "10"})
    need = opportunities.move_requirements(session=session, actor=people.comercial1,
                                           opportunity_id=str(opp.id), stage_id=str(signed.id))
    assert [f["key"] for f in need["fields"]] == ["expected_close", "contact_id"]
    need = opportunities.move_requirements(session=session, actor=people.manager1,
                                           opportunity_id=opp.id, stage_id=dropped.id)
    assert need["fields"] == [{"key": "lost_reason", "label": "Motivo de pérdida",
                               "kind": "reason"}]
    # Another team's opportunity reads as missing; a stage of another pipeline is refused.
    with pytest.raises(NotFound):
        opportunities.move_requirements(session=session, actor=people.comercial3,
                                        opportunity_id=opp.id, stage_id=dropped.id)
    with pytest.raises(ValidationFailed) as exc:
        opportunities.move_requirements(session=session, actor=people.comercial1,
                                        opportunity_id=opp.id, stage_id=elsewhere.id)
    assert set(exc.value.errors) == {"stage_id"}


def test_the_board_shows_recent_closes_only_and_says_how_recent(session, people):
    won, lost = build.stage(session, "Ganada"), build.stage(session, "Perdida")
    old = build.opportunity(session, people.comercial1, name="Antigua")
    opportunities.move_stage(session=session, actor=people.admin, opportunity_id=old.id,
                             stage_id=won.id, at=utcnow() - timedelta(days=120))
    new = build.opportunity(session, people.comercial1, name="Reciente")
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=new.id,
                             stage_id=won.id)
    board = opportunities.kanban(session=session, actor=people.comercial1)
    assert board["closed_days"] == opportunities.KANBAN_CLOSED_DAYS == 90
    cards = {c["name"]: [r["name"] for r in c["cards"]] for c in board["columns"]}
    assert cards["Ganada"] == ["Reciente"]
    everything = opportunities.kanban(session=session, actor=people.comercial1,
                                      closed_days=None)
    assert everything["closed_days"] is None
    assert {r["name"] for c in everything["columns"] for r in c["cards"]} >= {"Antigua"}
    column = next(c for c in board["columns"] if c["stage_id"] == lost.id)
    assert column["required_labels"] == ["Motivo de pérdida"]


def test_opportunity_detail_resolves_its_links_through_the_scope(session, people):
    from crm_app.services import contacts

    acc = build.account(session, people.comercial1, name="Talleres Ruiz")
    contact = contacts.create_contact(session=session, actor=people.comercial1,
                                      data={"first_name": "Rosa", "last_name": "Ruiz",
                                            "account_id": acc.id, "email": "rosa@ruiz.es"})
    prod = build.product(session, people.admin, name="Soporte", sku="SOP-1")
    opp = build.opportunity(session, people.comercial1, acc.id, contact_id=contact.id,
                            product_id=prod.id, description="Dos sedes")
    view = opportunities.opportunity_detail(session=session, actor=people.manager1,
                                            opportunity_id=opp.id)
    assert (view["account_name"], view["contact"], view["product"], view["pipeline"]) == (
        "Talleres Ruiz", "Rosa Ruiz", "Soporte", "Ventas")
    assert view["description"] == "Dos sedes" and view["owner"] == "Comercial1"
    assert [s["name"] for s in view["stages"]][:2] == ["En análisis", "Oferta presentada"]
    assert next(s for s in view["stages"] if s["current"])["name"] == "En análisis"
    with pytest.raises(NotFound):
        opportunities.opportunity_detail(session=session, actor=people.comercial3,
                                         opportunity_id=opp.id)
