"""Alerts: a message to one person (its ``owner_id``) that says why it fired and links its
record; the bell, the pop-up, the record icons, e-mail and web push all read it.

- ``raise_alert`` (the CONTRACT every slice calls) writes one alert in the caller's
  transaction, idempotent by ``dedup_key`` while an alert with that key for that owner is
  unresolved (read or dismissed ones still count: the episode goes on); after the commit the
  installed delivery queue (``set_delivery``; the worker's Celery tasks) sends the e-mail and
  the push per the owner's preferences (``services.notify``).
- Reads (``open_alerts``, ``list_alerts``, ``alert_levels_for``) show only the user's own
  alerts, and never one whose record the user may no longer see (``restrict`` on the record,
  in SQL: a reassigned lead's alert disappears from the former owner's bell).
- ``sweep`` is the built-in time checks (idle opportunity, overdue task, quote about to
  expire, lead not contacted), each one set-based query with an anti-join on the alerts of the
  same check and record raised since the episode began: a record fires once per episode, and
  again once a new episode begins (activity then idle again, a task rescheduled, …). It also
  resolves the alerts whose condition has ended.
- The event alerts (quote accepted/rejected → its owner, big deal won → the owner's manager)
  are raised by the quote and opportunity services through ``quote_decided``/``deal_won``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, case, event, exists, func, or_, update
from sqlmodel import Session, select

from crm_app.formatting import ago, date_es, datetime_es, money, time_es
from crm_app.i18n import t
from crm_app.models import (
    Account,
    Activity,
    ActivityKind,
    Alert,
    Contact,
    Lead,
    LeadStatus,
    Opportunity,
    Organisation,
    Quote,
    QuoteStatus,
    Stage,
    StageKind,
    Team,
    User,
    utcnow,
)
from crm_app.permissions import Perm, PermissionDenied, has_perm, restrict
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor, owned_by, person
from crm_app.services.defaults import ensure_organisation
from crm_app.services.errors import NotFound, ValidationFailed

LEVELS = ("info", "warning", "critical")
_LEVEL_RANK = {"info": 1, "warning": 2, "critical": 3}
# record entity -> (model, the alert's column, the record page)
ENTITIES: dict[str, tuple[Any, str, str]] = {
    "lead": (Lead, "lead_id", "/leads/{id}"),
    "account": (Account, "account_id", "/clientes/{id}"),
    "contact": (Contact, "contact_id", ""),  # shown on its customer's page
    "opportunity": (Opportunity, "opportunity_id", "/oportunidades/{id}"),
    "quote": (Quote, "quote_id", "/presupuestos/{id}"),
    "activity": (Activity, "activity_id", "/tareas"),
}
# the order in which a record column gives the alert's link
_HREF_ORDER = ("quote", "opportunity", "lead", "account", "activity")
_RECORD_ORDER = ("quote", "opportunity", "lead", "contact", "activity", "account")

# Ajustes → Alertas: the organisation's switches and thresholds (``alert_settings``).
CHECKS = ("idle", "task_overdue", "quote_expiring", "lead_not_contacted")
ALERT_DEFAULTS: dict[str, Any] = {
    "idle": True, "task_overdue": True, "quote_expiring": True, "lead_not_contacted": True,
    "quote_decided": True, "big_deal": True,
    "quote_expiring_days": 3, "lead_not_contacted_hours": 24, "big_deal_amount": 20000,
}
_BOUNDS = {"quote_expiring_days": (1, 60), "lead_not_contacted_hours": (1, 720),
           "big_deal_amount": (1, 100_000_000)}
REMINDER_MAX_MINUTES = 40_320  # the longest reminder a task takes (services/activities)
SWEEP_LIMIT = 5000  # new alerts per check and sweep: the next sweep takes the rest
MAX_MESSAGE = 300
MAX_REASON = 500


# --- delivery after commit -------------------------------------------------------------------

_delivery: Callable[[int], None] | None = None
_PENDING = "crm_alerts_pending"


def set_delivery(dispatch: Callable[[int], None] | None) -> None:
    """Install what hands a committed alert's id to the e-mail/push delivery (the worker's
    Celery tasks: ``crm_app.worker.queue.install_alert_delivery``). ``None``: nothing is sent
    (a process that has not installed it, e.g. a unit test)."""
    global _delivery  # noqa: PLW0603 - one queue per process, installed at start-up
    _delivery = dispatch


def _after_commit(session: Any) -> None:
    ids = session.info.pop(_PENDING, [])
    if _delivery is None:
        return
    for alert_id in ids:
        _delivery(alert_id)


def _after_rollback(session: Any, *_: Any) -> None:
    session.info.pop(_PENDING, None)


def _queue_delivery(session: Session, alert: Alert) -> None:
    """Hand the alert to the delivery once (and only if) the caller's transaction commits."""
    pending = session.info.setdefault(_PENDING, [])
    pending.append(alert.id)
    if not session.info.get("crm_alerts_hooked"):
        session.info["crm_alerts_hooked"] = True
        event.listen(session, "after_commit", _after_commit)
        event.listen(session, "after_soft_rollback", _after_rollback)


