"""API shapes for customers, pipelines, opportunities, catalog and quotes (not tables).

Named ``XCreate``/``XUpdate``/``XPublic``/``XsPublic`` like every router's schemas (see
``schema_config``). Decimals travel as strings (``"1234.50"``): pydantic serialises ``Decimal``
that way and accepts strings or numbers on input. ``XUpdate`` bodies are read with
``model_dump(exclude_unset=True)`` so only the fields sent are changed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

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
from crm_app.models.schema_config import body, public
from crm_app.models.schemas_personal import Consent, LegalBasis

TaxRate = Number | Literal["exento"]


class _Out(BaseModel):
    model_config = public()


# --- accounts and contacts --------------------------------------------------------------------


class AccountUpdate(BaseModel):
    """The customer's fields to change; ``created_at`` only for admins (history load)."""

    model_config = body({"phone": "954 12 34 56", "sector": "Hostelería"})
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


class AccountCreate(AccountUpdate):
    """A new customer (``name`` required); the NIF, phone and province are normalised."""

    model_config = body({"name": "Talleres Ruiz S.L.", "nif": "B12345674",
                         "postal_code": "41001", "city": "Sevilla",
                         "email": "info@talleres.es", "recargo_equivalencia": True})
    name: Line


class AccountPublic(_Out):
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


class ContactUpdate(BaseModel):
    model_config = body({"position": "Compras", "phone": "600 11 22 33"})
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
    legal_basis: LegalBasis | None = None
    consent: Consent | None = None


class ContactCreate(ContactUpdate):
    """A new contact; with ``account_id`` it belongs to (and is owned like) that customer."""

    model_config = body({"account_id": 1, "first_name": "Eva", "last_name": "Martín",
                         "email": "eva@talleres.es"})


class ContactPublic(_Out):
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
    legal_basis: str = ""
    consent: dict[str, Any] = {}
    anonymised_at: datetime | None = None


class AccountsPublic(BaseModel):
    data: list[AccountPublic]
    count: int


class ContactsPublic(BaseModel):
    data: list[ContactPublic]
    count: int


# --- pipelines --------------------------------------------------------------------------------


class StageCreate(BaseModel):
    """A stage as sent in a pipeline's ``stages`` (with ``id`` to keep an existing one)."""

    model_config = body()
    id: Id | None = None
    name: Line
    kind: Literal["open", "won", "lost"] = "open"
    probability: SmallInt | None = None
    required_fields: list[Line] = Field(default_factory=list)
    stale_days: SmallInt | None = None


class PipelineCreate(BaseModel):
    """Without ``stages`` the pipeline gets a copy of the default Spanish stages."""

    model_config = body({"name": "Renovaciones", "stages": [
        {"name": "Aviso", "probability": 30}, {"name": "Renovada", "kind": "won"},
        {"name": "Baja", "kind": "lost", "required_fields": ["lost_reason"]}]})
    name: Line
    is_default: bool = False
    stages: list[StageCreate] | None = None


class PipelineUpdate(BaseModel):
    """``stages`` replaces the whole list: a stage left out is removed (409 while it still
    holds opportunities)."""

    model_config = body({"name": "Renovaciones anuales"})
    name: Line | None = None
    is_default: bool | None = None
    active: bool | None = None
    position: Position | None = None
    stages: list[StageCreate] | None = None


class StagePublic(BaseModel):
    id: int
    name: str
    position: int
    probability: int
    kind: str
    kind_label: str = ""
    required_fields: list[str]
    stale_days: int | None
    opportunities: int = 0


class PipelinePublic(BaseModel):
    id: int
    name: str
    is_default: bool
    position: int
    active: bool
    stages: list[StagePublic]


class PipelinesPublic(BaseModel):
    data: list[PipelinePublic]
    count: int


# --- opportunities ----------------------------------------------------------------------------


class OpportunityUpdate(BaseModel):
    """``created_at`` and ``closed_at`` only for admins (history load)."""

    model_config = body({"amount": "13000.00", "expected_close": "2026-03-31"})
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


class OpportunityCreate(OpportunityUpdate):
    """A new opportunity: in ``pipeline_id`` (else the default pipeline), at ``stage_id``
    (else that pipeline's first open stage)."""

    model_config = body({"name": "Renovación flota", "account_id": 1,
                         "amount": "12500.50", "expected_close": "2026-02-28"})
    name: Line


class OpportunityMove(BaseModel):
    """Move to another stage; ``fields`` carries what the stage requires."""

    model_config = body({"stage_id": 6, "fields": {"lost_reason": "Precio"}})
    stage_id: Id
    fields: JsonObject = Field(default_factory=dict)  # e.g. {"lost_reason": "Precio"}


class OpportunityPublic(BaseModel):
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


class OpportunitiesPublic(BaseModel):
    data: list[OpportunityPublic]
    count: int


class StageChangePublic(BaseModel):
    id: int
    from_stage_id: int | None
    to_stage_id: int
    from_stage: str
    to_stage: str
    changed_at: datetime
    changed_by_id: int | None
    changed_by: str


