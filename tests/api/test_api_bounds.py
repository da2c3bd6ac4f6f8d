"""Out-of-range and malformed input over real HTTP: a 422 naming the field, never a 500.

Issue 10, section 4: each case below answered 500 before the bounded types
(``crm_app.models.bounds``) and the guarded date and decimal arithmetic of the services —
ids past 2^63, offsets of 10^19, years 1 and 9999, a 13th month, a kanban window of 10^12
days, dates whose arithmetic leaves year 1..9999, a tax rate of 1e400, lone UTF-16
surrogates in JSON strings. The API is served in process (``api_harness``; an exception in a
route fails the test with its traceback) over a migrated SQLite file with some rows
(``live_seed``); requests carry personal API tokens.

``test_openapi_publishes_the_bounds`` keeps new routes honest: every integer parameter and
body field has a minimum and a maximum, every string a length or a pattern, every operation
that takes input documents the 422 ``{"detail", "errors"}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from api_harness import Api, serve_api
from live_seed import seed_database

from crm_app.api.app import build_api

BIG = "99999999999999999999"  # > 2^63
SURROGATE = '"\\ud800"'  # a lone UTF-16 surrogate, as a JSON string (valid JSON, not UTF-8)


@dataclass
class Live:
    api: Api
    ids: dict[str, Any]

    def send(self, method: str, path: str, *, params: dict | None = None,
             body: str | None = None, who: str = "admin") -> httpx.Response:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        return self.api.request(who, method, path.format(**self.ids), params=params,
                                content=body, headers=headers)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("bounds")
    url, tokens, ids = seed_database(tmp, ("admin", "comercial1"))
    with serve_api(url, tmp / "data", tokens=tokens) as api:
        yield Live(api=api, ids=ids)


# (method, path, query, raw JSON body, field named in the 422)
CASES = [
    # ids above 2^63 in paths and filters
    ("GET", f"/api/v1/leads/{BIG}", None, None, "lead_id"),
    ("GET", f"/api/v1/accounts/{BIG}/360", None, None, "account_id"),
    ("DELETE", f"/api/v1/opportunities/{BIG}", None, None, "opportunity_id"),
    ("POST", f"/api/v1/quotes/{BIG}/accept", None, None, "quote_id"),
    ("GET", f"/api/v1/products/{BIG}", None, None, "product_id"),
    ("GET", "/api/v1/accounts", {"owner_id": BIG}, None, "owner_id"),
    ("GET", "/api/v1/contacts", {"team_id": BIG}, None, "team_id"),
    ("GET", "/api/v1/opportunities", {"owner_id": BIG}, None, "owner_id"),
    ("GET", "/api/v1/leads", {"owner_id": ["1", BIG]}, None, "owner_id"),
    ("GET", "/api/v1/analytics/summary", {"product_id": BIG}, None, "product_id"),
    ("POST", "/api/v1/leads/bulk", None, f'{{"ids": [{BIG}], "action": "delete"}}', "ids.0"),
    ("PATCH", "/api/v1/accounts/{account}", None, f'{{"owner_id": {BIG}}}', "owner_id"),
    # paging
    ("GET", "/api/v1/accounts", {"offset": "1e19"}, None, "offset"),
    ("GET", "/api/v1/contacts", {"offset": "10000000000000000000"}, None, "offset"),
    ("GET", "/api/v1/leads", {"page": BIG}, None, "page"),
    ("GET", "/api/v1/accounts", {"page": BIG}, None, "page"),
    ("GET", "/api/v1/quotes", {"page_size": "10000000000000000000"}, None, "page_size"),
    # years, months, day windows and dates whose arithmetic leaves year 1..9999
    ("GET", "/api/v1/quotes", {"year": "0001"}, None, "year"),
    ("GET", "/api/v1/quotes", {"year": "9999"}, None, "year"),
    ("GET", "/api/v1/opportunities/kanban", {"closed_days": "1000000000000"}, None,
     "closed_days"),
    ("GET", "/api/v1/opportunities/kanban", {"closed_days": "740000"}, None, "closed_days"),
    ("GET", "/api/v1/opportunities", {"closed_to": "9999-12-31"}, None, "closed_to"),
    ("GET", "/api/v1/leads", {"created_to": "31/12/9999"}, None, "created_to"),
    ("PATCH", "/api/v1/opportunities/{opportunity}", None,
     '{"created_at": "0001-01-01T00:00:00+01:00"}', "created_at"),
    ("PATCH", "/api/v1/accounts/{account}", None,
     '{"created_at": "0001-01-01T00:00:00+01:00"}', "created_at"),
    ("PATCH", "/api/v1/quotes/{quote}", None, '{"issue_date": "9999-12-31"}', "issue_date"),
    ("GET", "/api/v1/analytics/opportunities", {"month": "2026-13"}, None, "month"),
    ("GET", "/api/v1/analytics/opportunities",
     {"month": "2020-01", "from": "2025-11-01", "to": "2025-11-30"}, None, "month"),
    ("GET", "/api/v1/analytics/summary", {"from": "0001-01-01", "to": "0001-01-31"}, None,
     "from"),
    # decimals past what Decimal arithmetic can round
    ("POST", "/api/v1/products", None,
     '{"name": "P", "sku": "P-1", "unit_price": "1", "tax_rate": 1e400}', "tax_rate"),
    ("PATCH", "/api/v1/products/{product}", None, '{"tax_rate": "1e400"}', "tax_rate"),
    ("PATCH", "/api/v1/quotes/{quote}", None,
     '{"lines": [{"description": "x", "quantity": "-1e400", "unit_price": "1"}]}',
     "lines.0.quantity"),
    # lone surrogates and control characters in JSON strings and query text
    ("POST", "/api/v1/accounts", None, f'{{"name": {SURROGATE}, "province": "Madrid"}}',
     "name"),
    ("PATCH", "/api/v1/accounts/{account}", None, f'{{"city": {SURROGATE}}}', "city"),
    ("POST", "/api/v1/contacts", None, f'{{"first_name": {SURROGATE}}}', "first_name"),
    ("PATCH", "/api/v1/contacts/{contact}", None, f'{{"last_name": {SURROGATE}}}',
     "last_name"),
    ("POST", "/api/v1/opportunities", None, f'{{"name": {SURROGATE}}}', "name"),
    ("PATCH", "/api/v1/opportunities/{opportunity}", None, f'{{"description": {SURROGATE}}}',
     "description"),
    ("POST", "/api/v1/pipelines", None, f'{{"name": {SURROGATE}}}', "name"),
    ("PATCH", "/api/v1/pipelines/{pipeline}", None, f'{{"name": {SURROGATE}}}', "name"),
    ("POST", "/api/v1/products", None,
     f'{{"name": {SURROGATE}, "sku": "P-2", "unit_price": "1"}}', "name"),
    ("PATCH", "/api/v1/products/{product}", None, f'{{"sku": {SURROGATE}}}', "sku"),
    ("POST", "/api/v1/saved-views", None,
     f'{{"name": "Vista", "filters": {{"q": {SURROGATE}}}}}', "filters"),
    ("PATCH", "/api/v1/leads/{lead}", None, '{"first_name": "Ana\\u0000"}', "first_name"),
    ("GET", "/api/v1/accounts", {"q": "ruiz\x00"}, None, "q"),
    # ids inside free-form rule config: stored, then every later lead creation overflowed
    ("POST", "/api/v1/assignment-rules", None,
     f'{{"name": "R", "action": "round_robin", "config": {{"team_id": "{BIG}"}}}}',
     "config.team_id"),
]


@pytest.mark.parametrize(("method", "path", "params", "body", "field"), CASES,
                         ids=[f"{c[0]} {c[1]} {c[4]}" for c in CASES])
def test_out_of_range_input_is_a_422_naming_the_field(live: Live, method: str, path: str,
                                                      params: dict | None, body: str | None,
                                                      field: str) -> None:
    response = live.send(method, path, params=params, body=body)
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["detail"] == "Revisa los datos marcados."
    assert field in data["errors"], data
    assert data["errors"][field] and data["errors"][field].isprintable()


def test_a_comercial_gets_the_same_422(live: Live) -> None:
    """Bounds are checked before scope: the answer does not depend on who asks."""
    response = live.send("GET", f"/api/v1/opportunities/{BIG}", who="comercial1")
    assert response.status_code == 422
    assert "opportunity_id" in response.json()["errors"]


def test_legal_extremes_still_work(live: Live) -> None:
    """The bounds are wide: the largest legal id, offset and window still answer normally."""
    assert live.send("GET", f"/api/v1/leads/{2**31 - 1}").status_code == 404
    page = live.send("GET", "/api/v1/accounts", params={"offset": 10**9, "limit": 200})
    assert page.status_code == 200 and page.json() == {"data": [], "count": 3}
    last = live.send("GET", "/api/v1/accounts", params={"page": 5_000_000, "page_size": 200})
    assert last.status_code == 200 and last.json()["data"] == []
    assert live.send("GET", "/api/v1/opportunities/kanban",
                     params={"closed_days": 36_600}).status_code == 200
    assert live.send("GET", "/api/v1/opportunities",
                     params={"closed_to": "2999-12-31"}).status_code == 200
    emoji = live.send("PATCH", "/api/v1/accounts/{account}",
                      body='{"notes": "Pedido \\ud83d\\udce6\\nSegunda l\\u00ednea\\tcon tab"}')
    assert emoji.status_code == 200, emoji.text
    assert emoji.json()["notes"] == "Pedido 📦\nSegunda línea\tcon tab"


# --- the OpenAPI document ------------------------------------------------------------------


def _walk(schema: dict, components: dict, seen: set[str]) -> Iterator[tuple[str, dict]]:
    """Every (property path, leaf schema) of a request-body schema, through $refs."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return
        yield from _walk(components[name], components, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _walk(sub, components, seen)
    if schema.get("type") == "array":
        yield from _walk(schema.get("items", {}), components, seen)
    for name, sub in schema.get("properties", {}).items():
        for path, leaf in _walk(sub, components, seen):
            yield f"{name}.{path}" if path else name, leaf
    if schema.get("type") in ("integer", "number", "string"):
        yield "", schema


def test_openapi_publishes_the_bounds() -> None:
    doc = build_api().openapi()
    components = doc["components"]["schemas"]
    assert "HTTPValidationError" not in components  # FastAPI's default 422 is not what we send
    unbounded: list[str] = []
    for path, operations in doc["paths"].items():
        if path.startswith("/auth/"):  # login form and OIDC redirects: not JSON operations
            continue
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            takes_input = op.get("parameters") or op.get("requestBody")
            if takes_input:
                ref = op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/FieldErrorsPublic"), where
            leaves = [(p["name"], p["schema"]) for p in op.get("parameters", [])]
            for content in op.get("requestBody", {}).get("content", {}).values():
                leaves += list(_walk(content["schema"], components, set()))
            for name, schema in leaves:
                for leaf in schema.get("anyOf", [schema]):
                    kind = leaf.get("type")
                    if kind == "array":
                        leaf = leaf.get("items", {})
                        kind = leaf.get("type")
                    if kind in ("integer", "number") and not ("maximum" in leaf
                                                              and "minimum" in leaf):
                        unbounded.append(f"{where} {name}")
                    # An uploaded file (contentMediaType) is capped by its route's read.
                    if kind == "string" and not ({"maxLength", "pattern", "enum", "const",
                                                  "format", "contentMediaType"} & set(leaf)):
                        unbounded.append(f"{where} {name}")
    assert unbounded == []
