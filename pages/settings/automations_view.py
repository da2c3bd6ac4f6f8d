"""/ajustes/automatizaciones: the rules (cards), the editor with its simulator, and the
execution log. One column on phones; nothing scrolls sideways at 390 px."""

from __future__ import annotations

import reflex as rx

from components.forms import PHONE_FULL, choice, field, form_actions, grid, section
from components.layout import shell
from components.record_list import row_card
from crm_app.i18n import t
from crm_app.services.assignment import OPS
from crm_app.services.automation.rules import ACTIONS, LEVELS, RECIPIENTS
from pages.settings.automations_state import AutomationsState as S
from pages.settings.common import back_to_settings

OP_OPTIONS = [(o, t(f"leads.rules.op.{o}")) for o in OPS]
ACTION_OPTIONS = [(a, t(f"auto.action.{a}")) for a in ACTIONS]
LEVEL_OPTIONS = [(lv, t(f"auto.level.{lv}")) for lv in LEVELS]
TO_OPTIONS = [(r, t(f"auto.to.{r}")) for r in RECIPIENTS]
ASSIGNEE_OPTIONS = [{"value": "owner", "label": t("auto.assignee.owner")},
                    {"value": "manager", "label": t("auto.assignee.manager")}]


def _err(key: rx.Var | str) -> rx.Var:
    return S.ed_errors.get(key, "").to(str)


def _error_line(key: rx.Var | str) -> rx.Component:
    return rx.cond(_err(key) != "", rx.text(_err(key), size="1", color=rx.color("red", 11),
                                            role="alert"))


def _rule_card(rule: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(rx.text(rule["name"], weight="medium"), rx.spacer(),
                  rx.cond(rule["active"] != "", rx.badge(rule["active"], color_scheme="green")),
                  width="100%", align="center"),
        rx.text(rule["trigger"], size="2", color_scheme="gray"),
        rx.text(rule["actions"], size="2"),
        rx.hstack(
            rx.button(rx.icon("pencil", size=14), t("auto.edit"), size="1", variant="soft",
                      on_click=S.edit_rule(rule["id"]), id="auto-edit-" + rule["id"]),
            rx.button(rx.icon("trash-2", size=14), t("auto.delete"), size="1",
                      variant="soft", color_scheme="red",
                      on_click=S.delete_rule(rule["id"]), id="auto-delete-" + rule["id"]),
            spacing="2"),
        test_id="auto-rule",
    )


def _condition_row(cond: rx.Var, index: rx.Var) -> rx.Component:
    i = index.to_string()
    base = "conditions." + i
    return rx.vstack(
        rx.flex(
            choice(S.field_options, value=cond["field"],
                   on_change=lambda v: S.set_condition(index, "field", v),
                   id="auto-cond-field-" + i, aria_label=t("auto.field.set_field")),
            choice(OP_OPTIONS, value=cond["op"],
                   on_change=lambda v: S.set_condition(index, "op", v),
                   id="auto-cond-op-" + i, aria_label=t("auto.field.conditions")),
            rx.input(value=cond["value"],
                     on_change=lambda v: S.set_condition(index, "value", v),
                     id="auto-cond-value-" + i, width="100%",
                     aria_label=t("auto.field.value")),
            rx.cond(cond["op"] == "between",
                    rx.input(value=cond["value2"],
                             on_change=lambda v: S.set_condition(index, "value2", v),
                             id="auto-cond-value2-" + i, width="100%")),
            rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost",
                           on_click=S.remove_condition(index), type="button",
                           aria_label=t("auto.remove")),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="2", width="100%"),
        _error_line(base + ".field"), _error_line(base + ".op"), _error_line(base + ".value"),
        spacing="1", width="100%")


