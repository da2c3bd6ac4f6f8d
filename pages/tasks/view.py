"""/tareas: the list on the kit; overdue due dates in red."""

from __future__ import annotations

import reflex as rx

from components.empty_state import empty_state
from components.layout import shell
from components.record_list import Column, record_list, row_card, view_tabs
from crm_app.i18n import t
from pages.tasks.state import TasksState as S


def _due(r: rx.Var) -> rx.Component:
    return rx.text(r["due_at"], color_scheme=rx.cond(r["overdue"], "red", "gray"),
                   weight=rx.cond(r["overdue"], "medium", "regular"), white_space="nowrap",
                   size="2")


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(rx.text(r["subject"], weight="medium"), rx.spacer(), _due(r),
                  width="100%", align="start"),
        rx.text(r["kind"], " · ", r["owner"], size="1", color_scheme="gray"),
        test_id="task-card")


def tasks_page() -> rx.Component:
    return shell(
        record_list(
            S, test_id="tasks",
            columns=[Column("subject", t("col.subject")),
                     Column("kind", t("col.kind"), sortable=True),
                     Column("due_at", t("col.due_at"), sortable=True, cell=_due),
                     Column("owner", t("col.owner"))],
            card=_card, row_test_id=lambda _r: "task-row",
            count_label=t("count.tasks"),
            above=[view_tabs(S, [("pendientes", t("tasks_ui.pending")),
                                 ("hoy", t("tasks_ui.today")),
                                 ("vencidas", t("tasks_ui.overdue")),
                                 ("proximas", t("tasks_ui.upcoming"))], test_id="tasks")],
            empty=empty_state("list-checks", t("empty.tasks"), test_id="tasks-empty"),
        ),
        title=t("nav.tasks"), active="/tareas")
