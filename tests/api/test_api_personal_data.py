"""Personal data over HTTP (issue 12): consent in the lead/contact schemas, the access
export ZIP, anonymisation and the retention setting; scoped (404 out of scope, 403 without
the permission), field errors as 422, every action audited."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator

import pytest
from api_harness import Api, serve_with_people
from sqlmodel import Session, select

from crm_app.models import AuditEvent, Lead

LEAD = {"first_name": "Ainhoa", "last_name": "Etxeberria", "email": "ainhoa@etx.eus",
        "phone": "600 44 55 66", "legal_basis": "consentimiento",
        "consent": {"comercial": {"given": True, "at": "2026-11-20T09:30:00Z",
                                  "method": "formulario_web", "text": "Privacidad v2"}}}


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path) as served:
        yield served


def _lead(api: Api, who: str = "comercial1", **kw) -> dict:  # noqa: ANN003
    r = api.request(who, "POST", "/api/v1/leads", json={**LEAD, **kw})
    assert r.status_code == 201, r.text
    return r.json()


def test_consent_travels_in_the_lead_and_contact_schemas(api: Api) -> None:
    lead = _lead(api)
    assert lead["legal_basis"] == "consentimiento"
    assert lead["consent"]["comercial"] == {"given": True, "at": "2026-11-20T09:30:00Z",
                                            "method": "formulario_web", "text": "Privacidad v2"}
    assert lead["anonymised_at"] is None
    r = api.request("comercial1", "PATCH", f"/api/v1/leads/{lead['id']}",
                    json={"consent": {"newsletter": {"given": False, "method": "telefono"}}})
    assert r.status_code == 200, r.text
    assert set(r.json()["consent"]) == {"comercial", "newsletter"}
    bad = api.request("comercial1", "PATCH", f"/api/v1/leads/{lead['id']}",
                      json={"legal_basis": "porque sí"})
    assert bad.status_code == 422 and "legal_basis" in bad.json()["errors"]
    bad = api.request("comercial1", "PATCH", f"/api/v1/leads/{lead['id']}",
                      json={"consent": {"spam": {"given": True}}})
    assert bad.status_code == 422, bad.text
    r = api.request("comercial1", "POST", "/api/v1/contacts", json={
        "first_name": "Xabi", "email": "xabi@etx.eus", "legal_basis": "contrato",
        "consent": {"newsletter": {"given": True, "method": "en_persona"}}})
    assert r.status_code == 201, r.text
    assert r.json()["legal_basis"] == "contrato"
    assert r.json()["consent"]["newsletter"]["given"] is True


def test_export_is_a_zip_scoped_and_audited(api: Api) -> None:
    lead = _lead(api)
    r = api.request("comercial1", "GET", f"/api/v1/leads/{lead['id']}/export")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    assert "attachment" in r.headers["content-disposition"]
    data = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("datos.json"))
    assert data["leads"][0]["email"] == "ainhoa@etx.eus"
    # someone else's lead: not found, nothing exported
    assert api.request("comercial3", "GET",
                       f"/api/v1/leads/{lead['id']}/export").status_code == 404
    assert api.request("comercial2", "GET",
                       f"/api/v1/leads/{lead['id']}/export").status_code == 404
    assert api.request("comercial1", "GET", "/api/v1/contacts/999/export").status_code == 404
    with Session(api.engine) as s:
        events = s.exec(select(AuditEvent).where(
            AuditEvent.action == "export_personal_data")).all()
    assert [(e.entity, e.entity_id) for e in events] == [("lead", lead["id"])]


def test_anonymise_over_http(api: Api) -> None:
    lead = _lead(api)
    assert api.request("comercial3", "POST",
                       f"/api/v1/leads/{lead['id']}/anonymise").status_code == 404
    r = api.request("comercial1", "POST", f"/api/v1/leads/{lead['id']}/anonymise")
    assert r.status_code == 200, r.text
    assert r.json()["leads"] == 1
    got = api.request("comercial1", "GET", f"/api/v1/leads/{lead['id']}").json()
    assert (got["first_name"], got["email"], got["phone"]) == ("Anonimizado", "", "")
    assert got["anonymised_at"] is not None
    again = api.request("comercial1", "POST", f"/api/v1/leads/{lead['id']}/anonymise")
    assert again.status_code == 409, again.text
    edit = api.request("comercial1", "PATCH", f"/api/v1/leads/{lead['id']}",
                       json={"first_name": "Ainhoa"})
    assert edit.status_code == 409, edit.text
    contact = api.request("comercial1", "POST", "/api/v1/contacts",
                          json={"first_name": "Xabi", "email": "xabi@etx.eus"}).json()
    r = api.request("comercial1", "POST", f"/api/v1/contacts/{contact['id']}/anonymise")
    assert r.status_code == 200, r.text
    assert api.request("comercial1", "GET",
                       f"/api/v1/contacts/{contact['id']}").json()["email"] == ""
    with Session(api.engine) as s:
        assert s.get(Lead, lead["id"]).search_text.startswith("anonimizado")


def test_retention_setting_and_preview_are_for_admins(api: Api) -> None:
    r = api.request("admin", "GET", "/api/v1/personal-data/retention")
    assert r.status_code == 200, r.text
    assert r.json() == {"lead_retention_months": 24, "would_anonymise": 0}
    r = api.request("admin", "PUT", "/api/v1/personal-data/retention",
                    json={"lead_retention_months": 6})
    assert r.status_code == 200 and r.json()["lead_retention_months"] == 6
    for months in (0, 121, "muchos"):
        bad = api.request("admin", "PUT", "/api/v1/personal-data/retention",
                          json={"lead_retention_months": months})
        assert bad.status_code == 422 and "lead_retention_months" in bad.json()["errors"]
    for who in ("director", "manager1", "comercial1"):
        assert api.request(who, "GET", "/api/v1/personal-data/retention").status_code == 403
        assert api.request(who, "PUT", "/api/v1/personal-data/retention",
                           json={"lead_retention_months": 12}).status_code == 403


def test_exports_are_limited_per_user_and_hour(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from crm_app.services import personal_data

    monkeypatch.setattr(personal_data, "EXPORTS_PER_HOUR", 2)
    lead = _lead(api)
    for _ in range(2):
        assert api.request("comercial1", "GET",
                           f"/api/v1/leads/{lead['id']}/export").status_code == 200
    r = api.request("comercial1", "GET", f"/api/v1/leads/{lead['id']}/export")
    assert r.status_code == 429, r.text
    assert "por hora" in r.json()["detail"] and int(r.headers["retry-after"]) > 3000
    # another user has their own allowance
    assert api.request("admin", "GET", f"/api/v1/leads/{lead['id']}/export").status_code == 200
