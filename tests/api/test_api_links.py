"""Scope leaks through links, attacked over HTTP (the API in process, ``api_harness``, SQLite).

Row scoping held on every direct path, but a record could *point at* a record of another team
(``POST /accounts {"lead_id": <their lead>}``) and the customer file then showed the linked
lead's company, source, owner and history; a non-existent id gave 500. Every foreign key a
user sets must be one ``restrict()`` lets them see (else 422 naming the field, with the same
message as for an id that does not exist), and the customer file must read linked records
through the scoped helpers only.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from api_harness import Api, serve_with_people
from sqlmodel import Session, func, select

from crm_app.models import Account, Contact, Lead, Opportunity, Quote, utcnow
from crm_app.services import leads as lead_service

MISSING = 987_654
HUGE = 2**64  # past any id column: must be "not found", never an overflow 500


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_with_people(tmp_path_factory.mktemp("links-api")) as api:
        yield api


def made(r: httpx.Response) -> dict:
    assert r.status_code == 201, r.text
    return r.json()


def _records(c: httpx.Client, tag: str) -> dict[str, Any]:
    """A lead, a customer, a contact, an opportunity and a quote owned by ``c``'s user."""
    lead = made(c.post("/api/v1/leads", json={"company": f"Empresa {tag}",
                                              "email": f"{tag}@{tag}.es"}))
    acc = made(c.post("/api/v1/accounts", json={"name": f"Cliente {tag} S.L.",
                                                "postal_code": "28001"}))
    contact = made(c.post("/api/v1/contacts", json={"first_name": f"Contacto {tag}"}))
    opp = made(c.post("/api/v1/opportunities", json={"name": f"Oportunidad {tag}"}))
    quote = made(c.post("/api/v1/quotes", json={
        "account_id": acc["id"], "lines": [{"description": "Servicio", "unit_price": "10"}]}))
    return {"lead": lead["id"], "account": acc["id"], "contact": contact["id"],
            "opportunity": opp["id"], "quote": quote["id"]}


