"""The sales read model: the rows and look-ups customers, opportunities and quotes share.

The customer file (``accounts.account_360``) lists its opportunities and quotes; opportunities
and contacts check the customer a form names; quotes move their opportunity when accepted.
When each module took these from the others, ``accounts`` ↔ ``opportunities`` ↔ ``quotes``
imported each other, hidden by imports inside functions. The reads they share live here,
below the three, so each imports downwards only (quotes → opportunities; both, and accounts,
→ this module); ``.importlinter``'s contract "sales services import downwards only" keeps
it so. Nothing here writes: plain dicts for lists and files, the "sin actividad" rule, and
the scoped look-up of a linked customer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, false, func, or_
from sqlmodel import Session, select

from crm_app.models import (
    Account,
    Contact,
    Opportunity,
    Quote,
    QuoteStatus,
    Stage,
    StageKind,
    utcnow,
)
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.defaults import ensure_organisation
from crm_app.services.links import visible
from crm_app.services.sales_common import cents

# --- customers ----------------------------------------------------------------------------


def contact_row(c: Contact) -> dict[str, Any]:
    return {"id": c.id, "name": f"{c.first_name} {c.last_name}".strip(),
            "first_name": c.first_name, "last_name": c.last_name, "email": c.email,
            "phone": c.phone, "position": c.position, "account_id": c.account_id,
            "owner_id": c.owner_id}


@needs_actor
def get_visible_account(session: Session, actor: Actor, account_id: Any,
                        errors: dict[str, str], field_name: str = "account_id",
                        keep: int | None = None) -> Account | None:
    """For forms: the account if the actor may see it, else a field error (no 404)."""
    return visible(session, actor, Account, account_id, field=field_name, errors=errors,
                   keep=keep)


# --- opportunities -------------------------------------------------------------------------


def stages_by_id(session: Session) -> dict[int, Stage]:
    return {s.id: s for s in session.exec(select(Stage)).all()}


def stale_days_for(stage: Stage | None, default_days: int) -> int | None:
    """The "sin actividad" threshold of a stage; ``None`` for closed stages."""
    if stage is None or stage.kind != StageKind.OPEN:
        return None
    return stage.stale_days or default_days or None


def last_touch(opp: Opportunity) -> datetime | None:
    """max(stage_entered_at, last_activity_at), falling back to created_at."""
    times = [t for t in (opp.stage_entered_at, opp.last_activity_at) if t is not None]
    return max(times) if times else opp.created_at


def is_stale(opp: Opportunity, stage: Stage | None, *, default_days: int,
             now: datetime | None = None) -> bool:
    """True when an open opportunity has had no movement for more than its stage allows."""
    days = stale_days_for(stage, default_days)
    touched = last_touch(opp)
    if days is None or touched is None:
        return False
    return (now or utcnow()) - touched > timedelta(days=days)


def stale_clause(session: Session, now: datetime, default_days: int) -> Any:
    """SQL version of ``is_stale`` (per-stage thresholds), for list filters."""
    entered = func.coalesce(Opportunity.stage_entered_at, Opportunity.created_at)
    touched = case((and_(Opportunity.last_activity_at.is_not(None),
                         Opportunity.last_activity_at > entered), Opportunity.last_activity_at),
                   else_=entered)
    parts = []
    for stage in session.exec(select(Stage).where(Stage.kind == StageKind.OPEN)).all():
        days = stale_days_for(stage, default_days)
        if days:
            parts.append(and_(Opportunity.stage_id == stage.id,
                              touched < now - timedelta(days=days)))
    return or_(*parts) if parts else false()


def org_stale_default(session: Session) -> int:
    return ensure_organisation(session=session).stale_days_default or 14


def opportunity_row(session: Session, opp: Opportunity, stages: dict[int, Stage], *,
                    now: datetime | None = None, default_days: int | None = None,
                    account_names: dict[int, str] | None = None) -> dict[str, Any]:
    """A plain dict for lists, cards and the customer file."""
    stage = stages.get(opp.stage_id)
    if default_days is None:
        default_days = org_stale_default(session)
    now = now or utcnow()
    touched = last_touch(opp)
    return {
        "id": opp.id, "name": opp.name, "account_id": opp.account_id,
        "account_name": (account_names or {}).get(opp.account_id, ""),
        "contact_id": opp.contact_id, "pipeline_id": opp.pipeline_id, "stage_id": opp.stage_id,
        "stage_name": stage.name if stage else "", "kind": stage.kind if stage else "",
        "probability": stage.probability if stage else 0, "amount": opp.amount,
        "weighted": cents(opp.amount * Decimal(stage.probability if stage else 0) / 100),
        "expected_close": opp.expected_close, "channel": opp.channel,
        "owner_id": opp.owner_id, "owner": "", "team_id": opp.team_id,
        "created_at": opp.created_at, "closed_at": opp.closed_at,
        "stage_entered_at": opp.stage_entered_at, "last_activity_at": opp.last_activity_at,
        "lost_reason": opp.lost_reason,
        "days_in_stage": (now - opp.stage_entered_at).days if opp.stage_entered_at else None,
        "days_idle": (now - touched).days if touched else None,
        "stale": is_stale(opp, stage, default_days=default_days, now=now),
    }


# --- quotes --------------------------------------------------------------------------------

STATUS_LABELS = {
    QuoteStatus.BORRADOR: "Borrador", QuoteStatus.ENVIADO: "Enviado",
    QuoteStatus.ACEPTADO: "Aceptado", QuoteStatus.RECHAZADO: "Rechazado",
    QuoteStatus.CADUCADO: "Caducado",
}


def quote_row(quote: Quote, names: Mapping[int, str] | None = None,
              account_name: str = "") -> dict[str, Any]:
    """A plain dict for lists and the customer file."""
    return {"id": quote.id, "number": quote.number, "version": quote.version,
            "label": f"{quote.number} v{quote.version}", "status": quote.status,
            "status_label": STATUS_LABELS.get(quote.status, quote.status),
            "account_id": quote.account_id, "account_name": account_name,
            "opportunity_id": quote.opportunity_id, "issue_date": quote.issue_date,
            "valid_until": quote.valid_until, "base_total": quote.base_total,
            "total": quote.total, "owner_id": quote.owner_id,
            "owner": (names or {}).get(quote.owner_id, ""), "sent_at": quote.sent_at,
            "decided_at": quote.decided_at}


__all__ = ["STATUS_LABELS", "contact_row", "get_visible_account", "is_stale", "last_touch",
           "opportunity_row", "org_stale_default", "quote_row", "stages_by_id", "stale_clause",
           "stale_days_for"]
