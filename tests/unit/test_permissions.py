"""``restrict()`` and ``can_access()`` for every owned model, every role, every action.

NetBox-style: ``TestOwnedModelScope`` holds the tests once and runs them for each owned model,
which only contributes how to create a minimal row of itself (``MINIMAL_ROW``). One database
holds the rows of every model. A test fails when an owned model is added to ``OWNED_MODELS``
without its entry here.

The expected scope is written out independently of ``crm_app.permissions`` (``may_see``):
admin and director see every row; a manager sees the rows of their team plus their own; a
comercial sees only their own rows; the asesor reads every customer and quote and nothing
else, and changes nothing; an inactive user, an unknown role and no user see nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from typing import Any

import pytest
from factories import fixture_hash, make_people
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

from crm_app.db import make_engine
from crm_app.models import (
    OWNED_MODELS,
    Account,
    Activity,
    Alert,
    Contact,
    Document,
    Lead,
    Opportunity,
    Pipeline,
    Quote,
    Role,
    Stage,
    StageChange,
    User,
    utcnow,
)
from crm_app.permissions import (
    ROLE_PERMS,
    Action,
    Perm,
    PermissionDenied,
    can_access,
    has_perm,
    require,
    restrict,
    scope_of,
)
from crm_app.services.errors import ValidationFailed

ACTIONS = list(Action)
# Every user the matrix is checked for; None is "no user at all".
USER_KEYS = ["admin", "director", "manager1", "manager2", "manager_solo", "comercial1",
             "comercial2", "comercial3", "asesor", "inactive_admin", "inactive_comercial",
             "inactive_asesor", "unknown_role", None]
# (owner, team) of the rows created for each model: same-team, cross-team, team-less, orphan.
ROW_SPECS: list[tuple[str | None, str | None]] = [
    ("comercial1", "norte"), ("comercial2", "norte"), ("comercial3", "sur"),
    ("manager1", "norte"), ("manager2", "sur"), ("admin", None), ("director", None),
    ("manager1", "sur"), ("comercial1", "sur"), (None, "norte"), (None, "sur"), (None, None),
    ("manager_solo", None), ("inactive_comercial", "norte"),
]


def may_see(user: User | None, row: Any, action: Action = Action.VIEW) -> bool:
    """The rule from the issue, written independently of the code under test."""
    if user is None or not user.active:
        return False
    if user.role == "asesor":  # the customers' fiscal data and the quotes, read-only, all
        return action == Action.VIEW and type(row) in (Account, Quote)
    if user.role in ("admin", "director"):
        return True
    if user.role == "manager":
        return row.owner_id == user.id or (user.team_id is not None
                                           and row.team_id == user.team_id)
    if user.role == "comercial":
        return row.owner_id == user.id
    return False


@dataclass
class World:
    session: Session
    users: dict[str, User]
    teams: dict[str, int]
    pipeline: Pipeline
    stage: Stage
    account: Account  # base records that other rows point at (owned by the admin)
    opportunity: Opportunity
    # model -> row id -> (owner, team) of the ROW_SPECS rows
    labels: dict[type, dict[int, tuple[str | None, str | None]]] = field(default_factory=dict)
    seq: count = field(default_factory=lambda: count(1))

    def user(self, key: str | None) -> User | None:
        return None if key is None else self.users[key]


def build_world(session: Session) -> World:
    people = make_people(session)
    users = {u.email.split("@")[0]: u for u in people.all()}
    teams = {"norte": people.team_norte.id, "sur": people.team_sur.id}

    def extra(key: str, role: str, team: str | None, active: bool = True) -> None:
        u = User(email=f"{key}@test.crm", name=key, role=role, active=active,
                 team_id=teams[team] if team else None, password_hash=fixture_hash(),
                 created_at=utcnow())
        session.add(u)
        session.flush()
        users[key] = u

    extra("manager_solo", Role.MANAGER, None)  # a manager without a team: own rows only
    extra("inactive_admin", Role.ADMIN, None, active=False)
    extra("inactive_comercial", Role.COMERCIAL, "norte", active=False)
    extra("unknown_role", "invitado", "norte")  # a role the code does not know: nothing
    extra("asesor", Role.ASESOR, None)  # the external accountant: fiscal records, read-only
    extra("inactive_asesor", Role.ASESOR, None, active=False)
    pipeline = Pipeline(name="Ventas")
    session.add(pipeline)
    session.flush()
    stage = Stage(pipeline_id=pipeline.id, name="Nueva", probability=10)
    session.add(stage)
    account = Account(name="Cliente base S.L.", owner_id=users["admin"].id)
    session.add_all([stage, account])
    session.flush()
    opportunity = Opportunity(name="Oportunidad base", pipeline_id=pipeline.id,
                              stage_id=stage.id, account_id=account.id,
                              owner_id=users["admin"].id)
    session.add(opportunity)
    session.commit()
    return World(session=session, users=users, teams=teams, pipeline=pipeline, stage=stage,
                 account=account, opportunity=opportunity)


# An unsaved minimal row of each owned model (NOT NULL columns and FKs satisfied); the world
# sets owner and team. ``n`` is unique across the world.
MINIMAL_ROW: dict[type[SQLModel], Callable[[World, int], SQLModel]] = {
    Lead: lambda w, n: Lead(company=f"Lead {n}"),
    Contact: lambda w, n: Contact(first_name=f"Contacto {n}", account_id=w.account.id),
    Account: lambda w, n: Account(name=f"Cliente {n} S.L."),
    Opportunity: lambda w, n: Opportunity(name=f"Oportunidad {n}", pipeline_id=w.pipeline.id,
                                          stage_id=w.stage.id, account_id=w.account.id),
    StageChange: lambda w, n: StageChange(opportunity_id=w.opportunity.id,
                                          to_stage_id=w.stage.id),
    Activity: lambda w, n: Activity(subject=f"Llamar {n}", account_id=w.account.id),
    Quote: lambda w, n: Quote(number=f"P-2026-{n:04d}", year=2026, seq=n,
                              account_id=w.account.id, issue_date=date(2026, 1, 1),
                              valid_until=date(2026, 1, 31)),
    Document: lambda w, n: Document(filename=f"doc{n}.pdf", storage_key=f"docs/{n}.pdf"),
    Alert: lambda w, n: Alert(kind="stale", message=f"Aviso {n}"),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """One database: the people and base records, then the ROW_SPECS rows of every model."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('perm') / 'perm.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        w = build_world(session)
        for model, make in MINIMAL_ROW.items():
            labels = w.labels.setdefault(model, {})
            for owner, team in ROW_SPECS:
                row = make(w, next(w.seq))
                row.owner_id = w.users[owner].id if owner else None
                row.team_id = w.teams[team] if team else None
                session.add(row)
                session.flush()
                labels[row.id] = (owner, team)
        session.commit()
        yield w
    engine.dispose()


