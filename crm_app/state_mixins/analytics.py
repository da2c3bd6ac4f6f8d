"""What Inicio and Informes share: KPI display, the snapshot's time and "Actualizar datos",
the drill-down dialog (the opportunities behind a figure) and the exports of their tables.

Everything that reads the snapshot runs in a background ``@handler`` through
``rx.run_in_thread``, so a DuckDB query never blocks the tab. The scope always comes from
``services.analytics.scope_for`` for the user behind the session cookie, never from the
browser: a chart click only says which bar was touched, and the filters behind each bar are
kept on the server (backend vars) and can only narrow that scope. Views:
``components.analytics`` (``snapshot_bar``, ``export_buttons``, ``drill_dialog``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

import reflex as rx

from analytics.periods import MONTHS_ES
from crm_app.formatting import TZ, date_es, measure, money, number, percent
from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import analytics as svc
from crm_app.services import table_export
from crm_app.state import Ctx, events, handler, setter

# key -> (unit, direction): unit money|ratio|days|count; +1 = more is better, -1 = less is.
KPI_META: dict[str, tuple[str, int]] = {
    "pipeline_amount": ("money", 1),
    "weighted_amount": ("money", 1),
    "open_count": ("count", 1),
    "won_amount": ("money", 1),
    "won_count": ("count", 1),
    "lost_count": ("count", -1),
    "closed_count": ("count", 1),
    "win_rate": ("ratio", 1),
    "avg_deal_size": ("money", 1),
    "avg_sales_cycle_days": ("days", -1),
    "conversion_rate": ("ratio", 1),
    "activities": ("count", 1),
    "quoted_amount": ("money", 1),
}

# The opportunities behind a KPI (the drill-down's status).
KPI_DRILL_STATUS: dict[str, str] = {
    "pipeline_amount": "open", "weighted_amount": "open", "open_count": "open",
    "won_amount": "won", "won_count": "won", "avg_deal_size": "won",
    "avg_sales_cycle_days": "won", "lost_count": "lost", "closed_count": "closed",
    "win_rate": "closed", "activities": "created",
}

DRILL_PAGE_SIZE = 20
DRILL_COLUMNS = [("name", "aui.drill.col.name"), ("account", "aui.drill.col.account"),
                 ("owner", "aui.drill.col.owner"), ("stage", "aui.drill.col.stage"),
                 ("amount", "aui.drill.col.amount"), ("date", "aui.drill.col.date")]


def today_local() -> date:
    """Today in the organisation's time zone (Europe/Madrid)."""
    return datetime.now(TZ).date()


# ---------------------------------------------------------------- KPI display


def unit_of(key: str) -> str:
    return KPI_META.get(key, ("count", 1))[0]


def fmt_value(key: str, value: Any) -> str:
    """A KPI value in es-ES: ``1.234,56 €``, ``25,0 %``, ``31,5 días``, ``1.234``."""
    unit = unit_of(key)
    text = measure(value, unit)
    return t("aui.days", n=text) if unit == "days" and value is not None else text


def plain_value(key: str, value: Any) -> float | None:
    """A KPI value as a plain number for charts (ratios in %)."""
    if value is None:
        return None
    return round(float(value) * 100, 2) if unit_of(key) == "ratio" else float(value)


def change_view(key: str, rel: float | None) -> tuple[str, str]:
    """(``▲ 12,3 %``, tone) for a relative change; tone is good, bad or flat."""
    if rel is None:
        return t("aui.no_change"), "flat"
    direction = KPI_META.get(key, ("count", 1))[1]
    if rel == 0:
        return f"= {percent(0)}", "flat"
    arrow = "▲" if rel > 0 else "▼"
    tone = "good" if (rel > 0) == (direction > 0) else "bad"
    return f"{arrow} {percent(abs(rel))}", tone


def month_label(key: str) -> str:
    """``2026-03`` → ``mar 26`` (short, for chart axes on a phone)."""
    year, month = (int(x) for x in key.split("-"))
    return f"{MONTHS_ES[month - 1][:3]} {year % 100:02d}"


def point_index(points: Sequence[Any] | None) -> tuple[int, int] | None:
    """(curve, point) of the first clicked point, as plotly reports it, or None."""
    if not points:
        return None
    first = points[0] if isinstance(points[0], dict) else {}
    curve = first.get("curveNumber")
    point = first.get("pointNumber", first.get("pointIndex"))
    if not isinstance(curve, int) or not isinstance(point, int) or curve < 0 or point < 0:
        return None
    return curve, point


def as_index(value: Any) -> int | None:
    """A row index sent by the browser, or None when it is not a non-negative integer."""
    try:
        index = int(value)
    except (TypeError, ValueError):
        return None
    return index if index >= 0 else None


