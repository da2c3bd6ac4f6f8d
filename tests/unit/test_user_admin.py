"""Ajustes → Usuarios y Equipos (issue 12), the service: invitations by e-mail (a real local
SMTP server) with a single-use 72 h link stored hashed, edits, deactivation that revokes
sessions and API tokens, the last-admin guard, bulk reassignment of every owned model, teams
and their managers."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from factories import make_people
from smtp_inbox import Inbox, local_smtp
from sqlmodel import Session, select
from test_permissions import MINIMAL_ROW, build_world

from crm_app.auth.passwords import verify_password
from crm_app.auth.tokens import token_hash
from crm_app.models import (
    OWNED_MODELS,
    ApiToken,
    AuditEvent,
    Organisation,
    Role,
    User,
    UserInvitation,
    UserSession,
    utcnow,
)
from crm_app.permissions import PermissionDenied
from crm_app.services import auth as auth_service
from crm_app.services import user_admin
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import DomainError, ValidationFailed

GOOD_PASSWORD = "tranvía-azul-cometa-93"
LINK = re.compile(r"https?://\S+/invitacion/(\S+)")


@pytest.fixture
def smtp(session: Session) -> Iterator[Inbox]:
    """The company's SMTP server is a local one that keeps what it receives."""
    with local_smtp("CRM <crm@demo.es>") as (inbox, settings):
        org = session.exec(select(Organisation)).first() or Organisation()
        org.smtp_host, org.smtp_port, org.smtp_starttls = "127.0.0.1", settings.smtp_port, False
        org.smtp_from, org.trade_name = "Demo <crm@demo-pruebas.es>", "Demo Pruebas"
        session.add(org)
        session.commit()
        yield inbox


def _invite(session: Session, actor, **data) -> User:  # noqa: ANN001
    payload = {"email": "marta@demo.es", "name": "Marta López", "role": "comercial", **data}
    return user_admin.invite_user(session=session, actor=actor, data=payload)


def _token_from(inbox: Inbox, index: int = -1) -> str:
    _, msg = inbox.messages[index]
    match = LINK.search(msg.get_content())
    assert match, msg.get_content()
    return match.group(1)


def test_invite_creates_an_inactive_account_and_emails_a_single_use_link(
        session: Session, people, smtp: Inbox) -> None:  # noqa: ANN001
    user = _invite(session, people.admin, team_id=people.team_norte.id)
    assert (user.active, user.password_hash, user.team_id) == (False, "", people.team_norte.id)
    [(rcpts, msg)] = smtp.messages
    assert rcpts == ["marta@demo.es"]
    assert msg["Subject"] == "Invitación al CRM de Demo Pruebas"
    body = msg.get_content()
    assert "Marta López" in body and "72 horas" in body
    token = _token_from(smtp)
    # only the hash is stored; the link expires in 72 h
    row = session.exec(select(UserInvitation).where(UserInvitation.user_id == user.id)).one()
    assert row.token_hash == token_hash(token) and token not in row.token_hash
    assert timedelta(hours=71, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=72)
    assert user_admin.invitation_info(session=session, token=token) == {
        "name": "Marta López", "email": "marta@demo.es"}
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "user",
                                                   AuditEvent.entity_id == user.id)).all()
    assert [e.action for e in events] == ["invite"]
    assert token not in repr([e.after for e in events])
    # cannot sign in before accepting
    with pytest.raises(Exception, match="incorrectos"):
        auth_service.authenticate(session=session, email="marta@demo.es", password="x" * 12)


