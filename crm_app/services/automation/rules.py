"""Automation rules: what a rule is, its validation and its CRUD (Ajustes → Automatizaciones).

A rule is a trigger, conditions and actions::

    {"name": "Oportunidad parada", "active": true,
     "trigger": {"type": "idle", "entity": "opportunity", "days": 7},
     "conditions": [{"field": "amount", "op": "between", "value": [5000, null]}],
     "actions": [{"type": "create_task", "subject": "Llamar: {name}", "due_in_hours": 24,
                  "assignee": "owner"}]}

Triggers (and the records they watch): ``record_created`` and ``field_changed`` (lead,
account, opportunity, quote; ``field`` names the watched field), ``stage_entered``
(opportunity), and the time conditions the sweep evaluates: ``idle`` (open opportunity
without activity for ``days``, default its stage's "sin actividad" days), ``not_contacted``
(lead still nuevo ``hours`` after creation), ``quote_expiring`` (open quote whose validity
ends within ``days``), ``close_date_passed`` (open opportunity ``days`` past its expected
close) and ``task_overdue`` (open task ``hours`` past due).

Conditions are the assignment rules' (``assignment.clean_conditions``/``compile_condition``:
any field of the record including custom fields; a blank value is refused), here with the
field checked against the record's fields. Actions: ``create_task`` (subject template with
``{campo}`` placeholders, due in N hours, assignee owner / manager / a user id),
``create_alert`` (level, message template; the record's owner unless ``user_ids``),
``send_email`` (to owner / manager / contact, ``template`` body, optional ``subject``),
``assign`` (``user_id``), ``set_field`` (``field``, ``value``).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, select

from crm_app.i18n import t
from crm_app.models import (
    Account,
    Activity,
    AutomationRule,
    AutomationRun,
    Lead,
    LeadStatus,
    Opportunity,
    Quote,
    User,
    utcnow,
)
from crm_app.models.bounds import id_in_range
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.assignment import clean_conditions
from crm_app.services.custom_fields import active_defs, coerce_value
from crm_app.services.errors import ValidationFailed
from crm_app.services.records import add_record, get_existing

MODELS: dict[str, Any] = {"lead": Lead, "account": Account, "opportunity": Opportunity,
                          "quote": Quote, "activity": Activity}
RECORD_ENTITIES = ("lead", "account", "opportunity", "quote")
TRIGGERS: dict[str, tuple[str, ...]] = {
    "record_created": RECORD_ENTITIES,
    "field_changed": RECORD_ENTITIES,
    "stage_entered": ("opportunity",),
    "idle": ("opportunity",),
    "not_contacted": ("lead",),
    "quote_expiring": ("quote",),
    "close_date_passed": ("opportunity",),
    "task_overdue": ("activity",),
}
EVENT_TRIGGERS = ("record_created", "field_changed", "stage_entered")
TIME_TRIGGERS = ("idle", "not_contacted", "quote_expiring", "close_date_passed",
                 "task_overdue")
# (unit, min, max, default) of each time trigger's number; idle's default is the stage's days.
TRIGGER_NUMBERS: dict[str, tuple[str, int, int, int | None]] = {
    "idle": ("days", 1, 365, None),
    "not_contacted": ("hours", 1, 720, 24),
    "quote_expiring": ("days", 0, 90, 3),
    "close_date_passed": ("days", 0, 365, 0),
    "task_overdue": ("hours", 0, 720, 0),
}
ACTIONS = ("create_task", "create_alert", "send_email", "assign", "set_field")
LEVELS = ("info", "warning", "critical")
RECIPIENTS = ("owner", "manager", "contact")
MAX_CONDITIONS = 20
MAX_ACTIONS = 10
MAX_DUE_HOURS = 8760
MAX_TEMPLATE = 5000
# Fields a rule may set, per record (owner and team change through ``assign``).
SETTABLE: dict[str, tuple[str, ...]] = {
    "lead": ("status", "source", "province", "city", "company", "position", "discard_reason"),
    "account": ("sector", "size_band", "channel", "province", "city"),
    "opportunity": ("amount", "expected_close", "channel", "lost_reason"),
    "quote": ("notes",),
    "activity": ("subject",),
}
HIDDEN_FIELDS = frozenset({"search_text", "custom", "password_hash"})
EXTRA_PLACEHOLDERS = ("titulo", "responsable", "regla")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value) if value is not None and value != "" else None
    except (TypeError, ValueError, OverflowError):
        return None
    if number is not None and isinstance(value, float) and value != number:
        return None
    return number


def record_fields(entity: str) -> list[str]:
    """The record's own fields a condition or placeholder may name."""
    return [f for f in MODELS[entity].model_fields if f not in HIDDEN_FIELDS]


