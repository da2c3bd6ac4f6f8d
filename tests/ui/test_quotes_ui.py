"""Quotes in the browser, on a phone (390×844) and on a desktop (1440×900): the list (cards on
phones, the table on desktops; a sort, the "pendientes" filter that Inicio links to, its
chip), a quote's page (the record header and its actions, the send dialog kept clear of the
screen's edges), the editor of a new quote (the customer picked with the account picker, a
free line whose quantity 0 is refused under the field at once, as the save refuses it; a
validity date typed dd/mm/aaaa that the save refuses under its field) and a quote that is not
there.

The flow that saves, accepts and wins a quote is ``test_sales_ui.py``; this file reads the
demo data and saves nothing.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from uikit import PHONE, SALES_WALKS, no_sideways_scroll, pick, signed_in

pytestmark = pytest.mark.browser

QTY_ERROR = "La cantidad debe ser mayor que 0."


@pytest.mark.parametrize(("size", "user"), SALES_WALKS)
def test_list_record_send_dialog_and_editor(live_app, browser, shot, size, user):
    phone = size is PHONE
    # --- the list: cards on phones, the table on desktops; sort; the "pendientes" filter -------
    ctx, page = signed_in(browser, live_app, user, size, path="/presupuestos")
    page.wait_for_selector("[data-testid=quotes-count]")
    row = "[data-testid=quote-card]" if phone else "[data-testid=quote-row]"
    page.wait_for_selector(row)
    assert page.is_visible("[data-testid=quotes-table]") is not phone
    if phone:
        pick(page, "#quotes-sort-select", "Total ↓")
    else:
        page.click("#quotes-sort-total")
        page.click("#quotes-sort-total")
    expect(page.locator("#quotes-sort-select" if phone else "#quotes-sort-total")).to_be_visible()
    page.click("#quotes-filters-toggle")
    pick(page, "#filter-status", "Pendientes (borrador o enviado)")
    expect(page.locator("[data-testid=chip-status]")).to_contain_text("Pendientes")
    page.wait_for_selector(row)
    no_sideways_scroll(page, size)
    shot(page, "list")
    # Inicio's "Presupuestos pendientes" opens the list with the same filter.
    page.goto(live_app + "/presupuestos?estado=abiertos")
    expect(page.locator("[data-testid=chip-status]")).to_contain_text("Pendientes")

    # --- a pending quote: the header's actions and the send dialog -----------------------------
    page.locator(f"{row} a").first.click()
    page.wait_for_url(re.compile(r".*/presupuestos/\d+$"))
    page.wait_for_selector("#quote-pdf")
    assert re.match(r"P-\d{4}-\d{4} v\d+", page.inner_text("#quote-number"))
    expect(page.locator("[data-testid=quote-status]")).to_have_text(
        re.compile("Borrador|Enviado"))
    account_name = page.inner_text("#quote-account-link")
    page.click("#quote-send")
    dialog = page.locator("[data-testid=send-dialog]")
    expect(dialog).to_be_visible()
    assert "@" in page.input_value("#send-to") or page.input_value("#send-to") == ""
    box = dialog.bounding_box()
    assert box["x"] > 0 and box["x"] + box["width"] < size["width"], box
    shot(page, "send-dialog")
    page.click("#send-cancel")
    expect(dialog).to_be_hidden()
    no_sideways_scroll(page, size)
    shot(page, "record")

    # --- a new quote: the account picker, a free line, quantity 0 refused inline ---------------
    page.goto(live_app + "/presupuestos/nuevo")
    page.wait_for_selector("#quote-account-search")
    page.fill("#quote-account-search", account_name[:5])
    page.locator("[data-testid=account-option]", has_text=account_name).first.click()
    expect(page.locator("#quote-account-name")).to_have_text(account_name)
    page.click("#add-free-line")
    page.fill("#line-0-description", "Montaje en oficina")
    page.fill("#line-0-unit_price", "250,50")
    page.fill("#irpf", "0")
    expect(page.locator("[data-testid=total-base]")).to_have_text("250,50\u00a0€")
    page.fill("#line-0-quantity", "0")
    expect(page.locator("[data-testid=line-error]")).to_have_text(QTY_ERROR)
    expect(page.locator("[data-testid=total]")).to_have_text("0,00\u00a0€")
    no_sideways_scroll(page, size)
    shot(page, "editor-quantity-0")
    page.fill("#line-0-quantity", "2")
    expect(page.locator("[data-testid=line-error]")).to_have_count(0)
    expect(page.locator("[data-testid=total]")).to_have_text("606,21\u00a0€")  # 501 + 21 %
    # A date typed dd/mm/aaaa that does not exist: the save refuses it under the field (and
    # writes nothing).
    page.fill("#valid_until", "31/02/2030")
    page.click("#quote-save")
    expect(page.locator("#valid_until-error")).to_have_text("Fecha no válida: usa dd/mm/aaaa.")
    expect(page).to_have_url(re.compile(r".*/presupuestos/nuevo/?$"))
    no_sideways_scroll(page, size)
    shot(page, "editor")

    # --- a quote that is not there --------------------------------------------------------------
    page.goto(live_app + "/presupuestos/999999")
    page.wait_for_selector("#quote-not-found")
    ctx.close()
