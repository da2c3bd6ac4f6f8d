"""What Inicio and Informes compute, against the hand-computed dataset of
tests/analytics_data.py (November 2025, fiscal year from April): the report matrix of
``analytics.report`` (every value kept, rows adding up to the total), the pages' builders, the
display and export helpers; then the pages' states, driven like a browser tab would drive
them (``state_harness``): the dashboard of each role, a change of cut, the exports, a forged
delivery, a tab without session. Everything runs for real over a snapshot of that data (one
world for the module: the app's engine is its database).
"""

from __future__ import annotations

import base64
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select
from state_harness import names, run, run_bg, tab

from analytics import charts, kpis, periods
from analytics import report as rep
from analytics.scope import Filters, Scope
from analytics.snapshot import open_snapshot
from crm_app import db
from crm_app.i18n import t
from crm_app.models import ReportSchedule
from crm_app.services import analytics as svc
from crm_app.services import table_export
from crm_app.services.errors import ValidationFailed
from crm_app.state_mixins import analytics as common
from pages.home import HomeState
from pages.home.build import build_dashboard
from pages.reports import DeliveryState, ReportsState
from pages.reports.build import build_report

NOV_15 = date(2025, 11, 15)
TODAY = date(2025, 11, 20)
FY = periods.fiscal_year(2025, 4)


@pytest.fixture(scope="module")
def world(analytics_world):  # noqa: ANN001, ANN201
    """The shared dataset (``analytics_world``, read-only), its snapshot, and its database
    installed as the app's (for the states)."""
    con = open_snapshot(target_dir=analytics_world.snapshot_dir)
    previous = db.get_engine
    db.get_engine = lambda: analytics_world.engine  # type: ignore[assignment]
    try:
        yield analytics_world.snapshot_dir, analytics_world.data, con
    finally:
        db.get_engine = previous  # type: ignore[assignment]
        con.close()


@pytest.fixture
def con(world):  # noqa: ANN001, ANN201
    return world[2]


@pytest.fixture
def pages_on_snapshot(world, monkeypatch):  # noqa: ANN001, ANN201
    """The pages read the test snapshot."""
    snap_dir, data, _ = world
    monkeypatch.setattr(svc, "open_reader", lambda: open_snapshot(target_dir=snap_dir))
    return data


def _params(**over):  # noqa: ANN003, ANN202
    base = {"kpis": ["won_amount", "win_rate"], "cut": "channel", "period": "month",
            "ref": NOV_15, "start": None, "end": None, "view": "yoy"}
    return {**base, **over}


# ---------------------------------------------------------------- analytics.report


ADDITIVE = ("won_amount", "won_count", "lost_count", "closed_count", "pipeline_amount",
            "open_count", "activities")


@pytest.mark.parametrize("cut", [c for c in rep.CUTS if c != "none"])
def test_the_rows_of_every_cut_add_up_to_the_total(con, cut):
    """Every value of the cut is a row (nothing dropped): their figures add up to the
    period's total, which is the KPI module's own figure for the whole scope."""
    rows = rep.rows_of(con, Scope.company(), FY, cut)
    whole = rep.total(r.parts for r in rows).figures()
    for key in ADDITIVE:
        assert sum(r.figures[key] for r in rows) == whole[key], (cut, key)
    # weighted amounts are rounded to the cent once per row
    assert abs(sum(r.figures["weighted_amount"] for r in rows) - whole["weighted_amount"]) \
        <= Decimal("0.005") * len(rows)
    closed = kpis.closed_summary(con, Scope.company(), FY)
    pipeline = kpis.pipeline_totals(kpis.pipeline_by_stage(con, Scope.company(), FY))
    activities = sum(r["total"] for r in kpis.activities_by_owner(con, Scope.company(), FY))
    assert (whole["won_amount"], whole["won_count"], whole["lost_count"], whole["win_rate"],
            whole["avg_deal_size"], whole["avg_sales_cycle_days"]) == (
        closed["won_amount"], closed["won_count"], closed["lost_count"], closed["win_rate"],
        closed["avg_deal_size"], closed["avg_sales_cycle_days"])
    assert (whole["pipeline_amount"], whole["weighted_amount"], whole["open_count"]) == (
        pipeline["pipeline_amount"], pipeline["weighted_amount"], pipeline["open_count"])
    assert whole["activities"] == activities


