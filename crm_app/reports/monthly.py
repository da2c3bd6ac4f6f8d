"""The monthly commercial report (PDF), per scope: comercial, team or company.

``render_monthly_report(user=..., month=...)`` computes the figures of the user's own scope
(``services.analytics.scope_for``) from the analytics snapshot and renders
``templates/monthly.html`` (style in ``templates/monthly.css``) with WeasyPrint: a cover with
the period and the scope, the KPI table against the previous month and the same month a year
before, the fiscal year to date, charts as inline SVG (``svg_charts``), the pipeline by stage,
the funnel and time in stage, and the per-comercial table (managers and directors) and per-team
table (directors). es-ES formats.
"""

from __future__ import annotations

import base64
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import duckdb
from jinja2 import Environment
from markupsafe import Markup

from analytics import kpis, periods
from analytics.scope import Scope
from crm_app.formatting import datetime_es, measure, money, number, percent
from crm_app.gcpause import collector_paused
from crm_app.models import User
from crm_app.reports import svg_charts
from crm_app.reports.rendering import TEMPLATES, environment, font_config, write_pdf
from crm_app.services import analytics as svc

MAX_OWNERS = 20  # a company of 1.000 comerciales gets the top 20 and a "y N más" line


@dataclass(frozen=True)
class KpiRow:
    label: str
    current: str
    previous: str
    previous_change: str
    last_year: str
    last_year_change: str


def signed_change(value: float | None) -> str:
    """``+25,0 %``, ``−3,2 %``, ``—`` when there is nothing to compare with."""
    if value is None:
        return "—"
    text = percent(abs(value))
    return ("+" if value > 0 else "−" if value < 0 else "") + text


KPI_ROWS = (  # key, label, format
    ("won_amount", "Importe ganado", "money"),
    ("won_count", "Oportunidades ganadas", "int"),
    ("lost_count", "Perdidas o canceladas", "int"),
    ("win_rate", "Tasa de éxito", "pct"),
    ("avg_deal_size", "Importe medio ganado", "money"),
    ("avg_sales_cycle_days", "Ciclo de venta medio (días)", "days"),
    ("pipeline_amount", "Pipeline abierto al cierre", "money"),
    ("weighted_amount", "Pipeline ponderado al cierre", "money"),
    ("leads", "Leads nuevos", "int"),
    ("conversion_rate", "Conversión lead → oportunidad", "pct"),
    ("avg_response_hours", "Tiempo de respuesta medio (h)", "days"),
    ("issued", "Presupuestos emitidos", "int"),
    ("quoted_amount", "Importe presupuestado (base)", "money"),
    ("acceptance_rate", "Tasa de aceptación de presupuestos", "pct"),
    ("activities", "Actividades realizadas", "int"),
)


def _points(a: float | None, b: float | None) -> str:
    """Difference of two rates in percentage points: ``+12,5 p.p.``."""
    if a is None or b is None:
        return "—"
    text = f"{(a - b) * 100:+.1f}".replace(".", ",").replace("-", "−")
    return f"{text}\u00a0p.p."


def _kpi_rows(cur: dict, prev: dict, last: dict) -> list[KpiRow]:
    rows = []
    for key, label, kind in KPI_ROWS:
        c, p, ly = cur.get(key), prev.get(key), last.get(key)
        if kind == "pct":  # a rate changes in points, not in percent of itself
            pc, lc = _points(c, p), _points(c, ly)
        else:
            pc, lc = signed_change(kpis.change(c, p)), signed_change(kpis.change(c, ly))
        rows.append(KpiRow(label, measure(c, kind), measure(p, kind), pc, measure(ly, kind), lc))
    return rows


@lru_cache(maxsize=1)
def _env() -> Environment:
    return environment(money=money, pct=percent, num=number, change=signed_change,
                       days=lambda v: measure(v, "days"))


