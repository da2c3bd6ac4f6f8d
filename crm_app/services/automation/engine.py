"""Running the automation rules: outbox events, the time sweep, the simulator, the log.

- ``process_outbox`` drains a batch of record events (Celery, right after the commit that
  wrote them and every few seconds from beat): each event is matched against the active
  event rules (``record_created``/``field_changed``/``stage_entered``), their conditions are
  tested on the record as it is now, and the rule fires once for that event.
- ``run_due`` is the time sweep (beat every few minutes, ``crm automations run-due``): for
  each active time rule ONE set-based query finds the records whose time condition holds and
  on which the rule has not fired in the current episode (``NOT EXISTS`` over the run log);
  the conditions are then tested on those candidates only, the runs are inserted in bulk
  with the UNIQUE ``(rule, entity, record, episode)`` constraint as the guard (``ON CONFLICT
  DO NOTHING``, so two sweeps at once fire a record once), and the actions run for the
  records claimed. Never a loop over all records.
- Episodes: an event is its own episode; ``idle`` is the record's last activity (or stage
  entry, or creation) time and ``task_overdue`` the task's due time — a run written after
  that time closes the episode, new activity (or a new due date) opens another;
  ``quote_expiring`` the validity date, ``close_date_passed`` the expected close date,
  ``not_contacted`` the lead itself.
- Chains: the actions run with ``session.info[DEPTH_KEY] = depth + 1``, so the events they
  cause carry it; an event at depth ``MAX_DEPTH`` (3) fires nothing and its run is logged as
  ``depth_capped``.
- Emails are rendered when the rule fires and handed, after the commit, to the mail queue
  (the Celery task with retries; installed by the worker, the web process and the CLI).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, literal
from sqlalchemy import type_coerce as coerce
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from crm_app.formatting import TZ, date_es, datetime_es
from crm_app.i18n import t
from crm_app.models import (
    Activity,
    ActivityKind,
    AutomationRule,
    AutomationRun,
    Contact,
    Lead,
    LeadStatus,
    Opportunity,
    Organisation,
    OutboxEvent,
    Quote,
    QuoteStatus,
    Stage,
    StageKind,
    Team,
    User,
    utcnow,
)
from crm_app.models.base import UTCDateTime
from crm_app.models.search import search_text
from crm_app.permissions import Perm, require, restrict
from crm_app.services import alerts, mailer
from crm_app.services import organisation as org_service
from crm_app.services.actors import SYSTEM, Actor, needs_actor
from crm_app.services.assignment import compile_condition
from crm_app.services.audit import jsonable
from crm_app.services.automation import rules as rules_mod
from crm_app.services.automation.rules import MODELS, TIME_TRIGGERS, coerce_set_value
from crm_app.services.errors import ValidationFailed
from crm_app.services.outbox import DEPTH_KEY
from crm_app.services.records import record_changes
from crm_app.services.sales_common import get_owned

log = logging.getLogger(__name__)

MAX_DEPTH = 3
OUTBOX_BATCH = 200
MAX_CANDIDATES = 50_000  # per rule and sweep; the rest are found by the next sweep
MAX_SIM_RECORDS = 1000
SIM_EXAMPLES = 20
OPEN_QUOTES = (QuoteStatus.BORRADOR.value, QuoteStatus.ENVIADO.value)
RUN = AutomationRun.__table__

_mail_queue: Callable[[list[dict]], None] | None = None


def set_mail_queue(fn: Callable[[list[dict]], None] | None) -> None:
    """Who sends the emails rules write (``[{"to", "subject", "body"}]``) after the commit:
    the Celery task with retries. Without one they are sent inline, errors logged."""
    global _mail_queue
    _mail_queue = fn


def _dispatch(session: Session, mails: list[dict]) -> None:
    if not mails:
        return
    if _mail_queue is not None:
        _mail_queue(mails)
        return
    settings = org_service.mail_settings(session=session)
    for mail in mails:
        try:
            mailer.send_email(to=mail["to"], subject=mail["subject"], body=mail["body"],
                              settings=settings)
        except mailer.MailError as exc:
            log.warning("Correo de automatización no enviado: %s", exc)


# --- context: who is who, what was done -----------------------------------------------------


@dataclass
class Counts:
    rules: int = 0
    fired: int = 0
    tasks: int = 0
    alerts: int = 0
    emails: int = 0
    capped: int = 0
    failed: int = 0


@dataclass
class _Context:
    session: Session
    now: datetime
    dry: bool = False
    counts: Counts = field(default_factory=Counts)
    mails: list[dict] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)
    managers: dict[int, int | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.users = {u.id: u for u in self.session.exec(select(User)).all()}
        self.managers = {tm.id: tm.manager_id for tm in self.session.exec(select(Team)).all()}

    def name(self, user_id: int | None) -> str:
        user = self.users.get(user_id) if user_id is not None else None
        return user.name if user else t("auto.nobody")

    def manager_of(self, owner_id: int | None) -> int | None:
        user = self.users.get(owner_id) if owner_id is not None else None
        if user is None or user.team_id is None:
            return None
        manager = self.managers.get(user.team_id)
        return manager if manager in self.users and self.users[manager].active else None

    def active(self, user_id: int | None) -> bool:
        user = self.users.get(user_id) if user_id is not None else None
        return bool(user and user.active)


def title_of(entity: str, record: Any) -> str:
    if entity == "lead":
        name = f"{record.first_name} {record.last_name}".strip()
        return name or record.company or f"Lead {record.id}"
    if entity == "quote":
        return f"{record.number} v{record.version}"
    if entity == "activity":
        return record.subject
    return record.name


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return datetime_es(value)
    if isinstance(value, date):
        return date_es(value)
    if isinstance(value, Decimal):
        return f"{value:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
    if isinstance(value, bool):
        return "sí" if value else "no"
    return str(value)


_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def render(template: str, *, entity: str, record: Any, rule_name: str, owner_name: str) -> str:
    """``{campo}`` placeholders filled from the record (dates dd/mm/aaaa, Madrid time);
    ``{titulo}``, ``{responsable}`` and ``{regla}`` too; custom fields as ``{custom.clave}``
    or ``{clave}``."""
    custom = getattr(record, "custom", None) or {}

    def value(match: re.Match) -> str:
        name = match.group(1)
        if name == "titulo":
            return title_of(entity, record)
        if name == "responsable":
            return owner_name
        if name == "regla":
            return rule_name
        if name.startswith("custom."):
            return _shown(custom.get(name[7:]))
        if name in MODELS[entity].model_fields:
            return _shown(getattr(record, name, None))
        return _shown(custom.get(name))

    return _PLACEHOLDER.sub(value, template or "")


def _links(session: Session, entity: str, record: Any) -> dict[str, int | None]:
    """The record a rule's task hangs from (and its customer)."""
    if entity == "lead":
        return {"lead_id": record.id}
    if entity == "account":
        return {"account_id": record.id}
    if entity == "opportunity":
        return {"opportunity_id": record.id, "account_id": record.account_id}
    if entity == "quote":
        return {"quote_id": record.id, "account_id": record.account_id,
                "opportunity_id": record.opportunity_id, "contact_id": record.contact_id}
    return {k: getattr(record, k) for k in ("lead_id", "account_id", "contact_id",
                                            "opportunity_id", "quote_id")
            if getattr(record, k, None)}


