"""/ajustes/asignacion: the rules as cards (reorder, switch, edit, remove), the simulator and
the fallback owner."""

from __future__ import annotations

import reflex as rx

from components.empty_state import listing
from components.forms import choice, field, section, with_all
from components.layout import shell
from crm_app.i18n import t
from pages.settings.common import back_to_settings
from pages.settings.rules_editor import rule_editor
from pages.settings.rules_state import AssignmentRulesState as A


def _rule_card(rule: rx.Var, index: rx.Var) -> rx.Component:
    i = rule["idx"].to(str)
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.icon_button(rx.icon("chevron-up", size=16), size="1", variant="ghost",
                               disabled=rule["first"] == "1", on_click=A.move(index, -1),
                               aria_label=t("rules_ui.up"), data_testid="rule-up-" + i),
                rx.icon_button(rx.icon("chevron-down", size=16), size="1", variant="ghost",
                               disabled=rule["last"] == "1", on_click=A.move(index, 1),
                               aria_label=t("rules_ui.down"), data_testid="rule-down-" + i),
                spacing="1",
            ),
            rx.vstack(
                rx.hstack(rx.badge(index + 1, variant="outline"),
                          rx.text(rule["name"], weight="medium", data_testid="rule-name-" + i),
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
                          aria_label=t("rules_ui.active"), data_testid="rule-active-" + i),
                rx.icon_button(rx.icon("pencil", size=16), variant="soft", size="2",
                               on_click=A.edit_rule(index), aria_label=t("common.edit"),
                               data_testid="rule-edit-" + i),
                rx.icon_button(rx.icon("trash-2", size=16), variant="soft", size="2",
                               color_scheme="red", on_click=A.remove(index),
                               aria_label=t("common.delete"), data_testid="rule-remove-" + i),
                spacing="2", align="center",
            ),
            spacing="3", align="center", width="100%",
            wrap=rx.breakpoints(initial="wrap", sm="nowrap"),
        ),
        width="100%",
        opacity=rx.cond(rule["active"] == "1", "1", "0.6"),
        data_testid="rule-" + i,
    )


def _rules() -> rx.Component:
    return section(
        t("leads.rules.title"),
        rx.text(t("rules_ui.help"), size="2", color_scheme="gray"),
        listing(A.rules, _rule_card, t("rules_ui.none"), empty_id="rules-empty", spacing="2"),
        rx.button(rx.icon("plus", size=16), t("rules_ui.add"), variant="soft",
                  on_click=A.new_rule, id="rules-add"),
        rx.cond(A.save_problems.length() > 0,
                rx.callout.root(rx.callout.icon(rx.icon("triangle-alert")),
                                rx.vstack(rx.foreach(A.save_problems,
                                                     lambda e: rx.text(e, size="2"))),
                                color_scheme="red", width="100%", role="alert",
                                data_testid="rules-save-errors")),
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


def _legend(color: str, text: str) -> rx.Component:
    return rx.hstack(rx.box(width="12px", height="8px", background=rx.color(color, 9)),
                     rx.text(text, size="1"), align="center")


def _simulator() -> rx.Component:
    return section(
        t("rules_ui.sim_title"),
        rx.text(t("rules_ui.sim_help"), size="2", color_scheme="gray"),
        rx.flex(
            field(t("rules_ui.sim_n"),
                  rx.input(value=A.sim_n, on_change=A.set_sim_n, id="sim-n",
                           input_mode="numeric", width="120px"),
                  html_for="sim-n", grow=False),
            rx.button(rx.icon("flask-conical", size=16), t("leads.rules.simulate"),
                      on_click=A.simulate, loading=A.simulating, disabled=A.simulating,
                      id="rules-simulate"),
            spacing="3", align="end", wrap="wrap",
        ),
        rx.cond(
            A.sim_rows.length() > 0,
            rx.vstack(
                rx.text(A.sim_summary, size="2", weight="medium", data_testid="sim-summary"),
                rx.hstack(_legend("gray", t("leads.rules.actual")),
                          _legend("indigo", t("leads.rules.simulated")), spacing="4"),
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


def _fallback() -> rx.Component:
    return section(
        t("rules_ui.fallback"),
        rx.text(t("rules_ui.fallback_help"), size="2", color_scheme="gray"),
        rx.box(field(t("rules_ui.fallback_owner"),
                     choice(with_all(A.user_options, t("rules_ui.fallback_none")),
                            value=A.fallback_owner, on_change=A.set_fallback,
                            id="rules-fallback"),
                     html_for="rules-fallback"),
               max_width="360px", width="100%"),
        test_id="rules-fallback-card",
    )


def rules_page() -> rx.Component:
    return shell(
        back_to_settings(),
        _rules(),
        _simulator(),
        _fallback(),
        rule_editor(),
        title=t("leads.rules.title"),
        active="/ajustes",
    )


__all__ = ["rules_page"]
