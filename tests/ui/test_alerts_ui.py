"""Issue 13's alerts in the browser: a comercial on Inicio at 390 px gets an alert raised in
the background (through the service, on the live app's database, as a rule or the sweep
would): the pop-up reaches the open tab within seconds without a reload, the bell's count goes
up, "Ir al registro" opens the record, whose header shows the alert's icon. At 1440 px the
bell's panel says why and "descartar" takes it away. The PWA's manifest, icons and service
worker are served."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine
from sqlmodel import Session, select
from uikit import DESKTOP, PHONE, no_sideways_scroll, signed_in

from crm_app.models import Lead, User
from crm_app.services import alerts

pytestmark = pytest.mark.browser


def _raise_for(data_dir, email: str, key: str, message: str) -> int:  # noqa: ANN001
    """An alert for ``email`` about one of their leads, written as another process would."""
    engine = create_engine(f"sqlite:///{data_dir / 'crm.db'}")
    try:
        with Session(engine) as session:
            user = session.exec(select(User).where(User.email == email)).one()
            lead = session.exec(select(Lead).where(Lead.owner_id == user.id,
                                                   Lead.deleted_at.is_(None))
                                .order_by(Lead.id)).first()
            alerts.raise_alert(session=session, owner_id=user.id, kind="rule", level="warning",
                               message=message, reason="Regla «Seguimiento»: sin respuesta",
                               record=("lead", lead.id), source="rule:1",
                               dedup_key=f"ui-test:{key}:{time.time_ns()}")
            session.commit()
            return lead.id
    finally:
        engine.dispose()


def _badge(page) -> int:  # noqa: ANN001
    badge = page.locator("#alerts-badge")
    return int(badge.inner_text()) if badge.count() else 0


def test_a_new_alert_pops_up_without_reload_and_opens_its_record(live_app, live_app_data_dir,
                                                                  browser, shot):
    ctx, page = signed_in(browser, live_app, "comercial1@demo.crm", PHONE)
    try:
        page.wait_for_selector("#alerts-button")
        page.wait_for_timeout(500)  # the bell's watch has started (it polls every 3 s)
        before = _badge(page)
        message = "Llama hoy a este lead (prueba de alertas)"
        lead_id = _raise_for(live_app_data_dir, "comercial1@demo.crm", "phone", message)
        toast = page.locator("[data-sonner-toast]", has_text=message)
        expect(toast).to_be_visible(timeout=10_000)
        toast.hover()  # a pointer on it holds the toast (it would close by itself in 30 s)
        expect(toast).to_contain_text("Regla «Seguimiento»")
        expect(page.locator("#alerts-badge")).to_have_text(str(before + 1), timeout=5_000)
        assert page.url.rstrip("/") == live_app  # no reload, still on Inicio
        no_sideways_scroll(page, PHONE)
        shot(page, "toast-390")
        toast.get_by_role("button", name="Ir al registro").click()
        page.wait_for_url(f"**/leads/{lead_id}")
        expect(page.locator("[data-testid=record-alert]")).to_be_visible(timeout=10_000)
        expect(page.locator("#alerts-badge")).to_have_text(str(before), timeout=5_000)
        shot(page, "record-390")
        # the PWA: manifest, icons and the service worker are served
        manifest = page.request.get(live_app + "/manifest.webmanifest")
        assert manifest.ok and manifest.json()["display"] == "standalone"
        for icon in manifest.json()["icons"]:
            assert page.request.get(live_app + icon["src"]).headers["content-type"] == "image/png"
        worker = page.request.get(live_app + "/sw.js")
        assert worker.ok and "notificationclick" in worker.text()
        assert page.locator("link[rel=manifest]").count() == 1
        registered = page.evaluate("""async () => {
            const r = await navigator.serviceWorker.getRegistration('/');
            return r ? r.scope : '';
        }""")
        assert registered == live_app + "/"
    finally:
        ctx.close()


def test_the_bell_says_why_and_dismisses(live_app, live_app_data_dir, browser, shot):
    ctx, page = signed_in(browser, live_app, "comercial2@demo.crm", DESKTOP)
    try:
        message = "Presupuesto pendiente de respuesta (prueba)"
        _raise_for(live_app_data_dir, "comercial2@demo.crm", "desktop", message)
        page.click("#alerts-button")
        item = page.locator("[data-testid=alert-item]", has_text=message)
        expect(item).to_be_visible(timeout=10_000)
        expect(item).to_contain_text("Regla «Seguimiento»")
        shot(page, "bell-1440")
        item.locator("[data-testid=alert-dismiss]").click()
        expect(item).to_have_count(0, timeout=5_000)
        page.keyboard.press("Escape")
        # Mi cuenta → Notificaciones: a switch is saved at once
        page.goto(live_app + "/mi-cuenta")
        card = page.locator("[data-testid=account-notifications]")
        expect(card).to_be_visible(timeout=10_000)
        page.click("#notify-email")
        expect(page.get_by_text("Preferencias de notificación guardadas.")).to_be_visible()
        expect(page.locator("#notify-email")).to_have_attribute("data-state", "checked")
        shot(page, "preferences-1440")
        page.click("#notify-email")  # back as it was, for the other tests on this app
        expect(page.locator("#notify-email")).to_have_attribute("data-state", "unchecked")
    finally:
        ctx.close()
