"""Customers: validation, scoping, recycle bin, contacts, and the 360° customer file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sales_support as build
from sqlmodel import select

from crm_app.models import Activity, AuditEvent, Document, Lead, utcnow
from crm_app.services import accounts, audit, contacts, opportunities, quotes
from crm_app.services.errors import Conflict, NotFound, ValidationFailed


def errors_of(exc_info) -> dict[str, str]:
    return exc_info.value.errors


# --- validation -------------------------------------------------------------------------------


def test_create_normalises_and_audits(session, people):
    acc = accounts.create_account(session=session, actor=people.comercial1, data={
        "name": "  Talleres Ruiz S.L. ", "nif": "b-1234567.4", "postal_code": "41001",
        "city": "Sevilla", "email": " Info@Talleres.ES ", "phone": "954 12 34 56",
        "size_band": "10-49", "recargo_equivalencia": True})
    assert acc.name == "Talleres Ruiz S.L."
    assert acc.nif == "B12345674"
    assert acc.province == "Sevilla"  # derived from the postal code
    assert acc.email == "info@talleres.es"
    assert acc.phone == "+34954123456"
    assert acc.recargo_equivalencia is True
    assert (acc.owner_id, acc.team_id) == (people.comercial1.id, people.team_norte.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "account")).one()
    assert (event.action, event.entity_id, event.actor_id) == ("create", acc.id,
                                                               people.comercial1.id)


def test_validation_errors_are_per_field_and_in_spanish(session, people):
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_account(session=session, actor=people.comercial1, data={
            "name": "", "nif": "B12345675", "province": "Narnia", "email": "no-es-correo",
            "phone": "12", "size_band": "enorme"})
    errs = errors_of(exc)
    assert set(errs) == {"name", "nif", "province", "email", "phone", "size_band"}
    assert errs["name"] == "La razón social es obligatorio." or "obligatori" in errs["name"]
    assert "control" in errs["nif"]  # stdnum: bad check letter
    assert "Provincia desconocida" in errs["province"]


def test_province_required_and_coherent_with_postal_code(session, people):
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_account(session=session, actor=people.comercial1, data={"name": "X"})
    assert errors_of(exc) == {"province": "La provincia es obligatoria."}
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_account(session=session, actor=people.comercial1, data={
            "name": "X", "province": "Madrid", "postal_code": "08001"})
    assert "Barcelona" in errors_of(exc)["postal_code"]
    acc = accounts.create_account(session=session, actor=people.comercial1, data={
        "name": "X", "province": "la coruña"})
    assert acc.province == "A Coruña"
    foreign = accounts.create_account(session=session, actor=people.comercial1, data={
        "name": "Lisboa Lda", "country": "pt", "nif": "PT123456789"})
    assert (foreign.country, foreign.province, foreign.nif) == ("PT", "", "PT123456789")


def test_duplicate_nif_and_unknown_fields(session, people):
    build.account(session, people.comercial1, nif="A58818501")
    with pytest.raises(ValidationFailed) as exc:
        build.account(session, people.comercial3, nif="a58818501", colour="red")
    assert errors_of(exc) == {"nif": "Ya existe un cliente con este NIF.",
                              "colour": "Campo desconocido."}


def test_only_admins_set_created_at_and_assign_rules(session, people):
    past = datetime(2024, 3, 1, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as exc:
        build.account(session, people.comercial1, created_at=past)
    assert "created_at" in errors_of(exc)
    acc = build.account(session, people.admin, created_at=past, owner_id=people.comercial3.id)
    assert acc.created_at == past
    assert (acc.owner_id, acc.team_id) == (people.comercial3.id, people.team_sur.id)
    with pytest.raises(ValidationFailed) as exc:
        build.account(session, people.comercial1, owner_id=people.comercial2.id)
    assert "owner_id" in errors_of(exc)
    with pytest.raises(ValidationFailed) as exc:  # a manager assigns within the team only
        build.account(session, people.manager1, owner_id=people.comercial3.id)
    assert errors_of(exc)["owner_id"] == "Solo puedes asignar a personas de tu equipo."
    mine = build.account(session, people.manager1, owner_id=people.comercial2.id)
    assert mine.owner_id == people.comercial2.id


# --- scoping, updates, recycle bin ------------------------------------------------------------


def test_list_search_filters_sort_and_scope(session, people):
    a = build.account(session, people.comercial1, name="Bodegas Albar", nif="B65410011",
                  city="Haro", province="La Rioja", postal_code="26200", sector="Agroalimentario")
    b = build.account(session, people.comercial2, name="Ferretería Central", city="Bilbao",
                  province="Vizcaya", postal_code="48001", channel="Feria")
    c = build.account(session, people.comercial3, name="Clínica Sol", city="Málaga",
                  province="Málaga", postal_code="29001", email="citas@clinicasol.es")

    def names(actor, **kw):
        page = accounts.list_accounts(session=session, actor=actor, **kw)
        return [x.name for x in page.items], page.total

    assert names(people.director) == (["Bodegas Albar", "Clínica Sol", "Ferretería Central"], 3)
    assert names(people.comercial1) == (["Bodegas Albar"], 1)
    assert names(people.manager1) == (["Bodegas Albar", "Ferretería Central"], 2)
    assert names(people.manager2) == (["Clínica Sol"], 1)
    assert names(people.director, q="b65410011")[0] == ["Bodegas Albar"]  # NIF
    assert names(people.director, q="clinicasol")[0] == ["Clínica Sol"]  # email
    assert names(people.director, q="bilbao")[0] == ["Ferretería Central"]  # city
    assert names(people.director, province="rioja")[0] == ["Bodegas Albar"]
    assert names(people.director, channel="Feria")[0] == ["Ferretería Central"]
    assert names(people.director, sector="Agroalimentario")[0] == ["Bodegas Albar"]
    assert names(people.director, owner_id=people.comercial3.id)[0] == ["Clínica Sol"]
    assert names(people.director, team_id=people.team_norte.id)[1] == 2
    assert names(people.director, sort="-name")[0][0] == "Ferretería Central"
    page = accounts.list_accounts(session=session, actor=people.director, limit=2, offset=2)
    assert ([x.name for x in page.items], page.total, page.has_more) == (
        ["Ferretería Central"], 3, False)
    # Out of scope is "not found", for reads and writes alike
    with pytest.raises(NotFound):
        accounts.get_account(session=session, actor=people.comercial2, account_id=a.id)
    with pytest.raises(NotFound):
        accounts.update_account(session=session, actor=people.manager2, account_id=b.id,
                                data={"name": "Hack"})
    assert accounts.get_account(session=session, actor=people.manager2, account_id=c.id) == c


def test_update_records_only_the_diff(session, people):
    acc = build.account(session, people.comercial1)
    accounts.update_account(session=session, actor=people.comercial1, account_id=acc.id,
                            data={"city": "Getafe", "postal_code": "28901", "name": acc.name})
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert event.after == {"city": "Getafe", "postal_code": "28901"}
    assert event.before["city"] == "Madrid"
    with pytest.raises(ValidationFailed):
        accounts.update_account(session=session, actor=people.comercial1, account_id=acc.id,
                                data={"nif": "123"})


def test_recycle_bin(session, people):
    acc = build.account(session, people.comercial1, nif="A28017895")
    accounts.delete_account(session=session, actor=people.comercial1, account_id=acc.id)
    assert accounts.list_accounts(session=session, actor=people.comercial1).total == 0
    binned = accounts.list_accounts(session=session, actor=people.comercial1, deleted=True)
    assert [x.id for x in binned.items] == [acc.id]
    with pytest.raises(NotFound):
        accounts.get_account(session=session, actor=people.comercial1, account_id=acc.id)
    # Its NIF is free again while it is in the bin; restoring then clashes
    other = build.account(session, people.comercial1, nif="A28017895")
    with pytest.raises(Conflict):
        accounts.restore_account(session=session, actor=people.comercial1, account_id=acc.id)
    accounts.delete_account(session=session, actor=people.comercial1, account_id=other.id)
    accounts.restore_account(session=session, actor=people.comercial1, account_id=acc.id)
    assert accounts.get_account(session=session, actor=people.comercial1,
                                account_id=acc.id).deleted_at is None
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity_id == acc.id,
                                                           AuditEvent.entity == "account")).all()
    assert actions == ["create", "delete", "restore"]


def test_contacts_validation_scope_and_search(session, people):
    acc = build.account(session, people.comercial1, name="Óptica Luz")
    other = build.account(session, people.comercial3)
    with pytest.raises(ValidationFailed) as exc:
        contacts.create_contact(session=session, actor=people.comercial1, data={
            "account_id": other.id, "email": "x@", "nif": "12345678A"})
    assert set(errors_of(exc)) == {"account_id", "email", "nif", "first_name"}
    ana = contacts.create_contact(session=session, actor=people.manager1, data={
        "account_id": acc.id, "first_name": "Ana", "last_name": "Gil", "phone": "600123456",
        "nif": "12345678z"})
    assert (ana.owner_id, ana.nif, ana.phone) == (people.comercial1.id, "12345678Z",
                                                  "+34600123456")
    contacts.create_contact(session=session, actor=people.comercial3, data={
        "account_id": other.id, "first_name": "Luis"})
    found = contacts.list_contacts(session=session, actor=people.comercial1, q="óptica")
    assert [c.first_name for c in found.items] == ["Ana"]
    assert contacts.list_contacts(session=session, actor=people.comercial1, q="600 12").total == 1
    assert contacts.list_contacts(session=session, actor=people.director).total == 2
    assert contacts.list_contacts(session=session, actor=people.comercial1).total == 1
    assert contacts.list_contacts(session=session, actor=people.director,
                                  province="Madrid").total == 2
    with pytest.raises(NotFound):
        contacts.get_contact(session=session, actor=people.comercial3, contact_id=ana.id)
    contacts.delete_contact(session=session, actor=people.comercial1, contact_id=ana.id)
    assert contacts.list_contacts(session=session, actor=people.comercial1).total == 0
    contacts.restore_contact(session=session, actor=people.comercial1, contact_id=ana.id)
    assert contacts.list_contacts(session=session, actor=people.comercial1).total == 1


# --- 360° -------------------------------------------------------------------------------------


def test_account_360_timeline_and_purchase_history(session, people):
    c1 = people.comercial1
    t0 = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
    lead = Lead(first_name="Eva", company="Panadería Eva", source="Web", owner_id=c1.id,
                team_id=c1.team_id, created_at=t0)
    session.add(lead)
    session.flush()
    audit.record(session=session, actor=c1, entity="lead", entity_id=lead.id, action="create")
    session.add(Activity(kind="call", subject="Primera llamada", lead_id=lead.id,
                         owner_id=c1.id, team_id=c1.team_id, created_by_id=c1.id,
                         created_at=t0 + timedelta(days=1), done_at=t0 + timedelta(days=1)))
    session.commit()
    acc = build.account(session, c1, name="Panadería Eva S.L.", lead_id=lead.id)
    eva = contacts.create_contact(session=session, actor=c1, data={
        "account_id": acc.id, "first_name": "Eva", "email": "eva@panaderia.es"})
    accounts.update_account(session=session, actor=c1, account_id=acc.id,
                            data={"phone": "911234567"})
    # A won deal loaded as history (2025) by an admin, and a deal won now through a quote
    build.opportunity(session, people.admin, acc.id, name="Horno 2025", amount="5000",
                        owner_id=c1.id, stage_id=build.stage(session, "Ganada").id,
                        created_at="2025-02-01", closed_at="2025-03-15")
    opp = build.opportunity(session, c1, acc.id, name="Obrador 2026", amount="100")
    opportunities.move_stage(session=session, actor=c1, opportunity_id=opp.id,
                             stage_id=build.stage(session, "Oferta presentada").id)
    q = build.quote(session, c1, acc.id, opportunity_id=opp.id, contact_id=eva.id, lines=[
        {"description": "Amasadora", "quantity": "2", "unit_price": "1500", "tax_rate": "21"}])
    quotes.accept_quote(session=session, actor=c1, quote_id=q.id)
    # An accepted quote without an opportunity also counts as a purchase
    q2 = build.quote(session, c1, acc.id, lines=[
        {"description": "Mantenimiento", "quantity": "1", "unit_price": "250", "tax_rate": "21"}])
    quotes.accept_quote(session=session, actor=c1, quote_id=q2.id)
    session.add(Document(filename="contrato.pdf", storage_key="k", account_id=acc.id,
                         owner_id=c1.id, team_id=c1.team_id, uploaded_by_id=c1.id,
                         created_at=utcnow()))
    session.commit()

    data = accounts.account_360(session=session, actor=c1, account_id=acc.id)
    assert data["account"].id == acc.id
    assert [c["name"] for c in data["contacts"]] == ["Eva"]
    assert [o["name"] for o in data["opportunities"]["closed"]] == ["Obrador 2026", "Horno 2025"]
    assert data["opportunities"]["open"] == []
    assert {qt["number"] for qt in data["quotes"]} == {q.number, q2.number}
    purchases = data["purchases"]
    per_year = {p["year"]: p["total"] for p in purchases["per_year"]}
    this_year = utcnow().year
    assert per_year == {2025: Decimal("5000.00"), this_year: Decimal("3250.00")}
    assert purchases["total"] == Decimal("8250.00")
    assert data["alerts"] == []
    assert [d["filename"] for d in data["documents"]] == ["contrato.pdf"]

    timeline = data["timeline"]
    times = [e["at"] for e in timeline]
    assert times == sorted(times, reverse=True), "newest first"
    titles = [e["title"] for e in timeline]
    assert titles[-1] == "Lead creado (origen: Web)"  # everything since the first lead
    assert timeline[-1]["at"] == t0 and titles.count("Lead creado (origen: Web)") == 1
    assert "Llamada: Primera llamada" in titles
    assert "Cliente dado de alta" in titles
    assert "Datos del cliente modificados" in titles
    assert "Contacto añadido" in titles
    assert "Oportunidad creada: Obrador 2026" in titles
    assert "Oportunidad Obrador 2026: cambio de etapa" in titles
    assert "Oportunidad ganada: Obrador 2026" in titles
    assert f"Presupuesto creado: {q.number} v1" in titles
    assert f"Presupuesto aceptado: {q.number} v1" in titles
    assert "Documento añadido: contrato.pdf" in titles
    edit = next(e for e in timeline if e["title"] == "Datos del cliente modificados")
    assert edit["detail"] == "Cambios: teléfono" and edit["user"] == "Comercial1"
    kinds = {e["kind"] for e in timeline}
    assert kinds >= {"audit", "activity", "stage", "document"}

    # Someone who cannot see the customer cannot see its file
    with pytest.raises(NotFound):
        accounts.account_360(session=session, actor=people.comercial3, account_id=acc.id)
