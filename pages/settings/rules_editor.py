"""The rule editor dialog of /ajustes/asignacion: name, conditions, action and its target.

"Aplicar" sends the rule to the service's check; its errors come back keyed like the inputs
(``name``, ``conditions.<i>.value``, ``config.user_id``…) and show under each one.
"""

from __future__ import annotations

import reflex as rx

from components.dialogs import form_dialog
from components.forms import choice, field, with_all
from crm_app.i18n import t
from crm_app.services.lead_options import provinces
from pages.settings.rules_state import AssignmentRulesState as A
from pages.settings.rules_text import ACTIONS, OPS

OP_OPTIONS = [(o, t(f"leads.rules.op.{o}")) for o in OPS]
ACTION_OPTIONS = [(a, t(f"leads.rules.action.{a}")) for a in ACTIONS]
PROVINCE_OPTIONS = [(p, p) for p in provinces()]
PLACEHOLDERS = [("between", t("rules_ui.min")), *[(op, t("rules_ui.list_hint")) for op in (
    "in", "not_in", "province_in", "region_in")]]


def _err(key: str | rx.Var) -> rx.Var:
    return A.ed_errors.get(key, "")


def _error_line(key: rx.Var) -> rx.Component:
    return rx.cond(_err(key) != "", rx.text(_err(key), size="1", color=rx.color("red", 11),
                                            role="alert", data_testid=key + "-error"))


def _condition_row(cond: rx.Var, index: rx.Var) -> rx.Component:
    i = index.to(str)
    base = "conditions." + i
    op = cond["op"]
    value = rx.cond(
        (op != "empty") & (op != "not_empty"),
        rx.input(value=cond["value"], on_change=lambda v: A.set_condition(index, "value", v),
                 id="cond-value-" + i, width="100%", aria_label=t("rules_ui.cond_value"),
                 placeholder=rx.match(op, *PLACEHOLDERS, t("rules_ui.value"))))
    value2 = rx.cond(op == "between", rx.input(
        value=cond["value2"], on_change=lambda v: A.set_condition(index, "value2", v),
        id="cond-value2-" + i, width="100%", aria_label=t("rules_ui.max"),
        placeholder=t("rules_ui.max")))
    return rx.vstack(
        rx.grid(
            choice(A.field_options, value=cond["field"],
                   on_change=lambda v: A.set_condition(index, "field", v),
                   id="cond-field-" + i, aria_label=t("rules_ui.cond_field")),
            choice(OP_OPTIONS, value=op, on_change=lambda v: A.set_condition(index, "op", v),
                   id="cond-op-" + i, aria_label=t("rules_ui.cond_op")),
            rx.hstack(value, value2, spacing="2", width="100%"),
            rx.icon_button(rx.icon("x", size=14), variant="ghost", color_scheme="gray",
                           on_click=A.remove_condition(index),
                           aria_label=t("rules_ui.cond_del"), type="button",
                           justify_self="end"),
            columns=rx.breakpoints(initial="minmax(0, 1fr)",
                                   sm="minmax(0, 1fr) minmax(0, 1fr) minmax(0, 1.3fr) auto"),
            spacing="2", width="100%", align_items="center",
        ),
        *[_error_line(base + suffix) for suffix in ("", ".field", ".op", ".value")],
        spacing="1", width="100%",
        padding_bottom="var(--space-2)",
        border_bottom=f"1px dashed {rx.color('gray', 5)}",
    )


def _territory_row(row: rx.Var, index: rx.Var) -> rx.Component:
    i = index.to(str)
    return rx.grid(
        choice(PROVINCE_OPTIONS, value=row["province"],
               on_change=lambda v: A.set_territory(index, "province", v),
               id="terr-province-" + i, placeholder=t("leads.field.province"),
               aria_label=t("leads.field.province")),
        choice(A.user_options, value=row["user"],
               on_change=lambda v: A.set_territory(index, "user", v), id="terr-user-" + i,
               aria_label=t("rules_ui.user")),
        rx.icon_button(rx.icon("x", size=14), variant="ghost", color_scheme="gray",
                       on_click=A.remove_territory(index), aria_label=t("rules_ui.terr_del")),
        columns="minmax(0, 1fr) minmax(0, 1fr) auto",
        spacing="2", width="100%", align_items="center",
    )


def _action_target() -> rx.Component:
    """Who gets the leads: a user, a team, or a province → user table."""
    territory = rx.vstack(
        rx.text(t("rules_ui.territory"), size="2", weight="medium"),
        rx.foreach(A.ed_territory, _territory_row),
        rx.button(rx.icon("plus", size=14), t("rules_ui.terr_add"), variant="ghost",
                  size="1", on_click=A.add_territory, id="terr-add"),
        _error_line(rx.Var.create("config.territory")),
        field(t("rules_ui.default_user"),
              choice(with_all(A.user_options, t("rules_ui.nobody")), value=A.ed_default_user,
                     on_change=lambda v: A.set_ed("default_user", v),
                     id="rule-default-user"),
              html_for="rule-default-user", error=_err("config.default_user_id")),
        spacing="2", width="100%",
    )
    return rx.match(
        A.ed_action,
        ("fixed_user", field(t("rules_ui.user"),
                             choice(A.user_options, value=A.ed_user,
                                    on_change=lambda v: A.set_ed("user", v), id="rule-user"),
                             html_for="rule-user", required=True,
                             error=_err("config.user_id"))),
        ("territory", territory),
        field(t("rules_ui.team"),
              choice(A.team_options, value=A.ed_team, on_change=lambda v: A.set_ed("team", v),
                     id="rule-team"),
              html_for="rule-team", required=True, error=_err("config.team_id")),
    )


def rule_editor() -> rx.Component:
    return form_dialog(
        field(t("rules_ui.name"),
              rx.input(value=A.ed_name, on_change=lambda v: A.set_ed("name", v),
                       id="rule-name", width="100%"),
              html_for="rule-name", required=True, error=_err("name")),
        rx.checkbox(t("rules_ui.active"), checked=A.ed_active,
                    on_change=lambda v: A.set_ed("active", v), id="rule-active"),
        rx.text(t("rules_ui.conditions"), size="2", weight="medium"),
        rx.text(t("rules_ui.conditions_help"), size="1", color_scheme="gray"),
        rx.foreach(A.ed_conditions, _condition_row),
        rx.button(rx.icon("plus", size=14), t("rules_ui.cond_add"), variant="ghost",
                  size="1", on_click=A.add_condition, id="cond-add"),
        field(t("rules_ui.action"),
              choice(ACTION_OPTIONS, value=A.ed_action,
                     on_change=lambda v: A.set_ed("action", v), id="rule-action"),
              html_for="rule-action", required=True, error=_err("action")),
        _action_target(),
        title=rx.cond(A.editing >= 0, t("rules_ui.edit_title"), t("rules_ui.new_title")),
        open_=A.editor_open, on_open_change=A.set_editor_open,
        submit_label=t("rules_ui.apply"), on_submit=A.apply_rule, test_id="rule-editor",
        max_width="640px",
    )


__all__ = ["rule_editor"]
