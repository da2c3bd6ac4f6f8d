"""Bits the leads screens share: labelled fields with inline errors, the status badge, select
helpers, and turning service errors into what the screens show."""

from __future__ import annotations

from typing import Any

import phonenumbers
import reflex as rx

from crm_app.i18n import t
from crm_app.models import LeadStatus
from crm_app.services.errors import DomainError, ValidationFailed
from crm_app.services.spain import PROVINCES

STATUSES = [s.value for s in LeadStatus]
# Statuses a person may pick; "convertido" is reached only through the conversion.
PICKABLE_STATUSES = [s for s in STATUSES if s != LeadStatus.CONVERTIDO]
STATUS_COLORS = {"nuevo": "blue", "contactado": "amber", "cualificado": "green",
                 "descartado": "gray", "convertido": "violet"}
PROVINCE_NAMES = sorted(PROVINCES, key=lambda p: p.lower().replace("á", "a").replace("é", "e")
                        .replace("í", "i").replace("ó", "o").replace("ú", "u"))
PHONE_FULL = rx.breakpoints(initial="100%", xs="auto")  # a button's width: full on phones
NONE = "__none"  # Radix selects refuse "" as an item value: this stands for "no value"


def option(value: Any, label: str) -> dict[str, str]:
    return {"value": str(value), "label": label}


def prepend(first: dict[str, str], options: rx.Var) -> rx.Var:
    """``[first, *options]`` for a select over a state list of ``{value, label}``."""
    merged = rx.Var.create([first]) + options
    return merged.to(list[dict[str, str]])


def status_options(pickable: bool = True) -> list[dict[str, str]]:
    return [option(s, t(f"lead.status.{s}"))
            for s in (PICKABLE_STATUSES if pickable else STATUSES)]


def province_options() -> list[dict[str, str]]:
    return [option(p, p) for p in PROVINCE_NAMES]


def path_id(path: str, after: str = "leads") -> int | None:
    """The numeric id that follows ``/<after>/`` in a browser path (``/leads/12/editar``)."""
    parts = [p for p in (path or "").split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if part == after and parts[i + 1].isdigit():
            return int(parts[i + 1])
    return None


def events(*items: Any) -> list[Any]:
    """The events to return from a handler, without the ``None`` of helpers that had none."""
    out: list[Any] = []
    for item in items:
        if isinstance(item, list):
            out.extend(e for e in item if e is not None)
        elif item is not None:
            out.append(item)
    return out


def scroll_into_view(elem_id: str) -> Any:
    """Bring an element to the middle of the screen (clear of the sticky bars)."""
    safe = elem_id.replace("\\", "").replace('"', "")
    return rx.call_script(
        f'document.getElementById("{safe}")?.scrollIntoView({{block: "center"}})')


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


def status_badge(label: rx.Var | str, key: rx.Var | str, **props: Any) -> rx.Component:
    """The lead status as a coloured badge (the colour follows the status key)."""
    return rx.match(
        key,
        *[(k, rx.badge(label, color_scheme=c, variant="soft", **props))  # type: ignore[arg-type]
          for k, c in STATUS_COLORS.items()],
        rx.badge(label, variant="soft", **props),
    )


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


def spinner_button(label: str, *, loading: rx.Var | bool, id_: str, icon: str | None = None,
                   **props: Any) -> rx.Component:
    """A button that shows a spinner and is disabled while its event runs."""
    children: list[Any] = ([rx.icon(icon, size=16)] if icon else []) + [label]
    return rx.button(*children, loading=loading, disabled=loading, id=id_, **props)




def phone_display(e164: str | None) -> str:
    """``+34600123456`` as people read it: ``+34 600 12 34 56``."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, "ES")
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