# --- raising ---------------------------------------------------------------------------------


def _record_columns(session: Session, record: tuple[str, int] | None) -> dict[str, int]:
    if record is None:
        return {}
    entity, record_id = record
    if entity not in ENTITIES:
        raise ValueError(f"raise_alert: entidad desconocida {entity!r}")
    cols = {ENTITIES[entity][1]: int(record_id)}
    if entity == "contact":  # a contact has no page: its customer's is the link
        contact = session.get(Contact, int(record_id))
        if contact is not None and contact.account_id:
            cols["account_id"] = contact.account_id
    return cols


def _add(session: Session, *, owner_id: int, team_id: int | None, kind: str, level: str,
         message: str, reason: str, source: str, dedup_key: str | None,
         columns: Mapping[str, int], now: datetime | None = None) -> Alert:
    alert = Alert(owner_id=owner_id, team_id=team_id, kind=kind[:40],
                  severity=level if level in LEVELS else "info",
                  message=message[:MAX_MESSAGE], reason=reason[:MAX_REASON],
                  source=source[:60], dedup_key=dedup_key[:200] if dedup_key else None,
                  created_at=now or utcnow(), **columns)
    session.add(alert)
    session.flush()
    _queue_delivery(session, alert)
    return alert


def raise_alert(*, session: Session, owner_id: int, kind: str, level: str, message: str,
                reason: str, record: tuple[str, int] | None, source: str,
                dedup_key: str | None = None) -> Alert | None:
    """Write an alert for ``owner_id`` (no commit); ``None`` when an unresolved alert with the
    same ``dedup_key`` for that owner exists. ``record`` is (entity, id), entity in
    lead|account|contact|opportunity|quote|activity. The e-mail/push go out after commit."""
    if level not in LEVELS:
        raise ValueError(f"raise_alert: nivel desconocido {level!r}")
    owner = session.get(User, owner_id)
    if owner is None or not owner.active:
        return None
    if dedup_key:
        dup = session.exec(select(Alert.id).where(
            Alert.owner_id == owner_id, Alert.dedup_key == dedup_key[:200],
            Alert.resolved_at.is_(None)).limit(1)).first()  # type: ignore[union-attr]
        if dup is not None:
            return None
    return _add(session, owner_id=owner_id, team_id=owner.team_id, kind=kind, level=level,
                message=message, reason=reason, source=source, dedup_key=dedup_key,
                columns=_record_columns(session, record))


# --- reads -----------------------------------------------------------------------------------


def _open() -> Any:
    return and_(Alert.resolved_at.is_(None), Alert.dismissed_at.is_(None))  # type: ignore[union-attr]


def _visible_records(actor: Actor) -> Any:
    """SQL: every record the alert names is one ``actor`` may see (not deleted)."""
    parts = []
    for model, column, _href in ENTITIES.values():
        ids = select(model.id)
        if hasattr(model, "deleted_at"):
            ids = ids.where(model.deleted_at.is_(None))
        col = getattr(Alert, column)
        parts.append(or_(col.is_(None), col.in_(restrict(ids, actor))))
    return and_(*parts)


