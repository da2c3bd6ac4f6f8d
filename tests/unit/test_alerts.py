"""Alerts (issue 13): raise_alert's idempotency and after-commit delivery, the built-in sweep
(episodes, switches), the event alerts of quotes and won deals, scoping, mark read/dismiss."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import sales_support as ss
from sqlmodel import select

from crm_app.models import Activity, Alert, Opportunity, utcnow
from crm_app.permissions import PermissionDenied
from crm_app.services import alerts, leads, opportunities, quotes
from crm_app.services.errors import NotFound, ValidationFailed


@pytest.fixture
def delivered():
    """The ids handed to the delivery queue (what the worker would get), after commit."""
    sent: list[int] = []
    alerts.set_delivery(sent.append)
    yield sent
    alerts.set_delivery(None)


def _raise(session, owner, key="k1", record=None, **kw):
    args = dict(session=session, owner_id=owner.id, kind="test", level="warning",
                message="Hola", reason="Porque sí", record=record, source="rule:7",
                dedup_key=key)
    args.update(kw)
    return alerts.raise_alert(**args)


def test_raise_alert_is_idempotent_per_open_episode_and_delivers_after_commit(
        session, people, delivered):
    first = _raise(session, people.comercial1)
    assert first is not None and first.severity == "warning" and first.level == "warning"
    assert delivered == []  # not before the commit
    assert _raise(session, people.comercial1) is None  # same key, still open
    session.commit()
    assert delivered == [first.id]
    # read or dismissed: the episode goes on; another owner gets their own
    alerts.dismiss(session=session, actor=people.comercial1, alert_id=first.id)
    assert _raise(session, people.comercial1) is None
    other = _raise(session, people.comercial2)
    assert other is not None
    # the condition ended (resolved): a new episode fires again
    first.resolved_at = utcnow()
    session.add(first)
    again = _raise(session, people.comercial1)
    assert again is not None and again.id != first.id
    session.rollback()  # a rolled-back alert is never delivered
    session.commit()
    assert delivered == [first.id]
    with pytest.raises(ValueError):
        _raise(session, people.comercial1, key="x", level="loud")
    with pytest.raises(ValueError):
        _raise(session, people.comercial1, key="y", record=("invoice", 1))


def test_bell_list_read_dismiss_and_scope(session, people):
    """The bell lists what the user may still see; another's alert is "not found"."""
    lead = leads.create_lead(session=session, actor=people.comercial1,
                             data={"first_name": "Ana", "company": "Ana S.L.",
                                   "email": "ana@example.com"})
    alert = _raise(session, people.comercial1, record=("lead", lead.id))
    _raise(session, people.comercial1, key="k2")
    session.commit()
    rows, total = alerts.list_alerts(session=session, actor=people.comercial1, unread=True)
    assert total == 2 and rows[1].id == alert.id
    body = alerts.public(alert)
    assert body["record"] == {"entity": "lead", "id": lead.id, "href": f"/leads/{lead.id}"}
    assert body["reason"] == "Porque sí" and body["level"] == "warning"
    assert alerts.alert_levels_for(session=session, actor=people.comercial1, entity="lead",
                                   ids=[lead.id, 999]) == {lead.id: "warning"}
    with pytest.raises(NotFound):
        alerts.mark_read(session=session, actor=people.comercial2, alert_id=alert.id)
    with pytest.raises(PermissionDenied):  # the system reads no bell
        alerts.mark_read(session=session, actor=alerts_system(), alert_id=alert.id)
    alerts.mark_read(session=session, actor=people.comercial1, alert_id=alert.id)
    assert alerts.open_alerts_count(session=session, actor=people.comercial1) == 1
    # the lead goes to a colleague of the other team: its alert leaves comercial1's bell
    leads.assign_lead(session=session, actor=people.admin, lead_id=lead.id,
                      owner_id=people.comercial3.id)
    rows, total = alerts.list_alerts(session=session, actor=people.comercial1)
    assert total == 1 and alert.id not in [r.id for r in rows]
    assert alerts.alert_levels_for(session=session, actor=people.comercial1, entity="lead",
                                   ids=[lead.id]) == {}
    with pytest.raises(NotFound):
        alerts.dismiss(session=session, actor=people.comercial1, alert_id=alert.id)
    last = rows[0]
    assert alerts.newest_alert_id(session=session, actor=people.comercial1) >= last.id
    assert [r["id"] for r in alerts.alerts_after(session=session, actor=people.comercial1,
                                                 after_id=0)] == [str(last.id)]
    alerts.dismiss(session=session, actor=people.comercial1, alert_id=last.id)
    assert alerts.list_alerts(session=session, actor=people.comercial1) == ([], 0)


