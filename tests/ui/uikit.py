"""Constants and helpers shared by the browser tests."""

from __future__ import annotations

import os
import re

import pytest

from crm_app.settings import PROJECT_ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TEST_PORT = int(os.environ.get("CRM_TEST_PORT", "3917"))
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
PASSWORD = "demo1234"
# The sales screens are walked by a comercial on a phone and by a manager on a desktop.
SALES_WALKS = [pytest.param(PHONE, "comercial1@demo.crm", id="phone"),
               pytest.param(DESKTOP, "manager1@demo.crm", id="desktop")]


def login(page, base: str, email: str, password: str = PASSWORD) -> None:  # noqa: ANN001
    page.goto(base + "/login")
    page.wait_for_selector("#login-submit")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login-submit")


# (base URL, e-mail) -> the cookies of a signed-in context: later contexts of that user start
# with them instead of going through the login form again (two page loads and a production
# argon2 verification each, ~60 times per run). Only cookies: the app's own storage stays
# per context.
_SESSIONS: dict[tuple[str, str], list[dict]] = {}


def signed_in(browser, base: str, email: str, size: dict,  # noqa: ANN001, ANN201
              *, path: str | None = None, **context: object):
    """A new browser context at ``size`` in Spanish, signed in as ``email`` and on Inicio
    (``#greeting`` shown), then at ``path`` when given: ``(context, page)``.

    The session of an earlier ``signed_in`` of the same user is reused when it is still
    valid (Inicio greets); if a test ended it (logged out, deactivated the user…), the
    login form is filled again."""
    ctx = browser.new_context(viewport=size, locale="es-ES", **context)
    page = ctx.new_page()
    cookies = _SESSIONS.get((base, email))
    greeted = False
    if cookies:
        ctx.add_cookies(cookies)
        page.goto(base + "/")
        page.wait_for_selector("#greeting, #login-submit")
        greeted = page.locator("#greeting").count() > 0
    if not greeted:
        login(page, base, email)
        page.wait_for_selector("#greeting")
        _SESSIONS[(base, email)] = ctx.cookies()
    if path is not None:
        page.goto(base + path)
    return ctx, page


def pick(page, trigger: str, option: str, *, shows: bool = True) -> None:  # noqa: ANN001
    """Choose ``option`` in the Radix select whose trigger matches ``trigger`` (and, with
    ``shows``, wait until the trigger shows it)."""
    page.click(trigger)
    page.get_by_role("option", name=option, exact=True).click()
    if not shows:
        return
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel)?.innerText.includes(text)",
        arg=[trigger, option])


def shown(page, testid: str) -> str:  # noqa: ANN001
    """The text of the element ``[data-testid=testid]``, trimmed."""
    return page.inner_text(f"[data-testid={testid}]").strip()


def wait_shown(page, testid: str, expected: str) -> None:  # noqa: ANN001
    """Wait until the element ``[data-testid=testid]`` shows exactly ``expected``."""
    page.wait_for_function(
        "([id, t]) => document.querySelector(`[data-testid=${id}]`)?.innerText.trim() === t",
        arg=[testid, expected])


def account_to_bin(page, search: str) -> None:  # noqa: ANN001
    """On a customer's file: delete it, and show the recycle bin searched for ``search``."""
    page.click("#account-delete")
    page.click("#account-delete-confirm")
    page.wait_for_url(re.compile(r".*/clientes$"))
    page.get_by_role("radio", name="Papelera").click()
    page.fill("#accounts-search", search)


def no_sideways_scroll(page, size: dict) -> None:  # noqa: ANN001
    assert page.evaluate("document.documentElement.scrollWidth") <= size["width"]
