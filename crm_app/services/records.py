"""The recycle bin and audited edits of owned records (accounts, contacts, opportunities, quotes).

These services share one meaning for "deleted": ``deleted_at`` is stamped, the row stays (so
``restore`` can bring it back and history keeps pointing at it), lists hide it unless they ask
for the bin, and every move in or out of the bin is one audit event in the same transaction.
Keeping that in one place keeps the four services from drifting apart.

Callers load the record themselves (``get_owned`` with the right action and label) and do their
own checks first (an accepted quote cannot go to the bin, a restored customer must not clash
on NIF); these helpers only do the shared part and commit.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from crm_app.models import utcnow
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor


def bin_clause(model: Any, *, deleted: bool) -> Any:
    """``WHERE`` for a list: the recycle bin (``deleted=True``) or the live rows."""
    return model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None)


@needs_actor
def to_bin(*, session: Session, actor: Actor, record: Any, entity: str,
           note: str = "") -> None:
    """Send ``record`` to the recycle bin, audit it as ``delete`` and commit."""
    record.deleted_at = utcnow()
    session.add(record)
    audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                 action="delete", note=note)
    session.commit()


@needs_actor
def from_bin(*, session: Session, actor: Actor, record: Any, entity: str,
             note: str = "") -> None:
    """Take ``record`` out of the recycle bin, audit it as ``restore`` and commit.

    A record that is not in the bin is left alone (no event, no commit): restoring twice is
    harmless.
    """
    if record.deleted_at is None:
        return
    record.deleted_at = None
    session.add(record)
    audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                 action="restore", note=note)
    session.commit()


@needs_actor
def save_changes(*, session: Session, actor: Actor, record: Any, entity: str,
                 values: dict[str, Any]) -> None:
    """Write validated ``values`` onto ``record``, stamp ``updated_at`` and commit.

    The audit event holds only the fields that really changed (none changed: no event), so the
    customer timeline shows what moved.
    """
    before = audit.snapshot(record)
    for key, value in values.items():
        setattr(record, key, value)
    record.updated_at = utcnow()
    session.add(record)
    old, new = audit.diff(before, audit.snapshot(record))
    if new:
        audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                     action="update", before=old, after=new)
    session.commit()


__all__ = ["bin_clause", "from_bin", "save_changes", "to_bin"]