def _mine(actor: Actor) -> Any:
    return and_(owned_by(Alert.owner_id, actor), _visible_records(actor))


def _href(alert: Alert) -> str:
    for entity in _HREF_ORDER:
        _model, column, href = ENTITIES[entity]
        value = getattr(alert, column)
        if value:
            return href.format(id=value)
    return "/"


def _record(alert: Alert) -> dict[str, Any] | None:
    """The record the alert is about: (entity, id) and its page."""
    for entity in _RECORD_ORDER:
        value = getattr(alert, ENTITIES[entity][1])
        if value:
            return {"entity": entity, "id": value, "href": _href(alert)}
    return None


def public(alert: Alert) -> dict[str, Any]:
    """The API's view of an alert."""
    return {"id": alert.id, "kind": alert.kind, "level": alert.severity,
            "message": alert.message, "reason": alert.reason, "source": alert.source,
            "record": _record(alert), "created_at": alert.created_at,
            "read_at": alert.read_at, "dismissed_at": alert.dismissed_at}


def row(alert: Alert, now: datetime | None = None) -> dict[str, str]:
    """A display row for the bell's panel and the pop-up (strings only)."""
    return {"id": str(alert.id), "message": alert.message, "reason": alert.reason,
            "severity": alert.severity, "when": ago(alert.created_at, now),
            "at": datetime_es(alert.created_at), "href": _href(alert),
            "read": "1" if alert.read_at else ""}


@needs_actor
def open_alerts_count(*, session: Session, actor: Actor) -> int:
    """Unread, open alerts: the number on the bell."""
    stmt = select(func.count(Alert.id)).where(  # type: ignore[union-attr]
        _open(), Alert.read_at.is_(None), _mine(actor))  # type: ignore[union-attr]
    return int(session.exec(restrict(stmt, actor)).one())


def _query(actor: Actor, *, unread: bool = False, after_id: int = 0) -> Any:
    stmt = select(Alert).where(_open(), _mine(actor))
    if unread:
        stmt = stmt.where(Alert.read_at.is_(None))  # type: ignore[union-attr]
    if after_id:
        stmt = stmt.where(Alert.id > after_id)  # type: ignore[operator]
    return restrict(stmt, actor)


@needs_actor
def open_alerts(*, session: Session, actor: Actor, limit: int = 10) -> list[dict[str, str]]:
    """The newest open alerts as display rows (message, why, level, age, link)."""
    rows = session.exec(_query(actor).order_by(Alert.id.desc())  # type: ignore[union-attr]
                        .limit(max(1, min(limit, 50)))).all()
    now = utcnow()
    return [row(a, now) for a in rows]


@needs_actor
def list_alerts(*, session: Session, actor: Actor, unread: bool = False, offset: int = 0,
                limit: int = 50) -> tuple[list[Alert], int]:
    """A page of the user's open alerts, newest first, and how many there are."""
    stmt = _query(actor, unread=unread)
    total = int(session.exec(select(func.count()).select_from(stmt.subquery())).one())
    rows = session.exec(stmt.order_by(Alert.id.desc())  # type: ignore[union-attr]
                        .offset(max(0, offset)).limit(max(1, min(limit, 200)))).all()
    return list(rows), total


@needs_actor
def newest_alert_id(*, session: Session, actor: Actor) -> int:
    """The newest open alert's id for the user: what a connected tab polls (one indexed
    ``max``) before it reads anything else."""
    stmt = select(func.max(Alert.id)).where(  # type: ignore[union-attr]
        owned_by(Alert.owner_id, actor), _open())
    return int(session.exec(stmt).one() or 0)


