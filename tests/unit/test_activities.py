"""Activities and tasks (issue 13): logging, scoping of links and assignees, the windows of
/tareas and "Tu día" (Madrid midnight, DST), bulk actions all-or-nothing, bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from crm_app.models import Activity, AuditEvent, Lead
from crm_app.permissions import PermissionDenied
from crm_app.services import activities as act
from crm_app.services import overview as overview_service
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import NotFound, ValidationFailed
from crm_app.services.leads import create_lead
from tests import sales_support as ss


def _lead(session, owner) -> Lead:  # noqa: ANN001
    return create_lead(session=session, actor=owner,
                       data={"first_name": "Ana", "company": "Talleres Ana",
                             "email": f"ana{owner.id}@talleres.es"})


def test_logging_a_call_on_a_lead_is_done_now_with_its_outcome(session, people):
    c1 = people.comercial1
    lead = _lead(session, c1)
    call = act.create_activity(session=session, actor=c1, data={
        "kind": "call", "subject": "Primera llamada", "outcome": "Interesado", "lead_id": lead.id})
    assert call.done_at is not None and act.status_of(call) == "done"
    assert (call.owner_id, call.team_id, call.created_by_id) == (c1.id, c1.team_id, c1.id)
    session.refresh(lead)
    assert lead.first_contacted_at == call.done_at  # the lead's first contact
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "activity")).one()
    assert (event.entity_id, event.action, event.actor_id) == (call.id, "create", c1.id)


def test_a_task_needs_a_due_date_and_stays_open(session, people):
    c1 = people.comercial1
    lead = _lead(session, c1)
    with pytest.raises(ValidationFailed) as exc:
        act.create_activity(session=session, actor=c1, data={
            "kind": "task", "subject": "Enviar catálogo", "lead_id": lead.id})
    assert set(exc.value.errors) == {"due_at"}
    task = act.create_activity(session=session, actor=c1, data={
        "kind": "task", "subject": "Enviar catálogo", "lead_id": lead.id,
        "due_at": "31/12/2026 09:30", "reminder_minutes": 30})
    assert task.done_at is None and task.reminder_minutes == 30
    assert task.due_at == datetime(2026, 12, 31, 8, 30, tzinfo=UTC)  # 09:30 in Madrid (CET)
    session.refresh(lead)
    assert lead.first_contacted_at is None  # a task is not a contact


def test_logging_on_a_quote_derives_its_customer_and_touches_its_opportunity(session, people):
    c1 = people.comercial1
    account = ss.account(session, c1)
    opp = ss.opportunity(session, c1, account_id=account.id)
    quote = ss.quote(session, c1, account.id, opportunity_id=opp.id)
    before = opp.last_activity_at
    note = act.create_activity(session=session, actor=c1, data={
        "kind": "meeting", "subject": "Revisión", "quote_id": quote.id})
    assert (note.quote_id, note.account_id, note.opportunity_id) == (quote.id, account.id, opp.id)
    session.refresh(opp)
    assert opp.last_activity_at == note.done_at and opp.last_activity_at != before


def test_links_and_assignees_follow_the_scope(session, people):
    c1, c3 = people.comercial1, people.comercial3
    lead_of_c3 = _lead(session, c3)
    with pytest.raises(NotFound):  # someone else's lead reads as not found: 404
        act.create_activity(session=session, actor=c1, data={
            "kind": "call", "subject": "x", "lead_id": lead_of_c3.id})
    mine = _lead(session, c1)
    with pytest.raises(ValidationFailed) as exc:  # a comercial assigns to themselves only
        act.create_activity(session=session, actor=c1, data={
            "kind": "task", "subject": "x", "lead_id": mine.id, "due_at": "2026-12-01T10:00",
            "owner_id": people.comercial2.id})
    assert set(exc.value.errors) == {"owner_id"}
    # a manager gives it inside the team, not outside
    task = act.create_activity(session=session, actor=people.manager1, data={
        "kind": "task", "subject": "x", "lead_id": mine.id, "due_at": "2026-12-01T10:00",
        "owner_id": people.comercial2.id})
    assert task.owner_id == people.comercial2.id
    with pytest.raises(ValidationFailed):
        act.reassign_activity(session=session, actor=people.manager1, activity_id=task.id,
                              owner_id=c3.id)
    with pytest.raises(NotFound):  # comercial1 does not see comercial2's task
        act.complete_activity(session=session, actor=c1, activity_id=task.id)
    with pytest.raises(ValidationFailed) as exc:  # two records at once
        act.create_activity(session=session, actor=c1, data={
            "kind": "note", "subject": "x", "lead_id": mine.id,
            "opportunity_id": ss.opportunity(session, c1).id})
    assert set(exc.value.errors) == {"lead_id", "opportunity_id"}


def test_the_system_acts_for_rules_without_committing(session, people):
    c1 = people.comercial1
    lead = _lead(session, c1)
    task = act.create_activity(session=session, actor=SYSTEM, source="rule:7", commit=False,
                               data={"kind": "task", "subject": "Llamar al lead",
                                     "lead_id": lead.id, "due_at": "2026-12-01T10:00"})
    assert (task.owner_id, task.created_by_id, task.source) == (c1.id, None, "rule:7")
    session.rollback()  # the caller's transaction decides
    assert session.exec(select(Activity)).all() == []


def test_bounds_are_checked_field_by_field(session, people):
    c1 = people.comercial1
    lead = _lead(session, c1)
    with pytest.raises(ValidationFailed) as exc:
        act.create_activity(session=session, actor=c1, data={
            "kind": "fax", "subject": "x" * 201, "notes": "y" * 10_001, "lead_id": lead.id,
            "due_at": "1999-12-31T10:00", "reminder_minutes": 40_321, "colour": "red"})
    assert set(exc.value.errors) == {"kind", "subject", "notes", "due_at", "reminder_minutes",
                                     "colour"}
    assert session.exec(select(Activity)).all() == []


def test_complete_reopen_reschedule(session, people, monkeypatch):
    c1 = people.comercial1
    lead = _lead(session, c1)
    task = act.create_activity(session=session, actor=c1, data={
        "kind": "task", "subject": "x", "lead_id": lead.id, "due_at": "2026-03-10T18:00"})
    act.complete_activity(session=session, actor=c1, activity_id=task.id)
    assert task.done_at is not None
    act.complete_activity(session=session, actor=c1, activity_id=task.id, done=False)
    assert task.done_at is None
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "activity")
                           .order_by(AuditEvent.id)).all()
    assert actions == ["create", "complete", "reopen"]
    # +1 día from a future due date keeps the time; from an overdue one it starts today
    now = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    due = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # 18:00 Madrid
    assert act.shifted(due, "day", now=now) == datetime(2026, 3, 11, 17, 0, tzinfo=UTC)
    late = datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert act.shifted(late, "week", now=now) == datetime(2026, 3, 16, 17, 0, tzinfo=UTC)
    # across the spring DST change 18:00 Madrid stays 18:00 Madrid (UTC+1 → UTC+2)
    assert act.shifted(datetime(2026, 3, 28, 17, 0, tzinfo=UTC), "day", now=now) \
        == datetime(2026, 3, 29, 16, 0, tzinfo=UTC)


def test_bulk_is_all_or_nothing(session, people):
    c1, c2 = people.comercial1, people.comercial2
    lead = _lead(session, c1)
    mine = [act.create_activity(session=session, actor=c1, data={
        "kind": "task", "subject": f"T{i}", "lead_id": lead.id,
        "due_at": "2026-12-01T10:00"}).id for i in range(3)]
    other = act.create_activity(session=session, actor=c2, data={
        "kind": "task", "subject": "De otro", "lead_id": _lead(session, c2).id,
        "due_at": "2026-12-01T10:00"}).id
    with pytest.raises(ValidationFailed) as exc:
        act.bulk_update(session=session, actor=c1, ids=[*mine, other], action="done")
    assert "No se ha cambiado ninguna" in exc.value.errors["ids"]
    session.expire_all()
    assert all(session.get(Activity, i).done_at is None for i in mine)
    assert act.bulk_update(session=session, actor=c1, ids=mine, action="reschedule",
                           shift="week") == 3
    assert act.bulk_update(session=session, actor=c1, ids=mine, action="done") == 3
    session.expire_all()
    assert all(session.get(Activity, i).done_at is not None for i in mine)
    with pytest.raises(PermissionDenied):  # the asesor changes nothing
        act.bulk_update(session=session, actor=_asesor(session), ids=mine, action="reopen")


def _asesor(session):  # noqa: ANN001, ANN202
    from crm_app.models import Role, User, utcnow

    user = User(email="asesor@test.crm", name="Asesor", role=Role.ASESOR, created_at=utcnow())
    session.add(user)
    session.commit()
    return user


# --- the windows of /tareas and "Tu día" ---------------------------------------------------------

def _task(session, owner, due, **extra) -> Activity:  # noqa: ANN001
    row = Activity(kind="task", subject="t", due_at=due, owner_id=owner.id,
                   team_id=owner.team_id, **extra)
    session.add(row)
    session.commit()
    return row


@pytest.mark.parametrize(("now", "midnight_utc"), [
    # winter: Madrid = UTC+1, the night of 10→11 March starts at 23:00 UTC
    (datetime(2026, 3, 10, 10, 0, tzinfo=UTC), datetime(2026, 3, 10, 23, 0, tzinfo=UTC)),
    # the spring change day (29 March 2026, 23 h long): its midnight is 22:00 UTC
    (datetime(2026, 3, 29, 10, 0, tzinfo=UTC), datetime(2026, 3, 29, 22, 0, tzinfo=UTC)),
    # the autumn change day (25 October 2026, 25 h long): its midnight is 23:00 UTC
    (datetime(2026, 10, 25, 10, 0, tzinfo=UTC), datetime(2026, 10, 25, 23, 0, tzinfo=UTC)),
    # 23:30 Madrid in summer (21:30 UTC): "today" ends in half an hour
    (datetime(2026, 7, 1, 21, 30, tzinfo=UTC), datetime(2026, 7, 1, 22, 0, tzinfo=UTC)),
])
def test_windows_split_at_madrid_midnight(session, people, monkeypatch, now, midnight_utc):
    monkeypatch.setattr(overview_service, "utcnow", lambda: now)
    c1 = people.comercial1
    minute = (midnight_utc - now) / 120  # well inside the window
    _task(session, c1, now - minute)                       # overdue
    _task(session, c1, now + minute)                       # today
    _task(session, c1, midnight_utc - (midnight_utc - now) / 1000)  # last moment of today
    _task(session, c1, midnight_utc)                       # tomorrow's first moment: upcoming
    _task(session, c1, now - minute, done_at=now)          # done today
    _task(session, c1, now, done_at=midnight_utc.replace(year=2025))  # done long ago
    _task(session, c1, now + minute, deleted_at=now)       # in the bin
    counts = act.task_counts(session=session, actor=c1, scope="mine", now=now)
    assert counts == {"hoy": 2, "vencidas": 1, "proximas": 1, "hechas": 1}
    card = overview_service.overview(session=session, actor=c1)
    assert (card["tasks_due"], card["tasks_overdue"], card["tasks_upcoming"],
            card["tasks_done"]) == (2, 1, 1, 1)
    # the list each tab opens holds exactly what its count says
    monkeypatch.setattr(act, "utcnow", lambda: now)
    for window, n in counts.items():
        page = act.list_activities(session=session, actor=c1, window=window, scope="mine")
        assert page.total == n, window


def test_scopes_mine_team_all(session, people):
    due = datetime(2030, 1, 1, 10, 0, tzinfo=UTC)
    for user in (people.comercial1, people.comercial2, people.comercial3, people.manager1):
        _task(session, user, due)
    m1 = people.manager1
    assert act.scopes_for(m1) == ("mine", "team")
    assert act.scopes_for(people.comercial1) == ("mine",)
    assert act.task_counts(session=session, actor=m1, scope="mine")["proximas"] == 1
    assert act.task_counts(session=session, actor=m1, scope="team")["proximas"] == 3
    assert act.task_counts(session=session, actor=m1, scope="all")["proximas"] == 3  # restrict
    assert act.task_counts(session=session, actor=people.director, scope="all")["proximas"] == 4
    assert act.task_counts(session=session, actor=people.comercial1,
                           scope="all")["proximas"] == 1
