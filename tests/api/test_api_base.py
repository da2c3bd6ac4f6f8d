"""The HTTP API base, served in process (``api_harness``) on a migrated SQLite file.

Health, login/logout with the HttpOnly session cookie, lockout, redirects, ``/api/v1/me`` with
the cookie and with a personal API token, OpenAPI; and once over a real socket, the uvicorn
process the deployment runs (``test_a_real_uvicorn_process_serves_the_api``).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from api_harness import Api, serve_api
from live_api import migrated_session
from sqlmodel import Session, select

from crm_app.auth.tokens import token_hash
from crm_app.models import ApiToken, User, UserSession, utcnow
from crm_app.services import auth as auth_service
from crm_app.services.actors import SYSTEM
from crm_app.services.users import create_user

PASSWORD = "clave-segura-1"
# What the browser sends on the app's own forms: the default public URL (127.0.0.1:3000). The
# server listens on another port, but the cross-site guard only compares the Origin header
# with the allowed origins; cookie writes without it are refused (tests/api/test_api_origins).
APP_ORIGIN = {"Origin": "http://127.0.0.1:3000"}
USERS = [  # email, role, team
    ("admin@api.crm", "admin", None),
    ("manager@api.crm", "manager", "Norte"),
    ("comercial@api.crm", "comercial", "Norte"),
    ("logout@api.crm", "comercial", "Norte"),
    ("lockout@api.crm", "comercial", "Sur"),
    ("json@api.crm", "comercial", "Sur"),
    ("inactive@api.crm", "comercial", "Sur"),
]


def build_db(tmp: Path, users: list[tuple[str, str, str | None]] = USERS) -> str:
    url = f"sqlite:///{tmp / 'api.db'}"
    with migrated_session(url) as s:
        for email, role, team in users:
            create_user(session=s, actor=SYSTEM, email=email, name=email.split("@")[0].title(),
                        role=role, password=PASSWORD, team_name=team)
    return url


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp("api")
    url = build_db(tmp)
    with serve_api(url, tmp / "data") as api:
        yield api


def login(c: httpx.Client, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    return c.post("/auth/login", data={"email": email, "password": password, **extra})


def session_cookie(resp: httpx.Response) -> SimpleCookie:
    headers = [v for v in resp.headers.get_list("set-cookie") if v.startswith("crm_session=")]
    assert len(headers) == 1, resp.headers
    jar = SimpleCookie()
    jar.load(headers[0])
    return jar


def redirect_error(resp: httpx.Response) -> str:
    parts = urlsplit(resp.headers["location"])
    assert parts.path == "/login"
    return parse_qs(parts.query)["error"][0]


# --- health and docs ---


def test_health_checks_the_database(live: Api) -> None:
    with live.client() as c:
        r = c.get("/api/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "backend": "sqlite"}


def test_openapi_is_served(live: Api) -> None:
    with live.client() as c:
        r = c.get("/api/openapi.json")
        assert r.status_code == 200
        paths = r.json()["paths"]
        assert {"/api/health", "/api/v1/me", "/auth/login", "/auth/logout"} <= set(paths)
        assert c.get("/api/docs").status_code == 200


# --- login, cookie, /me ---


def test_login_sets_httponly_lax_cookie_and_redirects_home(live: Api) -> None:
    with live.client() as c:
        r = login(c, "comercial@api.crm")
        assert r.status_code == 303
        assert r.headers["location"] == "/"
        morsel = session_cookie(r)["crm_session"]
        assert len(morsel.value) >= 32
        assert morsel["httponly"] is True
        assert morsel["samesite"].lower() == "lax"
        assert not morsel["secure"]  # served over plain http
        assert morsel["path"] == "/"
        assert int(morsel["max-age"]) == 14 * 86400

        me = c.get("/api/v1/me")  # the client's jar sends the cookie back
    assert me.status_code == 200
    body = me.json()
    assert body["email"] == "comercial@api.crm"
    assert body["role"] == "comercial" and body["team_name"] == "Norte"
    assert body["scope"] == "own"
    assert "records.view" in body["permissions"] and "users.manage" not in body["permissions"]
    assert not {"password_hash", "failed_logins", "locked_until"} & set(body)
    # the server keeps only the hash of the cookie value
    with Session(live.engine) as s:
        hashes = {r.token_hash for r in s.exec(select(UserSession)).all()}
    assert morsel.value not in hashes
    assert token_hash(morsel.value) in hashes


def test_me_for_each_role_reports_scope(live: Api) -> None:
    expected = {"admin@api.crm": "company", "manager@api.crm": "team",
                "comercial@api.crm": "own"}
    for email, scope in expected.items():
        with live.client() as c:
            assert login(c, email).status_code == 303
            assert c.get("/api/v1/me").json()["scope"] == scope


def test_me_without_credentials_is_401(live: Api) -> None:
    with live.client() as c:
        r = c.get("/api/v1/me")
        assert r.status_code == 401
        assert r.headers["www-authenticate"] == "Bearer"
        assert r.json()["detail"]
        assert c.get("/api/v1/me", cookies={"crm_session": "inventada"}).status_code == 401
        assert c.get("/api/v1/me",
                     headers={"Authorization": "Bearer crm_inventado"}).status_code == 401


def test_bearer_token(live: Api) -> None:
    with Session(live.engine, expire_on_commit=False) as s:
        owner = s.exec(select(User).where(User.email == "manager@api.crm")).one()
        raw = auth_service.create_api_token(session=s, actor=SYSTEM, user=owner, name="api test")
    assert raw.startswith("crm_")
    with live.client() as c:
        r = c.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
        assert r.status_code == 200
        assert r.json()["email"] == "manager@api.crm" and r.json()["scope"] == "team"
        # scheme is case-insensitive
        assert c.get("/api/v1/me", headers={"Authorization": f"bearer {raw}"}).status_code == 200
        with Session(live.engine, expire_on_commit=False) as s:
            token_id = s.exec(select(ApiToken)).all()[-1].id
            auth_service.revoke_api_token(session=s, actor=SYSTEM, token_id=token_id)
        assert c.get("/api/v1/me",
                     headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_json_login_and_logout(live: Api) -> None:
    with live.client() as c:
        r = c.post("/auth/login", data={"email": "json@api.crm", "password": PASSWORD},
                   headers={"Accept": "application/json"})
        assert r.status_code == 200
        assert r.json()["email"] == "json@api.crm"
        assert session_cookie(r)["crm_session"]["httponly"] is True
        bad = c.post("/auth/login", data={"email": "json@api.crm", "password": "mala"},
                     headers={"Accept": "application/json"})
        assert bad.status_code == 401
        assert bad.json() == {"detail": auth_service.BAD_CREDENTIALS, "locked": False}
        out = c.post("/auth/logout", headers={"Accept": "application/json", **APP_ORIGIN})
        assert out.status_code == 200 and out.json() == {"ok": True}
        assert c.get("/api/v1/me").status_code == 401


def test_logout_revokes_the_server_side_session(live: Api) -> None:
    with live.client() as c:
        value = session_cookie(login(c, "logout@api.crm"))["crm_session"].value
        assert c.get("/api/v1/me").status_code == 200
        out = c.post("/auth/logout", headers=APP_ORIGIN)
        assert out.status_code == 303 and out.headers["location"] == "/login"
        cleared = session_cookie(out)["crm_session"]
        assert cleared.value in ("", '""') and int(cleared["max-age"]) == 0
    # the old cookie value, replayed by someone who kept it, no longer works
    with live.client() as c:
        assert c.get("/api/v1/me", cookies={"crm_session": value}).status_code == 401
    with Session(live.engine) as s:
        row = s.exec(select(UserSession).where(
            UserSession.token_hash == token_hash(value))).one()
        assert row.revoked_at is not None


def test_expired_session_cookie_is_401(live: Api) -> None:
    with live.client() as c:
        value = session_cookie(login(c, "comercial@api.crm"))["crm_session"].value
        with Session(live.engine) as s:
            row = s.exec(select(UserSession).where(
                UserSession.token_hash == token_hash(value))).one()
            row.expires_at = utcnow() - timedelta(seconds=1)
            s.add(row)
            s.commit()
        assert c.get("/api/v1/me").status_code == 401


def test_inactive_user_cannot_log_in_or_use_a_session(live: Api) -> None:
    with live.client() as c:
        assert login(c, "inactive@api.crm").status_code == 303
        assert c.get("/api/v1/me").status_code == 200
        with Session(live.engine) as s:
            u = s.exec(select(User).where(User.email == "inactive@api.crm")).one()
            u.active = False
            s.add(u)
            s.commit()
        assert c.get("/api/v1/me").status_code == 401
    with live.client() as c:
        r = login(c, "inactive@api.crm")
        assert redirect_error(r) == auth_service.BAD_CREDENTIALS
        assert not r.headers.get_list("set-cookie")


# --- failures, lockout, redirects ---


def test_bad_login_redirects_back_with_error(live: Api) -> None:
    with live.client() as c:
        for email, password in (("comercial@api.crm", "mala-clave"),
                                ("nadie@api.crm", PASSWORD), ("", "")):
            r = login(c, email, password)
            assert r.status_code == 303
            assert redirect_error(r) == auth_service.BAD_CREDENTIALS
            assert not r.headers.get_list("set-cookie")
        assert c.get("/api/v1/me").status_code == 401
    # reset the failure counter so other tests are unaffected
    with Session(live.engine) as s:
        u = s.exec(select(User).where(User.email == "comercial@api.crm")).one()
        u.failed_logins = 0
        s.add(u)
        s.commit()


def test_lockout_over_http(live: Api) -> None:
    with live.client() as c:
        errors = [redirect_error(login(c, "lockout@api.crm", "mala-clave")) for _ in range(5)]
        assert errors[:4] == [auth_service.BAD_CREDENTIALS] * 4
        assert "bloqueada" in errors[4] and "15 minutos" in errors[4]
        # the right password is refused while locked, and no cookie is set
        r = login(c, "lockout@api.crm")
        assert "bloqueada" in redirect_error(r)
        assert not r.headers.get_list("set-cookie")
        j = c.post("/auth/login", data={"email": "lockout@api.crm", "password": PASSWORD},
                   headers={"Accept": "application/json"})
        assert j.status_code == 401 and j.json()["locked"] is True
    locked_until = live.user("lockout@api.crm").locked_until
    assert timedelta(minutes=14) < locked_until - utcnow() <= timedelta(minutes=15)
    # once the lock has passed (moved into the past rather than waiting), login works again
    with Session(live.engine) as s:
        u = s.exec(select(User).where(User.email == "lockout@api.crm")).one()
        u.locked_until = utcnow() - timedelta(seconds=1)
        s.add(u)
        s.commit()
    with live.client() as c:
        r = login(c, "lockout@api.crm")
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert c.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(("next_value", "expected"), [
    ("/oportunidades?etapa=3", "/oportunidades?etapa=3"),
    ("/", "/"),
    ("https://evil.example/phish", "/"),
    ("//evil.example/phish", "/"),
    ("/\\evil.example", "/"),
    ("/\t/evil.example", "/"),
    ("javascript:alert(1)", "/"),
    ("", "/"),
])
def test_next_only_allows_local_paths(live: Api, next_value: str, expected: str) -> None:
    with live.client() as c:
        r = login(c, "admin@api.crm", next=next_value)
    assert r.status_code == 303
    assert r.headers["location"] == expected


def test_secure_cookie_when_served_over_https(tmp_path: Path) -> None:
    """Behind HTTPS (``CRM_PUBLIC_URL=https://…``) the session cookie is also Secure."""
    url = build_db(tmp_path, USERS[:1])
    with serve_api(url, tmp_path / "data", CRM_PUBLIC_URL="https://crm.example.es") as api, \
            api.client() as c:
        morsel = session_cookie(login(c, "admin@api.crm"))["crm_session"]
    assert morsel["secure"] is True
    assert morsel["httponly"] is True and morsel["samesite"].lower() == "lax"


@pytest.mark.slow
def test_a_real_uvicorn_process_serves_the_api(tmp_path: Path) -> None:
    """The one test over a socket: ``uvicorn --factory crm_app.api.app:build_api`` in its own
    process answers health, logs in with the cookie and knows the caller from it."""
    url = build_db(tmp_path, USERS[:1])
    with serve_api(url, tmp_path / "data", real=True) as api, api.client() as c:
        assert api.base_url.startswith("http://127.0.0.1:")
        assert c.get("/api/health").json()["database"] == "ok"
        morsel = session_cookie(login(c, "admin@api.crm"))["crm_session"]
        assert morsel["httponly"] is True
        assert c.get("/api/v1/me").json()["email"] == "admin@api.crm"


def test_malformed_query_gets_spanish_field_errors_on_every_router(live: Api) -> None:
    with live.client() as c:
        assert c.post("/auth/login", data={"email": "admin@api.crm",
                                           "password": PASSWORD}).status_code == 303
        r = c.get("/api/v1/analytics/summary", params={"from": "27/11/2026"})
    assert r.status_code == 422
    body = r.json()
    assert body["detail"] == "Revisa los datos marcados."
    assert body["errors"]["from"].startswith("Fecha no válida")
