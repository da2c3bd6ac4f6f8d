"""The documents list over ``services.documents`` (scoped by ``restrict``)."""

from __future__ import annotations

from typing import ClassVar

from crm_app.formatting import date_es
from crm_app.list_state import ListState
from crm_app.services import documents as document_service
from crm_app.state import AppState, Ctx


class DocumentsState(ListState, AppState):
    _sorts: ClassVar = document_service.SORTS
    _default_sort: ClassVar = ("created_at", True)

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        rows, total = document_service.list_documents(
            session=ctx.session, actor=ctx.user, q=self.q, sort=self.sort, desc=self.desc,
            offset=offset, limit=limit)
        return [{"id": str(r.id), "filename": r.filename,
                 "size": f"{max(1, r.size // 1024)} KB", "created_at": date_es(r.created_at)}
                for r in rows], total
