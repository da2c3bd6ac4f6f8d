"""A record's page: its body (``record_page``) and its head — back link, title, badges, facts
and the action bar (``record_header``).

On phones the actions sit under the title and share rows across the full width; on desktop
they sit on the right. Every record page (lead, customer, opportunity, quote…) uses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

from components.forms import PHONE_FULL, link_button  # link_button: pages import it here too


def _action_bar(actions: Sequence[rx.Component]) -> rx.Component:
    """The record's buttons. On phones they share rows across the full width (as many a row
    as fit, never a clipped label), so four actions do not push the record below the first
    screen; from the small breakpoint up they keep their own width, in one row at the right."""
    return rx.flex(
        *actions,
        wrap="wrap", spacing="2", width=PHONE_FULL, justify="end",
        style={"& > *": {"flex": rx.breakpoints(initial="1 1 auto", sm="0 0 auto"),
                         "whiteSpace": "nowrap"}},
    )


def record_header(title: Any, *, back: tuple[Any, str] | None = None,
                  subtitle: Any = None, badges: Sequence[rx.Component] = (),
                  actions: Sequence[rx.Component] = (), test_id: str = "record-header",
                  title_id: str = "record-title") -> rx.Component:
    """``back`` is (label, href); ``badges`` sit next to the title; ``actions`` are buttons;
    ``subtitle`` is a text or a component of its own (shown under the title)."""
    top: list[rx.Component] = []
    if back is not None:
        top.append(rx.link(rx.hstack(rx.icon("arrow-left", size=14), rx.text(back[0], size="2"),
                                     align="center", spacing="1"),
                           href=back[1], underline="none", color_scheme="gray",
                           id=f"{test_id}-back"))
    heading = rx.flex(
        rx.heading(title, size="6", id=title_id, style={"overflowWrap": "anywhere"}),
        *badges,
        align="center", spacing="2", wrap="wrap", min_width="0",
    )
    info: list[rx.Component] = [heading]
    if isinstance(subtitle, rx.Component):  # e.g. mail and phone links
        info.append(subtitle)
    elif subtitle is not None:
        info.append(rx.text(subtitle, size="2", color_scheme="gray"))
    return rx.vstack(
        *top,
        rx.flex(
            rx.vstack(*info, spacing="1", min_width="0", flex="1"),
            _action_bar(actions),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="3", width="100%", align=rx.breakpoints(initial="stretch", md="start"),
        ),
        spacing="2", width="100%", data_testid=test_id,
    )


def record_page(body: rx.Component, *, loaded: Any, found: Any, not_found_text: Any,
                not_found_id: str, back: tuple[Any, str] | None = None) -> rx.Component:
    """The body of a record's page: a spinner while its loader runs (``found`` and not yet
    ``loaded``), then the record, or a callout (hook ``not_found_id``) when it is missing or
    out of the user's scope — the service's refusal is the toast. ``back`` is (label, href)
    of a link under the callout."""
    missing: list[rx.Component] = [rx.callout(not_found_text, icon="circle-alert",
                                              color_scheme="red", id=not_found_id)]
    if back is not None:
        missing.append(rx.link(back[0], href=back[1], size="2"))
    return rx.cond(
        found,
        rx.cond(loaded, body,
                rx.center(rx.spinner(size="3"), padding="var(--space-8)", width="100%")),
        rx.vstack(*missing, spacing="3", width="100%"),
    )


__all__ = ["link_button", "record_header", "record_page"]
