"""What Inicio and Informes compute, against the hand-computed dataset of
tests/analytics_data.py (November 2025, fiscal year from April), plus the display and export
helpers. The pages' thread functions run for real over a snapshot of that data.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from analytics.scope import Scope
from analytics.snapshot import open_snapshot
from pages import analytics_common as common
from pages import home, reports

NOV_15 = date(2025, 11, 15)


@pytest.fixture(scope="module")
def world(analytics_world):  # noqa: ANN001, ANN201
    return analytics_world.snapshot_dir, analytics_world.data


@pytest.fixture
def pages_on_snapshot(world, monkeypatch):  # noqa: ANN001, ANN201
    """The pages read the test snapshot, and "today" is 20 November 2025."""
    snap_dir, data = world

    def reader():  # noqa: ANN202
        return open_snapshot(target_dir=snap_dir)

    monkeypatch.setattr(common.svc, "open_reader", reader)
    monkeypatch.setattr(home, "today_local", lambda: date(2025, 11, 20))
    monkeypatch.setattr(reports, "today_local", lambda: date(2025, 11, 20))
    return data


def _params(**over):  # noqa: ANN003, ANN202
    base = {"kpis": ["won_amount", "win_rate"], "cut": "channel", "period": "month",
            "ref": NOV_15.isoformat(), "start": "", "end": "", "view": "yoy"}
    return {**base, **over}


def test_report_matrix_by_channel_for_the_company(pages_on_snapshot):
    view = reports.build_report(Scope.company(), _params())
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
    # Year over year: November 2024 had O10 (Feria, 700) won.
    evo = {r[0]: r[1:] for r in view["evo_rows"]}
    assert evo["Feria"][:2] == ["0,00\u00a0€", "700,00\u00a0€"]


def test_report_is_scoped_to_the_comercial(pages_on_snapshot):
    c1 = pages_on_snapshot.people.comercial1
    view = reports.build_report(Scope.own(c1.id), _params(cut="product", view="monthly"))
    rows = {r[0]: r[1] for r in view["matrix_rows"]}
    # comercial1 won O1 (P1, 1000) and O2 (P2, 2500.50) in November; nobody else's deals.
    assert rows["Total"] == "3.500,50\u00a0€"
    assert sorted(v for k, v in rows.items() if k != "Total") == ["1.000,00\u00a0€",
                                                                  "2.500,50\u00a0€"]
    table = view["tables"]["matrix"]
    assert table["rows"][-1][1] == Decimal("3500.50")


def test_report_refuses_a_bad_custom_range(pages_on_snapshot):
    with pytest.raises(common.ValidationFailed):
        reports.build_report(Scope.company(), _params(period="custom", start="2025-11-30",
                                                      end="2025-11-01"))


def test_dashboard_cards_and_team_comparison(pages_on_snapshot):
    p = pages_on_snapshot.people
    own = home.build_dashboard(Scope.own(p.comercial1.id), "month")
    cards = {c["id"]: c for c in own["cards"]}
    assert cards["kpi-won-amount"]["value"] == "3.500,50\u00a0€"
    assert cards["kpi-won-amount"]["vs"] == "vs. octubre de 2025"
    # October 2025: comercial1 won O9 (1500) → +133,4 %.
    assert cards["kpi-won-amount"]["change"] == "▲ 133,4\u00a0%"
    assert cards["kpi-won-amount"]["tone"] == "good"
    assert own["compare_kind"] == "" and own["compare_rows"] == []

    team = home.build_dashboard(Scope.team(p.team_norte.id), "month")
    assert team["compare_kind"] == "owner"
    names = [r["name"] for r in team["compare_rows"]]
    assert names[0] == p.comercial1.name  # highest won first
    assert set(names) >= {p.comercial1.name, p.comercial2.name, p.manager1.name}

    company = home.build_dashboard(Scope.company(), "month")
    assert company["compare_kind"] == "team"
    assert {r["name"] for r in company["compare_rows"]} == {"Norte", "Sur", "Este"}
    assert {c["id"]: c["value"] for c in company["cards"]}["kpi-won-amount"] == \
        "7.500,50\u00a0€"


def test_change_arrows_follow_what_is_good():
    assert common.change_view("won_amount", -0.2) == ("▼ 20,0\u00a0%", "bad")
    assert common.change_view("avg_sales_cycle_days", -0.1) == ("▼ 10,0\u00a0%", "good")
    assert common.change_view("win_rate", None)[1] == "flat"
    assert common.fmt_value("avg_sales_cycle_days", 31.5) == "31,5 días"
    assert common.fmt_value("win_rate", None) == "—"


def test_exports_are_spanish_csv_and_numeric_xlsx():
    table = {"headers": ["Canal", "Importe ganado", "Tasa de éxito"],
             "units": ["text", "money", "ratio"],
             "rows": [["Web", Decimal("1234.5"), 0.25], ["Total", Decimal("1234.5"), None]],
             "file": "x", "sheet": "noviembre de 2025"}
    text = common.csv_bytes(table).decode("utf-8-sig")
    assert text.splitlines() == ["Canal;Importe ganado;Tasa de éxito", "Web;1234,50;25,00",
                                 "Total;1234,50;"]
    ws = load_workbook(io.BytesIO(common.xlsx_bytes(table))).active
    assert ws["B2"].value == 1234.5 and ws["C2"].value == 0.25
    assert ws["C2"].number_format == "0.0%"


def test_chart_clicks_only_pick_among_the_servers_own_bars():
    assert common.point_index([{"curveNumber": 1, "pointNumber": 3, "x": "oct 26"}]) == (1, 3)
    assert common.point_index([{"curveNumber": 0, "pointNumber": -1}]) is None
    assert common.point_index([{"curveNumber": "0", "pointNumber": 2}]) is None
    assert common.point_index([]) is None and common.point_index(None) is None
    assert common.as_index("2") == 2
    assert common.as_index("-1") is None and common.as_index("x") is None
