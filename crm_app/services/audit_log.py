"""Ajustes → Auditoría: the company's audit trail read back (``audit.view``, admins).

``list_events`` pages the log on the server, newest first, filtered by user, entity, record
id and a date range in Madrid days; ``export_csv`` writes the same selection as a CSV a
Spanish spreadsheet opens (UTF-8 with BOM, ``;``), bounded at ``MAX_EXPORT_ROWS``. Every row
is a dict of display strings: when (dd/mm/aaaa HH:MM, Madrid), who, the entity and its page
where one exists, the action and the before → after of each changed field. Secret fields are
shown as "(oculto)" even on rows written before the writer redacted them (``audit.redact``).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.formatting import TZ, date_es, datetime_es
from crm_app.i18n import t
from crm_app.models import AuditEvent, User
from crm_app.models.bounds import MAX_PAGE_SIZE, day_in_range, day_range_message
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import ValidationFailed
from crm_app.services.sales_common import Page
from crm_app.services.search import contains
from crm_app.services.table_export import csv_bytes

MAX_EXPORT_ROWS = 50_000  # one CSV; a longer log is exported a period at a time
MAX_VALUE_CHARS = 200  # a changed value as the log shows it (notes can be long)
_ENTITY = re.compile(r"^[a-z_]{1,30}$")
_ID_MAX = 2**31 - 1
# The record pages an entry links to (pages that exist today).
LINKS = {"lead": "/leads/{id}", "account": "/clientes/{id}", "opportunity": "/oportunidades/{id}",
         "quote": "/presupuestos/{id}"}
CSV_HEADERS = ("audit.col.when", "audit.col.who", "audit.col.entity", "audit.col.entity_id",
               "audit.col.action", "audit.col.changes", "audit.col.note")


def entity_label(entity: str) -> str:
    try:
        return t(f"audit.entity.{entity}")
    except KeyError:
        return entity


def action_label(action: str) -> str:
    try:
        return t(f"audit.action.{action}")
    except KeyError:
        return action


def _parse_day(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        value = value.strftime("%Y-%m-%d")
    text = str(value).strip()
    day = None
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, fmt).date()
            break
        except ValueError:
            continue
    if day is None:
        errors[field] = t("audit.err.date")
    elif not day_in_range(day):  # 01/01/0001 or 31/12/9999 would overflow the day's bounds
        errors[field] = day_range_message()
        day = None
    return day


def _madrid_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=TZ)


def _statement(*, user_id: Any, entity: Any, entity_id: Any, date_from: Any,
               date_to: Any, q: str = "") -> Any:
    """The filtered selection (``ValidationFailed`` naming each bad filter, nothing read)."""
    errors: dict[str, str] = {}
    stmt = select(AuditEvent)
    entity = (entity or "").strip()
    if entity and not _ENTITY.match(entity):
        errors["entity"] = t("audit.err.entity")
    start = _parse_day(date_from, "from", errors)
    end = _parse_day(date_to, "to", errors)
    if start and end and end < start:
        errors["to"] = t("audit.err.range")
    for name, value in (("user_id", user_id), ("entity_id", entity_id)):
        if value is not None and value != "" and not (
                str(value).isdigit() and 0 < int(value) <= _ID_MAX):
            errors[name] = t("audit.err.id")
    if errors:
        raise ValidationFailed(errors)
    if user_id not in (None, ""):
        stmt = stmt.where(AuditEvent.actor_id == int(user_id))
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id not in (None, ""):
        stmt = stmt.where(AuditEvent.entity_id == int(entity_id))
    if (q or "").strip():  # the screen's search box: the entry's note
        stmt = stmt.where(contains(func.lower(AuditEvent.note), " ".join(q.split()).lower()[:200]))
    if start:
        stmt = stmt.where(AuditEvent.at >= _madrid_midnight(start))
    if end:
        stmt = stmt.where(AuditEvent.at < _madrid_midnight(end + timedelta(days=1)))
    return stmt


_ISO_MOMENT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
_ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d")


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return t("audit.empty_value")
    if value == audit.REDACTED:
        return t("audit.redacted")
    if isinstance(value, str) and _ISO_MOMENT.match(value):  # a stored moment: Madrid time
        try:
            return datetime_es(datetime.fromisoformat(value))
        except ValueError:
            pass
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):  # a stored day: dd/mm/aaaa
        try:
            return date_es(date.fromisoformat(value))
        except ValueError:
            pass
    if isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    else:
        text = str(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS - 1] + "…"


def changes(event: AuditEvent) -> list[dict[str, str]]:
    """Each changed field with its value before and after, secrets hidden."""
    raw_before, raw_after = event.before or {}, event.after or {}
    before, after = audit.redact(raw_before), audit.redact(raw_after)
    keys = list(after) + [k for k in before if k not in after]
    out = []
    for key in keys:
        if key in audit.SKIPPED:
            continue
        old, new = before.get(key), after.get(key)
        if event.before is None and new in (None, "", {}, []):
            continue  # a new record: its empty fields say nothing
        # unchanged by the stored values (a new password hash is a change, shown hidden)
        if event.before is not None and event.after is not None \
                and raw_before.get(key) == raw_after.get(key):
            continue
        out.append({"field": key, "before": _value_text(old) if key in before else "",
                    "after": _value_text(new) if key in after else ""})
    return out


def changes_text(rows: list[dict[str, str]]) -> str:
    parts = []
    for c in rows:
        if c["before"] and c["after"]:
            parts.append(f"{c['field']}: {c['before']} → {c['after']}")
        else:
            parts.append(f"{c['field']}: {c['after'] or c['before']}")
    return "; ".join(parts)


def event_row(event: AuditEvent, names: dict[int, str]) -> dict[str, Any]:
    """One entry as the screen, the API and the CSV show it."""
    diff = changes(event)
    link = LINKS.get(event.entity)
    return {
        "id": event.id, "at": event.at, "at_text": datetime_es(event.at),
        "actor_id": event.actor_id,
        "actor_name": names.get(event.actor_id or 0, "") if event.actor_id
        else t("audit.system"),
        "entity": event.entity, "entity_label": entity_label(event.entity),
        "entity_id": event.entity_id,
        "href": link.format(id=event.entity_id) if link and event.entity_id else "",
        "action": event.action, "action_label": action_label(event.action),
        "changes": diff, "changes_text": changes_text(diff), "note": event.note or "",
    }


def _names(session: Session, events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.actor_id for e in events if e.actor_id}
    if not ids:
        return {}
    return dict(session.exec(select(User.id, User.name).where(User.id.in_(ids))).all())


@needs_actor
def list_events(*, session: Session, actor: Actor, user_id: Any = None, entity: Any = "",
                entity_id: Any = None, date_from: Any = None, date_to: Any = None,
                q: str = "", offset: int = 0, limit: int = 25) -> Page[dict[str, Any]]:
    """One page of the log, newest first (``audit.view``); ``q`` searches the notes."""
    require(actor, Perm.AUDIT_VIEW)
    stmt = _statement(user_id=user_id, entity=entity, entity_id=entity_id,
                      date_from=date_from, date_to=date_to, q=q)
    offset = max(0, int(offset))
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    events = list(session.exec(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                               .offset(offset).limit(limit)).all())
    names = _names(session, events)
    return Page([event_row(e, names) for e in events], int(total), offset, limit)


@needs_actor
def filter_options(*, session: Session, actor: Actor) -> dict[str, list[dict[str, str]]]:
    """The users and the entities the log holds, for the filters' selects."""
    require(actor, Perm.AUDIT_VIEW)
    users = session.exec(select(User.id, User.name, User.email).order_by(User.name)).all()
    entities = session.exec(select(AuditEvent.entity).distinct()).all()
    return {
        "users": [{"value": str(i), "label": f"{n} ({e})"} for i, n, e in users],
        "entities": sorted(({"value": e, "label": entity_label(e)} for e in entities),
                           key=lambda o: o["label"]),
    }