@needs_actor
def alerts_after(*, session: Session, actor: Actor, after_id: int,
                 limit: int = 3) -> list[dict[str, str]]:
    """The user's open, unread alerts newer than ``after_id`` (oldest first): the pop-ups."""
    rows = session.exec(_query(actor, unread=True, after_id=after_id)
                        .order_by(Alert.id.desc()).limit(max(1, min(limit, 10)))  # type: ignore[union-attr]
                        ).all()
    now = utcnow()
    return [row(a, now) for a in reversed(rows)]


@needs_actor
def alert_levels_for(*, session: Session, actor: Actor, entity: str,
                     ids: list[int]) -> dict[int, str]:
    """The highest level of the user's open alerts per record id, for a page of records (one
    query): the icons on list rows, kanban cards and record headers."""
    if entity not in ENTITIES or not ids:
        return {}
    column = getattr(Alert, ENTITIES[entity][1])
    rank = func.max(case({"critical": 3, "warning": 2}, value=Alert.severity, else_=1))
    stmt = (select(column, rank).where(column.in_(ids[:500]), _open(), _mine(actor))
            .group_by(column))
    names = {v: k for k, v in _LEVEL_RANK.items()}
    return {int(rid): names[int(r)] for rid, r in session.exec(restrict(stmt, actor)).all()}


@needs_actor
def record_alert_summary(*, session: Session, actor: Actor, entity: str,
                         record_id: int) -> dict[str, str]:
    """The icon on a record's header: the highest level of the user's open alerts on it and
    what the newest says ({"level": "", "text": ""} without any)."""
    if entity not in ENTITIES or not record_id:
        return {"level": "", "text": ""}
    column = getattr(Alert, ENTITIES[entity][1])
    rows = session.exec(restrict(select(Alert).where(column == record_id, _open(), _mine(actor))
                                 .order_by(Alert.id.desc()).limit(20), actor)).all()  # type: ignore[union-attr]
    if not rows:
        return {"level": "", "text": ""}
    level = max((a.severity for a in rows), key=lambda v: _LEVEL_RANK.get(v, 1))
    text = f"{rows[0].message} — {rows[0].reason}" if rows[0].reason else rows[0].message
    if len(rows) > 1:
        text += f" (+{len(rows) - 1})"
    return {"level": level, "text": text}


def _own_alert(session: Session, actor: Actor, alert_id: int) -> Alert:
    me = person(actor)
    alert = session.exec(restrict(select(Alert).where(
        Alert.id == alert_id, Alert.owner_id == me.id, _visible_records(actor)),
        actor)).first()
    if alert is None:
        raise NotFound(t("alr.not_found"))
    return alert


@needs_actor
def mark_read(*, session: Session, actor: Actor, alert_id: int) -> Alert:
    """"Marcar leída": one of the user's own alerts (another's is "not found")."""
    alert = _own_alert(session, actor, alert_id)
    if alert.read_at is None:
        alert.read_at = utcnow()
        session.add(alert)
        session.commit()
    return alert


@needs_actor
def mark_all_read(*, session: Session, actor: Actor) -> int:
    me = person(actor)
    ids = [a.id for a in session.exec(_query(actor, unread=True)).all()]
    if ids:
        session.exec(update(Alert).where(Alert.id.in_(ids), Alert.owner_id == me.id)  # type: ignore[union-attr]
                     .values(read_at=utcnow()))
        session.commit()
    return len(ids)


@needs_actor
def dismiss(*, session: Session, actor: Actor, alert_id: int) -> Alert:
    """"Descartar": the alert leaves the bell and the record icons (read as well). It still
    holds its episode, so the same check does not raise it again until a new one begins."""
    alert = _own_alert(session, actor, alert_id)
    now = utcnow()
    alert.dismissed_at = alert.dismissed_at or now
    alert.read_at = alert.read_at or now
    session.add(alert)
    session.commit()
    return alert


# --- organisation settings -------------------------------------------------------------------


def alert_settings(*, session: Session) -> dict[str, Any]:
    """The built-in alerts' switches and thresholds (defaults for what was never set)."""
    org = session.exec(select(Organisation).order_by(Organisation.id)).first()
    stored = dict(org.alert_settings or {}) if org is not None else {}
    return {k: stored.get(k, v) for k, v in ALERT_DEFAULTS.items()}