@pytest.fixture(params=list(MINIMAL_ROW), ids=lambda model: model.__name__)
def model(request: pytest.FixtureRequest) -> type[SQLModel]:
    return request.param


class TestOwnedModelScope:
    """The scope tests, once for each owned model (the ``model`` fixture)."""

    # --- helpers ---

    @staticmethod
    def all_rows(w: World, model: type[SQLModel]) -> list[Any]:
        return list(w.session.exec(select(model)).all())

    @staticmethod
    def visible_ids(w: World, model: type[SQLModel], user: User | None,
                    action: Action) -> set[int]:
        stmt = restrict(select(model), user, action)
        return {row.id for row in w.session.exec(stmt).all()}

    # --- tests ---

    def test_rows_exist(self, world: World, model: type[SQLModel]) -> None:
        assert len(self.all_rows(world, model)) >= len(ROW_SPECS)

    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("user_key", USER_KEYS)
    def test_restrict_matches_role_scope(self, world: World, model: type[SQLModel],
                                         user_key: str | None, action: Action) -> None:
        user = world.user(user_key)
        rows = self.all_rows(world, model)
        expected = {r.id for r in rows if may_see(user, r, action)}
        assert self.visible_ids(world, model, user, action) == expected
        # the scope is real: company roles see everything, the others a strict part of it
        if user is not None and user.active and user.role in ("admin", "director"):
            assert expected == {r.id for r in rows}
        elif user is not None and user.active and user.role == "asesor":
            fiscal = model in (Account, Quote) and action == Action.VIEW
            assert expected == ({r.id for r in rows} if fiscal else set())
        elif user is not None and user.active and user.role in ("manager", "comercial"):
            assert expected and expected != {r.id for r in rows}
        else:
            assert expected == set()

    @pytest.mark.parametrize("action", ACTIONS)
    @pytest.mark.parametrize("user_key", USER_KEYS)
    def test_can_access_agrees_with_restrict(self, world: World, model: type[SQLModel],
                                             user_key: str | None, action: Action) -> None:
        user = world.user(user_key)
        visible = self.visible_ids(world, model, user, action)
        for row in self.all_rows(world, model):
            assert can_access(user, row, action) == (row.id in visible), (user_key, row.id)
            assert can_access(user, row, action.value) == (row.id in visible)  # str action

    @pytest.mark.parametrize("user_key", USER_KEYS)
    def test_count_query_is_restricted(self, world: World, model: type[SQLModel],
                                       user_key: str | None) -> None:
        """Pagination totals (``SELECT count(*) FROM t``) go through the same filter."""
        user = world.user(user_key)
        stmt = restrict(select(func.count()).select_from(model), user)
        expected = sum(1 for r in self.all_rows(world, model) if may_see(user, r))
        assert world.session.exec(stmt).one() == expected

    def test_labels_by_role(self, world: World, model: type[SQLModel]) -> None:
        """Spot checks by (owner, team) label, independent of the ``may_see`` oracle."""
        known = world.labels[model]

        def labels(key: str) -> set[tuple[str | None, str | None]]:
            ids = self.visible_ids(world, model, world.users[key], Action.VIEW)
            return {known[i] for i in ids if i in known}

        assert labels("comercial1") == {("comercial1", "norte"), ("comercial1", "sur")}
        assert labels("comercial3") == {("comercial3", "sur")}
        assert labels("manager1") == {
            ("comercial1", "norte"), ("comercial2", "norte"), ("manager1", "norte"),
            ("manager1", "sur"), (None, "norte"), ("inactive_comercial", "norte")}
        assert labels("manager2") == {
            ("comercial3", "sur"), ("manager2", "sur"), ("manager1", "sur"),
            ("comercial1", "sur"), (None, "sur")}
        assert labels("manager_solo") == {("manager_solo", None)}
        assert labels("director") == set(ROW_SPECS)
        assert labels("inactive_comercial") == set()
        assert labels("asesor") == (set(ROW_SPECS) if model in (Account, Quote) else set())


