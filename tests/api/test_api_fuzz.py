"""Property-based fuzzing of the whole HTTP API with schemathesis (issue 10, section 4).

The real OpenAPI document (``/api/openapi.json``) of the app, served in process
(``api_harness``: the settings, database and data dir a process would have; schemathesis
reaches it through its ASGI transport, so an exception in a route fails the test with its
traceback) over a migrated SQLite database that holds some rows (accounts, contacts, leads,
opportunities, products, quotes, a rule, a custom field, a saved view: ``live_seed``). Every
generated request — valid and invalid (schemathesis' "all" mode: the coverage phase's
boundaries and values just past them, then random data: huge numbers, lone surrogates, odd
dates…) — is sent with a personal API token, of the admin and of a comercial in turn, and must
never answer 5xx; a documented status must also match its documented body (the 422
``{"detail", "errors"}``).

Derandomized with a fixed seed and a bounded number of random examples per operation, so it
is the same run every time and costs about a minute and a half of CPU on two cores. The auth
routes (login form, logout, OIDC) are left out: they are forms and redirects with tests of
their own, and each login attempt costs an argon2 hash.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
import schemathesis
from api_harness import Api, serve_api
from live_seed import seed_database
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from crm_app.api.app import build_api

pytestmark = pytest.mark.slow

ROLES = ("admin", "comercial1")
MAX_EXAMPLES = 10
# Operations that are slow per call (a PDF render, a DuckDB rebuild): fewer examples.
SLOW_OPERATIONS = ("/api/v1/quotes/{quote_id}/pdf", "/api/v1/analytics/snapshot",
                   "/api/v1/quotes/{quote_id}/send")

_TURN = itertools.count()  # each case goes as the admin or the comercial, in turn


CONFIG = schemathesis.Config.from_dict({
    "seed": 20260610,
    # Timing health checks would make a busy CI machine fail a correct run.
    "suppress-health-check": ["too_slow"],
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True,
                   "database": "none"},
    # Coverage: every boundary and every value just past it, per parameter and field; not
    # the 405s of methods the app does not route (Starlette's, not ours).
    "phases": {"stateful": {"enabled": False}, "coverage": {"unexpected-methods": []}},
    "operations": [
        {"include-path": list(SLOW_OPERATIONS), "generation": {"max-examples": 2}},
        # Every valid analytics request computes a dashboard: boundaries of the invalid side
        # only (the valid side is the random phase's).
        {"include-path-regex": "^/api/v1/analytics/",
         "phases": {"coverage": {"generation": {"mode": "negative"}}}},
    ],
    "request-timeout": 60,
})
# The document the app serves at /api/openapi.json (the fixture checks the live one matches).
OPENAPI = build_api().openapi()
schema = schemathesis.openapi.from_dict(OPENAPI, config=CONFIG).exclude(path_regex="^/auth/")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The app served over the seeded database."""
    tmp = tmp_path_factory.mktemp("fuzz")
    url, tokens, _ = seed_database(tmp, ROLES)
    with serve_api(url, tmp / "data", tokens=tokens) as api:
        served = api.request(None, "GET", "/api/openapi.json").json()
        assert served == json.loads(json.dumps(OPENAPI))
        yield api


@schema.parametrize()
def test_no_operation_answers_5xx(case: schemathesis.Case, live: Api) -> None:
    role = ROLES[next(_TURN) % len(ROLES)]
    response = case.call(app=live.app, headers={"Authorization": f"Bearer {live.tokens[role]}"})
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
