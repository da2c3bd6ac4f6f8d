"""Issue 12's "done when", in the browser: a company sets itself up without the demo seed.

The shared live app (``live_app``) is started with demo data, so the empty install is made
where it matters: the company row is taken out of its database (as on a fresh ``make run``,
where there is none: the Empresa screen starts blank) and put back afterwards. Then, at
1440 px, the admin fills Ajustes → Empresa (with the outgoing mail through a real local SMTP
server in this process), invites a user from Ajustes → Usuarios, the invitee opens the link
read from the SMTP inbox in a browser of their own, is refused a weak password under its
field, sets a good one and lands signed in; a quote created over the API prints the company's
legal name and NIF (``pdftotext``). The users list and the invite dialog are also shot at
390 px, without sideways scrolling. The shared app is left with its company row, no company
SMTP server, the invitee deactivated, and the quote and its customer deleted.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect
from smtp_inbox import local_smtp
from uikit import DESKTOP, PHONE, no_sideways_scroll, pick, signed_in

pytestmark = pytest.mark.browser

LINK = re.compile(r"(https?://\S+/invitacion/\S+)")
INVITEE = "lucia.ferrer@ebromotor.es"
GOOD_PASSWORD = "tranvía-azul-cometa-93"


def _take_company_row(db: Path) -> tuple[list[str], list[tuple]]:
    with sqlite3.connect(db) as conn:
        cur = conn.execute("SELECT * FROM organisation")
        columns = [c[0] for c in cur.description]
        rows = cur.fetchall()
        conn.execute("DELETE FROM organisation")
    return columns, rows


def _put_company_row_back(db: Path, columns: list[str], rows: list[tuple]) -> None:
    marks = ", ".join("?" for _ in columns)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM organisation")
        conn.executemany(f"INSERT INTO organisation ({', '.join(columns)}) VALUES ({marks})",
                         rows)


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "quote.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          check=True, timeout=60).stdout.decode()
    return re.sub(r"[ \u00a0]+", " ", text)


def test_a_company_sets_itself_up_and_invites_a_user(live_app, live_app_data_dir, browser,
                                                     shot, tmp_path):
    db = live_app_data_dir / "crm.db"
    columns, rows = _take_company_row(db)
    assert rows, "the live app has a company row to take out"
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/ajustes/empresa")
    origin = {"Origin": live_app}
    invitee_id = None
    try:
        with local_smtp("Env <env@crm.es>") as (inbox, settings):
            _company(page, live_app, settings.smtp_port)
            invitee_id = _invite(page, live_app, shot)
            _accept(browser, inbox, shot)
            _phone(browser, live_app, shot)
        _quote_pdf(page, live_app, tmp_path)
    finally:
        cleanup = [page.request.put(live_app + "/api/v1/company", headers=origin,
                                    data={"smtp": {"host": "", "password": ""}}).status]
        if invitee_id is not None:
            cleanup.append(page.request.patch(live_app + f"/api/v1/users/{invitee_id}",
                                              headers=origin, data={"active": False}).status)
        ctx.close()
        _put_company_row_back(db, columns, rows)
    assert set(cleanup) == {200}, cleanup


def _company(page, live_app: str, smtp_port: int) -> None:  # noqa: ANN001
    """The Empresa form of an install without a company: blank, filled, saved."""
    page.wait_for_selector("#company-form")
    expect(page.locator("#legal_name")).to_have_value("")
    expect(page.locator("#nif")).to_have_value("")
    page.fill("#legal_name", "Talleres Ebro, S.L.")
    page.fill("#trade_name", "Ebro Motor")
    page.fill("#nif", "b12345674")
    page.fill("#address", "Calle del Coso, 42")
    page.fill("#postal_code", "50001")
    page.fill("#city", "Zaragoza")
    page.fill("#province", "Zaragoza")
    page.fill("#email", "hola@ebromotor.es")
    page.fill("#smtp_host", "127.0.0.1")
    page.fill("#smtp_port", str(smtp_port))
    page.fill("#smtp_from", "Ebro Motor <crm@ebromotor.es>")
    if page.locator("#smtp_starttls").get_attribute("data-state") == "checked":
        page.click("#smtp_starttls")  # the local server speaks no TLS
    page.click("#company-save")
    expect(page.get_by_text("Datos de la empresa guardados.")).to_be_visible(timeout=15_000)
    company = page.request.get(live_app + "/api/v1/company").json()
    assert (company["legal_name"], company["nif"]) == ("Talleres Ebro, S.L.", "B12345674")


def _invite(page, live_app: str, shot) -> int:  # noqa: ANN001
    page.goto(live_app + "/ajustes")
    page.click("#settings-users-admin")
    page.wait_for_url(re.compile(r".*/ajustes/usuarios$"))
    table = page.locator("[data-testid=users-table]")
    expect(table.get_by_text("admin@demo.crm")).to_be_visible()
    no_sideways_scroll(page, DESKTOP)
    shot(page, "desktop-users")

    page.click("#user-invite")
    dialog = page.locator("[data-testid=user-invite-dialog]")
    expect(dialog).to_be_visible()
    # a wrong e-mail is refused under its field
    page.fill("#invite-email", "lucia@")
    page.fill("#invite-name", "Lucía Ferrer")
    page.click("#user-invite-submit")
    expect(page.locator("#invite-email-error")).to_contain_text("Correo electrónico no válido")
    shot(page, "desktop-invite-dialog")
    page.fill("#invite-email", INVITEE)
    pick(page, "#invite-role", "Jefe de equipo")
    page.click("#user-invite-submit")
    expect(page.get_by_text(f"Invitación enviada a {INVITEE}.")).to_be_visible(timeout=30_000)
    expect(dialog).to_have_count(0)
    users = page.request.get(live_app + "/api/v1/users", params={"page_size": 100}).json()
    [invitee] = [u for u in users["data"] if u["email"] == INVITEE]
    assert (invitee["state"], invitee["role"]) == ("invited", "manager")
    expect(page.locator(f"[data-testid=user-state-{invitee['id']}]").first).to_have_text(
        "Invitado")
    return invitee["id"]


def _accept(browser, inbox, shot) -> None:  # noqa: ANN001
    """The invitee, in a browser of their own, opens the e-mailed link."""
    deadline = time.monotonic() + 15
    while not inbox.messages and time.monotonic() < deadline:
        time.sleep(0.1)
    [(rcpts, msg)] = inbox.messages
    assert rcpts == [INVITEE] and msg["From"] == "Ebro Motor <crm@ebromotor.es>"
    link = LINK.search(msg.get_content()).group(1)
    ctx = browser.new_context(viewport=DESKTOP, locale="es-ES")
    try:
        page = ctx.new_page()
        page.goto(link)
        expect(page.locator("#invitation-hello")).to_contain_text(INVITEE, timeout=30_000)
        page.fill("#password", "lucia2026")
        page.fill("#password2", "lucia2026")
        page.click("#invitation-submit")
        expect(page.locator("#password-error")).to_contain_text("al menos 10 caracteres",
                                                               timeout=30_000)
        shot(page, "desktop-invitation-error")
        page.fill("#password", GOOD_PASSWORD)
        page.fill("#password2", GOOD_PASSWORD)
        page.click("#invitation-submit")
        page.wait_for_selector("#greeting", timeout=30_000)  # signed in, on Inicio
        expect(page.locator("#user-menu")).to_be_visible()
        # the link is used up: opened again, it says so
        page.goto(link)
        expect(page.locator("#invitation-error")).to_contain_text("ya se ha usado",
                                                                  timeout=30_000)
    finally:
        ctx.close()


def _phone(browser, live_app: str, shot) -> None:  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", PHONE, path="/ajustes/usuarios")
    try:
        cards = page.locator("[data-testid=users-cards]")
        expect(cards.get_by_text(INVITEE)).to_be_visible(timeout=30_000)
        no_sideways_scroll(page, PHONE)
        shot(page, "phone-users")
        page.click("#user-invite")
        expect(page.locator("[data-testid=user-invite-dialog]")).to_be_visible()
        no_sideways_scroll(page, PHONE)
        shot(page, "phone-invite-dialog")
    finally:
        ctx.close()


def _quote_pdf(page, live_app: str, tmp_path: Path) -> None:  # noqa: ANN001
    origin = {"Origin": live_app}
    account = page.request.post(live_app + "/api/v1/accounts", headers=origin,
                                data={"name": "Cliente de la puesta en marcha S.L.",
                                      "province": "Zaragoza"})
    assert account.status == 201, account.text()
    quote = page.request.post(live_app + "/api/v1/quotes", headers=origin, data={
        "account_id": account.json()["id"],
        "lines": [{"description": "Revisión anual", "quantity": "1", "unit_price": "120",
                   "tax_rate": "21"}]})
    assert quote.status == 201, quote.text()
    pdf = page.request.get(live_app + f"/api/v1/quotes/{quote.json()['id']}/pdf")
    assert pdf.status == 200, pdf.status
    text = _pdf_text(pdf.body(), tmp_path)
    for expected in ("Talleres Ebro, S.L.", "NIF B12345674", "Calle del Coso, 42"):
        assert expected in text, expected
    # the shared app keeps the demo's counts for the screens tested after this one
    assert page.request.delete(live_app + f"/api/v1/quotes/{quote.json()['id']}",
                               headers=origin).status == 204
    assert page.request.delete(live_app + f"/api/v1/accounts/{account.json()['id']}",
                               headers=origin).status == 200