def _count(live: Api, model: Any) -> int:
    with Session(live.engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_foreign_or_missing_links_are_422_with_the_field(live: Api) -> None:
    with live.client("comercial3") as c3:
        theirs = _records(c3, "sur")
    with live.client("admin") as adm:
        pipe = made(adm.post("/api/v1/pipelines", json={"name": "Proyectos", "stages": [
            {"name": "Idea"}, {"name": "Firmado", "kind": "won"},
            {"name": "Perdido", "kind": "lost"}]}))
        other_stage = pipe["stages"][0]["id"]
        off = made(adm.post("/api/v1/products", json={"name": "Retirado", "sku": "OLD-1",
                                                      "unit_price": "5", "active": False}))
        old_pipe = made(adm.post("/api/v1/pipelines", json={"name": "Antiguo"}))
        assert adm.patch(f"/api/v1/pipelines/{old_pipe['id']}",
                         json={"active": False}).status_code == 200
    p = live.people
    failures: list[str] = []
    with live.client("comercial1") as c1:
        mine = _records(c1, "norte")
        before = {m: _count(live, m) for m in (Account, Contact, Opportunity, Quote)}
        line = {"description": "x", "unit_price": "1"}
        ids = {"account": mine["account"], "contact": mine["contact"],
               "opportunity": mine["opportunity"], "quote": mine["quote"]}
        cases: list[tuple[str, str, dict, str]] = []
        for target in ("foreign", "missing", "huge"):
            def pick(kind: str, target: str = target) -> int:
                return {"foreign": theirs[kind], "missing": MISSING, "huge": HUGE}[target]
            cases += [
                ("POST", "/api/v1/accounts", {"name": "Nuevo S.L.", "postal_code": "28001",
                                              "lead_id": pick("lead")}, "lead_id"),
                ("PATCH", f"/api/v1/accounts/{ids['account']}", {"lead_id": pick("lead")},
                 "lead_id"),
                ("POST", "/api/v1/contacts", {"first_name": "Ana", "lead_id": pick("lead")},
                 "lead_id"),
                ("PATCH", f"/api/v1/contacts/{ids['contact']}", {"lead_id": pick("lead")},
                 "lead_id"),
                ("POST", "/api/v1/contacts", {"first_name": "Ana",
                                              "account_id": pick("account")}, "account_id"),
                ("PATCH", f"/api/v1/contacts/{ids['contact']}", {"account_id": pick("account")},
                 "account_id"),
                ("POST", "/api/v1/opportunities", {"name": "P", "lead_id": pick("lead")},
                 "lead_id"),
                ("PATCH", f"/api/v1/opportunities/{ids['opportunity']}",
                 {"lead_id": pick("lead")}, "lead_id"),
                ("POST", "/api/v1/opportunities", {"name": "P", "account_id": pick("account")},
                 "account_id"),
                ("PATCH", f"/api/v1/opportunities/{ids['opportunity']}",
                 {"account_id": pick("account")}, "account_id"),
                ("POST", "/api/v1/opportunities", {"name": "P", "contact_id": pick("contact")},
                 "contact_id"),
                ("PATCH", f"/api/v1/opportunities/{ids['opportunity']}",
                 {"contact_id": pick("contact")}, "contact_id"),
                ("POST", "/api/v1/quotes", {"account_id": pick("account"), "lines": [line]},
                 "account_id"),
                ("POST", "/api/v1/quotes", {"account_id": ids["account"], "lines": [line],
                                            "contact_id": pick("contact")}, "contact_id"),
                ("POST", "/api/v1/quotes", {"account_id": ids["account"], "lines": [line],
                                            "opportunity_id": pick("opportunity")},
                 "opportunity_id"),
                ("PATCH", f"/api/v1/quotes/{ids['quote']}", {"account_id": pick("account")},
                 "account_id"),
                ("PATCH", f"/api/v1/quotes/{ids['quote']}", {"contact_id": pick("contact")},
                 "contact_id"),
                ("PATCH", f"/api/v1/quotes/{ids['quote']}",
                 {"opportunity_id": pick("opportunity")}, "opportunity_id"),
            ]
        # The catalog is not owned: a product or pipeline must exist and be active; a stage
        # must be one of the opportunity's pipeline.
        for bad_product in (off["id"], MISSING, HUGE):
            cases += [
                ("POST", "/api/v1/quotes", {"account_id": ids["account"], "lines": [
                    {"product_id": bad_product, "quantity": "1"}]}, "lines.0.product_id"),
                ("PATCH", f"/api/v1/quotes/{ids['quote']}", {"lines": [
                    {"product_id": bad_product}]}, "lines.0.product_id"),
                ("POST", "/api/v1/opportunities", {"name": "P", "product_id": bad_product},
                 "product_id"),
                ("PATCH", f"/api/v1/opportunities/{ids['opportunity']}",
                 {"product_id": bad_product}, "product_id"),
            ]
        for bad_pipe in (old_pipe["id"], MISSING, HUGE):
            cases.append(("POST", "/api/v1/opportunities", {"name": "P",
                                                            "pipeline_id": bad_pipe},
                          "pipeline_id"))
        for bad_stage in (other_stage, MISSING, HUGE):
            cases += [
                ("POST", "/api/v1/opportunities", {"name": "P", "stage_id": bad_stage},
                 "stage_id"),
                ("PATCH", f"/api/v1/opportunities/{ids['opportunity']}",
                 {"stage_id": bad_stage}, "stage_id"),
                ("POST", f"/api/v1/opportunities/{ids['opportunity']}/move",
                 {"stage_id": bad_stage}, "stage_id"),
            ]
        # Owners: a comercial gives nothing away; missing, inactive-looking and huge ids fail.
        for owner in (p.comercial2.id, p.comercial3.id, MISSING, HUGE):
            cases += [
                ("POST", "/api/v1/accounts", {"name": "Otro S.L.", "postal_code": "28001",
                                              "owner_id": owner}, "owner_id"),
                ("PATCH", f"/api/v1/contacts/{ids['contact']}", {"owner_id": owner},
                 "owner_id"),
                ("POST", "/api/v1/opportunities", {"name": "P", "owner_id": owner},
                 "owner_id"),
                ("POST", "/api/v1/leads", {"company": "L", "phone": "600111222",
                                           "owner_id": owner}, "owner_id"),
                ("PATCH", f"/api/v1/leads/{mine['lead']}", {"owner_id": owner}, "owner_id"),
            ]
        messages: dict[tuple[str, str, str], set[str]] = {}
        for method, path, body, fld in cases:
            r = c1.request(method, path, json=body)  # a 500 raises here, with its traceback
            errors = r.json().get("errors", {}) if r.status_code == 422 else {}
            if r.status_code != 422 or fld not in errors:
                failures.append(f"{method} {path} {body} -> {r.status_code} {r.text[:120]}")
                continue
            # foreign and missing read alike: an id out of scope does not leak (an id past
            # the column's range is refused by its bound, which says nothing about records)
            if str(HUGE) not in str(body):
                messages.setdefault((method, path.split("/")[3], fld), set()).add(errors[fld])
    with live.client("manager1") as m1:  # a manager assigns inside the team only
        for owner in (p.comercial3.id, p.manager2.id):
            for method, path, body in (
                    ("POST", "/api/v1/accounts", {"name": "M S.L.", "postal_code": "28001",
                                                  "owner_id": owner}),
                    ("PATCH", f"/api/v1/leads/{mine['lead']}", {"owner_id": owner})):
                r = m1.request(method, path, json=body)
                if r.status_code != 422 or "owner_id" not in r.json().get("errors", {}):
                    failures.append(f"manager1 {method} {path} {body} -> {r.status_code}")
        assert m1.patch(f"/api/v1/leads/{mine['lead']}",
                        json={"owner_id": p.comercial2.id}).status_code == 200
    assert not failures, f"{len(failures)} of {len(cases) + 4} link attacks got through:\n" \
        + "\n".join(failures)
    leaky = {k: v for k, v in messages.items() if len(v) > 1 and k[2] != "owner_id"
             and not k[2].endswith("product_id") and k[2] not in ("pipeline_id", "stage_id")}
    assert not leaky, leaky
    assert {m: _count(live, m) for m in before} == before  # nothing was written


def test_customer_file_does_not_leak_linked_leads_of_another_team(live: Api) -> None:
    """50 leads of the Sur team: linking them through the API is refused, and customer files
    that already point at them (legacy data, an import of an older version) show nothing of
    them: not the company, not the source, not the owner, not their history."""
    p = live.people
    with Session(live.engine, expire_on_commit=False) as s:
        leads = []
        for i in range(50):
            lead = lead_service.create_lead(session=s, actor=p.comercial3, data={
                "company": f"Secreta {i:02d} S.A.", "source": f"Canal oculto {i:02d}",
                "phone": f"61100{i:04d}", "notes": "Precio pactado: 1234"})
            lead_service.update_lead(session=s, actor=p.comercial3, lead_id=lead.id,
                                     data={"status": "contactado"})
            leads.append(lead)
        own = lead_service.create_lead(session=s, actor=p.comercial1, data={
            "company": "Propia Visible S.L.", "source": "Feria propia", "phone": "622000001"})
    accepted = 0
    legacy: list[int] = []
    with live.client("comercial1") as c1:
        for i, lead in enumerate(leads):
            r = c1.post("/api/v1/accounts", json={"name": f"Enlace {i:02d} S.L.",
                                                  "postal_code": "28001", "lead_id": lead.id})
            if r.status_code == 201:
                accepted += 1
                legacy.append(r.json()["id"])
        with Session(live.engine, expire_on_commit=False) as s:  # legacy rows, as before
            for i, lead in enumerate(leads[len(legacy):]):
                acc = Account(name=f"Antiguo {i:02d} S.L.", province="Madrid",
                              owner_id=p.comercial1.id, team_id=p.team_norte.id,
                              lead_id=lead.id, created_at=utcnow())
                s.add(acc)
                s.flush()
                legacy.append(acc.id)
            mine = Account(name="Con lead propio S.L.", province="Madrid",
                           owner_id=p.comercial1.id, team_id=p.team_norte.id, lead_id=own.id,
                           created_at=utcnow())
            s.add(mine)
            s.commit()
        leaked = 0
        for acc_id, lead in zip(legacy, leads, strict=True):
            r = c1.get(f"/api/v1/accounts/{acc_id}/360")
            assert r.status_code == 200, r.text
            text = r.text
            lead_entries = [e for e in r.json()["timeline"] if e["entity"] == "lead"]
            if (lead.company in text or lead.source in text or "Comercial3" in text
                    or lead_entries):
                leaked += 1
        # control: the customer's own lead (visible) still opens its history in the file
        file = c1.get(f"/api/v1/accounts/{mine.id}/360").json()
        titles = [e["title"] for e in file["timeline"] if e["entity"] == "lead"]
        assert "Lead creado (origen: Feria propia)" in titles
    assert (accepted, leaked) == (0, 0), \
        f"{accepted} of 50 foreign leads linked through the API, {leaked} of 50 leaked"


def test_custom_fields_are_bounded_and_typed_on_every_entity(live: Api) -> None:
    """5 MB of ``custom`` JSON were stored on accounts, contacts and opportunities (leads too
    had no size cap): now 422 naming ``custom`` or ``custom.<key>``, on create and update."""
    with live.client("admin") as adm:
        for entity in ("lead", "account", "contact", "opportunity"):
            for field in ({"key": "potencial", "label": "Potencial", "type": "number"},
                          {"key": "comentario", "label": "Comentario"}):
                assert adm.post("/api/v1/custom-fields",
                                json={"entity": entity, **field}).status_code == 201
    five_mb = {f"k{i:06d}": "x" * 40 for i in range(100_000)}
    bodies = {
        "leads": {"company": "Cf", "phone": "699000001"},
        "accounts": {"name": "Cf S.L.", "postal_code": "28001"},
        "contacts": {"first_name": "Cf"},
        "opportunities": {"name": "Cf"},
    }
    models = {"leads": Lead, "accounts": Account, "contacts": Contact,
              "opportunities": Opportunity}
    failures = []
    with live.client("comercial1") as c1:
        for path, body in bodies.items():
            url = f"/api/v1/{path}"
            for custom, fields in [(five_mb, {"custom"}),
                                   ({"potencial": "1e400"}, {"custom.potencial"}),
                                   ({"comentario": "x" * 2001}, {"custom.comentario"}),
                                   ({"colour": "red"}, {"custom.colour"})]:
                r = c1.post(url, json={**body, "custom": custom})
                got = set(r.json().get("errors", {})) if r.status_code == 422 else set()
                if got != fields:
                    failures.append(f"POST {path} {list(custom)[:1]} -> {r.status_code}")
            r = c1.post(url, json={**body, "custom": {"potencial": "1.234,5",
                                                      "comentario": " hola "}})
            assert r.status_code == 201, r.text
            record = r.json()
            with Session(live.engine) as s:  # (the opportunity's API shape has no custom)
                stored = s.get(models[path], record["id"]).custom
            if stored != {"potencial": "1234.5", "comentario": "hola"}:
                failures.append(f"POST {path} stored {stored} as given")
            r = c1.patch(f"{url}/{record['id']}", json={"custom": five_mb})
            if r.status_code != 422 or set(r.json().get("errors", {})) != {"custom"}:
                failures.append(f"PATCH {path} 5 MB -> {r.status_code}")
    assert not failures, f"{len(failures)} of 24 custom checks failed:\n" \
        + "\n".join(failures)
