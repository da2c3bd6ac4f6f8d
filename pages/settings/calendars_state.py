"""/ajustes/calendarios: the shared calendars of the agenda (issue 13), admins only.

Create ("Sala de reuniones", "Furgoneta"), rename, recolour, archive and restore, through
``services.agenda`` (which checks ``settings.change`` again and validates each field)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import agenda as agenda_service
from crm_app.services.errors import ValidationFailed
from crm_app.state import AppState, Ctx, handler


class CalendarsAdminState(AppState):
    rows: list[dict[str, str]] = []
    colours: list[str] = list(agenda_service.SHARED_COLOURS)
    new_name: str = ""
    new_colour: str = agenda_service.SHARED_COLOURS[0]
    new_errors: dict[str, str] = {}
    row_errors: dict[str, str] = {}  # "<id>" -> the message of that row
    saving: bool = False

    def _show(self, ctx: Ctx) -> None:
        rows = agenda_service.list_calendars(session=ctx.session, actor=ctx.user,
                                             include_archived=True)
        self.rows = [{"id": str(r["id"]), "name": r["name"], "colour": r["colour"],
                      "active": "1" if r["active"] else ""} for r in rows]

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        self.new_name, self.new_errors, self.row_errors = "", {}, {}
        self._show(ctx)

    @rx.event
    def set_new_name(self, value: str) -> None:
        self.new_name = str(value or "")[:200]

    @rx.event
    def set_new_colour(self, value: str) -> None:
        self.new_colour = str(value or "")[:7]

    @handler(Perm.SETTINGS_CHANGE, errors="new_errors")
    def create(self, ctx: Ctx) -> Any:
        agenda_service.create_calendar(session=ctx.session, actor=ctx.user,
                                       data={"name": self.new_name, "colour": self.new_colour})
        self.new_name = ""
        self._show(ctx)
        return rx.toast.success(t("agenda.settings.created"), id="calendar-created")

    def _update(self, ctx: Ctx, calendar_id: str, data: dict[str, Any]) -> Any:
        self.row_errors = {}
        try:
            agenda_service.update_calendar(session=ctx.session, actor=ctx.user,
                                           calendar_id=calendar_id, data=data)
        except ValidationFailed as exc:
            self.row_errors = {str(calendar_id): " ".join(exc.errors.values())}
            return None
        self._show(ctx)
        return rx.toast.success(t("agenda.settings.saved"), id="calendar-saved")

    @handler(Perm.SETTINGS_CHANGE)
    def save_row(self, ctx: Ctx, form: dict[str, Any]) -> Any:
        return self._update(ctx, str(form.get("id") or ""),
                            {"name": str(form.get("name") or ""),
                             "colour": str(form.get("colour") or "")})

    @handler(Perm.SETTINGS_CHANGE)
    def set_active(self, ctx: Ctx, calendar_id: str, active: bool) -> Any:
        return self._update(ctx, calendar_id, {"active": bool(active)})
