"""Activities and tasks: log a call, meeting, email or note; create, complete, reschedule and
reassign tasks; the lists of ``/tareas`` and ``GET /api/v1/activities`` (issue 13).

An activity is linked to ONE commercial record: a lead, a customer (``account_id``), a
contact, an opportunity or a quote. Every link is read through the actor's scope
(``sales_common.get_owned``): a record out of scope reads as not found (API 404), never as a
field the actor may fill in. The customer is derived from a contact, opportunity or quote
(``account_id`` kept with it), so every row of ``/tareas`` can show and link its customer; a
quote also brings its opportunity.

Kinds: ``call``, ``meeting``, ``email``, ``note`` are logged "done now" (``done_at`` = now)
unless given a ``due_at`` (a call to make later: open until done); a ``note`` is always done;
a ``task`` needs a ``due_at`` and is open until completed. An activity is ``open`` while
``done_at`` is empty, else ``done``.

Logging an activity (creating it done, or completing it) touches the linked record's
last-activity time: the opportunity's ``last_activity_at`` (the "Sin actividad" badge,
``opportunities.touch_activity``; a quote's opportunity too), and a lead's
``first_contacted_at`` when a call, meeting or e-mail is its first contact. Customers and
contacts have no last-activity field: their timeline shows the activity.

Assignee: ``owner_id``, checked by the rule of every owner (``links.assign_error``: oneself,
or with ``records.assign`` a user of one's team / anyone for company scope). The system
(rules: ``actor=SYSTEM``, ``source="rule:<id>"``, ``commit=False``) may give it to anyone and
defaults to the linked record's owner.

Every change is audited (entity ``activity``); bulk actions run in one transaction, each
activity checked first: one refused and nothing is changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, select

from crm_app.formatting import TZ
from crm_app.i18n import t
from crm_app.models import Account, Activity, Contact, Lead, Opportunity, Quote, User, utcnow
from crm_app.models.bounds import clean_text
from crm_app.models.work import ActivityKind
from crm_app.permissions import Action, Perm, PermissionDenied, restrict, scope_of
from crm_app.services import audit
from crm_app.services.actors import Actor, is_system, needs_actor
from crm_app.services.errors import DomainError, NotFound, ValidationFailed
from crm_app.services.links import as_id, assign_error, blank
from crm_app.services.opportunities import touch_activity
from crm_app.services.overview import TASK_WINDOWS, count_tasks, task_filters
from crm_app.services.records import add_record, record_changes
from crm_app.services.sales_common import (
    Page,
    bin_owned,
    check,
    get_owned,
    paginate,
    require_user,
    unknown_fields,
)
from crm_app.services.search import matches

KINDS = tuple(k.value for k in ActivityKind)
LOGGED_KINDS = ("call", "meeting", "email", "note")
CONTACT_KINDS = ("call", "meeting", "email")  # a lead's first contact
STATUSES = ("open", "overdue", "today", "done", "upcoming", "done_today")
# The API's ``status`` names of the four tabs of /tareas (``overview.TASK_WINDOWS``).
STATUS_WINDOWS = {"today": "hoy", "overdue": "vencidas", "upcoming": "proximas",
                  "done_today": "hechas"}
SCOPES = ("mine", "team", "all")
SHIFTS = {"day": 1, "week": 7}
BULK_ACTIONS = ("done", "reopen", "reschedule", "reassign")

MAX_SUBJECT = 200
MAX_NOTES = 10_000
MAX_OUTCOME = 200
MAX_REMINDER = 40_320  # 28 days in minutes
YEAR_FIRST, YEAR_LAST = 2000, 2100
MAX_BULK = 500

# The records an activity links to: field → (model, entity name, label).
LINKS: dict[str, tuple[Any, str]] = {
    "lead_id": (Lead, "lead"), "contact_id": (Contact, "contact"),
    "opportunity_id": (Opportunity, "opportunity"), "quote_id": (Quote, "quote"),
    "account_id": (Account, "account")}
PRIMARY_LINKS = ("lead_id", "contact_id", "opportunity_id", "quote_id")

CREATE_FIELDS = ("kind", "subject", "notes", "description", "outcome", "due_at", "done_at",
                 "done", "owner_id", "reminder_minutes", *LINKS)
UPDATE_FIELDS = ("subject", "notes", "description", "outcome", "due_at", "done", "owner_id",
                 "reminder_minutes")


# --- parsing -----------------------------------------------------------------------------------


def _moment(value: Any, field: str, errors: dict[str, str]) -> datetime | None:
    """An aware UTC moment from a datetime, an ISO string (naive = Madrid) or what a Spanish
    user types (``31/12/2026 09:30``, ``31/12/2026``); the year must be 2000–2100."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    moment: datetime | None = None
    try:
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            moment = datetime.combine(value, time(9, 0))
        elif isinstance(value, str):
            text = value.strip()
            if "/" in text:
                day_part, _, time_part = text.partition(" ")
                d, m, y = (int(p) for p in day_part.split("/"))
                hh, mm = (int(p) for p in time_part.split(":")) if time_part.strip() else (9, 0)
                moment = datetime(y, m, d, hh, mm)
            else:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, TypeError, OverflowError):
        moment = None
    if moment is None:
        errors[field] = t("act.err.date")
        return None
    if not YEAR_FIRST <= moment.year <= YEAR_LAST:
        errors[field] = t("act.err.year")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TZ)
    return moment.astimezone(UTC)


