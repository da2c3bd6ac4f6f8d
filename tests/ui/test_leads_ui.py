"""Leads in the browser, on a phone (390×844) and on a desktop (1440×900): a lead entered by
hand (inline error, duplicate warning, search, record page, status, recycle bin with undo), a
file import through the wizard (mapping fixed by hand, error rows in the preview, rejected rows
downloaded, batch undone) and the assignment rules simulator.

``CRM_LEADS_UI_BASE`` points the tests at an app that is already running (a quicker loop while
working on the screens); without it they use the ``live_app`` fixture (the real ``crm run``).
"""

from __future__ import annotations

import os
import random
import re
import time
from pathlib import Path

import pytest
from uikit import DESKTOP, PHONE, no_sideways_scroll, pick, shown, signed_in, wait_shown

pytestmark = pytest.mark.browser

SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
COUNT = "leads-count"  # the list's count line


@pytest.fixture(scope="module")
def base(request: pytest.FixtureRequest) -> str:
    return os.environ.get("CRM_LEADS_UI_BASE") or request.getfixturevalue("live_app")


def _suffix() -> str:
    return f"{int(time.time()) % 100000}{random.randint(100, 999)}"


def _phone_number() -> str:
    digits = f"{random.randint(0, 99_999_999):08d}"
    return f"6{digits[:2]} {digits[2:5]} {digits[5:]}"


def find_lead(page, base: str, text: str) -> None:  # noqa: ANN001
    """The leads list searched for ``text``, which only one lead matches."""
    page.goto(base + "/leads")
    page.wait_for_selector("[data-testid=leads-count]")
    page.fill("#leads-search", text)
    wait_shown(page, COUNT, "1 lead")


def open_lead_link(page, size: dict) -> None:  # noqa: ANN001
    prefix = "lead-card-link-" if size is PHONE else "lead-link-"
    page.locator(f"[data-testid^={prefix}]").first.click()


def check_first_row(page, size: dict) -> None:  # noqa: ANN001
    where = "leads-cards" if size is PHONE else "leads-table"
    page.locator(f"[data-testid={where}] [data-testid^=row-check-]").first.click()


# --- a lead entered by hand ------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_lead_by_hand_search_open_and_change_status(base, browser, shot, size):
    user = "comercial1@demo.crm" if size is PHONE else "admin@demo.crm"
    ctx, page = signed_in(browser, base, user, size)
    # An email that already exists in this user's leads, for the duplicate warning.
    existing = page.request.get(base + "/api/v1/leads?page_size=50").json()["data"]
    existing_email = next(r["email"] for r in existing if r["email"])

    page.goto(base + "/leads")
    page.wait_for_selector("[data-testid=leads-count]")
    assert re.match(r"^\d[\d.]* leads$", shown(page, COUNT)), shown(page, COUNT)
    no_sideways_scroll(page, size)
    shot(page, "list")

    page.click("#leads-new")
    page.wait_for_selector("#lead-form")
    suffix = _suffix()
    last_name = f"Prueba{suffix}"
    page.fill("#lead-first-name", "Zoe")
    page.fill("#lead-last-name", last_name)
    page.fill("#lead-company", f"Talleres Zoe {suffix} S.L.")
    page.fill("#lead-email", "zoe-sin-arroba.es")
    page.fill("#lead-phone", _phone_number())
    page.click("#lead-position")  # leaving the phone field shows it in E.164
    page.wait_for_selector("[data-testid=lead-phone-hint]")
    assert "(+346" in page.inner_text("[data-testid=lead-phone-hint]")
    page.click("#lead-save")
    error = page.wait_for_selector("[data-testid=lead-email-error]")
    assert "Correo electrónico no válido" in error.inner_text()
    assert "/leads/nuevo" in page.url  # nothing saved
    no_sideways_scroll(page, size)
    shot(page, "inline-error")

    page.fill("#lead-email", existing_email)
    page.click("#lead-save")
    warning = page.wait_for_selector("[data-testid=lead-duplicates]")
    assert "correo electrónico" in warning.inner_text()
    assert page.query_selector("[data-testid=lead-email-error]") is None
    shot(page, "duplicate-warning")
    page.click("#lead-save-anyway")
    page.wait_for_url(re.compile(r".*/leads/\d+/?$"))
    page.wait_for_selector("#lead-name")
    page.wait_for_function("n => document.querySelector('#lead-name').innerText.includes(n)",
                           arg=last_name)

    # Find it with the search and open it.
    find_lead(page, base, last_name)
    open_lead_link(page, size)
    page.wait_for_selector("#lead-name")
    assert last_name in page.inner_text("#lead-name")
    assert page.inner_text("[data-testid=lead-status]") == "Nuevo"

    pick(page, "#lead-status-select", "Contactado")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=lead-status]').innerText === 'Contactado'")
    page.wait_for_selector("[data-testid=lead-timeline] >> text=Estado: Nuevo → Contactado")
    # "Descartado" asks for the reason first.
    pick(page, "#lead-status-select", "Descartado", shows=False)
    page.wait_for_selector("#discard-reason")
    page.click("#discard-submit")
    page.wait_for_selector("[data-testid=discard-reason-error]")
    page.fill("#discard-reason", "Sin presupuesto este año")
    page.click("#discard-submit")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=lead-status]').innerText === 'Descartado'")
    assert "Sin presupuesto" in page.inner_text("[data-testid=lead-discard-reason]")
    no_sideways_scroll(page, size)
    shot(page, "record")

    # Recycle bin from the list, then undo from the toast.
    find_lead(page, base, last_name)
    check_first_row(page, size)
    page.wait_for_selector("[data-testid=bulk-bar]")
    page.click("#bulk-delete")
    page.click("#bulk-delete-confirm")
    wait_shown(page, COUNT, "0 leads")
    page.get_by_role("button", name="Deshacer").click()
    wait_shown(page, COUNT, "1 lead")
    shot(page, "restored")
    ctx.close()


