"""The user's own account: password reset by e-mail, own password, sessions, API tokens and the
TOTP second factor (issue 12).

Password reset ("¿Has olvidado tu contraseña?"): :func:`request_password_reset` answers the
same for every e-mail (the route says the same thing whatever happens) and does the same
cheap work; the e-mail itself leaves after the answer (:func:`deliver`), so its SMTP time
does not tell who has an account. The link's token is random, lives ``password_reset_minutes``
(30), is stored only as its SHA-256 and is used once: :func:`reset_password` applies the
password policy, ends every session of the user and clears the login lock.

Second factor: RFC 6238 TOTP (``pyotp``; 6 digits, 30 s, one step of clock drift either way)
whose secret is stored encrypted (``services.secret_box``), and ten single-use recovery codes
stored as SHA-256 (random, ~49 bits each: a slow hash adds nothing). A code is accepted once:
``totp_last_step`` moves forward with a conditional UPDATE, so a replayed or parallel use of
the same code fails. ``CRM_REQUIRE_2FA=admin|all`` makes it compulsory (:func:`needs_2fa_setup`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pyotp
import segno
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from crm_app.auth.passwords import hash_password, password_problem, verify_password
from crm_app.auth.throttle import LoginThrottle, Throttled, get_reset_throttle
from crm_app.auth.tokens import new_token, token_hash
from crm_app.formatting import datetime_es
from crm_app.i18n import t
from crm_app.models import (
    ApiToken,
    LoginChallenge,
    PasswordReset,
    RecoveryCode,
    Role,
    User,
    UserSession,
    utcnow,
)
from crm_app.permissions import Perm, require
from crm_app.services import audit, mailer, secret_box
from crm_app.services import auth as auth_service
from crm_app.services.actors import SYSTEM, Actor, needs_actor
from crm_app.services.errors import (
    Conflict,
    DomainError,
    LoginFailed,
    LoginThrottled,
    NotFound,
    ValidationFailed,
)
from crm_app.settings import get_settings

log = logging.getLogger(__name__)

TOTP_PURPOSE = "totp-secret"
TOTP_DIGITS = 6
TOTP_PERIOD = 30
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i
CHALLENGE_MAX_ATTEMPTS = 5
MAX_TOKENS = 20
MAX_TOKEN_NAME = 120
MAX_CODE = 40  # characters of a typed code read at all
MAX_SESSIONS_SHOWN = 50


# --- the rule of CRM_REQUIRE_2FA ----------------------------------------------------------------


def two_factor_required(user: User) -> bool:
    """Whether the company (``CRM_REQUIRE_2FA``) requires a second factor of ``user``."""
    rule = get_settings().require_2fa
    return rule == "all" or (rule == "admin" and user.role == Role.ADMIN)


def needs_2fa_setup(user: User | None) -> bool:
    """``user`` must set up the second factor before anything else works (Mi cuenta only)."""
    return (user is not None and getattr(user, "id", None) is not None
            and user.totp_enabled_at is None and two_factor_required(user))


# --- password reset -------------------------------------------------------------------------


@dataclass(frozen=True)
class Mail:
    """An e-mail to send once the answer has left (see :func:`deliver`)."""

    to: str
    subject: str
    body: str


def _reset_minutes() -> int:
    return get_settings().password_reset_minutes


def _reset_link(raw: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}/login/nueva-contrasena?token={raw}"


def _new_reset(session: Session, user: User, *, ip: str) -> Mail:
    """A fresh reset token for ``user`` (the earlier unused ones stop working) and its mail."""
    now = utcnow()
    session.execute(update(PasswordReset)
                    .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
    raw = new_token()
    minutes = _reset_minutes()
    session.add(PasswordReset(token_hash=token_hash(raw), user_id=user.id, created_at=now,
                              expires_at=now + timedelta(minutes=minutes), ip=ip[:64]))
    body = t("account.reset.mail_body", name=user.name, email=user.email,
             link=_reset_link(raw), minutes=minutes)
    return Mail(to=user.email, subject=t("account.reset.mail_subject"), body=body)


def admit_reset_request(*, email: str, ip: str = "",
                        throttle: LoginThrottle | None = None) -> None:
    """Count one request in the windows per e-mail and per IP, or raise ``LoginThrottled``.
    Counted for every e-mail, existing or not, so the limit tells nothing either."""
    throttle = throttle or get_reset_throttle()
    try:
        throttle.admit(ip=ip, email=email.strip().lower())
    except Throttled as exc:
        minutes = max(1, -(-exc.retry_after // 60))
        raise LoginThrottled(t("account.reset.throttled", minutes=minutes),
                             retry_after=exc.retry_after) from None


def request_password_reset(*, session: Session, email: str, ip: str = "") -> Mail | None:
    """"¿Has olvidado tu contraseña?": a reset link for an active account with ``email``.

    Returns the mail to hand to :func:`deliver` after answering, ``None`` when there is no
    active account (the caller answers the same either way). Throttling is the caller's
    (:func:`admit_reset_request`, before this).
    """
    address = (email or "").strip().lower()[:254]
    user = session.exec(select(User).where(User.email == address)).first() if address else None
    new_token()  # the same random draw either way
    if user is None or not user.active:
        session.rollback()
        return None
    mail = _new_reset(session, user, ip=ip)
    audit.record(session=session, actor=SYSTEM, entity="user", entity_id=user.id,
                 action="password_reset_requested", note=ip[:64])
    session.commit()
    return mail


def deliver(mail: Mail | None, *, engine: Any = None) -> None:
    """Send ``mail`` through the company's SMTP server (else ``CRM_SMTP_*``). Called after
    the answer: a failure is logged (without the link), never shown to the requester."""
    if mail is None:
        return
    from crm_app import db
    from crm_app.services import organisation

    try:
        with Session(engine or db.get_engine()) as session:
            settings = organisation.mail_settings(session=session)
        mailer.send_email(to=[mail.to], subject=mail.subject, body=mail.body, settings=settings)
    except (mailer.MailError, DomainError) as exc:
        log.warning("No se pudo enviar el enlace de recuperación de contraseña: %s",
                    type(exc).__name__)


def _valid_reset(session: Session, raw: str) -> tuple[PasswordReset, User] | None:
    if not raw or len(raw) > 200:
        return None
    row = session.exec(select(PasswordReset)
                       .where(PasswordReset.token_hash == token_hash(raw))).first()
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    user = session.get(User, row.user_id)
    return (row, user) if user is not None and user.active else None


def reset_token_valid(*, session: Session, token: str) -> bool:
    """Whether the page may offer the form (the link is unused, in time, for an active user)."""
    return _valid_reset(session, token) is not None


def reset_link_works(token: str) -> bool:
    """:func:`reset_token_valid` in a session of its own: for the public page of the link,
    which has no session to pass (pages import no database)."""
    from crm_app import db

    with Session(db.get_engine()) as session:
        return reset_token_valid(session=session, token=token)


def _end_sessions(session: Session, user_id: int, *, keep: str | None = None) -> int:
    """Revoke the user's open sessions (all, or all but the one whose raw token is ``keep``)
    and the pending second steps of logins."""
    now = utcnow()
    stmt = update(UserSession).where(UserSession.user_id == user_id,
                                     UserSession.revoked_at.is_(None))
    if keep:
        stmt = stmt.where(UserSession.token_hash != token_hash(keep))
    result = session.execute(stmt.values(revoked_at=now)
                             .execution_options(synchronize_session=False))
    session.execute(update(LoginChallenge)
                    .where(LoginChallenge.user_id == user_id, LoginChallenge.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0


def _check_new_password(user: User, password: str, repeat: str | None, field: str,
                        repeat_field: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not password:
        errors[field] = t("account.err.required")
    elif problem := password_problem(password, personal=[user.email, user.name]):
        errors[field] = problem
    elif repeat is not None and repeat != password:
        errors[repeat_field] = t("account.err.mismatch")
    return errors


def reset_password(*, session: Session, token: str, password: str,
                   password2: str | None = None) -> User:
    """Set a new password through a reset link: the policy, the token consumed (with every
    other one of the user), every session ended, the login lock cleared. Field errors:
    ``token`` (invalid, used, expired), ``password``, ``password2``."""
    found = _valid_reset(session, token)
    if found is None:
        raise ValidationFailed({"token": t("account.reset.invalid", minutes=_reset_minutes())})
    row, user = found
    if errors := _check_new_password(user, password, password2, "password", "password2"):
        raise ValidationFailed(errors)
    now = utcnow()
    # consume it atomically: of two parallel uses, one wins
    used = session.execute(update(PasswordReset)
                           .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
                           .values(used_at=now).execution_options(synchronize_session=False))
    if not used.rowcount:
        session.rollback()
        raise ValidationFailed({"token": t("account.reset.invalid", minutes=_reset_minutes())})
    session.execute(update(PasswordReset)
                    .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now).execution_options(synchronize_session=False))
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    session.add(user)
    ended = _end_sessions(session, user.id)
    audit.record(session=session, actor=user, entity="user", entity_id=user.id,
                 action="password_reset", note=f"{ended} sesiones cerradas")
    session.commit()
    return user


@needs_actor
def send_password_reset(*, session: Session, actor: Actor, user_id: int) -> str:
    """An admin sends ``user_id`` a reset link (now, through the company's SMTP server);
    returns the address. Inactive users get none (``Conflict``); mail errors → DomainError."""
    require(actor, Perm.USERS_MANAGE)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(t("account.reset.user_not_found"))
    if not user.active:
        raise Conflict(t("account.reset.inactive"))
    from crm_app.services import organisation

    mail = _new_reset(session, user, ip="")
    settings = organisation.mail_settings(session=session)
    try:
        mailer.send_email(to=[mail.to], subject=mail.subject, body=mail.body, settings=settings)
    except mailer.MailError as exc:
        session.rollback()
        raise DomainError(str(exc)) from None
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action="password_reset_sent")
    session.commit()
    return user.email


def valid_email(email: str) -> str | None:
    try:
        return validate_email((email or "").strip(), check_deliverability=False
                              ).normalized.lower()
    except EmailNotValidError:
        return None


# --- own password, sessions, tokens -----------------------------------------------------------


def _me(session: Session, actor: Actor) -> User:
    user = session.get(User, getattr(actor, "id", None) or 0)
    if user is None or not user.active:
        raise NotFound()
    return user


@needs_actor
def change_password(*, session: Session, actor: Actor, current: str, new: str,
                    repeat: str | None = None, keep_token: str | None = None) -> int:
    """Change the actor's own password; end their other sessions (``keep_token``: the raw
    token of the session to keep). Returns how many sessions were ended. Field errors:
    ``current_password``, ``new_password``, ``new_password2``."""
    user = _me(session, actor)
    if not current:
        raise ValidationFailed({"current_password": t("account.err.required")})
    if len(current) > 256 or not verify_password(user.password_hash, current):
        raise ValidationFailed({"current_password": t("account.password.wrong")})
    if errors := _check_new_password(user, new, repeat, "new_password", "new_password2"):
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    session.add(user)
    ended = _end_sessions(session, user.id, keep=keep_token)
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action="password_change", note=f"{ended} sesiones cerradas")
    session.commit()
    return ended


def _device(user_agent: str) -> str:
    """A short, readable name of the browser ("Firefox en Windows") from its user agent."""
    ua = user_agent or ""
    browser = next((name for key, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
        ("Safari/", "Safari"), ("curl/", "curl"), ("python", "Python")) if key in ua), "")
    system = next((name for key, name in (
        ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
        ("Mac OS X", "macOS"), ("Linux", "Linux")) if key in ua), "")
    if browser and system:
        return f"{browser} en {system}"
    return browser or system or (ua[:60] if ua else t("account.sessions.unknown_device"))


@needs_actor
def my_sessions(*, session: Session, actor: Actor, current_token: str | None = None
                ) -> list[dict[str, Any]]:
    """The actor's open sessions, newest first, each marked ``current`` if it is this one."""
    user = _me(session, actor)
    now = utcnow()
    current_hash = token_hash(current_token) if current_token else ""
    rows = session.exec(
        select(UserSession).where(UserSession.user_id == user.id,
                                  UserSession.revoked_at.is_(None),
                                  UserSession.expires_at > now)
        .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        .limit(MAX_SESSIONS_SHOWN)).all()
    return [{"id": r.id, "created": datetime_es(r.created_at),
             "last_seen": datetime_es(r.last_seen_at or r.created_at),
             "device": _device(r.user_agent), "user_agent": r.user_agent[:300],
             "ip": r.ip, "current": bool(current_hash) and r.token_hash == current_hash}
            for r in rows]


