""""Registrar" / "Nueva tarea" on a record's page and its pending tasks (issue 13), over
``crm_app.state_mixins.activity_log.ActivityLogMixin``.

Test hooks (``p`` = ``prefix``): ``p-log`` and ``p-task`` (the two buttons), ``log-dialog``,
``log-kind`` (the chips), ``log-subject``, ``log-outcome``, ``log-notes``, ``log-due``,
``log-owner``, ``log-reminder``, ``log-submit``; ``p-activities`` (the pending tasks),
``record-activity-<id>`` and ``record-activity-done-<id>``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.dialogs import form_dialog
from components.empty_state import listing
from components.forms import choice, field, section
from crm_app.i18n import t

_KINDS = ("call", "meeting", "email", "note", "task")
_REMINDERS = ("none", "0", "15", "60", "1440")


def activity_buttons(state: Any, prefix: str) -> list[rx.Component]:
    """The two record actions: log a call (the dialog's other kinds are one chip away) and
    create a task."""
    shown = state.can_change & (state.log_record_id > 0)
    return [
        rx.cond(shown, rx.button(rx.icon("phone", size=16), t("act.log.button"),
                                 on_click=state.open_log("call"), id=f"{prefix}-log")),
        rx.cond(shown, rx.button(rx.icon("list-plus", size=16), t("act.log.task_button"),
                                 variant="soft", on_click=state.open_log("task"),
                                 id=f"{prefix}-task")),
    ]


def _input(state: Any, name: str, label_key: str, *, required: bool = False,
           **props: Any) -> rx.Component:
    return field(t(label_key),
                 rx.input(value=getattr(state, f"log_{name}"),
                          on_change=getattr(state, f"set_log_{name}"), id=f"log-{name}",
                          width="100%", **props),
                 html_for=f"log-{name}", required=required,
                 error=state.log_errors.get("notes" if name == "notes" else name
                                            if name != "due" else "due_at", ""))


def activity_dialog(state: Any) -> rx.Component:
    """One dialog for every kind: chips on top, the subject, the outcome (call, meeting,
    e-mail), notes, and for a task the due date-time, the assignee and the reminder."""
    chips = rx.segmented_control.root(
        *[rx.segmented_control.item(t(f"act.kind.{k}"), value=k) for k in _KINDS],
        value=state.log_kind, on_change=state.pick_log_kind, id="log-kind", width="100%",
        size="1", aria_label=t("act.log.kind"))
    task = state.log_kind == "task"
    return form_dialog(
        rx.box(chips, width="100%", overflow_x="auto"),
        _input(state, "subject", "act.log.subject", required=True, max_length=200),
        rx.cond((state.log_kind == "call") | (state.log_kind == "meeting")
                | (state.log_kind == "email"),
                _input(state, "outcome", "act.log.outcome", max_length=200, auto_focus=True)),
        rx.cond(task, rx.vstack(
            _input(state, "due", "act.log.due", required=True,
                   placeholder="dd/mm/aaaa hh:mm", input_mode="numeric"),
            field(t("act.log.owner"),
                  choice(state.log_owner_options, value=state.log_owner,
                         on_change=state.set_log_owner, id="log-owner"),
                  html_for="log-owner", error=state.log_errors.get("owner_id", "")),
            field(t("act.log.reminder"),
                  choice([(r, t(f"act.reminder.{r}")) for r in _REMINDERS],
                         value=state.log_reminder, on_change=state.set_log_reminder,
                         id="log-reminder"),
                  html_for="log-reminder",
                  error=state.log_errors.get("reminder_minutes", "")),
            spacing="3", width="100%")),
        field(t("act.log.notes"),
              rx.text_area(value=state.log_notes, on_change=state.set_log_notes,
                           id="log-notes", rows="2", width="100%", max_length=10_000),
              html_for="log-notes", error=state.log_errors.get("notes", "")),
        rx.cond(state.log_errors.get("lead_id", "") != "",
                rx.text(state.log_errors.get("lead_id", ""), size="1",
                        color=rx.color("red", 11), role="alert")),
        title=rx.cond(task, t("act.log.task_button"), t("act.log.title")),
        open_=state.log_open, on_open_change=state.set_log_open,
        submit_label=t("act.log.save"), on_submit=state.save_log, test_id="log",
        saving=state.log_saving, max_width="520px",
    )


def _pending(state: Any, a: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(
            rx.text(a["subject"], size="2", weight="medium"),
            rx.text(a["kind"], " · ",
                    rx.cond(a["open"] == "1",
                            rx.text.span(a["due"], color=rx.cond(a["overdue"] == "1",
                                                                 rx.color("red", 11),
                                                                 "inherit")),
                            rx.text.span(a["done"])),
                    rx.cond(a["owner"] != "", " · ", ""), a["owner"], size="1",
                    color_scheme="gray"),
            rx.cond(a["outcome"] != "", rx.text(a["outcome"], size="1")),
            spacing="0", min_width="0", flex="1"),
        rx.cond(a["open"] == "1",
                rx.button(rx.icon("check", size=14), t("act.row.done"), size="1",
                          variant="soft", on_click=state.record_activity_done(a["id"]),
                          id="record-activity-done-" + a["id"].to(str)),
                rx.icon("circle-check", size=16, color=rx.color("green", 10))),
        align="center", width="100%", spacing="2",
        data_testid="record-activity-" + a["id"].to(str),
    )


def record_activities(state: Any, prefix: str, *, title_key: str = "act.section.pending"
                      ) -> rx.Component:
    """The record's pending tasks with "Hecha" (and, where the page says so, the latest
    logged activities), with "Nueva tarea" at hand."""
    return rx.cond(state.can_records & (state.log_record_id > 0), section(
        t(title_key),
        listing(state.record_activities, lambda a: _pending(state, a),
                t("act.section.empty"), empty_id=f"{prefix}-activities-empty"),
        actions=[rx.icon_button(rx.icon("list-plus", size=16), size="1", variant="ghost",
                                on_click=state.open_log("task"),
                                aria_label=t("act.log.task_button"),
                                id=f"{prefix}-task-2")],
        test_id=f"{prefix}-activities", icon="list-checks",
    ))


__all__ = ["activity_buttons", "activity_dialog", "record_activities"]
