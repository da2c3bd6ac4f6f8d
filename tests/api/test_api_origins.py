"""Cross-site requests (issue 10, part 1): a page on another origin — another port of this
very host included, which is the *same site* so ``SameSite=Lax`` does not help — must not
change anything with the victim's session cookie, while the app's own pages, the extra allowed
origins and scripts with a personal token keep working; and no route changes state on GET.

The API is served in process (``api_harness``: the guard is the app's own middleware; the
whole web process is tested in test_reflex_origins.py), with the default public URL (loopback,
port 3000): the allowed origins are ``http://127.0.0.1:3000`` and ``http://localhost:3000``
plus CRM_ALLOWED_ORIGINS.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from aio import run_async
from api_harness import Api, serve_api
from factories import FIXTURE_PASSWORD, People, make_people
from live_api import migrated_session
from sales_support import account as make_account
from sales_support import opportunity as make_opportunity
from sales_support import product as make_product
from sales_support import quote as make_quote
from sqlalchemy import func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select

from crm_app.api.app import build_api
from crm_app.i18n import t
from crm_app.models import AuditEvent, Lead, Quote, User
from crm_app.services import agenda
from crm_app.services import auth as auth_service
from crm_app.services import contacts as contact_service
from crm_app.services import leads as lead_service
from crm_app.services.actors import SYSTEM
from crm_app.services.assignment import create_rule
from crm_app.services.defaults import ensure_default_pipeline

APP = "http://127.0.0.1:3000"
APP_LOCALHOST = "http://localhost:3000"
INTRANET = "https://intranet.example.es"


@dataclass
class Live:
    api: Api
    people: People
    ids: dict[str, int]
    token: str  # the admin's personal API token

    @property
    def engine(self) -> Engine:
        return self.api.engine

    def client(self) -> httpx.Client:
        return self.api.client()

    def cookie(self, email: str = "admin@test.crm") -> str:
        """A fresh session cookie value, logged in the way a script does (no Origin)."""
        with self.client() as c:
            r = c.post("/auth/login", data={"email": email, "password": FIXTURE_PASSWORD})
            assert r.status_code == 303, r.text
            return r.cookies["crm_session"]

    def lead(self) -> int:
        with Session(self.engine, expire_on_commit=False) as s:
            admin = s.get(type(self.people.admin), self.people.admin.id)
            return lead_service.create_lead(session=s, actor=admin, data={
                "first_name": "Objetivo", "last_name": "Ataque", "company": "Víctima S.L.",
                "email": "objetivo@victima.es"}).id

    def quote(self) -> int:
        with Session(self.engine, expire_on_commit=False) as s:
            admin = s.get(type(self.people.admin), self.people.admin.id)
            return make_quote(s, admin, self.ids["account"]).id

    def targets(self, headers: dict[str, str]) -> tuple[int, int, dict[str, str]]:
        """A fresh lead and open quote to aim at, and ``headers`` with a fresh session
        cookie: what a write from a page of some origin carries."""
        cookie = self.cookie()
        return self.lead(), self.quote(), {**headers, "Cookie": f"crm_session={cookie}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("origins")
    url = f"sqlite:///{tmp / 'api.db'}"
    with migrated_session(url) as s:
        people = make_people(s)
        admin = people.admin
        acc = make_account(s, admin)
        contact = contact_service.create_contact(session=s, actor=admin, data={
            "first_name": "Ana", "last_name": "Ruiz", "account_id": acc.id})
        opp = make_opportunity(s, admin, acc.id)
        prod = make_product(s, admin)
        pipeline = ensure_default_pipeline(session=s)
        rule = create_rule(session=s, actor=admin, data={
            "name": "Todo a comercial1", "action": "fixed_user",
            "config": {"user_id": people.comercial1.id}, "conditions": []})
        lead = lead_service.create_lead(session=s, actor=admin, data={
            "first_name": "Luis", "last_name": "Gómez", "company": "Gómez S.A.",
            "email": "luis@gomez.es"})
        quote = make_quote(s, admin, acc.id)
        from crm_app.services import activities  # noqa: PLC0415

        call = activities.create_activity(session=s, actor=admin, data={
            "kind": "call", "subject": "Llamada", "lead_id": lead.id})
        s.commit()
        ids = {"activity": call.id, "account": acc.id, "contact": contact.id, "opportunity": opp.id,
               "product": prod.id, "pipeline": pipeline.id, "rule": rule.id, "lead": lead.id,
               "quote": quote.id, "user": people.comercial1.id,
               "export": 0}  # no export yet: its GET routes answer 404
        token = auth_service.create_api_token(session=s, actor=SYSTEM, user=admin, name="script")
    with serve_api(url, tmp / "data", CRM_PORT="3000",
                   CRM_ALLOWED_ORIGINS=f"{INTRANET}, https://otro.example.es") as api:
        with Session(api.engine) as s:  # under the served app's secret key
            feed = agenda.feed_url(session=s, actor=s.get(User, people.admin.id))
        ids["feed"] = feed.rsplit("/", 1)[1].removesuffix(".ics")  # type: ignore[assignment]
        yield Live(api=api, people=people, ids=ids, token=token)


def lead_state(live: Live, lead_id: int) -> tuple[bool, str]:
    with Session(live.engine) as s:
        lead = s.get(Lead, lead_id)
        return lead.deleted_at is None, lead.company


def quote_status(live: Live, quote_id: int) -> str:
    with Session(live.engine) as s:
        return s.get(Quote, quote_id).status


# Each way a page of another origin gets the browser to send a write with the cookie.
ATTACKS = {
    "another-port-of-this-host": {"Origin": "http://127.0.0.1:4000"},
    "localhost-other-port": {"Origin": "http://localhost:8000"},
    "plain-http-of-allowed-https": {"Origin": "http://intranet.example.es"},
    "other-site": {"Origin": "https://evil.example"},
    "null-origin": {"Origin": "null"},
    "foreign-referer-only": {"Referer": "http://127.0.0.1:4000/ataque.html"},
    "foreign-origin-allowed-referer": {"Origin": "https://evil.example",
                                       "Referer": f"{APP}/leads"},
    "neither-origin-nor-referer": {},
    "cross-site-fetch-metadata": {"Sec-Fetch-Site": "cross-site"},
    "same-site-fetch-metadata": {"Sec-Fetch-Site": "same-site"},
}


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
def test_cookie_writes_from_a_foreign_origin_are_refused(live: Live, attack: str) -> None:
    lead_id, quote_id, headers = live.targets(ATTACKS[attack])
    writes = [
        ("DELETE", f"/api/v1/leads/{lead_id}", {}),
        ("PATCH", f"/api/v1/leads/{lead_id}", {"json": {"company": "Hackeada S.L."}}),
        ("POST", "/api/v1/leads", {"json": {"first_name": "Falso", "company": "Falsa S.L."}}),
        # a plain HTML <form method=post> needs no CORS preflight at all
        ("POST", f"/api/v1/quotes/{quote_id}/accept", {"data": {"x": "1"}}),
        ("POST", "/auth/logout", {}),
        ("POST", "/_upload", {"data": {"x": "1"}}),  # Reflex's own route, mounted inside ours
    ]
    with Session(live.engine) as s:
        leads_before = s.exec(text("SELECT count(*) FROM lead")).one()[0]
    with live.client() as c:
        for method, path, kw in writes:
            r = c.request(method, path, headers=headers, **kw)
            assert r.status_code == 403, (method, path, r.status_code, r.text)
            assert r.json()["detail"].startswith("Petición rechazada"), r.text
        # nothing happened: the lead is there and unchanged, the quote still open, the
        # session still valid, no new lead
        assert lead_state(live, lead_id) == (True, "Víctima S.L.")
        assert quote_status(live, quote_id) == "borrador"
        assert c.get("/api/v1/me", headers={"Cookie": headers["Cookie"]}).status_code == 200
    with Session(live.engine) as s:
        assert s.exec(text("SELECT count(*) FROM lead")).one()[0] == leads_before


def test_refusals_say_why_in_spanish(live: Live) -> None:
    cookie = {"Cookie": f"crm_session={live.cookie()}"}
    with live.client() as c:
        foreign = c.delete(f"/api/v1/leads/{live.lead()}",
                           headers={**cookie, "Origin": "http://127.0.0.1:4000"})
        missing = c.delete(f"/api/v1/leads/{live.lead()}", headers=cookie)
    assert foreign.json() == {"detail": t("security.origin.refused",
                                          origin="http://127.0.0.1:4000")}
    assert missing.json() == {"detail": t("security.origin.missing")}


ALLOWED = {
    "app-origin": {"Origin": APP},
    "app-origin-as-localhost": {"Origin": APP_LOCALHOST},
    "app-origin-upper-case-default-port": {"Origin": "HTTP://LOCALHOST:3000"},
    "extra-allowed-origin": {"Origin": INTRANET},
    "allowed-referer-without-origin": {"Referer": f"{APP}/leads?x=1"},
    "same-origin-fetch-metadata-without-origin": {"Sec-Fetch-Site": "same-origin"},
}


@pytest.mark.parametrize("case", list(ALLOWED), ids=list(ALLOWED))
def test_the_apps_own_pages_still_write(live: Live, case: str) -> None:
    lead_id, quote_id, headers = live.targets(ALLOWED[case])
    with live.client() as c:
        r = c.patch(f"/api/v1/leads/{lead_id}", json={"company": "Cambiada S.L."},
                    headers=headers)
        assert r.status_code == 200, r.text
        assert c.post(f"/api/v1/quotes/{quote_id}/accept", headers=headers).status_code == 200
        assert c.delete(f"/api/v1/leads/{lead_id}", headers=headers).status_code == 204
        assert c.post("/auth/logout", headers=headers).status_code == 303
    assert quote_status(live, quote_id) == "aceptado"
    assert lead_state(live, lead_id) == (False, "Cambiada S.L.")


def test_bearer_tokens_stay_usable_from_scripts(live: Live) -> None:
    """A personal token is not ambient authority: no Origin needed, any Origin accepted."""
    bearer = {"Authorization": f"Bearer {live.token}"}
    with live.client() as c:
        for extra in ({}, {"Origin": "https://evil.example"}):
            lead_id = live.lead()
            r = c.delete(f"/api/v1/leads/{lead_id}", headers={**bearer, **extra})
            assert r.status_code == 204, r.text
        # a Bearer header beside a cookie: the route authenticates by the token only
        cookie = live.cookie()
        r = c.delete(f"/api/v1/leads/{live.lead()}",
                     headers={"Authorization": "Bearer crm_inventado",
                              "Cookie": f"crm_session={cookie}", "Origin": "https://evil.example"})
        assert r.status_code == 401


def test_requests_without_credentials_get_401_not_403(live: Live) -> None:
    with live.client() as c:
        r = c.delete(f"/api/v1/leads/{live.lead()}", headers={"Origin": "https://evil.example"})
    assert r.status_code == 401


def test_login_from_a_foreign_origin_is_refused_but_scripts_log_in(live: Live) -> None:
    form = {"email": "comercial1@test.crm", "password": FIXTURE_PASSWORD}
    with live.client() as c:
        # login CSRF: a foreign page would sign the victim in as the attacker
        for headers in ({"Origin": "http://127.0.0.1:4000"}, {"Origin": "null"},
                        {"Referer": "https://evil.example/"}):
            r = c.post("/auth/login", data=form, headers=headers)
            assert r.status_code == 403, headers
            assert not r.headers.get_list("set-cookie")
        for headers in ({}, {"Origin": APP}, {"Origin": APP_LOCALHOST},
                        {"Referer": f"{APP}/login"}):
            r = c.post("/auth/login", data=form, headers=headers)
            assert r.status_code == 303 and r.cookies.get("crm_session"), headers


def test_the_other_signed_out_forms_refuse_a_foreign_origin_too(live: Live) -> None:
    """The 2FA step and the password-reset forms have no session either: a foreign page must
    not post them (it could finish signing the victim in as the attacker)."""
    with live.client() as c:
        for path, form in (("/auth/login/2fa", {"challenge": "x", "code": "123456"}),
                           ("/auth/password/forgot", {"email": "comercial1@test.crm"}),
                           ("/auth/password/reset", {"token": "x", "password": "y"})):
            r = c.post(path, data=form, headers={"Origin": "https://evil.example"})
            assert r.status_code == 403, path
            r = c.post(path, data=form, headers={"Origin": APP, "Accept": "application/json"})
            assert r.status_code in (202, 401, 422), (path, r.status_code)


def test_reads_are_not_blocked_by_the_guard(live: Live) -> None:
    """GET with the cookie from a foreign page is answered (CORS keeps the foreign page from
    reading it: see test_reflex_origins.py); the guard is about writes."""
    cookie = live.cookie()
    with live.client() as c:
        r = c.get("/api/v1/leads", headers={"Cookie": f"crm_session={cookie}",
                                            "Origin": "https://evil.example"})
    assert r.status_code == 200


# --- no state change answers GET -----------------------------------------------------------

def get_routes() -> list[str]:
    """Every path the API answers on GET, from its own route table (the OpenAPI schema)."""
    paths = build_api().openapi()["paths"]
    return [path for path, operations in paths.items() if "get" in operations]


# A GET may leave exactly one trace: the audit entry of a read that the law or the company wants
# on record (who exported a person's data, who downloaded the company's export).
AUDITED_READS = {"export_personal_data", "downloaded"}


def fingerprint(engine: Engine) -> str:
    """A digest of every row of every table but the audit trail (``audit_reads`` checks it)."""
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == AuditEvent.__tablename__:
                continue
            for row in conn.execute(table.select().order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_no_route_changes_state_on_get(live: Live) -> None:
    """Every GET route of the API, called by an admin with the ids of real rows and with a
    forged ``?_method=DELETE``-style query, leaves every table exactly as it was."""
    names = {"activity_id": "activity", "account_id": "account", "contact_id": "contact",
             "lead_id": "lead",
             "opportunity_id": "opportunity", "product_id": "product", "quote_id": "quote",
             "pipeline_id": "pipeline", "rule_id": "rule", "user_id": "user",
             "export_id": "export", "token": "feed"}
    routes = get_routes()
    assert len(routes) >= 30  # the audit must have looked at the real route table
    cookie = live.cookie()
    before = fingerprint(live.engine)
    with Session(live.engine) as s:
        last_audit = s.exec(select(func.max(AuditEvent.id))).one() or 0
    called = []
    with live.client() as c:
        for path in routes:
            if path.startswith("/auth/oidc"):  # the SSO round trip; covered in test_api_oidc
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: str(live.ids[names[m.group(1)]]), path)
            r = c.get(url, params={"_method": "DELETE", "accion": "borrar"},
                      headers={"Cookie": f"crm_session={cookie}",
                               "Origin": "https://evil.example"})
            assert r.status_code < 500, (url, r.status_code, r.text[:300])
            called.append((url, r.status_code))
    assert fingerprint(live.engine) == before, called
    with Session(live.engine) as s:
        new = s.exec(select(AuditEvent.action).where(AuditEvent.id > last_audit)).all()
    assert set(new) <= AUDITED_READS, new
    assert sum(1 for _, status in called if status == 200) >= 25, called


def test_origin_guard_wraps_every_route_of_the_mounted_app() -> None:
    """The guard is one middleware on the app itself, not a dependency a router could skip:
    a route added after build_api() (as Reflex mounts its own app) is covered too."""
    from fastapi import FastAPI

    from crm_app.api.origin_guard import OriginGuard

    api = build_api()
    assert OriginGuard in [m.cls for m in api.user_middleware]
    late = FastAPI()

    @late.post("/tarde")
    def _late() -> dict:
        return {"ok": True}

    api.mount("/nuevo", late)

    async def post(headers: dict[str, str]) -> int:
        transport = httpx.ASGITransport(app=api)
        async with httpx.AsyncClient(transport=transport, base_url="http://crm") as client:
            return (await client.post("/nuevo/tarde", headers=headers)).status_code

    assert run_async(post({"Cookie": "crm_session=x", "Origin": "https://evil.example"})) == 403
    assert run_async(post({"Cookie": "crm_session=x", "Origin": APP})) == 200


def test_path_is_not_a_way_around() -> None:
    """Paths that look like the login route but are not it get no exemption."""
    from starlette.datastructures import Headers

    from crm_app.api.origin_guard import OriginGuard

    guard = OriginGuard(lambda *a: None, allowed_origins=[APP])
    cookie = {"cookie": "crm_session=abc", "origin": "https://evil.example"}
    for path in ("/auth/login/", "/auth/login/../logout", "/auth/logout", "/api/v1/leads/1"):
        assert guard.verdict("POST", path, Headers(cookie)) is not None, path
    assert guard.verdict("POST", "/auth/login", Headers({"cookie": "crm_session=abc"})) is None
    assert guard.verdict("GET", "/api/v1/leads", Headers(cookie)) is None
    assert guard.verdict("OPTIONS", "/api/v1/leads", Headers(cookie)) is None
    # the cookie hidden among others, or with odd spacing, is still the cookie
    other = {"cookie": "a=1; crm_session=abc ; b=2", "origin": "https://evil.example"}
    assert guard.verdict("DELETE", "/api/v1/leads/1", Headers(other)) is not None
    empty = {"cookie": "crm_session=", "origin": "https://evil.example"}
    assert guard.verdict("DELETE", "/api/v1/leads/1", Headers(empty)) is None  # no session