@needs_actor
def export_csv(*, session: Session, actor: Actor, user_id: Any = None, entity: Any = "",
               entity_id: Any = None, date_from: Any = None, date_to: Any = None,
               q: str = "") -> tuple[str, bytes]:
    """``(filename, bytes)``: the filtered log as CSV (UTF-8 BOM, ``;``), newest first, at most
    ``MAX_EXPORT_ROWS`` rows (more is a ``ValidationFailed`` asking for a shorter period)."""
    require(actor, Perm.AUDIT_VIEW)
    stmt = _statement(user_id=user_id, entity=entity, entity_id=entity_id,
                      date_from=date_from, date_to=date_to, q=q)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    if total > MAX_EXPORT_ROWS:
        raise ValidationFailed({"from": t("audit.err.too_many", n=total, max=MAX_EXPORT_ROWS)})
    events = list(session.exec(stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())).all())
    names = _names(session, events)
    rows = []
    for e in events:
        r = event_row(e, names)
        rows.append([r["at_text"], r["actor_name"], r["entity_label"],
                     "" if r["entity_id"] is None else str(r["entity_id"]),
                     r["action_label"], r["changes_text"], r["note"]])
    table = {"headers": [t(h) for h in CSV_HEADERS], "units": ["text"] * len(CSV_HEADERS),
             "rows": rows}
    stamp = datetime.now(TZ).strftime("%Y%m%d-%H%M")
    return f"{t('audit.file')}-{stamp}.csv", csv_bytes(table)


__all__ = ["LINKS", "MAX_EXPORT_ROWS", "changes", "entity_label", "event_row", "export_csv",
           "filter_options", "list_events"]