def _create_tasks(session: Session, *, rule_id: int, rows: list[dict[str, Any]]) -> int:
    """THE one place rules create tasks. A sweep makes thousands, so this is one bulk INSERT
    rather than ``activities.create_activity`` per row (0.35 ms of ORM work each): the rows
    are what that function would write for a task from the system — the record's links
    (read by the engine itself, which is the system), the owner and team, no reminder."""
    if not rows:
        return 0
    owners = {u.id: u.team_id for u in session.exec(select(User).where(
        User.id.in_({r["owner_id"] for r in rows}))).all()}
    now = utcnow()
    values = [{"kind": ActivityKind.TASK.value, "subject": r["subject"][:200],
               "description": "", "due_at": r["due_at"], "done_at": None,
               "owner_id": r["owner_id"], "team_id": owners.get(r["owner_id"]),
               "lead_id": r.get("lead_id"), "account_id": r.get("account_id"),
               "contact_id": r.get("contact_id"), "opportunity_id": r.get("opportunity_id"),
               "quote_id": r.get("quote_id"), "outcome": "", "reminder_minutes": None,
               "reminder_sent_at": None, "calendar_id": None, "ends_at": None, "location": "",
               "created_by_id": None, "source": f"rule:{rule_id}", "created_at": now,
               "updated_at": None, "deleted_at": None,
               "search_text": search_text(Activity.search_fields, {"subject": r["subject"]})}
              for r in rows]
    session.execute(Activity.__table__.insert(), values)
    return len(values)


