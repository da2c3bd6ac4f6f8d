"""What Inicio and Informes share: periods, KPI display, CSV/XLSX export, the drill-down list
and the "Actualizar datos" button.

Everything that reads the snapshot runs in a worker thread (``rx.run_in_thread``) from a
background event; the scope always comes from ``services.analytics.scope_for(user)`` for the
user behind the session cookie, never from the browser. Chart clicks only say which bar was
touched; the filters behind each bar are kept on the server (backend vars) and can only narrow
that scope.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import reflex as rx
from sqlmodel import Session

from analytics import kpis, periods
from analytics.periods import Period
from analytics.scope import Filters, Scope
from components.empty_state import empty_state
from crm_app.db import get_engine
from crm_app.formatting import TZ, date_es, money, number, percent
from crm_app.i18n import t
from crm_app.models import User
from crm_app.permissions import Perm, PermissionDenied
from crm_app.services import analytics as svc
from crm_app.services.errors import ValidationFailed

PERIOD_KINDS = ("month", "quarter", "fiscal_year")
MAX_DAYS = 3 * 366

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
EXPORT_MAX_ROWS = 10_000


# ---------------------------------------------------------------- periods


def today_local() -> date:
    """Today in the organisation's time zone (Europe/Madrid)."""
    return datetime.now(TZ).date()


def period_for(kind: str, ref: date, fiscal_start: int) -> Period:
    """The month, quarter or fiscal year containing ``ref``."""
    if kind == "month":
        return periods.month_of(ref)
    if kind == "quarter":
        return periods.quarter_of(ref)
    if kind == "fiscal_year":
        return periods.fiscal_year_of(ref, fiscal_start)
    raise ValidationFailed({"period": t("aui.period.bad_date")})


def custom_period(start_text: str, end_text: str) -> Period:
    """A custom range from two ISO dates typed in the browser, validated here."""
    try:
        start, end = date.fromisoformat(start_text), date.fromisoformat(end_text)
    except ValueError as exc:
        raise ValidationFailed({"period": t("aui.period.bad_date")}) from exc
    if end < start:
        raise ValidationFailed({"period": t("aui.period.bad_range")})
    if (end - start).days > MAX_DAYS:
        raise ValidationFailed({"period": t("aui.period.too_long")})
    return periods.custom(start, end)


def month_label(key: str) -> str:
    """``2026-03`` → ``mar 26`` (short, for chart axes on a phone)."""
    year, month = (int(x) for x in key.split("-"))
    return f"{periods.MONTHS_ES[month - 1][:3]} {year % 100:02d}"


# ---------------------------------------------------------------- KPI display


def fmt_value(key: str, value: Any) -> str:
    """A KPI value in es-ES: ``1.234,56 €``, ``25,0 %``, ``31,5 días``, ``1.234``."""
    unit = KPI_META.get(key, ("count", 1))[0]
    if value is None:
        return "—"
    if unit == "money":
        return money(value)
    if unit == "ratio":
        return percent(value)
    if unit == "days":
        return t("aui.days", n=number(value, 1))
    return number(value)


def plain_value(key: str, value: Any) -> float | None:
    """A KPI value as a plain number for charts (ratios in %)."""
    if value is None:
        return None
    unit = KPI_META.get(key, ("count", 1))[0]
    return round(float(value) * 100, 2) if unit == "ratio" else float(value)


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


# ---------------------------------------------------------------- export


def _csv_cell(unit: str, value: Any) -> str:
    if value is None:
        return ""
    if unit == "text":
        return str(value)
    if unit == "ratio":
        return f"{float(value) * 100:.2f}".replace(".", ",")
    if unit == "money":
        return f"{Decimal(value):.2f}".replace(".", ",")
    if unit == "days":
        return f"{float(value):.1f}".replace(".", ",")
    return str(value)


