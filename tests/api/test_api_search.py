"""Search through the API (served in process by ``api_harness``, on a database migrated with
Alembic), on SQLite and PostgreSQL: ``q=%``, ``q=_`` and ``q=\\`` find only the records that
contain them, and accents and case are ignored, on every list of the API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from api_harness import Api, serve_api, tokens_for
from factories import make_people
from live_api import migrated_session

NAMES = ["García Pérez", "garcia lopez", "Muñoz Hermanos", "Munoz Viajes",
         "Ahorro 100% Seguro", "Red_Norte", "Barra\\Inversa", "Zapatería Luz"]
QUERIES = {
    "garcia": ["García Pérez", "garcia lopez"],
    "GARCÍA": ["García Pérez", "garcia lopez"],
    "munoz": ["Munoz Viajes", "Muñoz Hermanos"],
    "MUÑOZ": ["Munoz Viajes", "Muñoz Hermanos"],
    "zapateria": ["Zapatería Luz"],
    "%": ["Ahorro 100% Seguro"],
    "_": ["Red_Norte"],
    "r_d": [],
    "\\": ["Barra\\Inversa"],
}


@dataclass
class Live:
    api: Api
    accounts: dict[int, str] = field(default_factory=dict)  # id -> name, for the quotes

    def client(self) -> httpx.Client:
        return self.api.client("admin")


@pytest.fixture(scope="module",
                params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Live]:
    tmp: Path = tmp_path_factory.mktemp("search-api")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'api.db'}"
    else:
        url = request.getfixturevalue("pg_server").create_database("crm_search_api")
    with migrated_session(url) as s:  # alembic upgrade head: the schema of migration 0003
        tokens = tokens_for(s, [make_people(s).admin])
    with serve_api(url, tmp / "data", tokens=tokens) as api:
        live = Live(api=api)
        with live.client() as c:
            for i, name in enumerate(NAMES):
                def post(path: str, body: dict) -> dict:
                    r = c.post(path, json=body)
                    assert r.status_code == 201, (path, r.text)
                    return r.json()
                post("/api/v1/leads", {"company": name, "phone": f"6000000{i:02d}"})
                acc = post("/api/v1/accounts", {"name": name, "province": "Soria",
                                                "email": f"c{i}@cliente.es"})
                live.accounts[acc["id"]] = name
                post("/api/v1/contacts", {"first_name": "Ana", "last_name": name})
                post("/api/v1/opportunities", {"name": name, "amount": "100"})
                post("/api/v1/products", {"name": name, "sku": f"SKU{i}",
                                          "unit_price": "10", "tax_rate": "21"})
                post("/api/v1/quotes", {"account_id": acc["id"], "lines": [
                    {"description": "Servicio", "quantity": "1", "unit_price": "10",
                     "tax_rate": "21"}]})
        yield live


def found(live: Live, c: httpx.Client, path: str, q: str) -> list[str]:
    """What the list at ``path`` finds for ``q``: every list answers ``{data, count}``."""
    r = c.get(path, params={"q": q, "page_size": 200})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["data"])
    if path == "/api/v1/leads":
        return sorted(x["company"] for x in body["data"])
    if path == "/api/v1/quotes":
        return sorted(live.accounts[x["account_id"]] for x in body["data"])
    key = "last_name" if path == "/api/v1/contacts" else "name"
    return sorted(x[key] for x in body["data"])


@pytest.mark.parametrize("path", ["/api/v1/leads", "/api/v1/accounts", "/api/v1/contacts",
                                  "/api/v1/opportunities", "/api/v1/products",
                                  "/api/v1/quotes"])
def test_search_is_literal_and_folded(live: Live, path: str) -> None:
    with live.client() as c:
        assert found(live, c, path, "") == sorted(NAMES)
        wrong = {q: got for q, want in QUERIES.items()
                 if (got := found(live, c, path, q)) != sorted(want)}
        assert not wrong, wrong
        # the folded column never leaves the server
        r = c.get(path, params={"q": "garcia"})
        assert "search_text" not in r.text