def _contact_email(session: Session, entity: str, record: Any) -> str:
    """The customer's contact for ``send_email`` to ``contact``."""
    if entity == "lead":
        return record.email or ""
    contact_id = getattr(record, "contact_id", None)
    if contact_id:
        contact = session.get(Contact, contact_id)
        if contact is not None and contact.email and contact.deleted_at is None:
            return contact.email
    account_id = record.id if entity == "account" else getattr(record, "account_id", None)
    if account_id:
        contact = session.exec(select(Contact).where(
            Contact.account_id == account_id, Contact.deleted_at.is_(None),
            Contact.email != "").order_by(Contact.id)).first()
        if contact is not None:
            return contact.email
        if entity == "account":
            return record.email or ""
        from crm_app.models import Account  # noqa: PLC0415 - only this path needs it
        account = session.get(Account, account_id)
        return account.email if account is not None else ""
    return ""


# --- actions --------------------------------------------------------------------------------


def _plan(ctx: _Context, rule: AutomationRule | dict, entity: str,
          record: Any) -> tuple[list[dict], list[tuple[str, Any]]]:
    """What the rule's actions would do on one record, writing nothing: the log rows and the
    effects (``("task", data)``, ``("alert", kwargs)``, ``("mail", mail)``, ``("assign",
    user_id)``, ``("set", (field, value))``) that ``_apply`` performs once the run is claimed."""
    session = ctx.session
    rule_id = (rule["id"] if isinstance(rule, dict) else rule.id) or 0
    rule_name = rule["name"] if isinstance(rule, dict) else rule.name
    actions = rule["actions"] if isinstance(rule, dict) else rule.actions
    trigger = rule["trigger"] if isinstance(rule, dict) else rule.trigger
    owner_id = record.owner_id
    owner_name = ctx.name(owner_id)
    done: list[dict] = []
    effects: list[tuple[str, Any]] = []

    def fill(text: str) -> str:
        return render(text, entity=entity, record=record, rule_name=rule_name,
                      owner_name=owner_name)

    for action in actions:
        kind = action["type"]
        if kind == "create_task":
            assignee = action.get("assignee", "owner")
            who = owner_id if assignee == "owner" else (
                ctx.manager_of(owner_id) if assignee == "manager" else assignee)
            if not ctx.active(who):
                done.append({"type": kind, "summary": t("auto.did.nobody")})
                continue
            subject = fill(action["subject"])[:200]
            effects.append(("task", {
                "kind": "task", "subject": subject, "owner_id": who,
                "due_at": ctx.now + timedelta(hours=int(action["due_in_hours"])),
                **_links(session, entity, record)}))
            done.append({"type": kind, "summary": t("auto.did.task", subject=subject,
                                                     who=ctx.name(who))})
        elif kind == "create_alert":
            message = fill(action["message"])[:300]
            for who in action.get("user_ids") or [owner_id]:
                if not ctx.active(who):
                    done.append({"type": kind, "summary": t("auto.did.nobody")})
                    continue
                effects.append(("alert", {
                    "owner_id": who, "kind": "rule", "level": action["level"],
                    "message": message, "record": (entity, record.id),
                    "reason": t("auto.reason", rule=rule_name,
                                trigger=t(f"auto.trigger.{trigger['type']}")),
                    "source": f"rule:{rule_id}"}))
                done.append({"type": kind, "summary": t(
                    "auto.did.alert", level=t(f"auto.level.{action['level']}"),
                    who=ctx.name(who))})
        elif kind == "send_email":
            to = action["to"]
            if to == "contact":
                address, who_text = _contact_email(session, entity, record), t(
                    "auto.to.contact")
            else:
                who = owner_id if to == "owner" else ctx.manager_of(owner_id)
                user = ctx.users.get(who) if ctx.active(who) else None
                address, who_text = (user.email if user else ""), ctx.name(who)
            if not address:
                done.append({"type": kind, "summary": t("auto.did.no_email", who=who_text)})
                continue
            effects.append(("mail", {
                "to": [address],
                "subject": fill(action.get("subject") or "")[:200] or t(
                    "auto.mail.subject", rule=rule_name)[:200],
                "body": fill(action["template"])}))
            done.append({"type": kind, "summary": t("auto.did.email", to=address)})
        elif kind == "assign":
            who = action["user_id"]
            if not ctx.active(who):
                done.append({"type": kind, "summary": t("auto.did.nobody")})
                continue
            effects.append(("assign", who))
            done.append({"type": kind, "summary": t("auto.did.assign", who=ctx.name(who))})
        elif kind == "set_field":
            name, raw = action["field"], action["value"]
            try:
                value = coerce_set_value(session, entity, name,
                                         fill(raw) if isinstance(raw, str) else raw)
            except ValueError as exc:  # a template that filled in as a bad value
                done.append({"type": kind, "summary": t("auto.did.failed",
                                                         reason=f"{name}: {exc}")})
                continue
            effects.append(("set", (name, value)))
            done.append({"type": kind, "summary": t("auto.did.set_field", field=name,
                                                     value=_shown(value))})
    return done, effects