def csv_bytes(table: dict[str, Any]) -> bytes:
    """A table as CSV for a Spanish spreadsheet: ``;`` separated, decimal comma, UTF-8 BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(table["headers"])
    for row in table["rows"]:
        writer.writerow([_csv_cell(u, v) for u, v in zip(table["units"], row, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_XLSX_FORMATS = {"money": '#,##0.00\\ "€"', "ratio": "0.0%", "days": "0.0", "count": "#,##0"}


def xlsx_bytes(table: dict[str, Any]) -> bytes:
    """A table as an Excel workbook with real numbers and es-ES friendly number formats."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = (table.get("sheet") or "Informe")[:31]
    ws.append(list(table["headers"]))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table["rows"]:
        values = []
        for unit, value in zip(table["units"], row, strict=True):
            if value is None or unit == "text":
                values.append(value)
            elif unit == "money":
                values.append(float(Decimal(value)))
            else:
                values.append(value)
        ws.append(values)
        for unit, cell in zip(table["units"], ws[ws.max_row], strict=True):
            if unit in _XLSX_FORMATS:
                cell.number_format = _XLSX_FORMATS[unit]
    for i, header in enumerate(table["headers"], start=1):
        width = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in table["rows"][:200]])
        ws.column_dimensions[ws.cell(row=1, column=i).column_letter].width = min(40, width + 4)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_download(table: dict[str, Any], fmt: str) -> Any:
    name = table.get("file") or "informe"
    if fmt == "xlsx":
        return rx.download(data=xlsx_bytes(table), filename=f"{name}.xlsx",
                           mime_type="application/vnd.openxmlformats-officedocument."
                                     "spreadsheetml.sheet")
    return rx.download(data=csv_bytes(table), filename=f"{name}.csv",
                       mime_type="text/csv;charset=utf-8")


# ---------------------------------------------------------------- drill-down query


def drill_query(user: User, scope: Scope, spec: dict[str, Any], offset: int,
                limit: int) -> tuple[list[dict[str, Any]], int]:
    """One page of the opportunities behind a figure, names read through ``restrict``."""
    con = svc.open_reader()
    try:
        period = periods.custom(date.fromisoformat(spec["start"]),
                                date.fromisoformat(spec["end"]))
        result = kpis.opportunities_list(
            con, scope, period, Filters(**spec.get("filters", {})), status=spec["status"],
            month=spec.get("month"), offset=offset, limit=limit,
            order="closed_desc" if spec["status"] in ("won", "lost", "closed") else
            "amount_desc")
    finally:
        con.close()
    with Session(get_engine()) as session:
        names = svc.opportunity_names(session=session, user=user,
                                      ids=[i["opportunity_id"] for i in result["items"]])
    for item in result["items"]:
        item["name"] = names.get(item["opportunity_id"], "")
    return result["items"], result["total"]


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


DRILL_COLUMNS = [("name", "aui.drill.col.name"), ("account", "aui.drill.col.account"),
                 ("owner", "aui.drill.col.owner"), ("stage", "aui.drill.col.stage"),
                 ("amount", "aui.drill.col.amount"), ("date", "aui.drill.col.date")]


def drill_table(status: str, items: list[dict[str, Any]], title: str) -> dict[str, Any]:
    heads = [t(k) for _, k in DRILL_COLUMNS] + [t("aui.drill.col.channel")]
    rows = [[i["name"] or f"#{i['opportunity_id']}", i["account_name"], i["owner_name"],
             i["stage_name"] or "", i["amount"], date_es(_drill_date(status, i)),
             i["channel"] or ""] for i in items]
    return {"headers": heads, "rows": rows, "file": "oportunidades", "sheet": title,
            "units": ["text", "text", "text", "text", "money", "text", "text"]}


# ---------------------------------------------------------------- the shared state


