"""/api/v1/audit (issue 12): admins read the company's audit log with the issue's filters
(``user_id``, ``entity``, ``entity_id``, ``from``, ``to``), paged ``{data, count}``, and download
it as CSV; other roles get 403; a bad filter is a 422 naming it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
import sales_support as ss
from api_harness import Api, serve_with_people
from sqlmodel import Session


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path) as served, \
            Session(served.engine, expire_on_commit=False) as session:
        people = served.people
        served.acc = ss.account(session, people.comercial1, name="Frutas Ruiz S.L.")  # type: ignore[attr-defined]
        ss.account(session, people.admin, name="Ebro Motor S.L.")
        yield served


def test_the_log_filtered_and_paged(api: Api) -> None:
    r = api.request("admin", "GET", "/api/v1/audit")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "count"} and body["count"] >= 4  # tokens, two customers
    c1 = api.people.comercial1.id
    mine = api.request("admin", "GET", "/api/v1/audit",
                       params={"user_id": c1, "entity": "account"}).json()
    assert mine["count"] == 1
    row = mine["data"][0]
    assert row["entity_label"] == "Cliente" and row["action"] == "create"
    assert row["href"] == f"/clientes/{api.acc.id}" and row["entity_id"] == api.acc.id  # type: ignore[attr-defined]
    assert any(c["field"] == "name" and c["after"] == "Frutas Ruiz S.L." for c in row["changes"])
    assert api.request("admin", "GET", "/api/v1/audit", params={
        "entity": "account", "entity_id": api.acc.id}).json()["count"] == 1  # type: ignore[attr-defined]
    page = api.request("admin", "GET", "/api/v1/audit", params={"page": 2, "page_size": 1})
    assert len(page.json()["data"]) == 1 and page.json()["count"] == body["count"]
    today = api.request("admin", "GET", "/api/v1/audit",
                        params={"from": "2000-01-01", "to": "01/01/2001"}).json()
    assert today["count"] == 0


def test_csv_download(api: Api) -> None:
    r = api.request("admin", "GET", "/api/v1/audit/export", params={"entity": "account"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert 'filename="auditoria-' in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Cuándo" and len(rows) == 3
    assert {row[2] for row in rows[1:]} == {"Cliente"}


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "32/01/2026"}, "from"), ({"from": "2026-02-02", "to": "2026-02-01"}, "to"),
    ({"entity": "Lead!"}, "entity"), ({"user_id": 0}, "user_id")])
def test_bad_filters_are_422(api: Api, params: dict, field: str) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        r = api.request("admin", "GET", path, params=params)
        assert r.status_code == 422, r.text
        assert field in r.json()["errors"]


@pytest.mark.parametrize("who", ["director", "manager1", "comercial1"])
def test_other_roles_get_403(api: Api, who: str) -> None:
    for path in ("/api/v1/audit", "/api/v1/audit/export"):
        assert api.request(who, "GET", path).status_code == 403
    assert api.request(None, "GET", "/api/v1/audit").status_code == 401
