"""Bodies and answers of ``/api/v1/activities`` (issue 13), named by the API convention."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from crm_app.models.bounds import Id, Moment
from crm_app.models.schema_config import body, public

Kind = Literal["call", "meeting", "email", "task", "note"]


class ActivityUpdate(BaseModel):
    """What to change: ``done`` true (now) or false (reopen), a new ``due_at``, another
    ``owner_id`` (the rule of every owner), the texts, the reminder."""

    model_config = body({"done": True}, {"due_at": "2026-12-31T09:30:00+01:00"},
                        {"owner_id": 5})
    subject: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)
    outcome: str | None = Field(default=None, max_length=200)
    due_at: Moment | None = None
    done: bool | None = None
    owner_id: Id | None = None
    reminder_minutes: int | None = Field(default=None, ge=0, le=40_320)


class ActivityCreate(BaseModel):
    """A logged call/meeting/email/note (done now unless ``due_at`` schedules it) or a task
    (``due_at`` required), linked to ONE of lead/customer/contact/opportunity/quote."""

    model_config = body(
        {"kind": "call", "subject": "Llamada de seguimiento", "outcome": "Pide presupuesto",
         "lead_id": 1},
        {"kind": "task", "subject": "Enviar catálogo", "due_at": "2026-12-31T09:30:00+01:00",
         "opportunity_id": 3, "reminder_minutes": 30})
    kind: Kind
    subject: str = Field(max_length=200)
    notes: str | None = Field(default=None, max_length=10_000)
    outcome: str | None = Field(default=None, max_length=200)
    due_at: Moment | None = None
    done_at: Moment | None = None
    owner_id: Id | None = None
    lead_id: Id | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    opportunity_id: Id | None = None
    quote_id: Id | None = None
    reminder_minutes: int | None = Field(default=None, ge=0, le=40_320)


class ActivityPublic(BaseModel):
    model_config = public()
    id: int
    kind: str
    subject: str
    notes: str
    outcome: str
    status: Literal["open", "done"]
    due_at: datetime | None
    done_at: datetime | None
    reminder_minutes: int | None
    owner_id: int | None
    team_id: int | None
    lead_id: int | None
    account_id: int | None
    contact_id: int | None
    opportunity_id: int | None
    quote_id: int | None
    source: str
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime | None


class ActivitiesPublic(BaseModel):
    data: list[ActivityPublic]
    count: int


__all__ = ["ActivitiesPublic", "ActivityCreate", "ActivityPublic", "ActivityUpdate"]
