"""API shapes for leads, assignment rules, custom fields and saved views (not tables).

Decimals travel as strings, datetimes as ISO 8601 in UTC. Request bodies forbid unknown keys so
a typo is a 422 naming the field rather than a silently ignored value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from crm_app.models.bounds import (
    Id,
    IdList,
    JsonObject,
    JsonValue,
    Line,
    Position,
    Text,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LeadCreate(_In):
    first_name: Line = Field(default="", max_length=120)
    last_name: Line = Field(default="", max_length=160)
    company: Line = Field(default="", max_length=200)
    nif: Line = Field(default="", max_length=30)
    email: Line = Field(default="", max_length=254)
    phone: Line = Field(default="", max_length=40)
    position: Line = Field(default="", max_length=120)
    province: Line = Field(default="", max_length=60)
    city: Line = Field(default="", max_length=120)
    source: Line = Field(default="", max_length=60)
    status: Line = Field(default="nuevo", max_length=20)
    discard_reason: Line = Field(default="", max_length=200)
    notes: Text = Field(default="", max_length=20000)
    custom: JsonObject = Field(default_factory=dict)
    owner_id: Id | None = None


class LeadUpdate(_In):
    """Partial update: only the keys sent are changed."""

    first_name: Line | None = Field(default=None, max_length=120)
    last_name: Line | None = Field(default=None, max_length=160)
    company: Line | None = Field(default=None, max_length=200)
    nif: Line | None = Field(default=None, max_length=30)
    email: Line | None = Field(default=None, max_length=254)
    phone: Line | None = Field(default=None, max_length=40)
    position: Line | None = Field(default=None, max_length=120)
    province: Line | None = Field(default=None, max_length=60)
    city: Line | None = Field(default=None, max_length=120)
    source: Line | None = Field(default=None, max_length=60)
    status: Line | None = Field(default=None, max_length=20)
    discard_reason: Line | None = Field(default=None, max_length=200)
    notes: Text | None = Field(default=None, max_length=20000)
    custom: JsonObject | None = None
    owner_id: Id | None = None


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @field_serializer("*", when_used="json", check_fields=False)
    def _utc(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat().replace("+00:00", "Z")
        return value


class LeadPublic(_Out):
    id: int
    first_name: str
    last_name: str
    name: str
    display_name: str
    company: str
    nif: str
    email: str
    phone: str
    position: str
    province: str
    city: str
    source: str
    status: str
    discard_reason: str
    notes: str
    custom: dict[str, Any]
    owner_id: int | None
    owner_name: str = ""
    team_id: int | None
    team_name: str = ""
    assigned_rule_id: int | None
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    first_contacted_at: datetime | None
    converted_at: datetime | None
    converted_account_id: int | None
    converted_contact_id: int | None
    converted_opportunity_id: int | None
    import_batch_id: int | None


class LeadList(BaseModel):
    data: list[LeadPublic]
    count: int


class Duplicate(BaseModel):
    entity: Literal["lead", "contact", "account"]
    id: int | None
    visible: bool
    name: str
    company: str
    field: str
    fields: list[str]
    email: str
    phone: str
    nif: str
    owner_id: int | None
    owner_name: str
    status: str | None


class DuplicateList(BaseModel):
    data: list[Duplicate]
    count: int


class ConvertRequest(_In):
    create_opportunity: bool = False
    pipeline_id: Id | None = None
    opportunity_name: Line | None = Field(default=None, max_length=200)
    amount: Line | None = None  # "12500.50" or "12.500,50"
    account_id: Id | None = None

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
            else value


class ConvertResult(BaseModel):
    lead_id: int
    account_id: int
    account_matched: bool
    contact_id: int
    opportunity_id: int | None
    moved_activities: int
    moved_documents: int


class BulkRequest(_In):
    ids: IdList = Field(min_length=1)
    action: Literal["assign", "status", "delete"]
    owner_id: Id | None = None
    status: Line | None = None
    discard_reason: Line = ""


class BulkResult(BaseModel):
    changed: int


class TimelineItem(BaseModel):
    kind: Literal["event", "activity"]
    id: int
    at: str
    title: str
    detail: str
    action: str
    actor_id: int | None
    actor_name: str
    changes: list[dict[str, Any]] = []
    due_at: str | None = None
    done_at: str | None = None


# --- assignment rules ----------------------------------------------------------------------


class ConditionIn(_In):
    field: Line = ""
    op: Line
    value: JsonValue = None


class RuleIn(_In):
    name: Line = Field(max_length=120)
    position: Position | None = None
    active: bool = True
    conditions: list[ConditionIn] = Field(default_factory=list)
    action: Line
    config: JsonObject = Field(default_factory=dict)


class RuleUpdate(_In):
    name: Line | None = Field(default=None, max_length=120)
    position: Position | None = None
    active: bool | None = None
    conditions: list[ConditionIn] | None = None
    action: Line | None = None
    config: JsonObject | None = None


class RulePublic(_Out):
    id: int
    name: str
    position: int
    active: bool
    conditions: list[dict[str, Any]]
    action: str
    config: dict[str, Any]
    cursor: int


class RuleOrder(_In):
    ids: IdList


class SimulateRequest(_In):
    rules: list[RuleIn]
    last_n: int = Field(default=200, ge=1, le=10_000)


# --- custom fields -------------------------------------------------------------------------


class CustomFieldIn(_In):
    entity: Literal["lead", "account", "contact", "opportunity"]
    key: Line = Field(max_length=60)
    label: Line = Field(max_length=120)
    type: Literal["text", "number", "date", "choice", "bool"] = "text"
    choices: list[Line] = Field(default_factory=list)
    position: Position | None = None


class CustomFieldUpdate(_In):
    label: Line | None = Field(default=None, max_length=120)
    choices: list[Line] | None = None
    position: Position | None = None
    active: bool | None = None


class CustomFieldPublic(_Out):
    id: int
    entity: str
    key: str
    label: str
    type: str
    choices: list[str]
    position: int
    active: bool


# --- saved views ---------------------------------------------------------------------------


class SavedViewIn(_In):
    entity: Line = "lead"
    name: Line = Field(max_length=120)
    filters: JsonObject = Field(default_factory=dict)


class SavedViewUpdate(_In):
    name: Line | None = Field(default=None, max_length=120)
    filters: JsonObject | None = None


class SavedViewPublic(_Out):
    id: int
    entity: str
    name: str
    filters: dict[str, Any]
    created_at: datetime | None
