"""API shapes for leads, assignment rules, custom fields and saved views (not tables).

Decimals travel as strings, datetimes as ISO 8601 in UTC. Request bodies forbid unknown keys so
a typo is a 422 naming the field rather than a silently ignored value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class LeadCreate(_In):
    first_name: str = Field(default="", max_length=120)
    last_name: str = Field(default="", max_length=160)
    company: str = Field(default="", max_length=200)
    nif: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=40)
    position: str = Field(default="", max_length=120)
    province: str = Field(default="", max_length=60)
    city: str = Field(default="", max_length=120)
    source: str = Field(default="", max_length=60)
    status: str = Field(default="nuevo", max_length=20)
    discard_reason: str = Field(default="", max_length=200)
    notes: str = Field(default="", max_length=20000)
    custom: dict[str, Any] = Field(default_factory=dict)
    owner_id: int | None = None


class LeadUpdate(_In):
    """Partial update: only the keys sent are changed."""

    first_name: str | None = Field(default=None, max_length=120)
    last_name: str | None = Field(default=None, max_length=160)
    company: str | None = Field(default=None, max_length=200)
    nif: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    position: str | None = Field(default=None, max_length=120)
    province: str | None = Field(default=None, max_length=60)
    city: str | None = Field(default=None, max_length=120)
    source: str | None = Field(default=None, max_length=60)
    status: str | None = Field(default=None, max_length=20)
    discard_reason: str | None = Field(default=None, max_length=200)
    notes: str | None = Field(default=None, max_length=20000)
    custom: dict[str, Any] | None = None
    owner_id: int | None = None


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
    pipeline_id: int | None = None
    opportunity_name: str | None = Field(default=None, max_length=200)
    amount: str | None = None  # "12500.50" or "12.500,50"
    account_id: int | None = None

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
    ids: list[int] = Field(min_length=1, max_length=5000)
    action: Literal["assign", "status", "delete"]
    owner_id: int | None = None
    status: str | None = None
    discard_reason: str = ""


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
    field: str = ""
    op: str
    value: Any = None


class RuleIn(_In):
    name: str = Field(max_length=120)
    position: int | None = None
    active: bool = True
    conditions: list[ConditionIn] = Field(default_factory=list)
    action: str
    config: dict[str, Any] = Field(default_factory=dict)


class RuleUpdate(_In):
    name: str | None = Field(default=None, max_length=120)
    position: int | None = None
    active: bool | None = None
    conditions: list[ConditionIn] | None = None
    action: str | None = None
    config: dict[str, Any] | None = None


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
    ids: list[int]


class SimulateRequest(_In):
    rules: list[RuleIn]
    last_n: int = Field(default=200, ge=1, le=10_000)


# --- custom fields -------------------------------------------------------------------------


class CustomFieldIn(_In):
    entity: Literal["lead", "account", "contact", "opportunity"]
    key: str = Field(max_length=60)
    label: str = Field(max_length=120)
    type: Literal["text", "number", "date", "choice", "bool"] = "text"
    choices: list[str] = Field(default_factory=list)
    position: int | None = None


class CustomFieldUpdate(_In):
    label: str | None = Field(default=None, max_length=120)
    choices: list[str] | None = None
    position: int | None = None
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
    entity: str = "lead"
    name: str = Field(max_length=120)
    filters: dict[str, Any] = Field(default_factory=dict)


class SavedViewUpdate(_In):
    name: str | None = Field(default=None, max_length=120)
    filters: dict[str, Any] | None = None


class SavedViewPublic(_Out):
    id: int
    entity: str
    name: str
    filters: dict[str, Any]
    created_at: datetime | None