def custom_keys(session: Session, entity: str) -> list[str]:
    return list(active_defs(session=session, entity=entity)) if entity in (
        "lead", "account", "opportunity") else []


def known_field(session: Session, entity: str, name: str) -> bool:
    if name in record_fields(entity):
        return True
    key = name[7:] if name.startswith("custom.") else name
    return key in custom_keys(session, entity)


def placeholders(text: str) -> list[str]:
    return _PLACEHOLDER.findall(text or "")


def _check_template(session: Session, entity: str, text: str, key: str,
                    errors: dict[str, str]) -> None:
    for name in placeholders(text):
        if name not in EXTRA_PLACEHOLDERS and not known_field(session, entity, name):
            errors[key] = t("auto.err.placeholder", name=name)
            return


def _active_user_ids(session: Session) -> set[int]:
    return set(session.exec(select(User.id).where(User.active == True)).all())  # noqa: E712


def coerce_set_value(session: Session, entity: str, name: str, value: Any) -> Any:
    """The value ``set_field`` writes, typed for the column; ``ValueError`` (Spanish)."""
    if name.startswith("custom."):
        defn = active_defs(session=session, entity=entity).get(name[7:])
        if defn is None:
            raise ValueError(t("auto.err.set_field", entity=t(f"auto.entity.{entity}")))
        return coerce_value(defn, value)
    if name == "status" and entity == "lead":
        text = str(value or "").strip().lower()
        if text not in {s.value for s in LeadStatus} - {LeadStatus.CONVERTIDO.value}:
            raise ValueError("usa nuevo, contactado, cualificado o descartado.")
        return text
    if name == "amount":
        try:
            number = Decimal(str(value).replace(",", "."))
        except (InvalidOperation, ValueError):
            raise ValueError("debe ser un importe.") from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise ValueError("debe ser un importe.")
        return number.quantize(Decimal("0.01"))
    if name == "expected_close":
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            raise ValueError("fecha aaaa-mm-dd.") from None
    text = str(value if value is not None else "").strip()
    field = MODELS[entity].model_fields[name]
    limit = next((m.max_length for m in field.metadata if hasattr(m, "max_length")), None)
    if limit and len(text) > limit:
        raise ValueError(f"máximo {limit} caracteres.")
    return text


def _clean_trigger(data: Any, errors: dict[str, str]) -> dict:
    if not isinstance(data, dict):
        errors["trigger"] = t("auto.err.trigger")
        return {}
    kind = str(data.get("type") or "")
    if kind not in TRIGGERS:
        errors["trigger.type"] = t("auto.err.trigger_type")
        return {}
    allowed = TRIGGERS[kind]
    entity = str(data.get("entity") or (allowed[0] if len(allowed) == 1 else ""))
    if entity not in allowed:
        errors["trigger.entity"] = t("auto.err.entity", allowed=", ".join(allowed))
        return {}
    clean: dict[str, Any] = {"type": kind, "entity": entity}
    if kind == "field_changed":
        clean["field"] = str(data.get("field") or "").strip()
    if kind in TRIGGER_NUMBERS:
        unit, lo, hi, default = TRIGGER_NUMBERS[kind]
        raw = data.get(unit)
        if raw in (None, ""):
            if default is not None:
                clean[unit] = default
        else:
            number = _int(raw)
            if number is None or not lo <= number <= hi:
                errors[f"trigger.{unit}"] = t(f"auto.err.{unit}", lo=lo, hi=hi)
            else:
                clean[unit] = number
        other = "hours" if unit == "days" else "days"
        if data.get(other) not in (None, ""):
            errors[f"trigger.{other}"] = t(f"auto.err.{unit}", lo=lo, hi=hi)
    return clean