class StageChangesPublic(BaseModel):
    data: list[StageChangePublic]
    count: int


# --- catalog ----------------------------------------------------------------------------------


class ProductUpdate(BaseModel):
    model_config = body({"unit_price": "99.90", "tax_rate": "exento"})
    name: Line | None = None
    sku: Line | None = None
    description: Text | None = None
    unit_price: Number | None = None
    tax_rate: TaxRate | None = None
    tax_exempt: bool | None = None
    unit: Line | None = None
    active: bool | None = None


class ProductCreate(ProductUpdate):
    """A catalog product: ``tax_rate`` 21, 10, 4, 0 or ``"exento"``."""

    model_config = body({"name": "Licencia anual", "sku": "LIC-1", "unit_price": "1234.50",
                         "tax_rate": "21", "unit": "ud."})
    name: Line
    sku: Line
    unit_price: Number


class ProductPublic(_Out):
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


class ProductsPublic(BaseModel):
    data: list[ProductPublic]
    count: int


# --- quotes -----------------------------------------------------------------------------------


class QuoteLineCreate(BaseModel):
    """One line; price, tax and unit default to the product's when ``product_id`` is set."""

    model_config = body()
    product_id: Id | None = None
    description: Text | None = None
    quantity: Number = Decimal(1)
    unit_price: Number | None = None
    discount_pct: Number | None = None
    tax_rate: TaxRate | None = None
    tax_exempt: bool | None = None
    unit: Line | None = None


class QuoteUpdate(BaseModel):
    """Only drafts change; ``lines`` replaces every line."""

    model_config = body({"global_discount_pct": "10", "valid_until": "2026-01-31"})
    account_id: Id | None = None
    opportunity_id: Id | None = None
    contact_id: Id | None = None
    lines: list[QuoteLineCreate] | None = None
    global_discount_pct: Number | None = None
    recargo_equivalencia: bool | None = None
    irpf_pct: Number | None = None
    issue_date: Day | None = None
    valid_until: Day | None = None
    conditions: Text | None = None
    notes: Text | None = None


class QuoteCreate(QuoteUpdate):
    """A draft quote; ``recargo_equivalencia`` defaults to the customer's flag."""

    model_config = body({"account_id": 1, "opportunity_id": 1, "lines": [
        {"product_id": 1, "description": "Taladro percutor", "quantity": "2",
         "unit_price": "89.90", "discount_pct": "10", "tax_rate": "21"},
        {"description": "Curso de uso", "quantity": "1", "unit_price": "50",
         "tax_rate": "exento"}]})

    lines: list[QuoteLineCreate]


class QuoteSend(BaseModel):
    """E-mail the PDF (to the contact's address when ``to`` is left out)."""

    model_config = body({"to": ["compras@talleres.es"], "message": "Adjunto presupuesto."})
    to: list[Line] | None = None
    message: Text = ""


class QuoteReject(BaseModel):
    model_config = body({"reason": "No interesa"})
    reason: Text = ""


class TaxRowPublic(BaseModel):
    rate: str  # "21", "10", "4", "0", "exento"; for recargo "5.2", "1.4", "0.5"
    base: str
    amount: str
    iva_rate: str | None = None


class QuoteTotalsPublic(BaseModel):
    subtotal: str
    global_discount_pct: str
    discount: str
    base: str
    taxes: list[TaxRowPublic]
    tax: str
    recargo: list[TaxRowPublic]
    recargo_total: str
    irpf_pct: str
    irpf: str
    total: str


class QuoteLinePublic(BaseModel):
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


class QuoteVersionPublic(BaseModel):
    id: int
    version: int
    status: str


class QuoteSummaryPublic(BaseModel):
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


class QuotePublic(QuoteSummaryPublic):
    """The whole quote: header, lines, versions and the tax breakdown."""

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
    versions: list[QuoteVersionPublic]
    lines: list[QuoteLinePublic]
    totals: QuoteTotalsPublic



class QuotesPublic(BaseModel):
    """Quotes as listed (the summary of each; ``GET /quotes/{id}`` has the lines)."""

    data: list[QuoteSummaryPublic]
    count: int


__all__ = ["AccountCreate", "AccountPublic", "AccountUpdate", "AccountsPublic", "ContactCreate",
           "ContactPublic", "ContactUpdate", "ContactsPublic", "OpportunitiesPublic",
           "OpportunityCreate", "OpportunityMove", "OpportunityPublic", "OpportunityUpdate",
           "PipelineCreate", "PipelinePublic", "PipelineUpdate", "PipelinesPublic",
           "ProductCreate", "ProductPublic", "ProductUpdate", "ProductsPublic", "QuoteCreate",
           "QuoteLineCreate", "QuoteLinePublic", "QuotePublic", "QuoteReject", "QuoteSend",
           "QuoteSummaryPublic", "QuoteTotalsPublic", "QuoteUpdate", "QuoteVersionPublic",
           "QuotesPublic", "StageChangePublic", "StageChangesPublic", "StageCreate", "StagePublic",
           "TaxRowPublic"]