@needs_actor
def revoke_my_session(*, session: Session, actor: Actor, session_id: int) -> None:
    """Close one of the actor's own sessions (another user's is "not found")."""
    user = _me(session, actor)
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(t("account.sessions.not_found"))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                     action="session_revoked", note=_device(row.user_agent))
        session.commit()


@needs_actor
def my_tokens(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    user = _me(session, actor)
    rows = session.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                               ApiToken.revoked_at.is_(None))
                        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())).all()
    return [{"id": r.id, "name": r.name, "prefix": r.prefix,
             "created": datetime_es(r.created_at),
             "last_used": datetime_es(r.last_used_at) or t("account.tokens.never")}
            for r in rows]


@needs_actor
def create_my_token(*, session: Session, actor: Actor, name: str) -> str:
    """A personal API token for the actor; the raw token is returned once (shown once)."""
    user = _me(session, actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": t("account.err.required")})
    if len(name) > MAX_TOKEN_NAME:
        raise ValidationFailed({"name": t("account.tokens.name_too_long", max=MAX_TOKEN_NAME)})
    active = session.exec(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))).one()
    if active >= MAX_TOKENS:
        raise ValidationFailed({"name": t("account.tokens.too_many", max=MAX_TOKENS)})
    return auth_service.create_api_token(session=session, actor=actor, user=user, name=name)