def report_data(con: duckdb.DuckDBPyConnection, *, scope: Scope, month: periods.Period,
                scope_label: str, now: datetime | None = None) -> dict[str, Any]:
    """Everything the template shows, computed from the snapshot behind ``con``."""
    now = now or datetime.now(UTC)
    meta = con.execute("SELECT built_at, fiscal_year_start_month, org_name "
                       "FROM snapshot_meta").fetchone()
    built_at, fy_start, org_name = meta[0].replace(tzinfo=UTC), int(meta[1]), meta[2]
    prev = periods.previous(month)
    last_year = periods.same_period_last_year(month)
    fy = periods.fiscal_year_of(month.start, fy_start)
    # the queries other than the dashboard's run beside it, each on its own cursor: DuckDB
    # releases the GIL, and most of these are too small to keep both cores busy alone
    with ThreadPoolExecutor(max_workers=2) as pool:
        prev_pipe = _beside(pool, con, kpis.pipeline_by_stage, scope, prev)
        ly_pipe = _beside(pool, con, kpis.pipeline_by_stage, scope, last_year)
        ly_kpis = _beside(pool, con, kpis.kpi_cards, scope, last_year)
        months = _beside(pool, con, kpis.won_by_month, scope,
                         periods.custom(fy.start, month.end), fiscal_start=fy_start)
        by_owner = (_beside(pool, con, kpis.comparison_by_owner, scope, month)
                    if scope.kind == "company" else None)
        dash = kpis.dashboard(con, scope, month, previous=prev)
        cur = dash["kpis"]
        prev_cards = {**dash["previous"], **kpis.pipeline_totals(prev_pipe.result())}
        ly_cards = {**ly_kpis.result(), **kpis.pipeline_totals(ly_pipe.result())}
        fy_months = months.result()
        company_owners = by_owner.result() if by_owner is not None else []
    labels = [_month_short(m["month"]) for m in fy_months]
    charts = {
        "by_month": _chart(svg_charts.bar_chart(
            labels, [("Ganado", [m["won_amount"] for m in fy_months]),
                     ("Año anterior", [m["won_amount_prev_year"] for m in fy_months])],
            title=f"Ganado por mes · ejercicio {periods.fiscal_year_label(fy.start, fy_start)}")),
        "cumulative": _chart(svg_charts.line_chart(
            labels, [("Acumulado", [m["cumulative_won_amount"] for m in fy_months]),
                     ("Año anterior", [m["cumulative_won_amount_prev_year"]
                                       for m in fy_months])],
            title="Ganado acumulado del ejercicio")),
        "pipeline": _chart(svg_charts.hbar_chart(
            [r["stage_name"] for r in dash["by_stage"]],
            [r["amount"] for r in dash["by_stage"]],
            secondary=[r["weighted_amount"] for r in dash["by_stage"]],
            value_labels=[money(r["amount"]) for r in dash["by_stage"]],
            title="Pipeline abierto por etapa")),
        "funnel": _chart(svg_charts.hbar_chart(
            [r["stage_name"] for r in dash["funnel"]], [r["reached"] for r in dash["funnel"]],
            value_labels=[f"{number(r['reached'])} · {percent(r['conversion_from_first'])}"
                          if r["conversion_from_first"] is not None else number(r["reached"])
                          for r in dash["funnel"]],
            title="Embudo de conversión", color_index=2)),
    }
    owners: list[dict[str, Any]] = []
    hidden = 0
    if scope.kind == "team":
        owners = dash["by_owner"]
    elif scope.kind == "company":
        owners = company_owners
        hidden = max(0, len(owners) - MAX_OWNERS)
        owners = owners[:MAX_OWNERS]
    teams = {t: n for t, n in con.execute("SELECT team_id, team_name FROM teams").fetchall()}
    for row in owners:
        row["team_name"] = teams.get(row.get("team_id"), "")
    return {
        "org_name": org_name or "CRM",
        "title": "Informe comercial mensual",
        "month_label": month.label.capitalize(),
        "month": month,
        "prev_label": prev.label.capitalize(),
        "last_year_label": last_year.label.capitalize(),
        "scope": scope,
        "scope_label": scope_label,
        "generated": datetime_es(now),
        "snapshot_label": svc.snapshot_label(built_at, now),
        "fy_label": periods.fiscal_year_label(fy.start, fy_start),
        "fy_from": fy.start,
        "kpi_rows": _kpi_rows(cur, prev_cards, ly_cards),
        "ytd": dash["fiscal_ytd"],
        "fy_months": fy_months,
        "month_short": _month_short,
        "by_stage": dash["by_stage"],
        "pipeline": kpis.pipeline_totals(dash["by_stage"]),
        "funnel": dash["funnel"],
        "stage_durations": dash["stage_durations"],
        "owners": owners,
        "hidden_owners": hidden,
        "teams": dash.get("by_team", []),
        # per comercial for a team or a person; a company has the activities column of the
        # team table (1.000 rows would bury the report). Channels are in Informes.
        "activities": [] if scope.kind == "company" else dash["activities_by_owner"][:60],
        "activity_kinds": dash["activities_by_kind"],
        "charts": charts,
        "lost_by_stage": cur["lost_by_stage"],
    }