def _count(ctx: _Context, effects: list[tuple[str, Any]]) -> None:
    for kind, _ in effects:
        if kind == "task":
            ctx.counts.tasks += 1
        elif kind == "alert":
            ctx.counts.alerts += 1
        elif kind == "mail":
            ctx.counts.emails += 1


def _apply(ctx: _Context, rule_id: int, entity: str, record: Any,
           effects: list[tuple[str, Any]], depth: int, tasks: list[dict]) -> None:
    """Perform the effects of a claimed run (tasks are collected into ``tasks`` for one bulk
    insert); events they cause carry ``depth + 1``."""
    session = ctx.session
    previous = session.info.get(DEPTH_KEY, 0)
    session.info[DEPTH_KEY] = depth + 1
    try:
        for kind, data in effects:
            if kind == "task":
                tasks.append(data)
            elif kind == "alert":
                alerts.raise_alert(session=session, **data)
            elif kind == "mail":
                ctx.mails.append(data)
            elif kind == "assign" and record.owner_id != data:
                before = {"owner_id": record.owner_id, "team_id": record.team_id}
                record.owner_id, record.team_id = data, ctx.users[data].team_id
                record_changes(session=session, actor=SYSTEM, record=record, entity=entity,
                               before=before, after={"owner_id": record.owner_id,
                                                     "team_id": record.team_id},
                               action="assign")
            elif kind == "set":
                name, value = data
                if name.startswith("custom."):
                    old = dict(record.custom or {})
                    record.custom = {**old, name[7:]: value}
                    before, after = {"custom": old}, {"custom": record.custom}
                else:
                    before, after = {name: getattr(record, name)}, {name: value}
                    setattr(record, name, value)
                record_changes(session=session, actor=SYSTEM, record=record, entity=entity,
                               before=jsonable(before), after=jsonable(after))
        _count(ctx, effects)
    finally:
        session.info[DEPTH_KEY] = previous


# --- claiming runs (the UNIQUE guard) -------------------------------------------------------


def _claim(session: Session, rows: list[dict]) -> dict[int, int]:
    """Insert the runs, skipping those whose ``(rule, entity, record, episode)`` exists;
    ``{record_id: run_id}`` of the ones inserted (claimed by this transaction)."""
    if not rows:
        return {}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(RUN).on_conflict_do_nothing(
        index_elements=["rule_id", "entity", "record_id", "episode"],
    ).returning(RUN.c.id, RUN.c.record_id)
    claimed: dict[int, int] = {}
    for start in range(0, len(rows), 5000):
        result = session.execute(stmt, rows[start:start + 5000])
        claimed.update({rec: rid for rid, rec in result.all()})
    return claimed


def _run_row(rule_id: int, entity: str, record_id: int, episode: str, depth: int,
             now: datetime, status: str = "done", actions: list | None = None) -> dict:
    return {"rule_id": rule_id, "entity": entity, "record_id": record_id,
            "episode": episode[:64], "status": status, "actions": actions or [],
            "depth": depth, "created_at": now}


def _passes(conditions: list[Callable[[dict], bool]], record: Any,
            overlay: dict | None = None) -> bool:
    if not conditions:
        return True
    data = record.model_dump()
    if overlay:
        custom = {k[7:]: v for k, v in overlay.items() if k.startswith("custom.")}
        data.update({k: v for k, v in overlay.items() if not k.startswith("custom.")})
        if custom:
            data["custom"] = {**(data.get("custom") or {}), **custom}
    return all(cond(data) for cond in conditions)


def _event_values(event: OutboxEvent) -> dict:
    """The values the event carried (the stage entered, the field's new value): conditions
    see the record as it is now with these over it, so two quick moves are two stages."""
    data = event.data or {}
    if event.event == "opportunity.stage_entered":
        return {"stage_id": data.get("to_stage_id")}
    if event.event.endswith(".field_changed") and data.get("field"):
        return {str(data["field"]): data.get("new")}
    return {}


