"""The record-event outbox (issue 13): what happened to a record, written in the SAME
transaction as the change, so an event exists exactly when the change was committed.

The services call ``emit`` (one line, no commit) on create, field change, stage entered and
quote sent/accepted/rejected; ``records.add_record`` and ``records.record_changes`` emit for
the watched entities themselves, so every service built on them is covered. The Celery
worker drains the table (``services.automation.engine.process_outbox``): right after the
commit (the web process installs ``set_queue``, which enqueues a drain) and every few
seconds from beat as a safety net. The core never imports Celery.

Events: ``lead.created``, ``account.created``, ``opportunity.created``, ``quote.created``,
``activity.created``, ``<entity>.field_changed`` (data: field, old, new),
``opportunity.stage_entered`` (data: from_stage_id, to_stage_id), ``quote.sent``,
``quote.accepted``, ``quote.rejected``.

An event written while a rule's actions run carries that rule's depth + 1
(``session.info[DEPTH_KEY]``), so chains of rules can be capped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from crm_app.models import OutboxEvent
from crm_app.services.audit import jsonable

log = logging.getLogger(__name__)

WATCHED = frozenset({"lead", "account", "opportunity", "quote"})
CREATED = WATCHED | {"activity"}
# Bookkeeping columns: their changes are never "a field changed" for a rule.
QUIET_FIELDS = frozenset({"updated_at", "search_text", "created_at", "last_activity_at",
                          "stage_entered_at", "import_batch_id"})
DEPTH_KEY = "automation_depth"
PENDING_KEY = "outbox_pending"

_queue: Callable[[], None] | None = None


def set_queue(fn: Callable[[], None] | None) -> None:
    """What to call after a commit that wrote events (the web process: enqueue a drain)."""
    global _queue
    _queue = fn


def emit(*, session: Session, event: str, entity: str, record_id: int, actor_id: int | None,
         data: dict | None = None) -> None:
    """Write one event in the caller's transaction (no commit)."""
    session.add(OutboxEvent(event=event[:40], entity=entity[:20], record_id=int(record_id),
                            actor_id=actor_id, data=jsonable(data or {}),
                            depth=int(session.info.get(DEPTH_KEY, 0))))
    session.info[PENDING_KEY] = True


def emit_created(*, session: Session, entity: str, record_id: int | None,
                 actor_id: int | None) -> None:
    """``<entity>.created`` for the watched entities (others: nothing)."""
    if entity in CREATED and record_id is not None:
        emit(session=session, event=f"{entity}.created", entity=entity, record_id=record_id,
             actor_id=actor_id)


def emit_changes(*, session: Session, entity: str, record_id: int | None,
                 actor_id: int | None, old: dict[str, Any], new: dict[str, Any]) -> None:
    """One ``<entity>.field_changed`` per changed field (audit ``diff`` output); custom
    fields are named ``custom.<key>``."""
    if entity not in WATCHED or record_id is None:
        return
    for name, value in new.items():
        if name in QUIET_FIELDS:
            continue
        before = old.get(name)
        if name == "custom" and isinstance(value, dict):
            before = before if isinstance(before, dict) else {}
            for key in sorted(set(value) | set(before)):
                if value.get(key) != before.get(key):
                    emit(session=session, event=f"{entity}.field_changed", entity=entity,
                         record_id=record_id, actor_id=actor_id,
                         data={"field": f"custom.{key}", "old": before.get(key),
                               "new": value.get(key)})
            continue
        emit(session=session, event=f"{entity}.field_changed", entity=entity,
             record_id=record_id, actor_id=actor_id,
             data={"field": name, "old": before, "new": value})


@sa_event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.info.pop(PENDING_KEY, False) and _queue is not None:
        try:
            _queue()
        except Exception:  # noqa: BLE001 - beat drains it anyway within seconds
            log.warning("No se pudo encolar el proceso de eventos; lo hará la tarea periódica.")


@sa_event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(PENDING_KEY, None)


__all__ = ["CREATED", "DEPTH_KEY", "WATCHED", "emit", "emit_changes", "emit_created",
           "set_queue"]
