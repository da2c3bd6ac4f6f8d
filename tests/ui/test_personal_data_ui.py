"""Datos personales (RGPD) on a lead's page in the browser (issue 12). On a desktop (1440 px)
a user records the legal basis and the commercial consent (date, how, text), which the API
then answers; "Exportar datos de esta persona" downloads a ZIP whose JSON holds the lead;
"Anonimizar" asks first, then the page shows the placeholder name and the card turns
read-only. On a phone (390 px) the card fits the screen."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, PHONE, no_sideways_scroll, pick, signed_in

pytestmark = pytest.mark.browser


def _new_lead(page, live_app: str, email: str) -> int:  # noqa: ANN001
    r = page.request.post(live_app + "/api/v1/leads", headers={"Origin": live_app}, data={
        "first_name": "Maite", "last_name": "Goikoetxea", "company": "Goiko Estudio",
        "email": email, "phone": "600 98 76 54"})
    assert r.status == 201, r.text()
    return r.json()["id"]


def test_consent_export_and_anonymise_on_a_lead(live_app, browser, shot):  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP)
    try:
        lead_id = _new_lead(page, live_app, "maite.rgpd@goiko.es")
        page.goto(f"{live_app}/leads/{lead_id}")
        page.wait_for_selector("[data-testid='lead-pd-card']")
        expect(page.locator("#lead-name")).to_contain_text("Maite Goikoetxea")

        # consent: legal basis, the commercial purpose given, when, how and which text
        pick(page, "#lead-pd-basis", "Consentimiento")
        page.get_by_role("checkbox", name="Comunicaciones comerciales").click()
        page.fill("#lead-pd-comercial-at", "32/11/2026")
        page.click("#lead-pd-save")
        expect(page.locator("#lead-pd-comercial-at-error")).to_contain_text("Fecha no válida")
        page.fill("#lead-pd-comercial-at", "15/11/2026")
        pick(page, "#lead-pd-comercial-method", "Formulario web")
        page.fill("#lead-pd-comercial-text", "Política de privacidad v3")
        page.click("#lead-pd-save")
        expect(page.get_by_text("Consentimiento guardado.")).to_be_visible(timeout=15_000)
        expect(page.locator("#lead-pd-comercial-at-error")).to_have_count(0)
        shot(page, "desktop-consent")
        lead = page.request.get(f"{live_app}/api/v1/leads/{lead_id}").json()
        assert lead["legal_basis"] == "consentimiento"
        assert lead["consent"]["comercial"] == {
            "given": True, "at": "2026-11-14T23:00:00Z", "method": "formulario_web",
            "text": "Política de privacidad v3"}

        # access: the ZIP downloads and its JSON holds the lead
        with page.expect_download() as download:
            page.click("#lead-pd-export")
        path = download.value.path()
        assert download.value.suggested_filename.startswith(f"datos-personales-lead-{lead_id}")
        with zipfile.ZipFile(path) as zf:
            data = json.loads(zf.read("datos.json"))
        assert data["leads"][0]["email"] == "maite.rgpd@goiko.es"
        assert data["leads"][0]["consent"]["comercial"]["given"] is True

        # erasure: asks first; cancelling keeps the person
        page.click("#lead-pd-anonymise")
        page.click("#lead-pd-anonymise-cancel")
        expect(page.locator("#lead-name")).to_contain_text("Maite")
        page.click("#lead-pd-anonymise")
        expect(page.locator("[data-testid='lead-pd-anonymise-dialog']")).to_contain_text(
            "No se puede deshacer")
        page.click("#lead-pd-anonymise-confirm")
        expect(page.get_by_text("Persona anonimizada.")).to_be_visible(timeout=15_000)
        expect(page.locator("#lead-name")).to_contain_text("Anonimizado")
        expect(page.locator("#lead-pd-anonymised")).to_contain_text("Anonimizado el ")
        expect(page.locator("#lead-pd-save")).to_have_count(0)
        expect(page.locator("#lead-pd-anonymise")).to_have_count(0)
        shot(page, "desktop-anonymised")
        after = page.request.get(f"{live_app}/api/v1/leads/{lead_id}").json()
        assert (after["email"], after["phone"], after["last_name"]) == ("", "", "")
        zipped = page.request.get(f"{live_app}/api/v1/leads/{lead_id}/export").body()
        assert "maite" not in zipfile.ZipFile(io.BytesIO(zipped)).read(
            "datos.json").decode().lower()
    finally:
        ctx.close()


def test_the_card_fits_a_phone(live_app, browser, shot):  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", PHONE)
    try:
        lead_id = _new_lead(page, live_app, "maite.movil@goiko.es")
        page.goto(f"{live_app}/leads/{lead_id}")
        page.wait_for_selector("[data-testid='lead-pd-card']")
        page.locator("[data-testid='lead-pd-card']").scroll_into_view_if_needed()
        expect(page.locator("#lead-pd-export")).to_be_visible()
        no_sideways_scroll(page, PHONE)
        shot(page, "phone")
    finally:
        ctx.close()


def test_the_retention_setting_previews_the_leads(live_app, browser, shot):  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/ajustes")
    try:
        page.click("#settings-personal-data-link")
        page.wait_for_selector("#retention-months")
        expect(page.locator("#retention-months")).to_have_value("24")
        expect(page.locator("#retention-preview")).to_contain_text("Con este plazo se anonimiz")
        page.fill("#retention-months", "0")
        expect(page.locator("#retention-months-error")).to_contain_text("entre 1 y 120")
        page.fill("#retention-months", "24")
        expect(page.locator("#retention-months-error")).to_have_count(0)
        expect(page.locator("#retention-preview")).to_be_visible()
        page.click("#retention-save")
        expect(page.get_by_text("Plazo de conservación guardado.")).to_be_visible(
            timeout=15_000)
        shot(page, "desktop-retention")
    finally:
        ctx.close()
