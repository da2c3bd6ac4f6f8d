"""Ajustes → Empresa in the browser (issue 12). On a desktop (1440 px) the admin sets the
company up: a wrong NIF is refused under its field, then the data, the outgoing mail (a real
local SMTP server in this process) and the logo are saved; the password shows only as
«(guardada)», the test e-mail arrives, the sidebar shows the logo and a quote's PDF carries the
company's data. On a phone (390 px) the top bar shows the logo and the form's error fits the
screen. A comercial is turned away with one toast. The shared app is left with no company SMTP
server and no logo (the later browser tests send and screenshot as before)."""

from __future__ import annotations

import re
import struct
import subprocess
import time
import zlib
from pathlib import Path

import pytest
from playwright.sync_api import expect
from smtp_inbox import local_smtp
from uikit import DESKTOP, PHONE, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser


def _png(width: int = 24, height: int = 12) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\xb9\x1c\x1c" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _saved(page) -> None:  # noqa: ANN001
    page.click("#company-save")
    expect(page.get_by_text("Datos de la empresa guardados.")).to_be_visible(timeout=15_000)


def _pdf_text(pdf: bytes, tmp_path: Path) -> tuple[str, int]:
    path = tmp_path / "quote.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, timeout=60).stdout.decode()
    images = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True,
                            check=True, timeout=60).stdout.strip().splitlines()[2:]
    return re.sub(r"[ \u00a0]+", " ", text), len(images)


def test_admin_sets_up_the_company(live_app, browser, shot, tmp_path):
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/ajustes")
    origin = {"Origin": live_app}
    try:
        with local_smtp("Env <env@crm.es>") as (inbox, settings):
            _walk(page, live_app, inbox, settings.smtp_port, shot, tmp_path)
        _phone(browser, live_app, shot)
    finally:
        restored = [
            page.request.put(live_app + "/api/v1/company", headers=origin,
                             data={"smtp": {"host": "", "password": ""}}).status,
            page.request.delete(live_app + "/api/v1/company/logo", headers=origin).status]
        ctx.close()
    assert restored == [200, 204], restored