def test_accept_checks_the_policy_per_field_then_signs_in_once(
        session: Session, people, smtp: Inbox) -> None:  # noqa: ANN001
    user = _invite(session, people.admin)
    token = _token_from(smtp)
    with pytest.raises(ValidationFailed) as exc:
        user_admin.accept_invitation(session=session, token=token, password="corta")
    assert "al menos 10" in exc.value.errors["password"]
    with pytest.raises(ValidationFailed) as exc:
        user_admin.accept_invitation(session=session, token=token, password="martalopez123")
    assert "fácil de adivinar" in exc.value.errors["password"]
    with pytest.raises(ValidationFailed) as exc:
        user_admin.accept_invitation(session=session, token=token, password=GOOD_PASSWORD,
                                     password2=GOOD_PASSWORD + "x")
    assert set(exc.value.errors) == {"password2"}
    session.refresh(user)
    assert (user.active, user.password_hash) == (False, "")  # nothing half-written

    accepted, raw = user_admin.accept_invitation(session=session, token=token,
                                                 password=GOOD_PASSWORD, password2=GOOD_PASSWORD)
    assert accepted.id == user.id and accepted.active
    assert verify_password(accepted.password_hash, GOOD_PASSWORD)
    assert auth_service.user_for_session(session=session, token=raw).id == user.id
    with pytest.raises(user_admin.InvitationInvalid) as used:
        user_admin.accept_invitation(session=session, token=token, password=GOOD_PASSWORD)
    assert used.value.reason == "used" and "ya se ha usado" in used.value.message
    with pytest.raises(user_admin.InvitationInvalid) as unknown:
        user_admin.invitation_info(session=session, token="no-existe")
    assert unknown.value.reason == "unknown"


def test_an_expired_or_replaced_link_says_so_and_resend_gives_a_new_one(
        session: Session, people, smtp: Inbox) -> None:  # noqa: ANN001
    user = _invite(session, people.admin)
    first = _token_from(smtp)
    user_admin.resend_invitation(session=session, actor=people.admin, user_id=user.id)
    assert len(smtp.messages) == 2
    second = _token_from(smtp)
    assert second != first
    with pytest.raises(user_admin.InvitationInvalid) as replaced:
        user_admin.invitation_info(session=session, token=first)
    assert replaced.value.reason == "replaced"
    row = session.exec(select(UserInvitation).where(
        UserInvitation.token_hash == token_hash(second))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    with pytest.raises(user_admin.InvitationInvalid) as expired:
        user_admin.accept_invitation(session=session, token=second, password=GOOD_PASSWORD)
    assert expired.value.reason == "expired" and "caducado" in expired.value.message
    # resend again: a working link
    user_admin.resend_invitation(session=session, actor=people.admin, user_id=user.id)
    user_admin.accept_invitation(session=session, token=_token_from(smtp),
                                 password=GOOD_PASSWORD)
    with pytest.raises(DomainError, match="ya ha aceptado"):
        user_admin.resend_invitation(session=session, actor=people.admin, user_id=user.id)


def test_invite_validates_each_field_and_keeps_nothing_when_mail_fails(
        session: Session, people, smtp: Inbox) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        user_admin.invite_user(session=session, actor=people.admin, data={
            "email": "no-es-correo", "name": " ", "role": "jefe", "team_id": 999})
    assert set(exc.value.errors) == {"email", "name", "role", "team_id"}
    with pytest.raises(ValidationFailed) as exc:
        _invite(session, people.admin, email="ADMIN@test.crm")
    assert exc.value.errors == {"email": "Ya existe un usuario con ese correo."}
    # the SMTP server refuses: no user, no invitation, no audit left behind
    org = session.exec(select(Organisation)).one()
    org.smtp_port = 1  # nothing listens there
    session.add(org)
    session.commit()
    with pytest.raises(DomainError, match="No se pudo enviar la invitación"):
        _invite(session, people.admin, email="nadie@demo.es")
    assert session.exec(select(User).where(User.email == "nadie@demo.es")).first() is None
    assert session.exec(select(UserInvitation)).all() == []
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "invite")).all() == []
    assert smtp.messages == []


