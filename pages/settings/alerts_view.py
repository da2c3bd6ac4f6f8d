"""/ajustes/alertas: switch each built-in alert on or off and set its threshold."""

from __future__ import annotations

import reflex as rx

from components.forms import PHONE_FULL, field, form_actions, section
from components.layout import shell
from crm_app.i18n import t
from pages.settings.alerts_state import AlertSettingsState as S
from pages.settings.common import back_to_settings

# switch -> its threshold (if it has one)
ROWS = (("idle", ""), ("task_overdue", ""), ("quote_expiring", "quote_expiring_days"),
        ("lead_not_contacted", "lead_not_contacted_hours"), ("quote_decided", ""),
        ("big_deal", "big_deal_amount"))


def _row(key: str, number: str) -> rx.Component:
    parts: list[rx.Component] = [
        rx.hstack(
            rx.text(t(f"alr.settings.{key}"), size="2", as_="label", html_for=f"alert-{key}"),
            rx.spacer(),
            rx.switch(checked=S.switches.get(key, False),
                      on_change=lambda on: S.toggle(key, on), id=f"alert-{key}"),
            align="center", width="100%"),
    ]
    if number:
        parts.append(field(
            t(f"alr.settings.{number}"),
            rx.input(value=S.numbers.get(number, ""), on_change=lambda v: S.set_number(number, v),
                     id=f"alert-{number}", type="number", min=1, step=1, input_mode="numeric",
                     width="10em"),
            html_for=f"alert-{number}", error=S.errors.get(number, "")))
    return rx.vstack(*parts, spacing="2", width="100%", padding_y="var(--space-2)",
                     border_bottom=f"1px solid {rx.color('gray', 4)}")


def alert_settings_page() -> rx.Component:
    return shell(
        back_to_settings(),
        section(
            t("alr.settings.title"),
            *[_row(k, n) for k, n in ROWS],
            form_actions(rx.button(rx.icon("check", size=16), t("common.save"),
                                   on_click=S.save, loading=S.saving, id="alert-settings-save",
                                   width=PHONE_FULL)),
            test_id="settings-alerts", icon="bell",
        ),
        title=t("alr.settings.title"),
        active="/ajustes",
    )


__all__ = ["alert_settings_page"]