def test_a_rows_figures_are_the_kpis_with_that_filter(con, world):
    d = world[1]
    rows = {r.key: r.figures for r in rep.rows_of(con, Scope.company(), FY, "product")}
    p1 = d.products["P1"].id
    assert rows[p1]["won_amount"] == kpis.closed_summary(
        con, Scope.company(), FY, Filters(product_id=p1))["won_amount"]
    assert rows[p1]["pipeline_amount"] == kpis.pipeline_totals(kpis.pipeline_by_stage(
        con, Scope.company(), FY, Filters(product_id=p1)))["pipeline_amount"]


def test_the_tail_is_grouped_as_others_never_dropped(con):
    rows = rep.sort_rows(rep.rows_of(con, Scope.company(), FY, "channel"), "won_amount")
    assert len(rows) == 4  # Web, LinkedIn, Referido, Feria
    shown = rep.with_others(rows, 3)
    assert [r.key for r in shown] == [rows[0].key, rows[1].key, rep.OTHERS]
    for key in ADDITIVE:
        assert sum(r.figures[key] for r in shown) == rep.total(r.parts for r in rows) \
            .figures()[key]
    # a ratio of the tail is the ratio of its deals, not an average of ratios
    tail = rep.total(r.parts for r in rows[2:]).figures()
    assert shown[-1].figures["win_rate"] == tail["win_rate"]
    assert rep.with_others(rows, 4) == rows


def test_the_evolution_keeps_every_value_in_others(con, monkeypatch):
    """The monthly view used to show the first six channels and drop the rest (the demo's
    'Llamada en frío', 7.252,23 €): now the tail is one more series, 'Otros', and each
    month's series add up to that month's total."""
    monkeypatch.setattr(rep, "TOP", 3)
    r = rep.build(con, Scope.company(), kind="fiscal_year", ref=NOV_15, start=None, end=None,
                  cut="channel", view="monthly", keys=["won_amount"], today=TODAY)
    assert [s.key for s in r.series][-1] == rep.OTHERS and len(r.series) == 3
    assert r.months[0] == "2025-04" and r.months[-1] == "2025-11"
    for i, month_total in enumerate(r.month_totals):
        assert sum(s.points[i].figures()["won_amount"] for s in r.series) == \
            month_total.figures()["won_amount"]
    assert sum(t.figures()["won_amount"] for t in r.month_totals) == \
        r.total.figures()["won_amount"]


def test_year_over_year_lists_the_values_of_either_year(con):
    r = rep.build(con, Scope.company(), kind="month", ref=NOV_15, start=None, end=None,
                  cut="channel", view="yoy", keys=["won_amount"], today=TODAY)
    pairs = {p.key: (p.current.figures()["won_amount"], p.last_year.figures()["won_amount"])
             for p in r.pairs}
    assert pairs["Feria"] == (Decimal("0.00"), Decimal("700.00"))  # O10, November 2024
    assert pairs["Referido"][0] == Decimal("4000.00")


def test_period_limits_live_in_analytics():
    assert periods.bounded(date(2025, 1, 1), date(2025, 12, 31)).days == 365
    with pytest.raises(periods.PeriodError) as exc:
        periods.bounded(date(2025, 11, 30), date(2025, 11, 1))
    assert exc.value.code == "bad_range"
    with pytest.raises(periods.PeriodError) as exc:
        periods.bounded(date(2020, 1, 1), date(2025, 1, 1))
    assert exc.value.code == "too_long"
    assert periods.of_kind("quarter", NOV_15).label == "T4 2025"


def test_report_dates_are_spanish_and_bounded():
    assert svc.report_dates(kind="month", ref="15/11/2025", today=TODAY) == (NOV_15, None, None)
    assert svc.report_dates(kind="fiscal_year", ref="", today=TODAY)[0] == TODAY
    assert svc.report_dates(kind="custom", start="01/11/2025", end="2025-11-30",
                            today=TODAY)[1:] == (date(2025, 11, 1), date(2025, 11, 30))
    with pytest.raises(ValidationFailed) as exc:
        svc.report_dates(kind="month", ref="31/02/2025", today=TODAY)
    assert exc.value.errors == {"ref_date": "Fecha no válida."}
    with pytest.raises(ValidationFailed) as exc:
        svc.report_dates(kind="custom", start="30/11/2025", end="01/11/2025", today=TODAY)
    assert exc.value.errors == {"date_to": "La fecha final es anterior a la inicial."}
    with pytest.raises(ValidationFailed) as exc:
        svc.report_dates(kind="custom", start="01/01/2020", end="", today=TODAY)
    assert set(exc.value.errors) == {"date_to"}


