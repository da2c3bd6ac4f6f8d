"""Issue 13's activities and tasks in the browser.

At 390 px a comercial opens a lead (made over the API), logs a call with its outcome in two
taps ("Registrar", type the outcome, "Guardar"), creates a task due today from "Nueva tarea",
opens /tareas → Hoy, marks it done and finds it under Hechas; the counts of "Tu día" on Inicio
are the counts of the tabs. At 1440 px a manager sees the team's tasks in /tareas and moves a
selection a week on with one bulk action. What the tests create is deleted afterwards.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect
from uikit import DESKTOP, PHONE, no_sideways_scroll, signed_in

from crm_app.formatting import TZ

pytestmark = pytest.mark.browser


WINDOWS = ("hoy", "vencidas", "proximas", "hechas")
CARDS = {"hoy": ("kpi-tasks-due", "/tareas?vence=hoy"),
         "vencidas": ("kpi-tasks-overdue", "/tareas?vence=vencidas"),
         "proximas": ("kpi-tasks-upcoming", "/tareas?vence=proximas"),
         "hechas": ("kpi-tasks-done", "/tareas?vence=hechas")}


def _today_due() -> str:
    """A due time later today in Madrid (a few minutes ahead; the last minute of the day
    when that would cross midnight)."""
    now = datetime.now(TZ)
    due = min(now + timedelta(minutes=5), now.replace(hour=23, minute=59))
    return due.strftime("%d/%m/%Y %H:%M")


def _tab_count(page, window: str) -> str:  # noqa: ANN001
    return page.inner_text(f"[data-testid=tasks-count-{window}]").strip()


def _api(page, base: str, method: str, path: str, **data):  # noqa: ANN001, ANN003, ANN202
    r = page.request.fetch(base + path, method=method, headers={"Origin": base},
                           data=data or None)
    assert r.status < 300, (path, r.status, r.text())
    return r.json() if r.text() else None


def test_a_comercial_logs_a_call_and_works_a_task_on_a_phone(live_app, browser, shot):
    stamp = str(int(time.time() * 1000))[-7:]
    ctx, page = signed_in(browser, live_app, "comercial1@demo.crm", PHONE)
    lead = _api(page, live_app, "POST", "/api/v1/leads", first_name="Marta",
                last_name=f"Prueba {stamp}", company=f"Talleres Prueba {stamp}",
                email=f"marta{stamp}@talleres-prueba.es")
    made: list[int] = []
    try:
        page.goto(f"{live_app}/leads/{lead['id']}")
        # tap 1: "Registrar" opens the dialog on a call, its subject filled in
        page.click("#lead-log")
        expect(page.locator("#log-subject")).to_have_value("Llamada")
        page.fill("#log-outcome", "Pide presupuesto")
        page.click("#log-submit")  # tap 2
        expect(page.get_by_test_id("log-dialog")).to_have_count(0)
        timeline = page.get_by_test_id("lead-timeline")
        expect(timeline).to_contain_text("Llamada: Llamada")
        expect(timeline).to_contain_text("Pide presupuesto")
        # a task due today, from "Nueva tarea"
        subject = f"Enviar catálogo {stamp}"
        page.click("#lead-task")
        page.fill("#log-subject", subject)
        page.fill("#log-due", _today_due())
        page.click("#log-submit")
        expect(page.get_by_test_id("lead-activities")).to_contain_text(subject)
        no_sideways_scroll(page, PHONE)
        shot(page, "lead-390")
        mine = _api(page, live_app, "GET", f"/api/v1/activities?lead_id={lead['id']}")
        made = [a["id"] for a in mine["data"]]
        task = next(a for a in mine["data"] if a["subject"] == subject)
        assert task["status"] == "open"
        # /tareas → Hoy: mark it done, it moves to Hechas
        page.goto(live_app + "/tareas?vence=hoy")
        row = page.locator("[data-testid=task-card]:visible", has_text=subject)
        expect(row).to_be_visible(timeout=15_000)
        done_before = _tab_count(page, "hechas")
        no_sideways_scroll(page, PHONE)
        page.click(f"#task-done-{task['id']}:visible")
        expect(row).to_have_count(0)
        # (Radix draws each tab's label twice: the visible one and a sizer)
        expect(page.get_by_test_id("tasks-count-hechas").first).to_have_text(
            str(int(done_before) + 1))
        page.get_by_role("radio", name=re.compile("^Hechas")).click()
        expect(page.locator("[data-testid=task-card]:visible", has_text=subject)).to_be_visible()
        shot(page, "tareas-hechas-390")
        # "Tu día" counts the sets the tabs hold, and each card opens its tab
        counts = {w: _tab_count(page, w) for w in WINDOWS}
        page.goto(live_app + "/")
        for window, (card, href) in CARDS.items():
            expect(page.get_by_test_id(card)).to_have_text(
                re.compile(rf"^\D*{counts[window]}$"), timeout=15_000)
            assert page.get_attribute(f"a:has([data-testid={card}])", "href") == href
    finally:
        for activity_id in made:
            page.request.delete(f"{live_app}/api/v1/activities/{activity_id}",
                                headers={"Origin": live_app})
        page.request.delete(f"{live_app}/api/v1/leads/{lead['id']}",
                            headers={"Origin": live_app})
        ctx.close()


def test_a_manager_moves_the_teams_tasks_a_week_on_a_desktop(live_app, browser, shot):
    stamp = str(int(time.time() * 1000))[-7:]
    ctx, page = signed_in(browser, live_app, "manager1@demo.crm", DESKTOP)
    lead = _api(page, live_app, "POST", "/api/v1/leads", first_name="Jon",
                company=f"Ferretería {stamp}", email=f"jon{stamp}@ferreteria.es")
    far = (datetime.now(TZ) + timedelta(days=3)).replace(hour=10, minute=0, second=0,
                                                          microsecond=0)
    made = [_api(page, live_app, "POST", "/api/v1/activities", kind="task",
                 subject=f"Visita {stamp} {n}", lead_id=lead["id"],
                 due_at=(far + timedelta(hours=n)).isoformat())["id"] for n in (1, 2)]
    try:
        page.goto(live_app + "/tareas?vence=proximas")
        page.wait_for_selector("#tasks-scope")
        page.click("#tasks-scope")
        page.get_by_role("option", name="Mi equipo", exact=True).click()
        page.fill("#tasks-search", f"Visita {stamp}")
        # the search has been applied (it clears a selection): only these two are listed
        expect(page.get_by_test_id("tasks-count")).to_have_text(re.compile(r"^2 "))
        rows = page.locator("[data-testid=task-row]", has_text=f"Visita {stamp}")
        expect(rows).to_have_count(2)
        expect(rows.first.get_by_test_id("task-record")).to_have_attribute(
            "href", f"/leads/{lead['id']}")
        for activity_id in made:
            page.click(f"[data-testid=row-check-{activity_id}]:visible")
        expect(page.get_by_test_id("bulk-count")).to_contain_text("2")
        shot(page, "tareas-1440")
        page.click("#bulk-week")
        expect(page.get_by_test_id("bulk-bar")).to_have_count(0)
        moved = _api(page, live_app, "GET", f"/api/v1/activities?lead_id={lead['id']}")
        dues = sorted(datetime.fromisoformat(a["due_at"]).astimezone(TZ)
                      for a in moved["data"])
        assert [d.date() for d in dues] == [(far + timedelta(days=7)).date()] * 2
        assert [d.hour for d in dues] == [11, 12]  # the same Madrid time, a week on
    finally:
        for activity_id in made:
            page.request.delete(f"{live_app}/api/v1/activities/{activity_id}",
                                headers={"Origin": live_app})
        page.request.delete(f"{live_app}/api/v1/leads/{lead['id']}",
                            headers={"Origin": live_app})
        ctx.close()