def _beside(pool: ThreadPoolExecutor, con: duckdb.DuckDBPyConnection, fn: Any, *args: Any,
            **kwargs: Any) -> Future:
    """``fn(cursor, *args, **kwargs)`` in ``pool`` on a cursor of its own (a DuckDB
    connection is not for two threads at once)."""
    def run() -> Any:
        cur = con.cursor()
        try:
            return fn(cur, *args, **kwargs)
        finally:
            cur.close()

    return pool.submit(run)


def _chart(svg: str) -> Markup:
    """An SVG chart as an ``<img>`` with a data URI rather than inline markup: WeasyPrint
    draws it as the same vectors, but inline SVG is parsed as HTML and every element of it
    goes through the CSS cascade first (~5 % of a render)."""
    data = base64.b64encode(svg.encode()).decode("ascii")
    return Markup(f'<img src="data:image/svg+xml;base64,{data}" alt="">')


def _month_short(key: str) -> str:
    year, mon = key.split("-")
    return f"{periods.MONTHS_ES[int(mon) - 1][:3]} {year[2:]}"


_TABLE_GAP = re.compile(r">\s+(?=</?(?:t[dhr]|thead|tbody|colgroup|col|table)\b)")


def render_html(data: dict[str, Any]) -> str:
    """The report as HTML, without the line breaks and indentation between table tags: they
    mean nothing inside a table, but each is parsed and turned into a box WeasyPrint then
    drops (~1.5 % of a render)."""
    return _TABLE_GAP.sub(">", _env().get_template("monthly.html").render(**data))


@lru_cache(maxsize=1)
def _stylesheet() -> Any:
    """``monthly.css``, parsed once per process (~14 ms a render otherwise). Given to
    WeasyPrint as a user stylesheet: it still wins over the user-agent one, and the
    template's own ``<style>`` (the page set-up) is the only author style."""
    from weasyprint import CSS

    return CSS(filename=str(TEMPLATES / "monthly.css"), font_config=font_config())


def render_pdf(html: str) -> bytes:
    with collector_paused():  # a render would set off a full collection (~10 %)
        return write_pdf(html, stylesheets=[_stylesheet()])


def render_monthly_report(*, user: User, month: date, con: duckdb.DuckDBPyConnection | None = None,
                          scope: Scope | None = None, now: datetime | None = None,
                          scope_label: str | None = None) -> bytes:
    """The PDF of ``month`` (any day in it) for ``user``'s own scope (the widest their role
    allows), or ``scope`` when given (checked by ``scope_for`` against the user). ``con``: an
    open snapshot connection to reuse (e.g. one per delivery run); opened here if None."""
    if scope is None:
        scope = svc.scope_for(user)
    else:
        svc.scope_for(user, {"own": "me"}.get(scope.kind, scope.kind),
                      team_id=scope.team_id if scope.kind == "team" else None,
                      user_id=scope.user_id if scope.kind == "own" else None)
    own = con is None
    con = con or svc.open_reader()
    try:
        if scope_label is None:
            scope_label = _label_from_snapshot(con, scope)
        data = report_data(con, scope=scope, month=periods.month_of(month),
                           scope_label=scope_label, now=now)
    finally:
        if own:
            con.close()
    return render_pdf(render_html(data))


def _label_from_snapshot(con: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    if scope.kind == "team":
        row = con.execute("SELECT team_name FROM teams WHERE team_id = ?",
                          [scope.team_id]).fetchone()
        return svc.scope_label(scope, team_name=row[0] if row else str(scope.team_id))
    if scope.kind == "own":
        row = con.execute("SELECT user_name FROM users WHERE user_id = ?",
                          [scope.user_id]).fetchone()
        return svc.scope_label(scope, user_name=row[0] if row else str(scope.user_id))
    return svc.scope_label(scope)


__all__ = ["render_monthly_report", "report_data"]
