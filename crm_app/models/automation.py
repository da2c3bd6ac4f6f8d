"""Automation rules (issue 13): the rules, their execution log and the event outbox.

- ``AutomationRule``: trigger + conditions + actions (JSON, validated by
  ``services.automation.rules``), active or not, ordered by ``position``.
- ``AutomationRun``: one firing of a rule on one record. ``(rule_id, entity, record_id,
  episode)`` is UNIQUE: a rule fires once per record per episode (for "sin actividad" the
  episode is the time the record last had activity, so new activity opens a new one; for an
  event it is the event). The sweep inserts these rows with the constraint as its guard.
- ``OutboxEvent``: a record event (created, field changed, stage entered, quote sent…)
  written in the same transaction as the change and drained by the Celery worker.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from crm_app.models.base import JSONField, Timestamp, Timestamps
from crm_app.models.sales import Opportunity
from crm_app.models.work import Activity


class AutomationRule(Timestamps, SQLModel, table=True):
    __tablename__ = "automation_rule"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    active: bool = True
    trigger: dict = JSONField()  # {"type", "entity", "field"?, "days"?, "hours"?}
    conditions: list = JSONField(list)  # [{"field", "op", "value"}] as assignment rules
    actions: list = JSONField(list)  # [{"type": "create_task", ...}, ...]
    position: int = Field(default=0, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")


class AutomationRun(SQLModel, table=True):
    __tablename__ = "automation_run"
    __table_args__ = (
        UniqueConstraint("rule_id", "entity", "record_id", "episode",
                         name="uq_automation_run_episode"),
        Index("ix_automation_run_record", "entity", "record_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="automation_rule.id")
    entity: str = Field(max_length=20)
    record_id: int
    episode: str = Field(max_length=64)
    status: str = Field(default="done", max_length=20)  # done | depth_capped | failed
    actions: list = JSONField(list)  # [{"type", "summary", ...}] what it did
    depth: int = 0
    created_at: datetime = Timestamp(nullable=False, index=True)


class OutboxEvent(SQLModel, table=True):
    __tablename__ = "outbox_event"
    __table_args__ = (
        # The drain reads the pending events in id order: a partial index holds only them.
        Index("ix_outbox_event_pending", "id", sqlite_where=text("processed_at IS NULL"),
              postgresql_where=text("processed_at IS NULL")),
    )
    id: int | None = Field(default=None, primary_key=True)
    event: str = Field(max_length=40)
    entity: str = Field(max_length=20)
    record_id: int
    actor_id: int | None = None  # no FK: the log outlives a deleted user
    data: dict = JSONField()
    created_at: datetime = Timestamp(nullable=False)
    processed_at: datetime | None = Timestamp()
    attempts: int = 0
    depth: int = 0


# The time sweep's range scans (services.automation.engine.candidates): open rows (closed_at /
# done_at NULL) by the time that makes them due. Composite, not partial: SQLite's planner
# takes "closed_at IS NULL" for a one-row lookup on ix_opportunity_closed_at (closed deals
# have distinct times) and would walk every open deal; with the range column in the same
# index it takes this one. Declared here, not in the Opportunity/Activity classes, because
# only the automation sweep needs them.
Index("ix_opportunity_open_activity", Opportunity.closed_at, Opportunity.last_activity_at)
Index("ix_opportunity_open_close", Opportunity.closed_at, Opportunity.expected_close)
Index("ix_activity_open_due", Activity.done_at, Activity.due_at)
