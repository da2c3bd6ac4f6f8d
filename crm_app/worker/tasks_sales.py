"""Sales tasks: daily quote expiry (as ``actors.SYSTEM``), quote email in the background (as
the user who asked for it)."""

from __future__ import annotations

from crm_app.db import session_scope
from crm_app.models import User
from crm_app.permissions import PermissionDenied
from crm_app.services import quotes as quote_service
from crm_app.services.actors import SYSTEM
from crm_app.worker.app import celery_app


@celery_app.task(name="crm.sales.expire_quotes")
def expire_quotes() -> int:
    """Mark caducado the borrador/enviado quotes whose validity date has passed."""
    with session_scope() as session:
        return quote_service.expire_quotes(session=session, actor=SYSTEM)


@celery_app.task(name="crm.sales.send_quote")
def send_quote(quote_id: int, user_id: int, to: list[str] | None = None,
               message: str = "") -> str:
    """Send a quote by email as ``user_id`` (the UI queues this instead of blocking). A user
    that no longer exists is refused: it never becomes the system."""
    with session_scope() as session:
        actor = session.get(User, user_id)
        if actor is None:
            raise PermissionDenied()
        quote = quote_service.send_quote(session=session, actor=actor, quote_id=quote_id,
                                         to=to, message=message)
        return quote.status
