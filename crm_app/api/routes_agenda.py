"""The agenda over HTTP (issue 13), thin over ``services.agenda``.

- ``GET /api/v1/agenda?from=&to=&calendars=`` the events in a range (≤ 62 days) on the
  calendars named (comma-separated keys: ``me``, ``team``, ``user:<id>``, ``shared:<id>``;
  none: the defaults), scoped like every read; ``X-Truncated: 1`` when more matched than
  one answer holds.
- ``POST /api/v1/agenda/events`` creates a meeting/task/call; ``PATCH …/{id}`` moves it.
- ``GET /api/v1/calendars`` the shared calendars (``?archived=true``: admins also see the
  archived); ``POST``/``PATCH`` admins only.
- ``GET /api/v1/me/calendar-feed`` → ``{"url"}`` (created on first ask), ``POST`` a new one
  (the old URL stops working).
- ``GET /api/v1/agenda/feed/<token>.ics``: the private feed; the token is the credential (no
  cookie, no bearer), an unknown or replaced one is a 404, rate-limited (429).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from crm_app.api.deps import CurrentUser, DBSession
from crm_app.api.deps import requires as _requires
from crm_app.models import User
from crm_app.models.bounds import Id
from crm_app.models.schemas_agenda import (
    CalendarCreate,
    CalendarFeedPublic,
    CalendarPublic,
    CalendarsPublic,
    CalendarUpdate,
    EventCreate,
    EventPublic,
    EventsPublic,
    EventUpdate,
)
from crm_app.permissions import Perm
from crm_app.services import agenda

router = APIRouter(prefix="/api/v1", tags=["agenda"])

CAN_VIEW = _requires(Perm.RECORDS_VIEW)
CAN_CHANGE = _requires(Perm.RECORDS_CHANGE)
IS_ADMIN = _requires(Perm.SETTINGS_CHANGE)
When = Annotated[str, Query(max_length=40, description="ISO 8601; sin zona: hora de Madrid")]


@router.get("/agenda", response_model=EventsPublic)
def list_events(
    session: DBSession,
    from_: Annotated[str, Query(alias="from", max_length=40,
                                description="ISO 8601; sin zona: hora de Madrid")],
    to: When,
    calendars: Annotated[str | None, Query(max_length=1000)] = None,
    user: User = CAN_VIEW,
) -> Any:
    keys = None if calendars is None else [k for k in calendars.split(",") if k.strip()][:60]
    out = agenda.list_events(session=session, actor=user, start=from_, end=to,
                             calendars=keys)
    payload = EventsPublic.model_validate({"data": out["events"], "count": out["count"]})
    return JSONResponse(payload.model_dump(mode="json"),
                        headers={"X-Truncated": "1" if out["truncated"] else "0"})


@router.post("/agenda/events", status_code=201, response_model=EventPublic)
def create_event(body: EventCreate, session: DBSession, user: User = CAN_CHANGE) -> Any:
    made = agenda.create_event(session=session, actor=user,
                               data=body.model_dump(exclude_unset=True))
    return agenda.event_public(session=session, actor=user, activity=made)


@router.patch("/agenda/events/{event_id}", response_model=EventPublic)
def move_event(event_id: Id, body: EventUpdate, session: DBSession,
               user: User = CAN_CHANGE) -> Any:
    moved = agenda.move_event(session=session, actor=user, activity_id=event_id,
                              data=body.model_dump(exclude_unset=True))
    return agenda.event_public(session=session, actor=user, activity=moved)


@router.get("/calendars", response_model=CalendarsPublic)
def list_calendars(session: DBSession, archived: bool = False,
                   user: User = CAN_VIEW) -> Any:
    rows = agenda.list_calendars(session=session, actor=user, include_archived=archived)
    return {"data": rows, "count": len(rows)}


@router.post("/calendars", status_code=201, response_model=CalendarPublic)
def create_calendar(body: CalendarCreate, session: DBSession, user: User = IS_ADMIN) -> Any:
    return agenda.create_calendar(session=session, actor=user,
                                  data=body.model_dump(exclude_unset=True))


@router.patch("/calendars/{calendar_id}", response_model=CalendarPublic)
def update_calendar(calendar_id: Id, body: CalendarUpdate, session: DBSession,
                    user: User = IS_ADMIN) -> Any:
    return agenda.update_calendar(session=session, actor=user, calendar_id=calendar_id,
                                  data=body.model_dump(exclude_unset=True))


@router.get("/me/calendar-feed", response_model=CalendarFeedPublic)
def read_feed(session: DBSession, user: CurrentUser) -> Any:
    return {"url": agenda.feed_url(session=session, actor=user)}


@router.post("/me/calendar-feed", response_model=CalendarFeedPublic)
def regenerate_feed(session: DBSession, user: CurrentUser) -> Any:
    return {"url": agenda.regenerate_feed(session=session, actor=user)}


@router.get("/agenda/feed/{token}.ics", response_class=Response,
            responses={200: {"content": {"text/calendar": {}}}})
def calendar_feed(token: Annotated[str, Path(max_length=64)], request: Request,
                  session: DBSession) -> Response:
    """The user's events as RFC 5545 (subscribe from Google, Outlook, the phone)."""
    ics = agenda.feed_ics(session=session, token=token[:64],
                          client=request.client.host if request.client else "")
    return Response(ics, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=300",
                             "X-Content-Type-Options": "nosniff"})