@needs_actor
def revoke_my_token(*, session: Session, actor: Actor, token_id: int) -> None:
    user = _me(session, actor)
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(t("account.tokens.not_found"))
    auth_service.revoke_api_token(session=session, actor=actor, token_id=token_id)


# --- TOTP -------------------------------------------------------------------------------------


def _secret(user: User) -> str:
    try:
        return secret_box.decrypt(user.totp_secret_enc, purpose=TOTP_PURPOSE)
    except secret_box.SecretUnreadable:
        raise DomainError(t("account.2fa.unreadable")) from None


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD)


def _clean_code(code: str) -> str:
    return "".join(ch for ch in (code or "")[:MAX_CODE] if ch not in " -\t").lower()


def _matching_step(secret: str, code: str, after: int, now: float | None = None) -> int | None:
    """The time step (one either side of now) whose code is ``code``, if later than ``after``."""
    if len(code) != TOTP_DIGITS or not code.isdigit():
        return None
    totp = _totp(secret)
    current = int((time.time() if now is None else now) // TOTP_PERIOD)
    for step in (current - 1, current, current + 1):
        if step > after and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_step(session: Session, user: User, step: int) -> bool:
    """Move ``totp_last_step`` forward to ``step``; ``False`` if that code was used already."""
    done = session.execute(update(User).where(User.id == user.id, User.totp_last_step < step)
                           .values(totp_last_step=step)
                           .execution_options(synchronize_session=False))
    if done.rowcount:
        user.totp_last_step = step
    return bool(done.rowcount)


def _recovery_hash(user_id: int, code: str) -> str:
    return hashlib.sha256(f"{user_id}:{code}".encode()).hexdigest()


def check_second_factor(*, session: Session, user: User, code: str) -> str | None:
    """Accept a TOTP code or an unused recovery code of ``user`` (each used once); return
    ``"totp"`` or ``"recovery"``, else ``None``. Commits what it consumed."""
    if user.totp_enabled_at is None:
        return None
    cleaned = _clean_code(code)
    if not cleaned:
        return None
    if cleaned.isdigit():
        step = _matching_step(_secret(user), cleaned, user.totp_last_step)
        if step is not None and _use_step(session, user, step):
            session.commit()
            return "totp"
        session.rollback()
        return None
    used = session.execute(update(RecoveryCode)
                           .where(RecoveryCode.user_id == user.id,
                                  RecoveryCode.code_hash == _recovery_hash(user.id, cleaned),
                                  RecoveryCode.used_at.is_(None))
                           .values(used_at=utcnow()).execution_options(synchronize_session=False))
    if used.rowcount:
        audit.record(session=session, actor=user, entity="user", entity_id=user.id,
                     action="recovery_code_used")
        session.commit()
        return "recovery"
    session.rollback()
    return None


def recovery_codes_left(*, session: Session, user: User) -> int:
    return session.exec(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).one()


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=_recovery_hash(user.id, raw)))
    return codes


def qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code (drawn here: no outside service)."""
    return segno.make(uri, error="m").svg_inline(scale=5, border=2, dark="#111",
                                                 light="#fff")


@needs_actor
def start_totp(*, session: Session, actor: Actor) -> dict[str, str]:
    """A new secret for the actor to scan (pending until :func:`confirm_totp`): the secret in
    groups of four, the otpauth URI and its QR code as inline SVG."""
    user = _me(session, actor)
    if user.totp_enabled_at is not None:
        raise Conflict(t("account.2fa.already"))
    secret = pyotp.random_base32()
    user.totp_secret_enc = secret_box.encrypt(secret, purpose=TOTP_PURPOSE)
    session.add(user)
    session.commit()
    from crm_app.services import organisation

    org = organisation._stored(session)
    issuer = ((org.trade_name or org.legal_name) if org else "") or t("app.name")
    uri = _totp(secret).provisioning_uri(name=user.email, issuer_name=issuer)
    return {"secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            "uri": uri, "svg": qr_svg(uri)}


@needs_actor
def confirm_totp(*, session: Session, actor: Actor, code: str) -> list[str]:
    """Enable the second factor once a code of the pending secret is right; return the ten
    recovery codes (shown once). Field error: ``code``."""
    user = _me(session, actor)
    if user.totp_enabled_at is not None:
        raise Conflict(t("account.2fa.already"))
    if not user.totp_secret_enc:
        raise ValidationFailed({"code": t("account.2fa.not_started")})
    step = _matching_step(_secret(user), _clean_code(code), 0)
    if step is None:
        raise ValidationFailed({"code": t("account.2fa.bad_code")})
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    session.add(user)
    codes = _new_recovery_codes(session, user)
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action="2fa_enabled")
    session.commit()
    return codes


@needs_actor
def cancel_totp_setup(*, session: Session, actor: Actor) -> None:
    """Forget a secret that was shown but never confirmed."""
    user = _me(session, actor)
    if user.totp_enabled_at is None and user.totp_secret_enc:
        user.totp_secret_enc = ""
        session.add(user)
        session.commit()


@needs_actor
def disable_totp(*, session: Session, actor: Actor, proof: str) -> None:
    """Turn the second factor off, proven by a current code, a recovery code or the password.
    Refused while ``CRM_REQUIRE_2FA`` applies to the actor. Field error: ``proof``."""
    user = _me(session, actor)
    if user.totp_enabled_at is None:
        raise Conflict(t("account.2fa.not_enabled"))
    if two_factor_required(user):
        raise Conflict(t("account.2fa.disable_required"))
    proof = (proof or "")[:256]
    if not proof:
        raise ValidationFailed({"proof": t("account.err.required")})
    if not (check_second_factor(session=session, user=user, code=proof)
            or verify_password(user.password_hash, proof)):
        raise ValidationFailed({"proof": t("account.2fa.bad_proof")})
    _drop_second_factor(session, actor, user, action="2fa_disabled")


@needs_actor
def reset_two_factor(*, session: Session, actor: Actor, user_id: int) -> None:
    """An admin turns off the second factor of a user who lost the phone and the recovery
    codes (audited); the user sets it up again (at once, if ``CRM_REQUIRE_2FA`` applies)."""
    require(actor, Perm.USERS_MANAGE)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(t("account.reset.user_not_found"))
    _drop_second_factor(session, actor, user, action="2fa_reset")


def _drop_second_factor(session: Session, actor: Actor, user: User, *, action: str) -> None:
    """The secret, its last used step and every recovery code go, audited as ``action``
    (the user turning it off, or an admin resetting it); commits."""
    user.totp_secret_enc = ""
    user.totp_enabled_at = None
    user.totp_last_step = 0
    session.add(user)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action=action)
    session.commit()


@needs_actor
def two_factor_status(*, session: Session, actor: Actor) -> dict[str, Any]:
    user = _me(session, actor)
    return {"enabled": user.totp_enabled_at is not None,
            "required": two_factor_required(user),
            "codes_left": recovery_codes_left(session=session, user=user)
            if user.totp_enabled_at else 0}


# --- the login's second step ------------------------------------------------------------------


def _dead_challenge() -> LoginFailed:
    return LoginFailed(t("account.login2.expired"))


def complete_login(*, session: Session, challenge: str, code: str, ip: str = "",
                   user_agent: str = "", throttle: LoginThrottle | None = None
                   ) -> tuple[User, str]:
    """The second step: the challenge of a right password plus a right code open the session.

    Throttled like the password (the same windows per IP and account) and counted like a
    wrong password (``login_max_failures`` wrong codes lock the account); a challenge takes
    at most five codes and lives five minutes, then the password is asked again.
    """
    if not challenge or len(challenge) > 200:
        raise _dead_challenge()
    now = utcnow()
    row = session.exec(select(LoginChallenge)
                       .where(LoginChallenge.token_hash == token_hash(challenge))).first()
    if (row is None or row.used_at is not None or row.expires_at <= now
            or row.attempts >= CHALLENGE_MAX_ATTEMPTS):
        raise _dead_challenge()
    user = session.exec(select(User).where(User.id == row.user_id)
                        .execution_options(populate_existing=True)).first()
    if user is None or not user.active or user.totp_enabled_at is None:
        raise _dead_challenge()
    attempt = auth_service.admit_login(email=user.email, ip=ip, throttle=throttle)
    if user.locked_until and user.locked_until > now:
        raise auth_service._locked(user.locked_until, now)
    if not _clean_code(code):
        raise LoginFailed(t("account.login2.required"))
    # count the attempt on the challenge first (atomic), so parallel guesses share the five
    counted = session.execute(update(LoginChallenge)
                              .where(LoginChallenge.id == row.id,
                                     LoginChallenge.used_at.is_(None),
                                     LoginChallenge.attempts < CHALLENGE_MAX_ATTEMPTS)
                              .values(attempts=LoginChallenge.attempts + 1)
                              .execution_options(synchronize_session=False))
    session.commit()
    if not counted.rowcount:
        raise _dead_challenge()
    how = check_second_factor(session=session, user=user, code=code)
    if how is None:
        until = auth_service._count_failure(session, user, now)
        if until is not None:
            raise auth_service._locked(until, now)
        raise LoginFailed(t("account.login2.wrong"))
    session.execute(update(LoginChallenge).where(LoginChallenge.id == row.id)
                    .values(used_at=now).execution_options(synchronize_session=False))
    auth_service._clear_failures(session, user, now)
    token = auth_service.open_session(session=session, user=user, ip=ip,
                                      user_agent=user_agent, note=f"2fa:{how}")
    attempt.succeeded()
    return user, token


def purge_expired(*, session: Session) -> int:
    """Delete reset links and login challenges that ended more than a day ago."""
    cutoff = utcnow() - timedelta(days=1)
    n = session.execute(delete(PasswordReset).where(PasswordReset.expires_at < cutoff)).rowcount
    n += session.execute(delete(LoginChallenge).where(LoginChallenge.expires_at < cutoff)
                         ).rowcount
    session.commit()
    return n or 0

