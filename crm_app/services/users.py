"""Users and teams."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, select

from crm_app.auth.passwords import hash_password, password_problem
from crm_app.models import Role, Team, User, utcnow
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import Conflict, ValidationFailed


@needs_actor
def get_or_create_team(*, session: Session, actor: Actor, name: str) -> Team:
    team = session.exec(select(Team).where(Team.name == name)).first()
    if team is None:
        team = Team(name=name)
        session.add(team)
        session.flush()
        audit.record(session=session, actor=actor, entity="team", entity_id=team.id,
                     action="create", after={"name": name})
    return team


@needs_actor
def create_user(*, session: Session, actor: Actor, email: str, name: str, role: str,
                password: str, team_name: str | None = None) -> User:
    """Create a local account (``crm users create`` passes ``actors.SYSTEM``)."""
    require(actor, Perm.USERS_MANAGE)
    errors: dict[str, str] = {}
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors["email"] = "Correo electrónico no válido."
    if not name.strip():
        errors["name"] = "El nombre es obligatorio."
    if role not in set(Role):
        errors["role"] = (f"Rol desconocido: {role}. "
                          "Usa admin, director, manager, comercial o asesor.")
    if problem := password_problem(password, personal=[email, name]):
        errors["password"] = problem
    if errors:
        raise ValidationFailed(errors)
    if session.exec(select(User).where(User.email == email)).first():
        raise Conflict(f"Ya existe un usuario con el correo {email}.")
    team = get_or_create_team(session=session, actor=actor, name=team_name) if team_name else None
    user = User(email=email, name=name.strip(), role=role, team_id=team.id if team else None,
                password_hash=hash_password(password), created_at=utcnow())
    session.add(user)
    session.flush()
    if team is not None and role == Role.MANAGER and team.manager_id is None:
        team.manager_id = user.id
        session.add(team)
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id, action="create",
                 after=audit.snapshot(user))
    session.commit()
    return user


@needs_actor
def list_users(*, session: Session, actor: Actor) -> list[User]:
    require(actor, Perm.USERS_MANAGE)
    return list(session.exec(select(User).order_by(User.email)).all())


def team_names(*, session: Session) -> dict[int, str]:
    return {t.id: t.name for t in session.exec(select(Team)).all()}


@needs_actor
def directory(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every user with the team's name, by role then email: the list Ajustes shows an admin
    (read-only until the administration screens arrive)."""
    require(actor, Perm.USERS_MANAGE)
    teams = team_names(session=session)
    users = session.exec(select(User).order_by(User.role, User.email)).all()
    return [{"id": u.id, "name": u.name, "email": u.email, "role": u.role,
             "team_name": teams.get(u.team_id or 0, ""), "active": u.active} for u in users]