def alerts_system():
    from crm_app.services.actors import SYSTEM

    return SYSTEM


def _world(session, people):
    """An idle deal, an overdue task, a quote about to expire and an uncontacted lead of
    comercial1, as they are 30 days from now."""
    now = utcnow()
    acc = ss.account(session, people.comercial1)
    opp = ss.opportunity(session, people.comercial1, acc.id, name="Reforma nave")
    task = Activity(kind="task", subject="Llamar a Ana", due_at=now + timedelta(days=2),
                    owner_id=people.comercial1.id, team_id=people.comercial1.team_id,
                    created_at=now)
    session.add(task)
    q = ss.quote(session, people.comercial1, acc.id)
    q.valid_until = (now + timedelta(days=31)).date()
    session.add(q)
    lead = leads.create_lead(session=session, actor=people.comercial1,
                             data={"first_name": "Luis", "company": "Luis S.L.",
                                   "email": "luis@example.com"})
    session.commit()
    return now + timedelta(days=30), opp, task, q, lead


def _sources(session) -> list[str]:
    return sorted(a.source for a in session.exec(select(Alert)).all())


def test_sweep_fires_once_per_episode_and_says_why(session, people, delivered):
    now, opp, task, q, lead = _world(session, people)
    result = alerts.sweep(session=session, now=now)
    assert result["created"] == {"idle": 1, "task_overdue": 1, "quote_expiring": 1,
                                 "lead_not_contacted": 1, "task_reminder": 0}
    assert len(delivered) == 4
    by_source = {a.source: a for a in session.exec(select(Alert)).all()}
    idle = by_source["builtin:idle"]
    assert idle.owner_id == people.comercial1.id and idle.opportunity_id == opp.id
    assert "Reforma nave" in idle.message and "límite es de 14 días" in idle.reason
    assert by_source["builtin:task_overdue"].activity_id == task.id
    assert "vencía el" in by_source["builtin:task_overdue"].reason
    assert by_source["builtin:quote_expiring"].quote_id == q.id
    assert "quedan 1 días" in by_source["builtin:quote_expiring"].reason
    assert by_source["builtin:lead_not_contacted"].lead_id == lead.id
    # a second sweep, and one later: nothing new
    assert alerts.sweep(session=session, now=now)["alerts"] == 0
    assert alerts.sweep(session=session, now=now + timedelta(hours=1))["alerts"] == 0
    # new episodes: the deal gets activity, the task is rescheduled and passes again
    opportunities.touch_activity(session=session, opportunity_id=opp.id,
                                 at=now + timedelta(days=1))
    task = session.get(Activity, task.id)
    task.due_at = now + timedelta(days=3)
    session.add(task)
    session.commit()
    later = alerts.sweep(session=session, now=now + timedelta(days=2))
    assert later["resolved"] >= 1 and later["alerts"] == 0
    assert session.get(Alert, idle.id).resolved_at is not None  # the episode ended
    again = alerts.sweep(session=session, now=now + timedelta(days=20))
    assert again["created"]["idle"] == 1 and again["created"]["task_overdue"] == 1
    # a task done: its alert is resolved, nothing new
    task.done_at = now + timedelta(days=20)
    session.add(task)
    session.commit()
    alerts.sweep(session=session, now=now + timedelta(days=21))
    assert all(a.resolved_at for a in session.exec(select(Alert).where(
        Alert.activity_id == task.id)).all())


