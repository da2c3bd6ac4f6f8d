"""/ajustes/asignacion (admin): the lead assignment rules.

The rules are edited as a DRAFT kept on the server (``_draft``): reorder, edit conditions and
action, switch on and off, add and remove. "Simular" replays the last N leads through the draft
(``services.assignment.simulate``, nothing saved) and shows, per user, where they would go beside
where they went. "Guardar reglas" validates the whole draft, then writes it through the rule
services. The fallback owner is saved at once.
"""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from components.legacy_leads import (
    NONE,
    PHONE_FULL,
    errors_of,
    labelled,
    message_of,
    option,
    prepend,
    province_options,
    section,
    select_field,
)
from crm_app.db import get_engine
from crm_app.formatting import number
from crm_app.i18n import t
from crm_app.models import User
from crm_app.permissions import Perm, PermissionDenied
from crm_app.services import assignment, lead_options
from crm_app.services.custom_fields import active_defs
from crm_app.services.errors import DomainError, ValidationFailed
from crm_app.state import AppState

ACTIONS = ("fixed_user", "round_robin", "least_loaded", "territory")
OPS = assignment.OPS
LIST_OPS = ("in", "not_in", "province_in", "region_in")
NO_VALUE_OPS = ("empty", "not_empty")
RULE_FIELDS = ("province", "source", "status", "company", "city", "position", "email", "phone",
               "nif", "created_at")


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value if v not in (None, ""))
    return str(value)


def _cond_row(cond: dict) -> dict[str, str]:
    value = cond.get("value")
    if cond.get("op") == "between" and isinstance(value, (list, tuple)):
        lo, hi = ([*value, None, None])[:2]
        return {"field": str(cond.get("field") or "province"), "op": "between",
                "value": "" if lo is None else str(lo), "value2": "" if hi is None else str(hi)}
    return {"field": str(cond.get("field") or "province"), "op": str(cond.get("op") or "eq"),
            "value": _value_text(value), "value2": ""}


def _cond_data(row: dict[str, str]) -> dict[str, Any]:
    op = row.get("op") or "eq"
    raw = (row.get("value") or "").strip()
    if op in NO_VALUE_OPS:
        value: Any = None
    elif op == "between":
        value = [raw or None, (row.get("value2") or "").strip() or None]
    elif op in LIST_OPS or (op == "contains" and "," in raw):
        value = [v.strip() for v in raw.split(",") if v.strip()]
    else:
        value = raw
    return {"field": row.get("field") or "province", "op": op, "value": value}