def test_every_owned_model_has_scope_tests() -> None:
    assert set(MINIMAL_ROW) == set(OWNED_MODELS)
    for model in OWNED_MODELS:  # what restrict() filters on
        assert {"owner_id", "team_id"} <= set(model.model_fields)


# --- statements over more than one table ---


def test_restrict_filters_every_owned_entity_in_the_statement(session: Session,
                                                              people) -> None:  # noqa: ANN001
    pipeline = Pipeline(name="P")
    session.add(pipeline)
    session.flush()
    stage = Stage(pipeline_id=pipeline.id, name="S")
    mine = Account(name="Mía", owner_id=people.comercial1.id)
    theirs = Account(name="Ajena", owner_id=people.comercial3.id)
    session.add_all([stage, mine, theirs])
    session.flush()
    opps = [Opportunity(name=f"{o.name}-{a.name}", pipeline_id=pipeline.id, stage_id=stage.id,
                        account_id=a.id, owner_id=o.id)
            for o in (people.comercial1, people.comercial3) for a in (mine, theirs)]
    session.add_all(opps)
    session.commit()
    stmt = select(Opportunity.name, Account.name).join(Account,
                                                       Opportunity.account_id == Account.id)
    rows = session.exec(restrict(stmt, people.comercial1)).all()
    assert [tuple(r) for r in rows] == [("Comercial1-Mía", "Mía")]
    assert len(session.exec(restrict(stmt, people.director)).all()) == 4