@needs_actor
def update_alert_settings(*, session: Session, actor: Actor,
                          data: Mapping[str, Any]) -> dict[str, Any]:
    """Ajustes → Alertas (admins): switch a built-in alert on/off, set its threshold."""
    if not has_perm(actor, Perm.SETTINGS_CHANGE):
        raise PermissionDenied(t("common.denied"))
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in dict(data).items():
        if key not in ALERT_DEFAULTS:
            errors[str(key)[:40]] = t("alr.err.unknown")
        elif isinstance(ALERT_DEFAULTS[key], bool):
            if not isinstance(value, bool):
                errors[key] = t("alr.err.bool")
            else:
                clean[key] = value
        else:
            low, high = _BOUNDS[key]
            try:
                number = Decimal(str(value)) if not isinstance(value, bool) else None
            except (InvalidOperation, ValueError):
                number = None
            if number is None or not number.is_finite() or number != int(number) \
                    or not low <= int(number) <= high:
                errors[key] = t("alr.err.range", low=low, high=high)
            else:
                clean[key] = int(number)
    if errors:
        raise ValidationFailed(errors)
    org = ensure_organisation(session=session)
    before = alert_settings(session=session)
    org.alert_settings = {**before, **clean}
    session.add(org)
    audit.record(session=session, actor=actor, entity="organisation", entity_id=org.id,
                 action="alert_settings", before=before, after=org.alert_settings)
    session.commit()
    return alert_settings(session=session)


# --- event alerts ----------------------------------------------------------------------------


@needs_actor
def quote_decided(*, session: Session, actor: Actor, quote: Quote) -> Alert | None:
    """Quote accepted or rejected → an alert to its owner (unless the owner did it). No
    commit: the quote service's transaction carries it."""
    settings = alert_settings(session=session)
    if not settings["quote_decided"] or not quote.owner_id or quote.owner_id == actor.id:
        return None
    accepted = quote.status == QuoteStatus.ACEPTADO
    label = f"{quote.number} v{quote.version}"
    key = "accepted" if accepted else "rejected"
    return raise_alert(
        session=session, owner_id=quote.owner_id, kind=f"quote_{key}",
        level="info" if accepted else "warning",
        message=t(f"alr.msg.quote_{key}", quote=label),
        reason=t(f"alr.why.quote_{key}", quote=label, total=money(quote.total),
                 who=actor.name),
        record=("quote", quote.id), source=f"event:quote_{key}",
        dedup_key=f"event:quote_{key}:{quote.id}")


@needs_actor
def deal_won(*, session: Session, actor: Actor, opp: Opportunity) -> Alert | None:
    """A won deal with amount ≥ the big-deal threshold → an alert to the owner's manager.
    No commit."""
    settings = alert_settings(session=session)
    threshold = Decimal(settings["big_deal_amount"])
    if not settings["big_deal"] or opp.owner_id is None or Decimal(opp.amount or 0) < threshold:
        return None
    owner = session.get(User, opp.owner_id)
    team = session.get(Team, owner.team_id) if owner and owner.team_id else None
    if team is None or not team.manager_id or team.manager_id == owner.id:
        return None
    return raise_alert(
        session=session, owner_id=team.manager_id, kind="big_deal_won", level="info",
        message=t("alr.msg.big_deal", name=opp.name[:120], amount=money(opp.amount)),
        reason=t("alr.why.big_deal", owner=owner.name, amount=money(opp.amount),
                 threshold=money(threshold)),
        record=("opportunity", opp.id), source="event:big_deal_won",
        dedup_key=f"event:big_deal_won:{opp.id}")


# --- the sweep -------------------------------------------------------------------------------


def _fired_since(source: str, column: Any, record_id: Any, since: Any) -> Any:
    """SQL: the check ``source`` already raised an alert about this record since ``since``
    (the start of the current episode), whatever became of it."""
    return exists().where(Alert.source == source, column == record_id,
                          Alert.created_at >= since)


