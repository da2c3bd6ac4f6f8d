"""The agenda in the browser (issue 13).

At 1440 px: an admin creates a shared calendar in Ajustes → Calendarios; a manager opens the
week of 7/01/2030 (no demo rows there), shows the team's calendar and hides/shows the shared
one, clicks the empty 10:00 slot of Tuesday, creates a meeting on the shared calendar linked
to a customer (the account picker), opens its card (the customer's file and its documents one
click away) and drags it to Thursday 15:00 — read back over the API (14:00 UTC). At 390 px a
comercial sees the same kind of week as a list, without sideways scrolling.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, PASSWORD, PHONE, no_sideways_scroll, pick

pytestmark = pytest.mark.browser

WEEK = "/agenda?vista=week&fecha=2030-01-09"


def signed_in(browser, base: str, email: str, size: dict, *, path: str):  # noqa: ANN001, ANN201
    """A context at ``size`` signed in through the login route (the cookie, without
    rendering Inicio first: the login screen has tests of its own), on ``path``."""
    ctx = browser.new_context(viewport=size, locale="es-ES")
    r = ctx.request.post(base + "/auth/login", headers={"Origin": base},
                         form={"email": email, "password": PASSWORD}, max_redirects=0)
    assert r.status == 303 and "crm_session" in r.headers.get("set-cookie", ""), r.status
    page = ctx.new_page()
    page.goto(base + path)
    return ctx, page


def test_week_view_create_by_slot_and_drag(live_app, browser, shot):
    origin = {"Origin": live_app}
    actx, admin = signed_in(browser, live_app, "admin@demo.crm", DESKTOP,
                            path="/ajustes/calendarios")
    ctx, page = signed_in(browser, live_app, "manager1@demo.crm", DESKTOP, path=WEEK)
    calendar_id = account_id = None
    try:
        admin.fill("#calendar-new-name", "Furgoneta UI")
        admin.click("#calendar-create")
        row = admin.locator("[data-testid=calendar-row]").filter(
            has=admin.locator("input[value='Furgoneta UI']"))
        expect(row).to_have_count(1)
        calendar_id = next(c["id"] for c in admin.request.get(
            live_app + "/api/v1/calendars").json()["data"] if c["name"] == "Furgoneta UI")
        made = page.request.post(live_app + "/api/v1/accounts", headers=origin,
                                 data={"name": "Agenda Pruebas UI S.L.",
                                       "province": "Zaragoza"})
        assert made.status == 201, made.text()
        account_id = made.json()["id"]

        page.reload()  # the shared calendar made since
        expect(page.locator("#agenda-title")).to_have_text("7/01 – 13/01/2030")
        team = page.locator("[data-testid=agenda-calendar][data-key=team]")
        van = page.locator(f"[data-testid=agenda-calendar][data-key='shared:{calendar_id}']")
        expect(team).to_have_attribute("data-shown", "")
        team.click()
        expect(team).to_have_attribute("data-shown", "1")
        van.click()
        expect(van).to_have_attribute("data-shown", "")
        van.click()
        expect(van).to_have_attribute("data-shown", "1")

        page.click("[data-testid=agenda-slot][data-day='2030-01-08'][data-hour='10:00']")
        expect(page.locator("#agenda-new-start")).to_have_value("2030-01-08T10:00")
        page.fill("#agenda-new-subject", "Entrega furgoneta")
        pick(page, "#agenda-new-calendar", "Furgoneta UI")
        page.fill("#agenda-new-account-search", "Agenda Pruebas UI")
        page.locator("[data-testid=account-option]").first.click()
        expect(page.locator("#agenda-new-account-name")).to_contain_text("Agenda Pruebas UI")
        page.click("#agenda-new-submit")
        event = page.locator("[data-testid=agenda-event]").filter(has_text="Entrega furgoneta")
        expect(event).to_have_attribute("data-day", "2030-01-08")
        expect(event).to_have_attribute("data-start", "10:00")
        shot(page, "week-1440")

        event.click()
        expect(page.locator("#agenda-card-record")).to_have_attribute(
            "href", f"/clientes/{account_id}")
        expect(page.locator("#agenda-card-documents")).to_have_attribute(
            "href", f"/clientes/{account_id}#documentos")
        page.keyboard.press("Escape")
        expect(page.locator("[data-testid=agenda-card-dialog]")).to_have_count(0)

        page.drag_and_drop(
            "[data-testid=agenda-event]:has-text('Entrega furgoneta')",
            "[data-testid=agenda-slot][data-day='2030-01-10'][data-hour='15:00']")
        expect(event).to_have_attribute("data-day", "2030-01-10")
        expect(event).to_have_attribute("data-start", "15:00")
        week = page.request.get(live_app + "/api/v1/agenda", params={
            "from": "2030-01-07T00:00", "to": "2030-01-14T00:00",
            "calendars": f"shared:{calendar_id}"}).json()
        moved = [e for e in week["data"] if e["subject"] == "Entrega furgoneta"]
        assert [e["start"][:19] for e in moved] == ["2030-01-10T14:00:00"]  # 15:00 Madrid
        assert moved[0]["end"][:19] == "2030-01-10T15:00:00"
    finally:
        if calendar_id is not None:
            admin.request.patch(live_app + f"/api/v1/calendars/{calendar_id}",
                                headers=origin, data={"active": False})
        if account_id is not None:
            page.request.delete(live_app + f"/api/v1/accounts/{account_id}", headers=origin)
        ctx.close()
        actx.close()


def test_the_week_as_a_list_on_a_phone(live_app, browser, shot):
    ctx, page = signed_in(browser, live_app, "comercial1@demo.crm", PHONE, path="/agenda")
    try:
        made = page.request.post(live_app + "/api/v1/agenda/events",
                                 headers={"Origin": live_app},
                                 data={"subject": "Visita en el móvil", "kind": "meeting",
                                       "start": "2030-01-09T12:30", "location": "Huesca"})
        assert made.status == 201, made.text()
        page.goto(live_app + WEEK)
        item = page.locator("[data-testid=agenda-list-event]").filter(
            has_text="Visita en el móvil")
        expect(item).to_be_visible()
        expect(item).to_contain_text(re.compile(r"12:30–13:30"))
        expect(page.locator("#agenda-grid")).to_be_hidden()
        no_sideways_scroll(page, PHONE)
        shot(page, "list-390")
        item.click()
        expect(page.locator("#agenda-card-when")).to_have_text("09/01/2030 12:30–13:30")
    finally:
        ctx.close()