# ---------------------------------------------------------------- the pages' builders


def test_report_matrix_by_channel_for_the_company(pages_on_snapshot):
    view = build_report(Scope.company(), _params(), TODAY)
    rows = {r[0]: r[1:] for r in view["matrix_rows"]}
    # Won in November (Madrid days): O4 Referido 4000 (23:30Z on 31/10), O2 LinkedIn
    # 2500.50, O1 Web 1000; lost: O3 Web, O5 Referido, O14 Feria.
    assert rows["Referido"] == ["4.000,00\u00a0€", "50,0\u00a0%"]
    assert rows["LinkedIn"] == ["2.500,50\u00a0€", "100,0\u00a0%"]
    assert rows["Web"] == ["1.000,00\u00a0€", "50,0\u00a0%"]
    assert rows["Total"] == ["7.500,50\u00a0€", "50,0\u00a0%"]
    assert [r[0] for r in view["matrix_rows"]][:3] == ["Referido", "LinkedIn", "Web"]
    assert view["period_label"] == "noviembre de 2025"
    # The drill keys behind each bar are the channel filter, inside the same period.
    assert view["drill"]["rows"][0]["filters"] == {"channel": "Referido"}
    assert view["drill"]["period"][:2] == ("2025-11-01", "2025-11-30")
    # Year over year: November 2024 had O10 (Feria, 700) won; the table ends with the total.
    evo = {r[0]: r[1:] for r in view["evo_rows"]}
    assert evo["Feria"][:2] == ["0,00\u00a0€", "700,00\u00a0€"]
    assert view["evo_rows"][-1][:3] == ["Total", "7.500,50\u00a0€", "700,00\u00a0€"]
    # The export's file name is Spanish, like everything the user reads.
    assert view["tables"]["matrix"]["file"] == "informe-canal-20251101-20251130"
    assert view["tables"]["evolution"]["file"] == "interanual-canal-20251101"


def test_report_charts_group_the_tail_and_say_so(pages_on_snapshot, monkeypatch):
    monkeypatch.setattr(rep, "CHART_ROWS", 3)
    view = build_report(Scope.company(), _params(view="monthly", period="fiscal_year"), TODAY)
    bars = view["matrix_fig"]["data"][0]["customdata"]
    assert len(bars) == 3 and bars[-1] == "Otros"
    assert view["top_note"] == "«Otros» agrupa 2 valores más: todos están en la tabla."
    assert len(view["matrix_rows"]) == 5  # the table keeps every channel and the total
    assert view["drill"]["chart"][-1] == {}  # "Otros" lists nothing: no single filter
    assert view["tables"]["evolution"]["file"] == "evolucion-mensual-canal-20250401"


def test_report_is_scoped_to_the_comercial(pages_on_snapshot):
    c1 = pages_on_snapshot.people.comercial1
    view = build_report(Scope.own(c1.id), _params(cut="product", view="monthly"), TODAY)
    rows = {r[0]: r[1] for r in view["matrix_rows"]}
    # comercial1 won O1 (P1, 1000) and O2 (P2, 2500.50) in November; nobody else's deals.
    assert rows["Total"] == "3.500,50\u00a0€"
    assert sorted(v for k, v in rows.items() if k != "Total") == ["1.000,00\u00a0€",
                                                                  "2.500,50\u00a0€"]
    table = view["tables"]["matrix"]
    assert table["rows"][-1][1] == Decimal("3500.50")
    assert table["file"].startswith("informe-producto-")


def test_report_refuses_a_bad_custom_range(pages_on_snapshot):
    with pytest.raises(periods.PeriodError):
        build_report(Scope.company(), _params(period="custom", start=date(2025, 11, 30),
                                              end=date(2025, 11, 1)), TODAY)


