"""The alert bell: the open alerts addressed to a user.

An alert is a message to one person (its ``owner_id``), so the bell shows the user's own
alerts, not every alert their role may see: with three admins, an admin alert is three rows
and each admin sees one. Reads still go through ``restrict`` like every other record.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.formatting import ago
from crm_app.models import Alert, User
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


# --- h13-auto: MINIMAL raise_alert with the CONTRACT's signature ------------------------------
# Placed here by the automation-rules slice until h13-alerts lands; at merge the lead keeps
# h13-alerts' version (reason, dedup column, email/push after commit) and drops this one.
_RECORD_COLUMNS = {"lead": "lead_id", "account": "account_id", "opportunity": "opportunity_id"}


def raise_alert(*, session: Session, owner_id: int, kind: str, level: str, message: str,
                reason: str, record: tuple[str, int] | None, source: str,
                dedup_key: str | None = None) -> Alert | None:
    """An alert for ``owner_id`` in the caller's transaction (no commit); ``None`` when an
    open alert with the same ``dedup_key`` (here: same kind, message and record) exists."""
    owner = session.get(User, owner_id)
    if owner is None:
        return None
    links: dict[str, int] = {}
    if record is not None and record[0] in _RECORD_COLUMNS:
        links[_RECORD_COLUMNS[record[0]]] = int(record[1])
    if dedup_key is not None:
        stmt = select(Alert.id).where(_open(), Alert.owner_id == owner_id,
                                      Alert.kind == kind[:40], Alert.message == message[:300])
        for column, value in links.items():
            stmt = stmt.where(getattr(Alert, column) == value)
        if session.exec(stmt).first() is not None:
            return None
    alert = Alert(kind=kind[:40], severity=level, message=message[:300], owner_id=owner_id,
                  team_id=owner.team_id, **links)
    session.add(alert)
    return alert