def test_non_owned_statement_passes_through_but_needs_an_active_user(
        session: Session, people) -> None:  # noqa: ANN001
    session.add_all([Pipeline(name="A"), Pipeline(name="B")])
    session.commit()
    stmt = select(Pipeline)
    assert len(session.exec(restrict(stmt, people.comercial1)).all()) == 2
    assert session.exec(restrict(stmt, None)).all() == []
    people.comercial1.active = False
    assert session.exec(restrict(stmt, people.comercial1)).all() == []


def test_unknown_action_is_rejected(people) -> None:  # noqa: ANN001
    with pytest.raises(ValueError):
        restrict(select(Lead), people.admin, "publish")


# --- role permissions: require() / has_perm() ---

# Written out from the issue's role table, not derived from ROLE_PERMS.
RECORDS = {Perm.RECORDS_VIEW, Perm.RECORDS_CHANGE, Perm.RECORDS_DELETE, Perm.IMPORT,
           Perm.REPORTS_VIEW, Perm.FISCAL_VIEW}
EXPECTED_PERMS: dict[str, set[Perm]] = {
    "admin": set(Perm),
    # the audit log is "visible to admins" (issue 12): not the director any more
    "director": RECORDS | {Perm.RECORDS_ASSIGN, Perm.REPORTS_COMPANY, Perm.CATALOG_CHANGE},
    "manager": RECORDS | {Perm.RECORDS_ASSIGN, Perm.CATALOG_CHANGE},
    "comercial": RECORDS,
    "asesor": {Perm.FISCAL_VIEW},  # reads the fiscal records; no records, reports, imports
}
EXPECTED_SCOPE = {"admin": "company", "director": "company", "manager": "team",
                  "comercial": "own", "asesor": "company"}


@pytest.mark.parametrize("perm", list(Perm))
@pytest.mark.parametrize("role", list(EXPECTED_PERMS))
def test_require_and_has_perm_per_role(role: str, perm: Perm) -> None:
    user = User(id=1, email=f"{role}@x.es", name=role, role=role, active=True)
    allowed = perm in EXPECTED_PERMS[role]
    assert has_perm(user, perm) is allowed
    if allowed:
        assert require(user, perm) is user
    else:
        with pytest.raises(PermissionDenied) as exc:
            require(user, perm)
        assert exc.value.message  # a Spanish message for the toast / 403 body
    # an inactive account holds no permission at all
    user.active = False
    assert has_perm(user, perm) is False
    with pytest.raises(PermissionDenied):
        require(user, perm)


@pytest.mark.parametrize("perm", list(Perm))
def test_no_user_and_unknown_role_hold_nothing(perm: Perm) -> None:
    assert has_perm(None, perm) is False
    with pytest.raises(PermissionDenied):
        require(None, perm)
    assert has_perm(User(id=1, email="x@x.es", name="x", role="invitado"), perm) is False


def test_every_role_is_in_the_matrix() -> None:
    assert set(EXPECTED_PERMS) == set(Role) == set(EXPECTED_SCOPE)


def test_the_asesor_reads_customers_and_quotes_only(session: Session, people) -> None:  # noqa: ANN001
    """The issue's words: ``restrict(select(Lead), asesor)`` is empty, quotes company-wide,
    and a statement over a fiscal model joined to a commercial one is empty too."""
    asesor = User(email="asesor@test.crm", name="Asesor", role=Role.ASESOR,
                  password_hash=fixture_hash(), created_at=utcnow())
    session.add(asesor)
    acc = Account(name="Cliente S.L.", nif="B12345674", owner_id=people.comercial1.id)
    session.add_all([acc, Lead(company="Lead S.L.", owner_id=people.comercial1.id)])
    session.flush()
    session.add(Quote(number="P-2026-0001", year=2026, seq=1, account_id=acc.id,
                      owner_id=people.comercial3.id, issue_date=date(2026, 1, 2),
                      valid_until=date(2026, 2, 1)))
    session.commit()
    assert session.exec(restrict(select(Lead), asesor)).all() == []
    assert session.exec(restrict(select(Lead), people.comercial1)).all() != []
    assert len(session.exec(restrict(select(Quote), asesor)).all()) == 1
    assert len(session.exec(restrict(select(Account), asesor)).all()) == 1
    assert session.exec(restrict(select(Quote), asesor, Action.CHANGE)).all() == []
    joined = select(Quote).join(Opportunity, Quote.opportunity_id == Opportunity.id,
                                isouter=True)
    assert session.exec(restrict(joined, asesor)).all() == []
    assert session.exec(restrict(select(Pipeline), asesor)).all() == []  # catalog: records


