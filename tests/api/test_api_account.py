"""Password reset, own password, sessions and the TOTP second factor over HTTP (issue 12): the
API served in process (``api_harness``), the e-mails at a real local SMTP server, real TOTP
codes from ``pyotp``, time moved by patching the services' clock (no sleeps)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pyotp
import pytest
from api_harness import Api, serve_with_people
from factories import FIXTURE_PASSWORD
from smtp_inbox import Inbox, local_smtp
from sqlmodel import Session, select

from crm_app.auth.passwords import verify_password
from crm_app.models import AuditEvent, PasswordReset, User, UserSession, utcnow
from crm_app.services import account as account_service
from crm_app.services import auth as auth_service
from crm_app.services import secret_box

ORIGIN = "http://127.0.0.1:3000"
JSON = {"Accept": "application/json", "Origin": ORIGIN}
BROWSER = {"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate",
           "Origin": ORIGIN}
NEW_PASSWORD = "Tortuga-Verde-Lunes-93"
SENT = ("Si hay una cuenta activa con ese correo, te hemos enviado un enlace para elegir una "
        "contraseña nueva. Revisa tu bandeja de entrada (y la de correo no deseado).")


@pytest.fixture
def inbox_api(tmp_path) -> Iterator[tuple[Api, Inbox]]:  # noqa: ANN001
    with (local_smtp("CRM <crm@test.crm>") as (inbox, smtp),
          serve_with_people(tmp_path, CRM_SMTP_HOST="127.0.0.1",
                            CRM_SMTP_PORT=str(smtp.smtp_port),
                            CRM_SMTP_FROM="CRM <crm@test.crm>",
                            CRM_PUBLIC_URL="http://127.0.0.1:3000") as api):
        yield api, inbox


def login(api: Api, email: str, password: str = FIXTURE_PASSWORD,
          client: httpx.Client | None = None, headers: dict[str, str] = JSON
          ) -> httpx.Response:
    c = client or api.client()
    return c.post("/auth/login", data={"email": email, "password": password}, headers=headers)


def forgot(api: Api, email: str, headers: dict[str, str] = JSON) -> httpx.Response:
    return api.request(None, "POST", "/auth/password/forgot", data={"email": email},
                       headers=headers)


def link_token(inbox: Inbox, to: str) -> str:
    rcpts, msg = inbox.messages[-1]
    assert rcpts == [to]
    body = msg.get_content()
    [link] = re.findall(r"http://127\.0\.0\.1:3000/login/nueva-contrasena\?token=\S+", body)
    return parse_qs(urlsplit(link).query)["token"][0]


def sessions_of(api: Api, email: str) -> list[UserSession]:
    with Session(api.engine) as s:
        user = s.exec(select(User).where(User.email == email)).one()
        return list(s.exec(select(UserSession).where(UserSession.user_id == user.id)).all())


# --- password reset ---------------------------------------------------------------------------


def test_reset_link_by_email_sets_the_password_once_and_ends_every_session(
        inbox_api: tuple[Api, Inbox]) -> None:
    api, inbox = inbox_api
    a, b = api.client(), api.client()
    assert login(api, "comercial1@test.crm", client=a).status_code == 200
    assert login(api, "comercial1@test.crm", client=b).status_code == 200
    assert a.get("/api/v1/me").status_code == 200

    r = forgot(api, "Comercial1@test.crm")
    assert (r.status_code, r.json()["detail"]) == (202, SENT)
    token = link_token(inbox, "comercial1@test.crm")
    assert "30 minutos" in inbox.messages[-1][1].get_content()
    with Session(api.engine) as s:  # only the hash is stored
        [row] = s.exec(select(PasswordReset)).all()
        assert row.token_hash != token and len(row.token_hash) == 64

    weak = api.request(None, "POST", "/auth/password/reset",
                       data={"token": token, "password": "12345678"}, headers=JSON)
    assert weak.status_code == 422 and set(weak.json()["errors"]) == {"password"}
    mismatch = api.request(None, "POST", "/auth/password/reset",
                           data={"token": token, "password": NEW_PASSWORD,
                                 "password2": NEW_PASSWORD + "x"}, headers=JSON)
    assert mismatch.status_code == 422 and set(mismatch.json()["errors"]) == {"password2"}

    ok = api.request(None, "POST", "/auth/password/reset",
                     data={"token": token, "password": NEW_PASSWORD, "password2": NEW_PASSWORD},
                     headers=JSON)
    assert ok.status_code == 200, ok.text
    # every session of the user ended (they were not signed in here)
    assert a.get("/api/v1/me").status_code == 401 and b.get("/api/v1/me").status_code == 401
    assert all(s.revoked_at is not None for s in sessions_of(api, "comercial1@test.crm"))
    # single use
    again = api.request(None, "POST", "/auth/password/reset",
                        data={"token": token, "password": "Otra-Clave-Distinta-77"},
                        headers=JSON)
    assert again.status_code == 422 and set(again.json()["errors"]) == {"token"}
    assert login(api, "comercial1@test.crm").status_code == 401
    assert login(api, "comercial1@test.crm", NEW_PASSWORD).status_code == 200
    with Session(api.engine) as s:
        actions = [e.action for e in s.exec(select(AuditEvent)).all()]
    assert {"password_reset_requested", "password_reset"} <= set(actions)
    assert token not in api.log()


def test_the_same_answer_for_unknown_and_inactive_emails_and_no_mail(
        inbox_api: tuple[Api, Inbox]) -> None:
    api, inbox = inbox_api
    with Session(api.engine) as s:
        user = s.exec(select(User).where(User.email == "comercial2@test.crm")).one()
        user.active = False
        s.add(user)
        s.commit()
    known = forgot(api, "comercial1@test.crm")
    for email in ("nadie@test.crm", "comercial2@test.crm"):
        r = forgot(api, email)
        assert (r.status_code, r.json()) == (known.status_code, known.json())
    page = forgot(api, "nadie@test.crm", headers=BROWSER)
    assert (page.status_code, page.headers["location"]) == (303, "/login/recuperar?enviado=1")
    assert forgot(api, "comercial1@test.crm", headers=BROWSER).headers["location"] == \
        page.headers["location"]
    assert [m[0] for m in inbox.messages] == [["comercial1@test.crm"]] * 2
    bad = forgot(api, "no es un correo")
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"email"}


def test_the_link_expires_after_30_minutes(inbox_api: tuple[Api, Inbox],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    api, inbox = inbox_api
    forgot(api, "manager1@test.crm")
    token = link_token(inbox, "manager1@test.crm")
    start = utcnow()
    monkeypatch.setattr(account_service, "utcnow", lambda: start + timedelta(minutes=29))
    with Session(api.engine) as s:
        assert account_service.reset_token_valid(session=s, token=token)
    monkeypatch.setattr(account_service, "utcnow", lambda: start + timedelta(minutes=31))
    r = api.request(None, "POST", "/auth/password/reset",
                    data={"token": token, "password": NEW_PASSWORD}, headers=JSON)
    assert r.status_code == 422 and set(r.json()["errors"]) == {"token"}
    page = api.request(None, "POST", "/auth/password/reset",
                       data={"token": token, "password": NEW_PASSWORD}, headers=BROWSER)
    assert page.headers["location"].startswith("/login/recuperar?error=")


def test_a_new_link_replaces_the_old_one_and_the_reset_clears_the_lock(
        inbox_api: tuple[Api, Inbox]) -> None:
    api, inbox = inbox_api
    for _ in range(5):
        login(api, "manager2@test.crm", "mala-clave")
    assert login(api, "manager2@test.crm").json()["locked"] is True
    forgot(api, "manager2@test.crm")
    first = link_token(inbox, "manager2@test.crm")
    forgot(api, "manager2@test.crm")
    second = link_token(inbox, "manager2@test.crm")
    old = api.request(None, "POST", "/auth/password/reset",
                      data={"token": first, "password": NEW_PASSWORD}, headers=JSON)
    assert old.status_code == 422
    page = api.request(None, "POST", "/auth/password/reset",
                       data={"token": second, "password": NEW_PASSWORD}, headers=BROWSER)
    assert (page.status_code, page.headers["location"]) == (303, "/login?aviso=contrasena")
    assert login(api, "manager2@test.crm", NEW_PASSWORD).status_code == 200


def test_reset_requests_are_throttled_per_email_and_per_ip(tmp_path) -> None:  # noqa: ANN001
    with serve_with_people(tmp_path, CRM_RESET_RATE_ACCOUNT="2", CRM_RESET_RATE_IP="3",
                           CRM_SMTP_HOST="127.0.0.1", CRM_SMTP_PORT="9") as api:
        # per e-mail (a refused request is not counted)
        assert [forgot(api, "nadie@test.crm").status_code for _ in range(3)] == [202, 202, 429]
        assert forgot(api, "otro@test.crm").status_code == 202  # the IP's third
        r = forgot(api, "otro2@test.crm")  # the IP's fourth
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        assert "Inténtalo de nuevo en" in r.json()["detail"]
        page = forgot(api, "otro3@test.crm", headers=BROWSER)
        assert page.headers["location"].startswith("/login/recuperar?error=")


def test_admin_sends_a_reset_and_others_may_not(inbox_api: tuple[Api, Inbox]) -> None:
    api, inbox = inbox_api
    uid = api.user("comercial3@test.crm").id
    r = api.request("admin", "POST", f"/api/v1/users/{uid}/password-reset")
    assert (r.status_code, r.json()) == (202, {"email": "comercial3@test.crm"})
    assert link_token(inbox, "comercial3@test.crm")
    assert api.request("director", "POST",
                       f"/api/v1/users/{uid}/password-reset").status_code == 403
    assert api.request("admin", "POST", "/api/v1/users/999999/password-reset").status_code == 404
    with Session(api.engine) as s:
        user = s.get(User, uid)
        user.active = False
        s.add(user)
        s.commit()
    assert api.request("admin", "POST", f"/api/v1/users/{uid}/password-reset").status_code == 409


# --- own password -----------------------------------------------------------------------------


def test_changing_the_own_password_keeps_this_session_and_ends_the_others(
        inbox_api: tuple[Api, Inbox]) -> None:
    api, _ = inbox_api
    here, there = api.client(), api.client()
    login(api, "director@test.crm", client=here)
    login(api, "director@test.crm", client=there)
    keep = here.cookies["crm_session"]
    with Session(api.engine) as s:
        me = s.exec(select(User).where(User.email == "director@test.crm")).one()
        with pytest.raises(Exception) as wrong:
            account_service.change_password(session=s, actor=me, current="mala-clave",
                                            new=NEW_PASSWORD, keep_token=keep)
        assert set(wrong.value.errors) == {"current_password"}
        ended = account_service.change_password(session=s, actor=me, current=FIXTURE_PASSWORD,
                                                new=NEW_PASSWORD, repeat=NEW_PASSWORD,
                                                keep_token=keep)
        assert ended == 1
        assert verify_password(s.get(User, me.id).password_hash, NEW_PASSWORD)
    assert here.get("/api/v1/me").status_code == 200
    assert there.get("/api/v1/me").status_code == 401


# --- TOTP -------------------------------------------------------------------------------------


def enable_2fa(api: Api, email: str) -> tuple[pyotp.TOTP, list[str]]:
    with Session(api.engine, expire_on_commit=False) as s:
        me = s.exec(select(User).where(User.email == email)).one()
        setup = account_service.start_totp(session=s, actor=me)
        secret = setup["secret"].replace(" ", "")
        assert "<svg" in setup["svg"] and setup["uri"].startswith("otpauth://totp/")
        stored = s.get(User, me.id).totp_secret_enc
        assert secret not in stored  # encrypted at rest
        assert secret_box.decrypt(stored, purpose=account_service.TOTP_PURPOSE) == secret
        totp = pyotp.TOTP(secret)
        codes = account_service.confirm_totp(session=s, actor=me, code=totp.now())
    return totp, codes


def next_code(totp: pyotp.TOTP, steps: int = 1) -> str:
    """A code of a later step (within the accepted drift): a code once used is refused."""
    return totp.at(utcnow().timestamp() + 30 * steps)


def test_login_with_2fa_needs_a_right_code_before_any_session(
        inbox_api: tuple[Api, Inbox]) -> None:
    api, _ = inbox_api
    totp, codes = enable_2fa(api, "manager1@test.crm")
    assert len(codes) == 10 and len(set(codes)) == 10
    c = api.client()
    first = login(api, "manager1@test.crm", client=c)
    assert first.status_code == 401 and first.json()["two_factor_required"] is True
    assert "crm_session" not in c.cookies and c.get("/api/v1/me").status_code == 401
    challenge = first.json()["challenge"]

    wrong = c.post("/auth/login/2fa", data={"challenge": challenge, "code": "000000"},
                   headers=JSON)
    assert wrong.status_code == 401 and "crm_session" not in c.cookies
    right = c.post("/auth/login/2fa", data={"challenge": challenge, "code": next_code(totp)},
                   headers=JSON)
    assert right.status_code == 200, right.text
    assert c.get("/api/v1/me").json()["email"] == "manager1@test.crm"
    # the challenge is used up, and so is the code (a replay is refused)
    again = c.post("/auth/login/2fa", data={"challenge": challenge, "code": next_code(totp)},
                   headers=JSON)
    assert again.status_code == 401
    second = login(api, "manager1@test.crm").json()["challenge"]
    replay = api.request(None, "POST", "/auth/login/2fa",
                         data={"challenge": second, "code": next_code(totp)}, headers=JSON)
    assert replay.status_code == 401


def test_browser_login_goes_to_the_code_page_with_an_httponly_challenge(
        inbox_api: tuple[Api, Inbox]) -> None:
    api, _ = inbox_api
    totp, _ = enable_2fa(api, "comercial2@test.crm")
    c = api.client()
    r = login(api, "comercial2@test.crm", client=c, headers=BROWSER)
    assert (r.status_code, r.headers["location"]) == (303, "/login/verificacion?next=/")
    cookie = r.headers["set-cookie"]
    assert "crm_2fa=" in cookie and "HttpOnly" in cookie and "crm_session" not in cookie
    bad = c.post("/auth/login/2fa", data={"code": "123"}, headers=BROWSER)
    assert bad.headers["location"].startswith("/login/verificacion?next=/&error=")
    ok = c.post("/auth/login/2fa", data={"code": next_code(totp), "next": "/leads"},
                headers=BROWSER)
    assert (ok.status_code, ok.headers["location"]) == (303, "/leads")
    assert "crm_session" in c.cookies


def test_recovery_codes_work_once(inbox_api: tuple[Api, Inbox]) -> None:
    api, _ = inbox_api
    _, codes = enable_2fa(api, "comercial3@test.crm")
    for expected in (200, 401):
        challenge = login(api, "comercial3@test.crm").json()["challenge"]
        r = api.request(None, "POST", "/auth/login/2fa",
                        data={"challenge": challenge, "code": codes[0].upper()}, headers=JSON)
        assert r.status_code == expected
    with Session(api.engine) as s:
        user = s.exec(select(User).where(User.email == "comercial3@test.crm")).one()
        assert account_service.recovery_codes_left(session=s, user=user) == 9


def test_wrong_codes_are_throttled_and_a_challenge_dies_after_five(
        inbox_api: tuple[Api, Inbox]) -> None:
    api, _ = inbox_api
    totp, _ = enable_2fa(api, "director@test.crm")
    challenge = login(api, "director@test.crm").json()["challenge"]
    answers = [api.request(None, "POST", "/auth/login/2fa",
                           data={"challenge": challenge, "code": "000000"}, headers=JSON).json()
               for _ in range(5)]
    # five wrong codes lock the account like five wrong passwords
    assert answers[-1]["locked"] is True
    late = api.request(None, "POST", "/auth/login/2fa",
                       data={"challenge": challenge, "code": next_code(totp)}, headers=JSON)
    assert late.status_code == 401 and "crm_session" not in late.headers.get("set-cookie", "")


def test_a_challenge_lives_five_minutes(inbox_api: tuple[Api, Inbox],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    api, _ = inbox_api
    totp, _ = enable_2fa(api, "admin@test.crm")
    challenge = login(api, "admin@test.crm").json()["challenge"]
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(account_service, "utcnow", lambda: later)
    r = api.request(None, "POST", "/auth/login/2fa",
                    data={"challenge": challenge, "code": next_code(totp)}, headers=JSON)
    assert r.status_code == 401
    assert r.json()["detail"].startswith("La verificación ha caducado")


def test_disable_needs_a_code_or_the_password(inbox_api: tuple[Api, Inbox]) -> None:
    api, _ = inbox_api
    totp, _ = enable_2fa(api, "manager2@test.crm")
    with Session(api.engine, expire_on_commit=False) as s:
        me = s.exec(select(User).where(User.email == "manager2@test.crm")).one()
        with pytest.raises(Exception) as refused:
            account_service.disable_totp(session=s, actor=me, proof="mala-clave")
        assert set(refused.value.errors) == {"proof"}
        account_service.disable_totp(session=s, actor=me, proof=next_code(totp))
        assert s.get(User, me.id).totp_enabled_at is None
        assert s.get(User, me.id).totp_secret_enc == ""
    assert login(api, "manager2@test.crm").status_code == 200


def test_require_2fa_blocks_cookie_sessions_until_set_up_but_not_tokens(tmp_path) -> None:  # noqa: ANN001
    with serve_with_people(tmp_path, CRM_REQUIRE_2FA="admin") as api:
        c = api.client()
        assert login(api, "admin@test.crm", client=c).status_code == 200
        r = c.get("/api/v1/me")
        assert r.status_code == 403 and "Mi cuenta" in r.json()["detail"]
        assert api.request("admin", "GET", "/api/v1/me").status_code == 200  # Bearer token
        d = api.client()
        login(api, "director@test.crm", client=d)
        assert d.get("/api/v1/me").status_code == 200  # "admin": other roles are free
        with Session(api.engine, expire_on_commit=False) as s:
            me = s.exec(select(User).where(User.email == "admin@test.crm")).one()
            assert account_service.needs_2fa_setup(me)
            setup = account_service.start_totp(session=s, actor=me)
            totp = pyotp.TOTP(setup["secret"].replace(" ", ""))
            account_service.confirm_totp(session=s, actor=me, code=totp.now())
            me = s.get(User, me.id)
            assert not account_service.needs_2fa_setup(me)
            with pytest.raises(Exception, match="exige"):
                account_service.disable_totp(session=s, actor=me, proof=FIXTURE_PASSWORD)
        assert c.get("/api/v1/me").status_code == 200


def test_the_throttle_stops_the_second_step_too(tmp_path) -> None:  # noqa: ANN001
    with serve_with_people(tmp_path, CRM_LOGIN_RATE_IP="3", CRM_LOGIN_RATE_ACCOUNT="50",
                           CRM_LOGIN_MAX_FAILURES="50") as api:
        enable_2fa(api, "comercial1@test.crm")
        challenge = login(api, "comercial1@test.crm").json()["challenge"]
        statuses = [api.request(None, "POST", "/auth/login/2fa",
                                data={"challenge": challenge, "code": "000000"},
                                headers=JSON).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert auth_service.CHALLENGE_MINUTES == 5


def test_admin_turns_off_a_lost_second_factor(inbox_api: tuple[Api, Inbox]) -> None:
    api, _ = inbox_api
    enable_2fa(api, "comercial1@test.crm")
    uid = api.user("comercial1@test.crm").id
    assert api.request("manager1", "DELETE", f"/api/v1/users/{uid}/two-factor").status_code \
        == 403
    assert login(api, "comercial1@test.crm").json().get("two_factor_required") is True
    r = api.request("admin", "DELETE", f"/api/v1/users/{uid}/two-factor")
    assert r.status_code == 204
    assert login(api, "comercial1@test.crm").status_code == 200
    with Session(api.engine) as s:
        assert s.get(User, uid).totp_secret_enc == ""
        assert "2fa_reset" in [e.action for e in s.exec(select(AuditEvent)).all()]
