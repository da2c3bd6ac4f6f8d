"""Small helpers shared by the customer and sales services (accounts, opportunities, quotes…).

- ``Page``: one page of rows plus the total, the shape every list returns.
- ``to_decimal``: parse user input into ``Decimal`` (never ``float``) with a Spanish error.
- ``cents``: round half up to cents, the one rounding rule for money.
- ``assign_owner``: who owns a new record, and whether the actor may give it to someone else.
- ``get_owned``: load one owned record the actor may see, else ``NotFound`` (ids do not leak).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Generic, TypeVar

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.formatting import TZ
from crm_app.i18n import t
from crm_app.models import Role, Team, User
from crm_app.models.bounds import day_in_range, day_range_message
from crm_app.permissions import Action, Perm, PermissionDenied, can_access, require
from crm_app.services import links
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.custom_fields import parse_date
from crm_app.services.errors import NotFound, ValidationFailed
from crm_app.services.links import blank
from crm_app.services.records import from_bin, save_changes, to_bin

T = TypeVar("T")
R = TypeVar("R")
CENT = Decimal("0.01")
MAX_PAGE_SIZE = 200
UNKNOWN_FIELD = "Campo desconocido."
# Decimal inputs beyond 10^±20 are refused: quantize() needs them to fit the 28-digit context.
MAX_EXPONENT = 20


@dataclass
class Page(Generic[T]):
    """One page of a server-side list."""

    items: list[T]
    total: int
    offset: int = 0
    limit: int = 25
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total


def clamp_page(offset: int, limit: int) -> tuple[int, int]:
    return max(0, int(offset or 0)), max(1, min(int(limit or 25), MAX_PAGE_SIZE))


def paginate(session: Session, stmt: Any, offset: int, limit: int) -> tuple[list[Any], int]:
    """Count ``stmt`` and fetch one page of it (``stmt`` already ordered and scoped)."""
    offset, limit = clamp_page(offset, limit)
    total = session.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
    rows = list(session.exec(stmt.offset(offset).limit(limit)).all())
    return rows, int(total)


def order_by(stmt: Any, model: Any, sort: str, allowed: dict[str, Any], default: str) -> Any:
    """``sort`` is a key of ``allowed`` with an optional leading ``-`` for descending."""
    key = (sort or default).strip()
    desc = key.startswith("-")
    key = key.lstrip("-")
    if key not in allowed:
        key = default.lstrip("-")
        desc = default.startswith("-")
    column = allowed[key]
    return stmt.order_by(column.desc() if desc else column.asc(), model.id.desc())


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def to_decimal(value: Any, *, field_name: str, errors: dict[str, str],
               default: Decimal | None = None, minimum: Decimal | None = None,
               maximum: Decimal | None = None,
               places: int | None = None, label: str = "El valor") -> Decimal | None:
    """Parse ``value`` (Decimal, int or string; ``1.234,56`` and ``1234.56`` both accepted).

    Errors are written into ``errors[field_name]`` (Spanish) and ``default`` is returned, so
    a form reports every bad field at once.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, float):
        # Floats are not exact money; accept them only through their shortest repr.
        value = repr(value)
    if isinstance(value, bool):
        errors[field_name] = f"{label} debe ser un número."
        return default
    try:
        if isinstance(value, str):
            text = value.strip().replace("\u00a0", "").replace(" ", "").replace("€", "")
            text = text.replace("%", "")
            if "," in text:
                text = text.replace(".", "").replace(",", ".")
            number = Decimal(text)
        else:
            number = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        errors[field_name] = f"{label} debe ser un número."
        return default
    if not number.is_finite():
        errors[field_name] = f"{label} debe ser un número."
        return default
    if minimum is not None and number < minimum:
        errors[field_name] = f"{label} no puede ser menor que {_plain(minimum)}."
        return default
    if maximum is not None and number > maximum:
        errors[field_name] = f"{label} no puede ser mayor que {_plain(maximum)}."
        return default
    if number and abs(number.adjusted()) > MAX_EXPONENT:
        # quantize() and the totals' arithmetic need the digits to fit the decimal context.
        errors[field_name] = t("bounds.decimal_range", label=label)
        return default
    if places is not None:
        step = Decimal(1).scaleb(-places)
        if number != number.quantize(step):
            errors[field_name] = f"{label} admite como mucho {places} decimales."
            return default
        number = number.quantize(step)  # the column's scale: same value before and after a read
    return number