def test_only_admin_manages_settings_and_users() -> None:
    for perm in (Perm.SETTINGS_CHANGE, Perm.USERS_MANAGE, Perm.RULES_MANAGE, Perm.AUDIT_VIEW,
                 Perm.AUTOMATIONS_MANAGE):
        assert [r for r in Role if perm in ROLE_PERMS[r]] == [Role.ADMIN]


@pytest.mark.parametrize("role", list(EXPECTED_SCOPE))
def test_scope_of(role: str) -> None:
    assert scope_of(User(id=1, email="x@x.es", name="x", role=role)) == EXPECTED_SCOPE[role]


# --- links: every foreign key a user sets, per service × role × target --------------------
#
# The matrix above checks what each role *reads*; this one checks what each role may *point
# at*. For every service create/update that takes a foreign key, every actor and every kind of
# target (own, a teammate's, another team's, a team row without owner, in the recycle bin,
# missing, past the 32-bit id column, not a number), the link is accepted exactly when
# ``may_see`` (the independent oracle) says the actor sees the target; otherwise
# ``ValidationFailed`` names the field and nothing is written. Owners and catalog rows
# (products, stages) have their own rules.

LINK_ACTORS = ["admin", "manager1", "manager_solo", "comercial1", "comercial3"]
# (owner, team) of the rows a link may point at: own/team/foreign depending on the actor.
LINK_OWNERS: list[tuple[str | None, str | None]] = [
    ("comercial1", "norte"), ("comercial2", "norte"), ("comercial3", "sur"),
    ("manager_solo", None), (None, "norte")]
SPECIAL_IDS = {"missing": 987_654, "int4": 2**31, "huge": 2**64, "text": "abc"}
LINE = [{"description": "Servicio", "unit_price": "10"}]
# (record kind, field, target kind): every foreign key a user can set on a record.
LINK_FIELDS = [
    ("account", "lead_id", "lead"),
    ("contact", "lead_id", "lead"), ("contact", "account_id", "account"),
    ("opportunity", "lead_id", "lead"), ("opportunity", "account_id", "account"),
    ("opportunity", "contact_id", "contact"),
    ("quote", "account_id", "account"), ("quote", "contact_id", "contact"),
    ("quote", "opportunity_id", "opportunity"),
]
LINK_CASES = [(kind, op, fld, target) for kind, fld, target in LINK_FIELDS
              for op in ("create", "update")]


@dataclass
class LinkWorld:
    w: World
    targets: dict[str, list[tuple[str, Any]]]  # target kind -> [(label, row)]
    n: count = field(default_factory=lambda: count(1))
    own_accounts: dict[int, Account] = field(default_factory=dict)  # by actor id
    bases: dict[tuple[int, str], Any] = field(default_factory=dict)  # (actor id, kind)


def _link_world(session: Session) -> LinkWorld:
    from crm_app.services.defaults import ensure_organisation

    w = build_world(session)
    ensure_organisation(session=session)
    targets: dict[str, list[tuple[str, Any]]] = {}

    def rows(label: str, owner: str | None, team: str | None, deleted: bool = False) -> None:
        made = {
            "lead": Lead(company=f"Lead {label}"),
            "account": Account(name=f"Cliente {label}", province="Madrid"),
            "contact": Contact(first_name=f"Contacto {label}"),
            "opportunity": Opportunity(name=f"Oportunidad {label}", pipeline_id=w.pipeline.id,
                                       stage_id=w.stage.id),
        }
        for kind, row in made.items():
            row.owner_id = w.users[owner].id if owner else None
            row.team_id = w.teams[team] if team else None
            row.deleted_at = utcnow() if deleted else None
            session.add(row)
            targets.setdefault(kind, []).append((label, row))

    for owner, team in LINK_OWNERS:
        rows(f"{owner}/{team}", owner, team)
    rows("papelera", "comercial1", "norte", deleted=True)  # in the recycle bin: no link
    session.commit()
    return LinkWorld(w=w, targets=targets)


