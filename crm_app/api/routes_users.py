"""/api/v1/users and /api/v1/teams: Ajustes → Usuarios y Equipos over HTTP (issue 12), thin
over ``services.user_admin``. Admins only (``users.manage``); others 403.

``POST /api/v1/users`` invites (the answer is the user, never the link's token);
``PATCH`` changes ``name``, ``role``, ``team_id``, ``active``; ``POST …/reassign`` moves every
owned record to ``to_user_id``; ``POST …/invitation`` re-sends the invitation. A
``team_id``/``manager_id``/``to_user_id`` that does not exist (or is not active) is a 422
naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.api.paging import Paging, listing
from crm_app.models import User
from crm_app.models.bounds import Id
from crm_app.models.schemas_users import (
    TeamCreate,
    TeamPublic,
    TeamsPublic,
    TeamUpdate,
    UserInviteCreate,
    UserPublic,
    UserReassign,
    UserReassignPublic,
    UsersPublic,
    UserUpdate,
)
from crm_app.permissions import Perm
from crm_app.services import user_admin

router = APIRouter(prefix="/api/v1", tags=["usuarios"])

IS_ADMIN = _requires(Perm.USERS_MANAGE)
Pages = Annotated[Paging, Depends()]


@router.get("/users", response_model=UsersPublic)
def list_users(session: DBSession, paging: Pages, user: User = IS_ADMIN) -> dict:
    """Every user with team, state (``active``, ``invited``, ``inactive``) and last login."""
    rows, total = user_admin.list_users(session=session, actor=user, offset=paging.offset,
                                        limit=paging.limit)
    return listing(rows, total)


@router.post("/users", status_code=201, response_model=UserPublic)
def invite_user(body: UserInviteCreate, session: DBSession, user: User = IS_ADMIN) -> Any:
    """Create the inactive account and e-mail its single-use link (valid 72 h)."""
    invited = user_admin.invite_user(session=session, actor=user,
                                     data=body.model_dump(exclude_unset=True))
    return user_admin.user_public(session=session, actor=user, user_id=invited.id)


@router.get("/users/{user_id}", response_model=UserPublic)
def read_user(user_id: Id, session: DBSession, user: User = IS_ADMIN) -> Any:
    return user_admin.user_public(session=session, actor=user, user_id=user_id)


@router.patch("/users/{user_id}", response_model=UserPublic)
def update_user(user_id: Id, body: UserUpdate, session: DBSession,
                user: User = IS_ADMIN) -> Any:
    changed = user_admin.update_user(session=session, actor=user, user_id=user_id,
                                     data=body.model_dump(exclude_unset=True))
    return user_admin.user_public(session=session, actor=user, user_id=changed.id)


@router.post("/users/{user_id}/reassign", response_model=UserReassignPublic)
def reassign_records(user_id: Id, body: UserReassign, session: DBSession,
                     user: User = IS_ADMIN) -> Any:
    moved = user_admin.reassign_records(session=session, actor=user, from_user_id=user_id,
                                        to_user_id=body.to_user_id)
    return {"to_user_id": body.to_user_id, "moved": moved, "total": sum(moved.values())}


@router.post("/users/{user_id}/invitation", response_model=UserPublic)
def resend_invitation(user_id: Id, session: DBSession, user: User = IS_ADMIN) -> Any:
    """A fresh 72 h link for a user who has not accepted yet (the previous one stops)."""
    user_admin.resend_invitation(session=session, actor=user, user_id=user_id)
    return user_admin.user_public(session=session, actor=user, user_id=user_id)


@router.get("/teams", response_model=TeamsPublic)
def list_teams(session: DBSession, user: User = IS_ADMIN) -> dict:
    rows = user_admin.list_teams(session=session, actor=user)
    return listing(rows, len(rows))


@router.post("/teams", status_code=201, response_model=TeamPublic)
def create_team(body: TeamCreate, session: DBSession, user: User = IS_ADMIN) -> Any:
    team = user_admin.create_team(session=session, actor=user,
                                  data=body.model_dump(exclude_unset=True))
    return user_admin.team_public_by_id(session=session, actor=user, team_id=team.id)


@router.patch("/teams/{team_id}", response_model=TeamPublic)
def update_team(team_id: Id, body: TeamUpdate, session: DBSession,
                user: User = IS_ADMIN) -> Any:
    team = user_admin.update_team(session=session, actor=user, team_id=team_id,
                                  data=body.model_dump(exclude_unset=True))
    return user_admin.team_public_by_id(session=session, actor=user, team_id=team.id)
