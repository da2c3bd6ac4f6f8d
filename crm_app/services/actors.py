"""Who acts: a signed-in person (a ``User`` row) or the system itself (``SYSTEM``).

Every service takes an ``actor``. It used to be allowed to be ``None``, which silently meant
"superuser" in some branches and "nobody" in others (``permissions.restrict`` denies ``None``),
so a handler that lost its user could end up acting with every right and leave no trace of
who did it. Now the caller always says who acts:

- a person: the ``User`` the UI, the API or ``crm … --as correo`` resolved;
- the system: ``SYSTEM``, which the CLI's own commands (``crm users create``, ``crm seed``…),
  the Celery jobs, the demo seed and the account lock after failed logins pass on purpose.

``SYSTEM`` holds every permission (its role is ``admin``, so ``has_perm``, ``restrict`` and
``can_access`` let it through without special cases), is never a row of ``user`` (no id, no
password, no session or token can name it, so nobody can sign in as it) and its audit events
carry ``actor_id = NULL``, which the timelines show as "Sistema". A service called with
``None`` (or anything that is not an actor) raises ``NoActor``: a programming error, never a
permission decision. ``needs_actor`` is that check, put on every public service function that
takes an ``actor``; ``tests/unit/test_actors.py`` finds them all by introspection.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import false

from crm_app.i18n import t
from crm_app.models import Role, User
from crm_app.permissions import PermissionDenied


@dataclass(frozen=True, slots=True)
class SystemActor:
    """The system acting on its own (jobs, the CLI, seeds). Read like a ``User`` by the
    permission helpers: an active admin without id, team or e-mail."""

    id: None = None
    name: str = t("actors.system")
    email: None = None
    role: str = Role.ADMIN
    active: bool = True
    team_id: None = None

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = SystemActor()

# What a service's ``actor`` is: a person or the system. Never ``None``.
Actor = User | SystemActor


class NoActor(TypeError):
    """A service was called without an actor (``None`` or something that is not one)."""

    def __init__(self, where: str, got: Any) -> None:
        super().__init__(f"{where}: actor={got!r} no es un actor; pasa el usuario que actúa o "
                         "crm_app.services.actors.SYSTEM si actúa el sistema.")


def is_system(candidate: Any) -> bool:
    """True for the system actor (audited as "Sistema", owns nothing)."""
    return isinstance(candidate, SystemActor)


F = TypeVar("F", bound=Callable[..., Any])
_MISSING = object()


def needs_actor(fn: F) -> F:
    """Refuse a call whose ``actor`` is not an actor before the service does anything.

    Works for keyword-only services (``(*, session, actor, ...)``) and for the few helpers that
    take the actor by position (``get_owned(session, actor, ...)``).
    """
    params = list(inspect.signature(fn).parameters.values())
    names = [p.name for p in params]
    if "actor" not in names:
        raise TypeError(f"{fn.__qualname__} no tiene parámetro actor")
    index = names.index("actor")
    by_position = params[index].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                         inspect.Parameter.POSITIONAL_OR_KEYWORD)
    where = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = kwargs.get("actor", _MISSING)
        if actor is _MISSING and by_position and len(args) > index:
            actor = args[index]
        if not isinstance(actor, (User, SystemActor)):
            raise NoActor(where, None if actor is _MISSING else actor)
        return fn(*args, **kwargs)

    wrapper.needs_actor = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


@needs_actor
def owned_by(column: Any, actor: Actor) -> Any:
    """SQL for "the rows ``column`` says belong to ``actor``" (a bell's alerts, one's saved
    views). The system owns no rows: for it this is false. Comparing the column with its id
    would not do, because ``column == None`` is SQL's ``IS NULL``: every unowned row."""
    return false() if is_system(actor) else column == actor.id


@needs_actor
def person(actor: Actor) -> User:
    """The person behind ``actor``, for what only a person has (saved views, alerts to read,
    import templates of one's own); the system is refused with ``PermissionDenied``."""
    if is_system(actor):
        raise PermissionDenied(t("actors.not_a_person"))
    return actor


__all__ = ["SYSTEM", "Actor", "NoActor", "SystemActor", "is_system", "needs_actor", "owned_by",
           "person"]
