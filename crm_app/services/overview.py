"""The numbers on a user's start page ("Tu día"): real counts in the user's own scope.

Each count is defined here once, with the filter of the list it opens, so a card's number
and the list behind it cannot disagree:

* ``open_leads`` — leads in ``OPEN_LEAD_STATUSES`` (``/leads?estado=abiertos``);
* ``tasks_due`` — pending tasks due from now to the end of today in Madrid, the overdue ones
  NOT included (``/tareas?vence=hoy``);
* ``tasks_overdue`` — pending tasks due before now (``/tareas?vence=vencidas``);
* ``open_quotes`` — quotes in ``OPEN_QUOTE_STATUSES`` (``/presupuestos?estado=abiertos``).

``task_window(which)`` gives the due-date bounds of ``vence=hoy|vencidas`` for the tasks list.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.formatting import TZ
from crm_app.models import Activity, Lead, Opportunity, Quote, Stage, utcnow
from crm_app.permissions import restrict
from crm_app.services.actors import Actor, needs_actor

OPEN_LEAD_STATUSES = ("nuevo", "contactado", "cualificado")
OPEN_QUOTE_STATUSES = ("borrador", "enviado")
TASK_WINDOWS = ("hoy", "vencidas")


def task_window(which: str, *, now: datetime | None = None
                ) -> tuple[datetime | None, datetime]:
    """(from, before) of the pending tasks ``which`` counts: ``hoy`` = due from ``now`` to
    the coming Madrid midnight, ``vencidas`` = due before ``now`` (no lower bound)."""
    now = now or utcnow()
    if which == "vencidas":
        return None, now
    if which == "hoy":
        tomorrow = now.astimezone(TZ).date() + timedelta(days=1)
        return now, datetime.combine(tomorrow, time(0), tzinfo=TZ).astimezone(UTC)
    raise ValueError(f"unknown task window {which!r}: {TASK_WINDOWS}")


def _pending_tasks(session: Session, actor: Actor, which: str, now: datetime) -> int:
    start, before = task_window(which, now=now)
    stmt = select(func.count(Activity.id)).where(
        Activity.deleted_at.is_(None), Activity.done_at.is_(None),
        Activity.due_at.is_not(None), Activity.due_at < before)
    if start is not None:
        stmt = stmt.where(Activity.due_at >= start)
    return int(session.exec(restrict(stmt, actor)).one())


@needs_actor
def overview(*, session: Session, actor: Actor) -> dict[str, object]:
    now = utcnow()
    open_leads = session.exec(restrict(
        select(func.count(Lead.id)).where(Lead.deleted_at.is_(None),
                                          Lead.status.in_(OPEN_LEAD_STATUSES)),
        actor)).one()
    opp = session.exec(restrict(
        select(func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.amount), 0))
        .join(Stage, Stage.id == Opportunity.stage_id)
        .where(Opportunity.deleted_at.is_(None), Stage.kind == "open"), actor)).one()
    quotes = session.exec(restrict(
        select(func.count(Quote.id)).where(Quote.deleted_at.is_(None),
                                           Quote.status.in_(OPEN_QUOTE_STATUSES)),
        actor)).one()
    return {"open_leads": int(open_leads), "open_opportunities": int(opp[0]),
            "open_amount": Decimal(str(opp[1])).quantize(Decimal("0.01")),
            "tasks_due": _pending_tasks(session, actor, "hoy", now),
            "tasks_overdue": _pending_tasks(session, actor, "vencidas", now),
            "open_quotes": int(quotes)}
