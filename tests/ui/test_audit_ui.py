"""Ajustes → Auditoría and the asesor in the browser (issue 12).

On a desktop (1440 px) the admin opens Auditoría from /ajustes, finds the customer just
created by filtering on the record type and its number (a link to its page), is told under the
field when a date is wrong, and downloads the CSV (UTF-8 with BOM, ``;``) of what the filters
select; on a phone (390 px) the log shows as cards. The asesor (the company's accountant) signs
in on a phone: the menu offers Inicio and Presupuestos only, a quote opens read-only with its
PDF, and a direct /leads is turned away with one toast.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, PHONE, no_sideways_scroll, pick, signed_in

pytestmark = pytest.mark.browser

CUSTOMER = "Asesoría Auditada Ribera, S.L."


def test_admin_filters_the_log_and_downloads_the_csv(live_app, browser, shot):
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/ajustes",
                          accept_downloads=True)
    try:
        made = page.request.post(live_app + "/api/v1/accounts", headers={"Origin": live_app},
                                 data={"name": CUSTOMER, "province": "Madrid"})
        assert made.status == 201, made.text()
        account_id = made.json()["id"]

        page.click("#settings-audit")
        page.wait_for_url(re.compile(r".*/ajustes/auditoria$"))
        expect(page.get_by_test_id("audit-count")).to_be_visible(timeout=20_000)
        expect(page.get_by_test_id("audit-row").first).to_be_visible()

        page.click("#audit-filters-toggle")
        pick(page, "#filter-entity", "Cliente")
        expect(page.get_by_test_id("chip-entity")).to_be_visible()
        page.fill("#filter-entity_id", str(account_id))
        page.locator("#filter-entity_id").blur()
        expect(page.get_by_test_id("audit-row")).to_have_count(1)
        row = page.get_by_test_id("audit-row")
        expect(row).to_contain_text("Alta")
        expect(row).to_contain_text(CUSTOMER)
        expect(row.get_by_test_id("audit-record-link")).to_have_attribute(
            "href", f"/clientes/{account_id}")
        shot(page, "admin-1440")

        # A wrong date is told under its field; the list keeps what it showed.
        page.fill("#filter-from", "31/02/2026")
        page.locator("#filter-from").blur()
        expect(page.get_by_text("Fecha no válida: usa dd/mm/aaaa.")).to_be_visible()
        expect(page.get_by_test_id("audit-row")).to_have_count(1)
        page.fill("#filter-from", "")
        page.locator("#filter-from").blur()
        expect(page.get_by_text("Fecha no válida: usa dd/mm/aaaa.")).to_have_count(0)

        with page.expect_download() as info:
            page.click("#audit-export")
        data = open(info.value.path(), "rb").read()  # noqa: SIM115, PTH123
        assert data.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
        assert rows[0][:3] == ["Cuándo", "Quién", "Registro"]
        assert len(rows) == 2 and rows[1][2:5] == ["Cliente", str(account_id), "Alta"]
        assert CUSTOMER in rows[1][5]
        assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", rows[1][0])
    finally:
        ctx.close()

    ctx, page = signed_in(browser, live_app, "admin@demo.crm", PHONE, path="/ajustes/auditoria")
    try:
        expect(page.get_by_test_id("audit-card").first).to_be_visible(timeout=20_000)
        no_sideways_scroll(page, PHONE)
        shot(page, "admin-390")
    finally:
        ctx.close()


def test_the_asesor_reads_quotes_and_nothing_commercial(live_app, browser, shot):
    ctx, page = signed_in(browser, live_app, "asesor@demo.crm", PHONE)
    try:
        page.add_init_script("""window.__mostToasts = 0; setInterval(() => {
            const n = document.querySelectorAll('[data-sonner-toast]').length;
            window.__mostToasts = Math.max(window.__mostToasts, n); }, 50);""")
        expect(page.get_by_test_id("kpi-open-quotes")).to_be_visible()
        expect(page.get_by_test_id("kpi-open-leads")).to_have_count(0)
        page.click("#menu-button")
        expect(page.locator("#nav-presupuestos").last).to_be_visible()
        expect(page.locator("#nav-leads")).to_have_count(0)
        expect(page.locator("#nav-clientes")).to_have_count(0)
        expect(page.locator("#nav-informes")).to_have_count(0)
        expect(page.locator("#nav-ajustes")).to_have_count(0)
        shot(page, "asesor-menu-390")
        page.locator("#nav-presupuestos").last.click()
        page.wait_for_url(re.compile(r".*/presupuestos$"))
        expect(page.get_by_test_id("quote-card").first).to_be_visible(timeout=20_000)
        expect(page.locator("#quote-new")).to_have_count(0)
        no_sideways_scroll(page, PHONE)
        shot(page, "asesor-quotes-390")

        page.get_by_test_id("quote-card").first.locator("a").first.click()
        page.wait_for_url(re.compile(r".*/presupuestos/\d+$"))
        expect(page.locator("#quote-pdf")).to_be_visible(timeout=20_000)
        for button in ("#quote-save", "#quote-accept", "#quote-reject", "#quote-send",
                       "#quote-revise", "#quote-delete"):
            expect(page.locator(button)).to_have_count(0)
        expect(page.get_by_test_id("quote-readonly")).to_contain_text("Solo lectura")
        shot(page, "asesor-quote-390")

        page.goto(live_app + "/leads")
        page.wait_for_selector("#greeting")  # sent back to Inicio
        expect(page.locator("[data-sonner-toast]").first).to_contain_text("No tienes permiso")
        page.wait_for_timeout(1500)  # a second toast would have arrived by now
        assert page.evaluate("window.__mostToasts") == 1
    finally:
        ctx.close()

    ctx, page = signed_in(browser, live_app, "asesor@demo.crm", DESKTOP, path="/presupuestos")
    try:
        expect(page.get_by_test_id("quote-row").first).to_be_visible(timeout=20_000)
        expect(page.locator("#sidebar #nav-leads")).to_have_count(0)
        shot(page, "asesor-quotes-1440")
    finally:
        ctx.close()
