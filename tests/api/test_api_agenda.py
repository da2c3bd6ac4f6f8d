"""The agenda over HTTP (issue 13), in process: events in a range, create and move, shared
calendars (admins write), the private ICS feed (no cookie; a regenerated URL is a 404; a
comercial's feed holds none of a colleague's events)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta

import pytest
from api_harness import Api, serve_with_people
from icalendar import Calendar as ICalendar
from sqlmodel import Session

from crm_app.models import Account, Activity, utcnow


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path) as served:
        yield served


def _account(api: Api, owner) -> int:  # noqa: ANN001
    with Session(api.engine) as session:
        acc = Account(name="Talleres Ebro", owner_id=owner.id, team_id=owner.team_id)
        session.add(acc)
        session.commit()
        return acc.id


def test_events_create_move_and_read_back_scoped(api: Api) -> None:
    people = api.people
    acc = _account(api, people.comercial1)
    r = api.request("comercial2", "POST", "/api/v1/calendars", json={"name": "Sala"})
    assert r.status_code == 403
    r = api.request("admin", "POST", "/api/v1/calendars",
                    json={"name": "Furgoneta", "colour": "#F76B15"})
    assert r.status_code == 201, r.text
    van = r.json()
    assert van["colour"] == "#f76b15" and van["kind"] == "shared" and van["active"] is True
    body = {"subject": "Entrega", "start": "2026-12-09T10:00", "end": "2026-12-09T12:00",
            "account_id": acc, "calendar_id": van["id"], "location": "Zaragoza"}
    r = api.request("comercial1", "POST", "/api/v1/agenda/events", json=body)
    assert r.status_code == 201, r.text
    event = r.json()
    assert event["start"].startswith("2026-12-09T09:00:00")  # 10:00 in Madrid is 09:00 UTC
    assert event["calendar"] == f"shared:{van['id']}" and event["colour"] == "#f76b15"
    assert event["record"] == {"entity": "account", "id": acc, "name": "Talleres Ebro",
                               "url": f"/clientes/{acc}",
                               "documents_url": f"/clientes/{acc}#documentos"}
    # another comercial may not link someone else's customer: 422 on the field
    r = api.request("comercial2", "POST", "/api/v1/agenda/events", json=body)
    assert r.status_code == 422 and set(r.json()["errors"]) == {"account_id"}
    r = api.request("comercial1", "PATCH", f"/api/v1/agenda/events/{event['id']}",
                    json={"start": "2026-12-10T08:00:00Z"})
    assert r.status_code == 200, r.text
    assert r.json()["end"].startswith("2026-12-10T10:00:00")  # kept its two hours
    r = api.request("comercial2", "PATCH", f"/api/v1/agenda/events/{event['id']}",
                    json={"start": "2026-12-10T08:00:00Z"})
    assert r.status_code == 404
    week = {"from": "2026-12-07T00:00:00Z", "to": "2026-12-14T00:00:00Z"}
    r = api.request("comercial1", "GET", "/api/v1/agenda",
                    params={**week, "calendars": f"me,shared:{van['id']}"})
    assert r.status_code == 200 and r.headers["x-truncated"] == "0"
    assert [e["subject"] for e in r.json()["data"]] == ["Entrega"] and r.json()["count"] == 1
    r = api.request("comercial2", "GET", "/api/v1/agenda", params=week)
    assert r.status_code == 200 and r.json() == {"data": [], "count": 0}
    r = api.request("manager1", "GET", "/api/v1/agenda", params={**week, "calendars": "team"})
    assert r.json()["count"] == 0  # on the van's calendar, not the team's
    r = api.request("comercial1", "GET", "/api/v1/agenda", params={**week, "calendars": "team"})
    assert r.status_code == 422 and "calendars" in r.json()["errors"]
    r = api.request("comercial1", "GET", "/api/v1/agenda",
                    params={"from": "2026-01-01T00:00", "to": "2026-06-01T00:00"})
    assert r.status_code == 422 and "to" in r.json()["errors"]
    r = api.request("admin", "PATCH", f"/api/v1/calendars/{van['id']}", json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    r = api.request("comercial1", "GET", "/api/v1/calendars")
    assert r.json() == {"data": [], "count": 0}
    r = api.request("comercial1", "GET", "/api/v1/calendars", params={"archived": "true"})
    assert r.status_code == 403


def test_the_private_feed_needs_no_cookie_and_dies_when_regenerated(api: Api) -> None:
    people = api.people
    soon = utcnow().replace(microsecond=0) + timedelta(days=2)
    with Session(api.engine) as session:
        session.add_all([
            Activity(kind="meeting", subject="Mía", due_at=soon, owner_id=people.comercial1.id,
                     team_id=people.comercial1.team_id),
            Activity(kind="meeting", subject="De Carla", due_at=soon,
                     owner_id=people.comercial2.id, team_id=people.comercial2.team_id)])
        session.commit()
    r = api.request("comercial1", "GET", "/api/v1/me/calendar-feed")
    assert r.status_code == 200
    url = r.json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert url.endswith(".ics") and "/api/v1/agenda/feed/" in url
    r = api.request(None, "GET", "/" + path)  # no cookie, no token: the URL is the key
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = ICalendar.from_ical(r.content)
    assert [str(e["SUMMARY"]) for e in cal.walk("VEVENT")] == ["Reunión: Mía"]
    assert cal.walk("VEVENT")[0].decoded("DTSTART") == soon.astimezone(UTC)
    r = api.request("comercial1", "POST", "/api/v1/me/calendar-feed")
    assert r.status_code == 200 and r.json()["url"] != url
    assert api.request(None, "GET", "/" + path).status_code == 404
    new_path = r.json()["url"].split("://", 1)[1].split("/", 1)[1]
    assert api.request(None, "GET", "/" + new_path).status_code == 200
    assert api.request(None, "GET", "/api/v1/me/calendar-feed").status_code == 401
