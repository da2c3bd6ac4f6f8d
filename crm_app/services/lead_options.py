"""What the leads screens offer in their selects: sources, owners and teams in the actor's
scope, the people a lead may be given to, and the organisation's fallback owner for the
assignment rules (read and set).

Everything is scoped like the lists themselves: a comercial is offered only their own name,
a manager their team, an admin or director everybody.
"""

from __future__ import annotations

from sqlmodel import Session, select

from crm_app.models import Lead, Organisation, Team, User
from crm_app.permissions import Perm, has_perm, require, restrict, scope_of
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import ValidationFailed
from crm_app.services.links import assign_error
from crm_app.services.spain import PROVINCES, fold

MAX_SOURCES = 200


@needs_actor
def lead_sources(*, session: Session, actor: Actor) -> list[str]:
    """The distinct, non-blank sources (channels) of the leads the actor can see."""
    require(actor, Perm.RECORDS_VIEW)
    stmt = restrict(select(Lead.source).where(Lead.source != "").distinct(), actor)
    return sorted({s for s in session.exec(stmt.limit(MAX_SOURCES)).all() if s},
                  key=str.lower)


def provinces() -> list[str]:
    """Spain's provinces in alphabetical order as people read it (accents ignored)."""
    return sorted(PROVINCES, key=fold)


@needs_actor
def visible_users(*, session: Session, actor: Actor) -> list[User]:
    """Users whose records the actor may see (the owner filter): everybody for company scope,
    the team for a manager, oneself for a comercial."""
    require(actor, Perm.RECORDS_VIEW)
    scope = scope_of(actor)
    stmt = select(User).order_by(User.name, User.id)
    if scope == "team":
        stmt = stmt.where((User.team_id == actor.team_id) | (User.id == actor.id)) \
            if actor.team_id is not None else stmt.where(User.id == actor.id)
    elif scope == "own":
        stmt = stmt.where(User.id == actor.id)
    return list(session.exec(stmt).all())


@needs_actor
def assignable_users(*, session: Session, actor: Actor) -> list[User]:
    """Active users the actor may give a lead to: the rule of every owner (``links``)."""
    if not has_perm(actor, Perm.RECORDS_ASSIGN):
        return [actor]
    return [u for u in visible_users(session=session, actor=actor)
            if assign_error(actor, u) is None]


@needs_actor
def visible_teams(*, session: Session, actor: Actor) -> list[Team]:
    require(actor, Perm.RECORDS_VIEW)
    scope = scope_of(actor)
    stmt = select(Team).order_by(Team.name)
    if scope != "company":
        if actor.team_id is None:
            return []
        stmt = stmt.where(Team.id == actor.team_id)
    return list(session.exec(stmt).all())


@needs_actor
def fallback_owner(*, session: Session, actor: Actor) -> int | None:
    require(actor, Perm.RULES_MANAGE)
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    return org.lead_fallback_owner_id if org else None


@needs_actor
def set_fallback_owner(*, session: Session, actor: Actor, user_id: int | None) -> int | None:
    """The owner of the leads no assignment rule takes (``None``: the creator keeps them)."""
    require(actor, Perm.RULES_MANAGE)
    if user_id is not None:
        target = session.get(User, int(user_id))
        if target is None or not target.active:
            raise ValidationFailed({"fallback_owner_id": "El usuario no existe o está inactivo."})
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    if org is None:
        org = Organisation()
    before = org.lead_fallback_owner_id
    org.lead_fallback_owner_id = int(user_id) if user_id is not None else None
    session.add(org)
    session.flush()
    audit.record(session=session, actor=actor, entity="organisation", entity_id=org.id,
                 action="update", before={"lead_fallback_owner_id": before},
                 after={"lead_fallback_owner_id": org.lead_fallback_owner_id})
    session.commit()
    return org.lead_fallback_owner_id


__all__ = ["assignable_users", "fallback_owner", "lead_sources", "set_fallback_owner",
           "visible_teams", "visible_users"]
