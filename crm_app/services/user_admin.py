"""Ajustes → Usuarios y Equipos (issue 12): invite, edit, deactivate, reactivate, reassign in
bulk, teams and their managers, and the invitee's single-use link to set the password.

Rules every entry point (screens, ``/api/v1/users``, ``/api/v1/teams``, ``crm users``) shares:

- Only ``users.manage`` (admins; the CLI as ``SYSTEM``) changes users and teams.
- An invited account is inactive, without password, until its link is used. The link carries
  a random token; the table keeps only its SHA-256 (``UserInvitation``), valid
  ``INVITE_HOURS``, used once (a conditional UPDATE, so two tabs cannot both use it); a re-sent
  invitation revokes the previous link.
- Deactivating revokes at once every session (``UserSession``) and API token (``ApiToken``) of
  the user; the records keep their owner until reassigned.
- The last active admin can be neither deactivated nor demoted: the active admins' rows are
  locked (``FOR UPDATE`` on PostgreSQL; SQLite serialises writers) before they are counted.
- Reassigning moves every row of every model in ``OWNED_MODELS`` in one transaction, audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, update
from sqlmodel import Session, select

from crm_app import db
from crm_app.auth.passwords import hash_password, password_problem
from crm_app.auth.tokens import new_token, token_hash
from crm_app.formatting import datetime_es
from crm_app.i18n import t
from crm_app.models import (
    OWNED_MODELS,
    ApiToken,
    Organisation,
    Role,
    Team,
    User,
    UserInvitation,
    UserSession,
    utcnow,
)
from crm_app.permissions import Perm, require
from crm_app.services import audit, mailer
from crm_app.services import auth as auth_service
from crm_app.services import organisation as org_service
from crm_app.services.actors import Actor, is_system, needs_actor
from crm_app.services.errors import DomainError, NotFound, ValidationFailed
from crm_app.settings import get_settings

INVITE_HOURS = 72
MAX_NAME = 200
MAX_TEAM_NAME = 120
MANAGER_ROLES = (Role.MANAGER, Role.DIRECTOR, Role.ADMIN)
INVITE_PATH = "/invitacion/"
MAX_TOKEN_CHARS = 128  # a link's token is 43; anything longer is not one of ours


class InvitationInvalid(DomainError):
    """The link cannot be used; ``reason`` is ``unknown``, ``used``, ``expired``,
    ``replaced`` or ``inactive`` and the message says so in Spanish."""

    def __init__(self, reason: str) -> None:
        super().__init__(t(f"uadm.link.{reason}"))
        self.reason = reason


# --- reading ----------------------------------------------------------------------------------


def _state(user: User) -> str:
    if user.active:
        return "active"
    return "invited" if not user.password_hash else "inactive"


def _team_names(session: Session) -> dict[int, str]:
    return {tm.id: tm.name for tm in session.exec(select(Team)).all()}


def public(user: User, teams: Mapping[int, str]) -> dict[str, Any]:
    """The API's and the screen's picture of a user (never a hash or a token)."""
    return {"id": user.id, "email": user.email, "name": user.name, "role": str(user.role),
            "team_id": user.team_id, "team_name": teams.get(user.team_id or 0),
            "active": user.active, "state": _state(user),
            "last_login_at": user.last_login_at,
            "last_login": datetime_es(user.last_login_at) if user.last_login_at else ""}


@needs_actor
def list_users(*, session: Session, actor: Actor, offset: int = 0,
               limit: int | None = None) -> tuple[list[dict[str, Any]], int]:
    """Every user, by name, with the team's name, state and last login (Madrid time)."""
    require(actor, Perm.USERS_MANAGE)
    teams = _team_names(session)
    total = session.exec(select(func.count()).select_from(User)).one()
    stmt = select(User).order_by(User.name, User.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [public(u, teams) for u in session.exec(stmt).all()], total


@needs_actor
def get_user(*, session: Session, actor: Actor, user_id: int) -> User:
    require(actor, Perm.USERS_MANAGE)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(t("uadm.err.user_missing"))
    return user


@needs_actor
def user_public(*, session: Session, actor: Actor, user_id: int) -> dict[str, Any]:
    return public(get_user(session=session, actor=actor, user_id=user_id),
                  _team_names(session))


# --- validation -------------------------------------------------------------------------------


def _email(value: Any, errors: dict[str, str]) -> str:
    try:
        return validate_email(str(value or "").strip(),
                              check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = t("uadm.err.email")
        return ""


def _name(value: Any, errors: dict[str, str]) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        errors["name"] = t("uadm.err.name")
    elif len(name) > MAX_NAME:
        errors["name"] = t("uadm.err.too_long", max=MAX_NAME)
    return name


def _role(value: Any, errors: dict[str, str]) -> str:
    role = str(value or "").strip().lower()
    if role not in {r.value for r in Role}:
        errors["role"] = t("uadm.err.role")
    return role


def _team(session: Session, value: Any, errors: dict[str, str], key: str = "team_id"
          ) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        team_id = int(value)
    except (TypeError, ValueError):
        errors[key] = t("uadm.err.team")
        return None
    if session.get(Team, team_id) is None:
        errors[key] = t("uadm.err.team")
    return team_id


def _lock_active_admins(session: Session) -> list[User]:
    """The active admins, locked until the transaction ends (PostgreSQL ``FOR UPDATE``), so two
    admins demoting each other at once cannot both succeed."""
    return list(session.exec(
        select(User).where(User.role == Role.ADMIN, User.active.is_(True))  # type: ignore[union-attr]
        .order_by(User.id).with_for_update().execution_options(populate_existing=True)).all())


def _guard_last_admin(session: Session, user: User, *, role: str, active: bool) -> None:
    """Refuse to leave the company without an active admin."""
    if user.role != Role.ADMIN or not user.active:
        return  # not an active admin now: nothing to lose
    if role == Role.ADMIN and active:
        return
    others = [a for a in _lock_active_admins(session) if a.id != user.id]
    if not others:
        raise ValidationFailed({"role" if active else "active": t("uadm.err.last_admin")},
                               t("uadm.err.last_admin"))


def _revoke_access(session: Session, user: User, now: datetime) -> tuple[int, int]:
    """Revoke every open session and API token of ``user`` (one UPDATE each)."""
    sessions = session.execute(
        update(UserSession).where(UserSession.user_id == user.id,
                                  UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    tokens = session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id,
                               ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    return sessions or 0, tokens or 0


def _revoke_invitations(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(UserInvitation).where(UserInvitation.user_id == user_id,
                                     UserInvitation.used_at.is_(None),  # type: ignore[union-attr]
                                     UserInvitation.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now).execution_options(synchronize_session=False))


# --- invitations ------------------------------------------------------------------------------


def invitation_link(token: str) -> str:
    return get_settings().public_url.rstrip("/") + INVITE_PATH + token


def _company_name(session: Session) -> str:
    org = session.exec(select(Organisation)).first()
    return (org.trade_name or org.legal_name) if org else ""


def _send_invitation(session: Session, actor: Actor, user: User) -> str:
    """A new link for ``user`` (the previous ones revoked), e-mailed; returns the raw token.
    A mail error rolls everything back and is a ``DomainError`` with the server's reason."""
    now = utcnow()
    _revoke_invitations(session, user.id, now)
    raw = new_token()
    session.add(UserInvitation(token_hash=token_hash(raw), user_id=user.id,
                               invited_by_id=None if is_system(actor) else actor.id,
                               created_at=now, expires_at=now + timedelta(hours=INVITE_HOURS)))
    session.flush()
    company = _company_name(session) or t("app.name")
    try:
        mailer.send_email(
            to=[user.email], subject=t("uadm.mail.subject", company=company),
            body=t("uadm.mail.body", name=user.name, inviter=actor.name, company=company,
                   email=user.email, link=invitation_link(raw)),
            settings=org_service.mail_settings(session=session))
    except mailer.MailError as exc:
        session.rollback()
        raise DomainError(t("uadm.err.mail", reason=str(exc))) from None
    except DomainError:
        session.rollback()
        raise
    return raw


@needs_actor
def invite_user(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> User:
    """Create the inactive account (``email``, ``name``, ``role``, ``team_id``) and e-mail its
    link. Nothing is kept if the e-mail cannot be sent."""
    require(actor, Perm.USERS_MANAGE)
    errors: dict[str, str] = {}
    email = _email(data.get("email"), errors)
    name = _name(data.get("name"), errors)
    role = _role(data.get("role") or Role.COMERCIAL, errors)
    team_id = _team(session, data.get("team_id"), errors)
    if email and "email" not in errors and session.exec(
            select(User.id).where(func.lower(User.email) == email)).first() is not None:
        errors["email"] = t("uadm.err.email_taken")
    if errors:
        raise ValidationFailed(errors)
    user = User(email=email, name=name, role=role, team_id=team_id, active=False,
                password_hash="", created_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action="invite", after=audit.snapshot(user))
    _send_invitation(session, actor, user)
    session.commit()
    return user


@needs_actor
def resend_invitation(*, session: Session, actor: Actor, user_id: int) -> User:
    """A fresh 72 h link for a user who has not accepted yet; the old link stops working."""
    user = get_user(session=session, actor=actor, user_id=user_id)
    if user.password_hash:
        raise DomainError(t("uadm.err.already_accepted"))
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action="invite_resend")
    _send_invitation(session, actor, user)
    session.commit()
    return user


def _invitation(session: Session, token: str) -> tuple[UserInvitation, User]:
    row = session.exec(select(UserInvitation).where(
        UserInvitation.token_hash == token_hash(token or ""))
        .execution_options(populate_existing=True)).first() if token else None
    if row is None:
        raise InvitationInvalid("unknown")
    if row.used_at is not None:
        raise InvitationInvalid("used")
    if row.revoked_at is not None:
        raise InvitationInvalid("replaced")
    if row.expires_at <= utcnow():
        raise InvitationInvalid("expired")
    user = session.get(User, row.user_id)
    if user is None or user.password_hash:
        raise InvitationInvalid("used")
    return row, user


def invitation_info(*, session: Session, token: str) -> dict[str, str]:
    """Who a valid link is for (the invitee's page greets them); ``InvitationInvalid`` says
    why it is not. Public: the token is the credential."""
    _, user = _invitation(session, token)
    return {"name": user.name, "email": user.email}


def public_invitation(token: str) -> dict[str, str]:
    """For the invitee's public page (no signed-in user: the token is the credential):
    ``{"name", "email"}`` of a usable link, or ``{"error"}`` with why it is not."""
    with Session(db.get_engine()) as session:  # the page has no session of its own
        try:
            return invitation_info(session=session, token=token[:MAX_TOKEN_CHARS])
        except InvitationInvalid as exc:
            return {"error": exc.message}


def accept_invitation(*, session: Session, token: str, password: str, password2: str | None = None,
                      ip: str = "", user_agent: str = "") -> tuple[User, str]:
    """Set the invitee's password (the policy of ``auth.passwords``), activate the account,
    use the link up and open a session: returns the user and the raw session token."""
    row, user = _invitation(session, token)
    errors: dict[str, str] = {}
    if problem := password_problem(password or "", personal=[user.email, user.name]):
        errors["password"] = problem
    elif password2 is not None and password2 != password:
        errors["password2"] = t("uadm.err.password_mismatch")
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    used = session.execute(
        update(UserInvitation).where(UserInvitation.id == row.id,
                                     UserInvitation.used_at.is_(None),  # type: ignore[union-attr]
                                     UserInvitation.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(used_at=now).returning(UserInvitation.id)
        .execution_options(synchronize_session=False)).first()
    if used is None:  # a parallel request used it (or a re-send replaced it) meanwhile
        session.rollback()
        raise InvitationInvalid("used")
    _revoke_invitations(session, user.id, now)
    user.password_hash = hash_password(password)
    user.active = True
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    audit.record(session=session, actor=user, entity="user", entity_id=user.id,
                 action="invitation_accepted")
    raw = auth_service.open_session(session=session, user=user, ip=ip, user_agent=user_agent,
                                    note="invitation")
    return user, raw


# --- editing ----------------------------------------------------------------------------------

USER_FIELDS = ("name", "role", "team_id", "active")


@needs_actor
def update_user(*, session: Session, actor: Actor, user_id: int,
                data: Mapping[str, Any]) -> User:
    """Change ``name``, ``role``, ``team_id`` and/or ``active`` (the keys sent). ``active``
    false deactivates (sessions and tokens revoked), true reactivates."""
    user = get_user(session=session, actor=actor, user_id=user_id)
    before = audit.snapshot(user)
    errors: dict[str, str] = {}
    for key in set(data) - set(USER_FIELDS):
        errors[key] = t("uadm.err.unknown")
    name = _name(data["name"], errors) if "name" in data else user.name
    role = _role(data["role"], errors) if "role" in data else str(user.role)
    team_id = _team(session, data["team_id"], errors) if "team_id" in data else user.team_id
    active = user.active
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = t("uadm.err.bool")
        else:
            active = data["active"]
    if errors:
        raise ValidationFailed(errors)
    if active and not user.active and not user.password_hash:
        raise ValidationFailed({"active": t("uadm.err.not_accepted")}, t("uadm.err.not_accepted"))
    if not active and user.active and not is_system(actor) and actor.id == user.id:
        raise ValidationFailed({"active": t("uadm.err.self_deactivate")},
                               t("uadm.err.self_deactivate"))
    _guard_last_admin(session, user, role=role, active=active)
    now = utcnow()
    deactivating = user.active and not active
    user.name, user.role, user.team_id, user.active = name, role, team_id, active
    if user.team_id != before["team_id"]:
        # a manager who leaves a team stops managing it
        for team in session.exec(select(Team).where(Team.manager_id == user.id)).all():
            if team.id != user.team_id:
                team.manager_id = None
                session.add(team)
    if role not in MANAGER_ROLES:
        for team in session.exec(select(Team).where(Team.manager_id == user.id)).all():
            team.manager_id = None
            session.add(team)
    session.add(user)
    note = ""
    if deactivating:
        sessions, tokens = _revoke_access(session, user, now)
        note = f"{sessions} sesiones y {tokens} tokens revocados"
    changed_before, changed_after = audit.diff(before, audit.snapshot(user))
    if changed_after:
        action = ("deactivate" if deactivating
                  else "reactivate" if active and not before["active"] else "update")
        audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                     action=action, before=changed_before, after=changed_after, note=note)
    session.commit()
    return user


@needs_actor
def deactivate_user(*, session: Session, actor: Actor, user_id: int) -> User:
    return update_user(session=session, actor=actor, user_id=user_id, data={"active": False})


@needs_actor
def reactivate_user(*, session: Session, actor: Actor, user_id: int) -> User:
    return update_user(session=session, actor=actor, user_id=user_id, data={"active": True})


@needs_actor
def user_by_email(*, session: Session, actor: Actor, email: str) -> User:
    require(actor, Perm.USERS_MANAGE)
    user = session.exec(select(User).where(
        func.lower(User.email) == str(email or "").strip().lower())).first()
    if user is None:
        raise NotFound(t("uadm.err.user_missing"))
    return user


@needs_actor
def set_password(*, session: Session, actor: Actor, user_id: int, password: str) -> User:
    """Set a password for a user (``crm users set-password``): the policy applies, pending
    invitations stop working and the user's open sessions end."""
    user = get_user(session=session, actor=actor, user_id=user_id)
    if problem := password_problem(password or "", personal=[user.email, user.name]):
        raise ValidationFailed({"password": problem})
    now = utcnow()
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    session.add(user)
    _revoke_invitations(session, user.id, now)
    session.execute(
        update(UserSession).where(UserSession.user_id == user.id,
                                  UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=now).execution_options(synchronize_session=False))
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action="set_password")  # never the password nor its hash
    session.commit()
    return user


@needs_actor
def reassign_records(*, session: Session, actor: Actor, from_user_id: int,
                     to_user_id: Any) -> dict[str, int]:
    """Move every record of every ``OWNED_MODELS`` model owned by ``from_user_id`` to
    ``to_user_id`` (an active user), with the new owner's team; one transaction, one audit
    event with the counts. Returns ``{table: rows moved}``."""
    source = get_user(session=session, actor=actor, user_id=from_user_id)
    try:
        target_id = int(to_user_id)
    except (TypeError, ValueError):
        raise ValidationFailed({"to_user_id": t("uadm.err.to_user")}) from None
    target = session.get(User, target_id)
    if target is None:
        raise ValidationFailed({"to_user_id": t("uadm.err.to_user_missing")})
    if not target.active:
        raise ValidationFailed({"to_user_id": t("uadm.err.to_user_inactive")})
    if target.id == source.id:
        raise ValidationFailed({"to_user_id": t("uadm.err.to_user")})
    moved: dict[str, int] = {}
    for model in OWNED_MODELS:
        result = session.execute(
            update(model).where(model.owner_id == source.id)
            .values(owner_id=target.id, team_id=target.team_id)
            .execution_options(synchronize_session=False))
        moved[model.__tablename__] = result.rowcount or 0
    audit.record(session=session, actor=actor, entity="user", entity_id=source.id,
                 action="reassign", after={"to_user_id": target.id, "moved": moved},
                 note=f"{sum(moved.values())} registros a {target.email}")
    session.commit()
    session.expire_all()  # rows this session already holds carry the old owner
    return moved


# --- teams ------------------------------------------------------------------------------------


def team_public(team: Team, session: Session) -> dict[str, Any]:
    manager = session.get(User, team.manager_id) if team.manager_id else None
    members = session.exec(select(func.count()).select_from(User).where(
        User.team_id == team.id)).one()
    return {"id": team.id, "name": team.name, "manager_id": team.manager_id,
            "manager_name": manager.name if manager else None, "members": members}


@needs_actor
def list_teams(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    require(actor, Perm.USERS_MANAGE)
    return [team_public(tm, session)
            for tm in session.exec(select(Team).order_by(Team.name)).all()]


def _team_name(session: Session, value: Any, errors: dict[str, str],
               keep_id: int | None = None) -> str:
    name = " ".join(str(value or "").split())
    if not name:
        errors["name"] = t("uadm.err.team_name")
    elif len(name) > MAX_TEAM_NAME:
        errors["name"] = t("uadm.err.too_long", max=MAX_TEAM_NAME)
    else:
        clash = session.exec(select(Team.id).where(func.lower(Team.name) == name.lower())).first()
        if clash is not None and clash != keep_id:
            errors["name"] = t("uadm.err.team_taken")
    return name


def _manager(session: Session, team: Team | None, value: Any, errors: dict[str, str]
             ) -> int | None:
    if value in (None, "", 0, "0"):
        return None
    try:
        user = session.get(User, int(value))
    except (TypeError, ValueError):
        user = None
    if user is None:
        errors["manager_id"] = t("uadm.err.manager_missing")
    elif team is None or user.team_id != team.id or not user.active:
        errors["manager_id"] = t("uadm.err.manager_team")
    elif user.role not in MANAGER_ROLES:
        errors["manager_id"] = t("uadm.err.manager_role")
    return user.id if user else None


@needs_actor
def create_team(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> Team:
    """A new team (``name``; a ``manager_id`` needs members, so it is set afterwards)."""
    require(actor, Perm.USERS_MANAGE)
    errors: dict[str, str] = {}
    name = _team_name(session, data.get("name"), errors)
    if data.get("manager_id") not in (None, "", 0):
        errors["manager_id"] = t("uadm.err.manager_team")
    if errors:
        raise ValidationFailed(errors)
    team = Team(name=name)
    session.add(team)
    session.flush()
    audit.record(session=session, actor=actor, entity="team", entity_id=team.id,
                 action="create", after={"name": name})
    session.commit()
    return team


@needs_actor
def update_team(*, session: Session, actor: Actor, team_id: int,
                data: Mapping[str, Any]) -> Team:
    """Rename (``name``) and/or set the manager (``manager_id``: an active member of the team
    with the manager role or above; ``null`` clears it)."""
    require(actor, Perm.USERS_MANAGE)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(t("uadm.err.team_missing"))
    before = {"name": team.name, "manager_id": team.manager_id}
    errors: dict[str, str] = {}
    name = _team_name(session, data["name"], errors, keep_id=team.id) if "name" in data \
        else team.name
    manager_id = _manager(session, team, data["manager_id"], errors) if "manager_id" in data \
        else team.manager_id
    if errors:
        raise ValidationFailed(errors)
    team.name, team.manager_id = name, manager_id
    session.add(team)
    after = {"name": team.name, "manager_id": team.manager_id}
    changed_before, changed_after = audit.diff(before, after)
    if changed_after:
        audit.record(session=session, actor=actor, entity="team", entity_id=team.id,
                     action="update", before=changed_before, after=changed_after)
    session.commit()
    return team


@needs_actor
def team_public_by_id(*, session: Session, actor: Actor, team_id: int) -> dict[str, Any]:
    require(actor, Perm.USERS_MANAGE)
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound(t("uadm.err.team_missing"))
    return team_public(team, session)


__all__ = ["INVITE_HOURS", "InvitationInvalid", "accept_invitation", "create_team",
           "deactivate_user", "get_user", "invitation_info", "invitation_link", "invite_user",
           "list_teams", "list_users", "reactivate_user", "reassign_records",
           "resend_invitation", "set_password", "team_public", "update_team", "update_user",
           "user_by_email", "user_public"]
