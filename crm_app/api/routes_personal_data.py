"""Personal data (RGPD / LOPDGDD) over HTTP (issue 12), thin over ``services.personal_data``.

- ``GET /api/v1/leads/{id}/export``, ``GET /api/v1/contacts/{id}/export``: the data-subject
  access ZIP (``datos.json`` + the documents); out of the caller's scope → 404; audited.
- ``POST /api/v1/leads/{id}/anonymise``, ``POST /api/v1/contacts/{id}/anonymise``: erasure;
  needs ``records.delete`` on the record (403 without the permission, 404 out of scope).
- ``GET/PUT /api/v1/personal-data/retention``: the retention of discarded leads and the
  preview of how many the nightly job would anonymise (``settings.change``: admins).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.models import User
from crm_app.models.bounds import Id
from crm_app.models.schemas_personal import AnonymisePublic, RetentionPublic, RetentionUpdate
from crm_app.permissions import Perm
from crm_app.services import personal_data

router = APIRouter(prefix="/api/v1", tags=["datos personales"])

CAN_VIEW = _requires(Perm.RECORDS_VIEW)
CAN_DELETE = _requires(Perm.RECORDS_DELETE)
IS_ADMIN = _requires(Perm.SETTINGS_CHANGE)
_ZIP = {200: {"content": {"application/zip": {}}}}


def _zip(session: Any, user: User, entity: str, record_id: int) -> Response:
    name, content = personal_data.export_person(session=session, actor=user, entity=entity,
                                                record_id=record_id)
    return Response(content, media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "Cache-Control": "no-store",
                             "X-Content-Type-Options": "nosniff"})


@router.get("/leads/{lead_id}/export", response_class=Response, responses=_ZIP)
def export_lead(lead_id: Id, session: DBSession, user: User = CAN_VIEW) -> Response:
    """Everything the CRM holds about the person of this lead, as a ZIP."""
    return _zip(session, user, "lead", lead_id)


@router.get("/contacts/{contact_id}/export", response_class=Response, responses=_ZIP)
def export_contact(contact_id: Id, session: DBSession, user: User = CAN_VIEW) -> Response:
    """Everything the CRM holds about the person of this contact, as a ZIP."""
    return _zip(session, user, "contact", contact_id)


@router.post("/leads/{lead_id}/anonymise", response_model=AnonymisePublic)
def anonymise_lead(lead_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    """Irreversible: personal fields replaced, documents deleted, quotes kept."""
    return personal_data.anonymise_person(session=session, actor=user, entity="lead",
                                          record_id=lead_id)


@router.post("/contacts/{contact_id}/anonymise", response_model=AnonymisePublic)
def anonymise_contact(contact_id: Id, session: DBSession, user: User = CAN_DELETE) -> Any:
    """Irreversible: personal fields replaced, documents deleted, quotes kept."""
    return personal_data.anonymise_person(session=session, actor=user, entity="contact",
                                          record_id=contact_id)


def _retention(session: Any, user: User) -> dict:
    return {"lead_retention_months": personal_data.retention_months(session=session),
            "would_anonymise": personal_data.preview_retention(session=session, actor=user)}


@router.get("/personal-data/retention", response_model=RetentionPublic)
def read_retention(session: DBSession, user: User = IS_ADMIN) -> Any:
    return _retention(session, user)


@router.put("/personal-data/retention", response_model=RetentionPublic)
def update_retention(body: RetentionUpdate, session: DBSession, user: User = IS_ADMIN) -> Any:
    personal_data.set_retention(session=session, actor=user, months=body.lead_retention_months)
    return _retention(session, user)