def _fire_many(ctx: _Context, rule: AutomationRule, entity: str,
               found: list[tuple[Any, str]], depth: int = 0) -> None:
    """Plan the actions on ``found`` (record, episode), insert their runs with the log in
    one statement (those whose episode already ran are skipped by the UNIQUE guard) and
    perform the effects of the runs claimed."""
    planned = []
    rows = []
    for rec, episode in found:
        did, effects = _plan(ctx, rule, entity, rec)
        planned.append((rec, effects))
        rows.append(_run_row(rule.id, entity, rec.id, episode, depth, ctx.now, actions=did))
    claimed = _claim(ctx.session, rows)
    tasks: list[dict] = []
    for rec, effects in planned:
        if rec.id in claimed:
            _apply(ctx, rule.id, entity, rec, effects, depth, tasks)
            ctx.counts.fired += 1
    _create_tasks(ctx.session, rule_id=rule.id, rows=tasks)


# --- the time sweep -------------------------------------------------------------------------


def _fired_since(rule_id: int, entity: str, id_col: Any, ref: Any) -> Any:
    """A run of this rule on this record written at or after ``ref`` (episode closed)."""
    return exists().where(RUN.c.rule_id == rule_id, RUN.c.entity == entity,
                          RUN.c.record_id == id_col, RUN.c.created_at >= ref)


def _fired_episode(rule_id: int, entity: str, id_col: Any, episode: Any) -> Any:
    return exists().where(RUN.c.rule_id == rule_id, RUN.c.entity == entity,
                          RUN.c.record_id == id_col, RUN.c.episode == episode)


def _today(now: datetime) -> date:
    return now.astimezone(TZ).date()


def _episode_text(prefix: str, column: Any) -> Any:
    return literal(prefix) + cast(column, String)


def candidates(session: Session, rule: AutomationRule | dict, now: datetime,
               *, unfired: bool = True) -> list[tuple[Any, str]]:
    """(record, episode) whose time condition holds now (and, ``unfired``, on which the
    rule has not fired in that episode): one query, at most ``MAX_CANDIDATES`` rows."""
    trigger = rule["trigger"] if isinstance(rule, dict) else rule.trigger
    rule_id = (rule.get("id") if isinstance(rule, dict) else rule.id) or 0
    kind = trigger["type"]
    if kind == "idle":
        opp = Opportunity
        ref = coerce(func.coalesce(opp.last_activity_at, opp.stage_entered_at, opp.created_at),
                     UTCDateTime)
        org = session.exec(select(Organisation).order_by(Organisation.id)).first()
        fallback = (org.stale_days_default if org else None) or 14
        days_of = {stage.id: int(trigger.get("days") or stage.stale_days or fallback)
                   for stage in session.exec(select(Stage).where(
                       Stage.kind == StageKind.OPEN)).all()}
        if not days_of:
            return []
        threshold = now - timedelta(days=min(days_of.values()))
        found: list[tuple[Any, str]] = []
        # Two index range scans (ix_opportunity_open_activity): deals with activity, then
        # those never touched (their stage entry or creation counts). No ORDER BY: SQLite
        # would walk the whole table in id order to avoid a sort.
        for clause in (opp.last_activity_at < threshold,
                       and_(opp.last_activity_at.is_(None),
                            func.coalesce(opp.stage_entered_at, opp.created_at) < threshold)):
            stmt = select(opp, ref.label("ref")).where(
                opp.closed_at.is_(None), opp.deleted_at.is_(None), clause)
            if unfired:
                stmt = stmt.where(~_fired_since(rule_id, "opportunity", opp.id, ref))
            for rec, at in session.exec(stmt.limit(MAX_CANDIDATES)).all():
                days = days_of.get(rec.stage_id)
                if days is not None and at < now - timedelta(days=days):
                    found.append((rec, f"idle:{at.isoformat()}"))
        return found
    if kind == "not_contacted":
        stmt = select(Lead).where(
            Lead.status == LeadStatus.NUEVO.value, Lead.first_contacted_at.is_(None),
            Lead.deleted_at.is_(None), Lead.anonymised_at.is_(None),
            Lead.created_at < now - timedelta(hours=int(trigger["hours"])))
        if unfired:
            stmt = stmt.where(~_fired_episode(rule_id, "lead", Lead.id, "not_contacted"))
        # In id order: one sequential pass over the leads beats the created_at index,
        # whose range holds nearly all of them.
        rows = session.exec(stmt.order_by(Lead.id).limit(MAX_CANDIDATES)).all()
        return [(rec, "not_contacted") for rec in rows]
    if kind == "quote_expiring":
        today = _today(now)
        stmt = select(Quote).where(
            Quote.status.in_(OPEN_QUOTES), Quote.deleted_at.is_(None),
            Quote.valid_until >= today,
            Quote.valid_until <= today + timedelta(days=int(trigger["days"])))
        if unfired:
            stmt = stmt.where(~_fired_episode(rule_id, "quote", Quote.id,
                                              _episode_text("until:", Quote.valid_until)))
        rows = session.exec(stmt.limit(MAX_CANDIDATES)).all()
        return [(rec, f"until:{rec.valid_until.isoformat()}") for rec in rows]
    if kind == "close_date_passed":
        limit = _today(now) - timedelta(days=int(trigger["days"]))
        opp = Opportunity
        stmt = select(opp).where(opp.closed_at.is_(None), opp.deleted_at.is_(None),
                                 opp.expected_close.is_not(None), opp.expected_close < limit)
        if unfired:
            stmt = stmt.where(~_fired_episode(rule_id, "opportunity", opp.id,
                                              _episode_text("close:", opp.expected_close)))
        rows = session.exec(stmt.limit(MAX_CANDIDATES)).all()
        return [(rec, f"close:{rec.expected_close.isoformat()}") for rec in rows]
    if kind == "task_overdue":
        act = Activity
        stmt = select(act).where(
            # ``kind || ''``: not the kind index (a fifth of all activities) but
            # ix_activity_open_due's range over the open ones
            (act.kind + "") == ActivityKind.TASK.value, act.done_at.is_(None),
            act.deleted_at.is_(None), act.due_at.is_not(None),
            act.due_at < now - timedelta(hours=int(trigger["hours"])))
        if unfired:
            stmt = stmt.where(~_fired_since(rule_id, "activity", act.id, act.due_at))
        rows = session.exec(stmt.limit(MAX_CANDIDATES)).all()
        return [(rec, f"due:{rec.due_at.isoformat()}") for rec in rows]
    raise ValueError(kind)


