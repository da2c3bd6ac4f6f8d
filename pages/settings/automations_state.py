"""/ajustes/automatizaciones (admin): the automation rules, their editor, the simulator and
the execution log.

The editor holds the rule as strings (a row per condition and per action); ``_draft`` turns
them into the service's rule dict, which ``services.automation`` validates (its field errors
land under the editor's fields). "Simular" runs the DRAFT through ``automation.simulate``
(nothing written): "con los datos de ahora" for a time rule, "los últimos N registros" for an
event rule.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.formatting import datetime_es
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import automation
from crm_app.services.automation.rules import TIME_TRIGGERS, TRIGGER_NUMBERS, TRIGGERS
from crm_app.state import AppState, Ctx, handler
from pages.settings.common import option
from pages.settings.rules_text import cond_data, cond_row

BLANK_CONDITION = {"field": "", "op": "eq", "value": "", "value2": ""}
BLANK_ACTION = {"type": "create_task", "subject": "", "due_in_hours": "24",
                "assignee": "owner", "level": "info", "message": "", "to": "owner",
                "template": "", "user_id": "", "field": "", "value": ""}
PERM = Perm.AUTOMATIONS_MANAGE


def trigger_text(trigger: dict) -> str:
    kind = str(trigger.get("type") or "")
    text = t(f"auto.trigger.{kind}") if kind in TRIGGERS else kind
    entity = trigger.get("entity")
    parts = [text, f"({t('auto.entity.' + entity)})" if entity in
             ("lead", "account", "opportunity", "quote", "activity") else ""]
    if trigger.get("field"):
        parts.append(f"· {trigger['field']}")
    for unit in ("days", "hours"):
        if trigger.get(unit) is not None:
            parts.append(f"· {trigger[unit]} {t('auto.field.' + unit).lower()}")
    return " ".join(p for p in parts if p)


def actions_text(actions: list) -> str:
    return ", ".join(t(f"auto.action.{a.get('type')}") for a in actions or []
                     if a.get("type"))


def _action_row(action: dict) -> dict[str, str]:
    row = dict(BLANK_ACTION)
    for key, value in action.items():
        row[key] = "" if value is None else (
            ", ".join(map(str, value)) if isinstance(value, list) else str(value))
    return row


def _action_data(row: dict[str, str]) -> dict[str, Any]:
    kind = row.get("type") or ""
    keys = {"create_task": ("subject", "due_in_hours", "assignee"),
            "create_alert": ("level", "message"),
            "send_email": ("to", "template", "subject"),
            "assign": ("user_id",), "set_field": ("field", "value")}.get(kind, ())
    return {"type": kind, **{k: (row.get(k) or "").strip() for k in keys}}


class AutomationsState(AppState):
    rules: list[dict[str, str]] = []
    runs: list[dict[str, str]] = []
    user_options: list[dict[str, str]] = []
    editor_open: bool = False
    editing: int = 0  # the rule's id; 0 = a new rule
    ed_name: str = ""
    ed_active: bool = True
    ed_trigger: str = "idle"
    ed_entity: str = "opportunity"
    ed_field: str = ""
    ed_number: str = ""
    ed_conditions: list[dict[str, str]] = []
    ed_actions: list[dict[str, str]] = []
    ed_errors: dict[str, str] = {}
    saving: bool = False
    sim_n: str = "100"
    simulating: bool = False
    sim_summary: str = ""
    sim_rows: list[dict[str, str]] = []
    _fields: dict[str, list[str]] = {}
    _settable: dict[str, list[str]] = {}

    # --- options ------------------------------------------------------------------------

    @rx.var
    def trigger_options(self) -> list[dict[str, str]]:
        return [option(k, t(f"auto.trigger.{k}")) for k in TRIGGERS]

    @rx.var
    def entity_options(self) -> list[dict[str, str]]:
        return [option(e, t(f"auto.entity.{e}")) for e in TRIGGERS.get(self.ed_trigger, ())]

    @rx.var
    def number_label(self) -> str:
        spec = TRIGGER_NUMBERS.get(self.ed_trigger)
        return t(f"auto.field.{spec[0]}") if spec else ""

    @rx.var
    def is_time_rule(self) -> bool:
        return self.ed_trigger in TIME_TRIGGERS

    @rx.var
    def field_options(self) -> list[dict[str, str]]:
        return [option(f, f) for f in self._fields.get(self.ed_entity, [])]

    @rx.var
    def settable_options(self) -> list[dict[str, str]]:
        return [option(f, f) for f in self._settable.get(self.ed_entity, [])]

    # --- loading ------------------------------------------------------------------------

    def _refresh(self, ctx: Ctx) -> None:
        self.rules = [{"id": str(r.id), "name": r.name, "trigger": trigger_text(r.trigger),
                       "actions": actions_text(r.actions),
                       "active": t("auto.field.active") if r.active else ""}
                      for r in automation.list_rules(session=ctx.session, actor=ctx.user)]
        runs, _total = automation.list_runs(session=ctx.session, actor=ctx.user, limit=20)
        self.runs = [{"id": str(r["id"]), "rule": r["rule"],
                      "record": f"{t('auto.entity.' + r['entity'])}: {r['record']}",
                      "did": r["did"] or t(f"auto.status.{r['status']}"),
                      "when": datetime_es(_parse(r["created_at"]))} for r in runs]

    @handler(PERM, guarded=True)
    def load(self, ctx: Ctx) -> None:
        options = automation.editor_options(session=ctx.session, actor=ctx.user)
        self._fields, self._settable = options["fields"], options["settable"]
        self.user_options = [option(u["id"], u["name"]) for u in options["users"]]
        self.editor_open = False
        self._refresh(ctx)

    # --- the editor ---------------------------------------------------------------------

    def _open(self, data: dict) -> None:
        trigger = data.get("trigger") or {}
        self.ed_name = data.get("name", "")
        self.ed_active = bool(data.get("active", True))
        self.ed_trigger = trigger.get("type", "idle")
        self.ed_entity = trigger.get("entity", TRIGGERS[self.ed_trigger][0])
        self.ed_field = trigger.get("field", "") or ""
        unit = TRIGGER_NUMBERS.get(self.ed_trigger, ("", 0, 0, None))[0]
        self.ed_number = "" if trigger.get(unit) is None else str(trigger.get(unit))
        self.ed_conditions = [cond_row(c) for c in data.get("conditions") or []]
        self.ed_actions = [_action_row(a) for a in data.get("actions") or [BLANK_ACTION]]
        self.ed_errors, self.sim_summary, self.sim_rows = {}, "", []
        self.editor_open = True

    @handler(PERM)
    def new_rule(self, ctx: Ctx) -> None:
        self.editing = 0
        self._open({"trigger": {"type": "idle", "entity": "opportunity", "days": 7},
                    "actions": [{**BLANK_ACTION, "subject": "Llamar: {titulo}"}]})

    @handler(PERM)
    def edit_rule(self, ctx: Ctx, rule_id: str) -> None:
        rule = automation.get_rule(session=ctx.session, actor=ctx.user, rule_id=int(rule_id))
        self.editing = rule.id
        self._open(automation.rule_dict(rule))

    @handler(PERM)
    def close_editor(self, ctx: Ctx) -> None:
        self.editor_open = False

    @handler(PERM)
    def set_ed(self, ctx: Ctx, key: str, value: Any) -> None:
        if key == "name":
            self.ed_name = str(value)[:120]
        elif key == "active":
            self.ed_active = bool(value)
        elif key == "trigger" and value in TRIGGERS:
            self.ed_trigger = value
            if self.ed_entity not in TRIGGERS[value]:
                self.ed_entity = TRIGGERS[value][0]
            self.ed_number = ""
        elif key == "entity":
            self.ed_entity = str(value)
        elif key == "field":
            self.ed_field = str(value)
        elif key == "number":
            self.ed_number = str(value)[:6]
        elif key == "sim_n":
            self.sim_n = str(value)[:5]

    @handler(PERM)
    def add_condition(self, ctx: Ctx) -> None:
        self.ed_conditions = [*self.ed_conditions, dict(BLANK_CONDITION)]

    @handler(PERM)
    def remove_condition(self, ctx: Ctx, index: int) -> None:
        self.ed_conditions = [c for i, c in enumerate(self.ed_conditions) if i != index]

    @handler(PERM)
    def set_condition(self, ctx: Ctx, index: int, key: str, value: str) -> None:
        rows = [dict(c) for c in self.ed_conditions]
        if 0 <= index < len(rows) and key in BLANK_CONDITION:
            rows[index][key] = str(value)[:500]
        self.ed_conditions = rows

    @handler(PERM)
    def add_action(self, ctx: Ctx) -> None:
        self.ed_actions = [*self.ed_actions, dict(BLANK_ACTION)]

    @handler(PERM)
    def remove_action(self, ctx: Ctx, index: int) -> None:
        self.ed_actions = [a for i, a in enumerate(self.ed_actions) if i != index]

    @handler(PERM)
    def set_action(self, ctx: Ctx, index: int, key: str, value: str) -> None:
        rows = [dict(a) for a in self.ed_actions]
        if 0 <= index < len(rows) and key in BLANK_ACTION:
            rows[index][key] = str(value)[:5000]
        self.ed_actions = rows

    def _draft(self) -> dict[str, Any]:
        trigger: dict[str, Any] = {"type": self.ed_trigger, "entity": self.ed_entity}
        if self.ed_trigger == "field_changed":
            trigger["field"] = self.ed_field
        spec = TRIGGER_NUMBERS.get(self.ed_trigger)
        if spec and self.ed_number.strip():
            trigger[spec[0]] = self.ed_number.strip()
        return {"name": self.ed_name, "active": self.ed_active, "trigger": trigger,
                "conditions": [cond_data(c) for c in self.ed_conditions],
                "actions": [_action_data(a) for a in self.ed_actions]}

    @handler(PERM, errors="ed_errors")
    def save(self, ctx: Ctx) -> Any:
        with self._busy("saving"):
            yield
            if self.editing:
                automation.update_rule(session=ctx.session, actor=ctx.user,
                                       rule_id=self.editing, data=self._draft())
            else:
                automation.create_rule(session=ctx.session, actor=ctx.user,
                                       data=self._draft())
        self.editor_open = False
        self._refresh(ctx)
        yield rx.toast.success(t("auto.saved"))

    @handler(PERM)
    def delete_rule(self, ctx: Ctx, rule_id: str) -> Any:
        automation.delete_rule(session=ctx.session, actor=ctx.user, rule_id=int(rule_id))
        self.editor_open = False
        self._refresh(ctx)
        return rx.toast.success(t("auto.deleted"))

    @handler(PERM, errors="ed_errors")
    def simulate(self, ctx: Ctx) -> Any:
        with self._busy("simulating"):
            yield
            try:
                last_n = int(self.sim_n)
            except ValueError:
                last_n = 0
            draft = {**self._draft(), "id": self.editing or None}
            out = automation.simulate(session=ctx.session, actor=ctx.user, rule=draft,
                                      last_n=last_n)
        self.sim_summary = t("auto.sim.result", tasks=out["tasks"], alerts=out["alerts"],
                             emails=out["emails"], fired=out["fired"],
                             checked=out["checked"]) if out["fired"] else t("auto.sim.nothing")
        self.sim_rows = [{"title": r["title"],
                          "did": "; ".join(d["summary"] for d in r["did"])}
                         for r in out["rows"]]


def _parse(value: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(value)


__all__ = ["AutomationsState", "actions_text", "trigger_text"]
