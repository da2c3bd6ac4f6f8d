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
