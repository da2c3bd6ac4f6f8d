"""Roles, permissions and ``restrict()``: the one helper that scopes every read.

Like NetBox's ``RestrictedQuerySet.restrict(user, action)``: a query is built as usual, then
passed through ``restrict`` which adds the row filter for the user's role. Handlers and API
routes never write their own ownership filters.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import false, or_
from sqlalchemy.sql import Select
from sqlalchemy.sql.util import find_tables

from crm_app.models import OWNED_MODELS, Account, Quote, Role, User


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    DELETE = "delete"


class Perm(StrEnum):
    """What a role may do at all; row scope is decided separately by ``restrict``."""

    RECORDS_VIEW = "records.view"
    RECORDS_CHANGE = "records.change"
    RECORDS_DELETE = "records.delete"
    RECORDS_ASSIGN = "records.assign"  # give a record to another user
    IMPORT = "import.run"
    REPORTS_VIEW = "reports.view"
    REPORTS_COMPANY = "reports.company"
    CATALOG_CHANGE = "catalog.change"
    SETTINGS_CHANGE = "settings.change"
    USERS_MANAGE = "users.manage"
    RULES_MANAGE = "rules.manage"
    AUDIT_VIEW = "audit.view"
    AUTOMATIONS_MANAGE = "automations.manage"  # Ajustes → Automatizaciones (admins)
    # Read the fiscal records only: customers' fiscal data, quotes (and, as they arrive,
    # invoices, credit notes, payments, accounting exports). Every role reads them; the
    # asesor reads nothing else (``FISCAL_MODELS``).
    FISCAL_VIEW = "fiscal.view"


_ALL = frozenset(Perm)
_COMMON = frozenset({Perm.RECORDS_VIEW, Perm.RECORDS_CHANGE, Perm.RECORDS_DELETE, Perm.IMPORT,
                     Perm.REPORTS_VIEW, Perm.FISCAL_VIEW})

ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: _ALL,
    # Ajustes → Auditoría is "visible to admins" (issue 12): the director no longer reads it.
    Role.DIRECTOR: _COMMON | {Perm.RECORDS_ASSIGN, Perm.REPORTS_COMPANY, Perm.CATALOG_CHANGE},
    Role.MANAGER: _COMMON | {Perm.RECORDS_ASSIGN, Perm.CATALOG_CHANGE},
    Role.COMERCIAL: _COMMON,
    # The company's external accountant: reads the fiscal records company-wide, changes
    # nothing; no leads, contacts, opportunities, activities, analytics, imports or settings.
    Role.ASESOR: frozenset({Perm.FISCAL_VIEW}),
}

# The owned models ``Perm.FISCAL_VIEW`` reads: a statement or record of any other owned model
# (leads, contacts, deals, activities, documents, alerts…) needs ``Perm.RECORDS_VIEW``. Later
# fiscal models (invoices, credit notes, payments) join this tuple.
FISCAL_MODELS: tuple[type, ...] = (Account, Quote)


class PermissionDenied(Exception):
    """The actor may not do this; API maps it to 403, the UI to a toast."""

    def __init__(self, message: str = "No tienes permiso para esta acción.") -> None:
        super().__init__(message)
        self.message = message


def has_perm(user: User | None, perm: Perm) -> bool:
    return bool(user and user.active and perm in ROLE_PERMS.get(user.role, frozenset()))


def require(user: User | None, perm: Perm) -> User:
    """Raise ``PermissionDenied`` unless the user holds ``perm``; return the user for chaining."""
    if not has_perm(user, perm):
        raise PermissionDenied()
    assert user is not None
    return user


def scope_of(user: User) -> str:
    """The data a user sees: ``company``, ``team`` or ``own``."""
    if user.role in (Role.ADMIN, Role.DIRECTOR, Role.ASESOR):
        return "company"
    if user.role == Role.MANAGER:
        return "team"
    return "own"


S = TypeVar("S", bound=Select)


def _owned_entities(stmt: Select) -> list[Any]:
    found = []
    for desc in stmt.column_descriptions:
        entity = desc.get("entity")
        if entity in OWNED_MODELS and entity not in found:
            found.append(entity)
    for frm in stmt.get_final_froms():
        for model in OWNED_MODELS:
            if getattr(frm, "name", None) == model.__tablename__ and model not in found:
                found.append(model)
    return found


_BY_TABLE = {model.__tablename__: model for model in OWNED_MODELS}


def _owned_tables(stmt: Select) -> list[Any]:
    """Every owned model whose table appears anywhere in ``stmt`` (joins, subqueries)."""
    found = list(_owned_entities(stmt))
    for table in find_tables(stmt, include_joins=True, include_aliases=True):
        model = _BY_TABLE.get(getattr(table, "name", None))
        if model is not None and model not in found:
            found.append(model)
    return found


def row_filter(model: Any, user: User | None) -> Any:
    """The WHERE clause that limits ``model`` rows to what ``user`` may see."""
    if user is None or not user.active:
        return false()
    scope = scope_of(user)
    if scope == "company":
        return None
    if scope == "team":
        if user.team_id is None:
            return model.owner_id == user.id
        return or_(model.team_id == user.team_id, model.owner_id == user.id)
    return model.owner_id == user.id


_ACTION_PERMS = {Action.VIEW: Perm.RECORDS_VIEW, Action.CHANGE: Perm.RECORDS_CHANGE,
                 Action.DELETE: Perm.RECORDS_DELETE}


def _may(user: User, model: Any, action: Action) -> bool:
    """Whether ``user``'s role may ``action`` rows of ``model`` at all (row scope apart):
    the records permission of the action, or, to view a fiscal model, ``FISCAL_VIEW``.
    ``model=None`` is a statement over non-owned tables only (catalog, pipelines)."""
    if has_perm(user, _ACTION_PERMS[action]):
        return True
    return action == Action.VIEW and model in FISCAL_MODELS and has_perm(user, Perm.FISCAL_VIEW)


def restrict(stmt: S, user: User | None, action: Action | str = Action.VIEW) -> S:
    """Scope ``stmt`` to the rows ``user`` may ``action``; every owned model in it is filtered.

    Owned models are those with ``owner_id``/``team_id`` (``OWNED_MODELS``). A statement over
    non-owned tables only (catalog, pipelines) passes through, but still needs a user.
    The scope applies to the entities the statement *selects*; a table only joined in (e.g. the
    Account behind ``select(Opportunity).join(Account)``) is context for the selected rows,
    not a second visibility check, so a comercial's own deal on a colleague's customer shows.
    """
    action = Action(action)
    if user is None or not user.active:
        return stmt.where(false())
    # The role may act on every owned table the statement touches (selected, joined or in a
    # subquery): an asesor's quote list joined to the deals is empty, not a window onto them.
    # (Only a role without the records permission walks the statement: the others may.)
    if not has_perm(user, _ACTION_PERMS[action]) and not all(
            _may(user, model, action) for model in _owned_tables(stmt) or [None]):
        return stmt.where(false())
    for model in _owned_entities(stmt):
        clause = row_filter(model, user)
        if clause is not None:
            stmt = stmt.where(clause)
    return stmt


def can_access(user: User | None, record: Any, action: Action | str = Action.VIEW) -> bool:
    """Check one loaded record with the same rule ``restrict`` applies in SQL."""
    if user is None or not user.active:
        return False
    if not _may(user, type(record), Action(action)):
        return False
    scope = scope_of(user)
    if scope == "company":
        return True
    if record.owner_id == user.id:
        return True
    return scope == "team" and user.team_id is not None and record.team_id == user.team_id