def _plain(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def rate_text(value: Decimal) -> str:
    """``21``, ``5.2``, ``0`` — a rate as a plain string without trailing zeros."""
    text = f"{Decimal(value).normalize():f}"
    return "0" if text in {"-0", "0"} else text


def today_local() -> date:
    """Today in the organisation's time zone (Madrid): quote dates and expiry use it."""
    return datetime.now(TZ).date()


def aware(value: datetime | date | str | None, *, field_name: str,
          errors: dict[str, str]) -> datetime | None:
    """An aware UTC datetime from a datetime, a date (midnight Madrid) or an ISO string."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, str):
            text = value.strip().replace("Z", "+00:00")
            value = datetime.fromisoformat(text) if "T" in text or " " in text \
                else date.fromisoformat(text)
        if isinstance(value, date) and not day_in_range(value):
            # Checked before the shift to UTC, which overflows at year 1 and 9999.
            errors[field_name] = day_range_message()
            return None
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=TZ)
            return value.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=TZ).astimezone(UTC)
    except ValueError:
        pass
    errors[field_name] = "Fecha no válida (usa aaaa-mm-dd)."
    return None


def as_date(value: date | str | None, *, field_name: str, errors: dict[str, str]) -> date | None:
    """A date from a date, an ISO string or what a Spanish user types (``31/12/2026``): the
    screens' date inputs are text in ``dd/mm/aaaa`` whatever the browser's language."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, datetime):  # an aware moment is a day in Madrid
            day = value.astimezone(TZ).date() if value.tzinfo else value.date()
        else:
            day = parse_date(value)
    except (ValueError, OverflowError) as exc:
        errors[field_name] = str(exc) if isinstance(exc, ValueError) and "dd/mm" in str(exc) \
            else "Fecha no válida: usa dd/mm/aaaa."
        return None
    if not day_in_range(day):  # quotes add validity days to it; analytics go back years
        errors[field_name] = day_range_message()
        return None
    return day


@needs_actor
def is_admin(actor: Actor) -> bool:
    """Admins (and the system, ``actors.SYSTEM``) may write history: created_at, closed_at."""
    return actor.active and actor.role == Role.ADMIN


@needs_actor
def require_user(actor: Actor, perm: Perm) -> Actor:
    """``permissions.require`` for the sales services (the system holds every permission)."""
    return require(actor, perm)


@needs_actor
def assign_owner(*, session: Session, actor: Actor, owner_id: int | None,
                 errors: dict[str, str], default: User | None = None) -> tuple[int | None,
                                                                                  int | None]:
    """The ``(owner_id, team_id)`` of a new or reassigned record.

    Default owner: ``default`` (e.g. the account's owner) or the actor. Giving a record to
    someone else needs ``records.assign``; a manager may only give it inside their team
    (the rule lives in ``links.assign_error``).
    """
    if blank(owner_id) or owner_id == 0:
        owner = default or actor  # the system's id and team are None: no owner
        return owner.id, owner.team_id
    owner = links.owner(session, actor, owner_id, errors=errors, default=default)
    if owner is None:
        return None, None
    return owner.id, owner.team_id


@needs_actor
def owner_change(*, session: Session, actor: Actor, record: Any, data: Mapping[str, Any],
                 errors: dict[str, str]) -> dict[str, int | None]:
    """``{"owner_id", "team_id"}`` when ``data`` gives ``record`` another owner (checked
    like every assignment: ``assign_owner``), else ``{}``: the edit forms send the current
    owner back unchanged, which is no reassignment."""
    wanted = data.get("owner_id") if "owner_id" in data else None
    if wanted in (None, record.owner_id):
        return {}
    owner_id, team_id = assign_owner(session=session, actor=actor, owner_id=wanted,
                                     errors=errors)
    return {"owner_id": owner_id, "team_id": team_id}


@needs_actor
def save_owned(*, session: Session, actor: Actor, record: Any, entity: str,
               data: Mapping[str, Any], values: dict[str, Any], errors: dict[str, str]) -> None:
    """Save an edit of an owned record: the owner change ``data`` asks for is checked with
    the other fields (``owner_change``), any error refuses the whole edit
    (``ValidationFailed``, nothing written), else ``records.save_changes`` commits it."""
    values = {**values, **owner_change(session=session, actor=actor, record=record, data=data,
                                       errors=errors)}
    check(errors)
    save_changes(session=session, actor=actor, record=record, entity=entity, values=values)


@needs_actor
def get_owned(session: Session, actor: Actor, model: Any, record_id: Any,
              action: Action | str = Action.VIEW, *, label: str = "Registro",
              include_deleted: bool = False) -> Any:
    """The record if it exists, is not in the bin and ``actor`` may ``action`` it; else 404.

    The message comes from the links catalog when the model has one ("Oportunidad no
    encontrada."), so it agrees in gender; ``label`` names the others."""
    rid = links.as_id(record_id)
    record = session.get(model, rid) if rid is not None else None
    missing = links.missing_text(model, label)
    if record is None or (not include_deleted and getattr(record, "deleted_at", None)):
        raise NotFound(missing)
    if not can_access(actor, record, Action.VIEW):
        raise NotFound(missing)
    if action != Action.VIEW and not can_access(actor, record, action):
        raise PermissionDenied()
    return record


@needs_actor
def bin_owned(*, session: Session, actor: Actor, model: type[R], record_id: Any,
              entity: str, label: str) -> R:
    """``to_bin`` the owned record ``record_id`` if ``actor`` may delete it (else 404/403,
    as ``get_owned``); returns it."""
    record = get_owned(session, actor, model, record_id, Action.DELETE, label=label)
    to_bin(session=session, actor=actor, record=record, entity=entity)
    return record


@needs_actor
def restore_owned(*, session: Session, actor: Actor, model: type[R], record_id: Any,
                  entity: str, label: str) -> R:
    """``from_bin`` the owned record ``record_id`` if ``actor`` may delete it; returns it."""
    record = get_owned(session, actor, model, record_id, Action.DELETE, label=label,
                       include_deleted=True)
    from_bin(session=session, actor=actor, record=record, entity=entity)
    return record


def _names(session: Session, model: Any, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.exec(select(model.id, model.name).where(model.id.in_(ids))).all())


def user_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """``{id: name}`` of the users ``ids`` names (blanks skipped), in one query."""
    return _names(session, User, ids)


def team_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    """``{id: name}`` of the teams ``ids`` names (blanks skipped), in one query."""
    return _names(session, Team, ids)


def where_equal(stmt: Any, model: Any, **values: Any) -> Any:
    """``stmt`` with ``model.<column> == value`` for each filter given; a blank value
    (``None``, ``""``, ``0``) is no filter.

    The lists' exact-match filters (owner, team, channel, customer…): written out one ``if``
    per filter in every list, they were the same lines in each service.
    """
    for column, value in values.items():
        if value:
            stmt = stmt.where(getattr(model, column) == value)
    return stmt


def unknown_fields(*, data: Mapping[str, Any], allowed: Iterable[str]) -> dict[str, str]:
    """``{key: "Campo desconocido."}`` for each key of ``data`` outside ``allowed``: every
    record's validation starts with it, so a misspelt field is reported, never dropped."""
    return {key: UNKNOWN_FIELD for key in sorted(set(data) - set(allowed))}


def check(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationFailed(dict(errors))


def text(value: Any, *, field_name: str, errors: dict[str, str], max_len: int,
         required: bool = False, label: str = "Este campo") -> str:
    value = "" if value is None else str(value).strip()
    if required and not value:
        errors[field_name] = f"{label} es obligatorio."
    elif len(value) > max_len:
        errors[field_name] = f"{label} admite como mucho {max_len} caracteres."
    return value


__all__ = [
    "CENT",
    "Page",
    "as_date",
    "assign_owner",
    "aware",
    "bin_owned",
    "cents",
    "check",
    "clamp_page",
    "get_owned",
    "is_admin",
    "order_by",
    "owner_change",
    "paginate",
    "rate_text",
    "require_user",
    "restore_owned",
    "save_owned",
    "team_names",
    "text",
    "to_decimal",
    "today_local",
    "unknown_fields",
    "user_names",
    "where_equal",
]