class AssignmentRulesState(AppState):
    rules: list[dict[str, str]] = []
    dirty: bool = False
    saving: bool = False
    save_errors: list[str] = []
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
    sim_error: str = ""

    _draft: list[dict[str, Any]] = []
    _deleted: list[int] = []
    _names: dict[str, str] = {}

    # --- loading -------------------------------------------------------------------------

    def _admin(self, session: Session) -> User:
        return self._require_user(session, Perm.RULES_MANAGE)

    @rx.event
    def load(self) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            users = [u for u in lead_options.visible_users(session=session, actor=user)
                     if u.active]
            self.user_options = [option(u.id, u.name) for u in users]
            self._names = {str(u.id): u.name for u in users}
            self.team_options = [option(tm.id, tm.name) for tm in
                                 lead_options.visible_teams(session=session, actor=user)]
            fields = [option(f, t(f"leads.field.{f}")) for f in RULE_FIELDS]
            fields += [option(f"custom.{d.key}", t("rules_ui.custom_field", label=d.label))
                       for d in active_defs(session=session, entity="lead").values()]
            self.field_options = fields
            owner = lead_options.fallback_owner(session=session, actor=user)
            self.fallback_owner = str(owner) if owner else NONE
            self._draft = [assignment.rule_dict(r) for r in
                           assignment.list_rules(session=session, actor=user)]
        self._deleted, self.dirty, self.save_errors = [], False, []
        self.sim_rows, self.sim_rules, self.sim_summary, self.sim_error = [], [], "", ""
        self._show()
        return None

    def _summary(self, rule: dict[str, Any]) -> tuple[str, str]:
        labels = {o["value"]: o["label"] for o in self.field_options}
        parts = []
        for cond in rule.get("conditions") or []:
            row = _cond_row(cond)
            field = labels.get(row["field"], row["field"])
            op = t(f"leads.rules.op.{row['op']}")
            if row["op"] in NO_VALUE_OPS:
                parts.append(f"{field} {op}")
            elif row["op"] in ("province_in", "region_in"):
                parts.append(f"{op} {row['value']}")
            elif row["op"] == "between":
                parts.append(f"{field} {op} {row['value'] or '…'} – {row['value2'] or '…'}")
            else:
                parts.append(f"{field} {op} {row['value']}")
        when = (t("rules_ui.when", conditions=" y ".join(parts)) if parts
                else t("rules_ui.always"))
        config = rule.get("config") or {}
        action = rule.get("action")
        name = self._names.get
        teams = {o["value"]: o["label"] for o in self.team_options}
        if action == "fixed_user":
            target = name(str(config.get("user_id")), "?")
        elif action in ("round_robin", "least_loaded"):
            if config.get("user_ids"):
                target = ", ".join(name(str(u), "?") for u in config["user_ids"])
            else:
                target = t("rules_ui.team_of", team=teams.get(str(config.get("team_id")), "?"))
        else:
            target = t("rules_ui.provinces", n=len(config.get("territory") or {}))
        return when, f"{t('leads.rules.action.' + str(action))}: {target}"

    def _show(self) -> None:
        rows = []
        for i, rule in enumerate(self._draft):
            when, then = self._summary(rule)
            rows.append({"idx": str(i), "id": str(rule.get("id") or ""),
                         "name": rule.get("name") or "", "active": "1" if rule.get(
                             "active", True) else "", "when": when, "then": then,
                         "first": "1" if i == 0 else "",
                         "last": "1" if i == len(self._draft) - 1 else ""})
        self.rules = rows

    def _touch(self) -> None:
        self.dirty = True
        self.save_errors = []
        self._show()

    # --- list operations on the draft ------------------------------------------------------

    @rx.event
    def move(self, index: int, delta: int) -> None:
        j = index + delta
        if 0 <= index < len(self._draft) and 0 <= j < len(self._draft):
            draft = list(self._draft)
            draft[index], draft[j] = draft[j], draft[index]
            self._draft = draft
            self._touch()

    @rx.event
    def toggle_active(self, index: int, value: bool) -> None:
        if 0 <= index < len(self._draft):
            draft = list(self._draft)
            draft[index] = {**draft[index], "active": bool(value)}
            self._draft = draft
            self._touch()

    @rx.event
    def remove(self, index: int) -> None:
        if 0 <= index < len(self._draft):
            draft = list(self._draft)
            gone = draft.pop(index)
            if gone.get("id"):
                self._deleted = [*self._deleted, int(gone["id"])]
            self._draft = draft
            self._touch()

    @rx.event
    def discard(self) -> Any:
        return self.load()

    # --- editor ----------------------------------------------------------------------------

    @rx.event
    def new_rule(self) -> None:
        self.editing = -1
        self.ed_name, self.ed_active, self.ed_action = "", True, "fixed_user"
        self.ed_conditions = [{"field": "province", "op": "eq", "value": "", "value2": ""}]
        self.ed_user = self.user_options[0]["value"] if self.user_options else ""
        self.ed_team = self.team_options[0]["value"] if self.team_options else ""
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
        self.ed_conditions = [_cond_row(c) for c in rule.get("conditions") or []]
        self.ed_user = str(config.get("user_id") or (self.user_options[0]["value"]
                                                     if self.user_options else ""))
        self.ed_team = str(config.get("team_id") or (self.team_options[0]["value"]
                                                     if self.team_options else ""))
        self.ed_territory = [{"province": str(p), "user": str(u)} for p, u in
                             (config.get("territory") or {}).items()] or [
            {"province": "Madrid", "user": self.ed_user}]
        self.ed_default_user = str(config.get("default_user_id") or NONE)
        self.ed_errors, self.editor_open = {}, True

    @rx.event
    def set_editor_open(self, value: bool) -> None:
        self.editor_open = value

    @rx.event
    def set_ed_name(self, value: str) -> None:
        self.ed_name = value

    @rx.event
    def set_ed_active(self, value: bool) -> None:
        self.ed_active = value

    @rx.event
    def set_ed_action(self, value: str) -> None:
        if value in ACTIONS:
            self.ed_action = value

    @rx.event
    def set_ed_user(self, value: str) -> None:
        self.ed_user = value

    @rx.event
    def set_ed_team(self, value: str) -> None:
        self.ed_team = value

    @rx.event
    def set_ed_default_user(self, value: str) -> None:
        self.ed_default_user = value

    @rx.event
    def add_condition(self) -> None:
        self.ed_conditions = [*self.ed_conditions,
                              {"field": "province", "op": "eq", "value": "", "value2": ""}]

    @rx.event
    def remove_condition(self, index: int) -> None:
        self.ed_conditions = [c for i, c in enumerate(self.ed_conditions) if i != index]

    @rx.event
    def set_condition(self, index: int, key: str, value: str) -> None:
        if key not in ("field", "op", "value", "value2"):
            return
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
        config: dict[str, Any] = {}
        if self.ed_action == "fixed_user":
            config = {"user_id": int(self.ed_user) if self.ed_user.isdigit() else None}
        elif self.ed_action in ("round_robin", "least_loaded"):
            config = {"team_id": int(self.ed_team) if self.ed_team.isdigit() else None}
        else:
            config = {"territory": {r["province"]: int(r["user"]) for r in self.ed_territory
                                    if r["province"] and r["user"].isdigit()}}
            if self.ed_default_user.isdigit():
                config["default_user_id"] = int(self.ed_default_user)
        return {"name": self.ed_name, "active": self.ed_active, "action": self.ed_action,
                "conditions": [_cond_data(c) for c in self.ed_conditions], "config": config}

    @rx.event
    def apply_rule(self) -> Any:
        data = self._editor_rule()
        with Session(get_engine()) as session:
            try:
                self._admin(session)
                clean = assignment.validate_rule(data, session=session)
            except ValidationFailed as exc:
                self.ed_errors = errors_of(exc)
                return None
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
        draft = list(self._draft)
        if 0 <= self.editing < len(draft):
            draft[self.editing] = {**draft[self.editing], **clean}
        else:
            draft.append({**clean, "id": None})
        self._draft = draft
        self.editor_open = False
        self._touch()
        return None

    # --- fallback owner --------------------------------------------------------------------

    @rx.event
    def set_fallback(self, value: str) -> Any:
        with Session(get_engine()) as session:
            try:
                user = self._admin(session)
                lead_options.set_fallback_owner(session=session, actor=user,
                                                user_id=int(value) if value.isdigit() else None)
            except (DomainError, PermissionDenied) as exc:
                return rx.toast.error(message_of(exc))
        self.fallback_owner = value
        return rx.toast.success(t("rules_ui.fallback_saved"))

    # --- save ------------------------------------------------------------------------------

    def _payload(self) -> list[dict[str, Any]]:
        return [{"id": r.get("id"), "name": r.get("name"), "active": r.get("active", True),
                 "action": r.get("action"), "conditions": r.get("conditions") or [],
                 "config": r.get("config") or {}} for r in self._draft]

    @rx.event
    def save(self) -> Any:
        self.saving = True
        yield
        try:
            with Session(get_engine()) as session:
                try:
                    user = self._admin(session)
                    problems = []
                    for i, rule in enumerate(self._payload()):
                        try:
                            assignment.validate_rule(rule, session=session)
                        except ValidationFailed as exc:
                            problems.append(t("rules_ui.invalid", n=i + 1,
                                              name=rule["name"] or "—",
                                              error="; ".join(exc.errors.values())))
                    if problems:
                        self.save_errors = problems
                        return
                    for rule_id in self._deleted:
                        assignment.delete_rule(session=session, actor=user, rule_id=rule_id)
                    ids = []
                    for position, rule in enumerate(self._payload()):
                        data = {k: rule[k] for k in ("name", "active", "action", "conditions",
                                                     "config")}
                        data["position"] = position
                        if rule["id"]:
                            saved = assignment.update_rule(session=session, actor=user,
                                                           rule_id=int(rule["id"]), data=data)
                        else:
                            saved = assignment.create_rule(session=session, actor=user,
                                                           data=data)
                        ids.append(saved.id)
                    if ids:
                        assignment.reorder_rules(session=session, actor=user, ordered_ids=ids)
                except (DomainError, PermissionDenied) as exc:
                    yield rx.toast.error(message_of(exc))
                    return
            yield AssignmentRulesState.load
            yield rx.toast.success(t("rules_ui.saved"))
        finally:
            self.saving = False

    # --- simulator -------------------------------------------------------------------------

    @rx.event
    def set_sim_n(self, value: str) -> None:
        self.sim_n = value

    @rx.event(background=True)
    async def simulate(self) -> Any:
        async with self:
            if self.simulating:
                return None
            with Session(get_engine()) as session:
                try:
                    user_id = self._admin(session).id
                except PermissionDenied as exc:
                    return rx.toast.error(exc.message)
            rules = self._payload()
            n = int(self.sim_n) if self.sim_n.isdigit() else 200
            self.simulating, self.sim_error = True, ""

        def work() -> dict[str, Any]:
            with Session(get_engine()) as session:
                user = session.get(User, user_id)
                return assignment.simulate(session=session, actor=user, rules=rules, last_n=n)

        try:
            out = await asyncio.ensure_future(rx.run_in_thread(work))
        except (DomainError, PermissionDenied) as exc:
            async with self:
                self.simulating = False
                self.sim_error = message_of(exc)
            return None
        peak = max([1, *[max(u["actual"], u["simulated"]) for u in out["per_user"]]])
        rows = [{"name": u["name"], "actual": number(u["actual"]),
                 "simulated": number(u["simulated"]),
                 "delta": (("+" if u["delta"] > 0 else "") + number(u["delta"]))
                 if u["delta"] else "=",
                 "delta_sign": "up" if u["delta"] > 0 else ("down" if u["delta"] < 0 else ""),
                 "actual_pct": f"{100 * u['actual'] / peak:.1f}%",
                 "sim_pct": f"{100 * u['simulated'] / peak:.1f}%",
                 "id": str(u["user_id"] or "none")} for u in out["per_user"]]
        per_rule = [{"name": r["rule_name"], "count": number(r["count"])}
                    for r in out["per_rule"]]
        async with self:
            self.sim_rows, self.sim_rules = rows, per_rule
            self.sim_summary = t("rules_ui.sim_summary", n=number(out["n"]),
                                 changed=number(out["changed"]))
            self.simulating = False
        return None