def _idle(session: Session, now: datetime, settings: dict[str, Any]) -> list[dict[str, Any]]:
    default_days = ensure_organisation(session=session).stale_days_default or 14
    entered = func.coalesce(Opportunity.stage_entered_at, Opportunity.created_at)
    touched = case((and_(Opportunity.last_activity_at.is_not(None),
                         Opportunity.last_activity_at > entered), Opportunity.last_activity_at),
                   else_=entered)
    out: list[dict[str, Any]] = []
    stages = session.exec(select(Stage).where(Stage.kind == StageKind.OPEN)).all()
    limits = {s.id: (s.stale_days or default_days) for s in stages}
    parts = [and_(Opportunity.stage_id == sid, touched < now - timedelta(days=days))
             for sid, days in limits.items() if days]
    if not parts:
        return out
    source = "builtin:idle"
    rows = session.exec(
        select(Opportunity.id, Opportunity.name, Opportunity.owner_id, Opportunity.stage_id,
               touched)
        .where(or_(*parts), Opportunity.deleted_at.is_(None), Opportunity.owner_id.is_not(None),
               ~_fired_since(source, Alert.opportunity_id, Opportunity.id, touched))
        .limit(SWEEP_LIMIT)).all()
    names = {s.id: s.name for s in stages}
    for opp_id, name, owner_id, stage_id, last in rows:
        days = limits[stage_id]
        out.append(dict(owner_id=owner_id, kind="opportunity_idle", level="warning",
                        message=t("alr.msg.idle", name=name[:120], days=days),
                        reason=t("alr.why.idle", stage=names.get(stage_id, ""), days=days,
                                 last=date_es(last)),
                        source=source, columns={"opportunity_id": opp_id}))
    return out


def _task_overdue(session: Session, now: datetime,
                  settings: dict[str, Any]) -> list[dict[str, Any]]:
    source = "builtin:task_overdue"
    rows = session.exec(
        select(Activity.id, Activity.subject, Activity.owner_id, Activity.due_at)
        .where(Activity.kind == ActivityKind.TASK, Activity.done_at.is_(None),
               Activity.deleted_at.is_(None), Activity.due_at.is_not(None),
               Activity.due_at < now, Activity.owner_id.is_not(None),
               ~_fired_since(source, Alert.activity_id, Activity.id, Activity.due_at))
        .limit(SWEEP_LIMIT)).all()
    return [dict(owner_id=owner_id, kind="task_overdue", level="warning",
                 message=t("alr.msg.task_overdue", subject=subject[:150]),
                 reason=t("alr.why.task_overdue", due=datetime_es(due)),
                 source=source, columns={"activity_id": task_id})
            for task_id, subject, owner_id, due in rows]


def _quote_expiring(session: Session, now: datetime,
                    settings: dict[str, Any]) -> list[dict[str, Any]]:
    """Open quotes whose validity ends within N days. The episode is the validity date: the
    alert carries it in its key, so an extended quote fires again near its new date."""
    source = "builtin:quote_expiring"
    days = int(settings["quote_expiring_days"])
    today = now.date()
    rows = session.exec(
        select(Quote.id, Quote.number, Quote.version, Quote.owner_id, Quote.valid_until)
        .where(Quote.status.in_((QuoteStatus.BORRADOR, QuoteStatus.ENVIADO)),
               Quote.deleted_at.is_(None), Quote.owner_id.is_not(None),
               Quote.valid_until >= today, Quote.valid_until <= today + timedelta(days=days))
        .limit(SWEEP_LIMIT)).all()
    keys = {qid: f"{source}:{qid}:{valid.isoformat()}" for qid, _n, _v, _o, valid in rows}
    done = set(session.exec(select(Alert.dedup_key).where(
        Alert.dedup_key.in_(list(keys.values())))).all()) if keys else set()  # type: ignore[union-attr]
    out = []
    for qid, number, version, owner_id, valid in rows:
        if keys[qid] in done:
            continue
        left = (valid - today).days
        out.append(dict(owner_id=owner_id, kind="quote_expiring", level="warning",
                        message=t("alr.msg.quote_expiring", quote=f"{number} v{version}",
                                  date=date_es(valid)),
                        reason=t("alr.why.quote_expiring", left=left, days=days),
                        source=source, dedup_key=keys[qid], columns={"quote_id": qid}))
    return out


