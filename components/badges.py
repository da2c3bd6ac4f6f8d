"""One status badge for every record kind: the colour follows the status key.

Lead statuses, quote statuses, opportunity stage kinds and import batch states share one map,
so a "won"/"aceptado" is the same green on every screen.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

STATUS_COLORS: dict[str, str] = {
    # leads
    "nuevo": "blue", "contactado": "amber", "cualificado": "green", "descartado": "gray",
    "convertido": "violet",
    # quotes
    "borrador": "gray", "enviado": "blue", "aceptado": "green", "rechazado": "red",
    "caducado": "orange",
    # opportunity stage kinds
    "open": "indigo", "won": "green", "lost": "red",
    # import batches, alerts
    "committed": "green", "undone": "gray", "failed": "red", "preview": "blue",
    "critical": "red", "warning": "amber", "info": "blue",
}


def status_badge(key: Any, text: Any, **props: Any) -> rx.Component:
    """``key`` picks the colour (a status code), ``text`` is what the badge says."""
    props.setdefault("variant", "soft")
    if isinstance(key, str):
        return rx.badge(text, color_scheme=STATUS_COLORS.get(key, "gray"), **props)
    return rx.badge(text, color_scheme=rx.match(key, *STATUS_COLORS.items(), "gray"), **props)


__all__ = ["STATUS_COLORS", "status_badge"]


def level_icon(level: Any, size: int = 16) -> rx.Component:
    """An alert level's icon in its colour (info, warning, critical)."""
    return rx.icon(rx.match(level, ("critical", "octagon-alert"), ("warning", "triangle-alert"),
                            "info"),
                   size=size,
                   color=rx.match(level, ("critical", rx.color("red", 10)),
                                  ("warning", rx.color("amber", 10)), rx.color("accent", 10)))


def alert_mark(level: Any, text: Any = None, *, test_id: str = "alert-mark") -> rx.Component:
    """The icon on a record (list row, kanban card, header) while the user has an open alert
    about it: its level's icon, the alert's text on hover/focus (issue 13)."""
    from crm_app.i18n import t  # noqa: PLC0415 - only the alert mark needs the catalog

    icon = rx.box(level_icon(level, 16), display="inline-flex", tab_index=0,
                  role="img", aria_label=t("alr.icon"), data_testid=test_id,
                  data_level=level)
    return rx.cond(level, rx.tooltip(icon, content=text if text is not None
                                           else t("alr.icon")))