A = AssignmentRulesState


# --- components ------------------------------------------------------------------------------


def _rule_card(rule: rx.Var, index: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.icon_button(rx.icon("chevron-up", size=16), size="1", variant="ghost",
                               disabled=rule["first"] == "1", on_click=A.move(index, -1),
                               aria_label=t("rules_ui.up"),
                               data_testid="rule-up-" + rule["idx"].to(str)),
                rx.icon_button(rx.icon("chevron-down", size=16), size="1", variant="ghost",
                               disabled=rule["last"] == "1", on_click=A.move(index, 1),
                               aria_label=t("rules_ui.down"),
                               data_testid="rule-down-" + rule["idx"].to(str)),
                spacing="1",
            ),
            rx.vstack(
                rx.hstack(rx.badge(index + 1, variant="outline"),
                          rx.text(rule["name"], weight="medium",
                                  data_testid="rule-name-" + rule["idx"].to(str)),
                          rx.cond(rule["id"] == "", rx.badge(t("rules_ui.new_badge"),
                                                             color_scheme="amber")),
                          spacing="2", align="center", wrap="wrap"),
                rx.text(rule["when"], size="2", color_scheme="gray"),
                rx.text(t("rules_ui.then"), " ", rule["then"], size="2"),
                spacing="1", min_width="0", flex="1",
            ),
            rx.hstack(
                rx.switch(checked=rule["active"] == "1",
                          on_change=lambda v: A.toggle_active(index, v),
                          aria_label=t("rules_ui.active"),
                          data_testid="rule-active-" + rule["idx"].to(str)),
                rx.icon_button(rx.icon("pencil", size=16), variant="soft", size="2",
                               on_click=A.edit_rule(index), aria_label=t("common.edit"),
                               data_testid="rule-edit-" + rule["idx"].to(str)),
                rx.icon_button(rx.icon("trash-2", size=16), variant="soft", size="2",
                               color_scheme="red", on_click=A.remove(index),
                               aria_label=t("common.delete"),
                               data_testid="rule-remove-" + rule["idx"].to(str)),
                spacing="2", align="center",
            ),
            spacing="3", align="center", width="100%", wrap=rx.breakpoints(initial="wrap",
                                                                        sm="nowrap"),
        ),
        width="100%",
        opacity=rx.cond(rule["active"] == "1", "1", "0.6"),
        data_testid="rule-" + rule["idx"].to(str),
    )