def _walk(page, live_app: str, inbox, smtp_port: int, shot, tmp_path: Path) -> None:  # noqa: ANN001
    # From /ajustes to the company's form.
    page.click("#settings-company-edit")
    page.wait_for_url(re.compile(r".*/ajustes/empresa$"))
    page.wait_for_selector("#company-form")
    expect(page.locator("#legal_name")).not_to_have_value("")

    # A wrong NIF is refused under its field, the rest typed stays.
    page.fill("#legal_name", "Talleres Ebro, S.L.")
    page.fill("#trade_name", "Ebro Motor")
    page.fill("#nif", "B12345678")
    page.fill("#address", "Calle del Coso, 42")
    page.fill("#postal_code", "50001")
    page.fill("#city", "Zaragoza")
    page.fill("#province", "Zaragoza")
    page.fill("#phone", "976 123 456")
    page.fill("#email", "hola@ebromotor.es")
    page.fill("#iban", "ES91 2100 0418 4502 0005 1332")
    page.fill("#sepa_creditor_id", "ES11ZZZB12345674")
    page.fill("#brand_color", "#b91c1c")
    page.fill("#payment_terms_days", "45")
    page.click("#company-save")
    expect(page.locator("#nif-error")).to_contain_text("NIF/CIF/NIE no válido")
    expect(page.locator("#nif")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#legal_name")).to_have_value("Talleres Ebro, S.L.")
    shot(page, "desktop-nif-error")

    # Corrected and saved: the values come back normalised.
    page.fill("#nif", "b12345674")
    _saved(page)
    expect(page.locator("#nif-error")).to_have_count(0)
    expect(page.locator("#nif")).to_have_value("B12345674")
    expect(page.locator("#phone")).to_have_value("+34976123456")
    company = page.request.get(live_app + "/api/v1/company").json()
    assert (company["legal_name"], company["nif"], company["payment_terms_days"]) == (
        "Talleres Ebro, S.L.", "B12345674", 45)

    # Outgoing mail: the password is saved and never shown back.
    page.fill("#smtp_host", "127.0.0.1")
    page.fill("#smtp_port", str(smtp_port))
    page.fill("#smtp_from", "Ebro Motor <crm@ebromotor.es>")
    page.fill("#smtp_password", "clave-del-correo")
    page.click("#smtp_starttls")  # the local server speaks no TLS
    _saved(page)
    expect(page.locator("[data-testid=smtp-password-saved]")).to_have_text("(guardada)")
    expect(page.locator("#smtp_password")).to_have_value("")
    assert "clave-del-correo" not in page.content()
    company = page.request.get(live_app + "/api/v1/company").json()
    assert company["smtp"]["password_set"] is True and "password" not in company["smtp"]

    # "Enviar correo de prueba" goes through the saved server.
    page.fill("#company-test-to", "yo@ebromotor.es")
    page.click("#company-test-send")
    expect(page.get_by_text("Correo de prueba enviado a yo@ebromotor.es.")).to_be_visible(
        timeout=30_000)
    deadline = time.monotonic() + 10
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["yo@ebromotor.es"] and msg["From"] == "Ebro Motor <crm@ebromotor.es>"

    # The logo: stored at once, shown in the form and in the sidebar.
    png = _png()
    page.set_input_files("[data-testid=company-logo-dropzone] input[type=file]",
                         files=[{"name": "logo.png", "mimeType": "image/png", "buffer": png}])
    expect(page.get_by_text("Logotipo guardado.")).to_be_visible(timeout=15_000)
    preview = page.locator("[data-testid=company-logo-preview]")
    expect(preview).to_be_visible()
    logo = page.locator("#sidebar [data-testid=company-logo]")
    expect(logo).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth === 24",
                           arg=logo.element_handle(), timeout=15_000)
    assert logo.get_attribute("src").startswith("/api/v1/company/logo")
    no_sideways_scroll(page, DESKTOP)
    shot(page, "desktop-saved")

    # A quote's PDF carries the issuer's data and the logo.
    quote_id = page.request.get(live_app + "/api/v1/quotes",
                                params={"page_size": 1}).json()["data"][0]["id"]
    pdf = page.request.get(live_app + f"/api/v1/quotes/{quote_id}/pdf")
    assert pdf.status == 200, pdf.status
    text, images = _pdf_text(pdf.body(), tmp_path)
    for expected in ("Talleres Ebro, S.L.", "Ebro Motor", "NIF B12345674",
                     "Calle del Coso, 42", "50001 Zaragoza",
                     "A 45 días por transferencia a la cuenta ES91 2100 0418 4502 0005 1332."):
        assert expected in text, expected
    assert images >= 1  # the logo


def _phone(browser, live_app: str, shot) -> None:  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", PHONE, path="/ajustes/empresa")
    try:
        page.wait_for_selector("#company-form")
        expect(page.locator("#topbar [data-testid=company-logo-bar]")).to_be_visible()
        no_sideways_scroll(page, PHONE)
        shot(page, "phone-form")
        page.fill("#iban", "ES00 1234")
        page.click("#company-save")
        expect(page.locator("#iban-error")).to_contain_text("IBAN no válido")
        no_sideways_scroll(page, PHONE)
        shot(page, "phone-iban-error")
    finally:
        ctx.close()


def test_a_comercial_is_turned_away_once(live_app, browser):
    ctx, page = signed_in(browser, live_app, "comercial1@demo.crm", PHONE)
    try:
        page.add_init_script("""window.__mostToasts = 0; setInterval(() => {
            const n = document.querySelectorAll('[data-sonner-toast]').length;
            window.__mostToasts = Math.max(window.__mostToasts, n); }, 50);""")
        page.goto(live_app + "/ajustes/empresa")
        page.wait_for_selector("#greeting")  # sent back to Inicio
        expect(page.locator("[data-sonner-toast]").first).to_contain_text("No tienes permiso")
        expect(page.locator("#company-form")).to_have_count(0)
        page.wait_for_timeout(1500)  # a second toast would have arrived by now
        assert page.evaluate("window.__mostToasts") == 1
    finally:
        ctx.close()
