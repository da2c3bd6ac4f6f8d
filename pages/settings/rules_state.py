"""/ajustes/asignacion (admin): the lead assignment rules, edited as a draft.

The rules are edited as a DRAFT kept on the server (``_draft``): reorder, edit conditions and
action, switch on and off, add and remove. "Aplicar" checks one rule with the service's
``validate_rule`` (its errors land under the editor's fields); "Simular" replays the last N
leads through the draft (``assignment.simulate``, nothing saved); "Guardar reglas" hands the
whole draft to ``assignment.save_rules`` (validated first, one commit). The fallback owner is
saved at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import reflex as rx

from crm_app.formatting import number
from crm_app.i18n import t
from crm_app.list_state import NONE
from crm_app.permissions import Perm
from crm_app.services import assignment, lead_options
from crm_app.services.custom_fields import active_defs
from crm_app.services.links import as_id
from crm_app.state import AppState, Ctx, handler, setter
from pages.settings.common import option
from pages.settings.rules_text import (
    ACTIONS,
    BLANK_CONDITION,
    RULE_FIELDS,
    cond_data,
    cond_row,
    summary,
)

_RULE_KEY = re.compile(r"^rules\.(\d+)\.")


def _plain(value: Any) -> Any:
    """Plain dicts and lists out of the state's (proxied) draft, for the services."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


