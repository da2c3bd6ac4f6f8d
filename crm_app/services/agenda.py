"""The agenda (issue 13): events over several calendars, shared calendars, the ICS feed.

An *event* is an ``Activity`` with a ``due_at`` (its start; ``ends_at`` its end, UTC). Which
calendar it is on:

- ``shared:<id>`` when it is booked on a shared calendar (``activity.calendar_id``);
- else the personal calendar of its owner: ``me`` (the actor's own), ``user:<id>`` (a member
  of the manager's team) or ``team`` (the actor's team as a whole).

Every read is ``restrict(select(Activity), actor)``: overlaying calendars never widens what a
user sees (a comercial gets their own calendar and the shared ones, and on a shared calendar
only the bookings they may see; a manager also their team). The range read is one bounded
query (``MAX_RANGE_DAYS``, ``MAX_EVENTS``), with the linked records' names read in one query
per entity, again through ``restrict``.

Creating and moving events are small verbs of their own (meetings and tasks with a start,
an end, a place, a shared calendar and one linked record checked with ``get_owned``), audited
like every change; ``services.activities`` may take them over.

The ICS feed: each user has one private URL ``/api/v1/agenda/feed/<token>.ics``. The token is
the user's id and an HMAC of it and a random seed under the app's secret key; the table keeps
the seed and the token's SHA-256 only (``CalendarFeed``), never the token, so a copy of the
database gives no working URL, the URL can be shown again without writing anything (a GET),
and regenerating (a new seed) kills the old one. Until the first regeneration the seed is
empty (no row). The feed is built
with ``icalendar`` as that user would see the agenda (``restrict`` with them as actor),
bounded in time and rows, and rate-limited per token and per address.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar as ICalendar
from icalendar import Event as IEvent
from sqlalchemy import func, or_
from sqlmodel import Session, select

from crm_app.auth import throttle
from crm_app.formatting import TZ
from crm_app.i18n import t
from crm_app.models import (
    Account,
    Activity,
    Calendar,
    CalendarFeed,
    Contact,
    Lead,
    Opportunity,
    Role,
    User,
    utcnow,
)
from crm_app.permissions import Action, Perm, has_perm, require, restrict, scope_of
from crm_app.services import audit, links
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import NotFound, TooManyRequests, ValidationFailed
from crm_app.services.records import add_record, record_changes
from crm_app.services.sales_common import get_owned
from crm_app.settings import get_settings

MAX_RANGE_DAYS = 62  # one month view with its leading/trailing weeks fits
MAX_EVENTS = 2000  # rows one range read returns (``truncated`` says when more matched)
MAX_EVENT_DAYS = 14  # an event's length (a van booked for a fortnight); bounds the range read
MAX_USER_CALENDARS = 40  # team members offered as calendars of their own
MAX_SHARED = 50  # shared calendars (active or archived) a company may hold
MAX_NAME = 80
MAX_SUBJECT = 200
MAX_LOCATION = 200
MAX_DESCRIPTION = 2000
DEFAULT_MINUTES = 60
EVENT_KINDS = ("meeting", "task", "call")
LINK_FIELDS = ("account_id", "lead_id", "opportunity_id", "contact_id")
FEED_PAST_DAYS = 90
FEED_FUTURE_DAYS = 365
FEED_MAX_EVENTS = 5000
FEED_WINDOW_SECONDS = 300.0
FEED_PER_TOKEN = 30  # calendar apps poll every 15–60 min; 30 in 5 min is a runaway client
FEED_PER_IP = 120
FEED_PATH = "/api/v1/agenda/feed/"
FEED_PURPOSE = b"crm-calendar-feed"
COLOUR_RE = re.compile(r"#[0-9a-f]{6}")
KEY_RE = re.compile(r"(me|team|user:\d{1,10}|shared:\d{1,10})")

MINE_COLOUR = "#3e63dd"
TEAM_COLOUR = "#8e4ec6"
# Colours of the team members' calendars, in turn (Radix step 9: indigo, green, orange…)
PALETTE = ("#30a46c", "#f76b15", "#e54666", "#0090ff", "#ad7f58", "#d6409f", "#12a594",
           "#ffc53d", "#6e56cf", "#7ce2fe")
# What an admin picks from for a shared calendar (any "#rrggbb" is accepted over the API)
SHARED_COLOURS = ("#12a594", "#f76b15", "#e54666", "#0090ff", "#ad7f58", "#d6409f",
                  "#30a46c", "#6e56cf")

_RECORDS: tuple[tuple[str, Any, str], ...] = (
    ("account_id", Account, "account"), ("lead_id", Lead, "lead"),
    ("opportunity_id", Opportunity, "opportunity"), ("contact_id", Contact, "contact"),
)


# --- times ------------------------------------------------------------------------------------


def parse_when(value: Any, *, field: str, errors: dict[str, str]) -> datetime | None:
    """An aware UTC datetime from a datetime or an ISO 8601 text; a time without offset is
    Madrid's (what a ``datetime-local`` input sends). Blank: ``None``, no error."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    when: datetime | None = None
    if isinstance(value, datetime):
        when = value
    elif isinstance(value, str) and len(value) <= 40:
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            when = datetime.fromisoformat(text)
        except ValueError:
            when = None
    if when is None or not 2000 <= when.year <= 2100:
        errors[field] = t("agenda.err.when")
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=TZ)
    return when.astimezone(UTC)


