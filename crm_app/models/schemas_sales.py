"""API shapes for customers, pipelines, opportunities, catalog and quotes (not tables).

Decimals travel as strings (``"1234.50"``): pydantic serialises ``Decimal`` that way and
accepts strings or numbers on input. ``*Patch`` models are read with
``model_dump(exclude_unset=True)`` so only the fields sent are changed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_app.models.bounds import (
    Day,
    Id,
    JsonObject,
    Line,
    Moment,
    Number,
    Position,
    SmallInt,
    Text,
)

TaxRate = Number | Literal["exento"]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel):
    items: list[Any]
    total: int
    offset: int
    limit: int


# --- accounts and contacts --------------------------------------------------------------------


class AccountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line | None = None
    trade_name: Line | None = None
    nif: Line | None = None
    sector: Line | None = None
    size_band: Line | None = None
    address: Line | None = None
    postal_code: Line | None = None
    city: Line | None = None
    province: Line | None = None
    country: Line | None = None
    email: Line | None = None
    phone: Line | None = None
    website: Line | None = None
    channel: Line | None = None
    recargo_equivalencia: bool | None = None
    notes: Text | None = None
    custom: JsonObject | None = None
    owner_id: Id | None = None
    lead_id: Id | None = None
    created_at: Moment | None = None  # admins only (history load)


class AccountIn(AccountPatch):
    name: Line


class AccountOut(_Out):
    id: int
    name: str
    trade_name: str
    nif: str
    sector: str
    size_band: str
    address: str
    postal_code: str
    city: str
    province: str
    country: str
    email: str
    phone: str
    website: str
    channel: str
    recargo_equivalencia: bool
    notes: str
    custom: dict[str, Any]
    owner_id: int | None
    team_id: int | None
    lead_id: int | None
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: Id | None = None
    first_name: Line | None = None
    last_name: Line | None = None
    email: Line | None = None
    phone: Line | None = None
    position: Line | None = None
    nif: Line | None = None
    custom: JsonObject | None = None
    owner_id: Id | None = None
    lead_id: Id | None = None
    created_at: Moment | None = None


class ContactIn(ContactPatch):
    pass


class ContactOut(_Out):
    id: int
    account_id: int | None
    first_name: str
    last_name: str
    email: str
    phone: str
    position: str
    nif: str
    custom: dict[str, Any]
    owner_id: int | None
    team_id: int | None
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None


# --- pipelines --------------------------------------------------------------------------------


class StageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Id | None = None
    name: Line
    kind: Literal["open", "won", "lost"] = "open"
    probability: SmallInt | None = None
    required_fields: list[Line] = Field(default_factory=list)
    stale_days: SmallInt | None = None


class StagePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line | None = None
    kind: Literal["open", "won", "lost"] | None = None
    probability: SmallInt | None = None
    required_fields: list[Line] | None = None
    stale_days: SmallInt | None = None
    position: Position | None = None


class PipelineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line
    is_default: bool = False
    stages: list[StageIn] | None = None


class PipelinePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line | None = None
    is_default: bool | None = None
    active: bool | None = None
    position: Position | None = None
    stages: list[StageIn] | None = None


class StageOut(BaseModel):
    id: int
    name: str
    position: int
    probability: int
    kind: str
    kind_label: str = ""
    required_fields: list[str]
    stale_days: int | None
    opportunities: int = 0


class PipelineOut(BaseModel):
    id: int
    name: str
    is_default: bool
    position: int
    active: bool
    stages: list[StageOut]


# --- opportunities ----------------------------------------------------------------------------


class OpportunityPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line | None = None
    account_id: Id | None = None
    contact_id: Id | None = None
    lead_id: Id | None = None
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    product_id: Id | None = None
    amount: Number | None = None
    expected_close: Day | None = None
    channel: Line | None = None
    description: Text | None = None
    lost_reason: Line | None = None
    custom: JsonObject | None = None
    owner_id: Id | None = None
    created_at: Moment | None = None  # admins only
    closed_at: Moment | None = None  # admins only


class OpportunityIn(OpportunityPatch):
    name: Line


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage_id: Id
    fields: JsonObject = Field(default_factory=dict)  # e.g. {"lost_reason": "Precio"}


class OpportunityOut(BaseModel):
    id: int
    name: str
    account_id: int | None
    account_name: str = ""
    contact_id: int | None
    pipeline_id: int
    stage_id: int
    stage_name: str
    kind: str
    probability: int
    amount: Decimal
    weighted: Decimal
    expected_close: date | None
    channel: str
    owner_id: int | None
    owner: str = ""
    team_id: int | None
    created_at: datetime
    closed_at: datetime | None
    stage_entered_at: datetime | None
    last_activity_at: datetime | None
    lost_reason: str
    days_in_stage: int | None
    days_idle: int | None
    stale: bool


class StageChangeOut(BaseModel):
    id: int
    from_stage_id: int | None
    to_stage_id: int
    from_stage: str
    to_stage: str
    changed_at: datetime
    changed_by_id: int | None
    changed_by: str


# --- catalog ----------------------------------------------------------------------------------


class ProductPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line | None = None
    sku: Line | None = None
    description: Text | None = None
    unit_price: Number | None = None
    tax_rate: TaxRate | None = None
    tax_exempt: bool | None = None
    unit: Line | None = None
    active: bool | None = None


class ProductIn(ProductPatch):
    name: Line
    sku: Line
    unit_price: Number


class ProductOut(_Out):
    id: int
    name: str
    sku: str
    description: str
    unit_price: Decimal
    tax_rate: Decimal
    tax_exempt: bool
    unit: str
    active: bool
    image_path: str
    created_at: datetime
    updated_at: datetime | None


# --- quotes -----------------------------------------------------------------------------------


class QuoteLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: Id | None = None
    description: Text | None = None
    quantity: Number = Decimal(1)
    unit_price: Number | None = None
    discount_pct: Number | None = None
    tax_rate: TaxRate | None = None
    tax_exempt: bool | None = None
    unit: Line | None = None


class QuotePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account_id: Id | None = None
    opportunity_id: Id | None = None
    contact_id: Id | None = None
    lines: list[QuoteLineIn] | None = None
    global_discount_pct: Number | None = None
    recargo_equivalencia: bool | None = None
    irpf_pct: Number | None = None
    issue_date: Day | None = None
    valid_until: Day | None = None
    conditions: Text | None = None
    notes: Text | None = None


class QuoteIn(QuotePatch):
    lines: list[QuoteLineIn]


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: list[Line] | None = None
    message: Text = ""


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Text = ""


class TaxRowOut(BaseModel):
    rate: str  # "21", "10", "4", "0", "exento"; for recargo "5.2", "1.4", "0.5"
    base: str
    amount: str
    iva_rate: str | None = None


class TotalsOut(BaseModel):
    subtotal: str
    global_discount_pct: str
    discount: str
    base: str
    taxes: list[TaxRowOut]
    tax: str
    recargo: list[TaxRowOut]
    recargo_total: str
    irpf_pct: str
    irpf: str
    total: str


class QuoteLineOut(BaseModel):
    id: int
    position: int
    product_id: int | None
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    discount_pct: Decimal
    tax_rate: str
    tax_exempt: bool
    line_base: Decimal


class QuoteVersionOut(BaseModel):
    id: int
    version: int
    status: str


class QuoteSummaryOut(BaseModel):
    id: int
    number: str
    version: int
    label: str
    status: str
    status_label: str
    account_id: int
    account_name: str = ""
    opportunity_id: int | None
    issue_date: date
    valid_until: date
    base_total: Decimal
    total: Decimal
    owner_id: int | None
    owner: str = ""
    sent_at: datetime | None
    decided_at: datetime | None


class QuoteOut(QuoteSummaryOut):
    contact_id: int | None
    team_id: int | None
    global_discount_pct: Decimal
    recargo_equivalencia: bool
    irpf_pct: Decimal
    conditions: str
    notes: str
    created_at: datetime
    updated_at: datetime | None
    editable: bool
    versions: list[QuoteVersionOut]
    lines: list[QuoteLineOut]
    totals: TotalsOut


__all__ = ["AccountIn", "AccountOut", "AccountPatch", "ContactIn", "ContactOut", "ContactPatch",
           "MoveIn", "OpportunityIn", "OpportunityOut", "OpportunityPatch", "PageOut",
           "PipelineIn", "PipelineOut", "PipelinePatch", "ProductIn", "ProductOut",
           "ProductPatch", "QuoteIn", "QuoteLineIn", "QuoteLineOut", "QuoteOut", "QuotePatch",
           "QuoteSummaryOut", "RejectIn", "SendIn", "StageChangeOut", "StageIn", "StageOut",
           "StagePatch", "TotalsOut"]