def test_only_admins_manage_users_and_teams(session: Session, people) -> None:  # noqa: ANN001
    for who in (people.director, people.manager1, people.comercial1):
        with pytest.raises(PermissionDenied):
            user_admin.list_users(session=session, actor=who)
        with pytest.raises(PermissionDenied):
            _invite(session, who)
        with pytest.raises(PermissionDenied):
            user_admin.update_user(session=session, actor=who, user_id=people.comercial2.id,
                                   data={"role": "admin"})
        with pytest.raises(PermissionDenied):
            user_admin.reassign_records(session=session, actor=who,
                                        from_user_id=people.comercial2.id,
                                        to_user_id=who.id)
        with pytest.raises(PermissionDenied):
            user_admin.create_team(session=session, actor=who, data={"name": "Este"})
        with pytest.raises(PermissionDenied):
            user_admin.update_team(session=session, actor=who, team_id=people.team_norte.id,
                                   data={"name": "Otro"})
    rows, total = user_admin.list_users(session=session, actor=people.admin)
    assert total == 7 and {r["state"] for r in rows} == {"active"}
    assert all("password_hash" not in r for r in rows)


def test_deactivate_revokes_sessions_and_tokens_and_records_keep_their_owner(
        session: Session, people) -> None:  # noqa: ANN001
    from crm_app.models import Account

    target = people.comercial1
    _, cookie = auth_service.authenticate(session=session, email=target.email,
                                          password="demo1234")
    token = auth_service.create_api_token(session=session, actor=SYSTEM, user=target)
    account = Account(name="Suyo S.L.", owner_id=target.id, team_id=target.team_id)
    session.add(account)
    session.commit()
    assert auth_service.user_for_session(session=session, token=cookie) is not None
    assert auth_service.user_for_api_token(session=session, token=token) is not None

    user_admin.deactivate_user(session=session, actor=people.admin, user_id=target.id)
    assert auth_service.user_for_session(session=session, token=cookie) is None
    assert auth_service.user_for_api_token(session=session, token=token) is None
    assert all(s.revoked_at for s in session.exec(
        select(UserSession).where(UserSession.user_id == target.id)).all())
    assert all(t.revoked_at for t in session.exec(
        select(ApiToken).where(ApiToken.user_id == target.id)).all())
    session.refresh(account)
    assert account.owner_id == target.id
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "deactivate")).one()
    assert (event.entity_id, event.actor_id, event.after) == (target.id, people.admin.id,
                                                             {"active": False})
    # reactivated: signs in again with the same password; the revoked token stays revoked
    user_admin.reactivate_user(session=session, actor=people.admin, user_id=target.id)
    auth_service.authenticate(session=session, email=target.email, password="demo1234")
    assert auth_service.user_for_api_token(session=session, token=token) is None


def test_an_invitee_cannot_be_reactivated_before_accepting(
        session: Session, people, smtp: Inbox) -> None:  # noqa: ANN001
    user = _invite(session, people.admin)
    with pytest.raises(ValidationFailed) as exc:
        user_admin.reactivate_user(session=session, actor=people.admin, user_id=user.id)
    assert "aún no ha aceptado" in exc.value.errors["active"]


def test_the_last_active_admin_can_be_neither_deactivated_nor_demoted(
        session: Session, people) -> None:  # noqa: ANN001
    admin = people.admin
    for data, key in (({"active": False}, "active"), ({"role": "director"}, "role")):
        with pytest.raises(ValidationFailed) as exc:
            user_admin.update_user(session=session, actor=SYSTEM, user_id=admin.id, data=data)
        assert exc.value.errors == {key: "Es el último administrador activo: nombra antes a "
                                         "otro administrador."}
    session.refresh(admin)
    assert admin.active and admin.role == Role.ADMIN
    # an inactive admin does not count
    user_admin.update_user(session=session, actor=SYSTEM, user_id=people.director.id,
                           data={"role": "admin"})
    user_admin.deactivate_user(session=session, actor=SYSTEM, user_id=people.director.id)
    with pytest.raises(ValidationFailed):
        user_admin.update_user(session=session, actor=SYSTEM, user_id=admin.id,
                               data={"role": "comercial"})
    # with a second active admin it is allowed
    user_admin.reactivate_user(session=session, actor=SYSTEM, user_id=people.director.id)
    user_admin.update_user(session=session, actor=admin, user_id=admin.id,
                           data={"role": "director"})
    with pytest.raises(ValidationFailed):  # and now the director-turned-admin is the last one
        user_admin.deactivate_user(session=session, actor=SYSTEM, user_id=people.director.id)