def _condition_row(cond: rx.Var, index: rx.Var) -> rx.Component:
    err = A.ed_errors
    base = "conditions." + index.to(str)
    op = cond["op"]
    return rx.vstack(
        rx.grid(
            select_field(cond["field"], A.field_options,
                         lambda v: A.set_condition(index, "field", v),
                         id_="cond-field-" + index.to(str), aria_label=t("rules_ui.cond_field")),
            select_field(op, [option(o, t(f"leads.rules.op.{o}")) for o in OPS],
                         lambda v: A.set_condition(index, "op", v),
                         id_="cond-op-" + index.to(str), aria_label=t("rules_ui.cond_op")),
            rx.hstack(
                rx.cond(
                    (op != "empty") & (op != "not_empty"),
                    rx.input(value=cond["value"], on_change=lambda v: A.set_condition(
                        index, "value", v), id="cond-value-" + index.to(str), width="100%",
                        aria_label=t("rules_ui.cond_value"),
                        placeholder=rx.match(op, ("between", t("rules_ui.min")),
                                             ("in", t("rules_ui.list_hint")),
                                             ("not_in", t("rules_ui.list_hint")),
                                             ("province_in", t("rules_ui.list_hint")),
                                             ("region_in", t("rules_ui.list_hint")),
                                             t("rules_ui.value"))),
                ),
                rx.cond(op == "between",
                        rx.input(value=cond["value2"], on_change=lambda v: A.set_condition(
                            index, "value2", v), id="cond-value2-" + index.to(str),
                            width="100%", aria_label=t("rules_ui.max"),
                            placeholder=t("rules_ui.max"))),
                spacing="2", width="100%",
            ),
            rx.icon_button(rx.icon("x", size=14), variant="ghost", color_scheme="gray",
                           on_click=A.remove_condition(index), aria_label=t("rules_ui.cond_del"),
                           type="button", justify_self="end"),
            columns=rx.breakpoints(initial="minmax(0, 1fr)",
                                   sm="minmax(0, 1fr) minmax(0, 1fr) minmax(0, 1.3fr) auto"),
            spacing="2", width="100%", align_items="center",
        ),
        *[rx.cond(err.get(base + suffix, "") != "",
                  rx.text(err.get(base + suffix, ""), size="1", color=rx.color("red", 11),
                          role="alert"))
          for suffix in ("", ".field", ".op", ".value")],
        spacing="1", width="100%",
        padding_bottom="var(--space-2)",
        border_bottom=f"1px dashed {rx.color('gray', 5)}",
    )


