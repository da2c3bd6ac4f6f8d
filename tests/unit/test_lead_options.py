"""What the leads screens offer in their selects, scoped like the lists, and the fallback owner."""

from __future__ import annotations

import pytest
from sqlmodel import select

from crm_app.models import AuditEvent, Lead, Organisation, utcnow
from crm_app.permissions import PermissionDenied
from crm_app.services import lead_options as opts
from crm_app.services.assignment import Assigner
from crm_app.services.errors import ValidationFailed


def _lead(session, owner, source: str) -> None:
    session.add(Lead(first_name="L", email=f"{owner.id}-{source}@x.es", source=source,
                     owner_id=owner.id, team_id=owner.team_id, created_at=utcnow()))
    session.commit()


def test_sources_are_those_of_the_leads_in_scope(session, people):
    _lead(session, people.comercial1, "Feria")
    _lead(session, people.comercial1, "web")
    _lead(session, people.comercial3, "Partner")
    _lead(session, people.comercial3, "")
    assert opts.lead_sources(session=session, actor=people.admin) == ["Feria", "Partner", "web"]
    assert opts.lead_sources(session=session, actor=people.comercial1) == ["Feria", "web"]
    assert opts.lead_sources(session=session, actor=people.manager2) == ["Partner"]


def test_users_and_teams_follow_the_scope(session, people):
    names = lambda users: sorted(u.name for u in users)  # noqa: E731
    assert len(opts.visible_users(session=session, actor=people.director)) == 7
    assert names(opts.visible_users(session=session, actor=people.manager1)) == [
        "Comercial1", "Comercial2", "Manager1"]
    assert names(opts.visible_users(session=session, actor=people.comercial2)) == ["Comercial2"]
    assert [tm.name for tm in opts.visible_teams(session=session, actor=people.admin)] == [
        "Norte", "Sur"]
    assert [tm.name for tm in opts.visible_teams(session=session, actor=people.comercial3)] == [
        "Sur"]
    # A comercial may only keep leads; an inactive colleague is never offered.
    assert names(opts.assignable_users(session=session, actor=people.comercial1)) == [
        "Comercial1"]
    people.comercial2.active = False
    session.add(people.comercial2)
    session.commit()
    assert names(opts.assignable_users(session=session, actor=people.manager1)) == [
        "Comercial1", "Manager1"]


def test_fallback_owner_is_set_audited_and_used_by_the_rules(session, people):
    assert opts.fallback_owner(session=session, actor=people.admin) is None
    opts.set_fallback_owner(session=session, actor=people.admin, user_id=people.comercial3.id)
    org = session.exec(select(Organisation)).one()
    assert org.lead_fallback_owner_id == people.comercial3.id
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "organisation")).one()
    assert event.after == {"lead_fallback_owner_id": people.comercial3.id}
    owner, team, rule = Assigner.load(session=session).assign({"province": "Madrid"})
    assert (owner, team, rule) == (people.comercial3.id, people.team_sur.id, None)
    opts.set_fallback_owner(session=session, actor=people.admin, user_id=None)
    assert opts.fallback_owner(session=session, actor=people.admin) is None


def test_fallback_owner_needs_the_rules_permission_and_an_active_user(session, people):
    with pytest.raises(PermissionDenied):
        opts.set_fallback_owner(session=session, actor=people.manager1,
                                user_id=people.manager1.id)
    with pytest.raises(PermissionDenied):
        opts.fallback_owner(session=session, actor=people.director)
    people.comercial1.active = False
    session.add(people.comercial1)
    session.commit()
    with pytest.raises(ValidationFailed):
        opts.set_fallback_owner(session=session, actor=people.admin,
                                user_id=people.comercial1.id)
    with pytest.raises(ValidationFailed):
        opts.set_fallback_owner(session=session, actor=people.admin, user_id=999_999)


def test_provinces_are_sorted_as_people_read_them():
    names = opts.provinces()
    assert len(names) == 52 and names[:3] == ["A Coruña", "Álava", "Albacete"]
    assert names.index("Ávila") < names.index("Badajoz") < names.index("Zaragoza")
