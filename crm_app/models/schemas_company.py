"""API shapes of ``/api/v1/company`` (Ajustes → Empresa, issue 12): not tables.

The keys are the issue's: the company's data, ``smtp`` as an object. The SMTP password is
write-only: ``CompanyUpdate.smtp.password`` sets it (``""`` removes it; absent or ``null``
keeps it) and ``CompanyPublic.smtp`` says only ``password_set``. Every number is bounded here
and again by the service, which also checks NIF/CIF/NIE, IBAN, SEPA creditor id, e-mail…
with a Spanish message per field.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from crm_app.models.bounds import Line, Number
from crm_app.models.schema_config import body, public

Month = Annotated[int, Field(ge=1, le=12)]
TermDays = Annotated[int, Field(ge=0, le=365)]
ValidityDays = Annotated[int, Field(ge=1, le=365)]
Port = Annotated[int, Field(ge=1, le=65535)]
Secret = Annotated[str, Field(max_length=256)]


class CompanySmtpUpdate(BaseModel):
    """The company's outgoing mail server; without ``host`` the server's CRM_SMTP_* apply."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    host: Line | None = None
    port: Port | None = None
    user: Line | None = None
    password: Secret | None = None
    starttls: bool | None = None
    from_: Line | None = Field(default=None, alias="from")


class CompanyUpdate(BaseModel):
    """The company's fields to change (the keys not sent stay as they are)."""

    model_config = body({"legal_name": "Talleres Ebro, S.L.", "trade_name": "Ebro Motor",
                         "nif": "B12345674", "address": "Calle del Coso, 42",
                         "postal_code": "50001", "city": "Zaragoza", "province": "Zaragoza",
                         "country": "ES", "email": "hola@ebromotor.es",
                         "fiscal_year_start_month": 1, "default_tax_rate": "21",
                         "payment_terms_days": 30, "quote_validity_days": 30,
                         "iban": "ES9121000418450200051332",
                         "sepa_creditor_id": "ES11ZZZB12345674",
                         "smtp": {"host": "smtp.ebromotor.es", "port": 587,
                                  "user": "crm@ebromotor.es", "password": "secreto",
                                  "starttls": True, "from": "Ebro Motor <crm@ebromotor.es>"}})
    legal_name: Line | None = None
    trade_name: Line | None = None
    nif: Line | None = None
    address: Line | None = None
    postal_code: Line | None = None
    city: Line | None = None
    province: Line | None = None
    country: Line | None = None
    phone: Line | None = None
    email: Line | None = None
    website: Line | None = None
    fiscal_year_start_month: Month | None = None
    default_tax_rate: Number | None = None
    payment_terms_days: TermDays | None = None
    quote_validity_days: ValidityDays | None = None
    iban: Line | None = None
    sepa_creditor_id: Line | None = None
    smtp: CompanySmtpUpdate | None = None

    def service_data(self) -> dict[str, object]:
        """The keys sent, as ``services.organisation.update_company`` takes them."""
        data: dict[str, object] = self.model_dump(exclude_unset=True, exclude={"smtp"})
        if self.smtp is not None:
            for key, value in self.smtp.model_dump(exclude_unset=True).items():
                data["smtp_from" if key == "from_" else f"smtp_{key}"] = value
        return data


class CompanySmtpPublic(BaseModel):
    model_config = public(populate_by_name=True, serialize_by_alias=True)
    host: str
    port: int
    user: str
    starttls: bool
    from_: str = Field(alias="from")
    password_set: bool


class CompanyPublic(BaseModel):
    model_config = public()
    legal_name: str
    trade_name: str
    nif: str
    address: str
    postal_code: str
    city: str
    province: str
    country: str
    phone: str
    email: str
    website: str
    fiscal_year_start_month: int
    default_tax_rate: Decimal
    payment_terms_days: int
    quote_validity_days: int
    iban: str
    sepa_creditor_id: str
    smtp: CompanySmtpPublic


class CompanyTestEmail(BaseModel):
    """Where to send the test e-mail (default: the admin's own address)."""

    model_config = body({"to": "yo@ebromotor.es"})
    to: Line | None = None


class CompanyTestEmailPublic(BaseModel):
    model_config = public()
    to: str


class CompanyLogoPublic(BaseModel):
    """Where the logo is served (``""`` without one)."""

    model_config = public()
    url: str


__all__ = ["CompanyLogoPublic", "CompanyPublic", "CompanySmtpPublic", "CompanySmtpUpdate",
           "CompanyTestEmail", "CompanyTestEmailPublic", "CompanyUpdate"]
