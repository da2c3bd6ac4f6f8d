"""API shapes for leads, assignment rules, custom fields and saved views (not tables).

Named ``XCreate``/``XUpdate``/``XPublic``/``XsPublic`` like every router's schemas (see
``schema_config``). Decimals travel as strings, datetimes as ISO 8601 in UTC. Request bodies
forbid unknown keys so a typo is a 422 naming the field rather than a silently ignored value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field, field_serializer, field_validator

from crm_app.models.bounds import (
    Id,
    IdList,
    JsonObject,
    JsonValue,
    Line,
    Position,
    Text,
)
from crm_app.models.schema_config import body, public
from crm_app.models.schemas_personal import Consent, LegalBasis


class _In(BaseModel):
    model_config = body(strip=True)


class LeadCreate(_In):
    """A new lead; without ``owner_id`` the assignment rules choose the owner."""

    model_config = body({"first_name": "Ana", "last_name": "Ruiz", "company": "Ruiz Reformas",
                         "email": "ana@ruizreformas.es", "phone": "600 11 22 33",
                         "province": "Sevilla", "source": "Web"}, strip=True)

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
    legal_basis: LegalBasis = ""
    consent: Consent = Field(default_factory=dict)


class LeadUpdate(_In):
    """Partial update: only the keys sent are changed."""

    model_config = body({"status": "descartado", "discard_reason": "Sin presupuesto"},
                        strip=True)

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
    legal_basis: LegalBasis | None = None
    consent: Consent | None = None


class _Out(BaseModel):
    model_config = public()

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
    legal_basis: str = ""
    consent: dict[str, Any] = {}
    anonymised_at: datetime | None = None


class LeadsPublic(BaseModel):
    data: list[LeadPublic]
    count: int


class DuplicatePublic(BaseModel):
    """A record that shares an e-mail, phone or NIF; out of scope: ``visible`` false and no
    details."""

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


class DuplicatesPublic(BaseModel):
    data: list[DuplicatePublic]
    count: int


class LeadConvert(_In):
    """Convert into a customer and a contact (and an opportunity if asked)."""

    model_config = body({"create_opportunity": True, "opportunity_name": "Reforma local",
                         "amount": "12500.50"}, strip=True)

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


class LeadConversionPublic(BaseModel):
    lead_id: int
    account_id: int
    account_matched: bool
    contact_id: int
    opportunity_id: int | None
    moved_activities: int
    moved_documents: int


class LeadBulk(_In):
    """``assign`` (with ``owner_id``), ``status`` (with ``status``) or ``delete``."""

    model_config = body({"ids": [12, 15, 18], "action": "assign", "owner_id": 4}, strip=True)

    ids: IdList = Field(min_length=1)
    action: Literal["assign", "status", "delete"]
    owner_id: Id | None = None
    status: Line | None = None
    discard_reason: Line = ""


class LeadBulkPublic(BaseModel):
    changed: int


class TimelineEntryPublic(BaseModel):
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


class TimelinePublic(BaseModel):
    data: list[TimelineEntryPublic]
    count: int


# --- assignment rules ----------------------------------------------------------------------


class RuleConditionCreate(_In):
    field: Line = ""
    op: Line
    value: JsonValue = None


class RuleCreate(_In):
    """A rule: all ``conditions`` must hold; ``action`` and ``config`` choose the owner."""

    model_config = body({"name": "Andalucía por turnos", "conditions": [
        {"field": "province", "op": "region_in", "value": ["Andalucía"]}],
        "action": "round_robin", "config": {"team_id": 2}}, strip=True)

    name: Line = Field(max_length=120)
    position: Position | None = None
    active: bool = True
    conditions: list[RuleConditionCreate] = Field(default_factory=list)
    action: Line
    config: JsonObject = Field(default_factory=dict)


class RuleUpdate(_In):
    model_config = body({"active": False}, strip=True)

    name: Line | None = Field(default=None, max_length=120)
    position: Position | None = None
    active: bool | None = None
    conditions: list[RuleConditionCreate] | None = None
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


class RulesPublic(BaseModel):
    data: list[RulePublic]
    count: int


class RuleOrder(_In):
    """Every rule id, in the new order."""

    model_config = body({"ids": [3, 1, 2]}, strip=True)

    ids: IdList


class RuleSimulate(_In):
    """Where the last ``last_n`` leads would have gone under the draft ``rules``."""

    model_config = body({"rules": [{"name": "Todo a Norte", "action": "round_robin",
                                    "config": {"team_id": 1}}], "last_n": 200}, strip=True)

    rules: list[RuleCreate]
    last_n: int = Field(default=200, ge=1, le=10_000)


# --- custom fields -------------------------------------------------------------------------


class CustomFieldCreate(_In):
    model_config = body({"entity": "lead", "key": "zona", "label": "Zona", "type": "choice",
                         "choices": ["Norte", "Sur"]}, strip=True)

    entity: Literal["lead", "account", "contact", "opportunity"]
    key: Line = Field(max_length=60)
    label: Line = Field(max_length=120)
    type: Literal["text", "number", "date", "choice", "bool"] = "text"
    choices: list[Line] = Field(default_factory=list)
    position: Position | None = None


class CustomFieldUpdate(_In):
    model_config = body({"label": "Zona comercial"}, strip=True)

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


class CustomFieldsPublic(BaseModel):
    data: list[CustomFieldPublic]
    count: int


# --- saved views ---------------------------------------------------------------------------


class SavedViewCreate(_In):
    model_config = body({"entity": "lead", "name": "Mis leads nuevos",
                         "filters": {"status": ["nuevo"], "sort": "created_at"}}, strip=True)

    entity: Line = "lead"
    name: Line = Field(max_length=120)
    filters: JsonObject = Field(default_factory=dict)


class SavedViewUpdate(_In):
    model_config = body({"name": "Nuevos esta semana"}, strip=True)

    name: Line | None = Field(default=None, max_length=120)
    filters: JsonObject | None = None


class SavedViewPublic(_Out):
    id: int
    entity: str
    name: str
    filters: dict[str, Any]
    created_at: datetime | None


class SavedViewsPublic(BaseModel):
    data: list[SavedViewPublic]
    count: int


__all__ = ["CustomFieldCreate", "CustomFieldPublic", "CustomFieldUpdate", "CustomFieldsPublic",
           "DuplicatePublic", "DuplicatesPublic", "LeadBulk", "LeadBulkPublic",
           "LeadConversionPublic", "LeadConvert", "LeadCreate", "LeadPublic", "LeadUpdate",
           "LeadsPublic", "RuleConditionCreate", "RuleCreate", "RuleOrder", "RulePublic",
           "RuleSimulate", "RuleUpdate", "RulesPublic", "SavedViewCreate", "SavedViewPublic",
           "SavedViewUpdate", "SavedViewsPublic", "TimelineEntryPublic", "TimelinePublic"]