@pytest.mark.parametrize("size", SIZES)
def test_next_page_starts_at_the_top_of_the_list(base, browser, shot, size):
    """"Siguiente" at the foot of a long page shows the next page from its first row, just
    under the sticky top bar (not the foot of the next page)."""
    ctx, page = signed_in(browser, base, "admin@demo.crm", size, path="/leads")
    page.wait_for_selector("#leads-next")
    page.locator("#leads-next").scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > size["height"]  # at the foot of a long page
    page.click("#leads-next")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=leads-page]').innerText.startsWith("
        "'Página 2')")
    page.wait_for_function("() => window.scrollY < 400")
    page.wait_for_timeout(300)  # a smooth scroll has settled
    top = page.evaluate("document.getElementById('list-top').getBoundingClientRect().top")
    bar = page.evaluate("document.getElementById('topbar').getBoundingClientRect().bottom")
    assert bar <= top <= bar + 48, (bar, top)  # the count row, in view under the top bar
    no_sideways_scroll(page, size)
    shot(page, "page-2")
    ctx.close()


# --- the import wizard -----------------------------------------------------------------------


def _csv(suffix: str) -> bytes:
    """A ;-separated Windows-1252 file as Spanish Excel saves it; "E-mail de contacto" is not a
    header the automatic mapping knows; rows 5 and 6 are bad."""
    lines = [
        "Nombre;Apellidos;Empresa;E-mail de contacto;Teléfono;Provincia;Canal de entrada",
        f"Ana;Núñez;Cerámicas Núñez {suffix} S.L.;ana.nunez.{suffix}@ceramicas-nunez.es;;"
        "Castellón;Feria",
        f"Luis;Peña;Peña Asesores {suffix};luis.pena.{suffix}@penaasesores.es;"
        f"{_phone_number()};Madrid;Web",
        f"María;Ibáñez;;maria.ibanez.{suffix}@gmail.com;;La Rioja;Referido",
        "Pedro;Gómez;Gómez e Hijos;pedro@@mal;;Sevilla;Web",
        ";;;;;Madrid;Web",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


@pytest.mark.parametrize("size", SIZES)
def test_import_fix_mapping_preview_import_download_and_undo(base, browser, shot, size,
                                                             tmp_path: Path):
    user = "comercial4@demo.crm" if size is PHONE else "admin@demo.crm"
    suffix = _suffix()
    path = tmp_path / f"leads-feria-{suffix}.csv"
    path.write_bytes(_csv(suffix))
    ctx, page = signed_in(browser, base, user, size, path="/leads", accept_downloads=True)
    page.wait_for_selector("[data-testid=leads-count]")
    page.click("#leads-import")
    page.wait_for_selector("[data-testid=import-dropzone]")
    no_sideways_scroll(page, size)
    page.set_input_files("[data-testid=import-dropzone] input[type=file]", str(path))

    page.wait_for_selector("[data-testid=import-mapping]")
    file_info = page.inner_text("[data-testid=import-file-info]")
    assert "5 filas" in file_info and "Windows-1252" in file_info and "«;»" in file_info, \
        file_info
    email_select = '[id="map-E-mail de contacto"]'
    assert page.inner_text(email_select) == "Ignorar esta columna"
    assert page.inner_text('[id="map-Nombre"]') == "Nombre"
    assert page.inner_text('[id="map-Canal de entrada"]') == "Origen"
    shot(page, "mapping-auto")
    pick(page, email_select, "Correo electrónico")
    if size is DESKTOP:  # save the mapping as a template
        page.click("#template-save-open")
        page.fill("#template-name", f"Feria {suffix}")
        page.click("#template-save-submit")
        page.wait_for_selector(f"text=Plantilla «Feria {suffix}» guardada.")
        page.wait_for_selector("#template-name", state="detached")  # the dialog is gone
    no_sideways_scroll(page, size)
    shot(page, "mapping-fixed")

    page.click("#import-preview")
    # the preview reads and checks the whole file on the server: slow on a loaded machine
    page.wait_for_selector("[data-testid=import-preview-card]", timeout=60_000)
    assert page.inner_text("[data-testid=stat-rows]") == "5"
    assert page.inner_text("[data-testid=stat-created]") == "3"
    assert page.inner_text("[data-testid=stat-rejected]") == "2"
    bad_email = page.inner_text("[data-testid=error-row-5]")
    assert "E-mail de contacto" in bad_email and "no válido" in bad_email, bad_email
    assert "Falta el nombre o la empresa" in page.inner_text("[data-testid=error-row-6]")
    no_sideways_scroll(page, size)
    shot(page, "preview")
    with page.expect_download() as preview_csv:  # the preview's error rows, before importing
        page.click("#import-preview-download")
    assert "pedro@@mal" in Path(preview_csv.value.path()).read_bytes().decode("utf-8-sig")

    page.click("#import-run")
    page.wait_for_selector("[data-testid=import-result]", timeout=60_000)
    assert page.inner_text("[data-testid=stat-created]") == "3"
    assert page.inner_text("[data-testid=stat-rejected]") == "2"
    page.wait_for_selector("[data-testid=error-row-5]")
    shot(page, "result")

    with page.expect_download() as info:
        page.click("#import-download")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    rejected = Path(download.path()).read_bytes().decode("utf-8-sig")
    assert rejected.splitlines()[0].startswith("Fila;Nombre;Apellidos;Empresa;E-mail de contacto")
    assert "pedro@@mal" in rejected and rejected.count("\n") == 3, rejected

    # The imported rows are there (a second tab), then the batch is undone and they are gone.
    batch_href = page.get_attribute("#import-see-leads", "href")
    assert batch_href and "lote=" in batch_href
    other = ctx.new_page()
    other.goto(base + batch_href)
    wait_shown(other, COUNT, "3 leads")
    assert other.query_selector("[data-testid=chip-import_batch_id]") is not None
    page.click("#import-undo")
    page.click("#import-undo-confirm")
    page.wait_for_selector("#import-undone")
    shot(page, "undone")
    other.reload()
    wait_shown(other, COUNT, "0 leads")
    other.wait_for_selector("[data-testid=leads-empty-filtered]")
    ctx.close()


# --- assignment rules ------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_rules_simulator_shows_the_distribution(base, browser, shot, size):
    ctx, page = signed_in(browser, base, "admin@demo.crm", size, path="/ajustes")
    page.click("#settings-rules")
    page.wait_for_selector("[data-testid=rules-list]")
    page.click("#rules-add")
    page.wait_for_selector("#rule-name")
    page.fill("#rule-name", "Madrid y Toledo")
    pick(page, "#cond-op-0", "provincia en")
    page.fill("#cond-value-0", "Madrid, Toledo")
    pick(page, "#rule-action", "Usuario fijo")
    page.click("#rule-user")
    page.get_by_role("option").first.click()
    shot(page, "rule-editor")
    page.click("#rule-editor-submit")
    page.wait_for_selector("[data-testid=rules-dirty]")
    page.wait_for_selector("[data-testid=rule-name-0] >> text=Madrid y Toledo")
    page.fill("#sim-n", "120")
    page.click("#rules-simulate")
    page.wait_for_selector("[data-testid=sim-result]")
    summary = page.inner_text("[data-testid=sim-summary]")
    assert summary.startswith("De los últimos 120 leads"), summary
    rows = page.query_selector_all("[data-testid^=sim-row-]")
    assert len(rows) >= 2
    actual = sum(int(e.inner_text().replace(".", "")) for e in
                 page.query_selector_all("[data-testid^=sim-actual-]"))
    simulated = sum(int(e.inner_text().replace(".", "")) for e in
                    page.query_selector_all("[data-testid^=sim-simulated-]"))
    assert actual == simulated == 120
    no_sideways_scroll(page, size)
    shot(page, "simulator")
    # The draft is thrown away: nothing was saved.
    page.click("#rules-discard")
    page.wait_for_selector("[data-testid=rules-dirty]", state="detached")
    ctx.close()
