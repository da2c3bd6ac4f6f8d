"""The numbers on a user's start page ("Tu día"): real counts in the user's own scope.

Each count is defined here once, with the filter of the list it opens, so a card's number
and the list behind it cannot disagree:

* ``open_leads`` — leads in ``OPEN_LEAD_STATUSES`` (``/leads?estado=abiertos``);
* ``tasks_due`` — pending tasks due from now to the end of today in Madrid, the overdue ones
  NOT included (``/tareas?vence=hoy``);
* ``tasks_overdue`` — pending tasks due before now (``/tareas?vence=vencidas``);
* ``open_quotes`` — quotes in ``OPEN_QUOTE_STATUSES`` (``/presupuestos?estado=abiertos``).

* ``tasks_upcoming`` — pending tasks due after today (``/tareas?vence=proximas``);
* ``tasks_done`` — tasks marked done today in Madrid (``/tareas?vence=hechas``).

``task_window(which)`` gives the bounds of the four tabs of ``/tareas`` (Hoy, Vencidas,
Próximas, Hechas) and ``task_filters(which)`` their WHERE clauses: the card on Inicio, the
tasks screen and ``GET /api/v1/activities?status=`` all count with them.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.formatting import TZ
from crm_app.models import Activity, Lead, Opportunity, Quote, Stage, utcnow
from crm_app.permissions import restrict
from crm_app.services.actors import Actor, needs_actor

OPEN_LEAD_STATUSES = ("nuevo", "contactado", "cualificado")
OPEN_QUOTE_STATUSES = ("borrador", "enviado")
TASK_WINDOWS = ("hoy", "vencidas", "proximas", "hechas")


def _next_midnight(now: datetime, days: int = 1) -> datetime:
    """The Madrid midnight ``days`` after ``now``'s Madrid day began, in UTC (DST-safe: a
    calendar day in Madrid, 23 or 25 hours long on the change days)."""
    day = now.astimezone(TZ).date() + timedelta(days=days)
    return datetime.combine(day, time(0), tzinfo=TZ).astimezone(UTC)


def task_window(which: str, *, now: datetime | None = None
                ) -> tuple[datetime | None, datetime | None]:
    """(from, before) of the tasks ``which`` counts, ``None`` for no bound: ``hoy`` = pending,
    due from ``now`` to the coming Madrid midnight; ``vencidas`` = pending, due before ``now``;
    ``proximas`` = pending, due from the coming Madrid midnight on; ``hechas`` = done
    (``done_at``) since today's Madrid midnight."""
    now = now or utcnow()
    if which == "vencidas":
        return None, now
    if which == "hoy":
        return now, _next_midnight(now)
    if which == "proximas":
        return _next_midnight(now), None
    if which == "hechas":
        return _next_midnight(now, 0), None
    raise ValueError(f"unknown task window {which!r}: {TASK_WINDOWS}")


def task_filters(which: str, *, now: datetime | None = None) -> list[Any]:
    """The WHERE clauses of the tasks in window ``which`` (``task_window``), the recycle bin
    left out. Pending windows look at ``due_at`` (no due date: in none), ``hechas`` at
    ``done_at``."""
    start, before = task_window(which, now=now)
    filters: list[Any] = [Activity.deleted_at.is_(None)]  # type: ignore[union-attr]
    column = Activity.done_at if which == "hechas" else Activity.due_at
    if which == "hechas":
        filters.append(Activity.done_at.is_not(None))  # type: ignore[union-attr]
    else:
        filters += [Activity.done_at.is_(None),  # type: ignore[union-attr]
                    Activity.due_at.is_not(None)]  # type: ignore[union-attr]
    if start is not None:
        filters.append(column >= start)  # type: ignore[operator]
    if before is not None:
        filters.append(column < before)  # type: ignore[operator]
    return filters


@needs_actor
def count_tasks(session: Session, actor: Actor, which: str, *, now: datetime | None = None,
                extra: tuple[Any, ...] = ()) -> int:
    """How many of the actor's visible tasks are in window ``which`` (``extra``: more WHERE
    clauses, e.g. the owner filter of the tasks screen's scope)."""
    stmt = select(func.count(Activity.id)).where(*task_filters(which, now=now), *extra)
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
            "tasks_due": count_tasks(session, actor, "hoy", now=now),
            "tasks_overdue": count_tasks(session, actor, "vencidas", now=now),
            "tasks_upcoming": count_tasks(session, actor, "proximas", now=now),
            "tasks_done": count_tasks(session, actor, "hechas", now=now),
            "open_quotes": int(quotes)}
