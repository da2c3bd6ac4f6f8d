"""Empty states: say what is missing and what to do next, never a fake.

``empty_state`` fills a list or a page; ``empty_note`` sits inside one section of a record;
``listing`` shows a section's items, or says there are none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx


def empty_state(icon: str, message: str, *actions: rx.Component, test_id: str = "empty-state"
                ) -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.box(rx.icon(icon, size=32, color=rx.color("accent", 9)),
                   background=rx.color("accent", 3), padding="var(--space-4)",
                   border_radius="9999px", display="flex"),
            rx.text(message, size="3", color_scheme="gray", text_align="center"),
            rx.hstack(*actions, spacing="2", wrap="wrap", justify="center"),
            align="center",
            spacing="3",
            max_width="420px",
        ),
        padding_y="var(--space-9)",
        width="100%",
        data_testid=test_id,
    )


def empty_note(icon: str, message: str, *, test_id: str) -> rx.Component:
    """The small empty state of a section inside a record page (e.g. "Sin contactos"):
    says what is missing, in the section's own space, never a fake row."""
    return rx.hstack(
        rx.box(rx.icon(icon, size=18, color=rx.color("accent", 9)),
               background=rx.color("accent", 3), padding="var(--space-2)",
               border_radius="9999px", display="flex", flex_shrink="0"),
        rx.text(message, size="2", color_scheme="gray"),
        align="center",
        spacing="3",
        padding_y="var(--space-2)",
        data_testid=test_id,
    )


def listing(items: rx.Var, render: Callable[[rx.Var], rx.Component], empty: Any, *,
            empty_id: str | None = None, spacing: str = "3") -> rx.Component:
    """The items of a section one under the other, or what says there are none: ``empty`` is
    a component (``empty_note``) or a text, shown small and grey (hook ``empty_id``)."""
    if not isinstance(empty, rx.Component):
        empty = rx.text(empty, size="2", color_scheme="gray", data_testid=empty_id)
    return rx.cond(items.length() > 0,
                   rx.vstack(rx.foreach(items, render), spacing=spacing, width="100%"),
                   empty)