class AssignmentRulesState(AppState):
    rules: list[dict[str, str]] = []
    dirty: bool = False
    saving: bool = False
    save_errors: dict[str, str] = {}  # the service's errors, keyed rules.<i>.<field>
    fallback_owner: str = NONE
    user_options: list[dict[str, str]] = []
    team_options: list[dict[str, str]] = []
    field_options: list[dict[str, str]] = []
    # editor
    editor_open: bool = False
    editing: int = -1
    ed_name: str = ""
    ed_active: bool = True
    ed_action: str = "fixed_user"
    ed_conditions: list[dict[str, str]] = []
    ed_user: str = ""
    ed_team: str = ""
    ed_territory: list[dict[str, str]] = []
    ed_default_user: str = NONE
    ed_errors: dict[str, str] = {}
    # simulator
    sim_n: str = "200"
    simulating: bool = False
    sim_rows: list[dict[str, str]] = []
    sim_rules: list[dict[str, str]] = []
    sim_summary: str = ""

    _draft: list[dict[str, Any]] = []
    _deleted: list[int] = []

    @rx.var
    def save_problems(self) -> list[str]:
        """The save's errors, one line per rule ("Regla 2 (Madrid): Indica el valor…")."""
        per_rule: dict[int, list[str]] = {}
        other: list[str] = []
        for key, message in self.save_errors.items():
            match = _RULE_KEY.match(key)
            if match:
                per_rule.setdefault(int(match.group(1)), []).append(message)
            else:
                other.append(message)
        names = {r["idx"]: r["name"] for r in self.rules}
        return [t("rules_ui.invalid", n=i + 1, name=names.get(str(i)) or "—",
                  error="; ".join(messages))
                for i, messages in sorted(per_rule.items())] + other

    # --- loading ---------------------------------------------------------------------------

    def _load(self, ctx: Ctx) -> None:
        users = [u for u in lead_options.visible_users(session=ctx.session, actor=ctx.user)
                 if u.active]
        self.user_options = [option(u.id, u.name) for u in users]
        self.team_options = [option(tm.id, tm.name) for tm in
                             lead_options.visible_teams(session=ctx.session, actor=ctx.user)]
        fields = [option(f, t(f"leads.field.{f}")) for f in RULE_FIELDS]
        fields += [option(f"custom.{d.key}", t("rules_ui.custom_field", label=d.label))
                   for d in active_defs(session=ctx.session, entity="lead").values()]
        self.field_options = fields
        owner = lead_options.fallback_owner(session=ctx.session, actor=ctx.user)
        self.fallback_owner = str(owner) if owner else NONE
        self._draft = [assignment.rule_dict(r) for r in
                       assignment.list_rules(session=ctx.session, actor=ctx.user)]
        self._deleted, self.dirty, self.save_errors = [], False, {}
        self.sim_rows, self.sim_rules, self.sim_summary = [], [], ""
        self._show()

    @handler(Perm.RULES_MANAGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        """on_load after ``check_admin``: the stored rules become the draft."""
        self._load(ctx)

    @handler(Perm.RULES_MANAGE)
    def discard(self, ctx: Ctx) -> None:
        self._load(ctx)

    def _show(self) -> None:
        labels = {
            "fields": {o["value"]: o["label"] for o in self.field_options},
            "users": {o["value"]: o["label"] for o in self.user_options},
            "teams": {o["value"]: o["label"] for o in self.team_options},
        }
        rows = []
        last = len(self._draft) - 1
        for i, rule in enumerate(self._draft):
            when, then = summary(rule, **labels)
            rows.append({"idx": str(i), "id": str(rule.get("id") or ""),
                         "name": rule.get("name") or "",
                         "active": "1" if rule.get("active", True) else "",
                         "when": when, "then": then,
                         "first": "1" if i == 0 else "", "last": "1" if i == last else ""})
        self.rules = rows

    def _set_draft(self, draft: list[dict[str, Any]]) -> None:
        self._draft = draft
        self.dirty = True
        self.save_errors = {}
        self._show()

    # --- list operations on the draft ------------------------------------------------------

    @rx.event
    def move(self, index: int, delta: int) -> None:
        j = index + delta
        if 0 <= index < len(self._draft) and 0 <= j < len(self._draft):
            draft = list(self._draft)
            draft[index], draft[j] = draft[j], draft[index]
            self._set_draft(draft)

    @rx.event
    def toggle_active(self, index: int, value: bool) -> None:
        if 0 <= index < len(self._draft):
            draft = list(self._draft)
            draft[index] = {**draft[index], "active": bool(value)}
            self._set_draft(draft)

    @rx.event
    def remove(self, index: int) -> None:
        if 0 <= index < len(self._draft):
            draft = list(self._draft)
            gone = draft.pop(index)
            if gone.get("id"):
                self._deleted = [*self._deleted, int(gone["id"])]
            self._set_draft(draft)

    # --- the rule editor -------------------------------------------------------------------

    def _first(self, options: list[dict[str, str]]) -> str:
        return options[0]["value"] if options else ""

    @rx.event
    def new_rule(self) -> None:
        self.editing = -1
        self.ed_name, self.ed_active, self.ed_action = "", True, "fixed_user"
        self.ed_conditions = [dict(BLANK_CONDITION)]
        self.ed_user = self._first(self.user_options)
        self.ed_team = self._first(self.team_options)
        self.ed_territory = [{"province": "Madrid", "user": self.ed_user}]
        self.ed_default_user, self.ed_errors, self.editor_open = NONE, {}, True

    @rx.event
    def edit_rule(self, index: int) -> None:
        if not 0 <= index < len(self._draft):
            return
        rule = self._draft[index]
        config = rule.get("config") or {}
        self.editing = index
        self.ed_name, self.ed_active = rule.get("name") or "", bool(rule.get("active", True))
        self.ed_action = rule.get("action") or "fixed_user"
        self.ed_conditions = [cond_row(c) for c in rule.get("conditions") or []]
        self.ed_user = str(config.get("user_id") or self._first(self.user_options))
        self.ed_team = str(config.get("team_id") or self._first(self.team_options))
        self.ed_territory = [{"province": str(p), "user": str(u)} for p, u in
                             (config.get("territory") or {}).items()] or [
            {"province": "Madrid", "user": self.ed_user}]
        self.ed_default_user = str(config.get("default_user_id") or NONE)
        self.ed_errors, self.editor_open = {}, True

    set_editor_open = setter("editor_open")

    @rx.event
    def set_ed(self, name: str, value: Any) -> None:
        """One of the editor's simple inputs (name, active, action, user, team, default)."""
        if name == "action" and value not in ACTIONS:
            return
        if name in ("name", "action", "user", "team", "default_user"):
            setattr(self, f"ed_{name}", str(value))
        elif name == "active":
            self.ed_active = bool(value)

    @rx.event
    def add_condition(self) -> None:
        self.ed_conditions = [*self.ed_conditions, dict(BLANK_CONDITION)]

    @rx.event
    def remove_condition(self, index: int) -> None:
        self.ed_conditions = [c for i, c in enumerate(self.ed_conditions) if i != index]

    @rx.event
    def set_condition(self, index: int, key: str, value: str) -> None:
        if key in BLANK_CONDITION:
            self.ed_conditions = [{**c, key: value} if i == index else c
                                  for i, c in enumerate(self.ed_conditions)]

    @rx.event
    def add_territory(self) -> None:
        self.ed_territory = [*self.ed_territory, {"province": "", "user": self.ed_user}]

    @rx.event
    def remove_territory(self, index: int) -> None:
        self.ed_territory = [r for i, r in enumerate(self.ed_territory) if i != index]

    @rx.event
    def set_territory(self, index: int, key: str, value: str) -> None:
        if key in ("province", "user"):
            self.ed_territory = [{**r, key: value} if i == index else r
                                 for i, r in enumerate(self.ed_territory)]

    def _editor_rule(self) -> dict[str, Any]:
        if self.ed_action == "fixed_user":
            config: dict[str, Any] = {"user_id": as_id(self.ed_user)}
        elif self.ed_action in ("round_robin", "least_loaded"):
            config = {"team_id": as_id(self.ed_team)}
        else:
            config = {"territory": {r["province"]: as_id(r["user"]) for r in self.ed_territory
                                    if r["province"] and as_id(r["user"])}}
            if as_id(self.ed_default_user):
                config["default_user_id"] = as_id(self.ed_default_user)
        return {"name": self.ed_name, "active": self.ed_active, "action": self.ed_action,
                "conditions": [cond_data(c) for c in self.ed_conditions], "config": config}

    @handler(Perm.RULES_MANAGE, errors="ed_errors")
    def apply_rule(self, ctx: Ctx) -> None:
        """Check the edited rule (errors under its fields) and put it in the draft."""
        clean = assignment.validate_rule(self._editor_rule(), session=ctx.session)
        draft = list(self._draft)
        if 0 <= self.editing < len(draft):
            draft[self.editing] = {**draft[self.editing], **clean}
        else:
            draft.append({**clean, "id": None})
        self.editor_open = False
        self._set_draft(draft)

    # --- fallback owner and save ------------------------------------------------------------

    @handler(Perm.RULES_MANAGE)
    def set_fallback(self, ctx: Ctx, value: str) -> Any:
        lead_options.set_fallback_owner(session=ctx.session, actor=ctx.user,
                                        user_id=as_id(value))
        self.fallback_owner = value
        return rx.toast.success(t("rules_ui.fallback_saved"))

    def _payload(self) -> list[dict[str, Any]]:
        return [{k: _plain(r.get(k)) for k in ("id", "name", "active", "action", "conditions",
                                               "config")} for r in self._draft]

    @handler(Perm.RULES_MANAGE, errors="save_errors")
    def save(self, ctx: Ctx) -> Any:
        with self._busy("saving"):
            yield
            assignment.save_rules(session=ctx.session, actor=ctx.user, rules=self._payload(),
                                  deleted=self._deleted)
        self._load(ctx)
        yield rx.toast.success(t("rules_ui.saved"))

    # --- simulator -------------------------------------------------------------------------

    set_sim_n = setter("sim_n")

    @handler(Perm.RULES_MANAGE, errors="save_errors", background=True)
    async def simulate(self, ctx: Ctx) -> Any:
        """Where the last N leads would go under the draft, in a worker thread while the tab
        stays responsive. A rule the service refuses (one stored before a check existed) is
        named like a save's errors."""
        async with self:
            if self.simulating:
                return
            rules, n = self._payload(), int(self.sim_n) if self.sim_n.isdigit() else 200
            self.simulating = True
        try:
            out = await rx.run_in_thread(lambda: assignment.simulate(
                session=ctx.session, actor=ctx.user, rules=rules, last_n=n))
        finally:
            async with self:
                self.simulating = False
        peak = max([1, *[max(u["actual"], u["simulated"]) for u in out["per_user"]]])
        rows = [{
            "id": str(u["user_id"] or "none"), "name": u["name"],
            "actual": number(u["actual"]), "simulated": number(u["simulated"]),
            "delta": (("+" if u["delta"] > 0 else "") + number(u["delta"]))
            if u["delta"] else "=",
            "delta_sign": "up" if u["delta"] > 0 else ("down" if u["delta"] < 0 else ""),
            "actual_pct": f"{100 * u['actual'] / peak:.1f}%",
            "sim_pct": f"{100 * u['simulated'] / peak:.1f}%",
        } for u in out["per_user"]]
        async with self:
            self.sim_rows = rows
            self.sim_rules = [{"name": r["rule_name"], "count": number(r["count"])}
                              for r in out["per_rule"]]
            self.sim_summary = t("rules_ui.sim_summary", n=number(out["n"]),
                                 changed=number(out["changed"]))


__all__ = ["AssignmentRulesState"]
