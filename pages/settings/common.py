"""Pieces the settings screens share: the way back to /ajustes and select options."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.record_header import link_button
from crm_app.i18n import t


def option(value: Any, label: str) -> dict[str, str]:
    """One ``{value, label}`` of a select over a state list (``components.forms.choice``)."""
    return {"value": str(value), "label": label}


def back_to_settings() -> rx.Component:
    """The link back to /ajustes at the top of every settings screen."""
    return rx.box(link_button(t("nav.settings"), "/ajustes", icon="arrow-left",
                              id="settings-back", variant="ghost"))


__all__ = ["back_to_settings", "option"]
