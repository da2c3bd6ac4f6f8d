"""Passwords, login, lockout, sessions and personal API tokens (services on a real SQLite DB)."""

from __future__ import annotations

import hashlib
import statistics
import time
from datetime import timedelta

import pytest
from factories import FIXTURE_PASSWORD
from sqlmodel import Session, select

from crm_app.auth.passwords import hash_password, needs_rehash, verify_password
from crm_app.models import ApiToken, AuditEvent, User, UserSession, utcnow
from crm_app.services import auth as auth_service
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import LoginFailed, NotFound
from crm_app.services.users import create_user
from crm_app.settings import get_settings


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def login(session: Session, email: str, password: str = FIXTURE_PASSWORD) -> tuple[User, str]:
    return auth_service.authenticate(session=session, email=email, password=password,
                                     ip="10.0.0.1", user_agent="pytest")


def fresh(session: Session, user: User) -> User:
    session.expire_all()
    return session.get(User, user.id)


# --- password hashing ---


@pytest.mark.real_argon2
def test_argon2id_hash_format_and_verify() -> None:
    h = hash_password("correcto-caballo-bateria")
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # argon2-cffi's defaults (OWASP)
    assert "correcto" not in h
    assert h != hash_password("correcto-caballo-bateria")  # salted
    assert verify_password(h, "correcto-caballo-bateria") is True
    assert verify_password(h, "otra cosa") is False
    assert verify_password(None, "correcto-caballo-bateria") is False
    assert verify_password("", "x") is False
    assert verify_password("not-a-hash", "x") is False
    assert needs_rehash(h) is False


def test_create_user_stores_only_an_argon2id_hash(session: Session) -> None:
    user = create_user(session=session, actor=SYSTEM, email=" Ana@Example.ES ", name="Ana",
                       role="comercial", password="s3creta-larga")
    assert user.email == "ana@example.es"
    assert user.password_hash.startswith("$argon2id$")
    assert "s3creta" not in user.password_hash
    assert verify_password(user.password_hash, "s3creta-larga")


# --- login ---


def test_login_success_opens_a_session_with_expiry(session: Session, people) -> None:  # noqa: ANN001
    before = utcnow()
    user, token = login(session, " Comercial1@TEST.crm ")
    assert user.id == people.comercial1.id
    assert len(token) >= 32
    rows = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert len(rows) == 1
    row = rows[0]
    assert row.token_hash == sha256(token) and token not in row.token_hash  # stored hashed
    assert row.revoked_at is None
    assert before <= row.created_at <= utcnow()
    expected = row.created_at + timedelta(days=get_settings().session_days)
    assert abs((row.expires_at - expected).total_seconds()) < 1
    assert row.ip == "10.0.0.1" and row.user_agent == "pytest"
    assert fresh(session, user).last_login_at is not None
    assert auth_service.user_for_session(session=session, token=token).id == user.id
    # a second login opens a second, independent session
    _, token2 = login(session, "comercial1@test.crm")
    assert token2 != token
    assert auth_service.user_for_session(session=session, token=token2).id == user.id


def test_wrong_password_is_refused_and_counted(session: Session, people) -> None:  # noqa: ANN001
    with pytest.raises(LoginFailed) as exc:
        login(session, "comercial1@test.crm", "mala-clave")
    assert exc.value.message == auth_service.BAD_CREDENTIALS
    assert exc.value.locked is False
    assert fresh(session, people.comercial1).failed_logins == 1
    assert session.exec(select(UserSession)).all() == []
    # a success resets the counter
    login(session, "comercial1@test.crm")
    assert fresh(session, people.comercial1).failed_logins == 0


