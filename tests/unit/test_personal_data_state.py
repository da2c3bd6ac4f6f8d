"""The "Datos personales (RGPD)" card of the lead page, driven in-process like a browser
tab: it shows the stored consent (dates dd/mm/aaaa in Madrid), saves through the lead
service with inline errors, keeps an untouched date as stored, anonymises, and a forged
event on someone else's lead changes nothing."""

from __future__ import annotations

from state_harness import run, tab

from crm_app.services import leads as svc
from crm_app.state_mixins.personal_data import NONE
from pages.leads import LeadRecordState


def _toast(events) -> str:  # noqa: ANN001
    return " ".join(str(e) for e in events if "toast" in str(e).lower())


def _lead(session, people, owner):  # noqa: ANN001, ANN202
    return svc.create_lead(session=session, actor=people.admin, data={
        "first_name": "Nerea", "email": "nerea@x.es", "owner_id": owner.id,
        "legal_basis": "consentimiento",
        "consent": {"comercial": {"given": True, "at": "2026-11-20T23:30:00Z",
                                  "method": "formulario_web", "text": "v1"}}})


def test_the_card_shows_saves_and_reports_errors(session, people) -> None:  # noqa: ANN001
    lead = _lead(session, people, people.comercial1)
    r = tab(LeadRecordState, people.comercial1, path=f"/leads/{lead.id}")
    run(r.load())
    assert r.found and r.pd_basis == "consentimiento" and r.pd_com_given
    assert r.pd_com_at == "21/11/2026"  # 23:30 UTC is past midnight in Madrid
    assert (r.pd_news_given, r.pd_news_method) == (False, NONE)
    assert r.export_href == f"/api/v1/leads/{lead.id}/export"

    r.set_pd_news_given(True)
    r.set_pd_news_method("telefono")
    r.set_pd_com_text("v2")
    out = run(r.save_consent())
    assert "Consentimiento guardado." in _toast(out)
    session.expire_all()
    stored = svc.get_lead(session=session, actor=people.admin, lead_id=lead.id)
    assert stored.consent["newsletter"]["given"] is True
    assert stored.consent["newsletter"]["method"] == "telefono"
    assert stored.consent["comercial"]["text"] == "v2"
    assert stored.consent["comercial"]["at"] == "2026-11-20T23:30:00Z"  # untouched date kept

    r.set_pd_com_at("31/02/2026")
    run(r.save_consent())
    assert r.pd_errors == {"consent.comercial.at": "Fecha no válida: usa dd/mm/aaaa o una "
                                                   "fecha ISO 8601."}
    session.expire_all()
    assert svc.get_lead(session=session, actor=people.admin,
                        lead_id=lead.id).consent["comercial"]["text"] == "v2"


def test_anonymise_from_the_page_and_forged_events(session, people) -> None:  # noqa: ANN001
    lead = _lead(session, people, people.comercial1)
    other = tab(LeadRecordState, people.comercial3, path=f"/leads/{lead.id}")
    run(other.load())
    assert not other.found
    other.record_id = lead.id  # forged: a tab that never could open the lead
    out = run(other.anonymise())
    assert "no encontrado" in _toast(out).lower()
    session.expire_all()
    assert svc.get_lead(session=session, actor=people.admin, lead_id=lead.id).anonymised_at \
        is None

    r = tab(LeadRecordState, people.comercial1, path=f"/leads/{lead.id}")
    run(r.load())
    out = run(r.anonymise())
    assert "Persona anonimizada." in _toast(out)
    assert r.pd_anonymised.startswith("Anonimizado el ")
    assert r.lead["name"] == "Anonimizado" and r.lead["email"] == ""
    assert r.timeline[0]["title"] == "Anonimizado" and r.timeline[0]["icon"] == "user-x"
    out = run(r.save_consent())  # the card is read-only now; the service refuses too
    assert "anonimizado" in _toast(out).lower()


