"""The audit trail: every domain change writes one AuditEvent in the same transaction."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, SQLModel

from crm_app.models import AuditEvent, utcnow
from crm_app.services.actors import Actor, needs_actor

_SKIP = {"password_hash", "totp_secret_enc", "smtp_password_enc", "updated_at"}
SKIPPED = frozenset({"updated_at"})  # not a change worth showing
# Fields whose value never enters the trail (nor the Auditoría screen, nor its CSV): only
# whether one is set, as ``REDACTED``. Checked at every depth of ``before``/``after``.
SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_hash",
                           "smtp_password", "smtp_password_enc", "secret", "totp_secret",
                           "totp_secret_enc", "recovery_codes", "api_key", "client_secret"})
REDACTED = "***"
_MARK = re.compile(r"\*\*\* \([a-záéíóúñ ]{1,30}\)")  # "*** (cambiada)": a mark, not a secret


def _hidden(value: Any) -> Any:
    """A secret's value as the trail keeps it: "" (none) stays, a caller's own mark
    (``*** (cambiada)``) stays, anything else is ``REDACTED``."""
    if value in (None, "", REDACTED) or (isinstance(value, str) and _MARK.fullmatch(value)):
        return value
    return REDACTED


def redact(value: Any) -> Any:
    """``value`` with every secret field's value replaced by ``REDACTED`` ("" stays "")."""
    if isinstance(value, dict):
        return {k: _hidden(v) if k in SECRET_FIELDS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


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
        before=redact(before),  # a caller's careless dict never carries a secret in
        after=redact(after),
        note=note[:300],
    )
    session.add(event)
    return event
