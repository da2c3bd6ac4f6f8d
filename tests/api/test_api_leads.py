"""The leads API, served in process (``api_harness``) over a SQLite file.

CRUD, 422 shapes (domain and request errors alike), row scoping with 404 out of scope, list
filters, duplicates, bulk, conversion, assignment rules + simulator (admin only), custom fields.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from api_harness import Api, serve_with_people
from sqlmodel import Session, select

from crm_app.models import AuditEvent, Lead


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with serve_with_people(tmp_path_factory.mktemp("leads-api")) as api:
        yield api


def post_lead(c: httpx.Client, **data) -> dict:
    r = c.post("/api/v1/leads", json=data)
    assert r.status_code == 201, r.text
    return r.json()


def test_requires_authentication(live: Api) -> None:
    with live.client() as c:
        assert c.get("/api/v1/leads").status_code == 401
        assert c.post("/api/v1/leads", json={}).status_code == 401


def test_create_get_patch_delete_roundtrip(live: Api) -> None:
    with live.client("comercial1") as c:
        lead = post_lead(c, first_name="Ana", last_name="Ruiz", company="Ruiz Reformas",
                         email=" Ana@RuizReformas.es ", phone="600 11 22 33", nif="12345678z",
                         province="araba", source="Web")
        assert lead["owner_id"] == live.people.comercial1.id
        assert lead["owner_name"] == "Comercial1" and lead["team_name"] == "Norte"
        assert (lead["email"], lead["phone"], lead["nif"], lead["province"]) == (
            "ana@ruizreformas.es", "+34600112233", "12345678Z", "Álava")
        assert lead["created_at"].endswith("Z") and lead["status"] == "nuevo"
        r = c.get(f"/api/v1/leads/{lead['id']}")
        assert r.status_code == 200 and r.json()["name"] == "Ana Ruiz"
        r = c.patch(f"/api/v1/leads/{lead['id']}",
                    json={"status": "descartado", "discard_reason": "Sin presupuesto"})
        assert r.status_code == 200 and r.json()["status"] == "descartado"
        r = c.get(f"/api/v1/leads/{lead['id']}/timeline")
        assert r.json()["count"] == 2
        assert [i["title"] for i in r.json()["data"]] == ["Estado: nuevo → descartado",
                                                          "Lead creado"]
        assert c.delete(f"/api/v1/leads/{lead['id']}").status_code == 204
        assert c.get(f"/api/v1/leads/{lead['id']}").status_code == 404
        assert c.post(f"/api/v1/leads/{lead['id']}/restore").status_code == 200
        assert c.get(f"/api/v1/leads/{lead['id']}").status_code == 200


def test_validation_errors_are_422_with_field_messages(live: Api) -> None:
    with live.client("comercial1") as c:
        r = c.post("/api/v1/leads", json={"first_name": "", "email": "ana@", "phone": "12",
                                          "nif": "12345678A"})
        assert r.status_code == 422
        body = r.json()
        assert body["detail"] == "Revisa los datos marcados."
        assert body["errors"]["email"] == "Correo electrónico no válido."
        assert body["errors"]["phone"].startswith("Teléfono no válido")
        assert body["errors"]["nif"].startswith("NIF/CIF/NIE no válido")
        assert body["errors"]["first_name"] == "Indica un nombre o una empresa."
        # Request-shape errors come in the same shape, in Spanish.
        r = c.post("/api/v1/leads", json={"first_name": "A", "phone": "600112233",
                                          "colour": "red", "owner_id": "abc"})
        assert r.status_code == 422
        assert r.json()["errors"] == {"colour": "Campo desconocido.",
                                      "owner_id": "Debe ser un número entero."}
        r = c.post("/api/v1/leads", content=b"{not json", headers={
            "content-type": "application/json"})
        assert r.status_code == 422 and "errors" in r.json()
        r = c.get("/api/v1/leads", params={"page_size": 500})
        assert r.status_code == 422
        assert r.json()["errors"] == {"page_size": "Debe ser como máximo 200."}
        r = c.get("/api/v1/leads", params={"sort": "password_hash"})
        assert r.status_code == 422 and "sort" in r.json()["errors"]
        r = c.get("/api/v1/leads", params={"created_from": "ayer"})
        assert r.status_code == 422 and "created_from" in r.json()["errors"]


def test_row_scoping_and_404_out_of_scope(live: Api) -> None:
    with live.client("comercial1") as c:
        lead = post_lead(c, first_name="Scope", phone="611000001")
    url = f"/api/v1/leads/{lead['id']}"
    for who in ("comercial2", "comercial3", "manager2"):
        with live.client(who) as c:
            assert c.get(url).status_code == 404, who
            assert c.patch(url, json={"company": "X"}).status_code == 404, who
            assert c.delete(url).status_code == 404, who
            assert c.post(url + "/convert").status_code == 404, who
            ids = [row["id"] for row in c.get("/api/v1/leads",
                                              params={"page_size": 200}).json()["data"]]
            assert lead["id"] not in ids
    for who in ("manager1", "director", "admin"):
        with live.client(who) as c:
            assert c.get(url).status_code == 200, who
    with live.client("comercial1") as c:
        r = c.patch(url, json={"owner_id": live.people.comercial2.id})
        assert r.status_code == 422 and set(r.json()["errors"]) == {"owner_id"}
    with live.client("manager1") as c:
        r = c.patch(url, json={"owner_id": live.people.comercial3.id})
        assert r.status_code == 422 and set(r.json()["errors"]) == {"owner_id"}
        r = c.patch(url, json={"owner_id": live.people.comercial2.id})
        assert r.status_code == 200 and r.json()["owner_id"] == live.people.comercial2.id
    with live.client("comercial1") as c:
        assert c.get(url).status_code == 404


def test_list_filters_search_sort_and_pagination(live: Api) -> None:
    with live.client("comercial3") as c:
        made = [post_lead(c, first_name=f"Filtro{i}", company=f"Lista {i}",
                          phone=f"62200000{i}", province=["Sevilla", "Cádiz"][i % 2],
                          source=["Feria", "Web"][i % 2],
                          status="contactado" if i < 2 else "nuevo") for i in range(5)]
        r = c.get("/api/v1/leads", params={"q": "filtro", "page_size": 2, "page": 2,
                                           "sort": "first_name", "desc": "false"})
        body = r.json()
        assert body["count"] == 5
        assert [row["first_name"] for row in body["data"]] == ["Filtro2", "Filtro3"]
        r = c.get("/api/v1/leads", params=[("q", "filtro"), ("status", "contactado"),
                                           ("province", "cadiz")])
        assert [row["id"] for row in r.json()["data"]] == [made[1]["id"]]
        r = c.get("/api/v1/leads", params={"q": "filtro", "source": "Feria,Web",
                                           "owner_id": live.people.comercial3.id})
        assert r.json()["count"] == 5
        r = c.get("/api/v1/leads", params={"q": "622 00 00 04"})
        assert [row["id"] for row in r.json()["data"]] == [made[4]["id"]]
    with live.client("manager2") as c:
        r = c.get("/api/v1/leads", params={"q": "filtro",
                                           "team_id": live.people.team_sur.id})
        assert r.json()["count"] == 5
    with live.client("manager1") as c:
        assert c.get("/api/v1/leads", params={"q": "filtro"}).json()["count"] == 0


def test_duplicates_endpoint(live: Api) -> None:
    with live.client("comercial2") as c:
        post_lead(c, first_name="Dup", email="dup@api-dup.es", phone="633000001")
        r = c.get("/api/v1/leads/duplicates", params={"email": "DUP@api-dup.es "})
        body = r.json()
        assert body["count"] == 1 and body["data"][0]["visible"] is True
        assert body["data"][0]["fields"] == ["email"]
        r = c.post("/api/v1/leads", params={"reject_duplicates": "true"},
                   json={"first_name": "Otra", "phone": "633 000 001"})
        assert r.status_code == 409
    with live.client("comercial3") as c:
        body = c.get("/api/v1/leads/duplicates", params={"phone": "633000001"}).json()
        assert body["data"] == [{"entity": "lead", "id": None, "visible": False, "name": "",
                                 "company": "", "field": "phone", "fields": ["phone"],
                                 "email": "", "phone": "", "nif": "", "owner_id": None,
                                 "owner_name": "", "status": None}]


def test_bulk_actions(live: Api) -> None:
    with live.client("comercial2") as c:
        ids = [post_lead(c, first_name=f"Bulk{i}", phone=f"64400000{i}")["id"]
               for i in range(3)]
        r = c.post("/api/v1/leads/bulk", json={"ids": ids, "action": "status",
                                               "status": "cualificado"})
        assert r.json() == {"changed": 3}
        r = c.post("/api/v1/leads/bulk", json={"ids": ids, "action": "assign",
                                               "owner_id": live.people.comercial1.id})
        assert r.status_code == 422 and set(r.json()["errors"]) == {"owner_id"}
        r = c.post("/api/v1/leads/bulk", json={"ids": [], "action": "delete"})
        assert r.status_code == 422 and "ids" in r.json()["errors"]
    with live.client("comercial3") as c:  # out of scope: nothing happens
        r = c.post("/api/v1/leads/bulk", json={"ids": ids, "action": "delete"})
        assert r.json() == {"changed": 0}
    with live.client("manager1") as c:
        r = c.post("/api/v1/leads/bulk", json={"ids": ids, "action": "assign",
                                               "owner_id": live.people.comercial1.id})
        assert r.json() == {"changed": 3}
        r = c.post("/api/v1/leads/bulk", json={"ids": ids, "action": "delete"})
        assert r.json() == {"changed": 3}


def test_convert_over_http(live: Api) -> None:
    with live.client("comercial1") as c:
        lead = post_lead(c, first_name="Conv", company="Convertible SL",
                         email="conv@convertible-api.es", nif="B12345674")
        r = c.post(f"/api/v1/leads/{lead['id']}/convert",
                   json={"create_opportunity": True, "amount": 1500.5,
                         "opportunity_name": "Primera venta"})
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["account_matched"] is False and out["opportunity_id"]
        again = c.get(f"/api/v1/leads/{lead['id']}").json()
        assert again["status"] == "convertido"
        assert again["converted_account_id"] == out["account_id"]
        r = c.post(f"/api/v1/leads/{lead['id']}/convert")
        assert r.status_code == 409
        second = post_lead(c, first_name="Conv2", email="otra@convertible-api.es")
        r = c.post(f"/api/v1/leads/{second['id']}/convert")
        assert r.json()["account_id"] == out["account_id"]  # same email domain


def test_assignment_rules_admin_only_and_applied_on_post(live: Api) -> None:
    p = live.people
    rule = {"name": "Andalucía", "action": "round_robin",
            "conditions": [{"field": "province", "op": "region_in", "value": ["Andalucía"]}],
            "config": {"user_ids": [p.comercial3.id, p.manager2.id]}}
    for who in ("manager1", "director", "comercial1"):
        with live.client(who) as c:
            assert c.get("/api/v1/assignment-rules").status_code == 403
            assert c.post("/api/v1/assignment-rules", json=rule).status_code == 403
            assert c.post("/api/v1/assignment-rules/simulate",
                          json={"rules": [rule]}).status_code == 403
    with live.client("admin") as c:
        r = c.post("/api/v1/assignment-rules", json={**rule, "action": "teleport"})
        assert r.status_code == 422 and "action" in r.json()["errors"]
        r = c.post("/api/v1/assignment-rules", json={**rule, "conditions": [{"op": 3}]})
        assert r.status_code == 422 and "conditions.0.op" in r.json()["errors"]
        blank = {**rule, "conditions": [{"field": "province", "op": "eq", "value": " "}]}
        r = c.post("/api/v1/assignment-rules", json=blank)  # "Provincia es igual a" (nothing)
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == {"conditions.0.value": "Indica el valor de la condición."}
        r = c.post("/api/v1/assignment-rules/simulate", json={"rules": [blank]})
        assert r.status_code == 422 and "rules.0.conditions.0.value" in r.json()["errors"]
        r = c.post("/api/v1/assignment-rules", json=rule)
        assert r.status_code == 201
        rule_id = r.json()["id"]
        sim = c.post("/api/v1/assignment-rules/simulate",
                     json={"rules": [rule], "last_n": 20}).json()
        assert sim["n"] >= 1 and {"per_user", "rows", "changed"} <= set(sim)
        owners = [post_lead(c, first_name=f"Regla{i}", phone=f"65500000{i}",
                            province="Málaga") for i in range(4)]
        assert [o["owner_id"] for o in owners] == [p.comercial3.id, p.manager2.id] * 2
        assert {o["assigned_rule_id"] for o in owners} == {rule_id}
        assert all(o["team_id"] == p.team_sur.id for o in owners)
        other = post_lead(c, first_name="SinRegla", phone="655999999", province="Lugo")
        with live.client("manager1") as m:  # the rules send it to the other team
            routed = post_lead(m, first_name="Ruteado", phone="655888888", province="Cádiz")
            assert routed["owner_id"] == p.comercial3.id and routed["team_name"] == "Sur"
            assert m.get(f"/api/v1/leads/{routed['id']}").status_code == 404
        assert other["owner_id"] == p.admin.id and other["assigned_rule_id"] is None
        r = c.patch(f"/api/v1/assignment-rules/{rule_id}", json={"active": False})
        assert r.status_code == 200 and r.json()["active"] is False
        assert c.get("/api/v1/assignment-rules").json()["count"] == 1
        assert c.delete(f"/api/v1/assignment-rules/{rule_id}").status_code == 204
        assert c.get(f"/api/v1/assignment-rules/{rule_id}").status_code == 404
    with Session(live.engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity == "lead")
                       .where(AuditEvent.entity_id == owners[0]["id"])).one()
        assert "Andalucía" in event.note
        lead = s.get(Lead, owners[0]["id"])
        assert lead.assigned_rule_id is None  # rule deleted: link cleared, audit keeps it


def test_custom_fields_api_and_filter(live: Api) -> None:
    field = {"entity": "lead", "key": "tamano", "label": "Tamaño", "type": "choice",
             "choices": ["Pequeña", "Mediana"]}
    with live.client("comercial1") as c:
        assert c.post("/api/v1/custom-fields", json=field).status_code == 403
    with live.client("admin") as c:
        r = c.post("/api/v1/custom-fields", json={**field, "type": "colour"})
        assert r.status_code == 422 and "type" in r.json()["errors"]
        r = c.post("/api/v1/custom-fields", json=field)
        assert r.status_code == 201
        field_id = r.json()["id"]
    with live.client("comercial1") as c:
        assert [f["key"] for f in c.get("/api/v1/custom-fields",
                                        params={"entity": "lead"}).json()["data"]] == ["tamano"]
        r = c.post("/api/v1/leads", json={"first_name": "CF", "phone": "666000001",
                                          "custom": {"tamano": "Enorme"}})
        assert r.status_code == 422 and "custom.tamano" in r.json()["errors"]
        lead = post_lead(c, first_name="CF", phone="666000001", custom={"tamano": "mediana"})
        assert lead["custom"] == {"tamano": "Mediana"}
        r = c.get("/api/v1/leads", params={"custom.tamano": "Mediana"})
        assert [row["id"] for row in r.json()["data"]] == [lead["id"]]
    with live.client("admin") as c:
        r = c.patch(f"/api/v1/custom-fields/{field_id}", json={"label": "Tamaño empresa"})
        assert r.json()["label"] == "Tamaño empresa"
        assert c.delete(f"/api/v1/custom-fields/{field_id}").status_code == 204
        assert c.get("/api/v1/custom-fields", params={"entity": "lead"}).json() == {
            "data": [], "count": 0}


def test_saved_views_api(live: Api) -> None:
    with live.client("comercial1") as c:
        r = c.post("/api/v1/saved-views", json={"name": "Mis nuevos",
                                                "filters": {"status": ["nuevo"]}})
        assert r.status_code == 201
        view_id = r.json()["id"]
        assert [v["name"] for v in c.get("/api/v1/saved-views").json()["data"]] == [
            "Mis nuevos"]
    with live.client("comercial2") as c:
        assert c.get("/api/v1/saved-views").json() == {"data": [], "count": 0}
        assert c.delete(f"/api/v1/saved-views/{view_id}").status_code == 404
    with live.client("comercial1") as c:
        assert c.delete(f"/api/v1/saved-views/{view_id}").status_code == 204
