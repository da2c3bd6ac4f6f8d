"""Every KPI against figures computed by hand from tests/analytics_data.py.

The data goes through the real path: SQLite rows → ``build_snapshot`` (ADBC → DuckDB file) →
read-only connection → KPI functions. Period under test: November 2025 (local Madrid days);
fiscal year starting in April.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics import kpis
from analytics import periods as pr
from analytics.scope import Filters, Scope
from analytics.snapshot import open_snapshot

D = Decimal
NOV = pr.month(2025, 11)
OCT = pr.month(2025, 10)


@pytest.fixture(scope="module")
def world(analytics_world):  # noqa: ANN001, ANN201
    con = open_snapshot(target_dir=analytics_world.snapshot_dir)
    yield con, analytics_world.data
    con.close()


@pytest.fixture
def con(world):  # noqa: ANN001, ANN201
    return world[0]


@pytest.fixture
def d(world):  # noqa: ANN001, ANN201
    return world[1]


def company() -> Scope:
    return Scope.company()


# ---------------------------------------------------------------- periods


def test_period_helpers():
    assert pr.previous(NOV) == OCT
    assert pr.previous(pr.month(2025, 1)) == pr.month(2024, 12)
    assert pr.same_period_last_year(NOV) == pr.month(2024, 11)
    q = pr.quarter(2025, 4)
    assert (q.start, q.end) == (date(2025, 10, 1), date(2025, 12, 31))
    assert pr.previous(q) == pr.quarter(2025, 3)
    fy = pr.fiscal_year_of(date(2026, 2, 10), 4)
    assert (fy.start, fy.end, fy.label) == (date(2025, 4, 1), date(2026, 3, 31),
                                            "ejercicio 2025/26")
    assert pr.fiscal_year_of(date(2025, 4, 1), 4).start == date(2025, 4, 1)
    assert pr.fiscal_year_of(date(2025, 3, 31), 4).start == date(2024, 4, 1)
    assert pr.previous(fy) == pr.fiscal_year(2024, 4)
    c = pr.custom(date(2025, 11, 10), date(2025, 11, 19))  # 10 days
    assert pr.previous(c) == pr.custom(date(2025, 10, 31), date(2025, 11, 9))
    leap = pr.custom(date(2024, 2, 29), date(2024, 3, 5))
    assert pr.same_period_last_year(leap).start == date(2023, 2, 28)
    assert NOV.label == "noviembre de 2025"
    assert pr.infer(date(2025, 4, 1), date(2026, 3, 31), 4).kind == "fiscal_year"
    assert pr.infer(date(2025, 11, 1), date(2025, 11, 30)).kind == "month"


# ---------------------------------------------------------------- closed deals


def test_closed_summary_company(con):
    s = kpis.closed_summary(con, company(), NOV)
    # won in November (Madrid): O1 1000.00 + O2 2500.50 + O4 4000.00 (31/10 23:30Z = 1/11 local)
    assert s["won_amount"] == D("7500.50")
    assert s["won_count"] == 3
    # lost: O3 (Perdida) + O5 (Cancelada) + O14 (Perdida); the deleted O13 is not counted
    assert s["lost_count"] == 3
    assert s["lost_by_stage"] == {"Cancelada": 1, "Perdida": 2}
    assert s["win_rate"] == 0.5  # 3 ÷ (3 + 3)
    assert s["avg_deal_size"] == D("2500.17")  # 7500.50 ÷ 3 = 2500.1666…
    # cycle days: O1 1/10→10/11 = 40, O2 2/11→20/11 = 18, O4 1/8→1/11 = 92; (40+18+92)/3 = 50
    assert s["avg_sales_cycle_days"] == 50.0


def test_closed_summary_team_and_own(con, d):
    norte = kpis.closed_summary(con, Scope.team(d.people.team_norte.id), NOV)
    # Norte: won O1 1000 + O2 2500.50; lost O3, O14
    assert (norte["won_amount"], norte["won_count"], norte["lost_count"]) == (D("3500.50"), 2, 2)
    assert norte["win_rate"] == 0.5
    assert norte["avg_deal_size"] == D("1750.25")  # 3500.50 ÷ 2
    assert norte["avg_sales_cycle_days"] == 29.0  # (40 + 18) ÷ 2
    sur = kpis.closed_summary(con, Scope.team(d.people.team_sur.id), NOV)
    assert (sur["won_amount"], sur["won_count"], sur["lost_count"]) == (D("4000.00"), 1, 1)
    assert sur["avg_sales_cycle_days"] == 92.0
    c1 = kpis.closed_summary(con, Scope.own(d.people.comercial1.id), NOV)
    assert (c1["won_amount"], c1["won_count"], c1["lost_count"], c1["win_rate"]) == (
        D("3500.50"), 2, 0, 1.0)
    c2 = kpis.closed_summary(con, Scope.own(d.people.comercial2.id), NOV)
    assert (c2["won_amount"], c2["lost_count"], c2["win_rate"]) == (D("0.00"), 1, 0.0)


def test_team_with_no_data(con, d):
    este = Scope.team(d.team_este.id)
    s = kpis.closed_summary(con, este, NOV)
    assert s == {"won_amount": D("0.00"), "won_count": 0, "lost_count": 0, "lost_by_stage": {},
                 "closed_count": 0, "win_rate": None, "avg_deal_size": None,
                 "avg_sales_cycle_days": None}
    assert kpis.pipeline_totals(kpis.pipeline_by_stage(con, este, NOV)) == {
        "open_count": 0, "pipeline_amount": D("0.00"), "weighted_amount": D("0.00")}
    assert kpis.lead_conversion(con, este, NOV)["conversion_rate"] is None
    assert kpis.activities_by_owner(con, este, NOV) == []
    assert [r["reached"] for r in kpis.funnel(con, este, NOV)] == [0, 0, 0, 0]
    assert kpis.comparison_by_owner(con, este, NOV) == []
    teams = kpis.comparison_by_team(con, este, NOV)
    assert [(t["team_name"], t["won_amount"]) for t in teams] == [("Este", D("0.00"))]


def test_empty_period(con):
    feb = pr.month(2025, 2)
    s = kpis.closed_summary(con, company(), feb)
    assert (s["won_count"], s["lost_count"], s["win_rate"], s["avg_deal_size"]) == (
        0, 0, None, None)
    assert kpis.lead_conversion(con, company(), feb) == {
        "leads": 0, "converted": 0, "conversion_rate": None, "responded": 0,
        "avg_response_hours": None}
    assert kpis.quotes_summary(con, company(), feb)["acceptance_rate"] is None
    assert kpis.stage_durations(con, company(), feb) == []
    [m] = kpis.won_by_month(con, company(), feb)
    # fiscal year from April 2024: Apr 2024 – Feb 2025 only O10 (700, Nov 2024)
    assert (m["won_amount"], m["won_amount_prev_year"], m["yoy_change"]) == (
        D("0.00"), D("0.00"), None)
    assert m["cumulative_won_amount"] == D("700.00")


def test_filters_narrow_never_widen(con, d):
    def won(scope, **f):  # noqa: ANN001, ANN202
        s = kpis.closed_summary(con, scope, NOV, Filters(**f))
        return s["won_amount"], s["lost_count"]

    assert won(company(), channel="Web") == (D("1000.00"), 1)  # O1 won, O3 lost
    assert won(company(), channel="LinkedIn") == (D("2500.50"), 0)  # O2's own channel wins
    assert won(company(), province="Sevilla") == (D("4000.00"), 1)  # O4; O5 lost
    assert won(company(), product_id=d.products["P2"].id) == (D("6500.50"), 0)  # O2 + O4
    assert won(company(), owner_id=d.people.comercial3.id) == (D("4000.00"), 1)
    assert won(company(), team_id=d.people.team_sur.id) == (D("4000.00"), 1)
    assert won(company(), stage_id=d.stages["s4"].id) == (D("7500.50"), 0)
    # a Norte scope filtered on a Sur comercial sees nothing
    assert won(Scope.team(d.people.team_norte.id), owner_id=d.people.comercial3.id) == (
        D("0.00"), 0)


# ---------------------------------------------------------------- pipeline


def test_pipeline_by_stage_current(con, d):
    rows = kpis.pipeline_by_stage(con, company(), NOV)
    got = [(r["stage_name"], r["count"], r["amount"], r["weighted_amount"]) for r in rows]
    assert got == [
        ("En análisis", 1, D("10000.00"), D("1000.00")),  # O8 10000 × 10 %
        ("Oferta presentada", 1, D("2000.00"), D("800.00")),  # O7 2000 × 40 %
        ("En negociación", 1, D("5000.00"), D("3500.00")),  # O6 5000 × 70 %
    ]
    assert kpis.pipeline_totals(rows) == {"open_count": 3, "pipeline_amount": D("17000.00"),
                                          "weighted_amount": D("5300.00")}
    norte = kpis.pipeline_totals(kpis.pipeline_by_stage(con, Scope.team(d.people.team_norte.id)))
    assert (norte["pipeline_amount"], norte["weighted_amount"]) == (D("7000.00"), D("4300.00"))
    own = kpis.pipeline_totals(kpis.pipeline_by_stage(con, Scope.own(d.people.comercial1.id)))
    assert (own["pipeline_amount"], own["weighted_amount"]) == (D("5000.00"), D("3500.00"))
    today = pr.month_of(date.today())  # current period: the snapshot's current state
    assert kpis.pipeline_as_of(con, today) is None
    assert kpis.pipeline_totals(kpis.pipeline_by_stage(con, company(), today)) == (
        kpis.pipeline_totals(rows))


def test_pipeline_as_of_end_of_october(con):
    # open at 31/10/2025 24:00 Madrid = 23:00Z: O1 (negociación since 21/10), O3 (oferta since
    # 15/10), O4 (negociación; won at 23:30Z, after the cut), O7 and O14 (análisis)
    rows = kpis.pipeline_by_stage(con, company(), OCT)
    got = [(r["stage_name"], r["count"], r["amount"], r["weighted_amount"]) for r in rows]
    assert got == [
        ("En análisis", 2, D("2600.00"), D("260.00")),  # O7 2000 + O14 600, × 10 %
        ("Oferta presentada", 1, D("800.00"), D("320.00")),  # O3 800 × 40 %
        ("En negociación", 2, D("5000.00"), D("3500.00")),  # (O1 1000 + O4 4000) × 70 %
    ]


def _by(rows):  # noqa: ANN001, ANN202
    return [(r["label"], r["count"], r["amount"], r["weighted"]) for r in rows]


# (as of, dimension, company filters, the open pipeline per label: count, amount, weighted)
PIPELINE_BY = {
    # open at the end of November: O6 (c1, Norte, Madrid, Web, Licencia anual, 5000 × 70 %),
    # O7 (c2, Norte, Barcelona, Feria, Consultoría, 2000 × 40 %), O8 (c3, Sur, Sevilla,
    # Referido, Licencia anual, 10000 × 10 %)
    "nov-product": (NOV, "product", None, [
        ("Licencia anual", 2, "15000.00", "4500.00"), ("Consultoría", 1, "2000.00", "800.00")]),
    "nov-province": (NOV, "province", None, [
        ("Sevilla", 1, "10000.00", "1000.00"), ("Madrid", 1, "5000.00", "3500.00"),
        ("Barcelona", 1, "2000.00", "800.00")]),
    "nov-channel": (NOV, "channel", None, [
        ("Referido", 1, "10000.00", "1000.00"), ("Web", 1, "5000.00", "3500.00"),
        ("Feria", 1, "2000.00", "800.00")]),
    "nov-stage": (NOV, "stage", None, [
        ("En análisis", 1, "10000.00", "1000.00"), ("En negociación", 1, "5000.00", "3500.00"),
        ("Oferta presentada", 1, "2000.00", "800.00")]),
    "nov-product-madrid": (NOV, "product", Filters(province="Madrid"), [
        ("Licencia anual", 1, "5000.00", "3500.00")]),
    # as of the end of October (stage history): O1 (Madrid, Licencia, 1000 × 70 %), O3
    # (Madrid, Licencia, 800 × 40 %), O4 (Sevilla, Consultoría, 4000 × 70 %), O7 (Barcelona,
    # Consultoría, 2000 × 10 %), O14 (Barcelona, Licencia, 600 × 10 %)
    "oct-product": (OCT, "product", None, [
        ("Consultoría", 2, "6000.00", "3000.00"), ("Licencia anual", 3, "2400.00", "1080.00")]),
    "oct-province": (OCT, "province", None, [
        ("Sevilla", 1, "4000.00", "2800.00"), ("Barcelona", 2, "2600.00", "260.00"),
        ("Madrid", 2, "1800.00", "1020.00")]),
}


@pytest.mark.parametrize("case", list(PIPELINE_BY))
def test_pipeline_by_dimension(con, case):
    period, dim, filters, expected = PIPELINE_BY[case]
    assert _by(kpis.pipeline_by(con, company(), period, filters, dim=dim)) == [
        (label, n, D(amount), D(weighted)) for label, n, amount, weighted in expected]


def test_pipeline_by_team_owner_and_bad_dimension(con, d):
    teams = kpis.pipeline_by(con, company(), NOV, dim="team")
    assert [(r["key"], r["amount"]) for r in teams] == [
        (d.people.team_sur.id, D("10000.00")), (d.people.team_norte.id, D("7000.00"))]
    p = d.people
    norte = kpis.pipeline_by(con, Scope.team(p.team_norte.id), NOV, dim="owner")
    assert [(r["key"], r["label"], r["amount"], r["weighted"]) for r in norte] == [
        (p.comercial1.id, p.comercial1.name, D("5000.00"), D("3500.00")),
        (p.comercial2.id, p.comercial2.name, D("2000.00"), D("800.00"))]
    assert kpis.pipeline_by(con, Scope.team(d.team_este.id), NOV, dim="product") == []
    with pytest.raises(ValueError):
        kpis.pipeline_by(con, company(), NOV, dim="colour")


def test_won_by_month_fiscal_april(con):
    [m] = kpis.won_by_month(con, company(), NOV)
    assert m["month"] == "2025-11"
    assert m["won_amount"] == D("7500.50")
    assert m["won_amount_prev_year"] == D("700.00")  # O10, November 2024
    assert m["yoy_change"] == 9.715  # (7500.50 − 700) ÷ 700
    # fiscal year from 1/4/2025: O11 1200 (Apr) + O9 1500 (Oct) + 7500.50 (Nov) = 10200.50
    assert m["cumulative_won_amount"] == D("10200.50")
    assert m["cumulative_won_amount_prev_year"] == D("700.00")  # Apr–Nov 2024: O10
    fy = kpis.won_by_month(con, company(), pr.fiscal_year(2025, 4))
    assert [r["month"] for r in fy][:2] == ["2025-04", "2025-05"] and len(fy) == 12
    assert [r["cumulative_won_amount"] for r in fy] == [
        D("1200.00")] * 6 + [D("2700.00")] + [D("10200.50")] * 5
    assert fy[-1]["won_amount_prev_year"] == D("900.00")  # O12, March 2025
    assert fy[-1]["cumulative_won_amount_prev_year"] == D("1600.00")  # 700 + 900


def test_won_by_month_calendar_fiscal_year(con):
    [m] = kpis.won_by_month(con, company(), NOV, fiscal_start=1)
    # January start: O12 900 (Mar) + O11 1200 (Apr) + O9 1500 (Oct) + 7500.50 = 11100.50
    assert m["cumulative_won_amount"] == D("11100.50")
    ytd = kpis.fiscal_year_to_date(con, company(), NOV)
    assert (ytd["from"], ytd["won_amount"], ytd["won_count"]) == (
        date(2025, 4, 1), D("10200.50"), 5)


# ---------------------------------------------------------------- funnel, stage times


def test_funnel_of_november_cohort(con):
    # created in November: O2 (análisis → negociación → ganada), O5 (análisis → cancelada),
    # O6 (análisis → negociación), O8 (análisis)
    rows = kpis.funnel(con, company(), NOV)
    assert [(r["stage_name"], r["reached"]) for r in rows] == [
        ("En análisis", 4), ("Oferta presentada", 2), ("En negociación", 2), ("Ganada", 1)]
    assert [r["conversion"] for r in rows] == [1.0, 0.5, 1.0, 0.5]
    assert rows[-1]["conversion_from_first"] == 0.25


def test_stage_durations(con):
    rows = {r["stage_name"]: (r["stays"], r["avg_days"])
            for r in kpis.stage_durations(con, company(), NOV)}
    # stays left in November: análisis O2 10, O5 22, O6 10, O7 24, O14 39 → 105 ÷ 5 = 21.0;
    # oferta O3 21; negociación O1 20, O2 8, O4 30.5625 (1/10 10:00 → 31/10 23:30Z) → 19.5
    assert rows == {"En análisis": (5, 21.0), "Oferta presentada": (1, 21.0),
                    "En negociación": (3, 19.5)}


def test_stage_durations_cut_by_the_opportunity(con, d):
    def cut(**f):  # noqa: ANN003, ANN202
        return {r["stage_name"]: (r["stays"], r["avg_days"])
                for r in kpis.stage_durations(con, company(), NOV, Filters(**f))}

    # channel of the account A2 (Feria): O7 24 and O14 39 days in análisis
    assert cut(channel="Feria") == {"En análisis": (2, 31.5)}
    # Consultoría: análisis O2 10, O7 24; negociación O2 8, O4 30.5625
    assert cut(product_id=d.products["P2"].id) == {"En análisis": (2, 17.0),
                                                   "En negociación": (2, 19.3)}
    # the stage filter is the opportunity's current stage: won now (O1, O2, O4)
    assert cut(stage_id=d.stages["s4"].id) == {"En análisis": (1, 10.0),
                                               "En negociación": (3, 19.5)}
    assert cut(province="Sevilla", owner_id=d.people.comercial3.id) == {
        "En análisis": (1, 22.0), "En negociación": (1, 30.6)}  # O5 22; O4 30.5625


# ---------------------------------------------------------------- leads, quotes, activities


def test_lead_conversion_and_response(con, d):
    s = kpis.lead_conversion(con, company(), NOV)
    # L1..L4 created in November; L1 and L3 converted; responses L1 2 h, L2 30 h (first
    # activity, a call), L3 4 h; L4 never → (2 + 30 + 4) ÷ 3 = 12
    assert s == {"leads": 4, "converted": 2, "conversion_rate": 0.5, "responded": 3,
                 "avg_response_hours": 12.0}
    norte = kpis.lead_conversion(con, Scope.team(d.people.team_norte.id), NOV)
    assert (norte["leads"], norte["converted"], norte["conversion_rate"],
            norte["avg_response_hours"]) == (3, 1, 0.3333, 16.0)  # (2 + 30) ÷ 2
    web = kpis.lead_conversion(con, company(), NOV, Filters(channel="Web"))
    assert (web["leads"], web["conversion_rate"], web["avg_response_hours"]) == (2, 0.5, 2.0)


def test_quotes_summary(con, d):
    s = kpis.quotes_summary(con, company(), NOV)
    # latest versions issued in November, drafts out: Q1v2 1000 (aceptado), Q2 2500.50
    # (enviado), Q3 800 (rechazado), Q4 300 (caducado) → 4600.50; accepted 1 of 3 decided
    assert s == {"issued": 4, "quoted_amount": D("4600.50"), "accepted": 1, "rejected": 1,
                 "expired": 1, "pending": 1, "acceptance_rate": 0.3333}
    norte = kpis.quotes_summary(con, Scope.team(d.people.team_norte.id), NOV)
    assert (norte["issued"], norte["quoted_amount"], norte["acceptance_rate"]) == (
        3, D("4300.50"), 0.5)
    assert con.execute("SELECT lines_count, lines_base FROM quotes WHERE number = 'P-2025-0001' "
                       "AND is_latest").fetchone() == (2, D("1000.00"))


def test_activities_by_owner(con, d):
    rows = kpis.activities_by_owner(con, company(), NOV)
    got = {r["owner_name"]: (r["call"], r["meeting"], r["email"], r["task"], r["note"],
                             r["total"]) for r in rows}
    # c1: call, meeting, note (logged), email; the pending task and the deleted call do not
    # count. c2: 2 calls + 1 done task. c3: 1 meeting (its October call is outside).
    assert got == {"Comercial1": (1, 1, 1, 0, 1, 4), "Comercial2": (2, 0, 0, 1, 0, 3),
                   "Comercial3": (0, 1, 0, 0, 0, 1)}
    assert [r["owner_name"] for r in rows] == ["Comercial1", "Comercial2", "Comercial3"]
    assert kpis.activities_by_kind(rows) == {"call": 3, "meeting": 2, "email": 1, "task": 1,
                                            "note": 1, "total": 8}


# ---------------------------------------------------------------- comparison tables


def test_comparison_by_owner_for_norte(con, d):
    rows = kpis.comparison_by_owner(con, Scope.team(d.people.team_norte.id), NOV)
    got = {r["owner_name"]: (r["won_amount"], r["won_count"], r["lost_count"], r["win_rate"],
                             r["pipeline_amount"], r["weighted_amount"], r["activities"])
           for r in rows}
    assert got == {
        "Comercial1": (D("3500.50"), 2, 0, 1.0, D("5000.00"), D("3500.00"), 4),
        "Comercial2": (D("0.00"), 0, 1, 0.0, D("2000.00"), D("800.00"), 3),
        "Manager1": (D("0.00"), 0, 1, 0.0, D("0.00"), D("0.00"), 0),  # O14 lost
    }
    assert rows[0]["owner_name"] == "Comercial1"


def test_comparison_by_team_and_channel(con):
    teams = {r["team_name"]: (r["won_amount"], r["won_count"], r["lost_count"],
                              r["pipeline_amount"], r["weighted_amount"])
             for r in kpis.comparison_by_team(con, company(), NOV)}
    assert teams == {
        "Norte": (D("3500.50"), 2, 2, D("7000.00"), D("4300.00")),  # O6 + O7 open
        "Sur": (D("4000.00"), 1, 1, D("10000.00"), D("1000.00")),  # O8 open
        "Este": (D("0.00"), 0, 0, D("0.00"), D("0.00")),
    }
    channels = {r["channel"]: (r["won_amount"], r["lost_count"], r["win_rate"],
                               r["pipeline_amount"])
                for r in kpis.by_channel(con, company(), NOV)}
    assert channels == {
        "Referido": (D("4000.00"), 1, 0.5, D("10000.00")),  # O4 won, O5 lost, O8 open
        "LinkedIn": (D("2500.50"), 0, 1.0, D("0.00")),  # O2
        "Web": (D("1000.00"), 1, 0.5, D("5000.00")),  # O1 won, O3 lost, O6 open
        "Feria": (D("0.00"), 1, 0.0, D("2000.00")),  # O14 lost, O7 open
    }


# ---------------------------------------------------------------- drill-down and dashboard


def test_opportunities_drill_down(con, d):
    o = {v.id: k for k, v in d.opps.items()}
    won = kpis.opportunities_list(con, company(), NOV, status="won")
    assert won["total"] == 3
    assert [o[i["opportunity_id"]] for i in won["items"]] == ["O4", "O2", "O1"]  # by amount
    first = won["items"][0]
    assert (first["account_name"], first["owner_name"], first["team_name"], first["stage_name"],
            first["product_name"], first["amount"]) == (
        "Gamma Sevilla S.L.", "Comercial3", "Sur", "Ganada", "Consultoría", D("4000.00"))
    page = kpis.opportunities_list(con, company(), NOV, status="won", limit=2, offset=2)
    assert [o[i["opportunity_id"]] for i in page["items"]] == ["O1"]
    opened = kpis.opportunities_list(con, company(), OCT, Filters(stage_id=d.stages["s3"].id),
                                     status="open")
    assert {o[i["opportunity_id"]] for i in opened["items"]} == {"O1", "O4"}
    assert {i["stage_name"] for i in opened["items"]} == {"En negociación"}
    own = kpis.opportunities_list(con, Scope.own(d.people.comercial2.id), NOV, status="lost")
    assert [o[i["opportunity_id"]] for i in own["items"]] == ["O3"]
    created = kpis.opportunities_list(con, company(), NOV, status="created",
                                      order="created_desc")
    assert [o[i["opportunity_id"]] for i in created["items"]] == ["O8", "O6", "O5", "O2"]
    fy = kpis.opportunities_list(con, company(), pr.fiscal_year(2025, 4), status="won",
                                 month="2025-04")
    assert [i["amount"] for i in fy["items"]] == [D("1200.00")]


def _norm(rows):  # noqa: ANN001, ANN202
    return sorted(rows, key=repr)


@pytest.mark.parametrize("which", ["company", "norte", "este", "own", "web", "past"])
def test_dashboard_equals_the_single_kpis(con, d, which):
    scope = {"norte": Scope.team(d.people.team_norte.id), "este": Scope.team(d.team_este.id),
             "own": Scope.own(d.people.comercial1.id)}.get(which, company())
    filters = Filters(channel="Web") if which == "web" else None
    period = pr.fiscal_year(2025, 4) if which == "past" else NOV
    dash = kpis.dashboard(con, scope, period, filters)
    cards = kpis.kpi_cards(con, scope, period, filters)
    cards.update(kpis.pipeline_totals(kpis.pipeline_by_stage(con, scope, period, filters)))
    assert dash["kpis"] == cards
    assert dash["previous"] == kpis.kpi_cards(con, scope, pr.previous(period), filters)
    assert dash["by_stage"] == kpis.pipeline_by_stage(con, scope, period, filters)
    assert dash["by_month"] == kpis.won_by_month(con, scope, period, filters)
    assert dash["fiscal_ytd"] == kpis.fiscal_year_to_date(con, scope, period, filters)
    assert dash["funnel"] == kpis.funnel(con, scope, period, filters)
    assert dash["activities_by_owner"] == kpis.activities_by_owner(con, scope, period, filters)
    assert _norm(dash["by_channel"]) == _norm(kpis.by_channel(con, scope, period, filters))
    if scope.kind == "team":
        assert _norm(dash["by_owner"]) == _norm(
            kpis.comparison_by_owner(con, scope, period, filters))
    if scope.kind == "company":
        assert _norm(dash["by_team"]) == _norm(
            kpis.comparison_by_team(con, scope, period, filters))


def test_dashboard_matches_the_kpis(con, d):
    dash = kpis.dashboard(con, company(), NOV)
    assert dash["kpis"]["won_amount"] == D("7500.50")
    assert dash["kpis"]["pipeline_amount"] == D("17000.00")
    assert dash["kpis"]["activities"] == 8
    assert dash["previous"]["won_amount"] == D("1500.00")  # October: O9
    assert dash["changes"]["won_amount"] == 4.0003  # (7500.50 − 1500) ÷ 1500
    assert "by_team" in dash and "by_owner" not in dash
    assert dash["by_month"] == kpis.won_by_month(con, company(), NOV)
    team = kpis.dashboard(con, Scope.team(d.people.team_norte.id), NOV)
    assert team["kpis"]["won_amount"] == D("3500.50")
    assert {r["owner_name"] for r in team["by_owner"]} == {"Comercial1", "Comercial2",
                                                           "Manager1"}


def test_scope_label_does_not_repeat_the_word_equipo() -> None:
    from analytics.scope import Scope
    from crm_app.services.analytics import scope_label

    assert scope_label(Scope("team", 1), team_name="Equipo Norte") == "Equipo Norte"
    assert scope_label(Scope("team", 1), team_name="Norte") == "Equipo Norte"
