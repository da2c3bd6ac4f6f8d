"""Dialogs: a confirmation for destructive or final actions, and a dialog holding a form."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.forms import PHONE_FULL, form_actions
from crm_app.i18n import t


def confirm(trigger: rx.Component, *, title: Any, description: Any, confirm_label: Any,
            on_confirm: Any, test_id: str, color: str = "red",
            body: rx.Component | None = None) -> rx.Component:
    """A destructive or final action that asks first (``<test_id>-confirm``/``-cancel``)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description, size="2"),
            *([body] if body is not None else []),
            rx.box(form_actions(
                rx.alert_dialog.action(rx.button(confirm_label, color_scheme=color,
                                                 on_click=on_confirm, width=PHONE_FULL,
                                                 id=f"{test_id}-confirm")),
                rx.alert_dialog.cancel(rx.button(t("common.cancel"), variant="soft",
                                                 color_scheme="gray", width=PHONE_FULL,
                                                 id=f"{test_id}-cancel")),
            ), margin_top="var(--space-2)"),
            max_width="min(440px, calc(100vw - 2 * var(--space-4)))",
            data_testid=f"{test_id}-dialog",
        ),
    )


def form_dialog(*children: rx.Component, title: Any, open_: Any, on_open_change: Any,
                submit_label: Any, on_submit: Any, test_id: str, description: Any = None,
                trigger: rx.Component | None = None, saving: Any = False,
                max_width: str = "480px", submit_disabled: Any = False) -> rx.Component:
    """A dialog with fields and Guardar/Cancelar; its state owns ``open_`` and the errors.

    The content keeps a margin from the screen edges on phones, so it never touches them.
    ``submit_disabled`` (a Var) keeps the submit button off while the action cannot run.
    """
    head: list[rx.Component] = [rx.dialog.title(title)]
    if description is not None:
        head.append(rx.dialog.description(description, size="2",
                                          margin_bottom="var(--space-3)"))
    return rx.dialog.root(
        *([rx.dialog.trigger(trigger)] if trigger is not None else []),
        rx.dialog.content(
            *head,
            rx.vstack(
                *children,
                form_actions(
                    rx.button(submit_label, on_click=on_submit, loading=saving,
                              disabled=submit_disabled, width=PHONE_FULL,
                              id=f"{test_id}-submit"),
                    rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                              color_scheme="gray", width=PHONE_FULL,
                                              id=f"{test_id}-cancel")),
                ),
                spacing="3",
                width="100%",
            ),
            max_width=f"min({max_width}, calc(100vw - 2 * var(--space-4)))",
            data_testid=f"{test_id}-dialog",
        ),
        open=open_,
        on_open_change=on_open_change,
    )


__all__ = ["confirm", "form_dialog"]
