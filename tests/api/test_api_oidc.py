"""SSO with OpenID Connect over real HTTP.

A tiny provider (``tests/oidc_provider.py``, uvicorn in a thread: the CRM calls it over real
HTTP) and the CRM API (in process, ``api_harness``, ``CRM_OIDC_*`` pointing at the provider;
the discovery and key caches cleared as in a new process). httpx follows the redirects by hand:
CRM ``/auth/oidc/login`` → provider ``/authorize`` → CRM ``/auth/oidc/callback`` → session.

``CRM_PUBLIC_URL`` is ``http://crm.test``, the address the browser would see behind a reverse
proxy; the test sends what the provider redirects to there to the live server instead.
"""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from api_harness import Api, serve_api
from live_api import migrated_session
from oidc_provider import OidcProvider, new_key, s256
from sqlmodel import Session, select

from crm_app.auth import oidc
from crm_app.auth.tokens import token_hash
from crm_app.models import AuditEvent, User, UserSession
from crm_app.services import sso
from crm_app.services.actors import SYSTEM
from crm_app.services.users import create_user

CLIENT_ID = "crm-pyme"
CLIENT_SECRET = "secreto: con espacios & símbolos"  # Basic auth must form-encode it
PUBLIC_URL = "http://crm.test"
CALLBACK = PUBLIC_URL + "/auth/oidc/callback"


@dataclass
class Live:
    api: Api
    idp: OidcProvider
    url: str  # the database


def build_db(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'sso.db'}"
    with migrated_session(url) as s:
        for email in ("ana@sso.crm", "baja@sso.crm"):
            create_user(session=s, actor=SYSTEM, email=email, name=email.split("@")[0].title(),
                        role="comercial", password="clave-que-no-se-usa", team_name="Norte")
        gone = s.exec(select(User).where(User.email == "baja@sso.crm")).one()
        gone.active = False
        s.add(gone)
        s.commit()
    return url


@pytest.fixture(scope="module")
def provider() -> Iterator[OidcProvider]:
    idp = OidcProvider(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                       key=new_key("k1")).start()
    try:
        yield idp
    finally:
        idp.stop()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory,
                provider: OidcProvider) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("sso")
    url = build_db(tmp)
    oidc.clear_caches()
    try:
        with serve_api(url, tmp / "data", CRM_OIDC_ISSUER=provider.issuer,
                       CRM_OIDC_CLIENT_ID=CLIENT_ID, CRM_OIDC_CLIENT_SECRET=CLIENT_SECRET,
                       CRM_PUBLIC_URL=PUBLIC_URL) as api:
            yield Live(api=api, idp=provider, url=url)
    finally:
        oidc.clear_caches()


@pytest.fixture
def live(live_server: Live) -> Iterator[Live]:
    live_server.idp.reset()
    yield live_server
    live_server.idp.reset()


# --- helpers: the browser's side of the dance ---