def test_unknown_and_inactive_accounts_get_the_same_answer(session: Session, people) -> None:  # noqa: ANN001
    messages = []
    for email in ("nadie@test.crm", "comercial2@test.crm"):
        if email.startswith("comercial2"):
            people.comercial2.active = False
            session.add(people.comercial2)
            session.commit()
        with pytest.raises(LoginFailed) as exc:
            login(session, email)  # the right password for comercial2, but inactive
        messages.append(exc.value.message)
        assert exc.value.locked is False
    assert messages == [auth_service.BAD_CREDENTIALS] * 2
    assert session.exec(select(UserSession)).all() == []


def test_five_failures_lock_for_fifteen_minutes(session: Session, people) -> None:  # noqa: ANN001
    settings = get_settings()
    assert (settings.login_max_failures, settings.login_lock_minutes) == (5, 15)
    email = "comercial1@test.crm"
    for attempt in range(1, 5):
        with pytest.raises(LoginFailed) as exc:
            login(session, email, "mala-clave")
        assert not exc.value.locked, attempt
        assert fresh(session, people.comercial1).failed_logins == attempt
    start = utcnow()
    with pytest.raises(LoginFailed) as exc:
        login(session, email, "mala-clave")
    assert exc.value.locked is True
    assert "15 minutos" in exc.value.message
    user = fresh(session, people.comercial1)
    lock = (user.locked_until - start).total_seconds()
    assert 15 * 60 - 5 <= lock <= 15 * 60 + 5
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "locked")).all()
    assert [e.entity_id for e in events] == [user.id]

    # while locked, even the right password is refused
    with pytest.raises(LoginFailed) as exc:
        login(session, email)
    assert exc.value.locked is True
    assert session.exec(select(UserSession)).all() == []

    # other accounts are not affected
    login(session, "comercial2@test.crm")

    # when the lock has passed (moved into the past in the DB rather than waiting 15 minutes)
    user.locked_until = utcnow() - timedelta(seconds=1)
    session.add(user)
    session.commit()
    user2, token = login(session, email)
    assert user2.id == user.id
    user = fresh(session, user)
    assert user.locked_until is None and user.failed_logins == 0
    assert auth_service.user_for_session(session=session, token=token).id == user.id


@pytest.mark.real_argon2
def test_unknown_email_takes_about_as_long_as_a_wrong_password(session: Session,
                                                               people) -> None:  # noqa: ANN001
    def timed(email: str) -> float:
        start = time.perf_counter()
        with pytest.raises(LoginFailed):
            login(session, email, "mala-clave")
        return time.perf_counter() - start

    unknown, wrong = [], []
    for _ in range(5):
        unknown.append(timed("nadie@test.crm"))
        wrong.append(timed("comercial1@test.crm"))
        people.comercial1.failed_logins = 0  # stay below the lockout threshold
        session.add(people.comercial1)
        session.commit()
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 <= ratio <= 2.0, (unknown, wrong)
    # and both really pay for an argon2 verification (not two fast paths that happen to match)
    assert statistics.median(unknown) > 0.01


# --- sessions ---


def test_expired_revoked_and_bogus_sessions_resolve_to_none(session: Session, people) -> None:  # noqa: ANN001
    _, live = login(session, "comercial1@test.crm")
    _, expired = login(session, "comercial1@test.crm")
    _, revoked = login(session, "comercial1@test.crm")
    row = session.exec(select(UserSession).where(UserSession.token_hash == sha256(expired))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    row = session.exec(select(UserSession).where(UserSession.token_hash == sha256(revoked))).one()
    row.revoked_at = utcnow()
    session.add(row)
    session.commit()
    assert auth_service.user_for_session(session=session, token=live).id == people.comercial1.id
    assert auth_service.user_for_session(session=session, token=expired) is None
    assert auth_service.user_for_session(session=session, token=revoked) is None
    for bogus in (None, "", "no-existe", sha256(live)):  # the stored hash is not a token
        assert auth_service.user_for_session(session=session, token=bogus) is None


def test_logout_revokes_the_session(session: Session, people) -> None:  # noqa: ANN001
    _, token = login(session, "manager1@test.crm")
    _, other = login(session, "manager1@test.crm")
    auth_service.logout(session=session, token=token)
    assert auth_service.user_for_session(session=session, token=token) is None
    assert auth_service.user_for_session(session=session, token=other) is not None
    row = session.exec(select(UserSession).where(UserSession.token_hash == sha256(token))).one()
    assert row.revoked_at is not None
    auth_service.logout(session=session, token=token)  # idempotent
    auth_service.logout(session=session, token=None)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "logout")).all()


