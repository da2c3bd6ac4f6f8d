"""Ajustes → Automatizaciones in the browser (issue 13). On a desktop (1440 px) the admin
builds "oportunidad sin actividad 7 días → tarea" in the editor, is told what is missing
(the name), runs the simulator ("con los datos de ahora … esta regla crearía N tareas"),
whose count the API's simulator of the saved rule confirms, and saves it; on a phone (390 px)
the editor fits the screen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, PHONE, no_sideways_scroll, signed_in

pytestmark = pytest.mark.browser
NAME = "Oportunidad sin actividad 7 días"


def _tasks_said(text: str) -> int:
    if "no haría nada" in text:
        return 0
    match = re.search(r"crearía (\d+) tareas", text)
    assert match, text
    return int(match.group(1))


def test_admin_builds_an_idle_rule_and_simulates_it(live_app, browser, shot):  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", DESKTOP, path="/ajustes")
    rule_id = None
    try:
        page.click("#settings-automations")
        page.wait_for_selector("#auto-new")
        page.click("#auto-new")
        page.wait_for_selector("[data-testid='auto-editor']")
        expect(page.locator("#auto-trigger")).to_contain_text("Sin actividad N días")
        expect(page.locator("#auto-entity")).to_contain_text("Oportunidad")
        page.fill("#auto-number", "7")
        expect(page.locator("#auto-action-type-0")).to_contain_text("Crear tarea")
        page.fill("#auto-action-subject-0", "Llamar: {name} ({responsable})")
        page.click("#auto-save")  # no name yet: said under the field, nothing saved
        expect(page.locator("#auto-name-error")).to_contain_text("Pon un nombre a la regla.")
        page.fill("#auto-name", NAME)

        page.click("#auto-simulate")
        result = page.locator("#auto-sim-result")
        expect(result).to_contain_text(re.compile("crearía|no haría nada"), timeout=15_000)
        said = _tasks_said(result.inner_text())
        shot(page, "desktop-simulated")

        page.click("#auto-save")
        expect(page.get_by_text("Regla guardada.")).to_be_visible(timeout=15_000)
        expect(page.locator("[data-testid='auto-rule']").filter(has_text=NAME)).to_be_visible()
        rules = page.request.get(live_app + "/api/v1/automations").json()["data"]
        [rule] = [r for r in rules if r["name"] == NAME]
        rule_id = rule["id"]
        assert rule["trigger"] == {"type": "idle", "entity": "opportunity", "days": 7}
        assert rule["actions"][0]["subject"] == "Llamar: {name} ({responsable})"
        sim = page.request.post(f"{live_app}/api/v1/automations/{rule_id}/simulate",
                                headers={"Origin": live_app}, data={"last_n": 100}).json()
        assert sim["tasks"] == said, (sim, said)
        shot(page, "desktop-saved")
    finally:
        if rule_id is not None:
            page.request.delete(f"{live_app}/api/v1/automations/{rule_id}",
                                headers={"Origin": live_app})
        ctx.close()


def test_the_editor_fits_a_phone(live_app, browser, shot):  # noqa: ANN001
    ctx, page = signed_in(browser, live_app, "admin@demo.crm", PHONE,
                          path="/ajustes/automatizaciones")
    try:
        page.wait_for_selector("#auto-new")
        page.click("#auto-new")
        page.wait_for_selector("#auto-simulate")
        page.click("#auto-cond-add")
        page.wait_for_selector("#auto-cond-field-0")
        no_sideways_scroll(page, PHONE)
        shot(page, "phone")
    finally:
        ctx.close()
