"""Services take an explicit actor: a person or ``actors.SYSTEM``, never ``None``.

``actor=None`` used to mean "superuser" in about twenty service branches (and "nobody" in
``restrict``): a caller that lost its user acted with every right and left no name in the
audit trail. The list of services checked here is found by introspection, so a service added
later is covered without touching this file.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy.orm.exc import UnmappedInstanceError
from sqlmodel import Session, select

import crm_app.services as services_pkg
from crm_app.models import Alert, AuditEvent, Lead, Role, utcnow
from crm_app.permissions import Action, Perm, PermissionDenied, can_access, has_perm, restrict
from crm_app.services import (
    accounts,
    alerts,
    audit,
    lead_options,
    leads,
    opportunities,
    saved_views,
    users,
)
from crm_app.services.actors import SYSTEM, NoActor, is_system, needs_actor


def service_functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every public function of ``crm_app.services.*`` that takes an ``actor``."""
    for info in pkgutil.walk_packages(services_pkg.__path__, services_pkg.__name__ + "."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(fn):
                continue
            if fn.__module__ != module.__name__:
                continue  # imported from elsewhere: checked where it is defined
            if "actor" in inspect.signature(fn).parameters:
                yield f"{module.__name__}.{name}", fn


SERVICES = dict(service_functions())


def call_with(fn: Callable[..., Any], actor: Any) -> Any:
    """Call ``fn`` with ``actor`` and ``None`` for every other required argument: a service
    must refuse a bad actor before it looks at anything else."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for param in inspect.signature(fn).parameters.values():
        value = actor if param.name == "actor" else None
        if param.name != "actor" and param.default is not inspect.Parameter.empty:
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            args.append(value)
        else:
            kwargs[param.name] = value
    return fn(*args, **kwargs)


def test_the_services_are_found() -> None:
    """The introspection finds the services (a broken walk would make the next test empty)."""
    assert len(SERVICES) > 100
    for name in ("crm_app.services.users.create_user", "crm_app.services.audit.record",
                 "crm_app.services.quotes.expire_quotes",
                 "crm_app.services.analytics.rebuild_snapshot",
                 "crm_app.services.sales_common.is_admin",
                 "crm_app.services.importing.service.import_file",
                 "crm_app.services.demo.load_demo"):
        assert name in SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_refuses_a_missing_actor(name: str) -> None:
    fn = SERVICES[name]
    with pytest.raises(NoActor, match="actor=None"):
        call_with(fn, None)
    assert isinstance(NoActor("x", None), TypeError)  # a programming error, not a 403


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_refuses_something_that_is_not_an_actor(name: str) -> None:
    """A look-alike (an admin-shaped object, a user id) is not an actor either."""
    fake = SimpleNamespace(id=1, role=Role.ADMIN, active=True, team_id=None, email="x@y.es")
    with pytest.raises(NoActor):
        call_with(SERVICES[name], fake)
    with pytest.raises(NoActor):
        call_with(SERVICES[name], 1)


def test_the_signatures_say_actor_and_never_default_it() -> None:
    for name, fn in SERVICES.items():
        param = inspect.signature(fn).parameters["actor"]
        assert param.default is inspect.Parameter.empty, f"{name}: actor has a default"
        assert "None" not in str(param.annotation), f"{name}: actor: {param.annotation}"


def test_needs_actor_also_reads_a_positional_actor() -> None:
    @needs_actor
    def helper(session: Any, actor: Any, x: int = 0) -> str:
        return "ok"

    assert helper(None, SYSTEM) == "ok"
    with pytest.raises(NoActor):
        helper(None, None)
    with pytest.raises(NoActor):
        helper(None)  # no actor at all
    with pytest.raises(TypeError):
        needs_actor(lambda session: None)  # a service without an actor cannot be marked


def test_the_system_actor_is_an_explicit_superuser(session: Session, people: Any) -> None:
    assert is_system(SYSTEM) and not is_system(people.admin) and not is_system(None)
    assert all(has_perm(SYSTEM, p) for p in Perm)
    lead = leads.create_lead(session=session, actor=people.comercial3,
                             data={"first_name": "Ana", "company": "Sur S.L.",
                                   "email": "ana@sur.es"})
    assert can_access(SYSTEM, lead, Action.DELETE)
    assert session.exec(restrict(select(Lead), SYSTEM)).all() == [lead]
    # ``None`` is still nobody for the permission helpers: it never became the system.
    assert not has_perm(None, Perm.RECORDS_VIEW)
    assert session.exec(restrict(select(Lead), None)).all() == []


def test_the_system_actor_is_never_a_login(session: Session) -> None:
    """No row, no id: nothing can be signed in as it, and it cannot be saved as a user."""
    assert SYSTEM.id is None and SYSTEM.email is None
    with pytest.raises(UnmappedInstanceError):
        session.add(SYSTEM)
    with pytest.raises(AttributeError):
        SYSTEM.role = Role.COMERCIAL  # type: ignore[misc]


def test_the_audit_trail_tells_the_system_from_a_person(session: Session, people: Any) -> None:
    by_system = users.create_user(session=session, actor=SYSTEM, email="sis@test.crm",
                                  name="Por el sistema", role="comercial",
                                  password="una-clave-larga-9")
    by_admin = users.create_user(session=session, actor=people.admin, email="adm@test.crm",
                                 name="Por el admin", role="comercial",
                                 password="una-clave-larga-9")
    events = {e.entity_id: e for e in session.exec(
        select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.action == "create"))}
    assert events[by_system.id].actor_id is None
    assert events[by_admin.id].actor_id == people.admin.id
    # NULL means the system and only the system: ``audit.record`` refuses ``None``.
    with pytest.raises(NoActor):
        audit.record(session=session, actor=None, entity="user", entity_id=1, action="x")
    # The timeline names them.
    lead = leads.create_lead(session=session, actor=people.admin, data={"first_name": "Eva",
                                                                     "email": "eva@x.es"})
    leads.update_lead(session=session, actor=SYSTEM, lead_id=lead.id, data={"city": "Soria"})
    names = [e["actor_name"] for e in leads.lead_timeline(session=session, actor=people.admin,
                                                          lead_id=lead.id)
             if e["kind"] == "event"]
    assert sorted(names) == ["Admin", "Sistema"]


def test_a_missing_actor_used_to_be_a_superuser(session: Session, people: Any) -> None:
    """The old branches: ``is_admin(None)`` was True, ``create_user(actor=None)`` skipped the
    permission check. Both are refusals now, while the system still may."""
    from crm_app.services.sales_common import is_admin

    with pytest.raises(NoActor):
        is_admin(None)
    assert is_admin(SYSTEM) and is_admin(people.admin) and not is_admin(people.director)
    with pytest.raises(NoActor):
        users.create_user(session=session, actor=None, email="x@test.crm", name="X",
                          role="admin", password="una-clave-larga-9")
    assert session.exec(select(AuditEvent)).all() == []


def test_the_system_owns_nothing(session: Session, people: Any) -> None:
    """What the system makes without an owner stays unowned (it never becomes the owner, and
    its ``None`` id never reads as "every unowned row"); what only a person has it has not."""
    lead = leads.create_lead(session=session, actor=SYSTEM,
                             data={"first_name": "Luis", "email": "luis@x.es"})
    assert lead.owner_id is None and lead.team_id is None
    account = accounts.create_account(session=session, actor=SYSTEM,
                                      data={"name": "Nadie S.L.", "province": "Madrid"})
    assert account.owner_id is None
    given = accounts.create_account(session=session, actor=SYSTEM,
                                    data={"name": "Alguien S.L.", "province": "Madrid",
                                          "owner_id": people.comercial1.id})
    assert given.owner_id == people.comercial1.id  # the system may give it to anyone
    session.add(Alert(kind="x", message="Sin dueño", created_at=utcnow()))
    session.commit()
    assert alerts.open_alerts(session=session, actor=SYSTEM) == []
    assert alerts.open_alerts_count(session=session, actor=SYSTEM) == 0
    with pytest.raises(PermissionDenied, match="sistema"):
        saved_views.create_view(session=session, actor=SYSTEM, entity="lead", name="Mía",
                                filters={})
    assert saved_views.list_views(session=session, actor=SYSTEM) == []


def test_the_system_is_not_in_owner_lists(session: Session, people: Any) -> None:
    everyone = sorted(u.id for u in people.all())
    for who in (SYSTEM, people.admin):
        assert sorted(u.id for u in lead_options.visible_users(session=session,
                                                               actor=who)) == everyone
        assert sorted(u.id for u in lead_options.assignable_users(session=session,
                                                                  actor=who)) == everyone
    assert "Sistema" not in {u.name for u in users.list_users(session=session, actor=SYSTEM)}


def test_the_sales_timelines_name_the_system(session: Session, people: Any) -> None:
    account = accounts.create_account(session=session, actor=SYSTEM,
                                      data={"name": "Hist S.L.", "province": "Soria",
                                            "owner_id": people.comercial1.id})
    accounts.update_account(session=session, actor=people.comercial1, account_id=account.id,
                            data={"city": "Soria"})
    opp = opportunities.create_opportunity(session=session, actor=SYSTEM,
                                           data={"name": "Trato", "account_id": account.id,
                                                 "owner_id": people.comercial1.id})
    file = accounts.account_360(session=session, actor=people.admin, account_id=account.id)
    by = {e["title"]: e["user"] for e in file["timeline"] if e["kind"] == "audit"}
    assert by["Cliente dado de alta"] == "Sistema"
    assert by["Datos del cliente modificados"] == people.comercial1.name
    history = opportunities.stage_history(session=session, actor=people.admin,
                                          opportunity_id=opp.id)
    assert [h["changed_by"] for h in history] == ["Sistema"]


def _reads_actor_as_maybe_none(node: ast.AST) -> bool:
    """``actor is (not) None``, ``if (not) actor``, ``x if actor else y``, ``actor or x``."""
    def is_actor(n: ast.AST) -> bool:
        return isinstance(n, ast.Name) and n.id == "actor"

    def bare(n: ast.AST) -> bool:
        return is_actor(n) or (isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not)
                               and is_actor(n.operand))

    if isinstance(node, ast.Compare):
        sides = [node.left, *node.comparators]
        return any(is_actor(n) for n in sides) and any(
            isinstance(n, ast.Constant) and n.value is None for n in sides)
    if isinstance(node, ast.If | ast.IfExp | ast.While | ast.Assert):
        return bare(node.test)
    if isinstance(node, ast.BoolOp):  # every operand but the last is tested for truth
        return any(bare(v) for v in node.values[:-1])
    return False


def test_no_service_reads_a_missing_actor_as_anybody() -> None:
    """The old "``actor is None`` means superuser" branches stay gone: no service module
    tests the actor for ``None`` or truthiness (``NoActor`` has refused it before)."""
    root = Path(services_pkg.__file__).parent
    found = [f"{path.relative_to(root)}:{node.lineno}"
             for path in sorted(root.rglob("*.py")) if path.name != "actors.py"
             for node in ast.walk(ast.parse(path.read_text()))
             if _reads_actor_as_maybe_none(node)]
    assert found == []