def test_dashboard_cards_and_team_comparison(pages_on_snapshot):
    p = pages_on_snapshot.people
    own = build_dashboard(Scope.own(p.comercial1.id), "month", TODAY)
    cards = {c["id"]: c for c in own["cards"]}
    assert cards["kpi-won-amount"]["value"] == "3.500,50\u00a0€"
    assert cards["kpi-won-amount"]["vs"] == "vs. octubre de 2025"
    # October 2025: comercial1 won O9 (1500) → +133,4 %.
    assert cards["kpi-won-amount"]["change"] == "▲ 133,4\u00a0%"
    assert cards["kpi-won-amount"]["tone"] == "good"
    assert own["compare_kind"] == "" and own["compare_rows"] == []

    team = build_dashboard(Scope.team(p.team_norte.id), "month", TODAY)
    assert team["compare_kind"] == "owner"
    names = [r["name"] for r in team["compare_rows"]]
    assert names[0] == p.comercial1.name  # highest won first
    assert set(names) >= {p.comercial1.name, p.comercial2.name, p.manager1.name}

    company = build_dashboard(Scope.company(), "month", TODAY)
    assert company["compare_kind"] == "team"
    assert {r["name"] for r in company["compare_rows"]} == {"Norte", "Sur", "Este"}
    assert {c["id"]: c["value"] for c in company["cards"]}["kpi-won-amount"] == \
        "7.500,50\u00a0€"


# ---------------------------------------------------------------- display and export helpers


def test_change_arrows_follow_what_is_good():
    assert common.change_view("won_amount", -0.2) == ("▼ 20,0\u00a0%", "bad")
    assert common.change_view("avg_sales_cycle_days", -0.1) == ("▼ 10,0\u00a0%", "good")
    assert common.change_view("win_rate", None)[1] == "flat"
    assert common.fmt_value("avg_sales_cycle_days", 31.5) == "31,5 días"
    assert common.fmt_value("win_rate", None) == "—"
    assert common.month_label("2026-03") == "mar 26"


def test_exports_are_spanish_csv_and_numeric_xlsx():
    table = {"headers": ["Canal", "Importe ganado", "Tasa de éxito"],
             "units": ["text", "money", "ratio"],
             "rows": [["Web", Decimal("1234.5"), 0.25], ["Total", Decimal("1234.5"), None]],
             "file": "x", "sheet": "noviembre de 2025"}
    text = table_export.csv_bytes(table).decode("utf-8-sig")
    assert text.splitlines() == ["Canal;Importe ganado;Tasa de éxito", "Web;1234,50;25,00",
                                 "Total;1234,50;"]
    ws = load_workbook(io.BytesIO(table_export.xlsx_bytes(table))).active
    assert ws["B2"].value == 1234.5 and ws["C2"].value == 0.25
    assert ws["C2"].number_format == "0.0%"
    assert table_export.export_file(table, "xlsx")[1:] == ("x.xlsx", table_export.XLSX_MIME)
    assert table_export.export_file(table, "anything")[1] == "x.csv"


def test_chart_clicks_only_pick_among_the_servers_own_bars():
    assert common.point_index([{"curveNumber": 1, "pointNumber": 3, "x": "oct 26"}]) == (1, 3)
    assert common.point_index([{"curveNumber": 0, "pointNumber": -1}]) is None
    assert common.point_index([{"curveNumber": "0", "pointNumber": 2}]) is None
    assert common.point_index([]) is None and common.point_index(None) is None
    assert common.as_index("2") == 2
    assert common.as_index("-1") is None and common.as_index("x") is None


def test_the_one_chart_builder_reads_on_a_phone():
    """Figures are plain plotly JSON from ``analytics.charts`` (the Reflex card only renders
    them): es-ES separators, long labels cut with the full one in the hover, no zoom."""
    long = "Microsoft 365 Empresa Estándar (anual)"
    fig = charts.bar_chart([long, "Web"], [("Ganado", [1234.5, 10.0])], horizontal=True)
    bar = fig["data"][0]
    assert bar["y"][0].endswith("…") and len(bar["y"][0]) == 24
    assert bar["customdata"] == [long, "Web"] and "%{customdata}" in bar["hovertemplate"]
    assert fig["layout"]["separators"] == ",." and fig["layout"]["dragmode"] is False
    assert fig["layout"]["xaxis"]["ticksuffix"] == " €" and not fig["layout"]["showlegend"]
    line = charts.line_chart(["ene 26"], [("A", [1.0]), ("B", [2.0])], dashes=("solid", "dot"))
    assert [t["line"]["dash"] for t in line["data"]] == ["solid", "dot"]
    assert line["layout"]["showlegend"]
    funnel = charts.funnel_chart(["Nueva", "Ganada"], [10, 2], ["10 · 100 %", "2 · 20 %"])
    assert funnel["layout"]["xaxis"]["visible"] is False
    assert charts.empty_figure()["data"] == []


