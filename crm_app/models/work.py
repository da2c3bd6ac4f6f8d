"""Activities, documents, alerts, assignment rules, imports, the audit trail."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_app.models.base import JSONField, Owned, SoftDelete, Timestamp, Timestamps
from crm_app.models.search import Searchable


class ActivityKind(StrEnum):
    TASK = "task"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    NOTE = "note"


class Activity(Owned, Timestamps, SoftDelete, Searchable, SQLModel, table=True):
    search_fields = (("subject",),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=ActivityKind.TASK, max_length=10, index=True)
    subject: str = Field(max_length=200)
    description: str = ""
    due_at: datetime | None = Timestamp(index=True)
    done_at: datetime | None = Timestamp(index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    source: str = Field(default="manual", max_length=40)  # manual | rule:<name> | system
    # --- h13-act (issue 13, activities and tasks; migration 0008_activities) ---
    quote_id: int | None = Field(default=None, foreign_key="quote.id", index=True)
    outcome: str = Field(default="", max_length=200)
    reminder_minutes: int | None = None
    reminder_sent_at: datetime | None = Timestamp()
    # --- h13-agenda (alembic 0009_calendars): the event's shared calendar, end, place ---
    calendar_id: int | None = Field(default=None, foreign_key="calendar.id", index=True)
    ends_at: datetime | None = Timestamp()
    location: str = Field(default="", max_length=200)


class Document(Owned, Timestamps, SoftDelete, Searchable, SQLModel, table=True):
    """A file attached to a commercial record; stored in the data dir, served only if allowed."""

    search_fields = (("filename",),)

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=255)
    content_type: str = Field(default="application/octet-stream", max_length=120)
    size: int = 0
    sha256: str = Field(default="", max_length=64)
    storage_key: str = Field(max_length=255)
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id", index=True)
    provided_by_customer: bool = False
    uploaded_by_id: int | None = Field(default=None, foreign_key="user.id")


class Alert(Owned, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    severity: str = Field(default="info", max_length=10)  # info | warning | critical
    message: str = Field(max_length=300)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    lead_id: int | None = Field(default=None, foreign_key="lead.id")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id")
    created_at: datetime = Timestamp(nullable=False, index=True)
    read_at: datetime | None = Timestamp()
    resolved_at: datetime | None = Timestamp()
    # h13-alerts (alembic 0011): why it fired, where from, its episode key, the record it is
    # about and the user's "descartar". ``severity`` is the alert's level (info|warning|critical):
    # the API and ``raise_alert`` call it ``level`` (the ``level`` property), one column.
    reason: str = Field(default="", max_length=500)
    source: str = Field(default="", max_length=60)  # builtin:<check> | rule:<id> | event:<name>
    dedup_key: str | None = Field(default=None, max_length=200, index=True)
    quote_id: int | None = Field(default=None, foreign_key="quote.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    activity_id: int | None = Field(default=None, foreign_key="activity.id", index=True)
    dismissed_at: datetime | None = Timestamp()

    @property
    def level(self) -> str:
        return self.severity


class NotificationPreference(SQLModel, table=True):
    """Whether a user gets their alerts through a channel (in_app | email | push); ``kind`` ""
    is every alert kind, a kind name overrides it for that kind. No row = the default."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "channel", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    channel: str = Field(max_length=10)
    kind: str = Field(default="", max_length=40)
    enabled: bool = True


class PushSubscription(SQLModel, table=True):
    """A browser's Web Push subscription (RFC 8030/8291): where to POST and its keys."""

    __tablename__ = "push_subscription"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    endpoint: str = Field(max_length=1000, unique=True)
    p256dh: str = Field(max_length=200)
    auth: str = Field(max_length=100)
    created_at: datetime = Timestamp(nullable=False)
    last_ok_at: datetime | None = Timestamp()
    failures: int = 0


class AssignmentAction(StrEnum):
    FIXED_USER = "fixed_user"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    TERRITORY = "territory"


class AssignmentRule(Timestamps, SQLModel, table=True):
    """An ordered lead-assignment rule: all conditions must match, then the action picks."""

    __tablename__ = "assignment_rule"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    position: int = Field(default=0, index=True)
    active: bool = True
    conditions: list = JSONField(list)  # [{"field", "op", "value"}]
    action: str = Field(default=AssignmentAction.FIXED_USER, max_length=20)
    config: dict = JSONField()  # {"user_id"} | {"team_id"} | {"territory": {prov: user_id}}
    cursor: int = 0  # round-robin position


class ImportStatus(StrEnum):
    PREVIEW = "preview"
    COMMITTED = "committed"
    UNDONE = "undone"
    FAILED = "failed"


class ImportBatch(SQLModel, table=True):
    """One file import: committed as a whole, undone as a whole."""

    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)
    filename: str = Field(default="", max_length=255)
    status: str = Field(default=ImportStatus.PREVIEW, max_length=12)
    on_duplicate: str = Field(default="skip", max_length=8)
    mapping: dict = JSONField()
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list = JSONField(list)
    duplicates: list = JSONField(list)
    previous_values: dict = JSONField()  # {id: {field: old}} for updated rows, used by undo
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Timestamp(nullable=False)
    undone_at: datetime | None = Timestamp()


class ImportTemplate(SQLModel, table=True):
    __tablename__ = "import_template"
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20)
    name: str = Field(max_length=120)
    mapping: dict = JSONField()
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Timestamp(nullable=False)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    at: datetime = Timestamp(nullable=False, index=True)
    entity: str = Field(max_length=30, index=True)
    entity_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=40)
    before: dict | None = JSONField(lambda: None)
    after: dict | None = JSONField(lambda: None)
    note: str = Field(default="", max_length=300)


class ReportSchedule(Timestamps, SQLModel, table=True):
    """A scheduled PDF report delivery; each recipient gets the report of their own scope."""

    __tablename__ = "report_schedule"
    id: int | None = Field(default=None, primary_key=True)
    report: str = Field(default="monthly", max_length=30)
    frequency: str = Field(default="monthly", max_length=10)  # weekly | monthly
    roles: list = JSONField(list)
    user_ids: list = JSONField(list)
    active: bool = True
    last_sent_at: datetime | None = Timestamp()
