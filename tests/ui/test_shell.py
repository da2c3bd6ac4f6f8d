"""The shell as a user sees it: login, navigation on a phone and on a desktop, logout, guards."""

from __future__ import annotations

import re

import pytest
from uikit import DESKTOP, PHONE, login

pytestmark = pytest.mark.browser


def test_comercial_on_a_phone_logs_in_navigates_and_logs_out(live_app, browser, shot):
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    login(page, live_app, "comercial1@demo.crm")
    page.wait_for_selector("#greeting")
    assert page.url.rstrip("/") == live_app
    cookie = next(c for c in ctx.cookies() if c["name"] == "crm_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # Phone: no sidebar, a menu button opening the drawer with every module.
    assert not page.is_visible("#sidebar")
    page.wait_for_selector("[data-testid=kpi-open-leads]")
    shot(page, "home")
    page.click("#menu-button")
    drawer = page.wait_for_selector("#nav-drawer")
    for label in ("Inicio", "Leads", "Clientes", "Oportunidades", "Presupuestos", "Tareas",
                  "Documentos", "Informes"):
        assert drawer.query_selector(f"text={label}") is not None, label
    assert drawer.query_selector("text=Ajustes") is None  # admin only
    shot(page, "drawer")
    page.click("#nav-drawer >> text=Leads")
    page.wait_for_url(re.compile(r".*/leads/?$"))
    page.wait_for_selector("[data-testid=leads-count]")
    count = page.inner_text("[data-testid=leads-count]")
    assert re.match(r"^\d[\d.]* leads$", count), count
    # The page itself must not scroll sideways at 390 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "leads")
    page.click("#user-menu")
    page.click("#logout")
    page.wait_for_url(re.compile(r".*/login/?$"))
    page.goto(live_app + "/leads")
    page.wait_for_selector("#login-submit")  # the session is gone: back to the login form
    assert "/login" in page.url
    ctx.close()


def test_admin_on_a_desktop_sees_sidebar_and_settings(live_app, browser, shot):
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, live_app, "admin@demo.crm")
    page.wait_for_selector("#greeting")
    assert page.is_visible("#sidebar")
    assert not page.is_visible("#menu-button")
    page.click("#alerts-button")
    page.wait_for_selector("[data-testid=alerts-popover]")
    page.keyboard.press("Escape")
    shot(page, "home")
    page.click("#nav-ajustes")
    page.wait_for_selector("[data-testid=settings-users]")
    page.wait_for_selector("text=comercial6@demo.crm")
    assert page.inner_text("#page-title") == "Ajustes"
    shot(page, "settings")
    page.click("#nav-clientes")
    page.wait_for_selector("[data-testid=accounts-count]")
    page.wait_for_function(
        "document.querySelector('[data-testid=accounts-count]').innerText.startsWith('150')")
    page.click("#user-menu")
    page.click("#logout")
    page.wait_for_url(re.compile(r".*/login/?$"))
    ctx.close()


def test_comercial_cannot_open_settings(live_app, browser):
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, live_app, "comercial2@demo.crm")
    page.wait_for_selector("#greeting")
    assert not page.is_visible("#nav-ajustes")
    page.goto(live_app + "/ajustes")
    page.wait_for_selector("#greeting")  # sent back to Inicio
    assert page.query_selector("[data-testid=settings-users] >> text=admin@demo.crm") is None
    ctx.close()


def test_wrong_password_then_lockout_is_explained(live_app, browser, shot):
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    for _ in range(4):
        login(page, live_app, "comercial6@demo.crm", "incorrecta")
        page.wait_for_selector("#login-error")
        assert "incorrectos" in page.inner_text("#login-error")
    login(page, live_app, "comercial6@demo.crm", "incorrecta")
    page.wait_for_selector("#login-error")
    assert "bloqueada" in page.inner_text("#login-error")
    login(page, live_app, "comercial6@demo.crm")  # right password, still locked
    page.wait_for_selector("#login-error")
    assert "bloqueada" in page.inner_text("#login-error")
    shot(page, "locked")
    ctx.close()