def _lead_not_contacted(session: Session, now: datetime,
                        settings: dict[str, Any]) -> list[dict[str, Any]]:
    source = "builtin:lead_not_contacted"
    hours = int(settings["lead_not_contacted_hours"])
    rows = session.exec(
        select(Lead.id, Lead.first_name, Lead.last_name, Lead.company, Lead.owner_id,
               Lead.created_at)
        .where(Lead.status == LeadStatus.NUEVO, Lead.first_contacted_at.is_(None),
               Lead.deleted_at.is_(None), Lead.owner_id.is_not(None),
               Lead.created_at < now - timedelta(hours=hours),
               ~_fired_since(source, Alert.lead_id, Lead.id, Lead.created_at))
        .limit(SWEEP_LIMIT)).all()
    return [dict(owner_id=owner_id, kind="lead_not_contacted", level="warning",
                 message=t("alr.msg.lead_not_contacted",
                           name=_lead_name(first, last, company)[:120]),
                 reason=t("alr.why.lead_not_contacted", hours=hours, at=datetime_es(created)),
                 source=source, columns={"lead_id": lead_id})
            for lead_id, first, last, company, owner_id, created in rows]


def _lead_name(first: str, last: str, company: str) -> str:
    who = f"{first or ''} {last or ''}".strip()
    return f"{who} ({company})" if who and company else who or company or "—"


def _task_reminders(session: Session, now: datetime) -> list[dict[str, Any]]:
    """The reminders people asked for on their tasks ("avisarme N minutos antes"): due ones
    not sent yet, each marked sent as it is raised. Not an organisation switch: the person
    asked for it. The candidates are bounded (tasks still to come within the longest reminder
    allowed, 28 days); whether each is due is decided here, as "due_at minus N minutes"
    reads differently in every SQL dialect. A task already overdue gets no reminder (the
    overdue check covers it); a rescheduled task gets a new one (``reminder_sent_at`` is
    cleared when the due date changes)."""
    source = "builtin:task_reminder"
    rows = session.exec(
        select(Activity.id, Activity.subject, Activity.owner_id, Activity.due_at,
               Activity.reminder_minutes)
        .where(Activity.reminder_minutes.is_not(None), Activity.reminder_sent_at.is_(None),  # type: ignore[union-attr]
               Activity.done_at.is_(None), Activity.deleted_at.is_(None),  # type: ignore[union-attr]
               Activity.owner_id.is_not(None), Activity.due_at.is_not(None),  # type: ignore[union-attr]
               Activity.due_at >= now,  # type: ignore[operator]
               Activity.due_at <= now + timedelta(minutes=REMINDER_MAX_MINUTES))  # type: ignore[operator]
        .order_by(Activity.due_at).limit(SWEEP_LIMIT)).all()
    due = [r for r in rows if r[3] - timedelta(minutes=int(r[4])) <= now]
    if due:
        session.exec(update(Activity).where(Activity.id.in_([r[0] for r in due]))  # type: ignore[union-attr]
                     .values(reminder_sent_at=now))
    return [dict(owner_id=owner_id, kind="task_reminder", level="info",
                 message=t("alr.msg.task_reminder", subject=subject[:150], at=time_es(due_at)),
                 reason=t("alr.why.task_reminder", minutes=minutes, due=datetime_es(due_at)),
                 source=source, dedup_key=f"{source}:{task_id}:{due_at.isoformat()}",
                 columns={"activity_id": task_id})
            for task_id, subject, owner_id, due_at, minutes in due]


_CHECKS: dict[str, Callable[[Session, datetime, dict[str, Any]], list[dict[str, Any]]]] = {
    "idle": _idle, "task_overdue": _task_overdue, "quote_expiring": _quote_expiring,
    "lead_not_contacted": _lead_not_contacted,
}