def _action_row(action: rx.Var, index: rx.Var) -> rx.Component:
    i = index.to_string()
    base = "actions." + i
    kind = action["type"]

    def text(key: str, label: str, area: bool = False) -> rx.Component:
        control = rx.text_area if area else rx.input
        return field(label, control(value=action[key],
                                    on_change=lambda v: S.set_action(index, key, v),
                                    id=f"auto-action-{key}-" + i, width="100%"),
                     html_for=f"auto-action-{key}-" + i, error=_err(base + "." + key))

    return rx.card(rx.vstack(
        rx.hstack(
            choice(ACTION_OPTIONS, value=kind,
                   on_change=lambda v: S.set_action(index, "type", v),
                   id="auto-action-type-" + i, aria_label=t("auto.field.actions")),
            rx.icon_button(rx.icon("x", size=14), size="1", variant="ghost", type="button",
                           on_click=S.remove_action(index), aria_label=t("auto.remove")),
            width="100%", align="center"),
        _error_line(base + ".type"),
        rx.match(
            kind,
            ("create_task", rx.vstack(
                text("subject", t("auto.field.subject")),
                grid(text("due_in_hours", t("auto.field.due")),
                     field(t("auto.field.assignee"), choice(
                         (rx.Var.create(ASSIGNEE_OPTIONS) + S.user_options)
                         .to(list[dict[str, str]]), value=action["assignee"],
                         on_change=lambda v: S.set_action(index, "assignee", v),
                         id="auto-action-assignee-" + i), error=_err(base + ".assignee"))),
                width="100%")),
            ("create_alert", rx.vstack(
                field(t("auto.field.level"), choice(
                    LEVEL_OPTIONS, value=action["level"],
                    on_change=lambda v: S.set_action(index, "level", v),
                    id="auto-action-level-" + i), error=_err(base + ".level")),
                text("message", t("auto.field.message")), width="100%")),
            ("send_email", rx.vstack(
                field(t("auto.field.to"), choice(
                    TO_OPTIONS, value=action["to"],
                    on_change=lambda v: S.set_action(index, "to", v),
                    id="auto-action-to-" + i), error=_err(base + ".to")),
                text("subject", t("auto.field.subject")),
                text("template", t("auto.field.template"), area=True), width="100%")),
            ("assign", field(t("auto.field.user"), choice(
                S.user_options, value=action["user_id"],
                on_change=lambda v: S.set_action(index, "user_id", v),
                id="auto-action-user-" + i), error=_err(base + ".user_id"))),
            ("set_field", grid(
                field(t("auto.field.set_field"), choice(
                    S.settable_options, value=action["field"],
                    on_change=lambda v: S.set_action(index, "field", v),
                    id="auto-action-field-" + i), error=_err(base + ".field")),
                text("value", t("auto.field.value")))),
            rx.fragment()),
        spacing="2", width="100%"), size="1", width="100%")


def _simulator() -> rx.Component:
    return rx.vstack(
        rx.heading(t("auto.sim.title"), size="3"),
        rx.text(rx.cond(S.is_time_rule, t("auto.sim.now"), t("auto.sim.last")), size="2",
                color_scheme="gray"),
        rx.flex(
            rx.cond(~S.is_time_rule, field(t("auto.sim.n"), rx.input(
                value=S.sim_n, on_change=lambda v: S.set_ed("sim_n", v), id="auto-sim-n",
                type="number", min=1, max=1000, input_mode="numeric", width="8em"),
                html_for="auto-sim-n", error=_err("last_n"), grow=False)),
            rx.button(rx.icon("flask-conical", size=16), t("auto.sim.run"),
                      on_click=S.simulate, loading=S.simulating, variant="soft",
                      id="auto-simulate", width=PHONE_FULL),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="2",
            align=rx.breakpoints(initial="stretch", sm="end"), width="100%"),
        rx.cond(S.sim_summary != "",
                rx.callout(S.sim_summary, icon="info", width="100%", id="auto-sim-result")),
        rx.foreach(S.sim_rows, lambda r: rx.text(
            rx.text.strong(r["title"]), ": ", r["did"], size="2",
            style={"overflowWrap": "anywhere"})),
        spacing="2", width="100%", data_testid="auto-simulator")


