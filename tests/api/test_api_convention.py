"""One API convention on every router (issue 11), checked on the OpenAPI document and over HTTP.

- Lists answer ``{"data": [...], "count": n}`` (``XsPublic``) and page with ``page`` and
  ``page_size``; the customer and sales lists still take ``offset``/``limit`` for one release,
  marked deprecated; mixing the two styles is a 422 naming the parameter.
- Schemas are named ``XCreate`` (POST bodies), ``XUpdate`` (PATCH bodies) and ``XPublic``
  (answers); no ``In``/``Out``/``Patch`` left over from the sales side.
- Every JSON request body carries an example in the document.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import Api, serve_with_people
from sqlmodel import Session

from crm_app.api.app import build_api
from crm_app.services import accounts as account_service

DOC = build_api().openapi()
SCHEMAS: dict[str, Any] = DOC["components"]["schemas"]
LEGACY = ("offset", "limit")


def _ref(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in DOC["paths"].items():
        for method, op in operations.items():
            yield method.upper(), path, op


def _answer(op: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of the operation's success answer, if it documents one."""
    for status in ("200", "201"):
        content = op.get("responses", {}).get(status, {}).get("content", {})
        if "application/json" in content:
            return content["application/json"]["schema"]
    return None


def test_no_list_answers_a_bare_array_or_the_old_sales_shape() -> None:
    wrong = []
    for method, path, op in _operations():
        schema = _answer(op)
        if schema is None:
            continue
        if schema.get("type") == "array":
            wrong.append(f"{method} {path}: a bare array")
        name = _ref(schema)
        props = set(SCHEMAS[name].get("properties", {})) if name else set()
        if {"items", "total"} <= props:
            wrong.append(f"{method} {path}: items/total")
        if "data" in props:
            assert props == {"data", "count"}, (path, props)
            assert name.endswith("Public"), name
            assert SCHEMAS[name]["properties"]["data"]["type"] == "array", name
    assert wrong == []


def test_paged_lists_take_page_and_page_size_and_offset_limit_only_as_deprecated() -> None:
    paged = []
    for method, path, op in _operations():
        params = {p["name"]: p for p in op.get("parameters", []) if p["in"] == "query"}
        if "page_size" in params or set(LEGACY) & set(params):
            paged.append(path)
            assert {"page", "page_size"} <= set(params), path
            assert params["page"].get("description") and params["page_size"].get(
                "description"), path
            for name in set(LEGACY) & set(params):
                assert params[name].get("deprecated") is True, (path, name)
                assert "Obsoleto" in params[name]["description"], (path, name)
            assert method == "GET"
    assert {"/api/v1/leads", "/api/v1/accounts", "/api/v1/contacts", "/api/v1/opportunities",
            "/api/v1/products", "/api/v1/quotes", "/api/v1/analytics/opportunities",
            "/api/v1/users", "/api/v1/activities"} <= set(paged)


def test_schema_names_follow_create_update_public() -> None:
    assert [n for n in SCHEMAS if re.search(r"(In|Out|Patch|Request|Result|List)$", n)] == []
    wrong = []
    for method, path, op in _operations():
        answer = _answer(op)
        name = _ref(answer) if answer else None
        if name and not name.endswith("Public"):
            wrong.append(f"{method} {path} answers {name}")
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        name = _ref(body["schema"]) if body else None
        if name and method == "PATCH" and not name.endswith("Update"):
            wrong.append(f"{method} {path} takes {name}")
        if name and method == "POST" and "201" in op["responses"] \
                and not name.endswith("Create"):
            wrong.append(f"{method} {path} takes {name}")
    assert wrong == []


def test_every_json_request_body_has_an_example() -> None:
    missing = []
    for method, path, op in _operations():
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        name = _ref(body["schema"]) or _ref(body["schema"].get("anyOf", [{}])[0])
        examples = SCHEMAS[name].get("examples") if name else None
        if not examples:
            missing.append(f"{method} {path} ({name})")
    assert missing == []


# --- over HTTP ---------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path) -> Iterator[Api]:  # noqa: ANN001
    with serve_with_people(tmp_path) as served, Session(served.engine) as session:
        for i in range(5):
            account_service.create_account(session=session, actor=served.people.comercial1,
                                           data={"name": f"Cliente {i} S.L.",
                                                 "province": "Madrid"})
        yield served


def _names(api: Api, **params: Any) -> tuple[int, list[str]]:
    r = api.request("comercial1", "GET", "/api/v1/accounts", params={"sort": "name", **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "count"}
    return body["count"], [a["name"] for a in body["data"]]


def test_pages_of_a_list_and_the_deprecated_window(api: Api) -> None:
    every = [f"Cliente {i} S.L." for i in range(5)]
    assert _names(api) == (5, every)
    assert _names(api, page_size=2) == (5, every[:2])
    assert _names(api, page=3, page_size=2) == (5, every[4:])
    assert _names(api, page=4, page_size=2) == (5, [])
    # the old parameters still work for one release, meaning what they meant
    assert _names(api, offset=1, limit=3) == (5, every[1:4])
    assert _names(api, limit=2) == (5, every[:2])
    assert _names(api, offset=3) == (5, every[3:])
    for mixed, field in (({"page": 2, "offset": 2}, "offset"),
                         ({"page_size": 2, "limit": 2}, "limit")):
        r = api.request("comercial1", "GET", "/api/v1/accounts", params=mixed)
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == {field: "Usa page y page_size, o offset y limit, no ambos."}
    r = api.request("comercial1", "GET", "/api/v1/quotes", params={"page": 0})
    assert r.status_code == 422 and r.json()["errors"] == {"page": "Debe ser como mínimo 1."}
