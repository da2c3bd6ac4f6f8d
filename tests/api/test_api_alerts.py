"""/api/v1/alerts, /alert-settings, /me/notification-preferences, /me/push-* (issue 13), in
process: each user lists and marks their own alerts only, with level, message, reason, record
link and dates; admins switch the built-in alerts; field errors are 422 per field."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from api_harness import Api, serve_with_people
from sqlmodel import Session

from crm_app.services import alerts, leads

KEYS = {"id", "kind", "level", "message", "reason", "source", "record", "created_at",
        "read_at", "dismissed_at"}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One app for the module: each test works with users of its own."""
    with serve_with_people(tmp_path_factory.mktemp("alerts")) as served:
        yield served


def _raise(api: Api, who: str, key: str, record: bool = True) -> tuple[int, int]:
    with Session(api.engine, expire_on_commit=False) as session:
        user = api.user(f"{who}@test.crm")
        lead = leads.create_lead(session=session, actor=user, data={
            "first_name": "Ana", "company": f"Ana {key}", "email": f"{key}@example.com"})
        alert = alerts.raise_alert(session=session, owner_id=user.id, kind="rule",
                                   level="critical", message=f"Mensaje {key}",
                                   reason="Regla 3: importe > 1000", source="rule:3",
                                   record=("lead", lead.id) if record else None,
                                   dedup_key=key)
        session.commit()
        return alert.id, lead.id


def test_list_read_dismiss_own_alerts_only(api: Api) -> None:
    first, lead_id = _raise(api, "comercial1", "a")
    second, _ = _raise(api, "comercial1", "b", record=False)
    theirs, _ = _raise(api, "comercial2", "c")
    r = api.request("comercial1", "GET", "/api/v1/alerts", params={"unread": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 2 and [a["id"] for a in body["data"]] == [second, first]
    one = body["data"][1]
    assert set(one) == KEYS and one["level"] == "critical"
    assert one["reason"] == "Regla 3: importe > 1000" and one["read_at"] is None
    assert one["record"] == {"entity": "lead", "id": lead_id, "href": f"/leads/{lead_id}"}
    assert body["data"][0]["record"] is None
    assert api.request("comercial1", "POST", f"/api/v1/alerts/{theirs}/read").status_code == 404
    r = api.request("comercial1", "POST", f"/api/v1/alerts/{first}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    unread = api.request("comercial1", "GET", "/api/v1/alerts?unread=true").json()
    assert unread["count"] == 1
    assert api.request("comercial1", "GET", "/api/v1/alerts").json()["count"] == 2
    r = api.request("comercial1", "POST", f"/api/v1/alerts/{second}/dismiss")
    assert r.status_code == 200 and r.json()["dismissed_at"] is not None
    assert api.request("comercial1", "GET", "/api/v1/alerts").json()["count"] == 1
    assert api.request("comercial2", "POST", "/api/v1/alerts/read-all").json() == {"marked": 1}
    assert api.request(None, "GET", "/api/v1/alerts").status_code == 401


def test_alert_settings_for_admins(api: Api) -> None:
    assert api.request("manager1", "GET", "/api/v1/alert-settings").status_code == 403
    r = api.request("admin", "PATCH", "/api/v1/alert-settings",
                    json={"idle": False, "quote_expiring_days": 5})
    assert r.status_code == 200 and r.json()["idle"] is False
    assert r.json()["quote_expiring_days"] == 5 and r.json()["task_overdue"] is True
    r = api.request("admin", "PATCH", "/api/v1/alert-settings",
                    json={"quote_expiring_days": 0, "colour": "red"})
    assert r.status_code == 422 and set(r.json()["errors"]) >= {"quote_expiring_days"}


def test_preferences_and_push_subscriptions(api: Api) -> None:
    r = api.request("comercial3", "PATCH", "/api/v1/me/notification-preferences",
                    json={"email": True, "kinds": {"task_overdue": {"push": False}}})
    assert r.status_code == 200, r.text
    assert r.json() == {"in_app": True, "email": True, "push": True,
                        "kinds": {"task_overdue": {"push": False}}, "devices": 0}
    r = api.request("comercial3", "PATCH", "/api/v1/me/notification-preferences",
                    json={"kinds": {"whatever": {"push": False}}})
    assert r.status_code == 422 and "kinds.whatever" in r.json()["errors"]
    key = api.request("comercial3", "GET", "/api/v1/me/push-public-key").json()["public_key"]
    assert len(key) == 87  # 65 bytes, base64url without padding
    sub = {"endpoint": "https://updates.push.services.mozilla.com/wpush/v2/abc",
           "keys": {"p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-"
                              "Ts1XbjhazAkj7I99e8QcYP7DkM", "auth": "tBHItJI5svbpez7KI4CCXg"}}
    r = api.request("comercial3", "POST", "/api/v1/me/push-subscriptions", json=sub)
    assert r.status_code == 201, r.text
    assert api.request("comercial3", "GET",
                       "/api/v1/me/notification-preferences").json()["devices"] == 1
    bad = api.request("comercial3", "POST", "/api/v1/me/push-subscriptions",
                      json={**sub, "endpoint": "http://10.0.0.5/steal"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"endpoint"}
    r = api.request("comercial3", "DELETE", "/api/v1/me/push-subscriptions",
                    params={"endpoint": sub["endpoint"]})
    assert r.status_code == 204
    assert api.request("comercial3", "GET",
                       "/api/v1/me/notification-preferences").json()["devices"] == 0