def test_an_admin_cannot_deactivate_themself(session: Session, people) -> None:  # noqa: ANN001
    user_admin.update_user(session=session, actor=people.admin, user_id=people.director.id,
                           data={"role": "admin"})
    with pytest.raises(ValidationFailed) as exc:
        user_admin.deactivate_user(session=session, actor=people.admin, user_id=people.admin.id)
    assert "propia cuenta" in exc.value.errors["active"]


def test_edit_name_role_team_is_validated_and_audited(session: Session, people) -> None:  # noqa: ANN001
    with pytest.raises(ValidationFailed) as exc:
        user_admin.update_user(session=session, actor=people.admin,
                               user_id=people.comercial1.id,
                               data={"name": "", "role": "jefe", "team_id": 999,
                                     "active": "sí"})
    assert set(exc.value.errors) == {"name", "role", "team_id", "active"}
    user = user_admin.update_user(session=session, actor=people.admin,
                                  user_id=people.comercial1.id,
                                  data={"name": "  Luis   Pérez ", "role": "manager",
                                        "team_id": people.team_sur.id})
    assert (user.name, user.role, user.team_id) == ("Luis Pérez", "manager",
                                                    people.team_sur.id)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "update",
                                                  AuditEvent.entity == "user")).one()
    assert event.after == {"name": "Luis Pérez", "role": "manager",
                           "team_id": people.team_sur.id}
    # a manager who moves to another team stops managing the old one
    user_admin.update_user(session=session, actor=people.admin, user_id=people.manager1.id,
                           data={"team_id": people.team_sur.id})
    session.refresh(people.team_norte)
    assert people.team_norte.manager_id is None


def test_reassign_moves_every_owned_model_in_one_audited_step(tmp_path) -> None:  # noqa: ANN001
    """Every model of OWNED_MODELS (MINIMAL_ROW is kept equal to it by test_permissions), so
    a model added later is covered."""
    from sqlmodel import SQLModel

    from crm_app.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'reassign.db'}")
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine, expire_on_commit=False) as session:
            world = build_world(session)
            source, target = world.users["comercial1"], world.users["comercial3"]
            n = 1000
            for model in OWNED_MODELS:
                for _ in range(2):
                    n += 1
                    row = MINIMAL_ROW[model](world, n)
                    row.owner_id, row.team_id = source.id, source.team_id
                    session.add(row)
                n += 1
                other = MINIMAL_ROW[model](world, n)
                other.owner_id = world.users["comercial2"].id
                session.add(other)
            session.commit()
            admin = world.users["admin"]
            with pytest.raises(ValidationFailed) as exc:
                user_admin.reassign_records(session=session, actor=admin,
                                            from_user_id=source.id,
                                            to_user_id=world.users["inactive_comercial"].id)
            assert exc.value.errors == {"to_user_id": "Ese usuario está desactivado."}
            for bad in (999_999, source.id):
                with pytest.raises(ValidationFailed) as exc:
                    user_admin.reassign_records(session=session, actor=admin,
                                                from_user_id=source.id, to_user_id=bad)
                assert set(exc.value.errors) == {"to_user_id"}
            moved = user_admin.reassign_records(session=session, actor=admin,
                                                from_user_id=source.id, to_user_id=target.id)
            assert moved == {m.__tablename__: 2 for m in OWNED_MODELS}
            for model in OWNED_MODELS:
                rows = session.exec(select(model).where(model.owner_id == target.id)).all()
                assert len(rows) == 2, model
                assert {r.team_id for r in rows} == {target.team_id}, model
                assert session.exec(select(model).where(model.owner_id == source.id)).all() \
                    == [], model
                assert len(session.exec(select(model).where(
                    model.owner_id == world.users["comercial2"].id)).all()) >= 1, model
            event = session.exec(select(AuditEvent).where(AuditEvent.action == "reassign")).one()
            assert event.entity_id == source.id and event.after["to_user_id"] == target.id
    finally:
        engine.dispose()


