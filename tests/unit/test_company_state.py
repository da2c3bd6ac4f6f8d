"""/ajustes/empresa's state (issue 12) driven in process like an admin's tab: the form filled
from the service, a save with inline Spanish errors, the write-only SMTP password, the logo
(and the header's), the test e-mail through a real local SMTP server, forged events refused."""

from __future__ import annotations

from typing import Any

from smtp_inbox import local_smtp
from sqlmodel import select
from state_harness import run, run_bg, tab

from crm_app.i18n import t
from crm_app.models import AuditEvent, Organisation
from pages.settings import CompanyState
from pages.settings.company_state import TEXT_FIELDS

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101005d8d7a4c0000000049454e44ae426082")


class Upload:
    """What Reflex hands an upload handler: an object with an async ``read``."""

    def __init__(self, content: bytes) -> None:
        self.content = content

    async def read(self, size: int = -1) -> bytes:
        return self.content if size < 0 else self.content[:size]


def toasts(events: list[Any]) -> list[str]:
    return [str(e) for e in events if "toast" in str(e).lower()]


def opened(people: Any) -> Any:
    s = tab(CompanyState, people.admin, path="/ajustes/empresa")
    assert run(s.check_admin()) == [] and run(s.load()) == []
    return s


def form(s: Any, **changes: str) -> dict[str, str]:
    """The form as the browser submits it: every input's current value, plus ``changes``."""
    data = {k: s.values.get(k, "") for k in TEXT_FIELDS}
    if s.values.get("smtp_starttls"):
        data["smtp_starttls"] = "on"
    data.update(changes)
    return data


def test_the_admin_sees_the_stored_company(session, people):
    s = opened(people)
    assert s.ready and s.values["legal_name"] == "Demo Pruebas S.L."
    assert (s.values["nif"], s.values["default_tax_rate"], s.values["quote_series"]) == (
        "B12345674", "21", "P")
    assert s.values["fiscal_year_start_month"] == "1" and s.values["smtp_starttls"] == "on"
    assert not s.password_set and s.logo_url == "" and s.test_to == "admin@test.crm"
    assert "smtp_password" not in s.values and "smtp_password_enc" not in s.values


def test_a_save_normalises_and_a_bad_nif_is_said_under_its_field(session, people):
    s = opened(people)
    out = run(s.save(form(s, nif="B12345678", iban="ES00 0000", legal_name="")))
    assert s.errors["nif"].startswith("NIF/CIF/NIE no válido")
    assert s.errors["iban"].startswith("IBAN no válido")
    assert s.errors["legal_name"] == "Obligatorio."
    assert t("common.check_fields") in toasts(out)[0] and not s.saving
    session.expire_all()
    assert session.exec(select(Organisation)).one().nif == "B12345674"

    out = run(s.save(form(s, legal_name="Talleres Ebro, S.L.", nif="b-12345674",
                          iban="es91 2100 0418 4502 0005 1332", smtp_host="smtp.ebro.es",
                          smtp_from="crm@ebro.es", smtp_password="clave-secreta",
                          fiscal_year_start_month="4", default_tax_rate="10")))
    assert s.errors == {} and t("company.saved") in toasts(out)[0]
    assert s.values["iban"] == "ES91 2100 0418 4502 0005 1332"
    assert (s.values["fiscal_year_start_month"], s.values["default_tax_rate"]) == ("4", "10")
    assert s.password_set and "clave-secreta" not in repr(s.values)
    session.expire_all()
    org = session.exec(select(Organisation)).one()
    assert (org.legal_name, org.nif, org.fiscal_year_start_month) == (
        "Talleres Ebro, S.L.", "B12345674", 4)
    # a blank password field keeps the stored one; unticked STARTTLS is saved as off
    data = form(s)
    data.pop("smtp_starttls", None)
    run(s.save(data))
    session.expire_all()
    org = session.exec(select(Organisation)).one()
    assert org.smtp_password_enc and org.smtp_starttls is False
    run(s.save(form(s, smtp_password_clear="on")))
    assert not s.password_set


def test_the_logo_is_stored_and_the_header_shows_it(session, people):
    s = opened(people)
    out = run_bg(s, "upload_logo", [Upload(b"GIF89a....")])
    assert s.logo_error_text == "El logotipo debe ser una imagen PNG o JPEG." and s.logo_url == ""
    out = run_bg(s, "upload_logo", [Upload(PNG)])
    assert t("company.logo_saved") in toasts(out)[0]
    assert s.logo_url.startswith("/api/v1/company/logo?v=") and s.company_logo == s.logo_url
    # any signed-in user's shell gets the logo with the identity
    other = tab(CompanyState, people.comercial1, path="/")
    run(other.check_login())
    assert other.company_logo == s.logo_url
    run(s.remove_logo())
    assert s.logo_url == "" and s.company_logo == ""


def test_the_test_email_arrives_at_the_configured_server(session, people):
    with local_smtp("Env <env@crm.es>") as (inbox, settings):
        s = opened(people)
        run(s.save(form(s, smtp_host="127.0.0.1", smtp_port=str(settings.smtp_port),
                        smtp_from="Demo <crm@demo-pruebas.es>")))
        data = form(s)
        data.pop("smtp_starttls", None)
        run(s.save(data))
        assert s.errors == {}
        s.set_test_to("yo@demo-pruebas.es")
        out = run_bg(s, "send_test")
        assert t("company.test_sent", to="yo@demo-pruebas.es") in toasts(out)[0]
        [(rcpts, msg)] = inbox.messages
        assert rcpts == ["yo@demo-pruebas.es"] and msg["From"] == "Demo <crm@demo-pruebas.es>"
        assert not s.sending_test
    s.set_test_to("no-es-correo")
    run_bg(s, "send_test")
    assert s.test_error_text == "Indica un correo válido al que enviar la prueba."


def test_forged_events_from_other_roles_change_nothing(session, people):
    admin = opened(people)
    s = tab(CompanyState, people.comercial1, path="/ajustes/empresa")
    out = run(s.save(form(admin, legal_name="Robada S.L.")))
    assert t("common.denied") in toasts(out)[0]
    out = run_bg(s, "upload_logo", [Upload(PNG)])
    assert t("common.denied") in toasts(out)[0]
    run_bg(s, "send_test")
    session.expire_all()
    assert session.exec(select(Organisation)).one().legal_name == "Demo Pruebas S.L."
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "organisation")).all() \
        == []


def test_new_products_and_free_quote_lines_start_with_the_company_iva(session, people):
    from pages.catalog import CatalogState
    from pages.quotes import QuoteEditorState

    s = opened(people)
    run(s.save(form(s, default_tax_rate="10")))
    assert s.errors == {} and s.values["default_tax_rate"] == "10"
    catalog = tab(CatalogState, people.manager1, path="/productos")
    run(catalog.open_list())
    run(catalog.new())
    assert catalog.dialog_open and catalog.form["tax_rate"] == "10"
    editor = tab(QuoteEditorState, people.comercial1, path="/presupuestos/nuevo")
    run(editor.load())
    run(editor.add_free_line())
    assert editor.lines[-1]["tax_rate"] == "10"