def _territory_row(row: rx.Var, index: rx.Var) -> rx.Component:
    return rx.grid(
        select_field(row["province"], province_options(),
                     lambda v: A.set_territory(index, "province", v),
                     id_="terr-province-" + index.to(str), placeholder=t("leads.field.province"),
                     aria_label=t("leads.field.province")),
        select_field(row["user"], A.user_options, lambda v: A.set_territory(index, "user", v),
                     id_="terr-user-" + index.to(str), aria_label=t("rules_ui.user")),
        rx.icon_button(rx.icon("x", size=14), variant="ghost", color_scheme="gray",
                       on_click=A.remove_territory(index), aria_label=t("rules_ui.terr_del")),
        columns="minmax(0, 1fr) minmax(0, 1fr) auto",
        spacing="2", width="100%", align_items="center",
    )


def _err(key: str) -> rx.Var:
    return A.ed_errors.get(key, "")


def _editor() -> rx.Component:
    action_config = rx.match(
        A.ed_action,
        ("fixed_user", labelled(t("rules_ui.user"),
                                select_field(A.ed_user, A.user_options, A.set_ed_user,
                                             id_="rule-user"),
                                html_for="rule-user", required=True,
                                error=_err("config.user_id"))),
        ("territory", rx.vstack(
            rx.text(t("rules_ui.territory"), size="2", weight="medium"),
            rx.foreach(A.ed_territory, _territory_row),
            rx.button(rx.icon("plus", size=14), t("rules_ui.terr_add"), variant="ghost",
                      size="1", on_click=A.add_territory, id="terr-add"),
            rx.cond(_err("config.territory") != "",
                    rx.text(_err("config.territory"), size="1", color=rx.color("red", 11),
                            role="alert")),
            labelled(t("rules_ui.default_user"),
                     select_field(A.ed_default_user,
                                  prepend(option(NONE, t("rules_ui.nobody")), A.user_options),
                                  A.set_ed_default_user, id_="rule-default-user"),
                     html_for="rule-default-user", error=_err("config.default_user_id")),
            spacing="2", width="100%",
        )),
        labelled(t("rules_ui.team"),
                 select_field(A.ed_team, A.team_options, A.set_ed_team, id_="rule-team"),
                 html_for="rule-team", required=True, error=_err("config.team_id")),
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(A.editing >= 0, t("rules_ui.edit_title"),
                                    t("rules_ui.new_title"))),
            rx.vstack(
                labelled(t("rules_ui.name"),
                         rx.input(value=A.ed_name, on_change=A.set_ed_name, id="rule-name",
                                  width="100%"),
                         html_for="rule-name", required=True, error=_err("name")),
                rx.checkbox(t("rules_ui.active"), checked=A.ed_active,
                            on_change=A.set_ed_active, id="rule-active"),
                rx.text(t("rules_ui.conditions"), size="2", weight="medium"),
                rx.text(t("rules_ui.conditions_help"), size="1", color_scheme="gray"),
                rx.foreach(A.ed_conditions, _condition_row),
                rx.button(rx.icon("plus", size=14), t("rules_ui.cond_add"), variant="ghost",
                          size="1", on_click=A.add_condition, id="cond-add"),
                labelled(t("rules_ui.action"),
                         select_field(A.ed_action,
                                      [option(a, t(f"leads.rules.action.{a}")) for a in ACTIONS],
                                      A.set_ed_action, id_="rule-action"),
                         html_for="rule-action", required=True, error=_err("action")),
                action_config,
                rx.flex(
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                              color_scheme="gray", width=PHONE_FULL)),
                    rx.button(t("rules_ui.apply"), on_click=A.apply_rule, id="rule-apply",
                              width=PHONE_FULL),
                    spacing="2", justify="end", width="100%",
                    direction=rx.breakpoints(initial="column-reverse", xs="row"),
                ),
                spacing="3", margin_top="var(--space-3)", width="100%",
            ),
            max_width="640px",
        ),
        open=A.editor_open, on_open_change=A.set_editor_open,
    )


