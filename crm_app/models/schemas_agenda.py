"""API shapes of the agenda (issue 13): events, shared calendars, the private ICS feed URL.
Not tables. Times are ISO 8601; a time without offset is Madrid's, answers are UTC."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from crm_app.models.bounds import Id, Line, Text
from crm_app.models.schema_config import body, public

Colour = Annotated[str, Field(max_length=7)]
When = Annotated[str, Field(max_length=40)]


class EventCreate(BaseModel):
    """A meeting, task or call on the agenda, linked to at most one record."""

    model_config = body({"kind": "meeting", "subject": "Revisión de flota",
                         "start": "2026-12-09T10:00", "end": "2026-12-09T11:30",
                         "location": "Oficina de Zaragoza", "account_id": 1})
    kind: Annotated[str, Field(max_length=10)] = "meeting"
    subject: Line
    start: When
    end: When | None = None
    location: Line | None = None
    description: Text | None = None
    calendar_id: Id | None = None
    owner_id: Id | None = None
    account_id: Id | None = None
    lead_id: Id | None = None
    opportunity_id: Id | None = None
    contact_id: Id | None = None


class EventUpdate(BaseModel):
    """Move an event: a new ``start`` (and ``end``, else it keeps its length), or another
    shared calendar (``calendar_id: null``: back to its owner's)."""

    model_config = body({"start": "2026-12-10T16:30", "end": "2026-12-10T17:30"})
    start: When | None = None
    end: When | None = None
    calendar_id: Id | None = None


class EventRecordPublic(BaseModel):
    model_config = public()
    entity: str
    id: int
    name: str
    url: str
    documents_url: str


class EventPublic(BaseModel):
    model_config = public()
    id: int
    kind: str
    subject: str
    start: datetime
    end: datetime | None
    location: str
    description: str
    calendar: str
    colour: str
    calendar_id: int | None
    done: bool
    owner_id: int | None
    owner: str
    record: EventRecordPublic | None
    editable: bool


class EventsPublic(BaseModel):
    model_config = public()
    data: list[EventPublic]
    count: int


class CalendarCreate(BaseModel):
    model_config = body({"name": "Sala de reuniones", "colour": "#12a594"})
    name: Line
    colour: Colour | None = None


class CalendarUpdate(BaseModel):
    model_config = body({"name": "Furgoneta grande", "active": False})
    name: Line | None = None
    colour: Colour | None = None
    active: bool | None = None


class CalendarPublic(BaseModel):
    model_config = public()
    id: int
    name: str
    colour: str
    kind: str
    active: bool
    created_at: datetime


class CalendarsPublic(BaseModel):
    model_config = public()
    data: list[CalendarPublic]
    count: int


class CalendarFeedPublic(BaseModel):
    model_config = public()
    url: str
