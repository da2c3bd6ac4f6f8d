"""Analytics API (served in process, ``api_harness``): the scope each role gets, 403 for a
scope above the role, filters that narrow and never widen, decimal-string amounts, the
drill-down list and the snapshot rebuild. Figures from tests/analytics_data.py, over the
shared ``analytics_world`` database; the API builds its own snapshot in its data dir on first
use, as in production."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from analytics_data import Data, World
from api_harness import Api, serve_api

NOV = {"from": "2025-11-01", "to": "2025-11-30"}


@dataclass
class Live:
    api: Api
    data: Data

    def get(self, who: str, path: str, **params: object) -> httpx.Response:
        return self.api.request(who or None, "GET", path, params=params)

    def post(self, who: str, path: str) -> httpx.Response:
        return self.api.request(who, "POST", path)

    def summary(self, who: str, **params: object) -> httpx.Response:
        return self.get(who, "/api/v1/analytics/summary", **{**NOV, **params})


@pytest.fixture(scope="module")
def live(analytics_world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("api-analytics") / "data"
    with serve_api(analytics_world.url, data_dir, tokens=analytics_world.tokens) as api:
        yield Live(api=api, data=analytics_world.data)


def test_requires_authentication(live: Live) -> None:
    assert live.summary("").status_code == 401


def test_comercial_gets_own_figures_and_403_above(live: Live) -> None:
    r = live.summary("comercial1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == {"kind": "own", "team_id": None,
                             "user_id": live.data.people.comercial1.id}
    # own: O1 1000.00 + O2 2500.50, as a decimal string
    assert body["kpis"]["won_amount"] == "3500.50"
    assert body["kpis"]["won_count"] == 2
    assert body["kpis"]["pipeline_amount"] == "5000.00"  # O6
    assert body["snapshot_at"] and body["snapshot_label"].startswith("Datos de")
    [month] = body["by_month"]
    assert month == {"month": "2025-11", "won_amount": "3500.50", "won_count": 2,
                     "won_amount_prev_year": "0.00", "yoy_change": None,
                     # fiscal year from April: O9 1500 (Oct) + 3500.50
                     "cumulative_won_amount": "5000.50",
                     "cumulative_won_amount_prev_year": "0.00", "cumulative_yoy_change": None}
    assert {s["stage_name"] for s in body["by_stage"]} >= {"En negociación"}
    # Web (O1, O6), LinkedIn (O2) and Feria (the call on lead L2, a Feria lead)
    assert {c["channel"] for c in body["by_channel"]} == {"Web", "LinkedIn", "Feria"}
    assert "by_owner" not in body and "by_team" not in body
    for scope in ("company", "team"):
        denied = live.summary("comercial1", scope=scope)
        assert denied.status_code == 403, denied.text
    assert live.summary("comercial1", scope="team",
                        team_id=live.data.people.team_sur.id).status_code == 403
    assert live.summary("comercial1", scope="me").json()["kpis"]["won_amount"] == "3500.50"


def test_filters_never_widen_a_scope(live: Live) -> None:
    sur = live.data.people.team_sur.id
    c3 = live.data.people.comercial3.id
    body = live.summary("comercial1", team_id=sur).json()  # a filter, not a scope
    assert body["kpis"]["won_amount"] == "0.00"
    assert live.summary("comercial1", owner_id=c3).json()["kpis"]["won_amount"] == "0.00"
    assert live.summary("manager1", owner_id=c3).json()["kpis"]["won_amount"] == "0.00"


def test_manager_gets_team_and_per_comercial_table(live: Live) -> None:
    body = live.summary("manager1").json()
    assert body["scope"]["kind"] == "team"
    assert body["scope"]["team_id"] == live.data.people.team_norte.id
    assert body["kpis"]["won_amount"] == "3500.50"  # Norte: O1 + O2
    assert body["kpis"]["lost_count"] == 2  # O3, O14
    owners = {r["owner_name"]: r["won_amount"] for r in body["by_owner"]}
    assert owners == {"Comercial1": "3500.50", "Comercial2": "0.00", "Manager1": "0.00"}
    own = live.summary("manager1", scope="me").json()
    assert (own["kpis"]["won_amount"], own["kpis"]["lost_count"]) == ("0.00", 1)  # O14
    assert live.summary("manager1", scope="company").status_code == 403
    assert live.summary("manager1", scope="team",
                        team_id=live.data.people.team_sur.id).status_code == 403


def test_director_and_admin_see_the_company(live: Live) -> None:
    for who in ("director", "admin"):
        body = live.summary(who).json()
        assert body["scope"]["kind"] == "company"
        assert body["kpis"]["won_amount"] == "7500.50"
        assert body["kpis"]["win_rate"] == 0.5
        assert body["previous"]["won_amount"] == "1500.00"  # October: O9
        assert {t["team_name"]: t["won_amount"] for t in body["by_team"]} == {
            "Norte": "3500.50", "Sur": "4000.00", "Este": "0.00"}
        [m] = body["by_month"]
        assert (m["won_amount"], m["won_amount_prev_year"], m["cumulative_won_amount"]) == (
            "7500.50", "700.00", "10200.50")
    sur = live.summary("director", scope="team", team_id=live.data.people.team_sur.id).json()
    assert sur["scope"]["kind"] == "team" and sur["kpis"]["won_amount"] == "4000.00"
    assert sur["by_owner"][0]["owner_name"] == "Comercial3"
    web = live.summary("director", channel="Web").json()
    assert web["kpis"]["won_amount"] == "1000.00"
    assert web["filters"] == {"channel": "Web"}


def test_bad_requests(live: Live) -> None:
    assert live.get("director", "/api/v1/analytics/summary", **{"from": "2025-11-30",
                                                               "to": "2025-11-01"}
                    ).status_code == 422
    assert live.summary("director", scope="everyone").status_code == 422


def test_drill_down_follows_the_same_scope(live: Live) -> None:
    r = live.get("comercial2", "/api/v1/analytics/opportunities", status="lost", **NOV)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1
    [item] = body["data"]
    assert (item["name"], item["amount"], item["stage_name"]) == (
        "Oportunidad O3", "800.00", "Perdida")
    assert live.get("comercial2", "/api/v1/analytics/opportunities", scope="company",
                    **NOV).status_code == 403
    won = live.get("director", "/api/v1/analytics/opportunities", status="won",
                   month="2025-11", page_size=2, **NOV).json()
    assert won["count"] == 3
    assert [i["name"] for i in won["data"]] == ["Oportunidad O4", "Oportunidad O2"]
    page2 = live.get("director", "/api/v1/analytics/opportunities", status="won", page=2,
                     page_size=2, **NOV).json()
    assert [i["name"] for i in page2["data"]] == ["Oportunidad O1"]
    assert {"snapshot_at", "snapshot_label"} <= set(page2)


def test_snapshot_rebuild_is_for_managers_and_up(live: Live) -> None:
    before = live.summary("director").json()["snapshot_version"]
    assert live.post("comercial1", "/api/v1/analytics/snapshot").status_code == 403
    r = live.post("manager1", "/api/v1/analytics/snapshot")
    assert r.status_code == 200, r.text
    assert r.json()["row_counts"]["opportunities"] == 13  # O13 is in the recycle bin
    after = live.summary("director").json()
    assert after["snapshot_version"] != before
    assert after["kpis"]["won_amount"] == "7500.50"
