"""Ajustes → Empresa through the service (issue 12): validation per field in Spanish, the SMTP
password write-only and encrypted, the logo in the data dir, the company's SMTP server used by
the mailer (a real local SMTP server), the audit trail, and a PostgreSQL round trip."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
import sales_support as build
from smtp_inbox import Inbox, local_smtp
from sqlmodel import Session, delete, select

from crm_app.models import AuditEvent, Organisation
from crm_app.permissions import PermissionDenied
from crm_app.services import organisation as org_service
from crm_app.services import quotes, secret_box
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import DomainError, NotFound, ValidationFailed
from crm_app.settings import get_settings

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005d8d7a4c0000000049454e44ae426082")
FULL = {
    "legal_name": "Talleres Ebro, S.L.", "trade_name": "Ebro Motor", "nif": "b-12345674",
    "address": "Calle del Coso, 42", "postal_code": "50001", "city": "Zaragoza",
    "province": "zaragoza", "country": "es", "phone": "976 123 456",
    "email": "Hola@EbroMotor.es", "website": "www.ebromotor.es",
    "fiscal_year_start_month": 7, "default_tax_rate": "10", "payment_terms_days": 60,
    "quote_validity_days": 15, "quote_series": "pr", "invoice_series": "F",
    "credit_note_series": "R", "simplified_series": "T",
    "iban": "es91 2100 0418 4502 0005 1332", "sepa_creditor_id": "ES11 ZZZ B12345674",
    "brand_color": "#B91C1C", "smtp_host": "SMTP.ebromotor.es", "smtp_port": 465,
    "smtp_user": "crm@ebromotor.es", "smtp_password": "s3cr3t-smtp",
    "smtp_starttls": False, "smtp_from": "Ebro Motor <crm@ebromotor.es>",
}


def _update(session: Session, actor, **data):  # noqa: ANN001, ANN202
    return org_service.update_company(session=session, actor=actor, data=data)


def test_an_admin_sets_every_field_normalised(session, people):
    org = _update(session, people.admin, **FULL)
    view = org_service.company(session=session, actor=people.admin)
    assert view["nif"] == "B12345674" and view["province"] == "Zaragoza"
    assert (view["country"], view["phone"], view["email"]) == ("ES", "+34976123456",
                                                               "hola@ebromotor.es")
    assert view["website"] == "https://www.ebromotor.es"
    assert view["iban"] == "ES91 2100 0418 4502 0005 1332" and org.iban == \
        "ES9121000418450200051332"
    assert view["sepa_creditor_id"] == "ES11ZZZB12345674"
    assert (view["quote_series"], view["simplified_series"]) == ("PR", "T")
    assert view["default_tax_rate"] == Decimal("10.00")
    assert (view["fiscal_year_start_month"], view["payment_terms_days"],
            view["quote_validity_days"]) == (7, 60, 15)
    assert (view["brand_color"], view["smtp_host"], view["smtp_port"]) == (
        "#b91c1c", "smtp.ebromotor.es", 465)
    assert view["smtp_password_set"] is True and "smtp_password" not in view
    # stored encrypted under the secret key, never as typed
    assert "s3cr3t" not in org.smtp_password_enc
    assert secret_box.decrypt(org.smtp_password_enc,
                              purpose=org_service.SMTP_PURPOSE) == "s3cr3t-smtp"


def test_the_public_shape_has_the_issue_keys_and_no_password(session, people):
    _update(session, people.admin, **FULL)
    out = org_service.company_public(session=session, actor=people.admin)
    assert set(out) == {
        "legal_name", "trade_name", "nif", "address", "postal_code", "city", "province",
        "country", "phone", "email", "website", "fiscal_year_start_month",
        "default_tax_rate", "payment_terms_days", "quote_validity_days", "iban",
        "sepa_creditor_id", "smtp"}
    assert out["smtp"] == {"host": "smtp.ebromotor.es", "port": 465,
                           "user": "crm@ebromotor.es", "starttls": False,
                           "from": "Ebro Motor <crm@ebromotor.es>", "password_set": True}
    assert "s3cr3t" not in repr(out)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("nif", "B12345678", "NIF/CIF/NIE no válido"),
    ("nif", "123", "NIF/CIF/NIE no válido"),
    ("iban", "ES91 2100 0418 4502 0005 1333", "IBAN no válido"),
    ("sepa_creditor_id", "ES12ZZZB12345674", "acreedor SEPA no válido"),
    ("email", "hola@", "Correo electrónico no válido."),
    ("fiscal_year_start_month", 13, "del 1 al 12"),
    ("fiscal_year_start_month", 0, "del 1 al 12"),
    ("fiscal_year_start_month", "enero", "del 1 al 12"),
    ("payment_terms_days", 366, "Debe estar entre 0 y 365."),
    ("payment_terms_days", -1, "Debe estar entre 0 y 365."),
    ("quote_validity_days", 0, "Debe estar entre 1 y 365."),
    ("quote_validity_days", 10**30, "Debe estar entre 1 y 365."),
    ("smtp_port", 70000, "Debe estar entre 1 y 65535."),
    ("default_tax_rate", "7", "Tipo de IVA no válido"),
    ("default_tax_rate", "1e999999", "Tipo de IVA no válido"),
    ("quote_series", "P-1", "Serie no válida"),
    ("quote_series", "", "Serie no válida"),
    ("credit_note_series", "F", "debe ser distinta"),
    ("brand_color", "rojo", "#RRGGBB"),
    ("website", "no es una web", "Dirección web no válida"),
    ("postal_code", "5000", "5 cifras"),
    ("province", "Atlántida", "Provincia desconocida"),
    ("country", "España", "código de dos letras"),
    ("phone", "12", "Teléfono no válido"),
    ("legal_name", "  ", "Obligatorio."),
    ("legal_name", "x" * 201, "Como máximo 200 caracteres."),
    ("smtp_from", "CRM <no-es-correo>", "Remitente no válido"),
    ("smtp_from", "a@b.es\r\nBcc: x@y.es", "Remitente no válido"),
    ("smtp_host", "smtp server", "Servidor no válido"),
    ("smtp_password", "x" * 257, "Como máximo 256"),
    ("colour", "#000000", "Campo desconocido."),
])
def test_each_bad_field_is_refused_with_its_spanish_message(session, people, field, value,
                                                            message):
    _update(session, people.admin, **{k: v for k, v in FULL.items() if k != "smtp_password"})
    before = session.exec(select(Organisation)).one().model_dump()
    with pytest.raises(ValidationFailed) as caught:
        _update(session, people.admin, **{field: value})
    assert message in caught.value.errors[field], caught.value.errors
    session.rollback()
    assert session.exec(select(Organisation)).one().model_dump() == before


def test_a_host_without_a_sender_is_refused(session, people):
    with pytest.raises(ValidationFailed) as caught:
        _update(session, people.admin, smtp_host="smtp.example.es")
    assert caught.value.errors == {"smtp_from": "Indica el remitente de los correos."}


def test_a_foreign_company_keeps_its_own_tax_id_and_postcode(session, people):
    org = _update(session, people.admin, country="PT", nif="PT501964843",
                  postal_code="1000-001", province="Lisboa")
    assert (org.country, org.nif, org.postal_code, org.province) == (
        "PT", "PT501964843", "1000-001", "Lisboa")


def test_only_admins_and_the_system_change_it(session, people):
    for who in (people.director, people.manager1, people.comercial1):
        with pytest.raises(PermissionDenied):
            _update(session, who, legal_name="Otra S.L.")
        with pytest.raises(PermissionDenied):
            org_service.company(session=session, actor=who)
        with pytest.raises(PermissionDenied):
            org_service.set_logo(session=session, actor=who, content=PNG)
        with pytest.raises(PermissionDenied):
            org_service.send_test_email(session=session, actor=who, to="a@b.es")
    org = _update(session, SYSTEM, legal_name="Sistema S.L.")
    assert org.legal_name == "Sistema S.L."


def test_a_partial_change_keeps_the_rest_and_the_password_is_write_only(session, people):
    _update(session, people.admin, **FULL)
    org = _update(session, people.admin, city="Huesca", province="Huesca", postal_code="22001",
                  smtp_password=None)
    assert (org.legal_name, org.city, org.iban) == ("Talleres Ebro, S.L.", "Huesca",
                                                    "ES9121000418450200051332")
    assert secret_box.decrypt(org.smtp_password_enc, purpose=org_service.SMTP_PURPOSE) \
        == "s3cr3t-smtp"
    org = _update(session, people.admin, smtp_password="")
    assert org.smtp_password_enc == ""
    assert org_service.company(session=session, actor=people.admin)["smtp_password_set"] \
        is False


def test_a_postal_code_fills_a_blank_province(session, people):
    org = _update(session, people.admin, postal_code="08001", province="")
    assert org.province == "Barcelona"


def test_each_change_is_audited_with_the_password_redacted(session, people):
    _update(session, people.admin, **FULL)
    _update(session, people.admin, smtp_password="otra-clave", phone="976000000")
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "organisation")
                          .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["update", "update"]
    first, second = events
    assert first.actor_id == people.admin.id
    assert first.before["legal_name"] == "Demo Pruebas S.L."
    assert first.after["legal_name"] == "Talleres Ebro, S.L."
    assert (first.before["smtp_password"], first.after["smtp_password"]) == ("", "***")
    assert second.after == {"phone": "+34976000000", "smtp_password": "*** (cambiada)"}
    assert "smtp_password_enc" not in first.after
    everything = repr([(e.before, e.after) for e in events])
    assert "s3cr3t" not in everything and "otra-clave" not in everything
    # nothing changed: nothing audited
    _update(session, people.admin, legal_name="Talleres Ebro, S.L.")
    assert len(session.exec(select(AuditEvent).where(
        AuditEvent.entity == "organisation")).all()) == 2


def test_a_new_install_gets_its_company_row_from_the_first_save(session, people):
    session.exec(delete(Organisation))
    session.commit()
    org = _update(session, people.admin, legal_name="Nueva S.L.", nif="B12345674")
    assert org.id is not None
    assert (org.legal_name, org.quote_series, org.default_tax_rate, org.country) == (
        "Nueva S.L.", "P", Decimal("21.00"), "ES")
    assert len(session.exec(select(Organisation)).all()) == 1


# --- logo -------------------------------------------------------------------------------------


def test_the_logo_is_stored_in_the_data_dir_and_served_to_signed_in_users(session, people):
    assert org_service.logo_url(session=session) == ""
    org = org_service.set_logo(session=session, actor=people.admin, content=PNG)
    assert org.logo_path == "company/logo.png"
    assert (get_settings().data_dir / "company" / "logo.png").read_bytes() == PNG
    assert org_service.logo_url(session=session).startswith("/api/v1/company/logo?v=")
    for who in people.all():
        assert org_service.company_logo(session=session, actor=who) == (PNG, "image/png")
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    org = org_service.set_logo(session=session, actor=people.admin, content=jpeg)
    assert org.logo_path == "company/logo.jpg"
    assert not (get_settings().data_dir / "company" / "logo.png").exists()
    org_service.remove_logo(session=session, actor=people.admin)
    with pytest.raises(NotFound):
        org_service.company_logo(session=session, actor=people.comercial1)
    assert org_service.logo_url(session=session) == ""


def test_an_inactive_user_does_not_get_the_logo(session, people):
    org_service.set_logo(session=session, actor=people.admin, content=PNG)
    people.comercial1.active = False
    with pytest.raises(PermissionDenied):
        org_service.company_logo(session=session, actor=people.comercial1)


@pytest.mark.parametrize(("content", "message"), [
    (b"GIF89a" + b"\x00" * 10, "PNG o JPEG"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "PNG o JPEG"),
    (PNG + b"\x00" * (1024 * 1024), "1 MB"),
])
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(session, people, content, message):
    with pytest.raises(ValidationFailed) as caught:
        org_service.set_logo(session=session, actor=people.admin, content=content)
    assert message in caught.value.errors["logo"]


def test_a_logo_path_outside_the_company_folder_is_not_served(session, people, tmp_path):
    org = session.exec(select(Organisation)).one()
    (tmp_path / "secret.png").write_bytes(PNG)
    org.logo_path = "../" * 12 + str(tmp_path / "secret.png").lstrip("/")
    session.add(org)
    session.commit()
    with pytest.raises(NotFound):
        org_service.company_logo(session=session, actor=people.comercial1)


# --- outgoing mail ------------------------------------------------------------------------------


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, object]]:
    with local_smtp("Env <env@crm.test>") as pair:
        yield pair


def _point_at(session: Session, people, settings) -> None:  # noqa: ANN001
    _update(session, people.admin, smtp_host="127.0.0.1", smtp_port=settings.smtp_port,
            smtp_starttls=False, smtp_user="", smtp_from="Talleres Ebro <crm@ebro.es>")


def test_without_a_company_server_the_env_settings_are_used(session, people, smtp,
                                                           monkeypatch):
    inbox, settings = smtp
    assert org_service.mail_settings(session=session) is None  # the mailer's own settings
    monkeypatch.setattr("crm_app.services.mailer.get_settings", lambda: settings)
    org_service.send_test_email(session=session, actor=people.admin)
    [(_, msg)] = inbox.messages
    assert msg["From"] == "Env <env@crm.test>"


def test_the_test_email_arrives_through_the_company_server(session, people, smtp):
    inbox, settings = smtp
    _point_at(session, people, settings)
    to = org_service.send_test_email(session=session, actor=people.admin)
    assert to == "admin@test.crm"
    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["admin@test.crm"]
    assert msg["From"] == "Talleres Ebro <crm@ebro.es>"
    assert msg["Subject"] == "Correo de prueba del CRM"
    assert "Demo Pruebas S.L." in msg.get_body(("plain",)).get_content()
    org_service.send_test_email(session=session, actor=people.admin, to="Otra@Ebro.es")
    assert inbox.messages[-1][0] == ["otra@ebro.es"]
    with pytest.raises(ValidationFailed):
        org_service.send_test_email(session=session, actor=people.admin, to="no")


def test_a_server_that_does_not_answer_is_a_spanish_error(session, people):
    _update(session, people.admin, smtp_host="127.0.0.1", smtp_port=1,
            smtp_from="crm@ebro.es", smtp_starttls=False)
    with pytest.raises(DomainError, match="No se pudo enviar el correo"):
        org_service.send_test_email(session=session, actor=people.admin)


def test_quotes_are_sent_through_the_company_server(session, people, smtp):
    inbox, settings = smtp
    _point_at(session, people, settings)
    acc = build.account(session, people.comercial1, email="compras@cliente.es")
    q = build.quote(session, people.comercial1, acc.id)
    quotes.send_quote(session=session, actor=people.comercial1, quote_id=q.id)
    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["compras@cliente.es"] and msg["From"] == "Talleres Ebro <crm@ebro.es>"


def test_the_company_password_is_used_and_an_unreadable_one_is_said(session, people):
    _update(session, people.admin, smtp_host="smtp.ebro.es", smtp_from="crm@ebro.es",
            smtp_user="crm", smtp_password="clave-1")
    mail = org_service.mail_settings(session=session)
    assert (mail.smtp_host, mail.smtp_user, mail.smtp_password) == ("smtp.ebro.es", "crm",
                                                                    "clave-1")
    org = session.exec(select(Organisation)).one()
    org.smtp_password_enc = secret_box.encrypt("clave-1", purpose=org_service.SMTP_PURPOSE,
                                               secret_key="otra-clave-secreta" * 3)
    session.add(org)
    session.commit()
    with pytest.raises(DomainError, match="CRM_SECRET_KEY"):
        org_service.mail_settings(session=session)


# --- quote numbering ------------------------------------------------------------------------------


def test_new_quotes_take_the_company_series_and_old_numbers_stay(session, people):
    acc = build.account(session, people.comercial1)
    first = build.quote(session, people.comercial1, acc.id)
    assert first.number.startswith("P-")
    _update(session, people.admin, quote_series="PR")
    second = build.quote(session, people.comercial1, acc.id)
    year = second.issue_date.year
    assert second.number == f"PR-{year}-{first.seq + 1:04d}"
    session.refresh(first)
    assert first.number.startswith("P-")


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_company_round_trips_on_postgresql(pg_session):
    org = _update(pg_session, SYSTEM, **FULL)
    pg_session.expire_all()
    again = pg_session.exec(select(Organisation)).one()
    assert again.id == org.id
    view = org_service.values(again)
    assert view["default_tax_rate"] == Decimal("10.00")
    assert (view["smtp_starttls"], view["smtp_port"], view["iban"]) == (
        False, 465, "ES91 2100 0418 4502 0005 1332")
    assert again.updated_at is not None and again.updated_at.tzinfo is not None
    assert secret_box.decrypt(again.smtp_password_enc, purpose=org_service.SMTP_PURPOSE) \
        == "s3cr3t-smtp"


# --- the company's IVA by default -------------------------------------------------------------


def test_products_and_free_quote_lines_without_iva_take_the_company_default(session, people):
    from crm_app.services import products

    plain = products.create_product(session=session, actor=people.admin, data={
        "name": "Antes", "sku": "A-1", "unit_price": "10"})
    assert plain.tax_rate == Decimal("21.00")
    _update(session, people.admin, default_tax_rate="10")
    reduced = products.create_product(session=session, actor=people.admin, data={
        "name": "Menú", "sku": "M-1", "unit_price": "12"})
    assert (reduced.tax_rate, reduced.tax_exempt) == (Decimal("10.00"), False)
    explicit = products.create_product(session=session, actor=people.admin, data={
        "name": "Bebida", "sku": "B-1", "unit_price": "2", "tax_rate": "21"})
    assert explicit.tax_rate == Decimal("21.00")
    acc = build.account(session, people.comercial1)
    q = build.quote(session, people.comercial1, acc.id, lines=[
        {"description": "Sin IVA indicado", "quantity": "1", "unit_price": "100"},
        {"product_id": explicit.id, "quantity": "1"}])
    lines = quotes.quote_lines(session=session, actor=people.comercial1, quote_id=q.id)
    assert [ln.tax_rate for ln in lines] == [Decimal("10.00"), Decimal("21.00")]
