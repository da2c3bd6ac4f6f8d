"""/api/v1/company (issue 12): admins read and change the company with the issue's keys, the
SMTP password is write-only, bad NIF/IBAN/creditor id are 422 field errors, every change is
audited, the logo is served to signed-in users only, the test e-mail reaches the SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Api, serve_with_people
from smtp_inbox import local_smtp
from sqlmodel import Session, select

from crm_app.models import AuditEvent, Organisation

KEYS = {"legal_name", "trade_name", "nif", "address", "postal_code", "city", "province",
        "country", "phone", "email", "website", "fiscal_year_start_month",
        "default_tax_rate", "payment_terms_days", "quote_validity_days", "iban",
        "sepa_creditor_id", "smtp"}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005d8d7a4c0000000049454e44ae426082")
BODY = {"legal_name": "Talleres Ebro, S.L.", "trade_name": "Ebro Motor", "nif": "B12345674",
        "address": "Calle del Coso, 42", "postal_code": "50001", "city": "Zaragoza",
        "province": "Zaragoza", "country": "ES", "phone": "976123456",
        "email": "hola@ebromotor.es", "website": "https://www.ebromotor.es",
        "fiscal_year_start_month": 9, "default_tax_rate": "21", "payment_terms_days": 45,
        "quote_validity_days": 20, "iban": "ES9121000418450200051332",
        "sepa_creditor_id": "ES11ZZZB12345674",
        "smtp": {"host": "smtp.ebromotor.es", "port": 587, "user": "crm@ebromotor.es",
                 "password": "clave-smtp-secreta", "starttls": True,
                 "from": "Ebro Motor <crm@ebromotor.es>"}}


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path) as served:
        yield served


def test_get_and_put_with_the_issue_keys_and_a_write_only_password(api: Api) -> None:
    r = api.request("admin", "GET", "/api/v1/company")
    assert r.status_code == 200, r.text
    assert set(r.json()) == KEYS
    assert r.json()["legal_name"] == "Demo Pruebas S.L."
    assert r.json()["smtp"]["password_set"] is False

    r = api.request("admin", "PUT", "/api/v1/company", json=BODY)
    assert r.status_code == 200, r.text
    out = r.json()
    assert set(out) == KEYS
    assert (out["fiscal_year_start_month"], out["payment_terms_days"], out["phone"]) == (
        9, 45, "+34976123456")
    assert out["default_tax_rate"] == "21.00"
    assert out["smtp"] == {"host": "smtp.ebromotor.es", "port": 587, "user": "crm@ebromotor.es",
                           "starttls": True, "from": "Ebro Motor <crm@ebromotor.es>",
                           "password_set": True}
    assert "clave-smtp-secreta" not in r.text
    again = api.request("admin", "GET", "/api/v1/company")
    assert again.json() == out and "clave-smtp-secreta" not in again.text

    # only what is sent changes; the password stays unless sent
    r = api.request("admin", "PUT", "/api/v1/company",
                    json={"city": "Huesca", "province": "Huesca", "postal_code": "22001",
                          "smtp": {"port": 465, "starttls": False}})
    assert r.status_code == 200, r.text
    assert (r.json()["legal_name"], r.json()["city"]) == ("Talleres Ebro, S.L.", "Huesca")
    assert r.json()["smtp"]["password_set"] is True and r.json()["smtp"]["port"] == 465
    r = api.request("admin", "PUT", "/api/v1/company", json={"smtp": {"password": ""}})
    assert r.json()["smtp"]["password_set"] is False


def test_every_change_is_audited_without_the_password(api: Api) -> None:
    assert api.request("admin", "PUT", "/api/v1/company", json=BODY).status_code == 200
    with Session(api.engine) as s:
        [event] = s.exec(select(AuditEvent).where(AuditEvent.entity == "organisation")).all()
    assert event.actor_id == api.user("admin@test.crm").id
    assert (event.before["legal_name"], event.after["legal_name"]) == (
        "Demo Pruebas S.L.", "Talleres Ebro, S.L.")
    assert "nif" not in event.after  # unchanged fields are not listed
    assert event.after["smtp_password"] == "***"
    assert "clave-smtp-secreta" not in repr((event.before, event.after))
    with Session(api.engine) as s:
        stored = s.exec(select(Organisation)).one()
    assert stored.smtp_password_enc and "clave-smtp-secreta" not in stored.smtp_password_enc


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"nif": "B12345678"}, "nif", "NIF/CIF/NIE no válido"),
    ({"iban": "ES9121000418450200051333"}, "iban", "IBAN no válido"),
    ({"sepa_creditor_id": "ES00ZZZB12345674"}, "sepa_creditor_id", "acreedor SEPA"),
    ({"email": "no-es-un-correo"}, "email", "Correo electrónico no válido."),
    ({"default_tax_rate": "7"}, "default_tax_rate", "Tipo de IVA no válido"),
    ({"fiscal_year_start_month": 13}, "fiscal_year_start_month", "Debe ser como máximo 12."),
    ({"fiscal_year_start_month": 0}, "fiscal_year_start_month", "Debe ser como mínimo 1."),
    ({"payment_terms_days": 100000}, "payment_terms_days", "Debe ser como máximo 365."),
    ({"quote_validity_days": -1}, "quote_validity_days", "Debe ser como mínimo 1."),
    ({"smtp": {"port": 0}}, "smtp.port", "Debe ser como mínimo 1."),
    ({"smtp": {"port": 2**70}}, "smtp.port", "Debe ser como máximo 65535."),
    ({"smtp": {"from": "sin arroba"}}, "smtp_from", "Remitente no válido"),
    ({"smtp": {"password": "x" * 300}}, "smtp.password", "Máximo 256 caracteres."),
    ({"brand_color": "#fff"}, "brand_color", "Campo desconocido."),
    ({"smtp": {"pass": "x"}}, "smtp.pass", "Campo desconocido."),
])
def test_bad_values_are_422_with_the_field_named(api: Api, body, field, message) -> None:  # noqa: ANN001
    r = api.request("admin", "PUT", "/api/v1/company", json=body)
    assert r.status_code == 422, r.text
    assert set(r.json()) == {"detail", "errors"}
    assert message in r.json()["errors"][field], r.json()
    assert api.request("admin", "GET", "/api/v1/company").json()["nif"] == "B12345674"


@pytest.mark.parametrize("who", ["director", "manager1", "comercial1"])
def test_other_roles_get_403(api: Api, who: str) -> None:
    assert api.request(who, "GET", "/api/v1/company").status_code == 403
    assert api.request(who, "PUT", "/api/v1/company",
                       json={"legal_name": "Mía S.L."}).status_code == 403
    assert api.request(who, "POST", "/api/v1/company/logo",
                       files={"logo": ("l.png", PNG, "image/png")}).status_code == 403
    assert api.request(who, "DELETE", "/api/v1/company/logo").status_code == 403
    assert api.request(who, "POST", "/api/v1/company/test-email", json={}).status_code == 403
    assert api.request(None, "GET", "/api/v1/company").status_code == 401
    assert api.request("admin", "GET", "/api/v1/company").json()["legal_name"] == \
        "Demo Pruebas S.L."


def test_the_logo_is_uploaded_by_admins_and_served_to_signed_in_users(api: Api,
                                                                     tmp_path) -> None:  # noqa: ANN001
    assert api.request("comercial1", "GET", "/api/v1/company/logo").status_code == 404
    bad = api.request("admin", "POST", "/api/v1/company/logo",
                      files={"logo": ("l.png", b"GIF89a....", "image/png")})
    assert bad.status_code == 422 and bad.json()["errors"] == {
        "logo": "El logotipo debe ser una imagen PNG o JPEG."}
    r = api.request("admin", "POST", "/api/v1/company/logo",
                    files={"logo": ("logo.txt", PNG, "text/plain")})
    assert r.status_code == 200, r.text
    assert r.json()["url"].startswith("/api/v1/company/logo?v=")
    assert (tmp_path / "data" / "company" / "logo.png").read_bytes() == PNG
    got = api.request("comercial1", "GET", "/api/v1/company/logo")
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-type"] == "image/png"
    assert got.headers["cache-control"].startswith("private")
    assert api.request(None, "GET", "/api/v1/company/logo").status_code == 401
    assert api.request("admin", "DELETE", "/api/v1/company/logo").status_code == 204
    assert api.request("comercial1", "GET", "/api/v1/company/logo").status_code == 404


def test_the_test_email_goes_through_the_configured_server(api: Api) -> None:
    with local_smtp("Env <env@crm.es>") as (inbox, settings):
        r = api.request("admin", "PUT", "/api/v1/company", json={"smtp": {
            "host": "127.0.0.1", "port": settings.smtp_port, "starttls": False,
            "from": "Demo <crm@demo-pruebas.es>"}})
        assert r.status_code == 200, r.text
        r = api.request("admin", "POST", "/api/v1/company/test-email",
                        json={"to": "yo@demo-pruebas.es"})
        assert r.status_code == 200, r.text
        assert r.json() == {"to": "yo@demo-pruebas.es"}
        [(rcpts, msg)] = inbox.messages
        assert rcpts == ["yo@demo-pruebas.es"] and msg["From"] == "Demo <crm@demo-pruebas.es>"
    # the server is gone: a 400 with the reason, in Spanish
    r = api.request("admin", "POST", "/api/v1/company/test-email", json={})
    assert r.status_code == 400 and "No se pudo enviar el correo" in r.json()["detail"]
