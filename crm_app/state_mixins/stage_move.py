"""Move an opportunity to another stage; when the stage asks for fields on entry (the lost
reason, the amount…), ask for them in a dialog first.

Used by the opportunities board and list ("Mover a…", drag and drop) and the opportunity's
page (the stage path); view: ``components.stage_move.move_dialog``. Which fields are missing
is the service's answer (``move_requirements``), and the move itself is ``move_stage``: both
refuse an opportunity the user may not change exactly like the API does.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import contacts as contact_service
from crm_app.services import opportunities as opp_service
from crm_app.services import products as product_service
from crm_app.services.defaults import CHANNELS, LOST_REASONS
from crm_app.state import Ctx, handler

MAX_CHOICES = 200


class StageMoveMixin(rx.State, mixin=True):
    move_open: bool = False
    move_title: str = ""
    move_fields: list[dict[str, str]] = []  # {key, label, kind} the stage asks for
    move_values: dict[str, str] = {}
    move_errors: dict[str, str] = {}
    move_contacts: list[dict[str, str]] = []
    move_products: list[dict[str, str]] = []
    move_channels: list[dict[str, str]] = []
    move_reasons: list[str] = []
    move_saving: bool = False
    moving_id: str = ""  # the opportunity whose move is running (its button spins)

    _move_opp: str = ""
    _move_stage: str = ""
    _move_stage_name: str = ""

    def _after_move(self, ctx: Ctx) -> None:
        """Hook: reload what the screen shows after a move."""

    # --- the flow -----------------------------------------------------------------------------

    def _ask_or_move(self, ctx: Ctx, opp_id: str, stage_id: str) -> Any:
        """Move now, or open the dialog with the fields the stage still needs."""
        need = opp_service.move_requirements(session=ctx.session, actor=ctx.user,
                                             opportunity_id=opp_id, stage_id=stage_id)
        self._move_opp, self._move_stage = str(need["opportunity_id"]), str(need["stage_id"])
        self._move_stage_name = need["stage_name"]
        if not need["fields"]:
            return self._move(ctx, {})
        self._open_dialog(ctx, need)
        return None

    def _open_dialog(self, ctx: Ctx, need: dict[str, Any]) -> None:
        kinds = {f["kind"] for f in need["fields"]}
        self.move_contacts, self.move_products, self.move_channels = [], [], []
        self.move_reasons = []
        if "contact" in kinds and need["account_id"]:
            page = contact_service.list_contacts(session=ctx.session, actor=ctx.user,
                                                 account_id=need["account_id"],
                                                 limit=MAX_CHOICES)
            self.move_contacts = [{"value": str(c.id),
                                   "label": f"{c.first_name} {c.last_name}".strip() or c.email}
                                  for c in page.items]
        if "product" in kinds:
            page = product_service.list_products(session=ctx.session, actor=ctx.user,
                                                 limit=MAX_CHOICES)
            self.move_products = [{"value": str(p.id), "label": f"{p.name} ({p.sku})"}
                                  for p in page.items]
        if "channel" in kinds:
            self.move_channels = [{"value": c, "label": c} for c in CHANNELS]
        if "reason" in kinds:
            self.move_reasons = list(LOST_REASONS)
        self.move_fields = list(need["fields"])
        self.move_values = {f["key"]: "" for f in need["fields"]}
        self.move_errors = {}
        self.move_title = t("sui.move.title", stage=need["stage_name"])
        self.move_open = True

    def _move(self, ctx: Ctx, fields: dict[str, Any]) -> Any:
        opp_service.move_stage(session=ctx.session, actor=ctx.user,
                               opportunity_id=self._move_opp,  # type: ignore[arg-type]
                               stage_id=self._move_stage, fields=fields)  # type: ignore[arg-type]
        stage = self._move_stage_name
        self._close_move()
        self._after_move(ctx)
        return rx.toast.success(t("sui.move.done", stage=stage))

    def _close_move(self) -> None:
        self.move_open = False
        self.move_errors = {}
        self._move_opp = self._move_stage = self._move_stage_name = ""

    # --- events -------------------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE)
    def request_move(self, ctx: Ctx, opp_id: str, stage_id: str) -> Any:
        """"Mover a…" and the stage path: move, or ask for the stage's required fields."""
        with self._busy("moving_id", str(opp_id), ""):
            yield
            yield self._ask_or_move(ctx, str(opp_id), str(stage_id))

    @rx.event
    def set_move_value(self, key: str, value: str) -> None:
        if key in self.move_values:
            self.move_values = {**self.move_values, key: str(value or "")[:2000]}

    @handler(Perm.RECORDS_CHANGE, errors="move_errors")
    def submit_move(self, ctx: Ctx) -> Any:
        """The dialog's "Mover": the service checks the values; its errors go under each field."""
        if not self._move_opp or not self._move_stage:
            self._close_move()
            return
        with self._busy("move_saving"):
            yield
            yield self._move(ctx, dict(self.move_values))

    @rx.event
    def cancel_move(self) -> None:
        self._close_move()

    @rx.event
    def set_move_open(self, value: bool) -> None:
        if not value:
            self._close_move()


__all__ = ["StageMoveMixin"]
