"""The organisation using the CRM (one row): its data as Ajustes shows it.

Read-only for now; the administration screens will edit it through this module.
"""

from __future__ import annotations

from sqlmodel import Session, select

from crm_app.models import Organisation
from crm_app.permissions import Perm, require
from crm_app.services.actors import Actor, needs_actor


@needs_actor
def organisation(*, session: Session, actor: Actor) -> Organisation:
    """The organisation's row, or the defaults (EUR, Europe/Madrid…) when none is stored yet;
    reading never creates it."""
    require(actor, Perm.SETTINGS_CHANGE)
    return session.exec(select(Organisation).order_by(Organisation.id)).first() \
        or Organisation()


__all__ = ["organisation"]