def _range(start: Any, end: Any) -> tuple[datetime, datetime]:
    errors: dict[str, str] = {}
    begin = parse_when(start, field="from", errors=errors)
    finish = parse_when(end, field="to", errors=errors)
    if begin is None and "from" not in errors:
        errors["from"] = t("agenda.err.required")
    if finish is None and "to" not in errors:
        errors["to"] = t("agenda.err.required")
    if begin is not None and finish is not None:
        if finish <= begin:
            errors["to"] = t("agenda.err.range_order")
        elif finish - begin > timedelta(days=MAX_RANGE_DAYS):
            errors["to"] = t("agenda.err.range_long", days=MAX_RANGE_DAYS)
    if errors:
        raise ValidationFailed(errors)
    assert begin is not None and finish is not None
    return begin, finish


# --- calendars on offer -----------------------------------------------------------------------


def _team_members(session: Session, actor: Actor) -> list[User]:
    """The other active members of the actor's team whose calendars the actor may overlay
    (managers and above: ``restrict`` shows them their team's rows; a comercial none)."""
    if actor.role == Role.COMERCIAL or actor.team_id is None or scope_of(actor) == "own":
        return []
    stmt = (select(User).where(User.team_id == actor.team_id, User.active.is_(True))  # type: ignore[attr-defined]
            .order_by(User.name, User.id).limit(MAX_USER_CALENDARS))
    if actor.id is not None:
        stmt = stmt.where(User.id != actor.id)
    return list(session.exec(stmt).all())


def _shared(session: Session, *, include_archived: bool = False) -> list[Calendar]:
    stmt = select(Calendar).order_by(Calendar.name, Calendar.id).limit(MAX_SHARED)
    if not include_archived:
        stmt = stmt.where(Calendar.active.is_(True))  # type: ignore[attr-defined]
    return list(session.exec(stmt).all())


