"""/tareas on the kit: tabs with their counts, the scope selector (managers, directors), rows
that link their record and customer, overdue dates in red, row actions (Hecha, +1 día,
+1 semana, Elegir fecha, Reasignar) and the same actions on a selection.

Test hooks: ``tasks-*`` (the list kit's), ``tasks-scope``, ``task-row``/``task-card``,
``task-done-<id>``, ``task-reopen-<id>``, ``task-menu-<id>``, ``task-day-<id>``,
``task-week-<id>``, ``task-pick-<id>``, ``task-reassign-<id>``, ``bulk-done``, ``bulk-day``,
``bulk-week``, ``bulk-pick``, ``bulk-reassign``, ``pick-dialog``, ``reassign-dialog``.
"""

from __future__ import annotations

import reflex as rx

from components.dialogs import form_dialog
from components.empty_state import empty_state
from components.forms import choice, field
from components.layout import shell
from components.record_list import Column, record_list, row_card
from crm_app.i18n import t
from crm_app.services.overview import TASK_WINDOWS
from pages.tasks.state import TasksState as S


def _due(r: rx.Var) -> rx.Component:
    return rx.cond(
        r["open"] == "1",
        rx.text(r["due"], color=rx.cond(r["overdue"] == "1", rx.color("red", 11), "inherit"),
                weight=rx.cond(r["overdue"] == "1", "medium", "regular"), white_space="nowrap",
                size="2", data_testid=rx.cond(r["overdue"] == "1", "task-overdue", "task-due")),
        rx.text(r["done"], size="2", white_space="nowrap", color_scheme="gray"))


def _link(text: rx.Var, href: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(href != "", rx.link(text, href=href, size="2", data_testid=test_id),
                   rx.text(text, size="2"))


def _subject(r: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(r["subject"], size="2", weight="medium"),
        rx.text(r["kind"], rx.cond(r["outcome"] != "", " · " + r["outcome"].to(str), ""),
                size="1", color_scheme="gray"),
        spacing="0", min_width="0")


def _actions(r: rx.Var) -> rx.Component:
    rid = r["id"].to(str)
    done = rx.cond(
        r["open"] == "1",
        rx.button(rx.icon("check", size=14), t("act.row.done"), size="1", variant="soft",
                  color_scheme="green", on_click=S.mark_done(r["id"]), id="task-done-" + rid),
        rx.button(rx.icon("rotate-ccw", size=14), t("act.row.reopen"), size="1",
                  variant="soft", color_scheme="gray", on_click=S.reopen(r["id"]),
                  id="task-reopen-" + rid))
    menu = rx.dropdown_menu.root(
        rx.dropdown_menu.trigger(rx.icon_button(rx.icon("ellipsis", size=14), size="1",
                                                variant="ghost", aria_label=t("act.more"),
                                                id="task-menu-" + rid)),
        rx.dropdown_menu.content(
            rx.dropdown_menu.item(t("act.row.plus_day"), on_click=S.plus_day(r["id"]),
                                  id="task-day-" + rid),
            rx.dropdown_menu.item(t("act.row.plus_week"), on_click=S.plus_week(r["id"]),
                                  id="task-week-" + rid),
            rx.dropdown_menu.item(t("act.row.pick"), on_click=S.open_pick(r["id"]),
                                  id="task-pick-" + rid),
            rx.dropdown_menu.separator(),
            rx.dropdown_menu.item(t("act.row.reassign"), on_click=S.open_reassign(r["id"]),
                                  id="task-reassign-" + rid),
        ),
    )
    return rx.hstack(done, rx.cond(r["open"] == "1", menu), spacing="1", align="center",
                     justify="end")


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(_subject(r), rx.spacer(), _due(r), width="100%", align="start"),
        rx.flex(_link(r["record"], r["record_href"], "task-record"),
                rx.cond(r["customer"] != "", rx.text("·", size="2", color_scheme="gray")),
                rx.cond(r["customer"] != "",
                        _link(r["customer"], r["customer_href"], "task-customer")),
                rx.cond(r["owner"] != "", rx.text("· ", r["owner"], size="1",
                                                  color_scheme="gray")),
                spacing="1", wrap="wrap", align="center"),
        rx.box(_actions(r), width="100%", padding_top="var(--space-1)"),
        test_id="task-card")


