"""The audit trail: every domain change writes one AuditEvent in the same transaction."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, SQLModel

from crm_app.models import AuditEvent, utcnow
from crm_app.services.actors import Actor, needs_actor

_SKIP = {"password_hash", "totp_secret_enc", "smtp_password_enc", "updated_at"}


def jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def snapshot(obj: SQLModel | None) -> dict[str, Any] | None:
    """A JSON-safe picture of a row, minus secrets."""
    if obj is None:
        return None
    return {k: jsonable(v) for k, v in obj.model_dump().items() if k not in _SKIP}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict, dict]:
    """Only the fields that changed, so the timeline shows what moved."""
    before, after = before or {}, after or {}
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@needs_actor
def record(
    *,
    session: Session,
    actor: Actor,
    entity: str,
    entity_id: int | None,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id,  # NULL: the system (actors.SYSTEM has no id)
        at=utcnow(),
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        note=note[:300],
    )
    session.add(event)
    return event