def _bar(label: str, width: rx.Var, value: rx.Var, color: str, test_id: rx.Var,
         bold: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="1", color_scheme="gray", width="64px", flex_shrink="0"),
        rx.box(rx.box(width=width, height="100%", background=rx.color(color, 9),
                      border_radius="var(--radius-1)"),
               height="10px", flex="1", min_width="0", background=rx.color("gray", 3),
               border_radius="var(--radius-1)"),
        rx.text(value, size="1", width="40px", text_align="right", flex_shrink="0",
                weight="bold" if bold else "regular", data_testid=test_id),
        width="100%", align="center", spacing="2",
    )


def _sim_row(row: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.text(row["name"], size="2", weight="medium"),
            rx.spacer(),
            rx.badge(row["delta"], color_scheme=rx.match(row["delta_sign"], ("up", "green"),
                                                         ("down", "red"), "gray"),
                     variant="soft"),
            width="100%", align="center",
        ),
        _bar(t("rules_ui.actual_short"), row["actual_pct"], row["actual"], "gray",
             "sim-actual-" + row["id"].to(str)),
        _bar(t("rules_ui.simulated_short"), row["sim_pct"], row["simulated"], "indigo",
             "sim-simulated-" + row["id"].to(str), bold=True),
        spacing="1", width="100%",
        padding="var(--space-2)",
        border=f"1px solid {rx.color('gray', 4)}",
        border_radius="var(--radius-3)",
        data_testid="sim-row-" + row["id"].to(str),
    )


