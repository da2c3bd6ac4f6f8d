"""API shapes of ``/api/v1/automations`` (Ajustes → Automatizaciones, issue 13): not tables.

Bodies bound sizes and numbers; what a trigger, a field or an action means is checked by
``services.automation.rules.validate``, whose 422 names the field in Spanish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from crm_app.models.bounds import Id, IdList, JsonValue, Line, Text
from crm_app.models.schema_config import body, public
from crm_app.models.schemas_leads import RuleConditionCreate

EXAMPLE = {"name": "Oportunidad sin actividad 7 días", "active": True,
           "trigger": {"type": "idle", "entity": "opportunity", "days": 7},
           "conditions": [{"field": "amount", "op": "between", "value": [5000, None]}],
           "actions": [{"type": "create_task", "subject": "Llamar: {name}",
                        "due_in_hours": 24, "assignee": "owner"},
                       {"type": "create_alert", "level": "warning",
                        "message": "{name} lleva 7 días sin actividad"}]}


class AutomationTriggerCreate(BaseModel):
    """``type``: record_created | field_changed | stage_entered | idle | not_contacted |
    quote_expiring | close_date_passed | task_overdue; ``entity`` the record it watches."""

    model_config = body({"type": "field_changed", "entity": "opportunity", "field": "amount"},
                        strip=True)
    type: Line = Field(max_length=40)
    entity: Line | None = Field(default=None, max_length=20)
    field: Line | None = Field(default=None, max_length=80)
    days: int | None = Field(default=None, ge=0, le=365)
    hours: int | None = Field(default=None, ge=0, le=720)


class AutomationActionCreate(BaseModel):
    """One action; the keys its ``type`` uses (see the module docs of the rules)."""

    model_config = body({"type": "create_task", "subject": "Llamar: {name}",
                         "due_in_hours": 24, "assignee": "owner"}, strip=True)
    type: Line = Field(max_length=20)
    subject: Line | None = Field(default=None, max_length=200)
    due_in_hours: int | None = Field(default=None, ge=0, le=8760)
    assignee: Id | Line | None = Field(default=None)
    level: Line | None = Field(default=None, max_length=10)
    message: Line | None = Field(default=None, max_length=300)
    user_ids: IdList | None = None
    to: Line | None = Field(default=None, max_length=10)
    template: Text | None = Field(default=None, max_length=5000)
    user_id: Id | None = None
    field: Line | None = Field(default=None, max_length=80)
    value: JsonValue = None


class AutomationCreate(BaseModel):
    model_config = body(EXAMPLE, strip=True)
    name: Line = Field(max_length=120)
    active: bool = True
    trigger: AutomationTriggerCreate
    conditions: list[RuleConditionCreate] = Field(default_factory=list, max_length=20)
    actions: list[AutomationActionCreate] = Field(max_length=10)


class AutomationUpdate(BaseModel):
    """The keys sent change; the rule is validated again as a whole."""

    model_config = body({"active": False}, strip=True)
    name: Line | None = Field(default=None, max_length=120)
    active: bool | None = None
    trigger: AutomationTriggerCreate | None = None
    conditions: list[RuleConditionCreate] | None = Field(default=None, max_length=20)
    actions: list[AutomationActionCreate] | None = Field(default=None, max_length=10)


class AutomationSimulate(BaseModel):
    """``last_n``: how many recent records (event rules) the simulator replays."""

    model_config = body({"last_n": 100})
    last_n: int = Field(default=100, ge=1, le=1000)


class AutomationPublic(BaseModel):
    model_config = public()
    id: int
    name: str
    active: bool
    trigger: dict[str, Any]
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    position: int
    created_by_id: int | None
    created_at: datetime | None
    updated_at: datetime | None


class AutomationsPublic(BaseModel):
    model_config = public()
    data: list[AutomationPublic]
    count: int


class AutomationSimulationPublic(BaseModel):
    """What the rule would do now, writing nothing: ``mode`` now (time rules, the records it
    would fire on if the sweep ran now) or last_n (event rules, the last records)."""

    model_config = public()
    mode: str
    checked: int
    fired: int
    tasks: int
    alerts: int
    emails: int
    rows: list[dict[str, Any]]


class AutomationRunPublic(BaseModel):
    model_config = public()
    id: int
    rule_id: int
    rule: str
    entity: str
    record_id: int
    record: str
    status: str  # done | depth_capped | failed
    depth: int
    actions: list[dict[str, Any]]
    did: str
    created_at: datetime


class AutomationRunsPublic(BaseModel):
    model_config = public()
    data: list[AutomationRunPublic]
    count: int
