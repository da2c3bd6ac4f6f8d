"""Ajustes in the browser, on a phone (390×844) and on a desktop (1440×900): the overview
(company, users as cards or a table), a custom field (inline error, created, deactivated and
back), the pipeline editor (a stage without name refused under its input, changes discarded),
a new assignment rule whose blank condition is refused under its value; and a comercial who
opens /ajustes is sent home with ONE denial toast.
"""

from __future__ import annotations

import random
import time

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, PHONE, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser

SIZES = [pytest.param(PHONE, id="phone"), pytest.param(DESKTOP, id="desktop")]


@pytest.mark.parametrize("size", SIZES)
def test_admin_walks_through_the_settings(live_app, browser, shot, size):
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", size)

    # Overview: the company and the users (cards on a phone, a table on a desktop).
    page.goto(live_app + "/ajustes")
    page.wait_for_selector("[data-testid=settings-company]")
    users = "[data-testid=settings-users-cards]" if size is PHONE \
        else "[data-testid=settings-users-table]"
    expect(page.locator(users)).to_be_visible()
    expect(page.locator(users).get_by_text("comercial6@demo.crm")).to_be_visible()
    no_sideways_scroll(page, size)
    shot(page, "overview")

    # Custom fields: a blank label is refused under it; then created, switched off and on.
    page.click("#settings-fields")
    page.wait_for_selector("[data-testid=fields-list]")
    page.click("#fields-add")
    page.click("#field-create-submit")
    expect(page.locator("#field-label-error")).to_have_text("La etiqueta es obligatoria.")
    suffix = f"{int(time.time()) % 10000}{random.randint(10, 99)}"
    page.fill("#field-label", f"Origen {suffix}")
    expect(page.locator("#field-key")).to_have_value(f"origen_{suffix}")
    shot(page, "field-dialog")
    page.click("#field-create-submit")
    row = page.locator(f"[data-testid=field-origen_{suffix}]")
    expect(row).to_be_visible()
    expect(page.locator("[data-testid=field-create-dialog]")).to_be_hidden()
    no_sideways_scroll(page, size)
    shot(page, "fields")
    page.click(f"[data-testid=field-off-origen_{suffix}]")
    page.click("#field-off-confirm")
    expect(page.locator(f"[data-testid=field-on-origen_{suffix}]")).to_be_visible()
    page.click(f"[data-testid=field-on-origen_{suffix}]")
    expect(page.locator(f"[data-testid=field-off-origen_{suffix}]")).to_be_visible()

    # Pipelines: a new stage without a name is refused under its input; discard restores.
    page.goto(live_app + "/ajustes/embudos")
    page.wait_for_selector("[data-testid=pipeline-editor]")
    stages = page.locator("[data-testid=stage-row]")
    expect(stages.first).to_be_visible()
    before = stages.count()
    page.click("#stage-add")
    expect(stages).to_have_count(before + 1)
    page.click("#pipeline-save")
    expect(page.get_by_text("El nombre de la etapa es obligatorio.")).to_be_visible()
    no_sideways_scroll(page, size)
    shot(page, "pipelines")
    page.click("#pipeline-discard")
    expect(stages).to_have_count(before)

    # Assignment rules: the new rule's blank condition is refused under its value.
    page.goto(live_app + "/ajustes/asignacion")
    page.wait_for_selector("[data-testid=rules-list]")
    page.click("#rules-add")
    page.fill("#rule-name", "Sin valor")
    page.click("#rule-editor-submit")
    error = page.locator("[data-testid='conditions.0.value-error']")
    expect(error).to_have_text("Indica el valor de la condición.")
    expect(page.locator("[data-testid=rule-editor-dialog]")).to_be_visible()
    shot(page, "rule-blank-condition")
    page.click("#rule-editor-cancel")
    expect(page.locator("[data-testid=rules-dirty]")).to_have_count(0)
    ctx.close()


def test_a_comercial_opening_settings_is_told_once(live_app, browser, shot):
    ctx, page = signed_in(browser, live_app, "comercial2@demo.crm", PHONE)
    # Count the toasts on screen every 50 ms from the page's first load: the most at once.
    page.add_init_script("""window.__mostToasts = 0; setInterval(() => {
        const n = document.querySelectorAll('[data-sonner-toast]').length;
        window.__mostToasts = Math.max(window.__mostToasts, n); }, 50);""")
    page.goto(live_app + "/ajustes")
    page.wait_for_selector("#greeting")  # sent back to Inicio
    toast = page.locator("[data-sonner-toast]")
    expect(toast.first).to_contain_text("No tienes permiso")
    shot(page, "denied")
    page.wait_for_timeout(1500)  # a second toast would have arrived by now
    assert page.evaluate("window.__mostToasts") == 1
    assert page.query_selector("[data-testid=settings-users]") is None
    ctx.close()