def _resolve_ended(session: Session, now: datetime) -> int:
    """Resolve the open alerts of the built-in checks whose condition has ended (task done,
    lead contacted, quote decided, deal touched or closed): set-based updates."""
    done = 0
    ended = [
        ("builtin:task_overdue", Alert.activity_id, select(Activity.id).where(
            or_(Activity.done_at.is_not(None), Activity.deleted_at.is_not(None)))),
        ("builtin:lead_not_contacted", Alert.lead_id, select(Lead.id).where(
            or_(Lead.first_contacted_at.is_not(None), Lead.status != LeadStatus.NUEVO,
                Lead.deleted_at.is_not(None)))),
        ("builtin:quote_expiring", Alert.quote_id, select(Quote.id).where(
            or_(Quote.status.not_in((QuoteStatus.BORRADOR, QuoteStatus.ENVIADO)),
                Quote.deleted_at.is_not(None)))),
        ("builtin:idle", Alert.opportunity_id, select(Opportunity.id).join(
            Stage, Stage.id == Opportunity.stage_id).where(
            or_(Stage.kind != StageKind.OPEN, Opportunity.deleted_at.is_not(None)))),
    ]
    for source, column, ids in ended:
        result = session.exec(update(Alert).where(
            Alert.source == source, Alert.resolved_at.is_(None), column.in_(ids))  # type: ignore[union-attr]
            .values(resolved_at=now))
        done += result.rowcount or 0
    # an idle deal touched after its alert: the episode is over
    touched = select(Opportunity.id).where(
        Opportunity.id == Alert.opportunity_id,
        or_(Opportunity.last_activity_at > Alert.created_at,
            Opportunity.stage_entered_at > Alert.created_at))
    result = session.exec(update(Alert).where(
        Alert.source == "builtin:idle", Alert.resolved_at.is_(None),  # type: ignore[union-attr]
        exists(touched)).values(resolved_at=now))
    done += result.rowcount or 0
    return done


def sweep(*, session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Run the built-in time checks once (the switched-on ones) and commit: new alerts per
    check, resolved ones, seconds. A second sweep with nothing new creates nothing."""
    started = time.perf_counter()
    now = now or utcnow()
    settings = alert_settings(session=session)
    created: dict[str, int] = {}
    resolved = _resolve_ended(session, now)
    owners = {u.id: u for u in session.exec(select(User).where(User.active)).all()}
    for name, check in _CHECKS.items():
        created[name] = 0
        if not settings[name]:
            continue
        for spec in check(session, now, settings):
            owner = owners.get(spec["owner_id"])
            if owner is None:
                continue
            columns = spec.pop("columns")
            _add(session, team_id=owner.team_id, now=now, columns=columns,
                 dedup_key=spec.pop("dedup_key", None) or _episode_key(spec, columns, now),
                 **spec)
            created[name] += 1
    created["task_reminder"] = 0
    for spec in _task_reminders(session, now):
        owner = owners.get(spec["owner_id"])
        if owner is not None:
            _add(session, team_id=owner.team_id, now=now, columns=spec.pop("columns"), **spec)
            created["task_reminder"] += 1
    session.commit()
    return {"created": created, "alerts": sum(created.values()), "resolved": resolved,
            "seconds": round(time.perf_counter() - started, 3)}


def _episode_key(spec: Mapping[str, Any], columns: Mapping[str, int], now: datetime) -> str:
    (column, record_id), = columns.items()
    return f"{spec['source']}:{column}:{record_id}:{now.strftime('%Y%m%d%H%M%S')}"


__all__ = ["ALERT_DEFAULTS", "CHECKS", "ENTITIES", "LEVELS", "alert_levels_for",
           "alert_settings", "alerts_after", "deal_won", "dismiss", "list_alerts",
           "mark_all_read", "mark_read", "newest_alert_id", "open_alerts", "open_alerts_count",
           "public", "quote_decided", "raise_alert", "record_alert_summary", "row",
           "set_delivery", "sweep", "update_alert_settings"]
