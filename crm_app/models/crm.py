"""Commercial records: leads, accounts (clientes), contacts, custom fields, saved views."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from crm_app.models.base import JSONField, Owned, SoftDelete, Timestamp, Timestamps
from crm_app.models.search import Searchable


class LeadStatus(StrEnum):
    NUEVO = "nuevo"
    CONTACTADO = "contactado"
    CUALIFICADO = "cualificado"
    DESCARTADO = "descartado"
    CONVERTIDO = "convertido"


class PersonalData(SQLModel):
    """RGPD / LOPDGDD on a person's record (lead, contact; alembic 0007): the legal basis of
    the processing, consent per purpose and when the person was anonymised.

    ``consent`` is ``{purpose: {"given": bool, "at": ISO-8601 UTC | None, "method": str,
    "text": str}}`` for the purposes in ``services.personal_data.PURPOSES`` (comercial,
    newsletter); ``services.personal_data.clean_consent`` validates it on every write."""

    legal_basis: str = Field(default="", max_length=20,
                             sa_column_kwargs={"server_default": ""})
    consent: dict = JSONField()
    anonymised_at: datetime | None = Timestamp()


class Lead(Owned, Timestamps, SoftDelete, Searchable, PersonalData, SQLModel, table=True):
    """A prospect. Indexed only where an index pays for itself: the duplicate keys (email,
    phone, NIF), the default order (created_at), the owner (a comercial's list), province (a
    rare one would otherwise scan the table) and the import batch (undo). Status, source,
    company, team and deleted_at are not: low selectivity or substring search, where a scan
    of 200,000 rows takes tens of milliseconds (a team is a large share of an SME's leads:
    its page walks the date index, its count scans), while every index costs a bulk import
    ~60-80 ms per 100,000 rows (see benchmarks/README.md). The recycle bin has a partial
    index holding only the deleted leads: tiny, and a new lead never enters it."""

    search_fields = (("first_name", "last_name", "company"),)
    __table_args__ = (
        Index("ix_lead_in_bin", "deleted_at", sqlite_where=text("deleted_at IS NOT NULL"),
              postgresql_where=text("deleted_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    first_name: str = Field(default="", max_length=120)
    last_name: str = Field(default="", max_length=160)
    company: str = Field(default="", max_length=200)
    nif: str = Field(default="", max_length=20, index=True)
    email: str = Field(default="", max_length=254, index=True)
    phone: str = Field(default="", max_length=20, index=True)  # E.164
    position: str = Field(default="", max_length=120)
    province: str = Field(default="", max_length=60, index=True)
    city: str = Field(default="", max_length=120)
    source: str = Field(default="", max_length=60)  # channel: web, feria, referido…
    status: str = Field(default=LeadStatus.NUEVO, max_length=20)
    discard_reason: str = Field(default="", max_length=200)
    notes: str = ""
    custom: dict = JSONField()
    assigned_rule_id: int | None = Field(default=None, foreign_key="assignment_rule.id")
    first_contacted_at: datetime | None = Timestamp()
    converted_at: datetime | None = Timestamp()
    # Links to what the lead became. No FK constraints: account/contact point back at the lead,
    # and a cycle of FKs cannot be created in one PostgreSQL migration.
    converted_account_id: int | None = None
    converted_contact_id: int | None = None
    converted_opportunity_id: int | None = None
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    deleted_at: datetime | None = Timestamp()


class Account(Owned, Timestamps, SoftDelete, Searchable, SQLModel, table=True):
    """A customer (cliente): a company or a self-employed person. Its names come first in
    ``search_text``, a section of their own: contacts, opportunities and quotes are found by
    their customer's name (not its city)."""

    search_fields = (("name", "trade_name"), ("city",))

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)  # razón social
    trade_name: str = Field(default="", max_length=200)
    nif: str = Field(default="", max_length=20, index=True)
    sector: str = Field(default="", max_length=80)
    size_band: str = Field(default="", max_length=20)  # 1-9, 10-49, 50-249, 250+
    address: str = Field(default="", max_length=250)
    postal_code: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=120)
    province: str = Field(default="", max_length=60, index=True)
    country: str = Field(default="ES", max_length=2)
    email: str = Field(default="", max_length=254, index=True)
    phone: str = Field(default="", max_length=20)
    website: str = Field(default="", max_length=200)
    channel: str = Field(default="", max_length=60, index=True)
    recargo_equivalencia: bool = False
    notes: str = ""
    custom: dict = JSONField()
    lead_id: int | None = Field(default=None, foreign_key="lead.id")
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)


class Contact(Owned, Timestamps, SoftDelete, Searchable, PersonalData, SQLModel, table=True):
    search_fields = (("first_name", "last_name", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    first_name: str = Field(default="", max_length=120)
    last_name: str = Field(default="", max_length=160)
    email: str = Field(default="", max_length=254, index=True)
    phone: str = Field(default="", max_length=20, index=True)
    position: str = Field(default="", max_length=120)
    nif: str = Field(default="", max_length=20)
    custom: dict = JSONField()
    lead_id: int | None = Field(default=None, foreign_key="lead.id")
    import_batch_id: int | None = Field(default=None, foreign_key="import_batch.id", index=True)


class CustomFieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    BOOL = "bool"


class CustomFieldDef(SQLModel, table=True):
    """An admin-defined extra field; values live in the record's ``custom`` JSON by ``key``."""

    __tablename__ = "custom_field_def"
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(max_length=20, index=True)  # lead, account, contact, opportunity
    key: str = Field(max_length=60)
    label: str = Field(max_length=120)
    type: str = Field(default=CustomFieldType.TEXT, max_length=10)
    choices: list = JSONField(list)
    position: int = 0
    active: bool = True


class SavedView(SQLModel, table=True):
    """A user's named list filter (per entity)."""

    __tablename__ = "saved_view"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    entity: str = Field(max_length=20)
    name: str = Field(max_length=120)
    filters: dict = JSONField()
    created_at: datetime = Timestamp(nullable=False)
