"""Lead conversion: account matched by NIF or email domain (never a public domain), contact,
optional opportunity in the first open stage, activities/documents follow, links, audit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import select

from crm_app.models import (
    Account,
    Activity,
    AuditEvent,
    Contact,
    CustomFieldDef,
    Document,
    Lead,
    Opportunity,
    Pipeline,
    Stage,
    StageChange,
    utcnow,
)
from crm_app.services import leads as lead_svc
from crm_app.services.conversion import convert_lead, is_public_domain
from crm_app.services.errors import Conflict, NotFound, ValidationFailed


def make_lead(session, actor, **data):
    data.setdefault("first_name", "Lucía")
    data.setdefault("last_name", "Martín")
    data.setdefault("phone", "600123456")
    return lead_svc.create_lead(session=session, actor=actor, data=data)


def account(session, owner, **kw):
    acc = Account(owner_id=owner.id, team_id=owner.team_id, created_at=utcnow(), **kw)
    session.add(acc)
    session.commit()
    return acc


def test_new_account_contact_and_links(session, people):
    session.add(CustomFieldDef(entity="lead", key="sector", label="Sector"))
    session.add(CustomFieldDef(entity="account", key="sector", label="Sector"))
    session.commit()
    lead = make_lead(session, people.comercial1, company="Talleres Ruiz SL", nif="B12345674",
                     email="lucia@talleresruiz.es", province="Murcia", source="Feria",
                     custom={"sector": "Industria"})
    out = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert out["account_matched"] is False and out["opportunity_id"] is None
    acc = session.get(Account, out["account_id"])
    contact = session.get(Contact, out["contact_id"])
    assert (acc.name, acc.nif, acc.channel, acc.province) == (
        "Talleres Ruiz SL", "B12345674", "Feria", "Murcia")
    assert acc.custom == {"sector": "Industria"} and acc.website == "https://talleresruiz.es"
    assert acc.owner_id == people.comercial1.id and acc.team_id == people.team_norte.id
    assert acc.lead_id == lead.id and contact.lead_id == lead.id
    assert (contact.account_id, contact.first_name, contact.email, contact.nif) == (
        acc.id, "Lucía", "lucia@talleresruiz.es", "")  # the CIF belongs to the company
    session.refresh(lead)
    assert lead.status == "convertido" and lead.converted_at is not None
    assert (lead.converted_account_id, lead.converted_contact_id) == (acc.id, contact.id)
    actions = {(e.entity, e.action) for e in session.exec(select(AuditEvent)).all()}
    assert {("lead", "convert"), ("account", "create"), ("contact", "create")} <= actions
    with pytest.raises(Conflict):
        convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    with pytest.raises(ValidationFailed):
        lead_svc.change_status(session=session, actor=people.comercial1, lead_id=lead.id,
                               status="nuevo")


def test_matches_account_by_nif(session, people):
    existing = account(session, people.comercial1, name="Ruiz Hermanos", nif="B12345674")
    lead = make_lead(session, people.comercial1, company="Ruiz Hnos.", nif="b-12345674",
                     email="x@gmail.com")
    out = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert out["account_matched"] is True and out["account_id"] == existing.id
    assert len(session.exec(select(Account)).all()) == 1
    session.refresh(existing)
    assert existing.lead_id == lead.id


def test_matches_account_by_email_domain(session, people):
    existing = account(session, people.comercial1, name="Bodegas Sol",
                       email="info@bodegassol.com")
    lead = make_lead(session, people.comercial1, company="Bodegas Sol",
                     email="Compras@BodegasSol.com")
    out = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert out["account_id"] == existing.id and out["account_matched"] is True


def test_website_domain_matches_too(session, people):
    existing = account(session, people.comercial1, name="Web SA",
                       website="https://www.websa.es")
    lead = make_lead(session, people.comercial1, email="ana@websa.es")
    assert convert_lead(session=session, actor=people.comercial1,
                        lead_id=lead.id)["account_id"] == existing.id


@pytest.mark.parametrize("domain", ["gmail.com", "hotmail.com", "yahoo.es", "outlook.com",
                                    "icloud.com", "telefonica.net"])
def test_public_domains_never_match(session, people, domain):
    assert is_public_domain(domain)
    account(session, people.comercial1, name="Otro cliente", email=f"pepe@{domain}")
    lead = make_lead(session, people.comercial1, email=f"lucia@{domain}")
    out = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert out["account_matched"] is False
    assert session.get(Account, out["account_id"]).name == "Lucía Martín"


def test_match_out_of_scope_stops_without_leaking(session, people):
    account(session, people.comercial3, name="Secreto SL", nif="B12345674")
    lead = make_lead(session, people.comercial1, company="Secreto", nif="B12345674")
    with pytest.raises(Conflict) as exc:
        convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    assert "Secreto" not in exc.value.message and "NIF" in exc.value.message
    assert session.get(Lead, lead.id).status == "nuevo"
    assert session.exec(select(Contact)).all() == []
    # The admin sees the account and converts into it.
    out = convert_lead(session=session, actor=people.admin, lead_id=lead.id)
    assert out["account_matched"] is True


def test_opportunity_in_first_open_stage_with_history(session, people):
    pipe = Pipeline(name="Proyectos", is_default=False)
    session.add(pipe)
    session.flush()
    session.add_all([Stage(pipeline_id=pipe.id, name="Ganada", position=0, kind="won"),
                     Stage(pipeline_id=pipe.id, name="Contacto", position=1, kind="open"),
                     Stage(pipeline_id=pipe.id, name="Oferta", position=2, kind="open")])
    session.commit()
    lead = make_lead(session, people.comercial1, company="Obras Norte SL", source="Web")
    out = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                       create_opportunity=True, pipeline_id=pipe.id,
                       opportunity_name="Reforma nave", amount="12.500,50")
    opp = session.get(Opportunity, out["opportunity_id"])
    stage = session.get(Stage, opp.stage_id)
    assert stage.name == "Contacto" and opp.amount == Decimal("12500.50")
    assert (opp.name, opp.lead_id, opp.contact_id, opp.channel) == (
        "Reforma nave", lead.id, out["contact_id"], "Web")
    change = session.exec(select(StageChange)).one()
    assert change.from_stage_id is None and change.to_stage_id == stage.id
    assert change.owner_id == people.comercial1.id
    assert session.get(Lead, lead.id).converted_opportunity_id == opp.id


def test_opportunity_in_default_pipeline_and_bad_amount(session, people):
    lead = make_lead(session, people.comercial1, company="Default SL")
    with pytest.raises(ValidationFailed) as exc:
        convert_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                     create_opportunity=True, amount="-5")
    assert "amount" in exc.value.errors
    out = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                       create_opportunity=True)
    opp = session.get(Opportunity, out["opportunity_id"])
    pipe = session.get(Pipeline, opp.pipeline_id)
    assert pipe.is_default and session.get(Stage, opp.stage_id).kind == "open"


def test_activities_and_documents_follow(session, people):
    lead = make_lead(session, people.comercial1, company="Sigue SL")
    session.add(Activity(kind="call", subject="Llamada", lead_id=lead.id,
                         owner_id=people.comercial1.id, created_at=utcnow()))
    session.add(Document(filename="oferta.pdf", storage_key="k1", lead_id=lead.id,
                         owner_id=people.comercial1.id, created_at=utcnow()))
    session.commit()
    out = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                       create_opportunity=True)
    act = session.exec(select(Activity)).one()
    doc = session.exec(select(Document)).one()
    session.refresh(act)
    session.refresh(doc)
    assert (act.lead_id, act.account_id, act.contact_id, act.opportunity_id) == (
        lead.id, out["account_id"], out["contact_id"], out["opportunity_id"])
    assert (doc.lead_id, doc.account_id, doc.opportunity_id) == (
        lead.id, out["account_id"], out["opportunity_id"])
    assert out["moved_activities"] == 1 and out["moved_documents"] == 1


def test_conversion_is_scoped(session, people):
    lead = make_lead(session, people.comercial1, company="Ajeno SL")
    with pytest.raises(NotFound):
        convert_lead(session=session, actor=people.comercial3, lead_id=lead.id)


def test_conversion_links_go_through_the_scope(session, people):
    """The customer and the pipeline chosen in the dialog are links like any other: another
    team's customer, a missing or impossible id, an inactive pipeline -> a field error, and
    the lead stays as it was (no 500 from an id past the id column)."""
    theirs = account(session, people.comercial3, name="Ajeno Sur SL")
    old = Pipeline(name="Antiguo", active=False)
    session.add(old)
    session.commit()
    lead = make_lead(session, people.comercial1, company="Nuevo Norte SL")
    for kwargs, fld in [({"account_id": theirs.id}, "account_id"),
                        ({"account_id": 987_654}, "account_id"),
                        ({"account_id": 2**64}, "account_id"),
                        ({"create_opportunity": True, "pipeline_id": old.id}, "pipeline_id"),
                        ({"create_opportunity": True, "pipeline_id": 2**64}, "pipeline_id")]:
        with pytest.raises(ValidationFailed) as exc:
            convert_lead(session=session, actor=people.comercial1, lead_id=lead.id, **kwargs)
        assert set(exc.value.errors) == {fld}, kwargs
        session.rollback()
    assert session.get(Lead, lead.id).status == "nuevo"
    assert session.exec(select(Contact)).all() == []
