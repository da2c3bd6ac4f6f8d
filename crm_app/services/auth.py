"""Login, sessions and API tokens.

Five failed logins lock an account for ``login_lock_minutes``; an unknown email still pays for
one argon2 verification so response time does not reveal which accounts exist.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from crm_app.auth.passwords import hash_password, needs_rehash, verify_password
from crm_app.auth.tokens import API_TOKEN_PREFIX, new_token, token_hash
from crm_app.models import ApiToken, User, UserSession, utcnow
from crm_app.services import audit
from crm_app.services.errors import LoginFailed, NotFound
from crm_app.settings import get_settings

BAD_CREDENTIALS = "Correo o contraseña incorrectos."
LOCKED = "Cuenta bloqueada temporalmente por demasiados intentos. Inténtalo en {minutes} minutos."


def authenticate(*, session: Session, email: str, password: str, ip: str = "",
                 user_agent: str = "") -> tuple[User, str]:
    """Check credentials and open a session; return the user and the raw session token."""
    settings = get_settings()
    now = utcnow()
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active:
        verify_password(None, password)
        raise LoginFailed(BAD_CREDENTIALS)
    if user.locked_until and user.locked_until > now:
        verify_password(None, password)
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise LoginFailed(LOCKED.format(minutes=minutes), locked=True)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        locked = user.failed_logins >= settings.login_max_failures
        if locked:
            user.locked_until = now + timedelta(minutes=settings.login_lock_minutes)
            user.failed_logins = 0
            audit.record(session=session, actor=None, entity="user", entity_id=user.id,
                         action="locked", note=f"{settings.login_max_failures} intentos fallidos")
        session.add(user)
        session.commit()
        if locked:
            raise LoginFailed(LOCKED.format(minutes=settings.login_lock_minutes), locked=True)
        raise LoginFailed(BAD_CREDENTIALS)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    return user, open_session(session=session, user=user, ip=ip, user_agent=user_agent)


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
                            ip=ip[:64], user_agent=user_agent[:300]))
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
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return user if user and user.active else None


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


def create_api_token(*, session: Session, actor: User | None, user: User, name: str = "") -> str:
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


def revoke_api_token(*, session: Session, actor: User | None, token_id: int) -> ApiToken:
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
