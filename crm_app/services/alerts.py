"""The alert bell: the open alerts addressed to a user.

An alert is a message to one person (its ``owner_id``), so the bell shows the user's own
alerts, not every alert their role may see: with three admins, an admin alert is three rows
and each admin sees one. Reads still go through ``restrict`` like every other record.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.formatting import ago
from crm_app.models import Alert
from crm_app.permissions import restrict
from crm_app.services.actors import Actor, needs_actor, owned_by


def _open() -> object:
    return Alert.resolved_at.is_(None)  # type: ignore[union-attr]


@needs_actor
def open_alerts_count(*, session: Session, actor: Actor) -> int:
    """Unread, unresolved alerts: the number on the bell."""
    stmt = select(func.count(Alert.id)).where(  # type: ignore[union-attr]
        _open(), Alert.read_at.is_(None), owned_by(Alert.owner_id, actor))
    return int(session.exec(restrict(stmt, actor)).one())


@needs_actor
def open_alerts(*, session: Session, actor: Actor, limit: int = 10) -> list[dict[str, str]]:
    """The newest open alerts as display rows (message, severity, age, where it leads)."""
    rows = session.exec(restrict(
        select(Alert).where(_open(), owned_by(Alert.owner_id, actor))
        .order_by(Alert.created_at.desc())  # type: ignore[attr-defined]
        .limit(max(1, min(limit, 50))), actor)).all()
    return [{"message": a.message, "severity": a.severity, "when": ago(a.created_at),
             "href": f"/clientes/{a.account_id}" if a.account_id else "/"} for a in rows]