def _tabs() -> rx.Component:
    return rx.flex(
        # four tabs with their counts: on a phone they may scroll in their own strip, never
        # the page
        rx.box(rx.segmented_control.root(
            *[rx.segmented_control.item(
                rx.text(t(f"act.tab.{w}"), " ", rx.text.span(S.counts.get(w, "0"),
                                                           color_scheme="gray",
                                                           data_testid=f"tasks-count-{w}")),
                value=w) for w in TASK_WINDOWS],
            value=S.view, on_change=S.set_view, id="tasks-view",
            size=rx.breakpoints(initial="1", sm="2")),
               max_width="100%", overflow_x="auto", flex_shrink="1", min_width="0"),
        rx.cond(S.many_scopes,
                choice(S.scope_options, value=S.scope, on_change=S.set_scope,
                       id="tasks-scope", aria_label=t("act.col.owner"), width="auto")),
        spacing="2", wrap="wrap", align="center", width="100%")


def _pick_dialog() -> rx.Component:
    return form_dialog(
        field(t("act.log.due"),
              rx.input(value=S.pick_value, on_change=S.set_pick_value, id="pick-due",
                       placeholder="dd/mm/aaaa hh:mm", input_mode="numeric", width="100%",
                       auto_focus=True),
              html_for="pick-due", required=True,
              error=S.action_errors.get("ids", S.action_errors.get("due_at", ""))),
        title=t("act.pick.title"), open_=S.pick_open, on_open_change=S.set_pick_open,
        submit_label=t("act.log.save"), on_submit=S.save_pick, test_id="pick",
        saving=S.working, max_width="400px")


def _reassign_dialog() -> rx.Component:
    return form_dialog(
        field(t("act.log.owner"),
              choice(S.owner_options, value=S.reassign_owner, on_change=S.set_reassign_owner,
                     id="reassign-owner"),
              html_for="reassign-owner",
              error=S.action_errors.get("ids", S.action_errors.get("owner_id", ""))),
        title=t("act.reassign.title"), open_=S.reassign_open,
        on_open_change=S.set_reassign_open, submit_label=t("act.log.save"),
        on_submit=S.save_reassign, test_id="reassign", saving=S.working, max_width="400px")


def tasks_page() -> rx.Component:
    bulk = [
        rx.button(rx.icon("check", size=14), t("act.bulk.done"), size="1",
                  on_click=S.mark_done(""), id="bulk-done"),
        rx.button(t("act.row.plus_day"), size="1", variant="soft", on_click=S.plus_day(""),
                  id="bulk-day"),
        rx.button(t("act.row.plus_week"), size="1", variant="soft", on_click=S.plus_week(""),
                  id="bulk-week"),
        rx.button(t("act.row.pick"), size="1", variant="soft", on_click=S.open_pick(""),
                  id="bulk-pick"),
        rx.button(t("act.row.reassign"), size="1", variant="soft",
                  on_click=S.open_reassign(""), id="bulk-reassign"),
    ]
    return shell(
        record_list(
            S, test_id="tasks",
            columns=[Column("subject", t("act.col.subject"), cell=_subject),
                     Column("record", t("act.col.record"),
                            cell=lambda r: _link(r["record"], r["record_href"],
                                                 "task-record")),
                     Column("customer", t("act.col.customer"),
                            cell=lambda r: _link(r["customer"], r["customer_href"],
                                                 "task-customer")),
                     Column("due", t("act.col.due"), cell=_due),
                     Column("owner", t("act.col.owner")),
                     Column("id", "", cell=_actions, width="1%")],
            card=_card, row_test_id=lambda _r: "task-row",
            count_label=t("act.count"),
            above=[_tabs()],
            bulk=bulk,
            empty=rx.match(S.view, *[(w, empty_state("list-checks", t(f"act.empty.{w}"),
                                                     test_id=f"tasks-empty-{w}"))
                                     for w in TASK_WINDOWS],
                           empty_state("list-checks", t("empty.tasks"), test_id="tasks-empty")),
        ),
        _pick_dialog(),
        _reassign_dialog(),
        title=t("nav.tasks"), active="/tareas")