# ---------------------------------------------------------------- the states, as tabs


@pytest.fixture
def tabs(pages_on_snapshot, monkeypatch):  # noqa: ANN001, ANN201
    """Tabs of the dataset's users; "today" is 20 November 2025 (period: this month)."""
    from pages.home import state as home_state
    from pages.reports import delivery_state
    from pages.reports import state as reports_state

    for module in (home_state, reports_state, delivery_state):
        monkeypatch.setattr(module, "today_local", lambda: TODAY)
    return pages_on_snapshot.people


def _download(events: list) -> tuple[str, bytes]:  # noqa: ANN001
    """(file name, content) of the one download among ``events``."""
    (spec,) = [e for e in events if names([e]) == ["_download"]]
    args = {k._js_expr: v._var_value for k, v in spec.args}
    return args["filename"], base64.b64decode(args["url"].split(",", 1)[1])


@pytest.mark.parametrize(("who", "scope", "won", "compare"), [
    ("comercial1", "Comercial1", "3.500,50\u00a0€", ""),
    ("manager1", "Equipo Norte", "3.500,50\u00a0€", "owner"),
    ("director", "Empresa", "7.500,50\u00a0€", "team")])
def test_the_dashboard_of_each_role(tabs, who, scope, won, compare):
    s = tab(HomeState, getattr(tabs, who), path="/")
    out = run(s.load())
    assert out == [HomeState.load_dashboard]
    today = {c["id"]: c["href"] for c in s.today_cards}
    assert today["kpi-tasks-due"] == "/tareas?vence=hoy"
    assert today["kpi-tasks-overdue"] == "/tareas?vence=vencidas"
    assert run_bg(s, "load_dashboard") == []
    assert (s.scope_text, s.compare_kind, s.period_label) == (scope, compare,
                                                            "noviembre de 2025")
    assert {c["id"]: c["value"] for c in s.cards}["kpi-won-amount"] == won
    assert not s.loading and s.snapshot_text.startswith("Datos de")
    # a click on the first bar of the pipeline lists the open deals of that stage
    run_bg(s, "drill_chart", "pipeline", [{"curveNumber": 0, "pointNumber": 0}])
    assert s.drill_open and not s.drill_loading and "abiertas" in s.drill_title
    # a point the server did not draw opens nothing
    s.drill_open = False
    run_bg(s, "drill_chart", "pipeline", [{"curveNumber": 0, "pointNumber": 99}])
    assert not s.drill_open


def test_a_comercial_may_not_rebuild_the_snapshot(tabs):
    s = tab(HomeState, tabs.comercial1)
    out = run_bg(s, "refresh_data")
    assert "toast" in str(out[0]).lower() and "actualizar los datos" in str(out[0])
    assert not s.refreshing


def test_a_change_of_cut_recomputes_the_report_in_the_scope(tabs):
    s = tab(ReportsState, tabs.director, path="/informes")
    assert names(run(s.open_page())) == []  # two events to run: the report and the PDF card
    s.period_kind = "month"
    run_bg(s, "run_report")
    assert s.ref_date == "20/11/2025" and s.form_errors == {}
    assert s.matrix_head[0] == "Canal" and s.matrix_rows[-1][:2] == ["Total",
                                                                     "7.500,50\u00a0€"]
    assert run(s.set_cut("team")) == [ReportsState.run_report]
    run_bg(s, "run_report")
    assert s.matrix_head[0] == "Equipo"
    assert {r[0] for r in s.matrix_rows} == {"Norte", "Sur", "Este", "Total"}
    # a comercial asking for a team cut gets the total: the cut only narrows their own scope
    c = tab(ReportsState, tabs.comercial1, path="/informes")
    c.cut, c.period_kind = "team", "month"
    run_bg(c, "run_report")
    assert "team" not in c.cut_options and c.matrix_head[0] == ""
    assert c.matrix_rows == [["Total", "3.500,50\u00a0€", "5.000,00\u00a0€"]]


def test_a_bad_date_is_a_field_error_and_keeps_the_report(tabs):
    s = tab(ReportsState, tabs.director, path="/informes")
    s.period_kind = "month"
    run_bg(s, "run_report")
    shown = list(s.matrix_rows)
    assert run(s.set_ref_date("31/02/2025")) == [ReportsState.run_report]
    out = run_bg(s, "run_report")
    assert s.form_errors == {"ref_date": "Fecha no válida."} and s.matrix_rows == shown
    assert t("common.check_fields") in str(out)
    run(s.set_period_kind("custom"))
    s.date_from, s.date_to = "01/11/2025", "30/10/2025"
    run_bg(s, "run_report")
    assert s.form_errors == {"date_to": "La fecha final es anterior a la inicial."}


