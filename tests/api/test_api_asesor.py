"""The asesor (the company's external accountant) over HTTP: every route of the API, generated
from the OpenAPI document, answers the asesor's token with 403 except the fiscal reads the
issue grants — the customers' records and the quotes (list, detail, PDF), read-only — and the
caller's own ``/me``. Writes (including a quote's send/accept/reject) are 403 before any body
is looked at. The other roles keep what they had: a comercial still reads leads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sales_support as ss
from api_harness import Api, serve_with_people, tokens_for
from factories import fixture_hash
from sqlmodel import Session

from crm_app.api.app import build_api
from crm_app.models import Role, User, utcnow

DOC = build_api().openapi()
# What the asesor may call, written out from the issue (not derived from the code): the
# customers' fiscal data (the record, read-only), the quotes and their PDF, who am I, health.
# The company's logo (the app's header shows it to everybody) answers 404: none uploaded.
# The agenda's ICS feed answers 404: "1" is no feed token.
ALLOWED = {
    ("GET", "/api/health"): 200, ("GET", "/api/v1/me"): 200,
    ("GET", "/api/v1/accounts"): 200, ("GET", "/api/v1/accounts/{account_id}"): 200,
    ("GET", "/api/v1/quotes"): 200, ("GET", "/api/v1/quotes/{quote_id}"): 200,
    ("GET", "/api/v1/quotes/{quote_id}/pdf"): 200, ("GET", "/api/v1/company/logo"): 404,
    # The private ICS feed takes no cookie or token: its URL is the credential, and a wrong
    # one is simply not found (whoever asks).
    ("GET", "/api/v1/agenda/feed/{token}.ics"): 404,
    # issue 13: one's own alerts (none here: another's id is 404), notification preferences
    # and this browser's push subscription (the DELETE names it in the query: 422 without)
    ("GET", "/api/v1/alerts"): 200, ("POST", "/api/v1/alerts/read-all"): 200,
    ("POST", "/api/v1/alerts/{alert_id}/read"): 404,
    ("POST", "/api/v1/alerts/{alert_id}/dismiss"): 404,
    ("GET", "/api/v1/me/notification-preferences"): 200,
    ("PATCH", "/api/v1/me/notification-preferences"): 200,
    ("GET", "/api/v1/me/push-public-key"): 200, ("POST", "/api/v1/me/push-subscriptions"): 201,
    ("DELETE", "/api/v1/me/push-subscriptions"): 422,
}
# Forms and redirects of signing in and out, the second factor, a forgotten password and an
# invitee's link (its token is the credential): not data routes (tested on their own).
SKIP = {"/auth/login", "/auth/logout", "/auth/oidc/login", "/auth/oidc/callback",
        "/auth/invitation", "/auth/login/2fa", "/auth/password/forgot", "/auth/password/reset"}


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in DOC["paths"].items()
            for method, op in ops.items() if path not in SKIP]


def _example(op: dict[str, Any]) -> Any:
    """The documented example of the operation's JSON body (every body has one)."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json")
    if body is None:
        return None
    schema = body["schema"]
    ref = schema.get("$ref") or schema.get("anyOf", [{}])[0].get("$ref")
    examples = DOC["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("examples") or [{}]
    return examples[0]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_with_people(tmp_path_factory.mktemp("asesor")) as served, \
            Session(served.engine, expire_on_commit=False) as session:
        people = served.people
        asesor = User(email="asesor@test.crm", name="Gestoría", role=Role.ASESOR,
                      password_hash=fixture_hash(), created_at=utcnow())
        session.add(asesor)
        session.commit()
        served.tokens.update(tokens_for(session, [asesor]))
        acc = ss.account(session, people.comercial3, nif="B12345674")
        quote = ss.quote(session, people.comercial3, account_id=acc.id)
        ss.opportunity(session, people.comercial3, account_id=acc.id)
        served.ids = {"account_id": acc.id, "quote_id": quote.id}  # type: ignore[attr-defined]
        yield served


def _path(api: Api, path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: str(api.ids.get(m.group(1), 1)),  # type: ignore[attr-defined]
                  path)


@pytest.mark.parametrize(("method", "path", "op"), _operations(),
                         ids=[f"{m} {p}" for m, p, _ in _operations()])
def test_every_route_refuses_the_asesor_but_the_fiscal_reads(api: Api, method: str, path: str,
                                                              op: dict[str, Any]) -> None:
    kw: dict[str, Any] = {}
    if (body := _example(op)) is not None:
        kw["json"] = body
    r = api.request("asesor", method, _path(api, path), **kw)
    if (method, path) in ALLOWED:
        assert r.status_code == ALLOWED[method, path], (path, r.status_code, r.text[:300])
    else:
        assert r.status_code == 403, (path, r.status_code, r.text[:300])
        assert r.json()["detail"] == "No tienes permiso para esta acción."


def test_the_issue_words(api: Api) -> None:
    """``GET /api/v1/leads`` → 403 for an asesor; ``GET /api/v1/quotes`` → 200, company-wide
    (a comercial's quote of another team shows); the comercial still reads leads."""
    assert api.request("asesor", "GET", "/api/v1/leads").status_code == 403
    r = api.request("asesor", "GET", "/api/v1/quotes")
    assert r.status_code == 200 and r.json()["count"] == 1
    assert api.request("comercial1", "GET", "/api/v1/leads").status_code == 200
    me = api.request("asesor", "GET", "/api/v1/me").json()
    assert me["role"] == "asesor" and me["scope"] == "company"
    assert me["permissions"] == ["fiscal.view"]


def test_the_asesor_reads_the_customer_and_the_quote_but_not_the_deal(api: Api) -> None:
    quote = api.request("asesor", "GET", f"/api/v1/quotes/{api.ids['quote_id']}").json()  # type: ignore[attr-defined]
    assert quote["editable"] is False  # a draft, but not the asesor's to change
    assert api.request("comercial3", "GET",
                       f"/api/v1/quotes/{api.ids['quote_id']}").json()["editable"] is True  # type: ignore[attr-defined]
    acc = api.request("asesor", "GET", f"/api/v1/accounts/{api.ids['account_id']}").json()  # type: ignore[attr-defined]
    assert acc["nif"] == "B12345674"
    pdf = api.request("asesor", "GET", f"/api/v1/quotes/{api.ids['quote_id']}/pdf")  # type: ignore[attr-defined]
    assert pdf.content.startswith(b"%PDF")
    assert api.request("asesor", "GET", "/api/v1/opportunities").status_code == 403
    assert api.request("asesor", "GET", "/api/v1/contacts").status_code == 403
    assert api.request("asesor", "GET",
                       f"/api/v1/accounts/{api.ids['account_id']}/360").status_code == 403  # type: ignore[attr-defined]
