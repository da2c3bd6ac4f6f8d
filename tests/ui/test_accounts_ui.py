"""Customers in the browser, on a phone (390×844) and on a desktop (1440×900): the list with its
filters panel and chips, a customer created through the form (an inline error first), its file
(every section, a contact added through the dialog), an edit, and the recycle bin (delete from
the file, restore from the bin's tab). Nothing sticks out sideways at either size.
"""

from __future__ import annotations

import re
import secrets

import pytest
from stdnum.es import cif
from uikit import (
    DESKTOP,
    PHONE,
    account_to_bin,
    no_sideways_scroll,
    pick,
    shown,
    signed_in,
    wait_shown,
)

pytestmark = pytest.mark.browser

SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]
COUNT = "accounts-count"  # the list's count line


def _valid_cif() -> str:
    body = "B" + "".join(str(secrets.randbelow(10)) for _ in range(7))
    return body + cif.calc_check_digits(body)[0]


@pytest.mark.parametrize("size", SIZES)
def test_customer_list_form_file_contact_and_bin(live_app, browser, shot, size):
    base = live_app
    phone = size is PHONE
    ctx, page = signed_in(browser, base, "manager1@demo.crm", size)
    tag = secrets.token_hex(3)
    name = f"Talleres Prueba {tag} S.L."
    row = "account-card" if phone else "account-row"

    # --- the list: count, filters panel, a chip, no sideways scroll ---------------------------
    page.goto(base + "/clientes")
    page.wait_for_selector(f"[data-testid={row}]")
    assert re.match(r"^\d[\d.]* clientes?$", shown(page, COUNT)), shown(page, COUNT)
    assert page.is_visible("[data-testid=accounts-cards]") == phone
    assert page.is_visible("[data-testid=accounts-table]") != phone
    no_sideways_scroll(page, size)
    shot(page, "list")
    before = shown(page, COUNT)
    page.click("#accounts-filters-toggle")
    pick(page, "#filter-sector", "Hostelería")
    page.wait_for_selector("[data-testid=chip-sector]")
    assert "Sector: Hostelería" in page.inner_text("[data-testid=chip-sector]")
    page.wait_for_function(
        "t => document.querySelector('[data-testid=accounts-count]')?.innerText.trim() !== t",
        arg=before)
    no_sideways_scroll(page, size)
    shot(page, "filtered")
    page.click("[data-testid=chip-remove-sector]")
    page.wait_for_selector("[data-testid=chip-sector]", state="detached")

    # --- the form: the service's error under its field, then saved -------------------------------
    page.click("#account-new")
    page.wait_for_url(re.compile(r".*/clientes/nuevo$"))
    page.wait_for_selector("#account-form #name")
    page.fill("#name", name)
    page.fill("#nif", _valid_cif())
    page.fill("#postal_code", "08001")
    page.fill("#city", "Madrid")
    pick(page, "#province", "Madrid")
    page.click("#account-save")
    error = page.wait_for_selector("[data-testid=postal_code-error]")
    assert "es de Barcelona" in error.inner_text(), error.inner_text()
    assert "/clientes/nuevo" in page.url and page.input_value("#name") == name  # nothing lost
    no_sideways_scroll(page, size)
    shot(page, "form-error")
    page.fill("#postal_code", "28013")
    page.click("#account-save")
    page.wait_for_url(re.compile(r".*/clientes/\d+$"))
    account_id = page.url.rstrip("/").rsplit("/", 1)[1]

    # --- the file: every section, a contact through the dialog -----------------------------------
    page.wait_for_selector(f"#account-name:has-text('{name}')")
    for section in ("data", "contacts", "opportunities", "quotes", "purchases", "timeline",
                    "alerts", "documents"):
        assert page.is_visible(f"[data-testid=account-{section}]"), section
    page.wait_for_selector("[data-testid=contacts-empty]")
    page.click("#contact-new")
    page.wait_for_selector("[data-testid=contact-dialog]")
    page.fill("#contact-first_name", "Lucía")
    page.fill("#contact-last_name", f"Prueba {tag}")
    page.fill("#contact-email", "lucia-sin-arroba")
    page.click("#contact-submit")
    page.wait_for_selector("[data-testid=contact-email-error]")
    page.wait_for_timeout(300)  # the dialog's opening animation settles before the shot
    shot(page, "contact-error")
    page.fill("#contact-email", f"lucia.{tag}@example.com")
    page.click("#contact-submit")
    page.wait_for_selector("[data-testid=contact-dialog]", state="detached")
    page.wait_for_selector(f"[data-testid=contact-item] >> text=Lucía Prueba {tag}")
    page.wait_for_selector("[data-testid=timeline-item]")
    if phone:  # the record's buttons share rows, labels on one line; data and contacts first
        buttons = ("#account-log", "#account-task", "#account-edit", "#account-delete",
                   "#account-new-opportunity", "#account-new-quote")
        boxes = {b: page.locator(b).bounding_box() for b in buttons}
        log, edit = boxes["#account-log"], boxes["#account-edit"]
        assert abs(log["y"] - edit["y"]) < 2 and log["x"] < edit["x"], boxes  # rows shared
        for button, box in boxes.items():  # all on screen, none wider than it
            assert box["x"] >= 0 and box["x"] + box["width"] <= size["width"], (button, box)
        for button in buttons:
            assert page.evaluate(f"(e => e.scrollWidth <= e.clientWidth && "
                                 f"e.scrollHeight <= e.clientHeight)"
                                 f"(document.querySelector('{button}'))"), button
        data_top = page.locator("[data-testid=account-data]").bounding_box()["y"]
        opps_top = page.locator("[data-testid=account-opportunities]").bounding_box()["y"]
        assert data_top < opps_top
    no_sideways_scroll(page, size)
    shot(page, "file")

    # --- an edit ---------------------------------------------------------------------------------
    page.click("#account-edit")
    page.wait_for_url(re.compile(rf".*/clientes/{account_id}/editar$"))
    page.wait_for_selector(f"#account-form-title:has-text('{name}')")
    assert page.input_value("#postal_code") == "28013"
    page.fill("#trade_name", f"Talleres {tag}")
    page.click("#account-save")
    page.wait_for_url(re.compile(rf".*/clientes/{account_id}$"))
    page.wait_for_selector(f"[data-testid=account-header] >> text=Talleres {tag}")

    # --- the recycle bin: delete from the file, restore from the bin ----------------------------
    account_to_bin(page, tag)
    page.wait_for_selector(f"[data-testid={row}] >> text={name}")
    wait_shown(page, COUNT, "1 cliente en la papelera")
    if phone:
        assert "Eliminado el " in page.inner_text("[data-testid=account-card]")
    no_sideways_scroll(page, size)
    shot(page, "bin")
    page.click(f"#restore-card-{account_id}" if phone else f"#restore-{account_id}")
    page.wait_for_selector(f"[data-testid={row}] >> text={name}", state="detached")
    page.get_by_role("radio", name="Activos").click()
    page.wait_for_selector(f"[data-testid={row}] >> text={name}")
    wait_shown(page, COUNT, "1 cliente")
    # leave the demo data as it was: the customer goes back to the bin
    page.goto(f"{base}/clientes/{account_id}")
    page.click("#account-delete")
    page.click("#account-delete-confirm")
    page.wait_for_url(re.compile(r".*/clientes$"))
    ctx.close()
