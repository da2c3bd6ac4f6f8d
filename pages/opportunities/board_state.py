"""/oportunidades: the board (kanban per pipeline) and the list, one state.

The list is a ``ListState`` (sorts, filters, chips, pager); the board is the same screen's
other view (``view`` = ``kanban`` | ``list``), so the search and the owner and channel filters
carry over when switching. ``_reload`` loads whichever is on screen. Moves ("Mover a…", drag and
drop) come from ``StageMoveMixin``; the board's columns, sums and closed window are the
service's (``kanban``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import money, number
from crm_app.i18n import t
from crm_app.list_state import ListState, with_alert_levels
from crm_app.permissions import Perm
from crm_app.services import lead_options
from crm_app.services import opportunities as opp_service
from crm_app.services import pipelines as pipeline_service
from crm_app.services.links import as_id
from crm_app.state import AppState, Ctx, handler
from crm_app.state_mixins.stage_move import StageMoveMixin
from pages.opportunities.rows import KINDS, card, kind_options, option, stale_options

STALE = {"yes": True, "no": False}
VIEWS_IN_URL = {"tablero": "kanban", "lista": "list"}  # /oportunidades?vista=lista


class OpportunitiesState(StageMoveMixin, ListState, AppState):
    _alert_entity: ClassVar = "opportunity"  # the rows' alert icons
    _sorts: ClassVar = ("name", "amount", "expected_close", "created_at", "stage_entered_at")
    _default_sort: ClassVar = ("created_at", True)
    _views: ClassVar = ("kanban", "list")
    _filter_labels: ClassVar = {
        "stage_id": "opp_ui.filter.stage", "status": "opp_ui.filter.status",
        "owner_id": "opp_ui.filter.owner", "channel": "opp_ui.filter.channel",
        "stale": "opp_ui.filter.stale",
    }

    pipelines: list[dict[str, str]] = []
    pipeline_id: str = ""
    stage_options: list[dict[str, str]] = []  # the pipeline's stages: filter and "Mover a…"
    owners: list[dict[str, str]] = []
    # the board
    columns: list[dict[str, str]] = []
    cards: list[dict[str, str]] = []
    totals: dict[str, str] = {}
    closed_note: str = ""
    dragging: bool = False

    _drag_id: str = ""

    @rx.var
    def count_label(self) -> str:
        return t("opp_ui.count_one") if self.total == 1 else t("count.opportunities")

    # --- ListState hooks ----------------------------------------------------------------------

    def _load_options(self, ctx: Ctx) -> None:
        self.owners = [option(u.id, u.name) for u in
                       lead_options.visible_users(session=ctx.session, actor=ctx.user)]
        pipelines = pipeline_service.list_pipelines(session=ctx.session, actor=ctx.user)
        self.pipelines = [option(p.id, p.name) for p in pipelines]
        if self.pipeline_id not in {p["value"] for p in self.pipelines}:
            default = next((p for p in pipelines if p.is_default), None) or \
                (pipelines[0] if pipelines else None)
            self.pipeline_id = str(default.id) if default else ""
        self._load_stages(ctx)
        wanted = VIEWS_IN_URL.get(str(self.router.url.query_parameters.get("vista", "")))
        if wanted:
            self.view = wanted
        self.dragging, self._drag_id = False, ""
        self._close_move()

    def _load_stages(self, ctx: Ctx) -> None:
        pipeline = as_id(self.pipeline_id)
        stages = pipeline_service.stages_of(session=ctx.session, pipeline_id=pipeline) \
            if pipeline else []
        self.stage_options = [option(st.id, st.name) for st in stages]

    def _chip_text(self, name: str, value: str) -> str:
        options = {"stage_id": self.stage_options, "owner_id": self.owners,
                   "status": kind_options(), "stale": stale_options()}.get(name, [])
        return next((o["label"] for o in options if o["value"] == value), value)

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        f = self.filters
        status = f.get("status", "")
        page = opp_service.list_opportunities(
            session=ctx.session, actor=ctx.user, q=self.q, pipeline_id=as_id(self.pipeline_id),
            stage_id=as_id(f.get("stage_id")), status=status if status in KINDS else "",
            owner_id=as_id(f.get("owner_id")), channel=f.get("channel", ""),
            stale=STALE.get(f.get("stale", "")), sort=("-" if self.desc else "") + self.sort,
            offset=offset, limit=limit)
        rows = opp_service.opportunity_rows(ctx.session, page.items)
        return [card(r) for r in rows], page.total

    def _reload(self, ctx: Ctx) -> None:
        """The view on screen: the list's page, or the board."""
        self._reset_sort()
        if self.view == "list":
            super()._reload(ctx)
            return
        self._make_chips()
        self._load_board(ctx)
        self.loaded = True

    def _load_board(self, ctx: Ctx) -> None:
        f = self.filters
        board = opp_service.kanban(session=ctx.session, actor=ctx.user,
                                   pipeline_id=as_id(self.pipeline_id), q=self.q,
                                   owner_id=as_id(f.get("owner_id")),
                                   channel=f.get("channel", ""))
        self.pipeline_id = str(board["pipeline"]["id"])
        self.columns = [{
            "stage_id": str(c["stage_id"]), "name": c["name"], "kind": str(c["kind"]),
            "probability": f"{c['probability']}\u00a0%", "count": number(c["count"]),
            "amount": money(c["amount"]), "weighted": money(c["weighted"]),
            "more": "1" if c["has_more"] else "", "required": ", ".join(c["required_labels"]),
        } for c in board["columns"]]
        self.cards = with_alert_levels(ctx, "opportunity",
                                       [card(r) for c in board["columns"] for r in c["cards"]])
        totals = board["totals"]
        self.totals = {"count": number(totals["open_count"]),
                       "amount": money(totals["open_amount"]),
                       "weighted": money(totals["open_weighted"])}
        days = board["closed_days"]
        self.closed_note = t("sui.opp.closed_window", days=days) if days else ""

    def _after_move(self, ctx: Ctx) -> None:
        self._reload(ctx)

    # --- the toolbar --------------------------------------------------------------------------

    @handler(errors="filter_errors")
    def set_pipeline(self, ctx: Ctx, value: str) -> None:
        if value not in {p["value"] for p in self.pipelines}:
            return
        self.pipeline_id = value
        self.filters = {k: v for k, v in self.filters.items() if k != "stage_id"}
        self._load_stages(ctx)
        self._filtered(ctx)

    @handler(errors="filter_errors")
    def show_stage(self, ctx: Ctx, stage_id: str) -> None:
        """A column's "Ver todas": the list, filtered to that stage."""
        self.view = "list"
        self.filters = {**self.filters, "stage_id": str(stage_id)}
        self._filtered(ctx)

    # --- drag and drop ------------------------------------------------------------------------

    @rx.event
    def drag_start(self, opp_id: str) -> None:
        self._drag_id = str(opp_id)
        self.dragging = True

    @rx.event
    def drag_end(self) -> None:
        self.dragging = False

    @handler(Perm.RECORDS_CHANGE)
    def drop_on(self, ctx: Ctx, stage_id: str) -> Any:
        """A card dropped on a column: the same move as "Mover a…"."""
        self.dragging = False
        opp_id, self._drag_id = self._drag_id, ""
        current = next((c for c in self.cards if c["id"] == opp_id), None)
        if not opp_id or (current is not None and current["stage_id"] == str(stage_id)):
            return
        with self._busy("moving_id", opp_id, ""):
            yield
            yield self._ask_or_move(ctx, opp_id, str(stage_id))


__all__ = ["OpportunitiesState"]
