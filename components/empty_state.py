"""The empty state: says what is missing and what to do next, never a fake."""

from __future__ import annotations

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
