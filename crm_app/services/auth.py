"""Login, sessions and API tokens.

Login, in this order (each step is why the next one can be trusted):

1. The throttle (``crm_app.auth.throttle``): too many attempts from this IP or on this
   email → :class:`LoginThrottled` (HTTP 429) before the database or argon2 is touched.
2. Locked (a real account's ``locked_until``, or the decoy lock an unknown email gets after
   as many failures) → the lock message, without hashing.
3. One argon2 verification — against a dummy hash for an unknown or inactive email, so that
   case costs the same time.
4. A wrong password is counted *atomically*: ``UPDATE … SET failed_logins = failed_logins + 1
   … WHERE not locked RETURNING``, which sets the lock in the same statement when the count
   reaches ``login_max_failures``. Concurrent guesses serialise on the row (SQLite's write
   lock, PostgreSQL's row lock with the WHERE re-checked), so however many run in parallel
   exactly ``max - 1`` get "wrong password" and every other one sees the lock.
5. A right password clears the counter with a conditional UPDATE too: if a parallel guess
   locked the account meanwhile, the login is refused as locked.

Unknown, inactive and existing accounts answer alike — same status, body and cost — at every
step, so neither the message nor the time says whether an account exists.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, or_, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from crm_app.auth.passwords import hash_password, needs_rehash, verify_password
from crm_app.auth.throttle import Attempt, LoginThrottle, Throttled, get_login_throttle
from crm_app.auth.tokens import API_TOKEN_PREFIX, new_token, token_hash
from crm_app.i18n import t
from crm_app.models import ApiToken, LoginChallenge, User, UserSession, utcnow
from crm_app.services import audit
from crm_app.services.actors import SYSTEM, Actor, needs_actor
from crm_app.services.errors import LoginFailed, LoginThrottled, NotFound, SecondFactorRequired
from crm_app.settings import get_settings

BAD_CREDENTIALS = "Correo o contraseña incorrectos."
CHALLENGE_MINUTES = 5  # the second step of a login must follow the password within this
LOCKED = "Cuenta bloqueada temporalmente por demasiados intentos. Inténtalo en {minutes} minutos."


def _locked(until: datetime, now: datetime) -> LoginFailed:
    """The lock message, worded the same for real and decoy locks: whole minutes left."""
    minutes = max(1, math.ceil(round((until - now).total_seconds()) / 60))
    return LoginFailed(LOCKED.format(minutes=minutes), locked=True)


def _not_locked(now: datetime):  # noqa: ANN202 - a SQL expression
    return or_(User.locked_until.is_(None), User.locked_until <= now)


def _count_failure(session: Session, user: User, now: datetime) -> datetime | None:
    """Count one wrong password in the database, atomically; return the lock's end if the
    account is locked now (by this failure or by a parallel one), else ``None``."""
    settings = get_settings()
    until = now + timedelta(minutes=settings.login_lock_minutes)
    reaches = User.failed_logins + 1 >= settings.login_max_failures
    row = session.execute(
        update(User)
        .where(User.id == user.id, _not_locked(now))
        .values(failed_logins=case((reaches, 0), else_=User.failed_logins + 1),
                locked_until=case((reaches, until), else_=User.locked_until))
        .returning(User.failed_logins, User.locked_until)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:  # a parallel failure locked it first
        session.rollback()
        current = session.execute(select(User.locked_until).where(User.id == user.id)).scalar()
        return current if current and current > now else until
    failed, locked_until = row
    set_committed_value(user, "failed_logins", failed)
    set_committed_value(user, "locked_until", locked_until)
    if locked_until is not None and locked_until > now:  # this failure reached the limit
        audit.record(session=session, actor=SYSTEM, entity="user", entity_id=user.id,
                     action="locked", note=f"{settings.login_max_failures} intentos fallidos")
        session.commit()
        return locked_until
    session.commit()
    return None


def _clear_failures(session: Session, user: User, now: datetime) -> bool:
    """Reset the counter for a right password, unless a parallel guess locked the account
    since it was read: ``False`` then."""
    row = session.execute(
        update(User).where(User.id == user.id, _not_locked(now))
        .values(failed_logins=0, locked_until=None).returning(User.id)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        session.rollback()
        return False
    set_committed_value(user, "failed_logins", 0)
    set_committed_value(user, "locked_until", None)
    return True


def admit_login(*, email: str, ip: str = "", throttle: LoginThrottle | None = None) -> Attempt:
    """Count one login attempt in the throttle's windows, or raise :class:`LoginThrottled`.

    Cheap (no database, no hashing): the HTTP route calls it before the attempt waits for a
    turn to verify, so a throttled request is answered at once.
    """
    throttle = throttle or get_login_throttle()
    try:
        return throttle.admit(ip=ip, email=email.strip().lower())
    except Throttled as exc:
        raise LoginThrottled(t("security.login.throttled", seconds=exc.retry_after),
                             retry_after=exc.retry_after) from None


def authenticate(*, session: Session, email: str, password: str, ip: str = "",
                 user_agent: str = "", throttle: LoginThrottle | None = None,
                 attempt: Attempt | None = None) -> tuple[User, str]:
    """Check credentials and open a session; return the user and the raw session token.

    Raises :class:`LoginThrottled` (too many attempts) or :class:`LoginFailed` (wrong
    credentials, or locked: ``locked=True``), the same way for every email. ``attempt``: the
    admission :func:`admit_login` already gave this attempt (else it is admitted here).
    """
    throttle = throttle or get_login_throttle()
    address = email.strip().lower()
    if attempt is None:
        attempt = admit_login(email=address, ip=ip, throttle=throttle)
    now = utcnow()
    # populate_existing: the lock state must come from the database, not from a User this
    # session already holds (the counter is changed by UPDATE statements, not by the ORM)
    found = session.exec(select(User).where(User.email == address)
                         .execution_options(populate_existing=True)).first()
    user = found if found is not None and found.active else None
    locked_until = user.locked_until if user else throttle.decoy_locked_until(address, now)
    if locked_until and locked_until > now:
        raise _locked(locked_until, now)
    if not verify_password(user.password_hash if user else None, password):
        until = (_count_failure(session, user, now) if user
                 else throttle.decoy_failure(address, now))
        if until is not None:
            raise _locked(until, now)
        raise LoginFailed(BAD_CREDENTIALS)
    if not _clear_failures(session, user, now):
        current = session.execute(select(User.locked_until).where(User.id == user.id)).scalar()
        raise _locked(current or now, now)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.totp_enabled_at is not None:
        # the second factor is due: no session until its code is right (services.account)
        challenge = _open_challenge(session, user, ip=ip, user_agent=user_agent)
        attempt.succeeded()
        raise SecondFactorRequired(t("account.login2.intro"), challenge=challenge)
    token = open_session(session=session, user=user, ip=ip, user_agent=user_agent)
    attempt.succeeded()
    return user, token


def _open_challenge(session: Session, user: User, *, ip: str, user_agent: str) -> str:
    """The pending second step of a login; return its raw token (only the hash is kept)."""
    now = utcnow()
    raw = new_token()
    session.add(LoginChallenge(token_hash=token_hash(raw), user_id=user.id, created_at=now,
                               expires_at=now + timedelta(minutes=CHALLENGE_MINUTES),
                               ip=ip[:64], user_agent=user_agent[:300]))
    session.add(user)
    session.commit()
    return raw


def open_session(*, session: Session, user: User, ip: str = "", user_agent: str = "",
                 note: str = "") -> str:
    """Open a server-side session for an already authenticated user; return the raw token.

    Shared by password login and SSO (``note="sso"``): only the token's hash is stored.
    """
    now = utcnow()
    user.last_login_at = now
    token = new_token()
    session.add(UserSession(token_hash=token_hash(token), user_id=user.id, created_at=now,
                            expires_at=now + timedelta(days=get_settings().session_days),
                            last_seen_at=now, ip=ip[:64], user_agent=user_agent[:300]))
    session.add(user)
    audit.record(session=session, actor=user, entity="user", entity_id=user.id, action="login",
                 note=note)
    session.commit()
    return token


def user_for_session(*, session: Session, token: str | None) -> User | None:
    """The active user behind a session cookie, or None if missing, expired or revoked."""
    if not token:
        return None
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()
    now = utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if not user or not user.active:
        return None
    if row.last_seen_at is None or (now - row.last_seen_at) > timedelta(minutes=5):
        # throttled like an API token's last use: Mi cuenta shows it, nobody needs it exact
        session.execute(update(UserSession).where(UserSession.id == row.id)
                        .values(last_seen_at=now).execution_options(synchronize_session=False))
        set_committed_value(row, "last_seen_at", now)
        session.commit()
    return user


def logout(*, session: Session, token: str | None) -> None:
    if not token:
        return
    row = session.exec(
        select(UserSession).where(UserSession.token_hash == token_hash(token))
    ).first()
    if row and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session=session, actor=session.get(User, row.user_id), entity="user",
                     entity_id=row.user_id, action="logout")
        session.commit()


@needs_actor
def create_api_token(*, session: Session, actor: Actor, user: User, name: str = "") -> str:
    """Create a personal API token and return it; only its hash is kept."""
    raw = new_token(API_TOKEN_PREFIX)
    row = ApiToken(name=name[:120], prefix=raw[:12], token_hash=token_hash(raw), user_id=user.id,
                   created_at=utcnow())
    session.add(row)
    session.flush()
    audit.record(session=session, actor=actor, entity="api_token", entity_id=row.id,
                 action="create", after={"user_id": user.id, "prefix": row.prefix, "name": name})
    session.commit()
    return raw


@needs_actor
def revoke_api_token(*, session: Session, actor: Actor, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("Token no encontrado.")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session=session, actor=actor, entity="api_token", entity_id=row.id,
                     action="revoke")
        session.commit()
    return row


def user_for_api_token(*, session: Session, token: str) -> User | None:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if not user or not user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at) > timedelta(minutes=5):
        row.last_used_at = now  # throttled so a busy integration does not write on every call
        session.add(row)
        session.commit()
    return user


def purge_expired_sessions(*, session: Session) -> int:
    """Delete sessions that expired or were revoked more than a day ago."""
    from sqlalchemy import delete, or_

    cutoff = utcnow() - timedelta(days=1)
    result = session.exec(delete(UserSession).where(  # type: ignore[call-overload]
        or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff)))
    session.commit()
    return result.rowcount or 0
