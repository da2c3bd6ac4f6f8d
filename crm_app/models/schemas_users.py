"""API shapes of ``/api/v1/users`` and ``/api/v1/teams`` (Ajustes → Usuarios y Equipos,
issue 12): not tables. No shape carries a password hash or an invitation token."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from crm_app.models.bounds import Id, Line
from crm_app.models.schema_config import body, public


class UserInviteCreate(BaseModel):
    """Invite by e-mail: the account is created inactive and the invitee gets a 72 h link."""

    model_config = body({"email": "marta.lopez@ebromotor.es", "name": "Marta López",
                         "role": "comercial", "team_id": 1})
    email: Line
    name: Line
    role: Line = "comercial"
    team_id: Id | None = None


class UserUpdate(BaseModel):
    """The keys sent change; ``active: false`` deactivates (sessions and tokens revoked)."""

    model_config = body({"name": "Marta López Gil", "role": "manager", "team_id": 1},
                        {"active": False})
    name: Line | None = None
    role: Line | None = None
    team_id: Id | None = None
    active: bool | None = None


class UserReassign(BaseModel):
    """Move every record the user owns to ``to_user_id`` (an active user)."""

    model_config = body({"to_user_id": 2})
    to_user_id: Id


class UserPublic(BaseModel):
    model_config = public()
    id: int
    email: str
    name: str
    role: str
    team_id: int | None
    team_name: str | None
    active: bool
    state: str  # active | invited | inactive
    last_login_at: datetime | None


class UsersPublic(BaseModel):
    model_config = public()
    data: list[UserPublic]
    count: int


class UserReassignPublic(BaseModel):
    """Rows moved, by table."""

    model_config = public()
    to_user_id: int
    moved: dict[str, int]
    total: int


class TeamCreate(BaseModel):
    model_config = body({"name": "Zona Norte"})
    name: Line


class TeamUpdate(BaseModel):
    """Rename and/or set the manager (an active member, manager role or above; null clears)."""

    model_config = body({"name": "Zona Norte", "manager_id": 2})
    name: Line | None = None
    manager_id: Id | None = None


class TeamPublic(BaseModel):
    model_config = public()
    id: int
    name: str
    manager_id: int | None
    manager_name: str | None
    members: int


class TeamsPublic(BaseModel):
    model_config = public()
    data: list[TeamPublic]
    count: int


__all__ = ["TeamCreate", "TeamPublic", "TeamUpdate", "TeamsPublic", "UserInviteCreate",
           "UserPublic", "UserReassign", "UserReassignPublic", "UserUpdate", "UsersPublic"]