def _own_account(lw: LinkWorld, actor: User) -> Account:
    from crm_app.services import accounts

    if actor.id not in lw.own_accounts:
        lw.own_accounts[actor.id] = accounts.create_account(
            session=lw.w.session, actor=actor, data={"name": f"Propio {next(lw.n)} S.L.",
                                                     "province": "Madrid"})
    return lw.own_accounts[actor.id]


def _create(lw: LinkWorld, actor: User, kind: str, links: dict[str, Any]) -> Any:
    """A new record of ``kind`` by ``actor`` with ``links`` set."""
    from crm_app.services import accounts, contacts, leads, opportunities, quotes

    s, i = lw.w.session, next(lw.n)
    if kind == "lead":
        return leads.create_lead(session=s, actor=actor, data={
            "company": f"Alta {i}", "phone": "600000000", **links})
    if kind == "account":
        return accounts.create_account(session=s, actor=actor, data={
            "name": f"Alta {i} S.L.", "province": "Madrid", **links})
    if kind == "contact":
        return contacts.create_contact(session=s, actor=actor, data={
            "first_name": f"Alta {i}", **links})
    if kind == "opportunity":
        return opportunities.create_opportunity(session=s, actor=actor, data={
            "name": f"Alta {i}", **links})
    return quotes.create_quote(session=s, actor=actor, **{
        "account_id": _own_account(lw, actor).id, "lines": LINE, **links})


def _update(lw: LinkWorld, actor: User, kind: str, links: dict[str, Any]) -> Any:
    """A plain record of ``kind`` by ``actor``, then ``links`` set on it by an update; a
    refused update must leave the record as it was."""
    from crm_app.services import accounts, contacts, leads, opportunities, quotes

    key = (actor.id, kind)
    if "owner_id" in links or key not in lw.bases:  # a new owner may take it out of scope
        lw.bases[key] = _create(lw, actor, kind, {"owner_id": actor.id} if kind == "lead"
                                else {})
    base = lw.bases[key]
    before = {k: getattr(base, k) for k in links}
    fn = {"lead": leads.update_lead, "account": accounts.update_account,
          "contact": contacts.update_contact, "opportunity": opportunities.update_opportunity,
          "quote": quotes.update_quote}[kind]
    try:
        return fn(session=lw.w.session, actor=actor, **{f"{kind}_id": base.id}, data=links)
    except ValidationFailed:
        lw.w.session.rollback()
        lw.w.session.refresh(base)
        assert {k: getattr(base, k) for k in links} == before, "a refused link was written"
        raise


def _outcomes(lw: LinkWorld, cases: list[tuple[str, Any, bool]], fld: str,
              call: Any) -> list[tuple]:
    """Run ``call(value)`` for each ``(label, value, expected_ok)``; the cases that differ."""
    wrong = []
    for label, value, expected in cases:
        try:
            record = call(value)
        except ValidationFailed as exc:
            lw.w.session.rollback()
            if expected or fld not in exc.errors:
                wrong.append((label, "refused", exc.errors))
            continue
        except Exception as exc:  # noqa: BLE001 - the API would answer 500 or 403: record it
            lw.w.session.rollback()
            wrong.append((label, "error", repr(exc)[:200]))
            continue
        stored = getattr(record, fld, value) if record is not None else value
        if not expected or stored != value:
            wrong.append((label, "accepted", stored))
    return wrong