def _clean_action(session: Session, entity: str, data: Any, key: str,
                  users: set[int], errors: dict[str, str]) -> dict | None:
    if not isinstance(data, dict):
        errors[key] = t("auto.err.action")
        return None
    kind = str(data.get("type") or "")
    if kind not in ACTIONS:
        errors[key + ".type"] = t("auto.err.action_type")
        return None
    before = len(errors)
    clean: dict[str, Any] = {"type": kind}
    if kind == "create_task":
        subject = str(data.get("subject") or "").strip()
        if not subject or len(subject) > 200:
            errors[key + ".subject"] = t("auto.err.subject")
        else:
            _check_template(session, entity, subject, key + ".subject", errors)
        due = _int(data.get("due_in_hours", 24))
        if due is None or not 0 <= due <= MAX_DUE_HOURS:
            errors[key + ".due_in_hours"] = t("auto.err.hours", lo=0, hi=MAX_DUE_HOURS)
        assignee = data.get("assignee", "owner")
        if assignee not in ("owner", "manager"):
            assignee = _int(assignee)
            if assignee not in users:
                errors[key + ".assignee"] = t("auto.err.assignee")
        clean.update(subject=subject, due_in_hours=due, assignee=assignee)
    elif kind == "create_alert":
        level = str(data.get("level") or "info")
        if level not in LEVELS:
            errors[key + ".level"] = t("auto.err.level")
        message = str(data.get("message") or "").strip()
        if not message or len(message) > 300:
            errors[key + ".message"] = t("auto.err.message")
        else:
            _check_template(session, entity, message, key + ".message", errors)
        user_ids = data.get("user_ids") or []
        ids = [_int(u) for u in user_ids] if isinstance(user_ids, list) else [None]
        if len(ids) > 50 or any(u not in users for u in ids):
            errors[key + ".user_ids"] = t("auto.err.user_ids")
        clean.update(level=level, message=message, user_ids=ids)
    elif kind == "send_email":
        to = str(data.get("to") or "")
        if to not in RECIPIENTS:
            errors[key + ".to"] = t("auto.err.to")
        template = str(data.get("template") or "").strip()
        if not template or len(template) > MAX_TEMPLATE:
            errors[key + ".template"] = t("auto.err.template")
        else:
            _check_template(session, entity, template, key + ".template", errors)
        subject = str(data.get("subject") or "").strip()
        if len(subject) > 200:
            errors[key + ".subject"] = t("auto.err.email_subject")
        else:
            _check_template(session, entity, subject, key + ".subject", errors)
        clean.update(to=to, template=template, subject=subject)
    elif kind == "assign":
        user_id = _int(data.get("user_id"))
        if user_id not in users:
            errors[key + ".user_id"] = t("auto.err.user")
        clean.update(user_id=user_id)
    else:  # set_field
        name = str(data.get("field") or "").strip()
        allowed = name in SETTABLE.get(entity, ()) or (
            name.startswith("custom.") and name[7:] in custom_keys(session, entity))
        if not allowed:
            errors[key + ".field"] = t("auto.err.set_field", entity=t(f"auto.entity.{entity}"))
        else:
            raw = data.get("value")
            if isinstance(raw, str) and placeholders(raw):  # filled when the rule fires
                _check_template(session, entity, raw, key + ".value", errors)
                clean.update(field=name, value=raw[:MAX_TEMPLATE])
                return clean if len(errors) == before else None
            try:
                value = coerce_set_value(session, entity, name, raw)
            except ValueError as exc:
                errors[key + ".value"] = t("auto.err.value", reason=str(exc))
            else:
                clean.update(field=name, value=audit.jsonable(value))
    return clean if len(errors) == before else None


def validate(data: dict, *, session: Session) -> dict:
    """Check and clean a rule dict; ``ValidationFailed`` with a Spanish message per field."""
    if not isinstance(data, dict):
        raise ValidationFailed({"body": t("auto.err.action")})
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 120:
        errors["name"] = t("auto.err.name")
    trigger = _clean_trigger(data.get("trigger"), errors)
    entity = trigger.get("entity", "")
    if trigger.get("type") == "field_changed":
        if not trigger["field"]:
            errors["trigger.field"] = t("auto.err.field_needed")
        elif not known_field(session, entity, trigger["field"]):
            errors["trigger.field"] = t("auto.err.field_unknown",
                                        entity=t(f"auto.entity.{entity}"),
                                        field=trigger["field"])
    raw_conditions = data.get("conditions") or []
    if isinstance(raw_conditions, list) and len(raw_conditions) > MAX_CONDITIONS:
        errors["conditions"] = t("auto.err.conditions_max", n=MAX_CONDITIONS)
        raw_conditions = []
    conditions, cond_errors = clean_conditions(raw_conditions)
    errors.update(cond_errors)
    if entity:
        for i, cond in enumerate(conditions):
            if not known_field(session, entity, cond["field"]):
                errors[f"conditions.{i}.field"] = t(
                    "auto.err.field_unknown", entity=t(f"auto.entity.{entity}"),
                    field=cond["field"])
    raw_actions = data.get("actions")
    actions: list[dict] = []
    if not isinstance(raw_actions, list) or not 1 <= len(raw_actions) <= MAX_ACTIONS:
        errors["actions"] = t("auto.err.actions", n=MAX_ACTIONS)
    elif entity:
        users = _active_user_ids(session)
        for i, action in enumerate(raw_actions):
            clean = _clean_action(session, entity, action, f"actions.{i}", users, errors)
            if clean is not None:
                actions.append(clean)
    active = data.get("active", True)
    if not isinstance(active, bool):
        errors["active"] = "Debe ser sí o no (true/false)."
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "active": active, "trigger": trigger, "conditions": conditions,
            "actions": actions}


