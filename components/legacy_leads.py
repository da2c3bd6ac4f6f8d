"""The old leads-side form helpers (formerly ``pages/leads_common.py``), kept only for the
screens not yet on the kit: the import wizard (``pages/leads_import.py``) and the settings of
assignment rules and custom fields (``pages/settings_assignment.py``,
``pages/settings_fields.py``). New code uses ``components.forms`` and ``@handler``; delete this
module with the last of those screens' move.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.services.errors import DomainError, ValidationFailed
from crm_app.services.lead_options import provinces

PHONE_FULL = rx.breakpoints(initial="100%", xs="auto")  # a button's width: full on phones
NONE = "__none"  # Radix selects refuse "" as an item value: this stands for "no value"


def option(value: Any, label: str) -> dict[str, str]:
    return {"value": str(value), "label": label}


def prepend(first: dict[str, str], options: rx.Var) -> rx.Var:
    """``[first, *options]`` for a select over a state list of ``{value, label}``."""
    merged = rx.Var.create([first]) + options
    return merged.to(list[dict[str, str]])


def province_options() -> list[dict[str, str]]:
    return [option(p, p) for p in provinces()]


def errors_of(exc: Exception) -> dict[str, str]:
    """Inline field errors from a ``ValidationFailed``; other domain errors under ``_``."""
    if isinstance(exc, ValidationFailed):
        return {str(k): str(v) for k, v in exc.errors.items()}
    return {"_": getattr(exc, "message", str(exc))}


def message_of(exc: Exception) -> str:
    if isinstance(exc, ValidationFailed):
        first = next(iter(exc.errors.values()), "")
        return f"{exc.message} {first}".strip()
    if isinstance(exc, DomainError):
        return exc.message
    return getattr(exc, "message", str(exc))


def field_label(label: str, html_for: str, required: bool = False) -> rx.Component:
    return rx.el.label(
        rx.text(label, as_="span", size="2", weight="medium"),
        *([rx.text(" *", as_="span", color=rx.color("red", 10), aria_hidden="true")]
          if required else []),
        html_for=html_for,
    )


def labelled(label: str, control: rx.Component, *, html_for: str, required: bool = False,
             error: rx.Var | None = None, hint: rx.Component | None = None,
             **props: Any) -> rx.Component:
    """A field: its label (``*`` when required), the control, an optional hint and the
    server's inline error under it."""
    parts: list[rx.Component] = [field_label(label, html_for, required), control]
    if hint is not None:
        parts.append(hint)
    if error is not None:
        parts.append(rx.cond(
            error != "",
            rx.text(error, size="1", color=rx.color("red", 11), role="alert",
                    id=f"{html_for}-error", data_testid=f"{html_for}-error"),
        ))
    return rx.vstack(*parts, **{"spacing": "1", "width": "100%", **props})


def select_field(value: rx.Var, options: rx.Var | list[dict[str, str]], on_change: Any, *,
                 id_: str, placeholder: str = "", name: str | None = None,
                 disabled: Any = False, **props: Any) -> rx.Component:
    """A Radix select over ``[{value, label}]`` options, full width."""
    items = (rx.foreach(options, lambda o: rx.select.item(o["label"], value=o["value"]))
             if isinstance(options, rx.Var)
             else [rx.select.item(o["label"], value=o["value"]) for o in options])
    root_props: dict[str, Any] = {"value": value, "on_change": on_change, "disabled": disabled}
    if name:
        root_props["name"] = name
    return rx.select.root(
        rx.select.trigger(placeholder=placeholder, id=id_, width="100%", **props),
        rx.select.content(*items if isinstance(items, list) else [items],
                          position="popper"),
        **root_props,
    )


def section(title: str, *children: rx.Component, test_id: str = "",
            action: rx.Component | None = None) -> rx.Component:
    header = rx.hstack(rx.heading(title, size="4"), rx.spacer(), action or rx.fragment(),
                       align="center", width="100%")
    return rx.card(rx.vstack(header, *children, spacing="3", width="100%"), width="100%",
                   data_testid=test_id or None)


__all__ = ["NONE", "PHONE_FULL", "errors_of", "labelled", "message_of", "option", "prepend",
           "province_options", "section", "select_field"]
