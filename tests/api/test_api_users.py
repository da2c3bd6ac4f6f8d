"""/api/v1/users and /api/v1/teams (issue 12) and ``POST /auth/invitation``: admins only,
the invitation e-mail reaches a local SMTP server with a working link, the answer never
carries the token, deactivation ends a signed-in cookie and a Bearer token at once (next
request 401), the last admin is kept, bad references are 422 field errors."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from api_harness import Api, serve_with_people
from smtp_inbox import Inbox, local_smtp
from sqlmodel import Session, select

from crm_app.models import Account, AuditEvent, UserInvitation

GOOD_PASSWORD = "tranvía-azul-cometa-93"
LINK = re.compile(r"(https?://\S+)/invitacion/(\S+)")
ORIGIN = {"Origin": "http://crm.demo.es"}  # as the browser sends it from the page
JSON = {"Accept": "application/json", **ORIGIN}


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path, CRM_PUBLIC_URL="http://crm.demo.es") as served:
        yield served


@pytest.fixture
def inbox(api: Api) -> Iterator[Inbox]:
    with local_smtp("Env <env@crm.es>") as (box, settings):
        r = api.request("admin", "PUT", "/api/v1/company", json={"smtp": {
            "host": "127.0.0.1", "port": settings.smtp_port, "starttls": False,
            "from": "Demo <crm@demo-pruebas.es>"}})
        assert r.status_code == 200, r.text
        yield box


def _invite(api: Api, **body) -> dict:  # noqa: ANN003
    payload = {"email": "marta@demo.es", "name": "Marta López", "role": "comercial", **body}
    r = api.request("admin", "POST", "/api/v1/users", json=payload)
    assert r.status_code == 201, r.text
    return r.json()


ROUTES = [("GET", "/api/v1/users", None), ("POST", "/api/v1/users", {"email": "a@b.es",
                                                                      "name": "A"}),
          ("GET", "/api/v1/users/1", None), ("PATCH", "/api/v1/users/5", {"role": "admin"}),
          ("POST", "/api/v1/users/5/reassign", {"to_user_id": 6}),
          ("POST", "/api/v1/users/5/invitation", None),
          ("GET", "/api/v1/teams", None), ("POST", "/api/v1/teams", {"name": "Este"}),
          ("PATCH", "/api/v1/teams/1", {"name": "Otro"})]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_only_admins(api: Api, method: str, path: str, body: dict | None) -> None:
    for who in ("director", "manager1", "comercial1"):
        r = api.request(who, method, path, json=body)
        assert r.status_code == 403, (who, r.text)
    assert api.request(None, method, path, json=body).status_code == 401


def test_invite_over_http_the_link_works_and_the_token_is_never_answered(
        api: Api, inbox: Inbox) -> None:
    norte = api.people.team_norte.id
    user = _invite(api, team_id=norte)
    assert user["active"] is False and user["state"] == "invited"
    assert user["team_name"] == "Norte" and user["last_login_at"] is None
    [(rcpts, msg)] = inbox.messages
    assert rcpts == ["marta@demo.es"]
    base, token = LINK.search(msg.get_content()).groups()
    assert base == "http://crm.demo.es"
    listed = api.request("admin", "GET", "/api/v1/users", params={"page_size": 100})
    assert listed.status_code == 200 and listed.json()["count"] == 8
    for text in (listed.text, str(user)):
        assert token not in text and "password" not in text and "token" not in text

    with api.client() as c:
        weak = c.post("/auth/invitation", data={"token": token, "password": "1234567890"},
                      headers=JSON)
        assert weak.status_code == 422 and set(weak.json()["errors"]) == {"password"}
        # the browser's form: back to the page with the message for the field
        form = c.post("/auth/invitation", data={"token": token, "password": "corta",
                                                "password2": "corta"})
        assert form.status_code == 303
        assert form.headers["location"].startswith(f"/invitacion/{token}?password=")
        ok = c.post("/auth/invitation", data={"token": token, "password": GOOD_PASSWORD,
                                              "password2": GOOD_PASSWORD})
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        assert "httponly" in ok.headers["set-cookie"].lower()
        me = c.get("/api/v1/me")  # signed in with the cookie it set
        assert me.status_code == 200 and me.json()["email"] == "marta@demo.es"
        again = c.post("/auth/invitation", data={"token": token, "password": GOOD_PASSWORD},
                       headers=JSON)  # with the session cookie now: the Origin is checked
        assert again.status_code == 400 and again.json()["reason"] == "used"
        back = c.post("/auth/invitation", data={"token": token, "password": GOOD_PASSWORD},
                      headers=ORIGIN)
        assert back.status_code == 303 and "error=" in back.headers["location"]
    assert api.request("admin", "GET", f"/api/v1/users/{user['id']}").json()["state"] \
        == "active"


def test_resend_and_invite_errors(api: Api, inbox: Inbox) -> None:
    user = _invite(api)
    r = api.request("admin", "POST", f"/api/v1/users/{user['id']}/invitation")
    assert r.status_code == 200, r.text
    assert len(inbox.messages) == 2
    first = LINK.search(inbox.messages[0][1].get_content()).group(2)
    with api.client() as c:
        old = c.post("/auth/invitation", data={"token": first, "password": GOOD_PASSWORD},
                     headers=JSON)
        assert old.status_code == 400 and old.json()["reason"] == "replaced"
    r = api.request("admin", "POST", "/api/v1/users", json={
        "email": "marta@demo.es", "name": "Otra", "role": "jefe", "team_id": 999})
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"email", "role", "team_id"}
    r = api.request("admin", "POST", "/api/v1/users", json={"email": "x@demo.es", "name": "X",
                                                            "password": "no"})
    assert r.status_code == 422 and r.json()["errors"] == {"password": "Campo desconocido."}


def test_deactivation_ends_a_cookie_session_and_a_bearer_token_at_once(api: Api) -> None:
    target = api.people.comercial1
    with api.client() as browser:
        r = browser.post("/auth/login", data={"email": target.email, "password": "demo1234"},
                         headers=JSON)
        assert r.status_code == 200
        assert browser.get("/api/v1/me").status_code == 200
        assert api.request("comercial1", "GET", "/api/v1/me").status_code == 200
        r = api.request("admin", "PATCH", f"/api/v1/users/{target.id}", json={"active": False})
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "inactive"
        assert browser.get("/api/v1/me").status_code == 401
        assert api.request("comercial1", "GET", "/api/v1/accounts").status_code == 401
    r = api.request("admin", "PATCH", f"/api/v1/users/{target.id}", json={"active": True})
    assert r.status_code == 200 and r.json()["active"] is True
    assert api.request("comercial1", "GET", "/api/v1/me").status_code == 401  # stays revoked


def test_edit_last_admin_and_field_errors(api: Api) -> None:
    admin = api.people.admin
    for body, key in (({"active": False}, "active"), ({"role": "comercial"}, "role")):
        r = api.request("admin", "PATCH", f"/api/v1/users/{admin.id}", json=body)
        assert r.status_code == 422 and key in r.json()["errors"], r.text
    r = api.request("admin", "PATCH", f"/api/v1/users/{api.people.comercial1.id}",
                    json={"team_id": 999, "role": "jefe", "name": ""})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"team_id", "role", "name"}
    r = api.request("admin", "PATCH", f"/api/v1/users/{api.people.comercial1.id}",
                    json={"name": "Luis Pérez", "role": "manager",
                          "team_id": api.people.team_sur.id})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["role"], r.json()["team_name"]) == (
        "Luis Pérez", "manager", "Sur")
    assert api.request("admin", "PATCH", "/api/v1/users/99999",
                       json={"name": "X"}).status_code == 404


def test_reassign_over_http(api: Api) -> None:
    p = api.people
    with Session(api.engine) as s:
        s.add_all([Account(name=f"Suyo {i} S.L.", owner_id=p.comercial1.id,
                           team_id=p.team_norte.id) for i in range(3)])
        s.commit()
    r = api.request("admin", "POST", f"/api/v1/users/{p.comercial1.id}/reassign",
                    json={"to_user_id": 99999})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"to_user_id"}
    r = api.request("admin", "POST", f"/api/v1/users/{p.comercial1.id}/reassign", json={})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"to_user_id"}
    r = api.request("admin", "POST", f"/api/v1/users/{p.comercial1.id}/reassign",
                    json={"to_user_id": p.comercial3.id})
    assert r.status_code == 200, r.text
    assert r.json()["moved"]["account"] == 3 and r.json()["total"] == 3
    with Session(api.engine) as s:
        owners = {(a.owner_id, a.team_id) for a in s.exec(select(Account)).all()}
        assert owners == {(p.comercial3.id, p.team_sur.id)}
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "reassign")).one()


def test_teams_over_http(api: Api) -> None:
    p = api.people
    r = api.request("admin", "GET", "/api/v1/teams")
    assert r.status_code == 200 and r.json()["count"] == 2
    assert {t["name"]: t["manager_name"] for t in r.json()["data"]} == {
        "Norte": "Manager1", "Sur": "Manager2"}
    r = api.request("admin", "POST", "/api/v1/teams", json={"name": "Levante"})
    assert r.status_code == 201, r.text
    team = r.json()
    assert (team["name"], team["members"], team["manager_id"]) == ("Levante", 0, None)
    r = api.request("admin", "POST", "/api/v1/teams", json={"name": "levante"})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"name"}
    r = api.request("admin", "PATCH", f"/api/v1/teams/{team['id']}",
                    json={"name": "Levante y Murcia", "manager_id": p.manager1.id})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"manager_id"}
    r = api.request("admin", "PATCH", f"/api/v1/teams/{team['id']}",
                    json={"manager_id": 99999})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"manager_id"}
    r = api.request("admin", "PATCH", f"/api/v1/teams/{team['id']}",
                    json={"name": "Levante y Murcia"})
    assert r.status_code == 200 and r.json()["name"] == "Levante y Murcia"
    r = api.request("admin", "PATCH", f"/api/v1/teams/{p.team_norte.id}",
                    json={"manager_id": None})
    assert r.status_code == 200 and r.json()["manager_id"] is None
    assert api.request("admin", "PATCH", "/api/v1/teams/99999",
                       json={"name": "X"}).status_code == 404


def test_invitation_rows_keep_only_hashes(api: Api, inbox: Inbox) -> None:
    _invite(api)
    token = LINK.search(inbox.messages[0][1].get_content()).group(2)
    with Session(api.engine) as s:
        rows = s.exec(select(UserInvitation)).all()
    assert len(rows) == 1 and token not in repr(rows[0].model_dump())
