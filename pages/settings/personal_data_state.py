"""/ajustes/datos-personales: the retention of discarded leads (RGPD, issue 12).

The months are validated by ``services.personal_data`` (1-120); the preview ("se
anonimizarían N leads") is recomputed as the number is typed, from the same query the nightly
job runs, so what it says is what the job would do tonight.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.formatting import number
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import personal_data
from crm_app.state import AppState, Ctx, handler


def preview_text(count: int) -> str:
    if count == 1:
        return t("pd.settings.preview_one")
    return t("pd.settings.preview", count=number(count))


class PersonalDataSettingsState(AppState):
    months: str = ""
    preview: str = ""
    errors: dict[str, str] = {}
    saving: bool = False

    def _show(self, ctx: Ctx, months: Any = None) -> None:
        count = personal_data.preview_retention(session=ctx.session, actor=ctx.user,
                                                months=months)
        self.preview = preview_text(count)

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        self.errors = {}
        self.months = str(personal_data.retention_months(session=ctx.session))
        self._show(ctx)

    @handler(Perm.SETTINGS_CHANGE, errors="errors")
    def change_months(self, ctx: Ctx, value: str) -> None:
        """Typing a number: the preview follows (a bad number says so under the field)."""
        self.months = str(value)[:6]
        self.preview = ""
        self._show(ctx, self.months)

    @handler(Perm.SETTINGS_CHANGE, errors="errors")
    def save(self, ctx: Ctx) -> Any:
        with self._busy("saving"):
            yield
            months = personal_data.set_retention(session=ctx.session, actor=ctx.user,
                                                 months=self.months)
        self.months = str(months)
        self._show(ctx)
        yield rx.toast.success(t("pd.settings.saved"))


__all__ = ["PersonalDataSettingsState", "preview_text"]