def rule_dict(rule: AutomationRule) -> dict:
    return {"id": rule.id, "name": rule.name, "active": rule.active, "trigger": rule.trigger,
            "conditions": rule.conditions, "actions": rule.actions, "position": rule.position,
            "created_by_id": rule.created_by_id,
            "created_at": rule.created_at.isoformat() if rule.created_at else None,
            "updated_at": rule.updated_at.isoformat() if rule.updated_at else None}


@needs_actor
def list_rules(*, session: Session, actor: Actor) -> list[AutomationRule]:
    require(actor, Perm.AUTOMATIONS_MANAGE)
    return list(session.exec(select(AutomationRule)
                             .order_by(AutomationRule.position, AutomationRule.id)).all())


@needs_actor
def get_rule(*, session: Session, actor: Actor, rule_id: int) -> AutomationRule:
    require(actor, Perm.AUTOMATIONS_MANAGE)
    if not id_in_range(rule_id):
        raise ValidationFailed({"id": t("auto.missing")})
    return get_existing(session=session, model=AutomationRule, record_id=rule_id,
                        missing=t("auto.missing"))


@needs_actor
def create_rule(*, session: Session, actor: Actor, data: dict) -> AutomationRule:
    require(actor, Perm.AUTOMATIONS_MANAGE)
    clean = validate(data, session=session)
    last = session.exec(select(func.max(AutomationRule.position))).one()
    rule = AutomationRule(**clean, position=(last + 1) if last is not None else 0,
                          created_by_id=actor.id)
    return add_record(session=session, actor=actor, record=rule, entity="automation_rule")


@needs_actor
def update_rule(*, session: Session, actor: Actor, rule_id: int, data: dict) -> AutomationRule:
    """Change the keys given (PATCH): the merged rule is validated as a whole."""
    rule = get_rule(session=session, actor=actor, rule_id=rule_id)
    merged = {**rule_dict(rule), **{k: v for k, v in data.items() if v is not None}}
    clean = validate(merged, session=session)
    before = audit.snapshot(rule)
    for key, value in clean.items():
        setattr(rule, key, value)
    rule.updated_at = utcnow()
    session.add(rule)
    old, new = audit.diff(before, audit.snapshot(rule))
    new.pop("updated_at", None)
    old.pop("updated_at", None)
    if new:
        audit.record(session=session, actor=actor, entity="automation_rule", entity_id=rule.id,
                     action="update", before=old, after=new)
    session.commit()
    return rule


@needs_actor
def delete_rule(*, session: Session, actor: Actor, rule_id: int) -> None:
    """Delete the rule and its execution log (the audit event keeps the rule)."""
    rule = get_rule(session=session, actor=actor, rule_id=rule_id)
    session.execute(delete(AutomationRun).where(AutomationRun.rule_id == rule.id))
    audit.record(session=session, actor=actor, entity="automation_rule", entity_id=rule.id,
                 action="delete", before=audit.snapshot(rule))
    session.delete(rule)
    session.commit()


@needs_actor
def editor_options(*, session: Session, actor: Actor) -> dict:
    """What the editor offers: triggers with their entities, fields per entity (custom ones
    as ``custom.<key>``), settable fields, active users."""
    require(actor, Perm.AUTOMATIONS_MANAGE)
    fields = {e: record_fields(e) + [f"custom.{k}" for k in custom_keys(session, e)]
              for e in MODELS}
    settable = {e: list(SETTABLE[e]) + [f"custom.{k}" for k in custom_keys(session, e)]
                for e in MODELS}
    users = session.exec(select(User).where(User.active == True)  # noqa: E712
                         .order_by(User.name)).all()
    return {"triggers": {k: list(v) for k, v in TRIGGERS.items()}, "fields": fields,
            "settable": settable, "users": [{"id": u.id, "name": u.name} for u in users]}


__all__ = ["ACTIONS", "EVENT_TRIGGERS", "MODELS", "TIME_TRIGGERS", "TRIGGERS", "create_rule",
           "delete_rule", "editor_options", "get_rule", "list_rules", "rule_dict",
           "update_rule", "validate"]
