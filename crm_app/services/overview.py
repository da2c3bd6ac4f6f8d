"""The numbers on a user's start page: real counts in the user's own scope."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.models import Activity, Lead, Opportunity, Quote, Stage, User, utcnow
from crm_app.permissions import restrict


def overview(*, session: Session, actor: User) -> dict[str, object]:
    now = utcnow()
    open_leads = session.exec(restrict(
        select(func.count(Lead.id)).where(Lead.deleted_at.is_(None),
                                          Lead.status.in_(["nuevo", "contactado", "cualificado"])),
        actor)).one()
    opp = session.exec(restrict(
        select(func.count(Opportunity.id), func.coalesce(func.sum(Opportunity.amount), 0))
        .join(Stage, Stage.id == Opportunity.stage_id)
        .where(Opportunity.deleted_at.is_(None), Stage.kind == "open"), actor)).one()
    due = session.exec(restrict(
        select(func.count(Activity.id)).where(
            Activity.deleted_at.is_(None), Activity.done_at.is_(None),
            Activity.due_at.is_not(None), Activity.due_at < now + timedelta(days=1)),
        actor)).one()
    overdue = session.exec(restrict(
        select(func.count(Activity.id)).where(
            Activity.deleted_at.is_(None), Activity.done_at.is_(None),
            Activity.due_at.is_not(None), Activity.due_at < now), actor)).one()
    quotes = session.exec(restrict(
        select(func.count(Quote.id)).where(Quote.deleted_at.is_(None),
                                           Quote.status.in_(["borrador", "enviado"])),
        actor)).one()
    return {"open_leads": int(open_leads), "open_opportunities": int(opp[0]),
            "open_amount": Decimal(str(opp[1])).quantize(Decimal("0.01")),
            "tasks_due": int(due), "tasks_overdue": int(overdue), "open_quotes": int(quotes)}
