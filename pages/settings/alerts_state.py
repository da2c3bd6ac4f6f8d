"""/ajustes/alertas: the built-in alerts' switches and thresholds (issue 13), validated by
``services.alerts.update_alert_settings`` (admins; audited)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import alerts as alert_service
from crm_app.state import AppState, Ctx, handler

SWITCHES = ("idle", "task_overdue", "quote_expiring", "lead_not_contacted", "quote_decided",
            "big_deal")
NUMBERS = ("quote_expiring_days", "lead_not_contacted_hours", "big_deal_amount")


class AlertSettingsState(AppState):
    switches: dict[str, bool] = {}
    numbers: dict[str, str] = {}
    errors: dict[str, str] = {}
    saving: bool = False

    def _show(self, values: dict[str, Any]) -> None:
        self.switches = {k: bool(values[k]) for k in SWITCHES}
        self.numbers = {k: str(values[k]) for k in NUMBERS}

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        self.errors = {}
        self._show(alert_service.alert_settings(session=ctx.session))

    @handler(Perm.SETTINGS_CHANGE)
    def toggle(self, ctx: Ctx, key: str, on: bool) -> Any:
        """A switch is saved at once (the numbers with "Guardar")."""
        if key not in SWITCHES:
            return None
        self._show(alert_service.update_alert_settings(session=ctx.session, actor=ctx.user,
                                                       data={key: bool(on)}))
        return rx.toast.success(t("alr.settings.saved"), id="alert-settings-saved")

    @rx.event
    def set_number(self, key: str, value: str) -> None:
        if key in NUMBERS:
            self.numbers = {**self.numbers, key: str(value)[:12]}

    @handler(Perm.SETTINGS_CHANGE, errors="errors")
    def save(self, ctx: Ctx) -> Any:
        with self._busy("saving"):
            yield
            values = alert_service.update_alert_settings(
                session=ctx.session, actor=ctx.user,
                data={k: self.numbers.get(k, "") for k in NUMBERS})
        self._show(values)
        yield rx.toast.success(t("alr.settings.saved"), id="alert-settings-saved")


__all__ = ["AlertSettingsState"]
