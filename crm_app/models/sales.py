"""Pipelines, opportunities and their stage history, the product catalog, quotes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Numeric, UniqueConstraint
from sqlmodel import Field, SQLModel

from crm_app.models.base import JSONField, Money, Owned, Rate, SoftDelete, Timestamp, Timestamps
from crm_app.models.search import Searchable


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class Pipeline(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    is_default: bool = False
    position: int = 0
    active: bool = True


class Stage(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pipeline_id: int = Field(foreign_key="pipeline.id", index=True)
    name: str = Field(max_length=80)
    position: int = 0
    probability: int = 0  # 0..100
    kind: str = Field(default=StageKind.OPEN, max_length=10)
    required_fields: list = JSONField(list)  # e.g. ["lost_reason"] when entering
    stale_days: int | None = None  # "sin actividad" marker after N days in this stage


class Opportunity(Owned, Timestamps, SoftDelete, Searchable, SQLModel, table=True):
    search_fields = (("name",),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    lead_id: int | None = Field(default=None, foreign_key="lead.id", index=True)
    pipeline_id: int = Field(foreign_key="pipeline.id", index=True)
    stage_id: int = Field(foreign_key="stage.id", index=True)
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    amount: Decimal = Money()
    expected_close: date | None = None
    channel: str = Field(default="", max_length=60, index=True)
    lost_reason: str = Field(default="", max_length=200)
    description: str = ""
    custom: dict = JSONField()
    stage_entered_at: datetime | None = Timestamp()
    last_activity_at: datetime | None = Timestamp()
    closed_at: datetime | None = Timestamp(index=True)
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)


class StageChange(Owned, SQLModel, table=True):
    """One move of an opportunity between stages; the analytics history."""

    __tablename__ = "stage_change"
    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(foreign_key="opportunity.id", index=True)
    from_stage_id: int | None = Field(default=None, foreign_key="stage.id")
    to_stage_id: int = Field(foreign_key="stage.id")
    changed_at: datetime = Timestamp(nullable=False, index=True)
    changed_by_id: int | None = Field(default=None, foreign_key="user.id")


class Product(Timestamps, Searchable, SQLModel, table=True):
    search_fields = (("name", "sku", "description"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    sku: str = Field(max_length=60, unique=True)
    description: str = ""
    unit_price: Decimal = Field(default=Decimal("0"), sa_type=Numeric(14, 4))
    tax_rate: Decimal = Rate(Decimal("21"))
    tax_exempt: bool = False
    unit: str = Field(default="ud", max_length=20)
    active: bool = True
    image_path: str = ""


class QuoteStatus(StrEnum):
    BORRADOR = "borrador"
    ENVIADO = "enviado"
    ACEPTADO = "aceptado"
    RECHAZADO = "rechazado"
    CADUCADO = "caducado"


class Quote(Owned, Timestamps, SoftDelete, SQLModel, table=True):
    """A presupuesto. ``number`` is shared by all versions; (number, version) is unique."""

    __table_args__ = (UniqueConstraint("number", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, index=True)  # P-2026-0001
    year: int
    seq: int
    version: int = 1
    account_id: int = Field(foreign_key="account.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    opportunity_id: int | None = Field(default=None, foreign_key="opportunity.id", index=True)
    status: str = Field(default=QuoteStatus.BORRADOR, max_length=12, index=True)
    issue_date: date
    valid_until: date
    global_discount_pct: Decimal = Rate()
    recargo_equivalencia: bool = False
    irpf_pct: Decimal = Rate()
    conditions: str = ""
    notes: str = ""
    base_total: Decimal = Money()
    tax_total: Decimal = Money()
    recargo_total: Decimal = Money()
    irpf_total: Decimal = Money()
    total: Decimal = Money()
    sent_at: datetime | None = Timestamp()
    decided_at: datetime | None = Timestamp()


class QuoteLine(SQLModel, table=True):
    __tablename__ = "quote_line"
    id: int | None = Field(default=None, primary_key=True)
    quote_id: int = Field(foreign_key="quote.id", index=True)
    position: int = 0
    product_id: int | None = Field(default=None, foreign_key="product.id", index=True)
    description: str = ""
    quantity: Decimal = Field(default=Decimal("1"), sa_type=Numeric(14, 3))
    unit_price: Decimal = Field(default=Decimal("0"), sa_type=Numeric(14, 4))
    discount_pct: Decimal = Rate()
    tax_rate: Decimal = Rate(Decimal("21"))
    tax_exempt: bool = False  # exento: its own group in the breakdown, no IVA
    unit: str = Field(default="ud", max_length=20)
    line_base: Decimal = Money()
