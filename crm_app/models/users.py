"""People and access: organisation, teams, users, sessions, personal API tokens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, EmailStr
from sqlmodel import Field, SQLModel

from crm_app.models.base import JSONField, Rate, Timestamp, Timestamps


class Role(StrEnum):
    ADMIN = "admin"
    DIRECTOR = "director"
    MANAGER = "manager"
    COMERCIAL = "comercial"
    ASESOR = "asesor"  # the company's external accountant: fiscal records, read-only


class Organisation(SQLModel, table=True):
    """The company using the CRM (one row)."""

    id: int | None = Field(default=None, primary_key=True)
    legal_name: str = ""
    nif: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    province: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    logo_path: str = ""
    fiscal_year_start_month: int = 1
    currency: str = "EUR"
    timezone: str = "Europe/Madrid"
    default_irpf_pct: Decimal = Rate(Decimal("0"))
    quote_conditions: str = ""
    quote_validity_days: int = 30
    lead_fallback_owner_id: int | None = Field(default=None, foreign_key="user.id")
    stale_days_default: int = 14
    # Ajustes → Empresa (alembic 0004): the issuer's data on quotes (and later invoices),
    # payments and the outgoing mail; ``services.organisation`` validates every field.
    trade_name: str = ""
    country: str = "ES"  # ISO 3166-1 alpha-2
    brand_color: str = ""  # "#rrggbb" for PDFs; "" = the app's accent
    default_tax_rate: Decimal = Rate(Decimal("21"))
    payment_terms_days: int = 30
    quote_series: str = "P"  # quote numbers P-2026-0001
    invoice_series: str = "F"  # stored now for invoicing: facturas, rectificativas, simplificadas
    credit_note_series: str = "R"
    simplified_series: str = "S"
    iban: str = ""  # compact, validated (ES9121000418450200051332)
    sepa_creditor_id: str = ""  # AT-02 (ES11ZZZB12345674)
    smtp_host: str = ""  # "" = the CRM_SMTP_* settings
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password_enc: str = ""  # Fernet token under a key derived from the secret key
    smtp_starttls: bool = True
    smtp_from: str = ""
    # Datos personales (alembic 0007): discarded leads untouched this many months are
    # anonymised by the nightly job (``services.personal_data.run_retention``); 0 = never.
    lead_retention_months: int = 24
    # Alertas (alembic 0011): the built-in alerts' switches and thresholds, see
    # ``services.alerts.ALERT_DEFAULTS`` (a missing key is its default).
    alert_settings: dict = JSONField()
    updated_at: datetime | None = Timestamp()


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    manager_id: int | None = None  # user.id; no FK (user.team_id points back here)


class User(Timestamps, SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True, index=True, max_length=254)
    name: str = Field(max_length=200)
    role: str = Field(default=Role.COMERCIAL, max_length=20)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    active: bool = True
    available: bool = True  # False while on holiday: assignment rules skip the user
    locale: str = "es"
    password_hash: str = ""
    failed_logins: int = 0
    locked_until: datetime | None = Timestamp()
    last_login_at: datetime | None = Timestamp()
    # Mi cuenta (alembic 0006): the TOTP secret, encrypted (``services.secret_box``); set but
    # not enabled while the user is scanning it; ``totp_last_step`` refuses a replayed code.
    totp_secret_enc: str = Field(default="", max_length=400)
    totp_enabled_at: datetime | None = Timestamp()
    totp_last_step: int = 0


class UserSession(SQLModel, table=True):
    """A browser session; the cookie carries the token, the table only its SHA-256."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Timestamp(nullable=False)
    expires_at: datetime = Timestamp(nullable=False)
    revoked_at: datetime | None = Timestamp()
    user_agent: str = Field(default="", max_length=300)
    ip: str = Field(default="", max_length=64)
    last_seen_at: datetime | None = Timestamp()  # refreshed at most every few minutes


class PasswordReset(SQLModel, table=True):
    """A "¿Has olvidado tu contraseña?" link: single use, 30 minutes; only its SHA-256."""

    __tablename__ = "password_reset"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Timestamp(nullable=False)
    expires_at: datetime = Timestamp(nullable=False)
    used_at: datetime | None = Timestamp()
    ip: str = Field(default="", max_length=64)


class RecoveryCode(SQLModel, table=True):
    """One of the ten second-factor recovery codes: hashed, single use."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Timestamp()


class LoginChallenge(SQLModel, table=True):
    """The pending second step of a login: the password was right, the code is still due.
    No session exists until the code is; the HttpOnly cookie carries the token, this only
    its SHA-256."""

    __tablename__ = "login_challenge"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Timestamp(nullable=False)
    expires_at: datetime = Timestamp(nullable=False)
    attempts: int = 0
    used_at: datetime | None = Timestamp()
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class ApiToken(SQLModel, table=True):
    """A personal API token; shown once, stored hashed, revocable."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=120)
    prefix: str = Field(index=True, max_length=16)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: datetime = Timestamp(nullable=False)
    last_used_at: datetime | None = Timestamp()
    revoked_at: datetime | None = Timestamp()


class UserInvitation(SQLModel, table=True):
    """An invitation to set one's password (Ajustes → Usuarios): single use, valid 72 h; the
    e-mailed link carries the token, the table only its SHA-256. Re-sending replaces it."""

    __tablename__ = "user_invitation"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True, max_length=64)
    user_id: int = Field(foreign_key="user.id", index=True)
    invited_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Timestamp(nullable=False)
    expires_at: datetime = Timestamp(nullable=False)
    used_at: datetime | None = Timestamp()
    revoked_at: datetime | None = Timestamp()


# --- schemas (API shapes), kept apart from the tables ---


class UserPublic(BaseModel):
    id: int
    email: str
    name: str
    role: str
    team_id: int | None
    team_name: str | None = None
    active: bool
    available: bool
    locale: str


class UserCreate(BaseModel):
    email: EmailStr
    name: str
    role: Role = Role.COMERCIAL
    team_name: str | None = None
    password: str