def _active_rules(session: Session, types: Iterable[str]) -> list[AutomationRule]:
    wanted = set(types)
    rules = session.exec(select(AutomationRule).where(AutomationRule.active == True)  # noqa: E712
                         .order_by(AutomationRule.position, AutomationRule.id)).all()
    return [r for r in rules if (r.trigger or {}).get("type") in wanted]


def run_due(*, session: Session, now: datetime | None = None) -> dict:
    """The time sweep, once: ``{"rules", "fired", "tasks", "alerts", "emails", "seconds"}``.
    Each rule is its own transaction (a failing rule does not undo the others)."""
    started = time.perf_counter()
    now = now or utcnow()
    ctx = _Context(session, now)
    for rule in _active_rules(session, TIME_TRIGGERS):
        ctx.counts.rules += 1
        entity = rule.trigger["entity"]
        conditions = [compile_condition(c) for c in rule.conditions or []]
        try:
            found = [(rec, ep) for rec, ep in candidates(session, rule, now)
                     if _passes(conditions, rec)]
            _fire_many(ctx, rule, entity, found)
            session.commit()
        except Exception:
            session.rollback()
            ctx.counts.failed += 1
            log.exception("La regla de automatización %s falló en el barrido", rule.id)
        _dispatch(session, ctx.mails)
        ctx.mails = []
    c = ctx.counts
    return {"rules": c.rules, "fired": c.fired, "tasks": c.tasks, "alerts": c.alerts,
            "emails": c.emails, "seconds": round(time.perf_counter() - started, 3)}


# --- events ---------------------------------------------------------------------------------


def _matches(trigger: dict, event: OutboxEvent) -> bool:
    kind, entity = trigger.get("type"), trigger.get("entity")
    if entity != event.entity:
        return False
    if kind == "record_created":
        return event.event == f"{entity}.created"
    if kind == "field_changed":
        return event.event == f"{entity}.field_changed" and (
            (event.data or {}).get("field") == trigger.get("field"))
    if kind == "stage_entered":
        return event.event == "opportunity.stage_entered"
    return False


