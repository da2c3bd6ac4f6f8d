"""Links between records: every foreign key a user sets is resolved here, through ``restrict()``.

Row scoping holds on every direct read, but a record can also *point at* another one: an account
names its lead, a contact its account, an opportunity its contact, a quote its opportunity.
Were those ids stored as given, a comercial could link a lead of another team to their own
customer and read it back through the customer file, and an id that does not exist would fail
on the database's foreign key (a 500). So every id a user sets goes through ``visible``:

- the row must exist, be out of the recycle bin and be one ``restrict(select(Model), actor)``
  returns, else the field gets a Spanish error (``ValidationFailed`` → API 422). A row out of
  scope reads exactly like one that does not exist, so an id tells nothing;
- catalog rows (products, pipelines) are not owned: ``restrict`` lets any active user see
  them, and they must be active; a stage must belong to the record's pipeline (``stage_of``);
- an owner is a user, not an owned row: ``owner`` applies the assignment rule (an active user;
  giving a record to someone else needs ``records.assign``, a manager only inside the team);
- an id that cannot be one (not a positive 32-bit INTEGER: ``2**31``, ``"abc"``, ``True``)
  is simply not found, never an overflow in the driver.

An id equal to the record's current value (``keep``) is not a new link: it is accepted as it
is, so editing a record whose legacy link points out of scope does not fail on a field the user
did not touch. The system (``actors.SYSTEM``: seed, jobs) sees every row: existence only.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from crm_app.i18n import t
from crm_app.models import (
    Account,
    Contact,
    Lead,
    Opportunity,
    Pipeline,
    Product,
    Quote,
    Stage,
    User,
)
from crm_app.models.bounds import MAX_ID  # a larger id cannot exist: "not found"
from crm_app.permissions import Perm, has_perm, restrict, scope_of
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.errors import ValidationFailed

_KIND: dict[Any, str] = {Lead: "lead", Account: "account", Contact: "contact",
                         Opportunity: "opportunity", Quote: "quote", Product: "product",
                         Pipeline: "pipeline", Stage: "stage"}


def blank(value: Any) -> bool:
    """No link given: ``None`` or an empty/blank string (a form's empty select)."""
    return value is None or (isinstance(value, str) and not value.strip())


def as_id(value: Any) -> int | None:
    """A positive INTEGER id from an int or a string of ASCII digits; anything else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 10:
            return None
        number = int(text)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def missing_text(model: Any, label: str = "") -> str:
    """"Oportunidad no encontrada.": the not-found message of a model, in its own gender
    (a model without one: "<label> no encontrado.", or "Registro no encontrado.")."""
    if model not in _KIND and label:
        return f"{label} no encontrado."
    return t(f"links.missing.{_KIND.get(model, 'record')}")


@needs_actor
def visible(session: Session, actor: Actor, model: Any, value: Any, *, field: str,
            errors: dict[str, str], keep: int | None = None) -> Any | None:
    """The ``model`` row that ``value`` names, if ``actor`` may see it; else ``None`` and a
    Spanish error in ``errors[field]``. Blank ``value``: ``None``, no error (no link)."""
    if blank(value):
        return None
    kind = _KIND.get(model, "record")
    rid = as_id(value)
    if rid is not None and keep is not None and rid == keep:
        return session.get(model, rid)
    row = None
    if rid is not None:
        stmt = select(model).where(model.id == rid)
        if "deleted_at" in model.model_fields:
            stmt = stmt.where(model.deleted_at.is_(None))
        stmt = restrict(stmt, actor)
        row = session.exec(stmt).first()
    if row is None:
        errors[field] = missing_text(model)
        return None
    if getattr(row, "active", True) is False:
        errors[field] = t(f"links.inactive.{kind}")
        return None
    return row


@needs_actor
def required(session: Session, actor: Actor, model: Any, value: Any, *, field: str) -> Any:
    """``visible`` for a link a command cannot do without (the customer a lead converts
    into, the pipeline it opens a deal in): anything but a visible row is
    ``ValidationFailed`` on ``field``, shown beside that field."""
    errors: dict[str, str] = {}
    row = visible(session, actor, model, value, field=field, errors=errors)
    if row is None:
        raise ValidationFailed(errors or {field: missing_text(model)})
    return row


@needs_actor
def stage_of(session: Session, actor: Actor, pipeline_id: int | None, value: Any, *,
             field: str = "stage_id", errors: dict[str, str]) -> Stage | None:
    """A stage of ``pipeline_id`` (stages of another pipeline read as not found)."""
    stage = visible(session, actor, Stage, value, field=field, errors=errors)
    if stage is not None and stage.pipeline_id != pipeline_id:
        errors[field] = t("links.missing.stage")
        return None
    return stage


@needs_actor
def assign_error(actor: Actor, target: User | None, *,
                 default: User | None = None) -> str | None:
    """Why ``actor`` may not make ``target`` the owner of a record, or ``None`` if they may.

    The rule of the whole application (forms, API, bulk actions, imports): the target is an
    active user; oneself (or ``default``, e.g. the customer's owner for its contact) is always
    allowed; anyone else needs ``records.assign``, and a manager stays inside their team (a
    manager without a team assigns to themselves only). The system may give it to anyone.
    """
    if target is None or not target.active:
        return t("links.owner.missing")
    if target.id == actor.id or (default is not None and target.id == default.id):
        return None
    if not has_perm(actor, Perm.RECORDS_ASSIGN):
        return t("links.owner.not_yours")
    if scope_of(actor) != "company" and (actor.team_id is None
                                         or target.team_id != actor.team_id):
        return t("links.owner.team_only")
    return None


@needs_actor
def owner(session: Session, actor: Actor, value: Any, *, errors: dict[str, str],
          field: str = "owner_id", default: User | None = None) -> User | None:
    """The user ``value`` names if ``actor`` may give them a record; else a field error."""
    if blank(value):
        return None
    rid = as_id(value)
    target = session.get(User, rid) if rid is not None else None
    message = assign_error(actor, target, default=default)
    if message is not None:
        errors[field] = message
        return None
    return target


__all__ = ["MAX_ID", "as_id", "assign_error", "blank", "missing_text", "owner", "stage_of",
           "visible"]
