"""The pending tasks a person works through: one list, windows shared with "Tu día".

``overview.task_window`` defines "hoy" and "vencidas" once, so the card on Inicio and the
list it opens count the same rows.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from crm_app.models import Activity, utcnow
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.browse import browse
from crm_app.services.overview import task_window
from crm_app.services.sales_common import user_names

WINDOWS = ("pendientes", "hoy", "vencidas", "proximas")
SORTS = ("due_at", "created_at", "kind")


@needs_actor
def list_tasks(*, session: Session, actor: Actor, window: str = "pendientes", q: str = "",
               sort: str = "due_at", desc: bool = False, offset: int = 0, limit: int = 25
               ) -> tuple[list[dict[str, Any]], int]:
    """One page of the actor's visible pending tasks in ``window`` (rows as plain dicts with
    the owner's name), and the total."""
    filters: list[Any] = [Activity.done_at.is_(None)]  # type: ignore[union-attr]
    if window in ("hoy", "vencidas"):
        start, before = task_window(window)
        filters.append(Activity.due_at < before)  # type: ignore[operator]
        if start is not None:
            filters.append(Activity.due_at >= start)  # type: ignore[operator]
    elif window == "proximas":
        filters.append(Activity.due_at >= task_window("hoy")[1])  # type: ignore[operator]
    rows, total = browse(session=session, actor=actor, model=Activity, q=q,
                         search=("subject",), sort=sort, desc=desc,
                         filters=tuple(filters), offset=offset, limit=limit, sortable=SORTS)
    owners = user_names(session, {r.owner_id for r in rows})
    now = utcnow()
    return [{"id": r.id, "subject": r.subject, "kind": r.kind, "due_at": r.due_at,
             "overdue": bool(r.due_at and r.due_at < now),
             "owner": owners.get(r.owner_id or 0, "")} for r in rows], total
