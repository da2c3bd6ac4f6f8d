"""The steps every audited record shares: find it, create it, change it, bin and restore it.

Customers, contacts, opportunities, quotes, products, custom fields, report schedules, rules
and templates are different records with one life: created with a ``create`` event holding
the whole row, changed with an ``update`` event holding only what moved, sent to the recycle
bin and back with ``delete``/``restore`` events, all in the same transaction as the change.
Each service used to spell these steps out again, and copies drift (one forgot the ``if
new`` and wrote empty events, another the flush that gives the event its id). They live here
once; the services keep their own validation and rules.

The recycle bin: ``deleted_at`` is stamped, the row stays (so ``restore`` can bring it back
and history keeps pointing at it), lists hide it unless they ask for the bin. Callers that
have their own checks (an accepted quote cannot go to the bin, a restored customer must not
clash on NIF) load the record themselves and call ``to_bin``/``from_bin``; the others use
``sales_common.bin_owned``/``restore_owned``, which load it through the actor's scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlmodel import Session

from crm_app.models import utcnow
from crm_app.services import audit, outbox
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import NotFound

R = TypeVar("R")


def bin_clause(model: Any, *, deleted: bool) -> Any:
    """``WHERE`` for a list: the recycle bin (``deleted=True``) or the live rows."""
    return model.deleted_at.is_not(None) if deleted else model.deleted_at.is_(None)


def get_existing(*, session: Session, model: type[R], record_id: Any, missing: str) -> R:
    """The ``model`` row with this id, or ``NotFound(missing)``.

    For records every permitted actor may see (the catalog, settings, rules, templates);
    owned records go through ``sales_common.get_owned``, which also applies the scope.
    """
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(missing)
    return row


@needs_actor
def add_record(*, session: Session, actor: Actor, record: R, entity: str,
               snapshot: Callable[[R], dict[str, Any] | None] = audit.snapshot, note: str = "",
               commit: bool = True) -> R:
    """Insert ``record`` with its ``create`` event and commit; ``commit=False`` leaves the
    transaction open for a caller that adds more (a conversion, a rule set).

    The flush comes first, so the event names the new id and ``snapshot`` (what the event
    keeps of the row: all of it unless given) sees it too."""
    session.add(record)
    session.flush()
    audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                 action="create", after=snapshot(record), note=note)
    outbox.emit_created(session=session, entity=entity, record_id=record.id, actor_id=actor.id)
    if commit:
        session.commit()
    return record


@needs_actor
def record_changes(*, session: Session, actor: Actor, record: Any, entity: str,
                   before: dict[str, Any], after: dict[str, Any] | None = None,
                   action: str = "update") -> None:
    """Stamp ``updated_at`` and audit what changed since ``before`` (``after``: the row's
    snapshot unless given); nothing changed, no event. No commit.

    The stamp itself is never a change: a save that changes nothing leaves no trace on the
    timeline.
    """
    record.updated_at = utcnow()
    session.add(record)
    old, new = audit.diff(before, audit.snapshot(record) if after is None else after)
    old.pop("updated_at", None)
    new.pop("updated_at", None)
    if new:
        audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                     action=action, before=old, after=new)
        outbox.emit_changes(session=session, entity=entity, record_id=record.id,
                            actor_id=actor.id, old=old, new=new)


@needs_actor
def save_changes(*, session: Session, actor: Actor, record: Any, entity: str,
                 values: dict[str, Any]) -> None:
    """Write validated ``values`` onto ``record``, audit what really changed and commit."""
    before = audit.snapshot(record) or {}
    for key, value in values.items():
        setattr(record, key, value)
    record_changes(session=session, actor=actor, record=record, entity=entity, before=before)
    session.commit()


@needs_actor
def delete_record(*, session: Session, actor: Actor, record: Any, entity: str) -> None:
    """Delete ``record`` for good (records without a recycle bin), its last picture kept in
    the ``delete`` event, and commit."""
    audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                 action="delete", before=audit.snapshot(record))
    session.delete(record)
    session.commit()


def _bin_move(session: Session, actor: Actor, record: Any, entity: str, *, deleted: bool,
              note: str) -> None:
    record.deleted_at = utcnow() if deleted else None
    session.add(record)
    audit.record(session=session, actor=actor, entity=entity, entity_id=record.id,
                 action="delete" if deleted else "restore", note=note)
    session.commit()


@needs_actor
def to_bin(*, session: Session, actor: Actor, record: Any, entity: str,
           note: str = "") -> None:
    """Send ``record`` to the recycle bin, audit it as ``delete`` and commit."""
    _bin_move(session, actor, record, entity, deleted=True, note=note)


@needs_actor
def from_bin(*, session: Session, actor: Actor, record: Any, entity: str,
             note: str = "") -> None:
    """Take ``record`` out of the recycle bin, audit it as ``restore`` and commit.

    A record that is not in the bin is left alone (no event, no commit): restoring twice is
    harmless.
    """
    if record.deleted_at is not None:
        _bin_move(session, actor, record, entity, deleted=False, note=note)


__all__ = ["add_record", "bin_clause", "delete_record", "from_bin", "get_existing",
           "record_changes", "save_changes", "to_bin"]
