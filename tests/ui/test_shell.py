"""The shell as a user sees it: login, navigation on a phone and on a desktop, logout, guards."""

from __future__ import annotations

import re

import pytest
from uikit import DESKTOP, PHONE, login, no_sideways_scroll

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
                  "Agenda", "Documentos", "Informes"):
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
    # the admin sees the whole company's customers (the demo's 150, plus what earlier browser
    # tests on this shared app made): the same number the API counts for the admin
    total = page.request.get(live_app + "/api/v1/accounts", params={"page_size": 1}).json()
    assert total["count"] >= 150
    page.wait_for_function(
        "n => document.querySelector('[data-testid=accounts-count]').innerText.startsWith(n)",
        arg=str(total["count"]))
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


_HEADER_BUTTONS = ("#menu-button", "#alerts-button", "#user-menu")


def _box(page, selector: str) -> dict:  # noqa: ANN001
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not shown"
    return box


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def _denied_toast(page, base: str) -> dict:  # noqa: ANN001
    """A comercial opening /ajustes: sent home with one "no tienes permiso" toast; its box
    where its entry transition ends.

    The page itself measures it (``_WATCH_TOAST``, installed before the navigation): once
    Sonner has mounted the toast and its slide-in has finished, the box is kept in
    ``window.__deniedToast``. Sampling it from here raced the toast's own life: on a loaded
    machine the slide-in is slow, the polls are slower, and the toast could leave (or be
    re-mounted as the route changes) between two of them."""
    page.add_init_script(_WATCH_TOAST)
    page.goto(base + "/ajustes")
    page.wait_for_selector("#greeting")
    return page.wait_for_function("window.__deniedToast", timeout=60_000).json_value()


_WATCH_TOAST = """(() => {
    const settle = async (el) => {
        for (let i = 0; i < 100 && el.getAttribute('data-mounted') !== 'true'; i++) {
            await new Promise(r => setTimeout(r, 20));
        }
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        await Promise.all(el.getAnimations().map(a => a.finished.catch(() => null)));
        const r = el.getBoundingClientRect();
        if (el.isConnected && r.width > 0 && !window.__deniedToast) {
            window.__deniedToast = {x: r.x, y: r.y, width: r.width, height: r.height};
        }
    };
    const seen = new WeakSet();
    new MutationObserver(() => {
        for (const el of document.querySelectorAll('[data-sonner-toast]')) {
            if (!seen.has(el) && el.textContent.includes('permiso')) {
                seen.add(el);
                settle(el);
            }
        }
    }).observe(document, {childList: true, subtree: true, characterData: true});
})()"""


def test_on_a_phone_toasts_leave_the_header_buttons_free(live_app, browser, shot):
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    login(page, live_app, "comercial2@demo.crm")
    page.wait_for_selector("#greeting")
    toast = _denied_toast(page, live_app)
    shot(page, "toast")
    for button in _HEADER_BUTTONS:
        assert not _overlap(toast, _box(page, button)), f"the toast covers {button}"
    assert toast["y"] + toast["height"] <= PHONE["height"]  # on screen, at the bottom
    assert toast["y"] > PHONE["height"] / 2
    ctx.close()
    # On a desktop the toast stays at the top centre, clear of the bell and the user menu.
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    login(page, live_app, "comercial2@demo.crm")
    page.wait_for_selector("#greeting")
    toast = _denied_toast(page, live_app)
    shot(page, "toast-desktop")
    assert toast["y"] < DESKTOP["height"] / 2
    for button in ("#alerts-button", "#user-menu"):
        assert not _overlap(toast, _box(page, button)), f"the toast covers {button}"
    ctx.close()


def test_on_a_phone_a_long_page_title_keeps_one_line_and_the_buttons_on_screen(
        live_app, browser, shot):
    ctx = browser.new_context(viewport=PHONE)
    page = ctx.new_page()
    login(page, live_app, "admin@demo.crm")
    page.wait_for_selector("#greeting")
    page.goto(live_app + "/ajustes/campos")  # "Campos personalizados"
    page.wait_for_selector("[data-testid=fields-list]")
    shot(page, "long-title")
    title = _box(page, "#page-title")
    buttons = {b: _box(page, b) for b in _HEADER_BUTTONS}
    assert title["x"] >= buttons["#menu-button"]["x"] + buttons["#menu-button"]["width"]
    assert title["x"] + title["width"] <= buttons["#alerts-button"]["x"]
    assert buttons["#user-menu"]["x"] + buttons["#user-menu"]["width"] <= PHONE["width"]
    one_line = page.evaluate("""() => {
        const el = document.getElementById("page-title");
        return el.getBoundingClientRect().height
            <= parseFloat(getComputedStyle(el).lineHeight) * 1.2;
    }""")
    assert one_line, "the title wraps and makes the bar taller"
    assert page.evaluate(  # the whole title is still there for whoever needs it
        "document.getElementById('page-title').textContent") == "Campos personalizados"
    no_sideways_scroll(page, PHONE)
    ctx.close()