def test_the_exports_produce_files(tabs):
    s = tab(ReportsState, tabs.director, path="/informes")
    s.period_kind = "month"
    run_bg(s, "run_report")
    name, content = _download(run_bg(s, "export_table", "matrix", "csv"))
    assert name == "informe-canal-20251101-20251130.csv"
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == "Canal;Importe ganado;Pipeline abierto"
    assert "Total;7500,50;17000,00" in lines
    name, content = _download(run_bg(s, "export_table", "evolution", "xlsx"))
    assert name.startswith("evolucion-mensual-canal-") and name.endswith(".xlsx")
    assert load_workbook(io.BytesIO(content)).active["A1"].value == "Mes"
    assert run_bg(s, "export_table", "nothing", "csv") == []
    # the drill-down list of the first row, whole, as Excel
    run_bg(s, "drill_row", 0)
    assert s.drill_total > 0
    name, content = _download(run_bg(s, "export_drill", "xlsx"))
    ws = load_workbook(io.BytesIO(content)).active
    assert name == "oportunidades.xlsx" and ws.max_row == s.drill_total + 1


def test_a_forged_delivery_from_a_comercial_is_refused(tabs):
    s = tab(DeliveryState, tabs.comercial1, path="/informes")
    run(s.load())
    assert s.schedules == [] and s.user_options == [] and s.pdf_month == "2025-10"
    s.new_roles = ["director"]
    out = run(s.add_schedule())
    assert t("common.denied") in str(out[-1])
    with Session(db.get_engine()) as session:
        assert session.exec(select(ReportSchedule)).all() == []


def test_an_admin_schedules_and_removes_a_delivery(tabs):
    s = tab(DeliveryState, tabs.admin, path="/informes")
    run(s.load())
    assert len(s.user_options) == 7
    run(s.add_schedule())
    assert s.schedule_errors == {"recipients": "Elige al menos un rol o un usuario."}
    assert s.schedule_error_text == "Elige al menos un rol o un usuario."
    run(s.toggle_new_role("director", True))
    run(s.add_schedule())
    assert s.schedule_errors == {} and s.new_roles == []
    (row,) = s.schedules
    assert row["recipients"] == "Dirección" and row["active"] == "1"
    assert run(s.delete_schedule("x")) == []  # not an id: nothing happens
    run(s.delete_schedule(row["id"]))
    assert s.schedules == []


@pytest.mark.parametrize(("state", "handler", "args"), [
    (HomeState, "load_dashboard", ()), (ReportsState, "run_report", ()),
    (ReportsState, "export_drill", ("csv",)), (DeliveryState, "download_pdf", ())])
def test_a_tab_without_session_goes_to_the_login_page(pages_on_snapshot, state, handler,
                                                      args):
    s = tab(state, None, path="/informes")
    out = run_bg(s, handler, *args)
    assert names(out) == ["_redirect"] and "/login?next=/informes" in str(out[0].args)
    assert not s.signed_in


def test_a_tab_without_session_gets_no_counts(pages_on_snapshot):
    s = tab(HomeState, None, path="/")
    out = run(s.load())
    assert names(out) == ["_redirect"] and s.today_cards == []
    out = run_bg(s, "export_table", "compare", "csv")
    assert names(out) == ["_redirect"]


# events that only change what the tab shows (a choice, a dialog) and read no data
UI_ONLY = {"setvar", "set_drill_open", "set_period", "open_page", "toggle_kpi", "set_cut",
           "set_period_kind", "set_view", "set_ref_date", "set_date_from", "set_date_to",
           "set_pdf_month", "set_new_frequency", "toggle_new_role", "toggle_new_user"}


@pytest.mark.parametrize("state", [HomeState, ReportsState, DeliveryState])
def test_every_other_event_is_a_handler(state):
    """Each event that reads or changes data goes through ``@handler`` (session, signed-in
    user, permission, error mapping); the rest only store a choice of the tab."""
    plain = {name for name, h in state.event_handlers.items()
             if not hasattr(h.fn, "__crm_handler__")}
    assert plain <= UI_ONLY, plain - UI_ONLY