class TestLinkMatrix:
    @pytest.fixture(scope="class")
    def lw(self, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
        engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('links') / 'links.db'}")
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            yield _link_world(session)
        engine.dispose()

    @pytest.mark.parametrize("actor_key", LINK_ACTORS)
    @pytest.mark.parametrize("kind,op,fld,target", LINK_CASES,
                             ids=[f"{k}.{o}.{f}" for k, o, f, _ in LINK_CASES])
    def test_link_is_accepted_exactly_when_the_target_is_visible(
            self, lw: LinkWorld, actor_key: str, kind: str, op: str, fld: str,
            target: str) -> None:
        actor = lw.w.users[actor_key]
        run = _create if op == "create" else _update
        cases = [(label, row.id, row.deleted_at is None and may_see(actor, row))
                 for label, row in lw.targets[target]]
        cases += [(label, value, False) for label, value in SPECIAL_IDS.items()]
        assert any(ok for *_, ok in cases) and not all(ok for *_, ok in cases)
        wrong = _outcomes(lw, cases, fld, lambda v: run(lw, actor, kind, {fld: v}))
        assert not wrong, f"{len(wrong)} of {len(cases)} wrong: {wrong}"

    @pytest.mark.parametrize("actor_key", LINK_ACTORS)
    @pytest.mark.parametrize("kind,op", [(k, o) for k in ("lead", "account", "contact",
                                                         "opportunity")
                                         for o in ("create", "update")])
    def test_owner_is_accepted_exactly_when_the_actor_may_assign(
            self, lw: LinkWorld, actor_key: str, kind: str, op: str) -> None:
        """Oneself always; others need records.assign; a manager stays in the team (one
        without a team keeps their records); inactive, missing or impossible ids never."""
        actor = lw.w.users[actor_key]

        def may_assign(target: User) -> bool:
            if not target.active:
                return False
            if target.id == actor.id or actor.role in ("admin", "director"):
                return True
            return actor.role == "manager" and actor.team_id is not None \
                and target.team_id == actor.team_id

        cases = [(key, u.id, may_assign(u)) for key, u in lw.w.users.items()]
        cases += [(label, value, False) for label, value in SPECIAL_IDS.items()]
        assert any(ok for *_, ok in cases) and not all(ok for *_, ok in cases)
        run = _create if op == "create" else _update
        wrong = _outcomes(lw, cases, "owner_id", lambda v: run(lw, actor, kind, {"owner_id": v}))
        assert not wrong, f"{len(wrong)} of {len(cases)} wrong: {wrong}"

    @pytest.mark.parametrize("actor_key", LINK_ACTORS)
    def test_catalog_links_need_an_active_product_and_a_stage_of_the_pipeline(
            self, lw: LinkWorld, actor_key: str) -> None:
        from crm_app.models import Product
        from crm_app.services import opportunities

        actor, s = lw.w.users[actor_key], lw.w.session
        if s.exec(select(Product)).first() is None:
            other = Pipeline(name="Otro")
            s.add(other)
            s.flush()
            s.add_all([Product(name="Activo", sku="ACT", unit_price=10),
                       Product(name="Retirado", sku="RET", unit_price=10, active=False),
                       Stage(pipeline_id=other.id, name="Ajena")])
            s.commit()
        active = s.exec(select(Product).where(Product.sku == "ACT")).one()
        retired = s.exec(select(Product).where(Product.sku == "RET")).one()
        foreign_stage = s.exec(select(Stage).where(Stage.name == "Ajena")).one()
        specials = [(k, v, False) for k, v in SPECIAL_IDS.items()]
        products = [("activo", active.id, True), ("retirado", retired.id, False), *specials]
        stages = [("propia", lw.w.stage.id, True), ("otro embudo", foreign_stage.id, False),
                  *specials]
        wrong = []
        for op in (_create, _update):
            wrong += _outcomes(lw, products, "product_id",
                               lambda v, op=op: op(lw, actor, "opportunity", {"product_id": v}))
        wrong += _outcomes(lw, products, "lines.0.product_id", lambda v: _create(
            lw, actor, "quote", {"lines": [{"product_id": v}]}) and None)
        wrong += _outcomes(lw, stages, "stage_id", lambda v: _create(
            lw, actor, "opportunity", {"pipeline_id": lw.w.pipeline.id, "stage_id": v}))

        def move(v: Any) -> None:
            opp = _create(lw, actor, "opportunity", {"pipeline_id": lw.w.pipeline.id})
            opportunities.move_stage(session=s, actor=actor, opportunity_id=opp.id,
                                     stage_id=v)

        wrong += _outcomes(lw, stages, "stage_id", move)
        assert not wrong, f"{len(wrong)} of {5 * len(products)} wrong: {wrong}"
