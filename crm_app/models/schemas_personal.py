"""API shapes for personal data (RGPD / LOPDGDD): the consent of a lead or contact and the
answer of an anonymisation. Used by ``schemas_leads`` and ``schemas_sales`` (not tables)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from crm_app.models.bounds import Line, Moment
from crm_app.models.schema_config import body

LegalBasis = Literal["", "consentimiento", "contrato", "interes_legitimo", "obligacion_legal"]
ConsentMethod = Literal["", "formulario_web", "telefono", "email", "importacion", "en_persona",
                        "otro"]
Purpose = Literal["comercial", "newsletter"]


class ConsentEntry(BaseModel):
    """One purpose's consent: given or not, when (UTC; "now" if given without a date), how,
    and the text or version the person accepted. Only the keys sent change."""

    model_config = body({"given": True, "at": "2026-11-27T10:15:00Z",
                         "method": "formulario_web", "text": "Política de privacidad v3"},
                        strip=True)

    given: bool | None = None
    at: Moment | None = None
    method: ConsentMethod | None = None
    text: Line | None = Field(default=None, max_length=300)


Consent = dict[Purpose, ConsentEntry]


class AnonymisePublic(BaseModel):
    """What an anonymisation erased: person rows, documents deleted, activities blanked,
    alerts deleted and audit entries redacted."""

    leads: int
    contacts: int
    documents: int
    activities: int
    alerts: int
    audit_redacted: int


class RetentionUpdate(BaseModel):
    """Months without activity after which a discarded lead is anonymised (1-120)."""

    model_config = body({"lead_retention_months": 24})

    lead_retention_months: int = Field(ge=1, le=120)


class RetentionPublic(BaseModel):
    """The setting and how many leads the nightly job would anonymise with it now."""

    lead_retention_months: int
    would_anonymise: int


__all__ = ["AnonymisePublic", "Consent", "ConsentEntry", "ConsentMethod", "LegalBasis",
           "Purpose", "RetentionPublic", "RetentionUpdate"]
