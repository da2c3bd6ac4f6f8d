"""/ajustes/datos-personales: how long a discarded lead is kept before the nightly job
anonymises it, with the preview of how many leads that would be today."""

from __future__ import annotations

import reflex as rx

from components.forms import PHONE_FULL, field, form_actions, section
from components.layout import shell
from crm_app.i18n import t
from pages.settings.common import back_to_settings
from pages.settings.personal_data_state import PersonalDataSettingsState as S


def personal_data_settings_page() -> rx.Component:
    return shell(
        back_to_settings(),
        section(
            t("pd.settings.title"),
            rx.text(t("pd.settings.subtitle"), size="2", color_scheme="gray"),
            field(t("pd.settings.months"),
                  rx.box(rx.debounce_input(rx.input(
                      value=S.months, on_change=S.change_months, id="retention-months",
                      type="number", min=1, max=120, step=1, input_mode="numeric",
                      width="8em"), debounce_timeout=300)),
                  html_for="retention-months", required=True,
                  error=S.errors.get("lead_retention_months", "")),
            rx.cond(S.preview != "",
                    rx.callout(S.preview, icon="info", width="100%", id="retention-preview")),
            form_actions(rx.button(rx.icon("check", size=16), t("pd.settings.save"),
                                   on_click=S.save, loading=S.saving, id="retention-save",
                                   width=PHONE_FULL)),
            test_id="settings-personal-data",
            icon="shield",
        ),
        title=t("pd.settings.title"),
        active="/ajustes",
    )


__all__ = ["personal_data_settings_page"]