# ---------------------------------------------------------------- the drill-down list


def _drill_date(status: str, item: dict[str, Any]) -> Any:
    if status == "open":
        return item.get("expected_close")
    if status == "created":
        return item.get("created_date")
    return item.get("closed_date")


def drill_display(status: str, items: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [{"name": i["name"] or f"#{i['opportunity_id']}", "account": i["account_name"],
             "owner": i["owner_name"], "stage": i["stage_name"] or "",
             "amount": money(i["amount"]), "date": date_es(_drill_date(status, i)),
             "channel": i["channel"] or "", "id": str(i["opportunity_id"])} for i in items]


def drill_table(status: str, items: list[dict[str, Any]], title: str) -> dict[str, Any]:
    heads = [t(k) for _, k in DRILL_COLUMNS] + [t("aui.drill.col.channel")]
    rows = [[i["name"] or f"#{i['opportunity_id']}", i["account_name"], i["owner_name"],
             i["stage_name"] or "", i["amount"], date_es(_drill_date(status, i)),
             i["channel"] or ""] for i in items]
    return {"headers": heads, "rows": rows, "file": "oportunidades", "sheet": title,
            "units": ["text", "text", "text", "text", "money", "text", "text"]}


def _drill_page(ctx: Ctx, spec: dict[str, Any], offset: int, limit: int
                ) -> tuple[list[dict[str, Any]], int]:
    return svc.opportunities_behind(
        session=ctx.session, actor=ctx.user, status=spec["status"],
        start=date.fromisoformat(spec["start"]), end=date.fromisoformat(spec["end"]),
        filters=spec.get("filters"), offset=offset, limit=limit)


async def download(table: dict[str, Any], fmt: str) -> Any:
    """The browser download of ``table`` as CSV or (``xlsx``) Excel, written in a worker
    thread (a workbook takes ~60 ms)."""
    data, name, mime = await rx.run_in_thread(lambda: table_export.export_file(table, fmt))
    return rx.download(data=data, filename=name, mime_type=mime)


# ---------------------------------------------------------------- the shared state


class AnalyticsMixin(rx.State, mixin=True):
    """Snapshot time, refresh button, drill-down dialog and table exports of a page."""

    snapshot_text: str = ""
    snapshot_warning: str = ""  # the builds after the snapshot shown failed (since when)
    scope_text: str = ""
    loading: bool = False
    refreshing: bool = False
    drill_open: bool = False
    drill_title: str = ""
    drill_heads: list[str] = [t(k) for _, k in DRILL_COLUMNS]
    drill_rows: list[dict[str, str]] = []
    drill_total: int = 0
    drill_page: int = 1
    drill_loading: bool = False

    _drill_spec: dict[str, Any] = {}
    _tables: dict[str, dict[str, Any]] = {}
    _request: int = 0

    @rx.var
    def drill_count_text(self) -> str:
        if self.drill_total == 1:
            return t("aui.drill.count_one")
        return t("aui.drill.count", n=number(self.drill_total))

    @rx.var
    def drill_has_prev(self) -> bool:
        return self.drill_page > 1

    @rx.var
    def drill_has_next(self) -> bool:
        return self.drill_page * DRILL_PAGE_SIZE < self.drill_total

    @rx.var
    def drill_pages(self) -> int:
        return max(1, -(-self.drill_total // DRILL_PAGE_SIZE))

    # --- helpers (not events) -----------------------------------------------------------

    def _reload_event(self) -> Any:
        """Hook: the page's (background) event that recomputes what it shows."""
        return None

    def _scope(self, ctx: Ctx) -> Any:
        """The scope the user's role gets, and its label on the page (call under the lock)."""
        scope = svc.scope_for(ctx.user)
        self.scope_text = svc.scope_label(scope, session=ctx.session)
        return scope

    async def _compute(self, work: Callable[[], Any], show: Callable[[Any], None]) -> None:
        """Run ``work`` (a snapshot read) in a worker thread with the spinner on, then
        ``show`` its result under the lock, unless a newer request started meanwhile (a quick
        second click wins over a slow first one)."""
        async with self:
            self._request += 1
            request = self._request
            self.loading = True
        view = None
        try:
            view = await rx.run_in_thread(work)
        finally:
            async with self:
                if request == self._request:
                    self.loading = False
                    if view is not None:
                        show(view)

    def _chart_spec(self, chart: str, curve: int, point: int
                    ) -> tuple[dict[str, Any], str] | None:
        """Hook: (drill-down spec, what it shows) behind a chart's bar or point, from the keys
        the page kept on the server when it drew the chart; None: nothing to list."""
        return None

    def _row_spec(self, index: int) -> tuple[dict[str, Any], str] | None:
        """Hook: the same for the link of a table's row."""
        return None

    async def _drill(self, ctx: Ctx, spec: Any) -> None:
        async with self:
            found = spec()
            if found is None:
                return
            self._open_drill(*found)
        await self._fetch_drill(ctx)

    def _open_drill(self, spec: dict[str, Any], what: str) -> None:
        """Show the drill-down dialog for ``spec`` (call inside ``async with self``)."""
        self._drill_spec = spec
        self.drill_title = t("aui.drill.title", what=what)
        self.drill_page = 1
        self.drill_rows = []
        self.drill_total = 0
        self.drill_open = True
        self.drill_loading = True

    async def _fetch_drill(self, ctx: Ctx) -> None:
        """Load the drill-down's current page (from a background handler)."""
        async with self:
            spec, page = dict(self._drill_spec), self.drill_page
            self.drill_loading = bool(spec)
        if not spec:
            return
        try:
            items, total = await rx.run_in_thread(lambda: _drill_page(
                ctx, spec, (page - 1) * DRILL_PAGE_SIZE, DRILL_PAGE_SIZE))
        finally:
            async with self:
                self.drill_loading = False
        async with self:
            if self._drill_spec == spec and self.drill_page == page:
                self.drill_rows = drill_display(spec["status"], items)
                self.drill_total = total

    # --- events -------------------------------------------------------------------------

    @handler(Perm.REPORTS_VIEW, background=True)
    async def drill_chart(self, ctx: Ctx, chart: str, points: list) -> None:
        """A click on a chart: the opportunities behind the clicked bar or point (the click
        only says which one; what it means was kept on the server)."""
        hit = point_index(points)
        if hit is not None:
            await self._drill(ctx, lambda: self._chart_spec(str(chart), *hit))

    @handler(Perm.REPORTS_VIEW, background=True)
    async def drill_row(self, ctx: Ctx, index: int) -> None:
        """The link of a table's row: the opportunities behind it."""
        row = as_index(index)
        if row is not None:
            await self._drill(ctx, lambda: self._row_spec(row))

    @handler(Perm.REPORTS_VIEW, background=True)
    async def drill_next(self, ctx: Ctx) -> None:
        async with self:
            if self.drill_page * DRILL_PAGE_SIZE < self.drill_total:
                self.drill_page += 1
        await self._fetch_drill(ctx)

    @handler(Perm.REPORTS_VIEW, background=True)
    async def drill_prev(self, ctx: Ctx) -> None:
        async with self:
            if self.drill_page > 1:
                self.drill_page -= 1
        await self._fetch_drill(ctx)

    set_drill_open = setter("drill_open")

    @handler(Perm.REPORTS_VIEW, background=True)
    async def export_drill(self, ctx: Ctx, fmt: str) -> Any:
        """The whole drill-down list (up to ``DRILL_MAX_ROWS``) as CSV or XLSX."""
        async with self:
            spec, title = dict(self._drill_spec), self.drill_title
        if not spec:
            return None

        def build() -> dict[str, Any]:
            items, _ = _drill_page(ctx, spec, 0, svc.DRILL_MAX_ROWS)
            return drill_table(spec["status"], items, title)

        return await download(await rx.run_in_thread(build), fmt)

    @handler(Perm.REPORTS_VIEW, background=True)
    async def export_table(self, ctx: Ctx, name: str, fmt: str) -> Any:
        """One of the tables on screen (kept on the server as raw figures) as CSV or XLSX."""
        async with self:
            table = self._tables.get(str(name))
        return await download(table, fmt) if table else None

    @handler(Perm.REPORTS_VIEW, background=True)
    async def refresh_data(self, ctx: Ctx) -> Any:
        """Rebuild the snapshot now (managers, directors, admins: the service decides), then
        recompute the page."""
        async with self:
            if self.refreshing:
                return None
            self.refreshing = True
        try:
            await rx.run_in_thread(lambda: svc.rebuild_snapshot(actor=ctx.user))
        except svc.SnapshotFailed as exc:
            # the page is recomputed to show the warning over the data it still has
            return events(rx.toast.error(exc.message), self._reload_event())
        finally:
            async with self:
                self.refreshing = False
        return events(rx.toast.success(t("analytics.snapshot.rebuilt")), self._reload_event())


__all__ = ["DRILL_PAGE_SIZE", "KPI_DRILL_STATUS", "KPI_META", "AnalyticsMixin", "as_index",
           "change_view", "download", "drill_display", "drill_table", "fmt_value",
           "month_label", "plain_value", "point_index", "today_local", "unit_of"]