def _simulator() -> rx.Component:
    return section(
        t("rules_ui.sim_title"),
        rx.text(t("rules_ui.sim_help"), size="2", color_scheme="gray"),
        rx.flex(
            labelled(t("rules_ui.sim_n"),
                     rx.input(value=A.sim_n, on_change=A.set_sim_n, id="sim-n",
                              inputmode="numeric", width="120px"),
                     html_for="sim-n", width="auto"),
            rx.button(rx.icon("flask-conical", size=16), t("leads.rules.simulate"),
                      on_click=A.simulate, loading=A.simulating, disabled=A.simulating,
                      id="rules-simulate"),
            spacing="3", align="end", wrap="wrap",
        ),
        rx.cond(A.sim_error != "", rx.callout(A.sim_error, color_scheme="red",
                                              icon="triangle-alert", width="100%",
                                              role="alert")),
        rx.cond(
            A.sim_rows.length() > 0,
            rx.vstack(
                rx.text(A.sim_summary, size="2", weight="medium", data_testid="sim-summary"),
                rx.hstack(
                    rx.hstack(rx.box(width="12px", height="8px", background=rx.color("gray", 9)),
                              rx.text(t("leads.rules.actual"), size="1"), align="center"),
                    rx.hstack(rx.box(width="12px", height="8px",
                                     background=rx.color("indigo", 9)),
                              rx.text(t("leads.rules.simulated"), size="1"), align="center"),
                    spacing="4",
                ),
                rx.grid(rx.foreach(A.sim_rows, _sim_row), columns=rx.breakpoints(
                    initial="1", md="2", lg="3"), spacing="2", width="100%"),
                rx.text(t("rules_ui.per_rule"), size="2", weight="medium"),
                rx.foreach(A.sim_rules, lambda r: rx.text(r["name"], ": ", r["count"],
                                                          size="2")),
                spacing="3", width="100%", data_testid="sim-result",
            ),
        ),
        test_id="rules-simulator",
    )


def rules_page() -> rx.Component:
    return shell(
        rx.hstack(rx.link(rx.button(rx.icon("arrow-left", size=16), t("nav.settings"),
                                    variant="ghost"), href="/ajustes"),
                  width="100%"),
        section(
            t("leads.rules.title"),
            rx.text(t("rules_ui.help"), size="2", color_scheme="gray"),
            rx.cond(A.rules.length() > 0,
                    rx.vstack(rx.foreach(A.rules, _rule_card), spacing="2", width="100%"),
                    rx.text(t("rules_ui.none"), size="2", color_scheme="gray",
                            data_testid="rules-empty")),
            rx.button(rx.icon("plus", size=16), t("rules_ui.add"), variant="soft",
                      on_click=A.new_rule, id="rules-add"),
            rx.cond(A.save_errors.length() > 0,
                    rx.callout.root(rx.callout.icon(rx.icon("triangle-alert")),
                                    rx.vstack(rx.foreach(A.save_errors,
                                                         lambda e: rx.text(e, size="2"))),
                                    color_scheme="red", width="100%", role="alert")),
            rx.flex(
                rx.cond(A.dirty, rx.text(t("rules_ui.unsaved"), size="2",
                                         color=rx.color("amber", 11), data_testid="rules-dirty")),
                rx.spacer(),
                rx.button(t("rules_ui.discard"), variant="soft", color_scheme="gray",
                          on_click=A.discard, disabled=~A.dirty, id="rules-discard"),
                rx.button(rx.icon("save", size=16), t("rules_ui.save"), on_click=A.save,
                          loading=A.saving, disabled=A.saving | ~A.dirty, id="rules-save"),
                spacing="2", align="center", width="100%", wrap="wrap",
            ),
            test_id="rules-list",
        ),
        _simulator(),
        section(
            t("rules_ui.fallback"),
            rx.text(t("rules_ui.fallback_help"), size="2", color_scheme="gray"),
            labelled(t("rules_ui.fallback_owner"),
                     select_field(A.fallback_owner,
                                  prepend(option(NONE, t("rules_ui.fallback_none")),
                                          A.user_options),
                                  A.set_fallback, id_="rules-fallback"),
                     html_for="rules-fallback", max_width="360px"),
            test_id="rules-fallback-card",
        ),
        _editor(),
        title=t("leads.rules.title"),
        active="/ajustes",
    )
