"""Personal data (RGPD / LOPDGDD, issue 12): consent on leads and contacts, the access
export ZIP, anonymisation (quotes keep their fiscal data, search text and audit redacted) and
the retention of discarded leads (the job and its preview)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from factories import People
from sqlmodel import Session, select

from crm_app.models import (
    Account,
    Activity,
    Alert,
    AuditEvent,
    Contact,
    CustomFieldDef,
    Document,
    Lead,
    Organisation,
    Quote,
    utcnow,
)
from crm_app.permissions import PermissionDenied
from crm_app.services import contacts, leads, personal_data
from crm_app.services.actors import SYSTEM
from crm_app.services.conversion import convert_lead
from crm_app.services.errors import Conflict, NotFound, ValidationFailed
from crm_app.settings import get_settings
from crm_app.worker.app import celery_app

NAME = "Begoña"


def _lead(session: Session, owner, **kw) -> Lead:  # noqa: ANN001
    data = {"first_name": NAME, "last_name": "Urrutia", "company": "Urrutia Diseño",
            "email": "begona@urrutia.es", "phone": "600112233", "nif": "12345678Z",
            "notes": "Prefiere llamadas por la tarde", **kw}
    return leads.create_lead(session=session, actor=owner, data=data)


def _doc(session: Session, lead: Lead, name: str, content: bytes, **kw) -> Document:  # noqa: ANN001
    key = f"leads/{lead.id}/{name}"
    path = get_settings().documents_dir / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    doc = Document(filename=name, storage_key=key, size=len(content), lead_id=lead.id,
                   owner_id=lead.owner_id, team_id=lead.team_id, **kw)
    session.add(doc)
    session.commit()
    return doc


# --- consent -------------------------------------------------------------------------------


def test_consent_is_validated_per_purpose_and_stored_in_utc(session: Session,
                                                           people: People) -> None:
    lead = _lead(session, people.comercial1, legal_basis="consentimiento", consent={
        "comercial": {"given": True, "at": "27/11/2026", "method": "formulario web",
                      "text": "Política de privacidad v3"}})
    assert lead.legal_basis == "consentimiento"
    # dd/mm/aaaa is midnight in Madrid: 23:00 UTC the day before
    assert lead.consent["comercial"] == {"given": True, "at": "2026-11-26T23:00:00Z",
                                         "method": "formulario_web",
                                         "text": "Política de privacidad v3"}
    leads.update_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                      data={"consent": {"newsletter": {"given": True, "method": "email"}}})
    session.refresh(lead)
    assert lead.consent["comercial"]["given"] is True  # untouched by a partial update
    assert lead.consent["newsletter"]["given"] is True and lead.consent["newsletter"]["at"]

    with pytest.raises(ValidationFailed) as bad:
        leads.update_lead(session=session, actor=people.comercial1, lead_id=lead.id, data={
            "legal_basis": "porque sí",
            "consent": {"comercial": {"given": "quizá", "at": "32/13/2026",
                                      "method": "paloma mensajera", "text": "x" * 301},
                        "spam": {"given": True}}})
    assert set(bad.value.errors) == {
        "legal_basis", "consent.comercial.given", "consent.comercial.at",
        "consent.comercial.method", "consent.comercial.text", "consent.spam"}
    future = (utcnow() + timedelta(days=3)).isoformat()
    with pytest.raises(ValidationFailed) as bad:
        leads.update_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                          data={"consent": {"comercial": {"at": future}}})
    assert "consent.comercial.at" in bad.value.errors
    session.refresh(lead)
    assert lead.legal_basis == "consentimiento"  # nothing half-written


def test_contact_consent_and_legal_basis(session: Session, people: People) -> None:
    contact = contacts.create_contact(session=session, actor=people.comercial1, data={
        "first_name": "Íñigo", "email": "inigo@example.es", "legal_basis": "contrato",
        "consent": {"newsletter": {"given": False, "method": "telefono"}}})
    assert contact.legal_basis == "contrato"
    assert contact.consent["newsletter"] == {"given": False, "at": None, "method": "telefono",
                                             "text": ""}
    with pytest.raises(ValidationFailed) as bad:
        contacts.update_contact(session=session, actor=people.comercial1,
                                contact_id=contact.id, data={"legal_basis": "capricho"})
    assert set(bad.value.errors) == {"legal_basis"}


# --- access --------------------------------------------------------------------------------


def test_export_zip_holds_every_record_audit_entry_and_document(session: Session,
                                                               people: People) -> None:
    lead = _lead(session, people.comercial1)
    session.add(Activity(subject=f"Llamar a {NAME}", lead_id=lead.id, owner_id=lead.owner_id,
                         team_id=lead.team_id))
    session.commit()
    doc = _doc(session, lead, "dni escaneado.pdf", b"%PDF-1.4 dni")
    name, content = personal_data.export_person(session=session, actor=people.comercial1,
                                                entity="lead", record_id=lead.id)
    assert name.startswith(f"datos-personales-lead-{lead.id}-") and name.endswith(".zip")
    zf = zipfile.ZipFile(io.BytesIO(content))
    data = json.loads(zf.read("datos.json"))
    assert data["subject"] == {"entity": "lead", "id": lead.id}
    assert data["leads"][0]["email"] == "begona@urrutia.es"
    assert data["leads"][0]["first_name"] == NAME
    assert [a["subject"] for a in data["activities"]] == [f"Llamar a {NAME}"]
    assert any(e["action"] == "create" and e["entity"] == "lead" for e in data["audit"])
    [entry] = data["documents"]
    assert "storage_key" not in entry
    assert zf.read(entry["file"]) == b"%PDF-1.4 dni"
    assert entry["file"] == f"documentos/{doc.id}-dni escaneado.pdf"
    event = session.exec(select(AuditEvent).where(
        AuditEvent.action == "export_personal_data")).one()
    assert (event.entity, event.entity_id, event.actor_id) == ("lead", lead.id,
                                                               people.comercial1.id)


def test_a_converted_lead_exports_with_its_contact(session: Session, people: People) -> None:
    lead = _lead(session, people.comercial1)
    result = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    contact_id = result["contact_id"] if isinstance(result, dict) else result.contact_id
    _, content = personal_data.export_person(session=session, actor=people.comercial1,
                                             entity="contact", record_id=contact_id)
    data = json.loads(zipfile.ZipFile(io.BytesIO(content)).read("datos.json"))
    assert [c["id"] for c in data["contacts"]] == [contact_id]
    assert [x["id"] for x in data["leads"]] == [lead.id]


def test_nobody_exports_or_anonymises_a_lead_out_of_their_scope(session: Session,
                                                                people: People) -> None:
    lead = _lead(session, people.comercial1)
    for actor in (people.comercial2, people.comercial3, people.manager2):
        with pytest.raises(NotFound):
            personal_data.export_person(session=session, actor=actor, entity="lead",
                                        record_id=lead.id)
        with pytest.raises(NotFound):
            personal_data.anonymise_person(session=session, actor=actor, entity="lead",
                                           record_id=lead.id)
    session.refresh(lead)
    assert lead.anonymised_at is None and lead.first_name == NAME
    # the team's manager and the company-wide roles may
    personal_data.export_person(session=session, actor=people.manager1, entity="lead",
                                record_id=lead.id)


# --- erasure -------------------------------------------------------------------------------


def test_anonymise_erases_the_person_keeps_the_quote_and_redacts_the_audit(
        session: Session, people: People) -> None:
    session.add_all([CustomFieldDef(entity="lead", key="aficion", label="Afición"),
                     CustomFieldDef(entity="lead", key="empleados", label="Empleados",
                                    type="number")])
    session.commit()
    lead = _lead(session, people.comercial1, custom={"aficion": "Pelota vasca",
                                                     "empleados": 12})
    act = Activity(subject=f"Visitar a {NAME}", description="Calle Mayor 3",
                   outcome=f"{NAME} acepta", lead_id=lead.id, owner_id=lead.owner_id,
                   team_id=lead.team_id)
    session.add(act)
    session.add(Alert(kind="stale", message=f"{NAME} sin contactar", lead_id=lead.id,
                      owner_id=lead.owner_id))
    session.commit()
    doc = _doc(session, lead, "dni.pdf", b"dni")
    doc_path = personal_data.document_path(doc)
    assert doc_path is not None and doc_path.exists()
    result = convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    contact_id = result["contact_id"] if isinstance(result, dict) else result.contact_id
    contact = session.get(Contact, contact_id)
    account = session.get(Account, contact.account_id)
    quote = Quote(number="P-2026-0007", year=2026, seq=7, account_id=account.id,
                  contact_id=contact.id, issue_date=date(2026, 11, 1),
                  valid_until=date(2026, 12, 1), base_total=Decimal("100.00"),
                  tax_total=Decimal("21.00"), total=Decimal("121.00"),
                  owner_id=lead.owner_id, team_id=lead.team_id)
    session.add(quote)
    session.commit()
    quote_doc = _doc(session, lead, "presupuesto.pdf", b"%PDF quote", quote_id=quote.id)
    account_name = account.name

    out = personal_data.anonymise_person(session=session, actor=people.comercial1,
                                         entity="lead", record_id=lead.id)
    assert out["leads"] == 1 and out["contacts"] == 1 and out["documents"] == 1
    session.expire_all()
    lead, contact = session.get(Lead, lead.id), session.get(Contact, contact_id)
    assert lead.anonymised_at is not None and contact.anonymised_at is not None
    assert (lead.first_name, lead.last_name, lead.email, lead.phone, lead.nif, lead.notes,
            lead.company) == ("Anonimizado", "", "", "", "", "", "")
    assert lead.custom == {"empleados": "12"}  # the free text went, the number stays
    assert (contact.first_name, contact.email, contact.phone) == ("Anonimizado", "", "")
    # the search index: the stored search text no longer holds the name
    for row in (lead, contact):
        assert "begona" not in row.search_text and "urrutia" not in row.search_text
    assert session.get(Document, doc.id) is None and not doc_path.exists()
    assert session.get(Document, quote_doc.id) is not None  # a quote's document is fiscal
    act = session.get(Activity, act.id)
    assert (act.subject, act.description, act.outcome) == ("Actividad anonimizada", "", "")
    assert "begona" not in act.search_text
    assert session.exec(select(Alert).where(Alert.lead_id == lead.id)).all() == []
    # the quote keeps its number, customer and totals
    quote = session.get(Quote, quote.id)
    assert (quote.number, quote.account_id, quote.total) == ("P-2026-0007", account.id,
                                                             Decimal("121.00"))
    assert session.get(Account, account.id).name == account_name
    # no audit entry of the person's rows holds the erased values any more (the customer
    # created by the conversion is the fiscal record: kept, see the module doc); the
    # anonymise event lists the fields only
    dump = json.dumps([(e.before, e.after, e.note) for e in session.exec(
        select(AuditEvent).where(AuditEvent.entity != "account")).all()], ensure_ascii=False)
    for value in (NAME, "begona@urrutia.es", "600112233", "12345678Z", "Pelota vasca",
                  "Calle Mayor"):
        assert value not in dump, value
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "anonymise",
                                                  AuditEvent.entity == "lead")).one()
    assert "email" in event.after["fields"] and "custom.aficion" in event.after["fields"]
    # irreversible and frozen
    with pytest.raises(Conflict):
        leads.update_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                          data={"first_name": NAME})
    with pytest.raises(Conflict):
        contacts.update_contact(session=session, actor=people.comercial1,
                                contact_id=contact.id, data={"first_name": NAME})
    with pytest.raises(Conflict):
        personal_data.anonymise_person(session=session, actor=people.comercial1,
                                       entity="lead", record_id=lead.id)


def test_anonymise_needs_the_delete_permission(session: Session, people: People,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from crm_app import permissions
    from crm_app.permissions import Perm

    lead = _lead(session, people.comercial1)
    monkeypatch.setitem(permissions.ROLE_PERMS, "comercial",
                        permissions.ROLE_PERMS["comercial"] - {Perm.RECORDS_DELETE})
    with pytest.raises(PermissionDenied):
        personal_data.anonymise_person(session=session, actor=people.comercial1,
                                       entity="lead", record_id=lead.id)


# --- retention -----------------------------------------------------------------------------


def _age(session: Session, lead: Lead, when: datetime) -> None:
    lead.created_at = lead.updated_at = when
    session.add(lead)
    session.commit()


def test_retention_anonymises_idle_discarded_leads_only(session: Session,
                                                        people: People) -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    old = datetime(2024, 11, 1, tzinfo=UTC)  # 25 months before
    idle = _lead(session, people.comercial1, status="descartado", discard_reason="Sin interés")
    busy = _lead(session, people.comercial1, status="descartado", discard_reason="Caro",
                 email="b@x.es")
    alive = _lead(session, people.comercial1, email="c@x.es")
    young = _lead(session, people.comercial1, status="descartado", discard_reason="No",
                  email="d@x.es")
    for lead in (idle, busy, alive):
        _age(session, lead, old)
    _age(session, young, datetime(2025, 6, 1, tzinfo=UTC))
    session.add(Activity(subject="Reintento", lead_id=busy.id, owner_id=busy.owner_id,
                         created_at=datetime(2026, 10, 1, tzinfo=UTC)))
    session.commit()

    assert personal_data.preview_retention(session=session, actor=people.admin, now=now) == 1
    assert personal_data.preview_retention(session=session, actor=people.admin, months=12,
                                           now=now) == 2  # young is 18 months idle
    with pytest.raises(PermissionDenied):
        personal_data.preview_retention(session=session, actor=people.comercial1)
    with pytest.raises(ValidationFailed) as bad:
        personal_data.set_retention(session=session, actor=people.admin, months=0)
    assert set(bad.value.errors) == {"lead_retention_months"}
    with pytest.raises(ValidationFailed):
        personal_data.set_retention(session=session, actor=people.admin, months=121)

    assert personal_data.run_retention(session=session, now=now) == 1
    session.expire_all()
    assert session.get(Lead, idle.id).anonymised_at is not None
    assert [session.get(Lead, x.id).anonymised_at for x in (busy, alive, young)] == [None] * 3
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "anonymise")).one()
    assert event.actor_id is None and "24 meses" in event.note  # the system, by the setting
    assert personal_data.run_retention(session=session, now=now) == 0  # idempotent

    personal_data.set_retention(session=session, actor=people.admin, months=12)
    assert session.exec(select(Organisation)).first().lead_retention_months == 12
    assert personal_data.run_retention(session=session, now=now) == 1  # young now


def test_the_retention_job_is_scheduled_every_night() -> None:
    entry = celery_app.conf.beat_schedule["personal-data-retention"]
    assert entry["task"] == "crm.core.personal_data_retention"
    import crm_app.worker.tasks_core  # noqa: F401  (registers the task)

    assert "crm.core.personal_data_retention" in celery_app.tasks


def test_the_retention_task_runs_in_process(session: Session, people: People) -> None:
    from crm_app.worker.tasks_core import personal_data_retention

    lead = _lead(session, people.comercial1, status="descartado", discard_reason="No")
    _age(session, lead, utcnow() - timedelta(days=800))
    assert personal_data_retention.run() == 1
    session.expire_all()
    assert session.get(Lead, lead.id).first_name == "Anonimizado"


def test_months_before_clamps_the_day() -> None:
    when = datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert personal_data.months_before(when, 1) == datetime(2026, 2, 28, 10, tzinfo=UTC)
    assert personal_data.months_before(when, 24) == datetime(2024, 3, 31, 10, tzinfo=UTC)
    assert personal_data.months_before(when, 13) == datetime(2025, 2, 28, 10, tzinfo=UTC)


def test_system_actor_anonymises_through_the_service_too(session: Session,
                                                         people: People) -> None:
    lead = _lead(session, people.comercial1)
    personal_data.anonymise_person(session=session, actor=SYSTEM, entity="lead",
                                   record_id=lead.id)
    assert session.get(Lead, lead.id).anonymised_at is not None


# --- import --------------------------------------------------------------------------------


def _import(session: Session, actor, text: str, entity: str = "leads", **kw):  # noqa: ANN001, ANN201
    from crm_app.services.importing import import_file

    return import_file(session=session, actor=actor, entity=entity, data=text.encode(),
                       filename="personas.csv", **kw)


def test_the_lead_import_maps_consent_columns_and_reports_bad_values(session: Session,
                                                                     people: People) -> None:
    text = ("Nombre;Correo electrónico;Base legal;Consentimiento comercial;Newsletter;"
            "Fecha del consentimiento;Medio del consentimiento;Texto del consentimiento\n"
            "Ana;ana@x.es;Consentimiento;sí;no;15/03/2024;web;Política v2\n"
            "Luis;luis@x.es;interés legítimo;;;;;\n"
            "Eva;eva@x.es;porque sí;quizá;;31/02/2024;paloma;\n"
            "Rosa;rosa@x.es;;x;;;;\n")
    result = _import(session, people.admin, text)
    assert result.created == 3
    assert [(e["row"], e["field"]) for e in result.errors] == [
        (4, "legal_basis"), (4, "consent_comercial"), (4, "consent_at"), (4, "consent_method")]
    assert "«porque sí»" in result.errors[0]["message"]
    got = {x.email: x for x in session.exec(select(Lead)).all()}
    assert set(got) == {"ana@x.es", "luis@x.es", "rosa@x.es"}
    ana = got["ana@x.es"]
    assert ana.legal_basis == "consentimiento"
    assert ana.consent["comercial"]["given"] is True
    assert ana.consent["comercial"]["method"] == "formulario_web"
    assert ana.consent["comercial"]["text"] == "Política v2"
    assert ana.consent["comercial"]["at"].startswith("2024-03-1")
    assert ana.consent["newsletter"]["given"] is False
    assert (got["luis@x.es"].legal_basis, got["luis@x.es"].consent) == ("interes_legitimo", {})
    rosa = got["rosa@x.es"].consent["comercial"]
    assert rosa["given"] is True and rosa["method"] == "importacion" and rosa["at"]


def test_an_update_import_merges_the_consent(session: Session, people: People) -> None:
    lead = _lead(session, people.admin, email="ana@x.es", consent={
        "newsletter": {"given": True, "method": "email"}})
    text = "Nombre;Correo electrónico;Consentimiento comercial\nBegoña;ana@x.es;sí\n"
    result = _import(session, people.admin, text, on_duplicate="update")
    assert result.updated == 1, result.errors
    session.expire_all()
    lead = session.get(Lead, lead.id)
    assert lead.consent["comercial"]["given"] is True
    assert lead.consent["newsletter"]["given"] is True  # kept


def test_the_contact_import_maps_the_legal_basis(session: Session, people: People) -> None:
    text = "Nombre;Correo electrónico;Base legal;Newsletter\nIker;iker@x.es;contrato;si\n"
    result = _import(session, people.admin, text, entity="contacts")
    assert result.created == 1, result.errors
    contact = session.exec(select(Contact)).one()
    assert contact.legal_basis == "contrato" and contact.consent["newsletter"]["given"] is True


def test_an_anonymised_lead_cannot_be_converted(session: Session, people: People) -> None:
    from crm_app.services.conversion import conversion_preview

    lead = _lead(session, people.comercial1)
    personal_data.anonymise_person(session=session, actor=people.comercial1, entity="lead",
                                   record_id=lead.id)
    with pytest.raises(Conflict):
        convert_lead(session=session, actor=people.comercial1, lead_id=lead.id)
    preview = conversion_preview(session=session, actor=people.comercial1, lead_id=lead.id)
    assert "anonimizado" in preview["blocked"]
    assert session.exec(select(Account)).all() == []
