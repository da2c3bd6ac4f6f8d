"""/api/v1/automations (issue 13): admins only, CRUD, 422 per field for unknown trigger /
entity / field / operator / action and out-of-range numbers, the simulator writes nothing,
the execution log after a sweep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from api_harness import Api, serve_with_people
from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.models import Activity, AutomationRun, Opportunity, OutboxEvent, utcnow
from crm_app.services.automation import engine

RULE = {"name": "Oportunidad sin actividad 7 días", "active": True,
        "trigger": {"type": "idle", "entity": "opportunity", "days": 7},
        "conditions": [{"field": "amount", "op": "between", "value": [500, None]}],
        "actions": [{"type": "create_task", "subject": "Llamar: {name}", "due_in_hours": 24,
                     "assignee": "owner"}]}


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path) as served:
        yield served


ROUTES = [("GET", "/api/v1/automations", None), ("POST", "/api/v1/automations", RULE),
          ("GET", "/api/v1/automations/1", None), ("PATCH", "/api/v1/automations/1",
                                                   {"active": False}),
          ("DELETE", "/api/v1/automations/1", None),
          ("POST", "/api/v1/automations/1/simulate", {"last_n": 10}),
          ("GET", "/api/v1/automations/runs", None)]


def test_only_admins(api: Api) -> None:
    assert api.request("admin", "POST", "/api/v1/automations", json=RULE).status_code == 201
    for method, path, body in ROUTES:
        for who in ("director", "manager1", "comercial1"):
            r = api.request(who, method, path, json=body)
            assert r.status_code == 403, (who, method, path, r.text)
        assert api.request(None, method, path, json=body).status_code == 401


def test_crud_round_trip(api: Api) -> None:
    r = api.request("admin", "POST", "/api/v1/automations", json=RULE)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["trigger"] == {"type": "idle", "entity": "opportunity", "days": 7}
    assert rule["actions"][0]["assignee"] == "owner"
    listed = api.request("admin", "GET", "/api/v1/automations").json()
    assert listed["count"] == 1 and listed["data"][0]["id"] == rule["id"]
    r = api.request("admin", "PATCH", f"/api/v1/automations/{rule['id']}",
                    json={"active": False, "name": "Parada"})
    assert r.status_code == 200 and (r.json()["active"], r.json()["name"]) == (False, "Parada")
    assert r.json()["trigger"] == rule["trigger"]  # the keys not sent stay
    assert api.request("admin", "DELETE", f"/api/v1/automations/{rule['id']}"
                       ).status_code == 204
    assert api.request("admin", "GET", f"/api/v1/automations/{rule['id']}").status_code == 404


FIELD_ERRORS = [
    ({"trigger": {"type": "someday", "entity": "lead"}}, "trigger.type"),
    ({"trigger": {"type": "idle", "entity": "invoice"}}, "trigger.entity"),
    ({"trigger": {"type": "field_changed", "entity": "lead", "field": "shoe_size"}},
     "trigger.field"),
    ({"trigger": {"type": "idle", "entity": "opportunity", "days": 366}}, "trigger.days"),
    ({"conditions": [{"field": "amount", "op": "approx", "value": 1}]}, "conditions.0.op"),
    ({"conditions": [{"field": "shoe_size", "op": "eq", "value": 1}]}, "conditions.0.field"),
    ({"conditions": [{"field": "amount", "op": "eq", "value": " "}]}, "conditions.0.value"),
    ({"actions": [{"type": "teleport"}]}, "actions.0.type"),
    ({"actions": [{"type": "create_task", "subject": "x", "due_in_hours": 9000}]},
     "actions.0.due_in_hours"),
    ({"actions": [{"type": "create_task", "subject": "x", "colour": "red"}]},
     "actions.0.colour"),
]


def test_field_errors(api: Api) -> None:
    for change, key in FIELD_ERRORS:
        r = api.request("admin", "POST", "/api/v1/automations", json={**RULE, **change})
        assert r.status_code == 422, r.text
        assert key in r.json()["errors"], (key, r.json())
    assert api.request("admin", "GET", "/api/v1/automations").json()["count"] == 0


def test_simulate_writes_nothing_and_the_log_after_a_sweep(api: Api) -> None:
    admin, com = api.people.admin, api.people.comercial1
    rule = api.request("admin", "POST", "/api/v1/automations", json=RULE).json()
    for amount in ("1000", "100"):
        r = api.request("comercial1", "POST", "/api/v1/opportunities",
                        json={"name": f"Obra {amount}", "amount": amount})
        assert r.status_code == 201, r.text
    old = utcnow() - timedelta(days=30)
    with Session(api.engine) as session:
        for opp in session.exec(select(Opportunity)).all():
            opp.stage_entered_at = opp.created_at = old
            session.add(opp)
        session.commit()

        def counts() -> list[int]:
            return [session.exec(select(func.count()).select_from(m)).one()
                    for m in (Activity, AutomationRun, OutboxEvent)]

        before = counts()
        r = api.request("admin", "POST", f"/api/v1/automations/{rule['id']}/simulate",
                        json={"last_n": 50})
        assert r.status_code == 200, r.text
        sim = r.json()
        assert (sim["mode"], sim["fired"], sim["tasks"]) == ("now", 1, 1)
        assert sim["rows"][0]["title"] == "Obra 1000"
        assert counts() == before
        assert api.request("admin", "POST", f"/api/v1/automations/{rule['id']}/simulate",
                           json={"last_n": 0}).status_code == 422
        out = engine.run_due(session=session)
        assert (out["fired"], out["tasks"]) == (1, 1)
    runs = api.request("admin", "GET", "/api/v1/automations/runs").json()
    assert runs["count"] == 1
    [run] = runs["data"]
    assert (run["rule"], run["record"], run["status"]) == (RULE["name"], "Obra 1000", "done")
    assert run["did"] == f"Tarea «Llamar: Obra 1000» para {com.name}"
    assert admin.id != com.id