def test_teams_create_rename_and_manager_rules(session: Session, people) -> None:  # noqa: ANN001
    admin = people.admin
    with pytest.raises(ValidationFailed) as exc:
        user_admin.create_team(session=session, actor=admin, data={"name": "norte"})
    assert exc.value.errors == {"name": "Ya existe un equipo con ese nombre."}
    with pytest.raises(ValidationFailed):
        user_admin.create_team(session=session, actor=admin, data={"name": "   "})
    team = user_admin.create_team(session=session, actor=admin, data={"name": " Este "})
    assert team.name == "Este"
    renamed = user_admin.update_team(session=session, actor=admin, team_id=team.id,
                                     data={"name": "Levante"})
    assert renamed.name == "Levante"
    norte = people.team_norte.id
    cases = [(people.manager2.id, "El responsable debe ser un usuario activo de este equipo."),
             (people.comercial1.id, "El responsable debe tener el rol jefe de equipo, "
                                    "dirección o administración."),
             (999_999, "Ese usuario no existe.")]
    for manager_id, message in cases:
        with pytest.raises(ValidationFailed) as exc:
            user_admin.update_team(session=session, actor=admin, team_id=norte,
                                   data={"manager_id": manager_id})
        assert exc.value.errors == {"manager_id": message}
    user_admin.update_user(session=session, actor=admin, user_id=people.comercial2.id,
                           data={"role": "manager"})
    changed = user_admin.update_team(session=session, actor=admin, team_id=norte,
                                     data={"manager_id": people.comercial2.id})
    assert changed.manager_id == people.comercial2.id
    listed = {tm["name"]: tm for tm in user_admin.list_teams(session=session, actor=admin)}
    assert listed["Norte"]["manager_name"] == people.comercial2.name
    assert listed["Norte"]["members"] == 3 and listed["Levante"]["members"] == 0
    cleared = user_admin.update_team(session=session, actor=admin, team_id=norte,
                                     data={"manager_id": None})
    assert cleared.manager_id is None
    actions = [e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.entity == "team")).all()]
    assert actions.count("update") == 3 and "create" in actions


def test_set_password_applies_the_policy_and_ends_sessions(session: Session, people) -> None:  # noqa: ANN001
    target = people.comercial1
    _, cookie = auth_service.authenticate(session=session, email=target.email,
                                          password="demo1234")
    with pytest.raises(ValidationFailed) as exc:
        user_admin.set_password(session=session, actor=SYSTEM, user_id=target.id,
                                password="12345678")
    assert set(exc.value.errors) == {"password"}
    assert auth_service.user_for_session(session=session, token=cookie) is not None
    user_admin.set_password(session=session, actor=SYSTEM, user_id=target.id,
                            password=GOOD_PASSWORD)
    assert auth_service.user_for_session(session=session, token=cookie) is None
    auth_service.authenticate(session=session, email=target.email, password=GOOD_PASSWORD)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "set_password")).one()
    assert event.actor_id is None and GOOD_PASSWORD not in repr((event.before, event.after))


# --- PostgreSQL: two admins removing each other at the same time ---------------------------


@pytest.mark.postgres
def test_two_admins_cannot_remove_each_other_at_once(pg_session: Session) -> None:
    people = make_people(pg_session)
    user_admin.update_user(session=pg_session, actor=SYSTEM, user_id=people.director.id,
                           data={"role": "admin"})
    engine = pg_session.get_bind()
    ids = [people.admin.id, people.director.id]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def remove(actor_id: int, target_id: int) -> None:
        with Session(engine, expire_on_commit=False) as s:
            actor = s.get(User, actor_id)
            barrier.wait()
            try:
                user_admin.deactivate_user(session=s, actor=actor, user_id=target_id)
                outcomes.append("ok")
            except ValidationFailed:
                outcomes.append("refused")

    threads = [threading.Thread(target=remove, args=(ids[0], ids[1])),
               threading.Thread(target=remove, args=(ids[1], ids[0]))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert sorted(outcomes) == ["ok", "refused"]
    with Session(engine) as s:
        active_admins = s.exec(select(User).where(User.role == Role.ADMIN,
                                                  User.active.is_(True))).all()
    assert len(active_admins) == 1

