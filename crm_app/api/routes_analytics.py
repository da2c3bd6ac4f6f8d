"""Analytics over HTTP: KPI summary, drill-down list, snapshot rebuild.

Scope is decided on the server by ``services.analytics.scope_for`` from the caller's role:
``scope=me|team|company`` asks, the role decides. A comercial asking ``scope=company`` (or
``team``) gets **403**, not a silently narrowed answer. Filters (channel, product_id, owner_id,
team_id, stage_id, province) are ANDed with the scope and can only narrow it; with
``scope=team`` a director may name the team with ``team_id``.

Amounts are decimal strings ("7500.50"), dates ISO, times UTC ISO; ratios are numbers from 0
to 1. The snapshot is built on first use; ``snapshot_at`` tells how fresh the figures are.

Handlers are plain ``def``: FastAPI runs them in its thread pool, so DuckDB never blocks the
event loop.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from analytics import kpis, periods
from analytics.scope import Filters
from crm_app.api.deps import CurrentUser, DBSession
from crm_app.api.paging import PAGE_HELP, PAGE_SIZE_HELP, listing
from crm_app.formatting import TZ as MADRID
from crm_app.i18n import t
from crm_app.models.bounds import Day, Id, Limit, Line, Month, PageNumber
from crm_app.services import analytics as svc
from crm_app.services.errors import ValidationFailed

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])

MAX_DAYS = 3 * 366


def _period(start: date | None, end: date | None, fiscal_start: int) -> periods.Period:
    today = datetime.now(MADRID).date()
    if start is None and end is None:
        return periods.month_of(today)
    if start is None or end is None:
        raise ValidationFailed({"from": "Indica from y to (AAAA-MM-DD)."})
    if end < start:
        raise ValidationFailed({"to": "La fecha final es anterior a la inicial."})
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed({"to": "El periodo no puede superar tres años."})
    return periods.infer(start, end, fiscal_start)


def _check_month(month: str | None, period: periods.Period) -> None:
    """A drill-down month (a bar of the chart) must overlap the period it narrows."""
    if month:
        m = periods.parse_month(month)
        if m.end < period.start or m.start > period.end:
            raise ValidationFailed({"month": t("bounds.month_outside")})


def _filters(channel: str | None, product_id: int | None, owner_id: int | None,
             team_id: int | None, stage_id: int | None, province: str | None) -> Filters:
    return Filters(channel=channel or None, product_id=product_id, owner_id=owner_id,
                   team_id=team_id, stage_id=stage_id, province=province or None)


class _Common:
    """The query parameters both GET routes share."""

    def __init__(
        self,
        start: Annotated[Day | None, Query(alias="from")] = None,
        end: Annotated[Day | None, Query(alias="to")] = None,
        scope: Annotated[str | None, Query(pattern="^(me|own|team|company)$")] = None,
        channel: Line | None = None,
        product_id: Id | None = None,
        owner_id: Id | None = None,
        team_id: Id | None = None,
        stage_id: Id | None = None,
        province: Line | None = None,
    ) -> None:
        self.start, self.end, self.scope = start, end, scope
        self.filters = _filters(channel, product_id, owner_id, team_id, stage_id, province)
        self.team_id = team_id


def _resolve(user: Any, q: _Common) -> tuple[Any, Any]:
    team_for_scope = q.team_id if q.scope == "team" else None
    return svc.scope_for(user, q.scope, team_id=team_for_scope), q.filters


@router.get("/summary")
def summary(user: CurrentUser, q: Annotated[_Common, Depends()]) -> dict:
    """The KPIs of the period for the caller's scope (see the module doc)."""
    scope, filters = _resolve(user, q)
    info = svc.ensure_snapshot()
    con = svc.snap.open_snapshot()
    try:
        period = _period(q.start, q.end, kpis.fiscal_start_month(con))
        data = kpis.dashboard(con, scope, period, filters)
    finally:
        con.close()
    data["snapshot_label"] = svc.snapshot_label(data["snapshot_at"])
    data["snapshot_warning"] = svc.snapshot_warning(data["snapshot_at"])
    data["snapshot_version"] = info.version
    data["filters"] = filters.active()
    return svc.jsonable(data)


@router.get("/opportunities")
def opportunities(
    user: CurrentUser,
    session: DBSession,
    q: Annotated[_Common, Depends()],
    status: Annotated[str, Query(pattern="^(open|won|lost|closed|created)$")] = "closed",
    month: Month | None = None,
    order: Annotated[str, Query(pattern="^(amount_desc|amount_asc|closed_desc|created_desc)$")]
    = "amount_desc",
    page: Annotated[PageNumber, Query(description=PAGE_HELP)] = 1,
    page_size: Annotated[Limit, Query(description=PAGE_SIZE_HELP)] = 50,
) -> dict:
    """The opportunities behind a figure (a click on a chart), same scoping as the summary:
    ``{"data", "count"}`` like every list, plus the snapshot's time."""
    scope, filters = _resolve(user, q)
    svc.ensure_snapshot()
    con = svc.snap.open_snapshot()
    try:
        period = _period(q.start, q.end, kpis.fiscal_start_month(con))
        _check_month(month, period)
        result = kpis.opportunities_list(con, scope, period, filters, status=status,
                                         month=month, order=order,
                                         offset=(page - 1) * page_size, limit=page_size)
        built = kpis.snapshot_built_at(con)
    finally:
        con.close()
    names = svc.opportunity_names(session=session, user=user,
                                  ids=[i["opportunity_id"] for i in result["items"]])
    for item in result["items"]:
        item["name"] = names.get(item["opportunity_id"], "")
    return svc.jsonable({**listing(result["items"], result["total"]), "snapshot_at": built,
                         "snapshot_label": svc.snapshot_label(built)})


@router.post("/snapshot")
def rebuild(user: CurrentUser) -> dict:
    """Rebuild the snapshot now (managers, directors, admins)."""
    info = svc.rebuild_snapshot(actor=user)
    return svc.jsonable({"version": info.version, "snapshot_at": info.built_at,
                         "snapshot_label": svc.snapshot_label(info.built_at),
                         "duration_s": info.duration_s, "row_counts": info.row_counts})
