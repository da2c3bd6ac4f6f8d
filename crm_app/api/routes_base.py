"""Health and identity."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from crm_app.api.deps import CurrentUser, DBSession
from crm_app.models import Team
from crm_app.models.users import UserPublic
from crm_app.permissions import ROLE_PERMS, scope_of

router = APIRouter(tags=["base"])


class MePublic(UserPublic):
    """The caller: who they are, the rows they see (``own``, ``team``, ``company``) and what
    they may do."""

    scope: str
    permissions: list[str]


class HealthPublic(BaseModel):
    status: str
    database: str
    backend: str


@router.get("/api/health", response_model=HealthPublic)
def health(session: DBSession) -> dict:
    """Liveness plus a real database round trip."""
    session.exec(text("SELECT 1"))
    return {"status": "ok", "database": "ok", "backend": session.get_bind().dialect.name}


@router.get("/api/v1/me", response_model=MePublic)
def me(user: CurrentUser, session: DBSession) -> dict:
    team = session.get(Team, user.team_id) if user.team_id else None
    public = UserPublic(**user.model_dump(), team_name=team.name if team else None)
    return {**public.model_dump(), "scope": scope_of(user),
            "permissions": sorted(ROLE_PERMS.get(user.role, ()))}