def _text(value: Any, field: str, errors: dict[str, str], max_len: int, *,
          multiline: bool = False) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > max_len:
        errors[field] = t("act.err.too_long", max=f"{max_len:,}".replace(",", "."))
    elif text and not clean_text(text, multiline=multiline):
        errors[field] = t("bounds.text_chars")
    return text


def _reminder(value: Any, errors: dict[str, str]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = int(str(value).strip()) if isinstance(value, str) else int(value)
        if isinstance(value, float) and value != number:
            raise ValueError
    except (ValueError, TypeError, OverflowError):
        number = -1
    if not 0 <= number <= MAX_REMINDER:
        errors["reminder_minutes"] = t("act.err.reminder")
        return None
    return number


def _bool(value: Any, field: str, errors: dict[str, str]) -> bool | None:
    if isinstance(value, bool):
        return value
    errors[field] = t("act.err.done_bool")
    return None


# --- links -------------------------------------------------------------------------------------


@dataclass
class _Linked:
    values: dict[str, int | None]
    record: Any  # the primary record (owner default for the system)


def _links(session: Session, actor: Actor, data: Mapping[str, Any],
           errors: dict[str, str]) -> _Linked:
    """The link columns of a new activity from ``data``: one primary record (or a customer
    alone), each read through the actor's scope (out of scope → ``NotFound``: 404)."""
    given = [f for f in PRIMARY_LINKS if not blank(data.get(f))]
    if len(given) > 1:
        for f in given:
            errors[f] = t("act.err.link_one")
        return _Linked({}, None)
    account_given = not blank(data.get("account_id"))
    if not given and not account_given:
        errors["lead_id"] = t("act.err.link_none")
        return _Linked({}, None)
    values: dict[str, int | None] = {}
    record: Any = None
    derived: int | None = None
    if given:
        field = given[0]
        model, _ = LINKS[field]
        record = get_owned(session, actor, model, data[field])
        values[field] = record.id
        if field == "quote_id" and record.opportunity_id:
            values["opportunity_id"] = record.opportunity_id
        if field != "lead_id":
            derived = record.account_id
            values["account_id"] = derived
    if account_given:
        account = get_owned(session, actor, Account, data["account_id"])
        if given and given[0] == "lead_id":
            errors["account_id"] = t("act.err.link_one")
        elif derived is not None and derived != account.id:
            errors["account_id"] = t("act.err.account_other")
        else:
            values["account_id"] = account.id
        record = record or account
    return _Linked(values, record)


def _assignee(session: Session, actor: Actor, value: Any, errors: dict[str, str],
              default: User | None) -> User | None:
    """The user ``value`` names if the actor may give them a task (``links.assign_error``);
    blank: ``default``."""
    if blank(value):
        return default
    rid = as_id(value)
    target = session.get(User, rid) if rid is not None else None
    message = assign_error(actor, target)
    if message is not None:
        errors["owner_id"] = message
        return None
    return target


def _touch(session: Session, activity: Activity, at: datetime) -> None:
    """The linked record's last-activity time (see the module's docstring); no commit."""
    touch_activity(session=session, opportunity_id=activity.opportunity_id, at=at)
    if activity.lead_id and activity.kind in CONTACT_KINDS:
        lead = session.get(Lead, activity.lead_id)
        if lead is not None and lead.first_contacted_at is None:
            lead.first_contacted_at = at
            session.add(lead)


# --- create ------------------------------------------------------------------------------------


@needs_actor
def create_activity(*, session: Session, actor: Actor, data: Mapping[str, Any],
                    source: str = "manual", commit: bool = True) -> Activity:
    """Log an activity or create a task (see the module's docstring); ``ValidationFailed``
    with every field's error, ``NotFound`` for a linked record out of scope. ``commit=False``
    leaves the transaction to the caller (the automation rules)."""
    require_user(actor, Perm.RECORDS_CHANGE)
    errors = unknown_fields(data=data, allowed=CREATE_FIELDS)
    kind = str(data.get("kind") or "").strip().lower()
    if kind not in KINDS:
        errors["kind"] = t("act.err.kind")
    subject = _text(data.get("subject"), "subject", errors, MAX_SUBJECT)
    if not subject and "subject" not in errors:
        errors["subject"] = t("act.err.subject")
    notes = _text(data.get("notes", data.get("description")), "notes", errors, MAX_NOTES,
                  multiline=True)
    outcome = _text(data.get("outcome"), "outcome", errors, MAX_OUTCOME)
    due_at = _moment(data.get("due_at"), "due_at", errors)
    done_at = _moment(data.get("done_at"), "done_at", errors)
    done = data.get("done")
    if done is not None:
        done = _bool(done, "done", errors)
    reminder = _reminder(data.get("reminder_minutes"), errors)
    linked = _links(session, actor, data, errors)
    now = utcnow()
    if kind == "task" and due_at is None and "due_at" not in errors:
        errors["due_at"] = t("act.err.due_required")
    if reminder is not None and due_at is None and "due_at" not in errors:
        errors["reminder_minutes"] = t("act.err.reminder_due")
    if done_at is None and (done is True or kind == "note"
                            or (kind in LOGGED_KINDS and due_at is None and done is None)):
        done_at = now
    if done is False:
        done_at = None
    default = None
    if is_system(actor):
        owner_id = getattr(linked.record, "owner_id", None)
        default = session.get(User, owner_id) if owner_id else None
    else:
        default = actor  # type: ignore[assignment]
    owner = _assignee(session, actor, data.get("owner_id"), errors, default)
    check(errors)
    activity = Activity(
        kind=kind, subject=subject, description=notes, outcome=outcome, due_at=due_at,
        done_at=done_at, reminder_minutes=reminder, source=(source or "manual")[:40],
        owner_id=owner.id if owner else None, team_id=owner.team_id if owner else None,
        created_by_id=None if is_system(actor) else actor.id, **linked.values)
    activity.created_at = now
    if done_at is not None:
        _touch(session, activity, min(done_at, now))
    return add_record(session=session, actor=actor, record=activity, entity="activity",
                      note=activity.source if activity.source != "manual" else "",
                      commit=commit)


# --- changes -----------------------------------------------------------------------------------


def _get(session: Session, actor: Actor, activity_id: Any,
         action: Action = Action.CHANGE) -> Activity:
    return get_owned(session, actor, Activity, activity_id, action, label="Actividad")


def _apply(session: Session, actor: Actor, activity: Activity, data: Mapping[str, Any],
           errors: dict[str, str]) -> dict[str, Any]:
    """The validated changes ``data`` asks of ``activity`` (errors into ``errors``)."""
    out: dict[str, Any] = {}
    errors.update(unknown_fields(data=data, allowed=UPDATE_FIELDS))
    if "subject" in data:
        out["subject"] = _text(data["subject"], "subject", errors, MAX_SUBJECT)
        if not out["subject"] and "subject" not in errors:
            errors["subject"] = t("act.err.subject")
    if "notes" in data or "description" in data:
        out["description"] = _text(data.get("notes", data.get("description")), "notes", errors,
                                   MAX_NOTES, multiline=True)
    if "outcome" in data:
        out["outcome"] = _text(data["outcome"], "outcome", errors, MAX_OUTCOME)
    if "due_at" in data:
        due = _moment(data["due_at"], "due_at", errors)
        if due is None and "due_at" not in errors and activity.kind == "task":
            errors["due_at"] = t("act.err.due_required")
        out["due_at"] = due
        if due != activity.due_at:
            out["reminder_sent_at"] = None  # a new date: the reminder is due again
    if "reminder_minutes" in data:
        out["reminder_minutes"] = _reminder(data["reminder_minutes"], errors)
        out["reminder_sent_at"] = None
    if out.get("reminder_minutes", activity.reminder_minutes) is not None \
            and out.get("due_at", activity.due_at) is None and "due_at" not in errors:
        errors["reminder_minutes"] = t("act.err.reminder_due")
    if "done" in data:
        done = _bool(data["done"], "done", errors)
        if done is True and activity.done_at is None:
            out["done_at"] = utcnow()
        elif done is False and activity.done_at is not None:
            out["done_at"] = None
    if "owner_id" in data and not blank(data["owner_id"]) \
            and as_id(data["owner_id"]) != activity.owner_id:
        owner = _assignee(session, actor, data["owner_id"], errors, None)
        if owner is not None:
            out["owner_id"], out["team_id"] = owner.id, owner.team_id
    elif "owner_id" in data and blank(data["owner_id"]):
        errors["owner_id"] = t("act.err.owner_required")
    return out


def _save(session: Session, actor: Actor, activity: Activity, values: dict[str, Any]) -> None:
    """Write ``values``, audit what moved and touch the record when it gets done; no commit."""
    before = audit.snapshot(activity) or {}
    for key, value in values.items():
        setattr(activity, key, value)
    if values.get("done_at") is not None:
        _touch(session, activity, values["done_at"])
    action = "update"
    if set(values) == {"done_at"}:
        action = "complete" if values["done_at"] is not None else "reopen"
    record_changes(session=session, actor=actor, record=activity, entity="activity",
                   before=before, action=action)


@needs_actor
def update_activity(*, session: Session, actor: Actor, activity_id: int,
                    data: Mapping[str, Any], commit: bool = True) -> Activity:
    """Change an activity (``PATCH``): ``done`` true/false, ``due_at``, ``owner_id``,
    ``subject``, ``notes``, ``outcome``, ``reminder_minutes``; all or nothing."""
    activity = _get(session, actor, activity_id)
    errors: dict[str, str] = {}
    values = _apply(session, actor, activity, data, errors)
    check(errors)
    _save(session, actor, activity, values)
    if commit:
        session.commit()
    return activity


@needs_actor
def complete_activity(*, session: Session, actor: Actor, activity_id: int,
                      done: bool = True, outcome: str | None = None,
                      commit: bool = True) -> Activity:
    """Mark an activity done now (``done=False``: reopen it), with its outcome if given."""
    data: dict[str, Any] = {"done": done}
    if outcome is not None:
        data["outcome"] = outcome
    return update_activity(session=session, actor=actor, activity_id=activity_id, data=data,
                           commit=commit)


def shifted(due_at: datetime | None, shift: str, *, now: datetime | None = None) -> datetime:
    """``+1 día`` / ``+1 semana``: the same Madrid time of day, N calendar days after the due
    date — or after today when the task is overdue, so an overdue task moves forward (a
    task without a date keeps 09:00)."""
    if shift not in SHIFTS:
        raise ValidationFailed({"due_at": t("act.err.shift")})
    now = now or utcnow()
    local_now = now.astimezone(TZ)
    local_due = due_at.astimezone(TZ) if due_at is not None else None
    base_day = local_now.date()
    if local_due is not None and local_due.date() > base_day:
        base_day = local_due.date()
    at = local_due.timetz().replace(tzinfo=None) if local_due is not None else time(9, 0)
    day = base_day + timedelta(days=SHIFTS[shift])
    return datetime.combine(day, at, tzinfo=TZ).astimezone(UTC)


@needs_actor
def reschedule_activity(*, session: Session, actor: Actor, activity_id: int,
                        due_at: Any = None, shift: str = "", commit: bool = True) -> Activity:
    """A new due date-time: ``shift`` ``day``/``week`` (``shifted``) or the ``due_at`` given."""
    activity = _get(session, actor, activity_id)
    when: Any = shifted(activity.due_at, shift) if shift else due_at
    if blank(when):
        raise ValidationFailed({"due_at": t("act.err.due_required")})
    return update_activity(session=session, actor=actor, activity_id=activity.id or 0,
                           data={"due_at": when}, commit=commit)


@needs_actor
def reassign_activity(*, session: Session, actor: Actor, activity_id: int, owner_id: Any,
                      commit: bool = True) -> Activity:
    """Give the activity to ``owner_id`` (the rule of every owner: ``links.assign_error``)."""
    if blank(owner_id):
        raise ValidationFailed({"owner_id": t("act.err.owner_required")})
    return update_activity(session=session, actor=actor, activity_id=activity_id,
                           data={"owner_id": owner_id}, commit=commit)


@needs_actor
def delete_activity(*, session: Session, actor: Actor, activity_id: int) -> Activity:
    """To the recycle bin (soft delete, audited)."""
    return bin_owned(session=session, actor=actor, model=Activity, record_id=activity_id,
                     entity="activity", label="Actividad")


@needs_actor
def bulk_update(*, session: Session, actor: Actor, ids: Sequence[Any], action: str,
                due_at: Any = None, shift: str = "", owner_id: Any = None) -> int:
    """Do ``action`` (``done``, ``reopen``, ``reschedule``, ``reassign``) to every activity of
    ``ids`` in ONE transaction. Each is checked first; one refused (out of scope, not
    permitted, a bad date or assignee) and nothing is changed: ``ValidationFailed`` naming
    it. Returns how many were changed."""
    require_user(actor, Perm.RECORDS_CHANGE)
    if action not in BULK_ACTIONS:
        raise ValidationFailed({"action": t("act.err.bulk_action")})
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise ValidationFailed({"ids": t("act.err.bulk_none")})
    if len(wanted) > MAX_BULK:
        raise ValidationFailed({"ids": t("act.err.bulk_many", max=MAX_BULK)})
    if action == "reassign" and blank(owner_id):
        raise ValidationFailed({"owner_id": t("act.err.owner_required")})
    if action == "reschedule" and not shift and blank(due_at):
        raise ValidationFailed({"due_at": t("act.err.due_required")})
    changed = 0
    try:
        for rid in wanted:
            subject = f"#{rid}"
            try:
                activity = _get(session, actor, rid)
                subject = activity.subject
                if action in ("done", "reopen"):
                    data: dict[str, Any] = {"done": action == "done"}
                elif action == "reschedule":
                    data = {"due_at": shifted(activity.due_at, shift) if shift else due_at}
                else:
                    data = {"owner_id": owner_id}
                update_activity(session=session, actor=actor, activity_id=activity.id or 0,
                                data=data, commit=False)
            except ValidationFailed as exc:
                reason = next(iter(exc.errors.values()), exc.message)
                raise ValidationFailed(
                    {"ids": t("act.err.bulk_refused", subject=subject, reason=reason)}) from exc
            except (NotFound, PermissionDenied, DomainError) as exc:
                message = getattr(exc, "message", str(exc))
                raise ValidationFailed(
                    {"ids": t("act.err.bulk_refused", subject=subject, reason=message)}) from exc
            changed += 1
        session.commit()
    except Exception:
        session.rollback()
        raise
    return changed


# --- reads -------------------------------------------------------------------------------------


@needs_actor
def get_activity(*, session: Session, actor: Actor, activity_id: int) -> Activity:
    return _get(session, actor, activity_id, Action.VIEW)


def status_of(activity: Activity) -> str:
    return "done" if activity.done_at is not None else "open"


def _scope_filter(actor: Actor, scope: str) -> list[Any]:
    """The owner filter of a scope: ``mine`` (the actor's), ``team`` (the actor's team),
    ``all`` (whatever ``restrict`` lets through)."""
    if scope == "mine":
        return [Activity.owner_id == actor.id]
    if scope == "team":
        if actor.team_id is None:
            return [Activity.owner_id == actor.id]
        return [or_(Activity.team_id == actor.team_id, Activity.owner_id == actor.id)]
    return []


def _status_filter(status: str, now: datetime) -> list[Any]:
    if status in STATUS_WINDOWS:
        return task_filters(STATUS_WINDOWS[status], now=now)
    if status == "open":
        return [Activity.done_at.is_(None)]  # type: ignore[union-attr]
    if status == "done":
        return [Activity.done_at.is_not(None)]  # type: ignore[union-attr]
    return []


def _query(actor: Actor, *, status: str = "", window: str = "", scope: str = "all",
           owner_id: int | None = None, lead_id: int | None = None,
           account_id: int | None = None, contact_id: int | None = None,
           opportunity_id: int | None = None, quote_id: int | None = None,
           date_from: datetime | None = None, date_to: datetime | None = None,
           q: str = "", now: datetime | None = None) -> Any:
    now = now or utcnow()
    stmt = select(Activity).where(Activity.deleted_at.is_(None))  # type: ignore[union-attr]
    if q.strip():
        stmt = stmt.where(matches(Activity, q))
    if window:
        if window not in TASK_WINDOWS:
            raise ValidationFailed({"vence": t("act.err.filter")})
        stmt = stmt.where(*task_filters(window, now=now))
    if status:
        if status not in STATUSES:
            raise ValidationFailed({"status": t("act.err.filter")})
        stmt = stmt.where(*_status_filter(status, now))
    if scope not in SCOPES:
        raise ValidationFailed({"scope": t("act.err.filter")})
    stmt = stmt.where(*_scope_filter(actor, scope))
    for column, value in (("owner_id", owner_id), ("lead_id", lead_id),
                          ("account_id", account_id), ("contact_id", contact_id),
                          ("opportunity_id", opportunity_id), ("quote_id", quote_id)):
        if value:
            stmt = stmt.where(getattr(Activity, column) == value)
    # from/to: the due date of open activities, the done date of done ones.
    moment = Activity.done_at if status in ("done", "done_today") or window == "hechas" \
        else Activity.due_at
    if date_from is not None:
        stmt = stmt.where(moment >= date_from)  # type: ignore[operator]
    if date_to is not None:
        stmt = stmt.where(moment < date_to)  # type: ignore[operator]
    stmt = restrict(stmt, actor)
    if status in ("done", "done_today") or window == "hechas":
        return stmt.order_by(Activity.done_at.desc(), Activity.id.desc())  # type: ignore
    return stmt.order_by(Activity.due_at.is_(None), Activity.due_at,  # type: ignore
                         Activity.id)


@needs_actor
def list_activities(*, session: Session, actor: Actor, status: str = "", window: str = "",
                    scope: str = "all", owner_id: int | None = None,
                    lead_id: int | None = None, account_id: int | None = None,
                    contact_id: int | None = None, opportunity_id: int | None = None,
                    quote_id: int | None = None, date_from: datetime | None = None,
                    date_to: datetime | None = None, q: str = "", offset: int = 0,
                    limit: int = 25) -> Page[Activity]:
    """Activities the actor may see. ``status``: ``open``, ``overdue``, ``today``, ``done``
    (and ``upcoming``/``done_today``, the other tabs of /tareas); ``window``: a tab of
    /tareas (``overview.TASK_WINDOWS``, the sets "Tu día" counts); ``scope``: ``mine``,
    ``team`` or ``all`` (always within ``restrict``); ``owner_id`` and the record ids filter
    exactly; ``date_from``/``date_to``: due date (done date for done ones); ``q``: words of
    the subject."""
    require_user(actor, Perm.RECORDS_VIEW)
    stmt = _query(actor, status=status, window=window, scope=scope, owner_id=owner_id,
                  lead_id=lead_id, account_id=account_id, contact_id=contact_id,
                  opportunity_id=opportunity_id, quote_id=quote_id, date_from=date_from,
                  date_to=date_to, q=q[:200])
    rows, total = paginate(session, stmt, offset, limit)
    return Page(rows, total, max(0, offset), limit)


def _labels(session: Session, rows: list[Activity]) -> dict[tuple[str, int], str]:
    """``{(entity, id): name}`` of the records and customers the rows link (one query each)."""
    wanted: dict[str, set[int]] = {}
    for r in rows:
        for field, (_, entity) in LINKS.items():
            value = getattr(r, field)
            if value:
                wanted.setdefault(entity, set()).add(value)
    out: dict[tuple[str, int], str] = {}
    for entity, ids in wanted.items():
        model = next(m for m, e in LINKS.values() if e == entity)
        for row in session.exec(select(model).where(model.id.in_(ids))).all():
            out[(entity, row.id)] = _record_name(entity, row)
    return out


def _record_name(entity: str, row: Any) -> str:
    if entity == "lead":
        person = f"{row.first_name} {row.last_name}".strip()
        return row.company or person
    if entity == "contact":
        return f"{row.first_name} {row.last_name}".strip()
    if entity == "quote":
        return f"{row.number} v{row.version}"
    return row.name


RECORD_PATHS = {"lead": "/leads", "account": "/clientes", "opportunity": "/oportunidades",
                "quote": "/presupuestos"}


def _path(entity: str, record_id: int, account_id: int | None) -> str:
    """The page of a record; a contact's is its customer's file (contacts have no page)."""
    if entity == "contact":
        return f"/clientes/{account_id}" if account_id else ""
    return f"{RECORD_PATHS[entity]}/{record_id}" if entity else ""


def describe(session: Session, rows: list[Activity], *,
             now: datetime | None = None) -> list[dict[str, Any]]:
    """Rows for the screens: the activity with its record and customer (name and path), the
    owner's name and whether it is overdue."""
    now = now or utcnow()
    names = _labels(session, rows)
    owners = {u.id: u.name for u in session.exec(select(User).where(
        User.id.in_({r.owner_id for r in rows if r.owner_id}))).all()} if rows else {}
    out = []
    for r in rows:
        record_entity, record_id = "", 0
        for field in ("quote_id", "opportunity_id", "contact_id", "lead_id", "account_id"):
            if getattr(r, field):
                record_entity, record_id = LINKS[field][1], getattr(r, field)
                break
        out.append({
            "id": r.id, "kind": r.kind, "subject": r.subject, "notes": r.description,
            "outcome": r.outcome, "due_at": r.due_at, "done_at": r.done_at,
            "status": status_of(r), "overdue": bool(r.done_at is None and r.due_at is not None
                                                     and r.due_at < now),
            "owner_id": r.owner_id, "owner": owners.get(r.owner_id or 0, ""),
            "record_entity": record_entity, "record_id": record_id,
            "record_name": names.get((record_entity, record_id), ""),
            "record_path": _path(record_entity, record_id, r.account_id),
            "account_id": r.account_id,
            "account_name": names.get(("account", r.account_id or 0), ""),
            "account_path": f"/clientes/{r.account_id}" if r.account_id else ""})
    return out


@needs_actor
def task_counts(*, session: Session, actor: Actor, scope: str = "all",
                now: datetime | None = None) -> dict[str, int]:
    """How many tasks each tab of /tareas holds in ``scope`` (``overview.count_tasks``)."""
    require_user(actor, Perm.RECORDS_VIEW)
    if scope not in SCOPES:
        raise ValidationFailed({"scope": t("act.err.filter")})
    extra = tuple(_scope_filter(actor, scope))
    return {w: count_tasks(session, actor, w, now=now, extra=extra) for w in TASK_WINDOWS}


@needs_actor
def scopes_for(actor: Actor) -> tuple[str, ...]:
    """The scopes the screen offers: ``mine`` to everybody, ``team`` to a manager, ``all``
    to company scope (director, admin)."""
    scope = scope_of(actor)  # type: ignore[arg-type]
    if scope == "company":
        return ("mine", "team", "all") if actor.team_id else ("mine", "all")
    if scope == "team":
        return ("mine", "team")
    return ("mine",)


__all__ = ["BULK_ACTIONS", "KINDS", "SCOPES", "STATUSES", "bulk_update", "complete_activity",
           "create_activity", "delete_activity", "describe", "get_activity", "list_activities",
           "reassign_activity", "reschedule_activity", "scopes_for", "shifted", "status_of",
           "task_counts", "update_activity"]