@needs_actor
def calendars_for(*, session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The calendars ``actor`` may overlay, in screen order: ``key``, ``name``, ``colour``,
    ``kind`` (mine | user | team | shared) and ``default`` (shown until hidden)."""
    require(actor, Perm.RECORDS_VIEW)
    out: list[dict[str, Any]] = [{"key": "me", "name": t("agenda.cal.mine"),
                                  "colour": MINE_COLOUR, "kind": "mine", "default": True}]
    for i, member in enumerate(_team_members(session, actor)):
        out.append({"key": f"user:{member.id}", "name": member.name,
                    "colour": PALETTE[i % len(PALETTE)], "kind": "user", "default": False})
    if actor.role != Role.COMERCIAL and actor.team_id is not None:
        out.append({"key": "team", "name": t("agenda.cal.team"), "colour": TEAM_COLOUR,
                    "kind": "team", "default": False})
    for cal in _shared(session):
        out.append({"key": f"shared:{cal.id}", "name": cal.name, "colour": cal.colour,
                    "kind": "shared", "default": True})
    return out


def _wanted(offered: list[dict[str, Any]], keys: Iterable[str] | None) -> list[str]:
    """The requested calendar keys, each one on offer (else a 422 on ``calendars``);
    ``None``: the defaults."""
    known = {c["key"] for c in offered}
    if keys is None:
        return [c["key"] for c in offered if c["default"]]
    out: list[str] = []
    for raw in keys:
        key = str(raw).strip()
        if not key:
            continue
        if len(key) > 20 or not KEY_RE.fullmatch(key) or key not in known:
            raise ValidationFailed({"calendars": t("agenda.err.calendar_key", name=key[:20])})
        if key not in out:
            out.append(key)
    return out


def _clause(key: str, actor: Actor) -> Any:
    personal = Activity.calendar_id.is_(None)  # type: ignore[union-attr]
    if key == "me":
        return (Activity.owner_id == actor.id) & personal if actor.id else None
    if key == "team":
        return (Activity.team_id == actor.team_id) & personal
    kind, _, number = key.partition(":")
    if kind == "user":
        return (Activity.owner_id == int(number)) & personal
    return Activity.calendar_id == int(number)


def _key_of(row: Activity, actor: Actor, wanted: set[str]) -> str:
    """The one calendar an event is shown on (an event on two selected calendars once)."""
    if row.calendar_id is not None:
        return f"shared:{row.calendar_id}"
    if actor.id is not None and row.owner_id == actor.id and "me" in wanted:
        return "me"
    if f"user:{row.owner_id}" in wanted:
        return f"user:{row.owner_id}"
    return "team"


# --- reading events ---------------------------------------------------------------------------


def record_href(entity: str, record_id: int, account_id: int | None = None) -> str:
    if entity == "account":
        return f"/clientes/{record_id}"
    if entity == "lead":
        return f"/leads/{record_id}"
    if entity == "opportunity":
        return f"/oportunidades/{record_id}"
    return f"/clientes/{account_id}" if account_id else ""  # a contact: its customer's file


def _record_names(session: Session, actor: Actor, rows: list[Activity]
                  ) -> dict[tuple[str, int], dict[str, Any]]:
    """Name, page and documents link of each linked record the actor may see (one query
    per entity, through ``restrict``); a record out of scope is simply not named."""
    out: dict[tuple[str, int], dict[str, Any]] = {}
    for field, model, entity in _RECORDS:
        ids = {getattr(r, field) for r in rows if getattr(r, field)}
        if not ids:
            continue
        if model is Lead:
            cols: tuple[Any, ...] = (Lead.id, Lead.company, Lead.first_name, Lead.last_name)
        elif model is Contact:
            cols = (Contact.id, Contact.first_name, Contact.last_name, Contact.account_id)
        elif model is Opportunity:
            cols = (Opportunity.id, Opportunity.name, Opportunity.account_id)
        else:
            cols = (Account.id, Account.name)
        stmt = restrict(select(*cols).where(model.id.in_(ids), model.deleted_at.is_(None)),
                        actor)
        for row in session.exec(stmt).all():
            rid = row[0]
            account_id = None
            if model is Lead:
                name = row[1] or f"{row[2]} {row[3]}".strip()
            elif model is Contact:
                name, account_id = f"{row[1]} {row[2]}".strip(), row[3]
            elif model is Opportunity:
                name, account_id = row[1], row[2]
            else:
                name, account_id = row[1], rid
            href = record_href(entity, rid, account_id)
            docs = f"/clientes/{account_id}#documentos" if account_id else ""
            out[(entity, rid)] = {"entity": entity, "id": rid, "name": name or "—",
                                  "url": href, "documents_url": docs}
    return out


def _link_of(row: Activity) -> tuple[str, int] | None:
    for field, _model, entity in _RECORDS:
        value = getattr(row, field)
        if value:
            return entity, value
    return None


def _event(row: Activity, key: str, colours: Mapping[str, str],
           records: Mapping[tuple[str, int], dict[str, Any]], owners: Mapping[int, str],
           actor: Actor) -> dict[str, Any]:
    end = row.ends_at or (row.due_at + timedelta(minutes=DEFAULT_MINUTES)  # type: ignore[operator]
                          if row.kind == "meeting" else row.due_at)
    link = _link_of(row)
    record = records.get(link) if link else None
    return {"id": row.id, "kind": row.kind, "subject": row.subject, "start": row.due_at,
            "end": end, "all_day": False, "location": row.location,
            "description": row.description, "calendar": key,
            "colour": colours.get(key, MINE_COLOUR), "calendar_id": row.calendar_id,
            "done": row.done_at is not None, "owner_id": row.owner_id,
            "owner": owners.get(row.owner_id or 0, ""), "record": record,
            "editable": actor.id is None or row.owner_id == actor.id
            or scope_of(actor) != "own"}


def _owner_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(User.id.in_(ids))).all())  # type: ignore[union-attr]


def _range_stmt(actor: Actor, start: datetime, end: datetime, clauses: list[Any]) -> Any:
    """Events overlapping [start, end): bounded below by ``MAX_EVENT_DAYS`` so the index on
    ``due_at`` does the work; scoped by ``restrict``."""
    stmt = (select(Activity)
            .where(Activity.deleted_at.is_(None),  # type: ignore[union-attr]
                   Activity.due_at.is_not(None),  # type: ignore[union-attr]
                   Activity.due_at < end,  # type: ignore[operator]
                   Activity.due_at >= start - timedelta(days=MAX_EVENT_DAYS),  # type: ignore[operator]
                   func.coalesce(Activity.ends_at, Activity.due_at) >= start,
                   or_(*clauses))
            .order_by(Activity.due_at, Activity.id))
    return restrict(stmt, actor)


@needs_actor
def list_events(*, session: Session, actor: Actor, start: Any, end: Any,
                calendars: Iterable[str] | None = None) -> dict[str, Any]:
    """The events in [start, end) on ``calendars`` (keys from ``calendars_for``; ``None``:
    the defaults): ``{"events", "count", "truncated", "calendars"}``. At most
    ``MAX_RANGE_DAYS`` and ``MAX_EVENTS`` rows."""
    require(actor, Perm.RECORDS_VIEW)
    begin, finish = _range(start, end)
    offered = calendars_for(session=session, actor=actor)
    wanted = _wanted(offered, calendars)
    clauses = [c for c in (_clause(k, actor) for k in wanted) if c is not None]
    if not clauses:
        return {"events": [], "count": 0, "truncated": False, "calendars": wanted}
    rows = list(session.exec(_range_stmt(actor, begin, finish, clauses)
                             .limit(MAX_EVENTS + 1)).all())
    truncated = len(rows) > MAX_EVENTS
    rows = rows[:MAX_EVENTS]
    colours = {c["key"]: c["colour"] for c in offered}
    records = _record_names(session, actor, rows)
    owners = _owner_names(session, {r.owner_id for r in rows})
    wanted_set = set(wanted)
    events = [_event(r, _key_of(r, actor, wanted_set), colours, records, owners, actor)
              for r in rows]
    return {"events": events, "count": len(events), "truncated": truncated,
            "calendars": wanted}


# --- creating and moving events ---------------------------------------------------------------


def _text(data: Mapping[str, Any], field: str, limit: int, errors: dict[str, str], *,
          required: bool = False) -> str:
    value = data.get(field)
    text = " ".join(str(value).split()) if value is not None else ""
    if field == "description" and value is not None:
        text = str(value).strip()
    if required and not text:
        errors[field] = t("agenda.err.required")
    elif len(text) > limit:
        errors[field] = t("agenda.err.too_long", max=limit)
    return text


def _shared_calendar(session: Session, value: Any, errors: dict[str, str],
                     keep: int | None = None) -> Calendar | None:
    if links.blank(value):
        return None
    rid = links.as_id(value)
    cal = session.get(Calendar, rid) if rid is not None else None
    if cal is None or (not cal.active and cal.id != keep):
        errors["calendar_id"] = t("agenda.err.calendar_missing")
        return None
    return cal


def _times(data: Mapping[str, Any], kind: str, errors: dict[str, str],
           current: Activity | None = None) -> tuple[datetime | None, datetime | None]:
    start = parse_when(data.get("start", data.get("due_at")), field="start", errors=errors)
    if start is None and "start" not in errors:
        if current is None:
            errors["start"] = t("agenda.err.required")
            return None, None
        start = current.due_at
    end_given = "end" in data or "ends_at" in data
    end = parse_when(data.get("end", data.get("ends_at")), field="end", errors=errors)
    if not end_given and current is not None and current.due_at and current.ends_at and start:
        end = start + (current.ends_at - current.due_at)  # a move keeps the length
    if end is None and "end" not in errors and kind == "meeting" and start is not None:
        end = start + timedelta(minutes=DEFAULT_MINUTES)
    if start is not None and end is not None:
        if end <= start:
            errors["end"] = t("agenda.err.end_before")
        elif end - start > timedelta(days=MAX_EVENT_DAYS):
            errors["end"] = t("agenda.err.too_long_event", days=MAX_EVENT_DAYS)
    return start, end


def _linked(session: Session, actor: Actor, data: Mapping[str, Any],
            errors: dict[str, str]) -> dict[str, int | None]:
    """At most one linked record, which the actor must see (``get_owned``)."""
    given = [f for f in LINK_FIELDS if not links.blank(data.get(f))]
    out: dict[str, int | None] = dict.fromkeys(LINK_FIELDS)
    if len(given) > 1:
        for f in given[1:]:
            errors[f] = t("agenda.err.one_link")
        return out
    if not given:
        return out
    field = given[0]
    model = {"account_id": Account, "lead_id": Lead, "opportunity_id": Opportunity,
             "contact_id": Contact}[field]
    try:
        record = get_owned(session, actor, model, data.get(field))
    except NotFound as exc:
        errors[field] = exc.message
        return out
    out[field] = record.id
    if field == "contact_id" and record.account_id:
        out["account_id"] = record.account_id
    if field == "opportunity_id" and record.account_id:
        out["account_id"] = record.account_id
    return out


@needs_actor
def create_event(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> Activity:
    """A meeting, task or call on the agenda: ``subject``, ``start`` (ISO, Madrid if no
    offset), ``end``?, ``kind``?, ``location``?, ``description``?, ``calendar_id``? (a
    shared calendar), ``owner_id``? (assignment rules), one of ``account_id`` | ``lead_id``
    | ``opportunity_id`` | ``contact_id``. All errors at once, nothing written on any."""
    require(actor, Perm.RECORDS_CHANGE)
    errors: dict[str, str] = {}
    kind = str(data.get("kind") or "meeting")
    if kind not in EVENT_KINDS:
        errors["kind"] = t("agenda.err.kind")
        kind = "meeting"
    subject = _text(data, "subject", MAX_SUBJECT, errors, required=True)
    location = _text(data, "location", MAX_LOCATION, errors)
    description = _text(data, "description", MAX_DESCRIPTION, errors)
    start, end = _times(data, kind, errors)
    calendar = _shared_calendar(session, data.get("calendar_id"), errors)
    link = _linked(session, actor, data, errors)
    owner = links.owner(session, actor, data.get("owner_id"), errors=errors)
    if errors:
        raise ValidationFailed(errors)
    if owner is None and actor.id is not None:
        owner = session.get(User, actor.id)
    activity = Activity(kind=kind, subject=subject, description=description, due_at=start,
                        ends_at=end, location=location,
                        calendar_id=calendar.id if calendar else None,
                        owner_id=owner.id if owner else None,
                        team_id=owner.team_id if owner else None,
                        created_by_id=actor.id, source="agenda", **link)
    add_record(session=session, actor=actor, record=activity, entity="activity")
    session.refresh(activity)
    return activity


@needs_actor
def move_event(*, session: Session, actor: Actor, activity_id: Any,
               data: Mapping[str, Any]) -> Activity:
    """Reschedule an event (drag on the agenda, or its dialog): a new ``start`` and
    optionally ``end`` (else it keeps its length); ``calendar_id`` may move it to another
    shared calendar (``null``: back to the owner's). Audited; 404 out of scope."""
    require(actor, Perm.RECORDS_CHANGE)
    activity = get_owned(session, actor, Activity, activity_id, Action.CHANGE,
                         label=t("agenda.event"))
    errors: dict[str, str] = {}
    unknown = sorted(set(data) - {"start", "end", "due_at", "ends_at", "calendar_id"})
    for field in unknown[:5]:
        errors[field] = t("agenda.err.unknown_field")
    start, end = _times(data, activity.kind, errors, current=activity)
    values: dict[str, Any] = {"due_at": start, "ends_at": end}
    if "calendar_id" in data:
        calendar = _shared_calendar(session, data.get("calendar_id"), errors,
                                    keep=activity.calendar_id)
        values["calendar_id"] = calendar.id if calendar else None
    if errors:
        raise ValidationFailed(errors)
    before = audit.snapshot(activity) or {}
    for key, value in values.items():
        setattr(activity, key, value)
    record_changes(session=session, actor=actor, record=activity, entity="activity",
                   before=before, action="reschedule")
    session.commit()
    session.refresh(activity)
    return activity


@needs_actor
def event_public(*, session: Session, actor: Actor, activity: Activity) -> dict[str, Any]:
    """One event as the API and the screen show it (its calendar as the actor sees it)."""
    offered = calendars_for(session=session, actor=actor)
    wanted = {c["key"] for c in offered}
    key = _key_of(activity, actor, wanted)
    return _event(activity, key, {c["key"]: c["colour"] for c in offered},
                  _record_names(session, actor, [activity]),
                  _owner_names(session, {activity.owner_id}), actor)


# --- shared calendars (Ajustes → Calendarios) -------------------------------------------------


def calendar_public(cal: Calendar) -> dict[str, Any]:
    return {"id": cal.id, "name": cal.name, "colour": cal.colour, "kind": cal.kind,
            "active": cal.active, "created_at": cal.created_at}


@needs_actor
def list_calendars(*, session: Session, actor: Actor,
                   include_archived: bool = False) -> list[dict[str, Any]]:
    """The shared calendars (archived ones too for admins who ask)."""
    require(actor, Perm.RECORDS_VIEW)
    if include_archived:
        require(actor, Perm.SETTINGS_CHANGE)
    return [calendar_public(c) for c in _shared(session, include_archived=include_archived)]


def _calendar_values(session: Session, data: Mapping[str, Any], *, current: Calendar | None
                     ) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    unknown = sorted(set(data) - {"name", "colour", "active"})
    for field in unknown[:5]:
        errors[field] = t("agenda.err.unknown_field")
    if "name" in data or current is None:
        name = _text(data, "name", MAX_NAME, errors, required=True)
        if name and "name" not in errors:
            clash = session.exec(select(Calendar.id).where(
                func.lower(Calendar.name) == name.lower())).first()
            if clash is not None and (current is None or clash != current.id):
                errors["name"] = t("agenda.err.name_taken")
        values["name"] = name
    if "colour" in data or current is None:
        colour = str(data.get("colour") or SHARED_COLOURS[0]).strip().lower()
        if not COLOUR_RE.fullmatch(colour):
            errors["colour"] = t("agenda.err.colour")
        values["colour"] = colour
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = t("agenda.err.bool")
        values["active"] = bool(data["active"])
    if current is None and "name" not in errors:
        count = session.exec(select(func.count()).select_from(Calendar)).one()
        if count >= MAX_SHARED:
            errors["name"] = t("agenda.err.too_many", max=MAX_SHARED)
    if errors:
        raise ValidationFailed(errors)
    return values


@needs_actor
def create_calendar(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> Calendar:
    """A shared calendar (admins): ``name`` (unique, ≤ 80), ``colour`` ``#rrggbb``."""
    require(actor, Perm.SETTINGS_CHANGE)
    values = _calendar_values(session, data, current=None)
    cal = Calendar(**values)
    add_record(session=session, actor=actor, record=cal, entity="calendar")
    session.refresh(cal)
    return cal


@needs_actor
def update_calendar(*, session: Session, actor: Actor, calendar_id: Any,
                    data: Mapping[str, Any]) -> Calendar:
    """Rename, recolour, archive (``active: false``) or restore a shared calendar. An
    archived calendar keeps its events; it is no longer offered nor bookable."""
    require(actor, Perm.SETTINGS_CHANGE)
    rid = links.as_id(calendar_id)
    cal = session.get(Calendar, rid) if rid is not None else None
    if cal is None:
        raise NotFound(t("agenda.err.calendar_missing"))
    values = _calendar_values(session, data, current=cal)
    before = audit.snapshot(cal) or {}
    for key, value in values.items():
        setattr(cal, key, value)
    session.add(cal)
    old, new = audit.diff(before, audit.snapshot(cal))
    if new:
        audit.record(session=session, actor=actor, entity="calendar", entity_id=cal.id,
                     action="archive" if new.get("active") is False else "update",
                     before=old, after=new)
    session.commit()
    session.refresh(cal)
    return cal


# --- the ICS feed -----------------------------------------------------------------------------


def _derive(user_id: int, seed: str) -> str:
    """The user's feed token: their id and an HMAC of it and the seed under the secret key."""
    key = get_settings().resolved_secret_key().encode()
    message = FEED_PURPOSE + f":{user_id}:{seed}".encode()
    return f"{user_id}-" + hmac.new(key, message, hashlib.sha256).hexdigest()[:48]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_url_for(token: str) -> str:
    return get_settings().public_url.rstrip("/") + FEED_PATH + token + ".ics"


def _person(session: Session, actor: Actor) -> User:
    """The feed belongs to a person: the system has none."""
    require(actor, Perm.RECORDS_VIEW)
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None:
        raise NotFound(t("agenda.err.no_person"))
    return user


def _seed(session: Session, user_id: int) -> str:
    """The seed of the user's live token: ``""`` until the first regeneration (so reading
    the URL writes nothing)."""
    row = session.get(CalendarFeed, user_id)
    return row.token_seed if row is not None else ""


@needs_actor
def feed_url(*, session: Session, actor: Actor) -> str:
    """The actor's private ICS URL (a read: nothing is written)."""
    user = _person(session, actor)
    assert user.id is not None
    return feed_url_for(_derive(user.id, _seed(session, user.id)))


@needs_actor
def regenerate_feed(*, session: Session, actor: Actor) -> str:
    """A new private URL (a new random seed); the old one answers 404 from now on."""
    user = _person(session, actor)
    assert user.id is not None
    seed = secrets.token_hex(16)
    token = _derive(user.id, seed)
    row = session.get(CalendarFeed, user.id) or CalendarFeed(user_id=user.id, token_seed=seed,
                                                             token_hash="")
    row.token_seed, row.token_hash, row.created_at = seed, _hash(token), utcnow()
    session.add(row)
    audit.record(session=session, actor=actor, entity="user", entity_id=user.id,
                 action="calendar_feed", note=t("agenda.audit.feed_regenerated"))
    session.commit()
    return feed_url_for(token)


@functools.lru_cache
def _feed_store() -> Any:
    settings = get_settings()
    if settings.redis_url:
        return throttle.RedisStore(settings.redis_url)
    return throttle.MemoryStore()


def _admit(token_hash: str, client: str) -> None:
    store = _feed_store()
    keys = [(f"crm:icsfeed:token:{token_hash[:32]}", FEED_PER_TOKEN),
            (f"crm:icsfeed:ip:{throttle.ip_key(client)}", FEED_PER_IP)]
    try:
        wait, _member = store.hit(keys, FEED_WINDOW_SECONDS, time.time())
    except store.unavailable:  # the limiter's store is down: serve (as the login throttle)
        return
    if wait > 0:
        retry = max(1, math.ceil(wait))
        raise TooManyRequests(t("agenda.err.feed_rate", seconds=retry), retry_after=retry)


TOKEN_RE = re.compile(r"([1-9][0-9]{0,9})-[0-9a-f]{48}")


def feed_owner(session: Session, token: str) -> User:
    """The active user whose live feed ``token`` is; else ``NotFound`` (malformed, forged,
    replaced, or the user deactivated) — the same answer for each, saying nothing."""
    match = TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
    user_id = links.as_id(match.group(1)) if match else None
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not has_perm(user, Perm.RECORDS_VIEW):  # inactive, or an asesor
        raise NotFound(t("agenda.err.feed_missing"))
    row = session.get(CalendarFeed, user.id)
    expected = _derive(user.id, row.token_seed if row is not None else "")  # type: ignore[arg-type]
    if not hmac.compare_digest(expected, token) or (
            row is not None and not hmac.compare_digest(row.token_hash, _hash(token))):
        raise NotFound(t("agenda.err.feed_missing"))
    return user


def feed_ics(*, session: Session, token: str, client: str = "") -> bytes:
    """The RFC 5545 calendar behind a feed token, as its owner sees the agenda today:
    their own events, their team's (managers) and the shared calendars, from
    ``FEED_PAST_DAYS`` ago to ``FEED_FUTURE_DAYS`` ahead, at most ``FEED_MAX_EVENTS``."""
    _admit(_hash(str(token)[:64]), client or "-")  # wrong tokens count against the address
    user = feed_owner(session, token)
    now = utcnow()
    begin, finish = now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=FEED_FUTURE_DAYS)
    offered = calendars_for(session=session, actor=user)
    keys = [c["key"] for c in offered if c["kind"] in ("mine", "shared", "team")]
    clauses = [c for c in (_clause(k, user) for k in keys) if c is not None]
    rows = list(session.exec(_range_stmt(user, begin, finish, clauses)
                             .limit(FEED_MAX_EVENTS)).all()) if clauses else []
    records = _record_names(session, user, rows)
    names = {c["key"]: c["name"] for c in offered}
    base = get_settings().public_url.rstrip("/")
    host = base.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "crm"
    cal = ICalendar()
    cal.add("prodid", "-//CRM//Agenda//ES")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", t("agenda.feed.name", name=user.name))
    cal.add("x-wr-timezone", "Europe/Madrid")
    for row in rows:
        cal.add_component(_vevent(row, records, names, host, base, user, now))
    return cal.to_ical()


def _vevent(row: Activity, records: Mapping[tuple[str, int], dict[str, Any]],
            names: Mapping[str, str], host: str, base: str, user: User,
            now: datetime) -> IEvent:
    start = row.due_at
    assert start is not None
    end = row.ends_at or start + timedelta(minutes=DEFAULT_MINUTES if row.kind == "meeting"
                                           else 30)
    event = IEvent()
    event.add("uid", f"activity-{row.id}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", f"{t('activity.kind.' + row.kind)}: {row.subject}"
              if row.kind in ("task", "call", "meeting", "email", "note") else row.subject)
    lines = []
    link = _link_of(row)
    record = records.get(link) if link else None
    if record is not None:
        lines.append(f"{t('agenda.entity.' + record['entity'])}: {record['name']}")
        lines.append(base + record["url"])
    if row.description:
        lines.append(row.description)
    if row.calendar_id is not None:
        lines.append(t("agenda.feed.on_calendar",
                       name=names.get(f"shared:{row.calendar_id}", "")))
    if lines:
        event.add("description", "\n".join(lines))
    if row.location:
        event.add("location", row.location)
    if record is not None:
        event.add("url", base + record["url"])
    event.add("status", "CONFIRMED")
    event.add("last-modified", (row.updated_at or row.created_at).astimezone(UTC))
    return event


__all__ = ["MAX_EVENTS", "MAX_RANGE_DAYS", "calendars_for", "create_calendar", "create_event",
           "event_public", "feed_ics", "feed_owner", "feed_url", "list_calendars",
           "list_events", "move_event", "parse_when", "regenerate_feed", "update_calendar"]
