"""What Ajustes reads through the services: the organisation's data and the user directory,
admins only; reading never writes."""

from __future__ import annotations

import pytest
from sqlmodel import delete, select

from crm_app.models import Organisation
from crm_app.permissions import PermissionDenied
from crm_app.services import organisation as org_service
from crm_app.services import users as user_service


def test_the_organisation_is_read_by_admins_only(session, people):
    org = org_service.organisation(session=session, actor=people.admin)
    assert (org.legal_name, org.nif, org.currency) == ("Demo Pruebas S.L.", "B12345674", "EUR")
    for who in (people.director, people.manager1, people.comercial1):
        with pytest.raises(PermissionDenied):
            org_service.organisation(session=session, actor=who)


def test_without_a_stored_organisation_the_defaults_are_shown_and_nothing_is_created(
        session, people):
    session.exec(delete(Organisation))
    session.commit()
    org = org_service.organisation(session=session, actor=people.admin)
    assert (org.id, org.legal_name, org.timezone) == (None, "", "Europe/Madrid")
    session.commit()
    assert session.exec(select(Organisation)).all() == []


def test_the_directory_lists_every_user_with_the_team_by_role(session, people):
    people.comercial3.active = False
    session.add(people.comercial3)
    session.commit()
    rows = user_service.directory(session=session, actor=people.admin)
    assert [r["email"] for r in rows] == [
        "admin@test.crm", "comercial1@test.crm", "comercial2@test.crm", "comercial3@test.crm",
        "director@test.crm", "manager1@test.crm", "manager2@test.crm"]
    by_email = {r["email"]: r for r in rows}
    assert by_email["manager2@test.crm"]["team_name"] == "Sur"
    assert by_email["director@test.crm"]["team_name"] == ""
    assert by_email["comercial3@test.crm"]["active"] is False
    with pytest.raises(PermissionDenied):
        user_service.directory(session=session, actor=people.manager1)