def local(url: str) -> str:
    """The public URL the provider redirected to, as a path on the live server."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == PUBLIC_URL, url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def to_provider(c: httpx.Client, next_path: str = "/") -> httpx.Response:
    r = c.get("/auth/oidc/login", params={"next": next_path})
    assert r.status_code == 302, (r.status_code, r.headers, r.text)
    return r


def at_provider(c: httpx.Client, authorize_url: str) -> str:
    """The provider "logs the user in" and answers with the callback URL."""
    r = c.get(authorize_url)
    assert r.status_code == 302, r.text
    return r.headers["location"]


def sso_login(c: httpx.Client, next_path: str = "/") -> httpx.Response:
    callback = at_provider(c, to_provider(c, next_path).headers["location"])
    return c.get(local(callback))


def cookies_named(resp: httpx.Response, name: str) -> SimpleCookie:
    headers = [v for v in resp.headers.get_list("set-cookie") if v.startswith(f"{name}=")]
    assert len(headers) == 1, resp.headers
    jar = SimpleCookie()
    jar.load(headers[0])
    return jar


def sets_session(resp: httpx.Response) -> bool:
    return any(v.startswith("crm_session=") for v in resp.headers.get_list("set-cookie"))


def login_error(resp: httpx.Response) -> str:
    assert resp.status_code == 303, (resp.status_code, resp.text)
    parts = urlsplit(resp.headers["location"])
    assert parts.path == "/login", resp.headers["location"]
    return parse_qs(parts.query)["error"][0]


def assert_refused(live: Live, c: httpx.Client, resp: httpx.Response, message: str) -> None:
    assert login_error(resp) == message
    assert not sets_session(resp)
    assert c.get("/api/v1/me").status_code == 401


# --- the happy path ---


def test_sso_login_end_to_end(live: Live) -> None:
    idp = live.idp
    with live.api.client() as c:
        r = to_provider(c, "/oportunidades?etapa=3")
        authorize = urlsplit(r.headers["location"])
        assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == \
            f"{idp.issuer}/authorize"
        q = {k: v[0] for k, v in parse_qs(authorize.query).items()}
        assert q["response_type"] == "code" and q["client_id"] == CLIENT_ID
        assert q["scope"] == "openid email profile"
        assert q["redirect_uri"] == CALLBACK
        assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
        assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32 and q["state"] != q["nonce"]
        pending = cookies_named(r, oidc.STATE_COOKIE)[oidc.STATE_COOKIE]
        assert pending["httponly"] is True and pending["samesite"].lower() == "lax"
        assert int(pending["max-age"]) == 600 and pending["path"] == "/auth/oidc"
        assert not pending["secure"]  # public URL is plain http here

        callback = at_provider(c, r.headers["location"])
        assert callback.startswith(CALLBACK + "?")
        done = c.get(local(callback))
        assert done.status_code == 303, done.text
        assert done.headers["location"] == "/oportunidades?etapa=3"
        morsel = cookies_named(done, "crm_session")["crm_session"]
        assert morsel["httponly"] is True and morsel["samesite"].lower() == "lax"
        assert morsel["path"] == "/" and int(morsel["max-age"]) == 14 * 86400
        cleared = cookies_named(done, oidc.STATE_COOKIE)[oidc.STATE_COOKIE]
        assert int(cleared["max-age"]) == 0

        me = c.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["email"] == "ana@sso.crm" and me.json()["role"] == "comercial"

        # the provider saw a PKCE verifier matching the challenge, and Basic client auth
        form = idp.token_forms[-1]
        assert s256(form["code_verifier"]) == q["code_challenge"]
        assert form["redirect_uri"] == CALLBACK and "client_secret" not in form

        # the same callback again (a replayed link) is refused: its state cookie is spent
        replay = c.get(local(callback))
        assert login_error(replay) == oidc.STATE_INVALID and not sets_session(replay)

    ana = live.api.user("ana@sso.crm")
    assert ana.last_login_at is not None
    with Session(live.api.engine) as s:
        assert token_hash(morsel.value) in {r.token_hash for r in s.exec(select(UserSession))}
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "login",
                                                 AuditEvent.actor_id == ana.id)).all()
    assert [e.note for e in events] == ["sso"]


def test_discovery_is_cached_and_login_is_repeatable(live: Live) -> None:
    for _ in range(2):
        with live.api.client() as c:
            assert sso_login(c).headers["location"] == "/"
            assert c.get("/api/v1/me").json()["email"] == "ana@sso.crm"
    # one CRM process: discovery fetched once whatever ran before
    assert live.idp.hits["discovery"] == 1


def test_rotated_signing_key_is_picked_up(live: Live) -> None:
    idp = live.idp
    rotated = new_key("k2")
    idp.published.append(rotated)
    idp.signing_key = rotated
    before = idp.hits.get("jwks", 0)
    with live.api.client() as c:
        r = sso_login(c)
        assert r.status_code == 303 and r.headers["location"] == "/", r.headers
        assert c.get("/api/v1/me").status_code == 200
    assert idp.hits["jwks"] == before + 1


def test_email_claim_is_matched_case_insensitively(live: Live) -> None:
    live.idp.user["email"] = "  ANA@Sso.CRM "
    with live.api.client() as c:
        assert sso_login(c).headers["location"] == "/"
        assert c.get("/api/v1/me").json()["email"] == "ana@sso.crm"


@pytest.mark.parametrize("verified", [None, "true"])  # None: the claim is absent
def test_email_verified_absent_or_string_true_is_accepted(live: Live, verified: Any) -> None:
    live.idp.user["email_verified"] = verified
    with live.api.client() as c:
        assert sso_login(c).headers["location"] == "/"
        assert c.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize(("next_path", "expected"), [
    ("https://evil.example/phish", "/"), ("//evil.example", "/"), ("/\\evil.example", "/"),
    ("/informes?anio=2024", "/informes?anio=2024"),
])
def test_next_is_only_a_local_path(live: Live, next_path: str, expected: str) -> None:
    with live.api.client() as c:
        assert sso_login(c, next_path).headers["location"] == expected


# --- refusals ---


def _forge(cookie_value: str, **changes: str) -> str:
    payload, mac = cookie_value.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    raw = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{raw}.{mac}"


@pytest.mark.parametrize("attack", ["wrong_state", "no_state_cookie", "forged_state_cookie"])
def test_callback_state_must_match_the_signed_cookie(live: Live, attack: str) -> None:
    with live.api.client() as c:
        r = to_provider(c)
        value = cookies_named(r, oidc.STATE_COOKIE)[oidc.STATE_COOKIE].value
        callback = urlsplit(at_provider(c, r.headers["location"]))
        params = {k: v[0] for k, v in parse_qs(callback.query).items()}
        exchanges = len(live.idp.token_forms)
        if attack == "wrong_state":
            resp = c.get(callback.path, params={**params, "state": "otro-estado"})
            assert_refused(live, c, resp, oidc.STATE_INVALID)
        else:
            cookie = ({} if attack == "no_state_cookie" else
                      {"Cookie": f"{oidc.STATE_COOKIE}={_forge(value, state='del-atacante')}"})
            state = params["state"] if attack == "no_state_cookie" else "del-atacante"
            with live.api.client() as other:  # a browser without the victim's cookie
                resp = other.get(callback.path, params={**params, "state": state},
                                 headers=cookie)
                assert_refused(live, other, resp, oidc.STATE_INVALID)
        assert len(live.idp.token_forms) == exchanges  # the code was never even exchanged


@pytest.fixture(scope="module")
def stranger_key() -> Any:
    return new_key("k1")  # same kid as the provider's real key, different key material


def last_sso_log_line(live: Live) -> str:
    lines = [line for line in live.api.log().splitlines() if "SSO callback:" in line]
    return lines[-1] if lines else ""


@pytest.mark.parametrize(("flaw", "reason"), [
    ("wrong_audience", "Invalid claim: 'aud'"),
    ("bad_signature", "BadSignatureError"),
    ("unknown_kid", "No key for kid: 'k-desconocida'"),
    ("wrong_nonce", "Invalid claim: 'nonce'"),
    ("wrong_issuer", "Invalid claim: 'iss'"),
    ("expired", "ExpiredTokenError"),
    ("alg_none", "'none' is not allowed"),
])
def test_flawed_id_token_is_refused(live: Live, flaw: str, reason: str,
                                    stranger_key: Any) -> None:
    idp = live.idp
    if flaw == "wrong_audience":
        idp.overrides["aud"] = "otra-aplicacion"
    elif flaw == "bad_signature":
        idp.signing_key = stranger_key
    elif flaw == "unknown_kid":
        idp.signing_key = new_key("k-desconocida")
    elif flaw == "wrong_nonce":
        idp.overrides["nonce"] = "nonce-de-otra-sesion"
    elif flaw == "wrong_issuer":
        idp.overrides["iss"] = "http://127.0.0.1:1/otro-proveedor"
    elif flaw == "expired":
        idp.overrides.update(iat=int(time.time()) - 900, exp=int(time.time()) - 600)
    elif flaw == "alg_none":
        idp.alg_none = True
    with live.api.client() as c:
        assert_refused(live, c, sso_login(c), oidc.TOKEN_INVALID)
    assert reason in last_sso_log_line(live)  # refused for this flaw, not for another one


def test_unknown_email_is_refused_with_a_message(live: Live) -> None:
    live.idp.user["email"] = "nadie@empresa.es"
    with live.api.client() as c:
        resp = sso_login(c)
        assert_refused(live, c, resp, sso.UNKNOWN.format(email="nadie@empresa.es"))
    assert "administrador" in login_error(resp) and "nadie@empresa.es" in login_error(resp)
    with Session(live.api.engine) as s:  # no auto-provisioning
        assert s.exec(select(User).where(User.email == "nadie@empresa.es")).first() is None


def test_inactive_user_is_refused(live: Live) -> None:
    live.idp.user["email"] = "baja@sso.crm"
    with live.api.client() as c:
        assert_refused(live, c, sso_login(c), sso.INACTIVE.format(email="baja@sso.crm"))


@pytest.mark.parametrize(("claims", "message"), [
    ({"email_verified": False}, sso.UNVERIFIED),
    ({"email_verified": "false"}, sso.UNVERIFIED),
    ({"email": None}, sso.NO_EMAIL),
])
def test_missing_or_unverified_email_is_refused(live: Live, claims: dict,
                                                message: str) -> None:
    live.idp.user.update(claims)
    with live.api.client() as c:
        assert_refused(live, c, sso_login(c), message)


def test_provider_denial_and_broken_token_endpoint_become_messages(live: Live) -> None:
    live.idp.deny = True
    with live.api.client() as c:
        assert_refused(live, c, sso_login(c), oidc.PROVIDER_DENIED)
    live.idp.deny = False
    live.idp.token_error = True
    with live.api.client() as c:
        assert_refused(live, c, sso_login(c), oidc.EXCHANGE_FAILED)


# --- SSO off, provider down ---


def test_sso_not_configured(live_server: Live, tmp_path: Path) -> None:
    # a second server on the same (already migrated) database, without CRM_OIDC_*
    with serve_api(live_server.url, tmp_path / "data") as api, api.client() as c:
        assert login_error(c.get("/auth/oidc/login", params={"next": "/"})) == \
            oidc.NOT_CONFIGURED
        assert login_error(c.get("/auth/oidc/callback", params={"code": "x", "state": "y"})) \
            == oidc.NOT_CONFIGURED


def test_unreachable_provider_is_a_message_not_a_crash() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        dead = f"http://127.0.0.1:{held.getsockname()[1]}"
        config = oidc.OidcConfig(issuer=dead, client_id=CLIENT_ID, client_secret="",
                                 redirect_uri=CALLBACK)
        with pytest.raises(oidc.OidcError) as err:
            oidc.authorization_request(config)
    assert err.value.message == oidc.PROVIDER_UNAVAILABLE
    assert "ConnectError" in err.value.detail


# --- the signed state cookie, without a server ---


def test_state_cookie_is_signed_and_short_lived() -> None:
    data = {"state": "s", "nonce": "n", "verifier": "v", "next": "/x"}
    value = oidc.sign_state(data, secret="k" * 40, now=1000)
    assert oidc.load_state(value, secret="k" * 40, now=1000 + 599) == {**data, "iat": 1000}
    for bad, secret, now in ((value, "otra" * 10, 1000), (_forge(value, next="//evil"), "k" * 40,
                             1000), (value, "k" * 40, 1000 + 601), ("", "k" * 40, 1000),
                             ("sin-punto", "k" * 40, 1000)):
        with pytest.raises(oidc.OidcError) as err:
            oidc.load_state(bad, secret=secret, now=now)
        assert err.value.message == oidc.STATE_INVALID