def process_outbox(*, session: Session, now: datetime | None = None,
                   limit: int = OUTBOX_BATCH) -> dict:
    """Process a batch of pending events (oldest first) and commit; ``{"events", "fired",
    "tasks", "alerts", "emails", "capped"}``. Locked rows are skipped on PostgreSQL, so
    several workers drain in parallel; the run log's UNIQUE guard makes a replay harmless."""
    now = now or utcnow()
    events = session.exec(
        select(OutboxEvent).where(OutboxEvent.processed_at.is_(None))
        .order_by(OutboxEvent.id).limit(max(1, min(limit, 1000)))
        .with_for_update(skip_locked=True)).all()
    ctx = _Context(session, now)
    rules = _active_rules(session, rules_mod.EVENT_TRIGGERS) if events else []
    compiled = {r.id: [compile_condition(c) for c in r.conditions or []] for r in rules}
    for event in events:
        matching = [r for r in rules if _matches(r.trigger or {}, event)]
        model = MODELS.get(event.entity)
        record = session.get(model, event.record_id) if matching and model else None
        if record is not None and getattr(record, "deleted_at", None) is None:
            overlay = _event_values(event)
            for rule in matching:
                if not _passes(compiled[rule.id], record, overlay):
                    continue
                episode = f"event:{event.id}"
                if event.depth >= MAX_DEPTH:
                    ctx.counts.capped += _capped(session, rule, event, now)
                    continue
                try:
                    with session.begin_nested():
                        _fire_many(ctx, rule, event.entity, [(record, episode)],
                                   depth=event.depth)
                except Exception as exc:  # noqa: BLE001 - logged on the run, the rest go on
                    log.exception("La regla de automatización %s falló", rule.id)
                    ctx.counts.failed += 1
                    _claim(session, [_run_row(rule.id, event.entity, event.record_id,
                                              episode, event.depth, now, "failed",
                                              [{"type": "error", "summary": t(
                                                  "auto.did.failed", reason=str(exc)[:200])}])])
        event.processed_at = now
        event.attempts += 1
        session.add(event)
    session.commit()
    _dispatch(session, ctx.mails)
    c = ctx.counts
    return {"events": len(events), "fired": c.fired, "tasks": c.tasks, "alerts": c.alerts,
            "emails": c.emails, "capped": c.capped}


def _capped(session: Session, rule: AutomationRule, event: OutboxEvent, now: datetime) -> int:
    """Log (once) that ``rule`` did not fire: the event is a chain at the depth limit."""
    row = _run_row(rule.id, event.entity, event.record_id, f"event:{event.id}", event.depth,
                   now, "depth_capped",
                   [{"type": "capped", "summary": t("auto.did.capped", depth=event.depth)}])
    return len(_claim(session, [row]))


def pending_events(*, session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(OutboxEvent)
                            .where(OutboxEvent.processed_at.is_(None))).one())


# --- the simulator --------------------------------------------------------------------------


def _recent_event_records(session: Session, actor: Actor, rule: dict,
                          last_n: int) -> list[Any]:
    """The records of the last ``last_n`` events the rule's trigger would have caught (for
    ``record_created``: the last records created)."""
    trigger = rule["trigger"]
    model = MODELS[trigger["entity"]]
    if trigger["type"] == "record_created":
        stmt = restrict(select(model), actor).where(model.deleted_at.is_(None)).order_by(
            model.created_at.desc(), model.id.desc()).limit(last_n)
        return list(session.exec(stmt).all())
    events = session.exec(select(OutboxEvent).where(
        OutboxEvent.entity == trigger["entity"],
        OutboxEvent.event == (f"{trigger['entity']}.field_changed"
                              if trigger["type"] == "field_changed"
                              else "opportunity.stage_entered"))
        .order_by(OutboxEvent.id.desc()).limit(last_n * 20)).all()
    ids: list[int] = []
    for ev in events:
        if _matches(trigger, ev) and ev.record_id not in ids:
            ids.append(ev.record_id)
        if len(ids) >= last_n:
            break
    if not ids:
        return []
    rows = session.exec(restrict(select(model), actor).where(
        model.id.in_(ids), model.deleted_at.is_(None))).all()
    return sorted(rows, key=lambda r: ids.index(r.id))


