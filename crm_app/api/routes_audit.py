"""/api/v1/audit: Ajustes → Auditoría over HTTP (issue 12), thin over ``services.audit_log``.

``GET /api/v1/audit?user_id=&entity=&entity_id=&from=&to=&page=&page_size=`` (``audit.view``:
admins) answers ``{"data", "count"}``, newest first; ``from``/``to`` are Madrid days
(``aaaa-mm-dd`` or ``dd/mm/aaaa``, both included). ``GET /api/v1/audit/export`` with the same
filters answers the CSV (UTF-8 with BOM, ``;``). A bad filter is a 422 naming it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from crm_app.api.deps import DBSession
from crm_app.api.deps import requires as _requires
from crm_app.api.paging import Paging, listing
from crm_app.models import User
from crm_app.models.bounds import Id, Line
from crm_app.models.schemas_audit import AuditEventsPublic
from crm_app.permissions import Perm
from crm_app.services import audit_log
from crm_app.services.table_export import CSV_MIME

router = APIRouter(prefix="/api/v1/audit", tags=["auditoría"])

CAN_AUDIT = _requires(Perm.AUDIT_VIEW)
Pages = Annotated[Paging, Depends()]


class _Filters:
    def __init__(self, user_id: Id | None = None, entity: Line = "",
                 entity_id: Id | None = None,
                 date_from: Annotated[Line, Query(alias="from",
                                                  description="Desde (incluido).")] = "",
                 date_to: Annotated[Line, Query(alias="to",
                                                description="Hasta (incluido).")] = "") -> None:
        self.args = {"user_id": user_id, "entity": entity, "entity_id": entity_id,
                     "date_from": date_from, "date_to": date_to}


Filters = Annotated[_Filters, Depends()]


@router.get("", response_model=AuditEventsPublic)
def list_audit(session: DBSession, paging: Pages, filters: Filters,
               user: User = CAN_AUDIT) -> Any:
    """The company's audit log, newest first, one page."""
    page = audit_log.list_events(session=session, actor=user, offset=paging.offset,
                                 limit=paging.limit, **filters.args)
    return listing(page.items, page.total)


@router.get("/export", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def export_audit(session: DBSession, filters: Filters, user: User = CAN_AUDIT) -> Response:
    """The filtered log as CSV for a Spanish spreadsheet (at most 50 000 rows)."""
    filename, data = audit_log.export_csv(session=session, actor=user, **filters.args)
    return Response(data, media_type=CSV_MIME,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "private, no-store"})
