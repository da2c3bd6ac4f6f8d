"""/api/v1/activities (issue 13) in process: log a call, create a task due today, find it
with ``status=today&owner=me``, mark it done with ``PATCH``; records out of the caller's
scope are 404, bad fields 422 naming them, the asesor 403."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from api_harness import Api, serve_with_people
from sqlmodel import Session

from crm_app.services.leads import create_lead


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_with_people(tmp_path_factory.mktemp("activities")) as served:
        with Session(served.engine, expire_on_commit=False) as session:
            for key in ("comercial1", "comercial3"):
                user = getattr(served.people, key)
                lead = create_lead(session=session, actor=user, data={
                    "first_name": "Ana", "company": f"Lead de {key}",
                    "email": f"{key}@lead.es"})
                served.__dict__[f"lead_{key}"] = lead.id
        yield served


def _soon() -> str:
    """Due later today in Madrid whatever the hour the suite runs (or in a minute)."""
    now = datetime.now(UTC)
    return (now + timedelta(seconds=90)).isoformat()


def test_log_a_call_create_a_task_and_complete_it(api: Api) -> None:
    lead = api.__dict__["lead_comercial1"]
    r = api.request("comercial1", "POST", "/api/v1/activities", json={
        "kind": "call", "subject": "Primera llamada", "outcome": "Interesado", "lead_id": lead})
    assert r.status_code == 201, r.text
    call = r.json()
    assert (call["status"], call["outcome"], call["lead_id"]) == ("done", "Interesado", lead)
    r = api.request("comercial1", "POST", "/api/v1/activities", json={
        "kind": "task", "subject": "Enviar catálogo", "notes": "PDF", "lead_id": lead,
        "due_at": _soon(), "reminder_minutes": 0})
    assert r.status_code == 201, r.text
    task = r.json()
    assert (task["status"], task["notes"]) == ("open", "PDF")
    r = api.request("comercial1", "GET", "/api/v1/activities",
                    params={"status": "open", "owner": "me", "lead_id": lead})
    assert r.status_code == 200 and r.json()["count"] == 1, r.text
    assert r.json()["data"][0]["id"] == task["id"]
    r = api.request("comercial1", "PATCH", f"/api/v1/activities/{task['id']}",
                    json={"done": True})
    assert r.status_code == 200 and r.json()["status"] == "done", r.text
    r = api.request("comercial1", "GET", "/api/v1/activities",
                    params={"status": "done", "lead_id": lead})
    assert {a["id"] for a in r.json()["data"]} == {call["id"], task["id"]}
    # the manager of the team sees them, the other team's comercial does not
    assert api.request("manager1", "GET", f"/api/v1/activities/{task['id']}").status_code == 200
    assert api.request("comercial3", "GET",
                       f"/api/v1/activities/{task['id']}").status_code == 404
    assert api.request("comercial3", "GET", "/api/v1/activities").json()["count"] == 0


def test_today_and_overdue_are_the_windows_of_tu_dia(api: Api) -> None:
    lead = api.__dict__["lead_comercial3"]
    past = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    r = api.request("comercial3", "POST", "/api/v1/activities", json={
        "kind": "task", "subject": "Vencida", "lead_id": lead, "due_at": past})
    assert r.status_code == 201, r.text
    overdue = api.request("comercial3", "GET", "/api/v1/activities",
                          params={"status": "overdue", "owner": "me"}).json()
    assert [a["subject"] for a in overdue["data"]] == ["Vencida"]
    today = api.request("comercial3", "GET", "/api/v1/activities",
                        params={"status": "today"}).json()
    assert today["count"] == 0  # an overdue task is not today's


def test_out_of_scope_records_are_404_and_bad_fields_422(api: Api) -> None:
    other = api.__dict__["lead_comercial3"]
    r = api.request("comercial1", "POST", "/api/v1/activities", json={
        "kind": "note", "subject": "x", "lead_id": other})
    assert r.status_code == 404, r.text
    r = api.request("comercial1", "POST", "/api/v1/activities", json={
        "kind": "task", "subject": "x", "lead_id": api.__dict__["lead_comercial1"]})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"due_at"}, r.text
    r = api.request("comercial1", "POST", "/api/v1/activities", json={
        "kind": "fax", "subject": "x" * 201, "reminder_minutes": 40_321,
        "lead_id": api.__dict__["lead_comercial1"]})
    assert r.status_code == 422, r.text
    assert {"kind", "subject", "reminder_minutes"} <= set(r.json()["errors"]), r.text
    r = api.request("comercial1", "POST", "/api/v1/activities", json={
        "kind": "task", "subject": "x", "lead_id": api.__dict__["lead_comercial1"],
        "due_at": "2200-01-01T10:00:00+01:00"})
    assert r.status_code == 422 and "due_at" in r.json()["errors"], r.text
    r = api.request("comercial1", "GET", "/api/v1/activities", params={"owner": "nadie"})
    assert r.status_code == 422 and "owner" in r.json()["errors"], r.text
    r = api.request("comercial1", "GET", "/api/v1/activities", params={"status": "luego"})
    assert r.status_code == 422, r.text
    assert api.request("comercial1", "PATCH", "/api/v1/activities/999999",
                       json={"done": True}).status_code == 404
