"""API shapes of Ajustes → Auditoría (``GET /api/v1/audit``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AuditChangePublic(BaseModel):
    field: str
    before: str
    after: str


class AuditEventPublic(BaseModel):
    id: int
    at: datetime
    at_text: str  # dd/mm/aaaa HH:MM, Madrid
    actor_id: int | None
    actor_name: str
    entity: str
    entity_label: str
    entity_id: int | None
    href: str  # the record's page, "" when it has none
    action: str
    action_label: str
    changes: list[AuditChangePublic]
    changes_text: str
    note: str


class AuditEventsPublic(BaseModel):
    data: list[AuditEventPublic]
    count: int
