"""Automation rules: validation, each trigger (time travel through ``now``), idempotency per
episode, the depth cap, the simulator writing nothing, the outbox and the execution log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sales_support as build
from sqlalchemy import func
from sqlmodel import select

from crm_app.models import (
    Activity,
    Alert,
    AutomationRun,
    CustomFieldDef,
    Lead,
    OutboxEvent,
    utcnow,
)
from crm_app.services import automation, leads, opportunities, quotes
from crm_app.services.automation import engine
from crm_app.services.errors import NotFound, ValidationFailed

TASK = {"type": "create_task", "subject": "Llamar: {titulo}", "due_in_hours": 24,
        "assignee": "owner"}


def rule(session, people, trigger, actions=None, conditions=None, name="Regla"):
    return automation.create_rule(session=session, actor=people.admin, data={
        "name": name, "trigger": trigger, "conditions": conditions or [],
        "actions": actions or [TASK]})


def new_lead(session, actor, data):
    return leads.create_lead(session=session, actor=actor,
                             data={"email": f"{data.get('first_name', 'x')}@example.com", **data})


def count(session, model, *where):
    stmt = select(func.count()).select_from(model)
    for clause in where:
        stmt = stmt.where(clause)
    return session.exec(stmt).one()


def rule_tasks(session, rule_id):
    return session.exec(select(Activity).where(Activity.source == f"rule:{rule_id}")).all()


def drain(session, now=None):
    total = {"fired": 0, "capped": 0}
    for _ in range(20):
        out = engine.process_outbox(session=session, now=now)
        total["fired"] += out["fired"]
        total["capped"] += out["capped"]
        if out["events"] == 0:
            return total
    raise AssertionError("the outbox never drained")


# --- validation -----------------------------------------------------------------------------


BAD_RULES = [
    ({"trigger": {"type": "whenever", "entity": "lead"}}, "trigger.type"),
    ({"trigger": {"type": "idle", "entity": "lead"}}, "trigger.entity"),
    ({"trigger": {"type": "field_changed", "entity": "lead", "field": "nope"}},
     "trigger.field"),
    ({"trigger": {"type": "field_changed", "entity": "lead"}}, "trigger.field"),
    ({"trigger": {"type": "idle", "entity": "opportunity", "days": 0}}, "trigger.days"),
    ({"trigger": {"type": "idle", "entity": "opportunity", "days": 10**9}}, "trigger.days"),
    ({"trigger": {"type": "not_contacted", "hours": "x"}}, "trigger.hours"),
    ({"conditions": [{"field": "province", "op": "eq", "value": ""}]}, "conditions.0.value"),
    ({"conditions": [{"field": "province", "op": "like", "value": "M"}]}, "conditions.0.op"),
    ({"conditions": [{"field": "galaxy", "op": "eq", "value": "M"}]}, "conditions.0.field"),
    ({"actions": []}, "actions"),
    ({"actions": [{"type": "explode"}]}, "actions.0.type"),
    ({"actions": [{**TASK, "subject": "Hola {planeta}"}]}, "actions.0.subject"),
    ({"actions": [{**TASK, "due_in_hours": 10**7}]}, "actions.0.due_in_hours"),
    ({"actions": [{**TASK, "assignee": 999999}]}, "actions.0.assignee"),
    ({"actions": [{"type": "create_alert", "level": "panic", "message": "x"}]},
     "actions.0.level"),
    ({"actions": [{"type": "send_email", "to": "everyone", "template": "x"}]},
     "actions.0.to"),
    ({"actions": [{"type": "assign", "user_id": 0}]}, "actions.0.user_id"),
    ({"actions": [{"type": "set_field", "field": "owner_id", "value": 1}]}, "actions.0.field"),
    ({"actions": [{"type": "set_field", "field": "status", "value": "convertido"}]},
     "actions.0.value"),
    ({"name": ""}, "name"),
]


def test_bad_rules_are_refused_per_field(session, people):
    for data, key in BAD_RULES:
        body = {"name": "R", "trigger": {"type": "record_created", "entity": "lead"},
                "conditions": [], "actions": [TASK], **data}
        with pytest.raises(ValidationFailed) as err:
            automation.create_rule(session=session, actor=people.admin, data=body)
        assert key in err.value.errors, (key, err.value.errors)
    assert count(session, automation.rules.AutomationRule) == 0


def test_only_admins_manage_rules(session, people):
    from crm_app.permissions import PermissionDenied

    for user in (people.director, people.manager1, people.comercial1):
        with pytest.raises(PermissionDenied):
            automation.list_rules(session=session, actor=user)


# --- event triggers -------------------------------------------------------------------------


def test_record_created_fires_once_with_the_subject_filled(session, people):
    r = rule(session, people, {"type": "record_created", "entity": "lead"},
             actions=[{**TASK, "subject": "Llamar a {first_name} ({company})"}],
             conditions=[{"field": "source", "op": "eq", "value": "Web"}])
    lead = new_lead(session, people.comercial1, {
        "first_name": "Ana", "company": "Ácme", "source": "web"})
    new_lead(session, people.comercial1, {
        "first_name": "Luis", "source": "feria"})
    assert drain(session)["fired"] == 1
    [task] = rule_tasks(session, r.id)
    assert (task.subject, task.lead_id, task.owner_id) == (
        "Llamar a Ana (Ácme)", lead.id, people.comercial1.id)
    assert task.due_at is not None
    # the event is processed: nothing fires twice
    assert drain(session)["fired"] == 0
    [run] = engine.runs_for_record(session=session, actor=people.comercial1, entity="lead",
                                   record_id=lead.id)
    assert run["rule"] == "Regla" and "Llamar a Ana" in run["did"]
    with pytest.raises(NotFound):  # the log is as private as the record
        engine.runs_for_record(session=session, actor=people.comercial3, entity="lead",
                               record_id=lead.id)
    # and it is on the lead's timeline, said by the system
    [item] = [i for i in leads.lead_timeline(session=session, actor=people.comercial1,
                                             lead_id=lead.id) if i["kind"] == "automation"]
    assert item["title"] == "Automatización «Regla»" and "Llamar a Ana" in item["detail"]
    assert item["actor_name"] == "Sistema"


def test_field_changed_and_custom_field_conditions(session, people):
    session.add(CustomFieldDef(entity="opportunity", key="sector", label="Sector"))
    session.commit()
    r = rule(session, people, {"type": "field_changed", "entity": "opportunity",
                               "field": "amount"},
             conditions=[{"field": "custom.sector", "op": "eq", "value": "Industria"}],
             actions=[{"type": "create_alert", "level": "warning",
                       "message": "{name} ahora vale {amount}"}])
    opp = build.opportunity(session, people.comercial1, custom={"sector": "industria"})
    other = build.opportunity(session, people.comercial1, custom={"sector": "Retail"})
    drain(session)
    for o in (opp, other):
        opportunities.update_opportunity(session=session, actor=people.comercial1,
                                         opportunity_id=o.id, data={"amount": "25000"})
    opportunities.update_opportunity(session=session, actor=people.comercial1,
                                     opportunity_id=opp.id, data={"description": "x"})
    assert drain(session)["fired"] == 1
    [alert] = session.exec(select(Alert)).all()
    assert alert.owner_id == people.comercial1.id and alert.severity == "warning"
    assert alert.message == "Proyecto ahora vale 25.000,00"
    assert alert.opportunity_id == opp.id
    assert count(session, AutomationRun, AutomationRun.rule_id == r.id) == 1


def test_stage_entered_emails_the_manager_after_commit(session, people, monkeypatch):
    sent: list[dict] = []
    monkeypatch.setattr(engine, "_mail_queue", sent.extend)
    nego = build.stage(session, "En negociación")
    rule(session, people, {"type": "stage_entered", "entity": "opportunity"},
         conditions=[{"field": "stage_id", "op": "eq", "value": nego.id}],
         actions=[{"type": "send_email", "to": "manager", "subject": "Negociando {name}",
                   "template": "{responsable} negocia {name}."}])
    opp = build.opportunity(session, people.comercial1)
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=opp.id,
                             stage_id=build.stage(session, "Oferta presentada").id)
    opportunities.move_stage(session=session, actor=people.comercial1, opportunity_id=opp.id,
                             stage_id=nego.id)
    drain(session)
    assert sent == [{"to": ["manager1@test.crm"], "subject": "Negociando Proyecto",
                     "body": "Comercial1 negocia Proyecto."}]


def test_quote_events_are_in_the_outbox(session, people):
    acc = build.account(session, people.comercial1)
    q = build.quote(session, people.comercial1, acc.id)
    quotes.reject_quote(session=session, actor=people.comercial1, quote_id=q.id)
    events = [e.event for e in session.exec(select(OutboxEvent).where(
        OutboxEvent.entity == "quote")).all()]
    assert events[0] == "quote.created" and "quote.rejected" in events


def test_chains_stop_at_depth_three_and_are_logged(session, people):
    # Two rules that keep changing each other's field: a loop, cut at depth 3.
    rule(session, people, {"type": "field_changed", "entity": "lead", "field": "city"},
         actions=[{"type": "set_field", "field": "position", "value": "{city}-p"}], name="A")
    rule(session, people, {"type": "field_changed", "entity": "lead", "field": "position"},
         actions=[{"type": "set_field", "field": "city", "value": "{position}-c"}], name="B")
    lead = new_lead(session, people.comercial1, {"first_name": "Eva"})
    drain(session)
    leads.update_lead(session=session, actor=people.comercial1, lead_id=lead.id,
                      data={"city": "Soria"})
    result = drain(session)
    assert result["fired"] == 3 and result["capped"] == 1
    statuses = [r.status for r in session.exec(select(AutomationRun)
                                                .order_by(AutomationRun.id)).all()]
    assert statuses == ["done", "done", "done", "depth_capped"]
    session.refresh(lead)
    assert (lead.position, lead.city) == ("Soria-p-c-p", "Soria-p-c")  # A, B, A; B cut


# --- time triggers (time travel through ``now``) --------------------------------------------


def test_idle_fires_once_per_episode(session, people):
    r = rule(session, people, {"type": "idle", "entity": "opportunity", "days": 7},
             actions=[{**TASK, "assignee": "manager"}])
    opp = build.opportunity(session, people.comercial1,
                            build.account(session, people.comercial1).id)
    now = utcnow()
    assert engine.run_due(session=session, now=now)["fired"] == 0  # not idle yet
    later = now + timedelta(days=8)
    first = engine.run_due(session=session, now=later)
    assert (first["rules"], first["fired"], first["tasks"]) == (1, 1, 1)
    [task] = rule_tasks(session, r.id)
    assert task.owner_id == people.manager1.id and task.opportunity_id == opp.id
    # stays idle: later sweeps create nothing
    assert engine.run_due(session=session, now=later + timedelta(days=3))["fired"] == 0
    # activity opens a new episode; once idle again, it fires again
    opportunities.touch_activity(session=session, opportunity_id=opp.id,
                                 at=later + timedelta(days=1))
    session.commit()
    assert engine.run_due(session=session, now=later + timedelta(days=4))["fired"] == 0
    assert engine.run_due(session=session, now=later + timedelta(days=9))["fired"] == 1
    assert len(rule_tasks(session, r.id)) == 2
    # both runs are on the customer's timeline (the deal is one of its records)
    from crm_app.services import accounts

    timeline = accounts.account_360(session=session, actor=people.comercial1,
                                    account_id=opp.account_id)["timeline"]
    assert [e["kind"] for e in timeline].count("automation") == 2


def test_idle_defaults_to_the_stage_days(session, people):
    rule(session, people, {"type": "idle", "entity": "opportunity"})
    build.opportunity(session, people.comercial1)  # "En análisis": 14 days
    now = utcnow()
    assert engine.run_due(session=session, now=now + timedelta(days=13))["fired"] == 0
    assert engine.run_due(session=session, now=now + timedelta(days=15))["fired"] == 1


def test_not_contacted_quote_expiring_close_date_and_overdue_tasks(session, people):
    rule(session, people, {"type": "not_contacted", "entity": "lead", "hours": 4},
         name="lead")
    rule(session, people, {"type": "quote_expiring", "entity": "quote", "days": 3},
         actions=[{"type": "create_alert", "level": "info", "message": "Caduca {number}"}],
         name="quote")
    rule(session, people, {"type": "close_date_passed", "entity": "opportunity"},
         name="close")
    rule(session, people, {"type": "task_overdue", "entity": "activity", "hours": 1},
         actions=[{"type": "create_alert", "level": "critical",
                   "message": "Vencida: {subject}"}], name="overdue")
    now = utcnow()
    new_lead(session, people.comercial1, {"first_name": "A"})
    contacted = new_lead(session, people.comercial1, {"first_name": "B", "status": "contactado"})
    acc = build.account(session, people.comercial1)
    today = now.date()
    build.quote(session, people.comercial1, acc.id, issue_date=today,
                valid_until=today + timedelta(days=10))
    build.opportunity(session, people.comercial1,
                      expected_close=(today + timedelta(days=1)).isoformat())
    session.add(Activity(kind="task", subject="Enviar catálogo", owner_id=people.comercial1.id,
                         due_at=now + timedelta(hours=2)))
    session.commit()
    assert engine.run_due(session=session, now=now)["fired"] == 0
    later = now + timedelta(days=8)
    out = engine.run_due(session=session, now=later)
    assert (out["rules"], out["fired"], out["tasks"], out["alerts"]) == (4, 4, 2, 2)
    messages = sorted(a.message for a in session.exec(select(Alert)).all())
    assert messages[0].startswith("Caduca P-") and messages[1] == "Vencida: Enviar catálogo"
    assert contacted.id not in [t.lead_id for t in session.exec(select(Activity)).all()]
    # idempotent: a second sweep with nothing new creates nothing
    again = engine.run_due(session=session, now=later + timedelta(hours=1))
    assert (again["fired"], again["tasks"], again["alerts"]) == (0, 0, 0)


def test_inactive_rules_do_nothing(session, people):
    r = rule(session, people, {"type": "not_contacted", "entity": "lead", "hours": 1})
    automation.update_rule(session=session, actor=people.admin, rule_id=r.id,
                           data={"active": False})
    new_lead(session, people.comercial1, {"first_name": "A"})
    assert engine.run_due(session=session, now=utcnow() + timedelta(days=1))["rules"] == 0


# --- simulator ------------------------------------------------------------------------------


def test_simulator_counts_and_writes_nothing(session, people):
    draft = {"name": "Sin contactar", "trigger": {"type": "not_contacted", "hours": 1},
             "conditions": [], "actions": [TASK, {"type": "create_alert", "level": "info",
                                                   "message": "{first_name}"}]}
    for name in ("A", "B", "C"):
        new_lead(session, people.comercial1, {"first_name": name})
    tables = (Activity, Alert, AutomationRun, OutboxEvent, Lead)
    before = [count(session, m) for m in tables]
    out = automation.simulate(session=session, actor=people.admin, rule=draft,
                              now=utcnow() + timedelta(hours=2))
    assert (out["mode"], out["fired"], out["tasks"], out["alerts"]) == ("now", 3, 3, 3)
    assert out["rows"][0]["did"][0]["summary"].startswith("Tarea «Llamar:")
    assert [count(session, m) for m in tables] == before
    created = {**draft, "trigger": {"type": "record_created", "entity": "lead"}}
    out = automation.simulate(session=session, actor=people.admin, rule=created, last_n=2)
    assert (out["mode"], out["checked"], out["fired"]) == ("last_n", 2, 2)
    assert [count(session, m) for m in tables] == before
    with pytest.raises(ValidationFailed):
        automation.simulate(session=session, actor=people.admin, rule=created, last_n=10**6)


def test_assign_and_set_field_actions_are_audited_changes(session, people):
    r = rule(session, people, {"type": "record_created", "entity": "lead"},
             actions=[{"type": "assign", "user_id": people.comercial2.id},
                      {"type": "set_field", "field": "status", "value": "cualificado"}])
    lead = new_lead(session, people.comercial1, {"first_name": "Eva"})
    drain(session)
    session.refresh(lead)
    assert (lead.owner_id, lead.status) == (people.comercial2.id, "cualificado")
    [run] = session.exec(select(AutomationRun).where(AutomationRun.rule_id == r.id)).all()
    assert [a["type"] for a in run.actions] == ["assign", "set_field"]


def test_delete_rule_removes_its_log(session, people):
    r = rule(session, people, {"type": "not_contacted", "hours": 1})
    new_lead(session, people.comercial1, {"first_name": "A"})
    engine.run_due(session=session, now=utcnow() + timedelta(hours=2))
    assert count(session, AutomationRun) == 1
    automation.delete_rule(session=session, actor=people.admin, rule_id=r.id)
    assert count(session, AutomationRun) == 0
    runs, total = automation.list_runs(session=session, actor=people.admin)
    assert (runs, total) == ([], 0)


def test_a_template_that_fills_in_as_a_bad_value_is_logged_not_fatal(session, people):
    r = rule(session, people, {"type": "record_created", "entity": "opportunity"},
             actions=[{"type": "set_field", "field": "expected_close", "value": "{name}"},
                      TASK])
    build.opportunity(session, people.comercial1)
    assert drain(session)["fired"] == 1
    [run] = session.exec(select(AutomationRun).where(AutomationRun.rule_id == r.id)).all()
    assert run.actions[0]["summary"].startswith("Error: expected_close")
    assert len(rule_tasks(session, r.id)) == 1  # the next action still ran


def test_beat_drains_the_outbox_every_few_seconds_and_sweeps_every_few_minutes():
    from crm_app.worker.app import celery_app

    schedule = celery_app.conf.beat_schedule
    assert schedule["automations-outbox"]["task"] == "crm.automations.process_outbox"
    assert schedule["automations-outbox"]["schedule"] <= 10
    assert schedule["automations-sweep"]["task"] == "crm.automations.run_due"
    assert 60 <= schedule["automations-sweep"]["schedule"] <= 3600
    assert "crm.automations.send_email" in celery_app.tasks or \
        "crm_app.worker.tasks_automations" in celery_app.conf.include