class AnalyticsMixin(rx.State, mixin=True):
    """Snapshot time, refresh button, drill-down dialog and table exports of a page."""

    snapshot_text: str = ""
    snapshot_warning: str = ""  # the builds after the snapshot shown failed (since when)
    scope_text: str = ""
    loading: bool = False
    refreshing: bool = False
    error_text: str = ""
    drill_open: bool = False
    drill_title: str = ""
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

    def _viewer(self) -> tuple[User, Scope, str]:
        """The signed-in user, the scope their role gets, and its label; else PermissionDenied."""
        with Session(get_engine()) as session:
            user = self._require_user(session, Perm.REPORTS_VIEW)  # type: ignore[attr-defined]
            scope = svc.scope_for(user)
            label = svc.scope_label(scope, session=session)
        # "Equipo {name}" over a team already called "Equipo Norte"
        return user, scope, label

    def _reload_event(self) -> Any:  # overridden by each page
        return None

    def _open_drill(self, spec: dict[str, Any], what: str) -> None:
        """Show the drill-down dialog for ``spec`` (call inside ``async with self``)."""
        self._drill_spec = spec
        self.drill_title = t("aui.drill.title", what=what)
        self.drill_page = 1
        self.drill_rows = []
        self.drill_total = 0
        self.drill_open = True
        self.drill_loading = True

    async def _fetch_drill(self) -> Any:
        """Load the current drill-down page (from a background event)."""
        async with self:
            try:
                user, scope, _ = self._viewer()
            except PermissionDenied as exc:
                self.drill_loading = False
                self.drill_open = False
                return rx.toast.error(exc.message)
            spec = dict(self._drill_spec)
            page = self.drill_page
            self.drill_loading = True
        if not spec:
            return None
        try:
            items, total = await rx.run_in_thread(
                lambda: drill_query(user, scope, spec, (page - 1) * DRILL_PAGE_SIZE,
                                    DRILL_PAGE_SIZE))
        except Exception:  # noqa: BLE001 - shown as a toast, logged by Reflex
            async with self:
                self.drill_loading = False
            return rx.toast.error(t("aui.error"))
        async with self:
            if self._drill_spec == spec and self.drill_page == page:
                self.drill_rows = drill_display(spec["status"], items)
                self.drill_total = total
            self.drill_loading = False
        return None

    # --- events -------------------------------------------------------------------------

    @rx.event(background=True)
    async def drill_next(self) -> Any:
        async with self:
            if self.drill_page * DRILL_PAGE_SIZE < self.drill_total:
                self.drill_page += 1
        return await self._fetch_drill()

    @rx.event(background=True)
    async def drill_prev(self) -> Any:
        async with self:
            if self.drill_page > 1:
                self.drill_page -= 1
        return await self._fetch_drill()

    @rx.event
    def set_drill_open(self, value: bool) -> None:
        self.drill_open = bool(value)

    @rx.event(background=True)
    async def export_drill(self, fmt: str) -> Any:
        """The whole drill-down list (up to 10.000 rows) as CSV or XLSX."""
        async with self:
            try:
                user, scope, _ = self._viewer()
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            spec = dict(self._drill_spec)
            title = self.drill_title
        if not spec:
            return None
        items, _ = await rx.run_in_thread(lambda: drill_query(user, scope, spec, 0,
                                                              EXPORT_MAX_ROWS))
        table = drill_table(spec["status"], items, title)
        return export_download(table, "xlsx" if fmt == "xlsx" else "csv")

    @rx.event
    def export_table(self, name: str, fmt: str) -> Any:
        """One of the tables on screen as CSV or XLSX, built on the server."""
        with Session(get_engine()) as session:
            try:
                self._require_user(session, Perm.REPORTS_VIEW)  # type: ignore[attr-defined]
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
        table = self._tables.get(name)
        if not table:
            return None
        return export_download(table, "xlsx" if fmt == "xlsx" else "csv")

    @rx.event(background=True)
    async def refresh_data(self) -> Any:
        """Rebuild the snapshot now (managers, directors, admins), then reload the page."""
        async with self:
            try:
                user, _, _ = self._viewer()
            except PermissionDenied as exc:
                return rx.toast.error(exc.message)
            if self.refreshing:
                return None
            self.refreshing = True
        try:
            await rx.run_in_thread(lambda: svc.rebuild_snapshot(actor=user))
        except PermissionDenied:
            async with self:
                self.refreshing = False
            return rx.toast.error(t("aui.refresh_denied"))
        except svc.SnapshotFailed as exc:
            # the page reloads to show the warning over the data it still has
            async with self:
                self.refreshing = False
                reload = self._reload_event()
            return [rx.toast.error(exc.message), *([reload] if reload else [])]
        except Exception:  # noqa: BLE001
            async with self:
                self.refreshing = False
            return rx.toast.error(t("aui.error"))
        async with self:
            self.refreshing = False
            reload = self._reload_event()
        return [rx.toast.success(t("analytics.snapshot.rebuilt")), *([reload] if reload else [])]


# ---------------------------------------------------------------- shared components


