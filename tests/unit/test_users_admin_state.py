"""/ajustes/usuarios and /ajustes/equipos' states (issue 12) driven in process like an admin's
tab: the list with states and Madrid times, the invite dialog's errors under each field and
the e-mail through a real local SMTP server, edit, deactivate (the user's session ends),
reactivate, reassign, teams; a non-admin's forged events are refused; the invitee's page
greets a valid link and explains a used one."""

from __future__ import annotations

import re
from typing import Any

from smtp_inbox import local_smtp
from sqlmodel import select
from state_harness import run, tab

from crm_app.models import Account, Organisation
from crm_app.services import user_admin
from pages.invitation import InvitationState
from pages.settings import TeamsAdminState, UsersAdminState

GOOD_PASSWORD = "tranvía-azul-cometa-93"


def toasts(events: list[Any]) -> str:
    return " ".join(str(e) for e in events if "toast" in str(e).lower())


def opened(people: Any) -> Any:
    s = tab(UsersAdminState, people.admin, path="/ajustes/usuarios")
    assert run(s.check_admin()) == [] and run(s.load()) == []
    return s


def test_list_invite_and_the_invitees_page(session, people):
    s = opened(people)
    assert len(s.users) == 7
    admin = next(u for u in s.users if u["email"] == "admin@test.crm")
    assert (admin["role_label"], admin["state_label"]) == ("Administración", "Activo")
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", admin["last_login"])  # signed in by tab()
    comercial = next(u for u in s.users if u["email"] == "comercial3@test.crm")
    assert comercial["last_login"] == "Nunca" and comercial["team"] == "Sur"

    s.set_invite_open(True)
    s.set_invite_email("no-es-correo")
    s.set_invite_name("")
    events = run(s.invite())
    assert set(s.invite_errors) == {"email", "name"} and s.invite_open
    assert "Revisa" in toasts(events)

    with local_smtp("Env <env@crm.es>") as (inbox, settings):
        org = session.exec(select(Organisation)).one()
        org.smtp_host, org.smtp_port, org.smtp_starttls = "127.0.0.1", settings.smtp_port, False
        org.smtp_from = "Demo <crm@demo.es>"
        session.add(org)
        session.commit()
        s.set_invite_email("nuevo@demo.es")
        s.set_invite_name("Nuevo Comercial")
        s.set_invite_team(str(people.team_norte.id))
        events = run(s.invite())
        assert s.invite_errors == {} and not s.invite_open and not s.inviting
        assert "Invitación enviada a nuevo@demo.es." in toasts(events)
        [(_, msg)] = inbox.messages
    token = re.search(r"/invitacion/(\S+)", msg.get_content()).group(1)
    row = next(u for u in s.users if u["email"] == "nuevo@demo.es")
    assert (row["state"], row["team"]) == ("invited", "Norte")

    page = tab(InvitationState, None, path=f"/invitacion/{token}")
    page.on_load()
    assert (page.invitee, page.email, page.link_error) == ("Nuevo Comercial",
                                                           "nuevo@demo.es", "")
    user_admin.accept_invitation(session=session, token=token, password=GOOD_PASSWORD)
    page.on_load()
    assert "ya se ha usado" in page.link_error and page.email == ""
    forged = tab(InvitationState, None, path="/invitacion/x",
                 query={"password": "La contraseña debe tener al menos 10 caracteres."})
    forged.on_load()
    assert forged.errors == {"password": "La contraseña debe tener al menos 10 caracteres."}
    assert "no es válido" in forged.link_error


def test_edit_deactivate_reactivate_reassign(session, people):
    s = opened(people)
    victim = tab(UsersAdminState, people.comercial1, path="/")  # comercial1's open tab
    assert victim._current_user(session) is not None
    uid = str(people.comercial1.id)
    s.open_edit(uid)
    assert (s.edit_name, s.edit_role, s.edit_team) == ("Comercial1", "comercial",
                                                        str(people.team_norte.id))
    s.set_edit_role("jefe")
    run(s.save_edit())
    assert set(s.edit_errors) == {"role"} and s.edit_open
    s.set_edit_role("manager")
    s.set_edit_name("Carmen Ruiz")
    events = run(s.save_edit())
    assert not s.edit_open and "Usuario guardado." in toasts(events)
    assert next(u for u in s.users if u["id"] == uid)["name"] == "Carmen Ruiz"

    s.ask_deactivate(uid)
    assert s.deactivate_open and s.deactivate_name == "Carmen Ruiz"
    events = run(s.deactivate())
    assert "sesiones y tokens revocados" in toasts(events)
    assert next(u for u in s.users if u["id"] == uid)["state"] == "inactive"
    assert victim._current_user(session) is None  # that tab is signed out now

    session.add(Account(name="De Carmen S.L.", owner_id=people.comercial1.id,
                        team_id=people.team_norte.id))
    session.commit()
    s.open_reassign(uid)
    assert uid not in {o["value"] for o in s.reassign_targets}
    assert str(people.comercial2.id) in {o["value"] for o in s.reassign_targets}
    run(s.reassign())
    assert set(s.reassign_errors) == {"to_user_id"}
    s.set_reassign_to(str(people.comercial2.id))
    events = run(s.reassign())
    assert "1 registros reasignados a Comercial2." in toasts(events)
    session.expire_all()
    assert session.exec(select(Account)).one().owner_id == people.comercial2.id

    events = run(s.reactivate(uid))
    assert "reactivado" in toasts(events)
    # the last admin
    s.ask_deactivate(str(people.admin.id))
    events = run(s.deactivate())
    assert "propia cuenta" in toasts(events)


def test_teams_screen(session, people):
    s = tab(TeamsAdminState, people.admin, path="/ajustes/equipos")
    assert run(s.check_admin()) == [] and run(s.load()) == []
    assert {tm["name"]: tm["manager"] for tm in s.teams} == {"Norte": "Manager1",
                                                             "Sur": "Manager2"}
    s.set_new_open(True)
    s.set_new_name("norte")
    run(s.create())
    assert s.new_errors == {"name": "Ya existe un equipo con ese nombre."}
    s.set_new_name("Levante")
    run(s.create())
    assert not s.new_open and "Levante" in {tm["name"] for tm in s.teams}
    norte = str(people.team_norte.id)
    s.open_edit(norte)
    # only active members with the manager role or above are offered
    assert [o["label"] for o in s.manager_options] == ["Sin responsable", "Manager1"]
    s.set_edit_manager(str(people.comercial1.id))  # forged: not offered
    run(s.save_edit())
    assert "manager_id" in s.edit_errors
    s.set_edit_manager("__none")
    s.set_edit_name("Norte y Centro")
    run(s.save_edit())
    assert {tm["name"]: tm["manager"] for tm in s.teams}["Norte y Centro"] == "Sin responsable"


def test_non_admins_are_refused(session, people):
    for who in (people.director, people.comercial1):
        s = tab(UsersAdminState, who, path="/ajustes/usuarios")
        assert run(s.load()) == []  # guarded loader: the guard already answered
        assert s.users == []
        s.set_invite_email("x@demo.es")
        s.set_invite_name("X")
        assert "No tienes permiso" in toasts(run(s.invite()))
        assert "No tienes permiso" in toasts(run(s.reactivate(str(people.comercial2.id))))
        t = tab(TeamsAdminState, who, path="/ajustes/equipos")
        t.set_new_name("Hackers")
        assert "No tienes permiso" in toasts(run(t.create()))