def test_the_retention_screen_previews_validates_and_saves(session, people) -> None:  # noqa: ANN001
    from datetime import timedelta

    from sqlmodel import select

    from crm_app.models import Lead, Organisation, utcnow
    from pages.settings import PersonalDataSettingsState

    lead = svc.create_lead(session=session, actor=people.admin, data={
        "first_name": "Old", "email": "old@x.es", "status": "descartado",
        "discard_reason": "No"})
    lead = session.get(Lead, lead.id)
    lead.created_at = lead.updated_at = utcnow() - timedelta(days=400)  # ~13 months
    session.add(lead)
    session.commit()
    s = tab(PersonalDataSettingsState, people.admin, path="/ajustes/datos-personales")
    run(s.check_admin())
    run(s.load())
    assert (s.months, s.preview) == ("24", "Con este plazo se anonimizarían 0 leads.")
    run(s.change_months("12"))
    assert s.preview == "Con este plazo se anonimizaría 1 lead." and s.errors == {}
    run(s.change_months("0"))
    assert s.errors == {"lead_retention_months": "Indica un número de meses entre 1 y 120."}
    assert s.preview == ""
    out = run(s.save())
    assert s.errors and "guardado" not in _toast(out)
    run(s.change_months("12"))
    out = run(s.save())
    assert "Plazo de conservación guardado." in _toast(out)
    session.expire_all()
    assert session.exec(select(Organisation)).first().lead_retention_months == 12

    c = tab(PersonalDataSettingsState, people.comercial1, path="/ajustes/datos-personales")
    out = run(c.save())  # forged
    assert "permiso" in _toast(out)


def test_the_contact_dialog_records_consent_and_anonymises(session, people) -> None:  # noqa: ANN001
    from sqlmodel import select

    from crm_app.models import Contact
    from crm_app.services import accounts
    from pages.accounts import AccountRecordState

    acc = accounts.create_account(session=session, actor=people.comercial1,
                                  data={"name": "Bar Pepe S.L.", "province": "Madrid"})
    s = tab(AccountRecordState, people.comercial1, path=f"/clientes/{acc.id}")
    run(s.load())
    s.new_contact()
    s.set_contact_value("first_name", "Marta")
    s.set_contact_value("email", "marta@bar.es")
    s.set_pd_basis("porque")  # forged: not an option
    out = run(s.save_contact())
    assert "legal_basis" in s.contact_errors and s.contact_open
    s.set_pd_basis("contrato")
    s.set_pd_news_given(True)
    s.set_pd_news_method("en_persona")
    out = run(s.save_contact())
    assert not s.contact_open, out
    contact = session.exec(select(Contact)).one()
    assert contact.legal_basis == "contrato"
    assert contact.consent["newsletter"]["given"] is True
    assert contact.consent["newsletter"]["method"] == "en_persona"

    run(s.edit_contact(str(contact.id)))
    assert (s.pd_basis, s.pd_news_given) == ("contrato", True)
    assert s.contact_export_href == f"/api/v1/contacts/{contact.id}/export"
    out = run(s.anonymise_contact())
    assert "Persona anonimizada." in _toast(out) and not s.contact_open
    session.expire_all()
    contact = session.get(Contact, contact.id)
    assert (contact.first_name, contact.email, contact.anonymised_at is not None) == (
        "Anonimizado", "", True)
    run(s.edit_contact(str(contact.id)))
    assert s.pd_anonymised.startswith("Anonimizado el ")


def test_the_export_button_asks_the_limit_first(session, people, monkeypatch) -> None:  # noqa: ANN001
    """Before: the button downloaded the API route straight away, so a refusal (429) was saved
    as the "ZIP". Now the server checks the hourly limit: a download, or a toast that says so."""
    from crm_app.models import AuditEvent, utcnow
    from crm_app.services import personal_data

    monkeypatch.setattr(personal_data, "EXPORTS_PER_HOUR", 1)
    lead = _lead(session, people, people.comercial1)
    r = tab(LeadRecordState, people.comercial1, path=f"/leads/{lead.id}")
    run(r.load())
    out = run(r.export_person())
    assert any("download" in str(e) and f"/api/v1/leads/{lead.id}/export" in str(e)
               for e in out), out
    session.add(AuditEvent(at=utcnow(), actor_id=people.comercial1.id, entity="lead",
                           entity_id=lead.id, action="export_personal_data"))
    session.commit()
    out = run(r.export_person())
    assert not any("download" in str(e) for e in out), out
    assert "exportaciones de datos personales por hora" in _toast(out), out
