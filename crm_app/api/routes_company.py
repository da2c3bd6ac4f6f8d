"""/api/v1/company: Ajustes → Empresa over HTTP (issue 12), thin over ``services.organisation``.

``GET``/``PUT`` (admins; others 403) with the issue's keys, ``smtp`` as an object whose
password is write-only; a bad NIF, IBAN or creditor id is a 422 naming the field. The logo:
``POST`` (multipart field ``logo``: PNG or JPEG ≤ 1 MB) and ``DELETE`` for admins, ``GET`` for
every signed-in user (the app's header shows it). ``POST /test-email`` sends a test message
through the configured SMTP server.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, UploadFile
from fastapi.responses import Response

from crm_app.api.deps import CurrentUser, DBSession
from crm_app.api.deps import requires as _requires
from crm_app.models import User
from crm_app.models.schemas_company import (
    CompanyLogoPublic,
    CompanyPublic,
    CompanyTestEmail,
    CompanyTestEmailPublic,
    CompanyUpdate,
)
from crm_app.permissions import Perm
from crm_app.services import organisation as org_service

router = APIRouter(prefix="/api/v1/company", tags=["empresa"])

IS_ADMIN = _requires(Perm.SETTINGS_CHANGE)


@router.get("", response_model=CompanyPublic)
def read_company(session: DBSession, user: User = IS_ADMIN) -> Any:
    """The company's data; ``smtp.password_set`` says whether a password is stored."""
    return org_service.company_public(session=session, actor=user)


@router.put("", response_model=CompanyPublic)
def update_company(body: CompanyUpdate, session: DBSession, user: User = IS_ADMIN) -> Any:
    """Change the keys sent (the others stay). ``smtp.password``: text sets it, ``""``
    removes it, absent or ``null`` keeps it; it is never answered back."""
    org = org_service.update_company(session=session, actor=user, data=body.service_data())
    return org_service.public(org)


@router.get("/logo", response_class=Response,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
def company_logo(session: DBSession, user: CurrentUser) -> Response:
    content, mime = org_service.company_logo(session=session, actor=user)
    return Response(content, media_type=mime,
                    headers={"Cache-Control": "private, max-age=3600",
                             "X-Content-Type-Options": "nosniff"})


@router.post("/logo", response_model=CompanyLogoPublic)
def upload_company_logo(logo: UploadFile, session: DBSession, user: User = IS_ADMIN) -> Any:
    """Multipart field ``logo``: PNG or JPEG (by its bytes, not its name), ≤ 1 MB."""
    content = logo.file.read(org_service.MAX_LOGO_BYTES + 1)
    org_service.set_logo(session=session, actor=user, content=content)
    return {"url": org_service.logo_url(session=session)}


@router.delete("/logo", status_code=204)
def delete_company_logo(session: DBSession, user: User = IS_ADMIN) -> Response:
    org_service.remove_logo(session=session, actor=user)
    return Response(status_code=204)


@router.post("/test-email", response_model=CompanyTestEmailPublic)
def send_test_email(body: CompanyTestEmail, session: DBSession, user: User = IS_ADMIN) -> Any:
    """Send a test message through the company's SMTP server (else CRM_SMTP_*) to ``to``
    (default: the admin's own address); a server error is a 400 with its reason."""
    return {"to": org_service.send_test_email(session=session, actor=user, to=body.to)}
