"""The login throttle over HTTP (issue 10, part 2): a script or JSON client gets 429 with
``Retry-After``; the browser's login form is sent back to /login with the wait explained (the
API served in process by ``api_harness``); with ``CRM_REDIS_URL`` two web processes (real
uvicorn processes: their being two is the point) share one limit.

The API runs with ``CRM_LOGIN_RATE_IP=3`` (the suites' default under CRM_ENV=test is 1000,
so that the tests that are not about the throttle are not throttled).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from api_harness import Api, serve_api
from factories import FIXTURE_PASSWORD, make_people
from live_api import migrated_session

LIMITS = {"CRM_LOGIN_RATE_IP": "3", "CRM_LOGIN_RATE_ACCOUNT": "50"}
BROWSER = {"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate",
           "Origin": "http://127.0.0.1:3000"}


def database(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'api.db'}"
    with migrated_session(url) as s:
        make_people(s)
    return url


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    with serve_api(database(tmp_path), tmp_path / "data", **LIMITS) as served:
        yield served


def login(api: Api, email: str, password: str = "mala-clave", **headers: str) -> httpx.Response:
    return api.request(None, "POST", "/auth/login", data={"email": email, "password": password},
                       headers=headers)


def test_json_and_script_clients_get_429_with_retry_after(api: Api) -> None:
    for email in ("comercial1@test.crm", "nadie@test.crm", "manager1@test.crm"):
        r = login(api, email, Accept="application/json")
        assert r.status_code == 401
    r = login(api, "director@test.crm", FIXTURE_PASSWORD, Accept="application/json")
    assert r.status_code == 429  # over the limit: even the right password waits
    retry = int(r.headers["retry-after"])
    assert 1 <= retry <= 60
    body = r.json()
    assert body["detail"] == (f"Demasiados intentos de acceso. Espera {retry} segundos y "
                              "vuelve a intentarlo.")
    assert body["retry_after"] == retry and body["locked"] is False
    assert "crm_session" not in r.headers.get("set-cookie", "")
    plain = login(api, "director@test.crm")  # a script without Accept: a status, not a page
    assert plain.status_code == 429 and "retry-after" in plain.headers


def test_the_login_form_is_sent_back_with_the_wait_explained(api: Api) -> None:
    for _ in range(3):
        assert login(api, "nadie@test.crm", **BROWSER).status_code == 303
    r = login(api, "nadie@test.crm", **BROWSER)
    assert r.status_code == 303
    parts = urlsplit(r.headers["location"])
    assert parts.path == "/login"
    assert parse_qs(parts.query)["error"][0].startswith("Demasiados intentos de acceso. Espera ")
    assert "retry-after" in r.headers


def test_successful_logins_do_not_use_up_the_limit(api: Api) -> None:
    """Seven colleagues behind one address log in one after another with a limit of 3."""
    for who in ("admin", "director", "manager1", "manager2", "comercial1", "comercial2",
                "comercial3"):
        assert login(api, f"{who}@test.crm", FIXTURE_PASSWORD).status_code == 303, who


@pytest.mark.slow
def test_two_web_processes_share_the_limit_through_redis(tmp_path: Path, redis_url: str) -> None:
    url = database(tmp_path)
    env = {"CRM_REDIS_URL": redis_url, **LIMITS}
    with serve_api(url, tmp_path / "one", real=True, **env) as first, \
            serve_api(url, tmp_path / "two", real=True, **env) as second:
        answers = [login(api, "nadie@test.crm", Accept="application/json").status_code
                   for api in (first, second, first, second, first)]
    assert answers == [401, 401, 401, 429, 429]
