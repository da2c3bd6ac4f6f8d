"""Generic scoped, paginated, searchable listing: the building block of every list screen.

Search, sort and pagination happen in SQL; the caller gets one page of rows and the total. A
searchable model (``crm_app.models.search``) is searched through its folded ``search_text``
(accents and case ignored); any other through ``lower(column)``, wildcards escaped.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, select

from crm_app.models.search import Searchable
from crm_app.permissions import restrict
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.search import contains, matches

MAX_PAGE_SIZE = 200


@needs_actor
def browse(*, session: Session, actor: Actor, model: Any, q: str = "",
           search: tuple[str, ...] = (), filters: tuple[Any, ...] = (), sort: str = "id",
           desc: bool = True, sortable: tuple[str, ...] = ("id",), offset: int = 0,
           limit: int = 25) -> tuple[list[Any], int]:
    """One page of ``model`` rows visible to ``actor`` plus the total count."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    stmt = select(model)
    if hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))
    for clause in filters:
        stmt = stmt.where(clause)
    term = q.strip()
    if term and search:
        if issubclass(model, Searchable):
            stmt = stmt.where(matches(model, term))
        else:
            stmt = stmt.where(or_(*[contains(func.lower(getattr(model, c)), term.lower())
                                    for c in search]))
    stmt = restrict(stmt, actor)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    column = getattr(model, sort if sort in sortable else "id")
    stmt = stmt.order_by(column.desc() if desc else column.asc(), model.id.desc())
    rows = list(session.exec(stmt.offset(max(0, offset)).limit(limit)).all())
    return rows, int(total)
