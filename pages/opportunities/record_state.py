"""/oportunidades/[oportunidad_id]: the opportunity's page — its data, the stage path (a click
moves it, asking for the stage's required fields), the stage history and its quotes."""

from __future__ import annotations

from typing import Any, ClassVar

from crm_app.formatting import date_es, datetime_es, money
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import opportunities as opp_service
from crm_app.services import quotes as quote_service
from crm_app.state import AppState, Ctx, handler
from crm_app.state_mixins.activity_log import ActivityLogMixin
from crm_app.state_mixins.record_page import RecordPageMixin
from crm_app.state_mixins.stage_move import StageMoveMixin
from pages.opportunities.rows import card

MAX_QUOTES = 50


class OpportunityRecordState(ActivityLogMixin, RecordPageMixin, StageMoveMixin, AppState):
    opp: dict[str, str] = {}
    stages: list[dict[str, str]] = []
    history: list[dict[str, str]] = []
    quotes: list[dict[str, str]] = []

    _route: ClassVar[str] = "oportunidades"
    _log_link: ClassVar[str] = "opportunity_id"
    _log_done: ClassVar[int] = 10  # no timeline here: the latest logged ones are listed
    _alert_entity: ClassVar[str] = "opportunity"

    def _fill(self, ctx: Ctx) -> None:
        o = opp_service.opportunity_detail(session=ctx.session, actor=ctx.user,
                                           opportunity_id=self.record_id)
        self.opp = {
            **card(o),
            "account_href": f"/clientes/{o['account_id']}" if o["account_id"] else "",
            "contact": o["contact"], "product": o["product"], "channel": o["channel"] or "",
            "description": o["description"], "lost_reason": o["lost_reason"] or "",
            "probability": f"{o['probability']}\u00a0%", "pipeline": o["pipeline"],
            "created_at": date_es(o["created_at"]),
            "days_in_stage": t("sui.opp.days", n=o["days_in_stage"] or 0),
            "edit_href": f"/oportunidades/{o['id']}/editar",
            "new_quote_href": f"/presupuestos/nuevo?oportunidad={o['id']}",
        }
        self.stages = [{"stage_id": str(s["id"]), "name": s["name"], "kind": str(s["kind"]),
                        "current": "1" if s["current"] else ""} for s in o["stages"]]
        self.history = [{"when": datetime_es(h["changed_at"]), "from": h["from_stage"] or "",
                         "to": h["to_stage"], "user": h["changed_by"]}
                        for h in reversed(opp_service.stage_history(
                            session=ctx.session, actor=ctx.user, opportunity_id=self.record_id))]
        page = quote_service.list_quotes(session=ctx.session, actor=ctx.user,
                                         opportunity_id=self.record_id, limit=MAX_QUOTES)
        self.quotes = [{"id": str(q["id"]), "label": q["label"], "status": str(q["status"]),
                        "status_label": q["status_label"], "total": money(q["total"]),
                        "issue_date": date_es(q["issue_date"]),
                        "href": f"/presupuestos/{q['id']}"}
                       for q in map(quote_service.quote_row, page.items)]
        self._load_activities(ctx)

    def _after_move(self, ctx: Ctx) -> None:
        self._fill(ctx)

    def _forget(self) -> None:
        self._close_move()
        self.log_open, self.record_activities = False, []

    @handler()
    def load(self, ctx: Ctx) -> None:
        """on_load: the opportunity of the path (or "no encontrada")."""
        self._open(ctx)

    @handler(Perm.RECORDS_DELETE)
    def delete(self, ctx: Ctx) -> Any:
        yield from self._delete_and_leave(ctx, opp_service.delete_opportunity,
                                          t("sui.opps.deleted"), opportunity_id=self.record_id)


__all__ = ["OpportunityRecordState"]
