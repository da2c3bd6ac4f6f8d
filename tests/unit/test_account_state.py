"""/mi-cuenta's state (issue 12) driven in process like a user's tab: own sessions with "esta
sesión", a password change that keeps this tab and ends the others, API tokens shown once and
only one's own revocable, the 2FA setup with a real pyotp code, and CRM_REQUIRE_2FA sending
every other screen's handlers to Mi cuenta."""

from __future__ import annotations

from typing import Any

import pyotp
from sqlmodel import Session, select
from state_harness import run, tab

from crm_app import db
from crm_app.models import ApiToken, User, UserSession
from crm_app.services import auth as auth_service
from crm_app.settings import get_settings
from pages.account import AccountState
from pages.home import HomeState

NEW_PASSWORD = "Tortuga-Verde-Lunes-93"


def opened(user: User) -> Any:
    s = tab(AccountState, user, path="/mi-cuenta")
    assert run(s.check_login()) == [] and run(s.load()) == []
    return s


def test_sessions_and_a_password_change_that_keeps_only_this_tab(people) -> None:  # noqa: ANN001
    with Session(db.get_engine(), expire_on_commit=False) as s:
        other = auth_service.open_session(session=s, user=s.get(User, people.comercial1.id),
                                          user_agent="Mozilla/5.0 (Windows NT 10.0) "
                                                     "Firefox/133.0", ip="10.0.0.7")
    me = opened(people.comercial1)
    assert len(me.sessions) == 2
    [this] = [r for r in me.sessions if r["current"]]
    [that] = [r for r in me.sessions if not r["current"]]
    assert that["device"] == "Firefox en Windows" and that["ip"] == "10.0.0.7"
    assert this["created"].count("/") == 2  # dd/mm/aaaa hh:mm, Madrid

    events = run(me.change_password({"current_password": "mala", "new_password": NEW_PASSWORD,
                                     "new_password2": NEW_PASSWORD}))
    assert set(me.password_errors) == {"current_password"} and events
    run(me.change_password({"current_password": "demo1234", "new_password": NEW_PASSWORD,
                            "new_password2": NEW_PASSWORD}))
    assert me.password_errors == {}
    with Session(db.get_engine()) as s:
        assert auth_service.user_for_session(session=s, token=other) is None
    assert [r["current"] for r in me.sessions] == [True]  # this tab still works


def test_revoking_another_tab_and_tokens_shown_once(people) -> None:  # noqa: ANN001
    first = opened(people.manager1)
    second = opened(people.manager1)
    [row] = [r for r in second.sessions if not r["current"]]
    run(second.revoke_session(str(row["id"])))
    assert len(second.sessions) == 1
    assert "/login" in str(run(first.load()))  # that tab is signed out
    with Session(db.get_engine()) as s:
        revoked = s.get(UserSession, row["id"])
        assert revoked.revoked_at is not None

    run(second.create_token({"token_name": ""}))
    assert set(second.token_errors) == {"name"} and second.new_token == ""
    run(second.create_token({"token_name": "Hoja de ventas"}))
    raw = second.new_token
    assert raw.startswith("crm_") and [t["name"] for t in second.tokens] == ["Hoja de ventas"]
    assert raw not in repr(second.tokens)
    second.dismiss_token()
    assert second.new_token == ""

    # another user's token is "not found", never revoked
    theirs = opened(people.comercial3)
    events = run(theirs.revoke_token(str(second.tokens[0]["id"])))
    assert any("no encontrado" in str(e) for e in events)
    with Session(db.get_engine()) as s:
        assert s.exec(select(ApiToken)).one().revoked_at is None
    run(second.revoke_token(str(second.tokens[0]["id"])))
    assert second.tokens == []


def test_enable_2fa_with_a_real_code_then_codes_are_shown_once(people) -> None:  # noqa: ANN001
    me = opened(people.director)
    run(me.start_2fa())
    assert "<svg" in me.setup_svg and me.setup_secret
    run(me.confirm_2fa({"totp_code": "000000"}))
    assert set(me.setup_errors) == {"code"} and not me.twofa_enabled
    code = pyotp.TOTP(me.setup_secret.replace(" ", "")).now()
    run(me.confirm_2fa({"totp_code": code}))
    assert me.twofa_enabled and len(me.recovery_codes) == 10
    assert me.setup_secret == "" and me.setup_svg == ""
    me.codes_saved()
    assert me.recovery_codes == [] and me.codes_left == 10


def test_require_2fa_sends_every_other_screen_to_mi_cuenta(people, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("CRM_REQUIRE_2FA", "all")
    get_settings.cache_clear()
    try:
        home = tab(HomeState, people.comercial2, path="/")
        guard = str(run(home.check_login()))
        assert "/mi-cuenta" in guard
        refused = str(run(home.load()))
        assert "/mi-cuenta" in refused
        me = opened(people.comercial2)  # Mi cuenta itself works, to set it up
        assert me.twofa_required and not me.twofa_enabled
        run(me.start_2fa())
        run(me.confirm_2fa({"totp_code": pyotp.TOTP(me.setup_secret.replace(" ", "")).now()}))
        assert me.twofa_enabled
        assert run(home.check_login()) == []
        # now required: it cannot be turned off
        events = str(run(me.disable_2fa({"proof": "demo1234"})))
        assert "exige" in events and me.twofa_enabled
    finally:
        monkeypatch.delenv("CRM_REQUIRE_2FA")
        get_settings.cache_clear()


def test_old_reset_links_and_login_steps_are_purged(session, people) -> None:  # noqa: ANN001
    from datetime import timedelta

    from crm_app.models import LoginChallenge, PasswordReset, utcnow
    from crm_app.services import account as account_service

    now, uid = utcnow(), people.comercial1.id
    session.add_all([
        PasswordReset(token_hash="a" * 64, user_id=uid, expires_at=now - timedelta(days=2)),
        PasswordReset(token_hash="b" * 64, user_id=uid, expires_at=now - timedelta(hours=1)),
        LoginChallenge(token_hash="c" * 64, user_id=uid, expires_at=now - timedelta(days=2)),
        LoginChallenge(token_hash="d" * 64, user_id=uid, expires_at=now + timedelta(minutes=4)),
    ])
    session.commit()
    assert account_service.purge_expired(session=session) == 2
    left = {r.token_hash[0] for r in session.exec(select(PasswordReset)).all()}
    left |= {r.token_hash[0] for r in session.exec(select(LoginChallenge)).all()}
    assert left == {"b", "d"}