def test_a_task_reminder_fires_once_when_due_and_again_after_a_reschedule(
        session, people, delivered):
    from crm_app.services import activities

    now = utcnow().replace(microsecond=0)
    lead = leads.create_lead(session=session, actor=people.comercial1,
                             data={"first_name": "Rosa", "company": "Frutas Ruiz",
                                   "email": "rosa@example.com"})
    task = activities.create_activity(session=session, actor=people.comercial1, data={
        "kind": "task", "subject": "Llamar a Rosa", "lead_id": lead.id,
        "due_at": (now + timedelta(hours=2)).isoformat(), "reminder_minutes": 30})
    quiet = activities.create_activity(session=session, actor=people.comercial1, data={
        "kind": "task", "subject": "Sin aviso", "lead_id": lead.id,
        "due_at": (now + timedelta(minutes=10)).isoformat()})
    early = alerts.sweep(session=session, now=now + timedelta(minutes=80))
    assert early["created"]["task_reminder"] == 0  # 40 min before: not yet
    due = alerts.sweep(session=session, now=now + timedelta(minutes=95))
    assert due["created"]["task_reminder"] == 1
    reminder = session.exec(select(Alert).where(Alert.source == "builtin:task_reminder")).one()
    assert reminder.owner_id == people.comercial1.id and reminder.activity_id == task.id
    assert "Llamar a Rosa" in reminder.message and "30 minutos antes" in reminder.reason
    assert session.get(Activity, task.id).reminder_sent_at is not None
    assert alerts.sweep(session=session, now=now + timedelta(minutes=100))[
        "created"]["task_reminder"] == 0  # once
    assert not session.exec(select(Alert).where(Alert.activity_id == quiet.id,
                                                Alert.source == "builtin:task_reminder")).all()
    activities.reschedule_activity(session=session, actor=people.comercial1,
                                   activity_id=task.id, shift="day")
    assert session.get(Activity, task.id).reminder_sent_at is None
    assert alerts.sweep(session=session, now=now + timedelta(days=1, minutes=95))[
        "created"]["task_reminder"] == 1


def test_switches_and_their_validation(session, people):
    now, *_ = _world(session, people)
    with pytest.raises(PermissionDenied):
        alerts.update_alert_settings(session=session, actor=people.manager1,
                                     data={"idle": False})
    with pytest.raises(ValidationFailed) as err:
        alerts.update_alert_settings(session=session, actor=people.admin,
                                     data={"idle": "no", "quote_expiring_days": 0,
                                           "big_deal_amount": "1e9", "colour": 1})
    assert set(err.value.errors) == {"idle", "quote_expiring_days", "big_deal_amount",
                                     "colour"}
    assert alerts.alert_settings(session=session)["idle"] is True  # nothing half-written
    saved = alerts.update_alert_settings(
        session=session, actor=people.admin,
        data={"idle": False, "task_overdue": False, "lead_not_contacted": False,
              "quote_expiring_days": 2})
    assert saved["idle"] is False and saved["quote_expiring_days"] == 2
    result = alerts.sweep(session=session, now=now)
    assert result["created"] == {"idle": 0, "task_overdue": 0, "quote_expiring": 1,
                                 "lead_not_contacted": 0, "task_reminder": 0}


def test_quote_decisions_and_a_big_win_alert_the_owner_and_the_manager(session, people):
    alerts.update_alert_settings(session=session, actor=people.admin,
                                 data={"big_deal_amount": 5000})
    acc = ss.account(session, people.comercial1)
    opp = ss.opportunity(session, people.comercial1, acc.id, name="Nave grande")
    big = ss.quote(session, people.comercial1, acc.id, opportunity_id=opp.id,
                   lines=[{"description": "Obra", "quantity": "1", "unit_price": "6000",
                           "tax_rate": "21"}])
    small = ss.quote(session, people.comercial1, acc.id,
                     lines=[{"description": "Visita", "quantity": "1", "unit_price": "100",
                             "tax_rate": "21"}])
    own = ss.quote(session, people.comercial1, acc.id)
    quotes.accept_quote(session=session, actor=people.manager1, quote_id=big.id)
    quotes.reject_quote(session=session, actor=people.admin, quote_id=small.id)
    quotes.reject_quote(session=session, actor=people.comercial1, quote_id=own.id)  # own: none
    got = {(a.owner_id, a.kind): a for a in session.exec(select(Alert)).all()}
    assert set(got) == {(people.comercial1.id, "quote_accepted"),
                        (people.comercial1.id, "quote_rejected"),
                        (people.manager1.id, "big_deal_won")}
    assert got[(people.comercial1.id, "quote_accepted")].quote_id == big.id
    assert "Manager1 marcó" in got[(people.comercial1.id, "quote_accepted")].reason
    won = got[(people.manager1.id, "big_deal_won")]
    assert won.opportunity_id == opp.id and "Comercial1 ganó" in won.reason
    assert "5000" in won.reason.replace(".", "")
    assert session.get(Opportunity, opp.id).amount == Decimal("6000.00")
    # the manager sees it: the deal is in their team
    assert alerts.open_alerts_count(session=session, actor=people.manager1) == 1
    # below the threshold, or switched off: nothing
    opp2 = ss.opportunity(session, people.comercial1, acc.id, name="Chica", amount="100")
    won_stage = opportunities.won_stage(session, opp2.pipeline_id)
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=opp2.id,
                             stage_id=won_stage.id)
    assert session.exec(select(Alert).where(Alert.opportunity_id == opp2.id)).all() == []