def snapshot_bar(state: Any, *, can_refresh: rx.Var) -> rx.Component:
    """``Datos de las 10:42`` and, for managers and up, the "Actualizar datos" button; under
    them, when the builds after that snapshot failed, the warning saying so."""
    return rx.vstack(
        rx.hstack(
            rx.hstack(
                rx.icon("clock", size=14, color=rx.color("gray", 10)),
                rx.text(state.snapshot_text, size="2", color_scheme="gray", id="snapshot-at"),
                align="center",
                spacing="1",
            ),
            rx.cond(
                can_refresh,
                rx.button(rx.icon("refresh-cw", size=14), t("aui.refresh"), size="1",
                          variant="soft", loading=state.refreshing,
                          disabled=state.refreshing, on_click=state.refresh_data,
                          id="refresh-data"),
            ),
            rx.cond(state.loading, rx.spinner(size="1")),
            align="center",
            spacing="3",
            wrap="wrap",
        ),
        rx.cond(state.snapshot_warning != "",
                rx.callout(state.snapshot_warning, icon="triangle-alert", color_scheme="amber",
                           size="1", id="snapshot-warning")),
        rx.cond(state.refreshing,
                rx.vstack(rx.progress(duration="4s", width="100%", max_width="320px"),
                          rx.text(t("aui.refreshing"), size="1", color_scheme="gray"),
                          spacing="1", width="100%", data_testid="refresh-progress")),
        spacing="1",
    )


def export_buttons(on_csv: Any, on_xlsx: Any, test_id: str) -> rx.Component:
    return rx.hstack(
        rx.button(rx.icon("download", size=14), t("aui.report.export_csv"), size="1",
                  variant="soft", on_click=on_csv, id=f"{test_id}-csv",
                  aria_label=f"{t('aui.report.export')} CSV"),
        rx.button(rx.icon("sheet", size=14), t("aui.report.export_xlsx"), size="1",
                  variant="soft", on_click=on_xlsx, id=f"{test_id}-xlsx",
                  aria_label=f"{t('aui.report.export')} XLSX"),
        spacing="2",
    )


def drill_dialog(state: Any) -> rx.Component:
    """The opportunities behind a clicked bar: a paginated table in a dialog."""
    def row(item: rx.Var) -> rx.Component:
        return rx.table.row(
            rx.table.cell(rx.text(item["name"], weight="medium")),
            rx.table.cell(item["account"]),
            rx.table.cell(item["owner"]),
            rx.table.cell(item["stage"]),
            rx.table.cell(item["amount"], text_align="right", white_space="nowrap"),
            rx.table.cell(item["date"], white_space="nowrap"),
        )

    table = rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(
                *[rx.table.column_header_cell(t(k)) for _, k in DRILL_COLUMNS])),
            rx.table.body(rx.foreach(state.drill_rows, row)),
            variant="surface", size="1", width="100%",
        ),
        overflow_x="auto", width="100%", data_testid="drill-table",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(state.drill_title, size="4", margin="0",
                                    id="drill-title"),
                    rx.spacer(),
                    rx.dialog.close(rx.icon_button(rx.icon("x"), variant="ghost",
                                                   aria_label=t("aui.drill.close"),
                                                   id="drill-close")),
                    width="100%",
                    align="start",
                ),
                rx.hstack(
                    rx.text(state.drill_count_text, size="2", color_scheme="gray",
                            data_testid="drill-count"),
                    rx.cond(state.drill_loading, rx.spinner(size="1")),
                    rx.spacer(),
                    export_buttons(state.export_drill("csv"), state.export_drill("xlsx"),
                                   "drill-export"),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(state.drill_total > 0, table,
                        rx.cond(state.drill_loading, rx.center(rx.spinner(), width="100%"),
                                empty_state("search-x", t("aui.drill.empty"),
                                            test_id="drill-empty"))),
                rx.cond(
                    state.drill_total > DRILL_PAGE_SIZE,
                    rx.hstack(
                        rx.button(t("common.prev"), variant="soft", size="1",
                                  disabled=~state.drill_has_prev, on_click=state.drill_prev,
                                  id="drill-prev"),
                        rx.text(t("common.page"), " ", state.drill_page, " ", t("common.of"),
                                " ", state.drill_pages, size="2"),
                        rx.button(t("common.next"), variant="soft", size="1",
                                  disabled=~state.drill_has_next, on_click=state.drill_next,
                                  id="drill-next"),
                        align="center", justify="center", width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            max_width="min(960px, 96vw)",
            width="96vw",
            padding="var(--space-4)",
            data_testid="drill-dialog",
        ),
        open=state.drill_open,
        on_open_change=state.set_drill_open,
    )


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



def error_text(exc: Exception) -> str:
    """The Spanish message of a domain error (a field error first)."""
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        return str(next(iter(errors.values())))
    return getattr(exc, "message", None) or t("aui.error")