@needs_actor
def simulate(*, session: Session, actor: Actor, rule: dict, last_n: int = 100,
             now: datetime | None = None) -> dict:
    """What ``rule`` (a draft or a saved one's dict) would do, writing nothing: a time rule
    "con los datos de ahora" (the records it would fire on if the sweep ran now), an event
    rule over "los últimos N registros" (the last N records created, or the records of the
    last N matching changes). ``{"mode", "checked", "fired", "tasks", "alerts", "emails",
    "rows": [{"entity", "record_id", "title", "did": [...]}] (first 20)}``."""
    require(actor, Perm.AUTOMATIONS_MANAGE)
    if isinstance(last_n, bool) or not isinstance(last_n, int) or not (
            1 <= last_n <= MAX_SIM_RECORDS):
        raise ValidationFailed({"last_n": t("auto.err.last_n", hi=MAX_SIM_RECORDS)})
    clean = {**rules_mod.validate(rule, session=session), "id": rule.get("id") or 0}
    now = now or utcnow()
    ctx = _Context(session, now, dry=True)
    entity = clean["trigger"]["entity"]
    conditions = [compile_condition(c) for c in clean["conditions"]]
    if clean["trigger"]["type"] in TIME_TRIGGERS:
        mode = "now"
        found = [rec for rec, _ep in candidates(session, clean, now,
                                                unfired=bool(rule.get("id")))]
    else:
        mode = "last_n"
        found = _recent_event_records(session, actor, clean, last_n)
    checked = len(found)
    rows: list[dict] = []
    fired = 0
    try:
        for rec in found:
            if not _passes(conditions, rec):
                continue
            fired += 1
            did, effects = _plan(ctx, clean, entity, rec)
            _count(ctx, effects)
            if len(rows) < SIM_EXAMPLES:
                rows.append({"entity": entity, "record_id": rec.id,
                             "title": title_of(entity, rec), "did": did})
    finally:
        session.rollback()  # belt and braces: a simulation leaves nothing behind
    c = ctx.counts
    return {"mode": mode, "checked": checked, "fired": fired, "tasks": c.tasks,
            "alerts": c.alerts, "emails": c.emails, "rows": rows}


# --- the execution log ----------------------------------------------------------------------


def _titles(session: Session, pairs: set[tuple[str, int]]) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    for entity in {e for e, _ in pairs}:
        model = MODELS.get(entity)
        ids = [i for e, i in pairs if e == entity]
        if model is None or not ids:
            continue
        for rec in session.exec(select(model).where(model.id.in_(ids))).all():
            out[(entity, rec.id)] = title_of(entity, rec)
    return out


def _run_dicts(session: Session, runs: list[AutomationRun]) -> list[dict]:
    names = {r.id: r.name for r in session.exec(select(AutomationRule).where(
        AutomationRule.id.in_({run.rule_id for run in runs}))).all()} if runs else {}
    titles = _titles(session, {(run.entity, run.record_id) for run in runs})
    return [{"id": run.id, "rule_id": run.rule_id, "rule": names.get(run.rule_id, ""),
             "entity": run.entity, "record_id": run.record_id,
             "record": titles.get((run.entity, run.record_id), f"#{run.record_id}"),
             "status": run.status, "depth": run.depth, "actions": run.actions,
             "did": "; ".join(a.get("summary", "") for a in run.actions or []),
             "created_at": run.created_at.isoformat()} for run in runs]


@needs_actor
def list_runs(*, session: Session, actor: Actor, rule_id: int | None = None,
              limit: int = 50, offset: int = 0) -> tuple[list[dict], int]:
    """The execution log (Ajustes → Automatizaciones), newest first, and its total."""
    require(actor, Perm.AUTOMATIONS_MANAGE)
    limit, offset = max(1, min(int(limit), 200)), max(0, min(int(offset), 10_000_000))
    stmt = select(AutomationRun)
    count = select(func.count()).select_from(AutomationRun)
    if rule_id is not None:
        stmt = stmt.where(AutomationRun.rule_id == rule_id)
        count = count.where(AutomationRun.rule_id == rule_id)
    runs = list(session.exec(stmt.order_by(AutomationRun.id.desc())
                             .offset(offset).limit(limit)).all())
    return _run_dicts(session, runs), int(session.exec(count).one())


@needs_actor
def runs_for_record(*, session: Session, actor: Actor, entity: str,
                    record_id: int) -> list[dict]:
    """What the rules did on one record (its timeline), newest first; the record must be
    visible to ``actor`` (else 404, like the record itself)."""
    model = MODELS.get(entity)
    if model is None:
        raise ValidationFailed({"entity": t("auto.err.entity", allowed=", ".join(MODELS))})
    get_owned(session, actor, model, record_id)
    runs = list(session.exec(select(AutomationRun).where(
        AutomationRun.entity == entity, AutomationRun.record_id == record_id)
        .order_by(AutomationRun.id.desc()).limit(100)).all())
    return _run_dicts(session, runs)


__all__ = ["MAX_DEPTH", "candidates", "list_runs", "pending_events", "process_outbox",
           "render", "run_due", "runs_for_record", "set_mail_queue", "simulate"]
