"""Documents attached to commercial records, listed through the row scope."""

from __future__ import annotations

from sqlmodel import Session

from crm_app.models import Document
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.browse import browse

SORTS = ("created_at", "filename")


@needs_actor
def list_documents(*, session: Session, actor: Actor, q: str = "", sort: str = "created_at",
                   desc: bool = True, offset: int = 0, limit: int = 25
                   ) -> tuple[list[Document], int]:
    """One page of the documents ``actor`` may see (search on the file name)."""
    rows, total = browse(session=session, actor=actor, model=Document, q=q,
                         search=("filename",), sort=sort, desc=desc, offset=offset,
                         limit=limit, sortable=SORTS)
    return rows, total


__all__ = ["SORTS", "list_documents"]