def test_session_of_a_deactivated_user_resolves_to_none(session: Session, people) -> None:  # noqa: ANN001
    _, token = login(session, "comercial3@test.crm")
    people.comercial3.active = False
    session.add(people.comercial3)
    session.commit()
    assert auth_service.user_for_session(session=session, token=token) is None


def test_purge_expired_sessions(session: Session, people) -> None:  # noqa: ANN001
    now = utcnow()
    uid = people.comercial1.id
    rows = {
        "live": UserSession(token_hash="a" * 64, user_id=uid, expires_at=now + timedelta(days=1)),
        "just_expired": UserSession(token_hash="b" * 64, user_id=uid,
                                    expires_at=now - timedelta(hours=1)),
        "old_expired": UserSession(token_hash="c" * 64, user_id=uid,
                                   expires_at=now - timedelta(days=2)),
        "old_revoked": UserSession(token_hash="d" * 64, user_id=uid,
                                   expires_at=now + timedelta(days=5),
                                   revoked_at=now - timedelta(days=2)),
    }
    session.add_all(rows.values())
    session.commit()
    assert auth_service.purge_expired_sessions(session=session) == 2
    left = {r.token_hash[0] for r in session.exec(select(UserSession)).all()}
    assert left == {"a", "b"}


# --- personal API tokens ---


def test_api_token_create_use_revoke(session: Session, people) -> None:  # noqa: ANN001
    raw = auth_service.create_api_token(session=session, actor=people.admin,
                                        user=people.comercial1, name="integración")
    assert raw.startswith("crm_") and len(raw) > 40
    row = session.exec(select(ApiToken)).one()
    assert row.token_hash == sha256(raw)
    assert raw not in (row.token_hash, row.prefix, row.name)
    assert row.prefix == raw[:12] and row.user_id == people.comercial1.id
    assert row.last_used_at is None

    assert auth_service.user_for_api_token(session=session, token=raw).id == people.comercial1.id
    session.refresh(row)
    assert row.last_used_at is not None

    # tokens and sessions are separate kinds of credentials
    _, session_token = login(session, "comercial1@test.crm")
    assert auth_service.user_for_api_token(session=session, token=session_token) is None
    assert auth_service.user_for_session(session=session, token=raw) is None
    assert auth_service.user_for_api_token(session=session, token="crm_inventado") is None

    revoked = auth_service.revoke_api_token(session=session, actor=people.admin, token_id=row.id)
    assert revoked.revoked_at is not None
    assert auth_service.user_for_api_token(session=session, token=raw) is None
    again = auth_service.revoke_api_token(session=session, actor=SYSTEM, token_id=row.id)
    assert again.revoked_at == revoked.revoked_at  # idempotent
    with pytest.raises(NotFound):
        auth_service.revoke_api_token(session=session, actor=SYSTEM, token_id=9999)
    actions = [e.action for e in session.exec(
        select(AuditEvent).where(AuditEvent.entity == "api_token")).all()]
    assert actions == ["create", "revoke"]


def test_api_token_of_an_inactive_user_is_rejected(session: Session, people) -> None:  # noqa: ANN001
    raw = auth_service.create_api_token(session=session, actor=SYSTEM, user=people.comercial2)
    assert auth_service.user_for_api_token(session=session, token=raw) is not None
    people.comercial2.active = False
    session.add(people.comercial2)
    session.commit()
    assert auth_service.user_for_api_token(session=session, token=raw) is None