def _editor() -> rx.Component:
    return section(
        rx.cond(S.editing > 0, t("auto.edit"), t("auto.new")),
        grid(
            field(t("auto.field.name"), rx.input(
                value=S.ed_name, on_change=lambda v: S.set_ed("name", v), id="auto-name",
                width="100%", max_length=120), html_for="auto-name", required=True,
                error=_err("name")),
            field(t("auto.field.active"), rx.switch(
                checked=S.ed_active, on_change=lambda v: S.set_ed("active", v),
                id="auto-active"), html_for="auto-active")),
        grid(
            field(t("auto.field.trigger"), choice(
                S.trigger_options, value=S.ed_trigger,
                on_change=lambda v: S.set_ed("trigger", v), id="auto-trigger"),
                html_for="auto-trigger", error=_err("trigger.type")),
            field(t("auto.field.entity"), choice(
                S.entity_options, value=S.ed_entity,
                on_change=lambda v: S.set_ed("entity", v), id="auto-entity"),
                html_for="auto-entity", error=_err("trigger.entity"))),
        rx.cond(S.ed_trigger == "field_changed", field(t("auto.field.watch"), choice(
            S.field_options, value=S.ed_field, on_change=lambda v: S.set_ed("field", v),
            id="auto-watch"), html_for="auto-watch", error=_err("trigger.field"))),
        rx.cond(S.number_label != "", rx.box(field(S.number_label, rx.input(
            value=S.ed_number, on_change=lambda v: S.set_ed("number", v), id="auto-number",
            type="number", min=0, max=720, input_mode="numeric", width="8em"),
            html_for="auto-number",
            error=_err("trigger.days") + _err("trigger.hours"), grow=False))),
        rx.text(t("auto.field.conditions"), size="2", weight="medium"),
        rx.foreach(S.ed_conditions, _condition_row),
        rx.button(rx.icon("plus", size=14), t("auto.add_condition"), variant="ghost",
                  size="1", on_click=S.add_condition, id="auto-cond-add"),
        rx.text(t("auto.field.actions"), size="2", weight="medium"),
        _error_line("actions"),
        rx.foreach(S.ed_actions, _action_row),
        rx.button(rx.icon("plus", size=14), t("auto.add_action"), variant="ghost", size="1",
                  on_click=S.add_action, id="auto-action-add"),
        _simulator(),
        form_actions(
            rx.button(rx.icon("check", size=16), t("auto.save"), on_click=S.save,
                      loading=S.saving, id="auto-save", width=PHONE_FULL),
            rx.button(t("auto.cancel"), variant="soft", color_scheme="gray",
                      on_click=S.close_editor, id="auto-cancel", width=PHONE_FULL)),
        test_id="auto-editor", icon="workflow")


def _log() -> rx.Component:
    return section(
        t("auto.log.title"),
        rx.cond(S.runs.length() == 0, rx.text(t("auto.log.empty"), size="2",
                                                color_scheme="gray")),
        rx.foreach(S.runs, lambda r: row_card(
            rx.hstack(rx.text(r["rule"], weight="medium", size="2"), rx.spacer(),
                      rx.text(r["when"], size="1", color_scheme="gray"), width="100%",
                      wrap="wrap"),
            rx.text(r["record"], size="2"),
            rx.text(r["did"], size="2", color_scheme="gray",
                    style={"overflowWrap": "anywhere"}),
            test_id="auto-run")),
        test_id="auto-log", icon="history")


def automations_page() -> rx.Component:
    return shell(
        back_to_settings(),
        section(
            t("auto.title"),
            rx.text(t("auto.subtitle"), size="2", color_scheme="gray"),
            rx.cond(S.rules.length() == 0, rx.text(t("auto.empty"), size="2",
                                                    color_scheme="gray", id="auto-empty")),
            rx.foreach(S.rules, _rule_card),
            actions=[rx.button(rx.icon("plus", size=16), t("auto.new"), on_click=S.new_rule,
                               id="auto-new")],
            test_id="auto-rules", icon="workflow"),
        rx.cond(S.editor_open, _editor()),
        _log(),
        title=t("auto.title"),
        active="/ajustes",
    )


__all__ = ["automations_page"]
