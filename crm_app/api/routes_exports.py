"""/api/v1/exports: "Exportar todos los datos" over HTTP (issue 12), thin over
``services.export_all``. Admins only (others 403).

``POST`` queues the export (202; 409 while another one is queued or running) for the Celery
worker (``crm.ops.export_all``); ``GET /{id}`` says how it goes; ``GET /{id}/download`` hands
out the finished ZIP privately (never cached), and the download is audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.models import User
from crm_app.models.schemas_export import ExportPublic
from crm_app.permissions import Perm
from crm_app.services import export_all as export_service

router = APIRouter(prefix="/api/v1/exports", tags=["exportar"])

IS_ADMIN = _requires(Perm.SETTINGS_CHANGE)
# A job id is 32 hex characters; anything longer is refused before any file is looked up.
ExportId = Annotated[str, Path(max_length=64)]


@router.post("", response_model=ExportPublic, status_code=202)
def start_export(session: DBSession, user: User = IS_ADMIN) -> Any:
    """Start exporting every table (CSV and XLSX), custom fields and documents to a ZIP."""
    return export_service.start_export(session=session, actor=user)


@router.get("/{export_id}", response_model=ExportPublic)
def read_export(export_id: ExportId, user: User = IS_ADMIN) -> Any:
    return export_service.get_export(actor=user, job_id=export_id)


@router.get("/{export_id}/download", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}}}})
def download_export(export_id: ExportId, session: DBSession, user: User = IS_ADMIN) -> Any:
    path, name = export_service.export_download(session=session, actor=user, job_id=export_id)
    return FileResponse(path, media_type="application/zip", filename=name,
                        headers={"Cache-Control": "private, no-store",
                                 "X-Content-Type-Options": "nosniff"})
