"""The customers/sales HTTP API, served in process (``api_harness``) over each test's own
fresh SQLite database.

JSON shapes, row scoping per role (out of scope = 404), 422 with field errors, the one list
convention (``{"data", "count"}``, ``page``/``page_size``, deprecated ``offset``/``limit``).
"""

from __future__ import annotations

import email
import email.policy
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
from aiosmtpd.controller import Controller
from api_harness import Api, serve_with_people
from throwaway import free_port

from crm_app.settings import get_settings


class Caller:
    """``api("comercial1", "GET", path)``: one request as that user (``""``: anonymous)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def __call__(self, who: str, method: str, path: str, **kw) -> httpx.Response:
        return self.api.request(who or None, method, path, **kw)


@pytest.fixture
def api(tmp_path) -> Iterator[Caller]:
    with serve_with_people(tmp_path) as served:
        yield Caller(served)


def ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, response.text
    return response.json()


ACCOUNT = {"name": "Talleres Ruiz S.L.", "nif": "b12345674", "postal_code": "41001",
           "city": "Sevilla", "email": "info@talleres.es", "recargo_equivalencia": True}


# --- accounts and contacts --------------------------------------------------------------------


def test_accounts_crud_scope_and_errors(api):
    assert api("", "GET", "/api/v1/accounts").status_code == 401
    acc = ok(api("comercial1", "POST", "/api/v1/accounts", json=ACCOUNT), 201)
    assert (acc["nif"], acc["province"], acc["recargo_equivalencia"]) == (
        "B12345674", "Sevilla", True)
    path = f"/api/v1/accounts/{acc['id']}"
    for who, status in [("comercial1", 200), ("manager1", 200), ("director", 200),
                        ("admin", 200), ("comercial2", 404), ("manager2", 404),
                        ("comercial3", 404)]:
        assert api(who, "GET", path).status_code == status, who
    assert api("comercial2", "PATCH", path, json={"city": "X"}).status_code == 404
    assert api("manager2", "DELETE", path).status_code == 404
    page = ok(api("manager1", "GET", "/api/v1/accounts", params={"q": "talleres"}))
    assert set(page) == {"data", "count"} and page["count"] == 1
    assert page["data"][0]["name"] == "Talleres Ruiz S.L."
    assert ok(api("manager2", "GET", "/api/v1/accounts"))["count"] == 0
    changed = ok(api("comercial1", "PATCH", path, json={"phone": "954 12 34 56"}))
    assert changed["phone"] == "+34954123456"

    # 422: service validation and body parsing share one shape, in Spanish
    bad = api("comercial1", "POST", "/api/v1/accounts",
              json={"name": "X", "nif": "B12345675", "province": "Narnia"})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"nif", "province"}
    bad = api("comercial1", "POST", "/api/v1/accounts",
              json={"recargo_equivalencia": "quizá", "colour": "red"})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"name": "Obligatorio.",
                                    "recargo_equivalencia": "Debe ser sí o no (true/false).",
                                    "colour": "Campo desconocido."}
    # only admins load history dates
    assert api("comercial1", "POST", "/api/v1/accounts", json={
        **ACCOUNT, "nif": "", "created_at": "2024-01-01T10:00:00Z"}).status_code == 422
    old = ok(api("admin", "POST", "/api/v1/accounts", json={
        **ACCOUNT, "nif": "", "created_at": "2024-01-01T10:00:00Z"}), 201)
    assert old["created_at"].startswith("2024-01-01T10:00:00")

    # recycle bin
    assert ok(api("comercial1", "DELETE", path))["deleted_at"]
    assert api("comercial1", "GET", path).status_code == 404
    binned = ok(api("comercial1", "GET", "/api/v1/accounts", params={"deleted": "true"}))
    assert [a["id"] for a in binned["data"]] == [acc["id"]]
    assert ok(api("comercial1", "POST", f"{path}/restore"))["deleted_at"] is None


def test_contacts_and_customer_file(api):
    acc = ok(api("comercial1", "POST", "/api/v1/accounts", json=ACCOUNT), 201)
    contact = ok(api("comercial1", "POST", "/api/v1/contacts", json={
        "account_id": acc["id"], "first_name": "Eva", "email": "EVA@talleres.es"}), 201)
    assert contact["email"] == "eva@talleres.es" and contact["owner_id"] == acc["owner_id"]
    assert api("comercial3", "GET", f"/api/v1/contacts/{contact['id']}").status_code == 404
    assert ok(api("comercial1", "GET", "/api/v1/contacts",
                  params={"account_id": acc["id"]}))["count"] == 1
    bad = api("comercial3", "POST", "/api/v1/contacts", json={"account_id": acc["id"],
                                                              "first_name": "X"})
    assert bad.status_code == 422 and bad.json()["errors"] == {
        "account_id": "Cliente no encontrado."}
    file = ok(api("manager1", "GET", f"/api/v1/accounts/{acc['id']}/360"))
    assert set(file) == {"account", "owner", "contacts", "timeline", "opportunities", "quotes",
                         "purchases", "alerts", "documents"}
    assert file["account"]["name"] == ACCOUNT["name"]
    assert [c["name"] for c in file["contacts"]] == ["Eva"]
    assert file["purchases"] == {"items": [], "per_year": [], "total": "0.00"}
    assert {e["title"] for e in file["timeline"]} >= {"Cliente dado de alta",
                                                      "Contacto añadido"}
    assert api("manager2", "GET", f"/api/v1/accounts/{acc['id']}/360").status_code == 404


# --- pipelines, opportunities, products -------------------------------------------------------


def test_pipelines_admin_only(api):
    pipes = ok(api("comercial1", "GET", "/api/v1/pipelines"))["data"]
    assert [p["name"] for p in pipes] == ["Ventas"]
    assert [s["name"] for s in pipes[0]["stages"]][:3] == ["En análisis", "Oferta presentada",
                                                          "En negociación"]
    body = {"name": "Renovaciones", "stages": [
        {"name": "Aviso", "probability": 30}, {"name": "Renovada", "kind": "won"},
        {"name": "Baja", "kind": "lost", "required_fields": ["lost_reason"]}]}
    assert api("director", "POST", "/api/v1/pipelines", json=body).status_code == 403
    created = ok(api("admin", "POST", "/api/v1/pipelines", json=body), 201)
    assert [(s["name"], s["probability"]) for s in created["stages"]] == [
        ("Aviso", 30), ("Renovada", 100), ("Baja", 0)]
    bad = api("admin", "PATCH", f"/api/v1/pipelines/{created['id']}",
              json={"stages": [{"name": "Solo"}]})
    assert bad.status_code == 422 and "stages" in bad.json()["errors"]
    renamed = ok(api("admin", "PATCH", f"/api/v1/pipelines/{created['id']}",
                     json={"name": "Renovaciones anuales"}))
    assert renamed["name"] == "Renovaciones anuales"
    assert ok(api("comercial3", "GET", f"/api/v1/pipelines/{created['id']}"))["id"] == \
        created["id"]


def test_opportunities_move_history_kanban(api):
    acc = ok(api("comercial1", "POST", "/api/v1/accounts", json=ACCOUNT), 201)
    stages = {s["name"]: s["id"] for s in ok(api("comercial1", "GET",
                                                  "/api/v1/pipelines"))["data"][0]["stages"]}
    opp = ok(api("comercial1", "POST", "/api/v1/opportunities", json={
        "name": "Renovación flota", "account_id": acc["id"], "amount": "12500.50"}), 201)
    assert (opp["stage_name"], opp["amount"], opp["weighted"], opp["kind"]) == (
        "En análisis", "12500.50", "1250.05", "open")
    oid = opp["id"]
    assert api("comercial2", "GET", f"/api/v1/opportunities/{oid}").status_code == 404
    assert api("comercial2", "POST", f"/api/v1/opportunities/{oid}/move",
               json={"stage_id": stages["Perdida"]}).status_code == 404
    bad = api("comercial1", "POST", f"/api/v1/opportunities/{oid}/move",
              json={"stage_id": stages["Perdida"]})
    assert bad.status_code == 422
    assert bad.json()["errors"] == {
        "lost_reason": "Para pasar a «Perdida» indica el motivo de pérdida."}
    lost = ok(api("manager1", "POST", f"/api/v1/opportunities/{oid}/move", json={
        "stage_id": stages["Perdida"], "fields": {"lost_reason": "Precio"}}))
    assert (lost["kind"], lost["lost_reason"]) == ("lost", "Precio") and lost["closed_at"]
    reopened = ok(api("comercial1", "PATCH", f"/api/v1/opportunities/{oid}",
                      json={"stage_id": stages["En negociación"]}))
    assert reopened["closed_at"] is None
    history = ok(api("comercial1", "GET", f"/api/v1/opportunities/{oid}/history"))
    assert history["count"] == 3
    assert [(h["to_stage"], h["changed_by"]) for h in history["data"]] == [
        ("En análisis", "Comercial1"), ("Perdida", "Manager1"),
        ("En negociación", "Comercial1")]
    assert api("comercial1", "POST", "/api/v1/opportunities",
               json={"name": "X", "amount": "mucho"}).json()["errors"] == {
        "amount": "Debe ser un número (usa el punto decimal: 1234.50)."}

    board = ok(api("director", "GET", "/api/v1/opportunities/kanban"))
    nego = next(c for c in board["columns"] if c["name"] == "En negociación")
    assert (nego["count"], nego["amount"], nego["weighted"]) == (1, "12500.50", "8750.35")
    assert nego["cards"][0]["name"] == "Renovación flota"
    assert sum(c["count"] for c in ok(api("comercial3", "GET",
                                          "/api/v1/opportunities/kanban"))["columns"]) == 0
    listed = ok(api("manager1", "GET", "/api/v1/opportunities", params={"status": "open"}))
    assert listed["count"] == 1 and listed["data"][0]["owner"] == "Comercial1"

    # Historic load: admins only
    body = {"name": "Histórica", "stage_id": stages["Ganada"], "amount": "900",
            "created_at": "2024-05-01T09:00:00Z", "closed_at": "2024-06-30T15:00:00Z"}
    assert api("manager1", "POST", "/api/v1/opportunities", json=body).status_code == 422
    hist = ok(api("admin", "POST", "/api/v1/opportunities", json=body), 201)
    assert hist["created_at"].startswith("2024-05-01") and hist["closed_at"].startswith(
        "2024-06-30")


def test_products_catalog(api):
    body = {"name": "Licencia anual", "sku": "lic-1", "unit_price": "1234.5", "tax_rate": "21"}
    assert api("comercial1", "POST", "/api/v1/products", json=body).status_code == 403
    prod = ok(api("manager1", "POST", "/api/v1/products", json=body), 201)
    assert (prod["sku"], prod["unit_price"], prod["tax_rate"], prod["tax_exempt"]) == (
        "LIC-1", "1234.5000", "21.00", False)
    dup = api("admin", "POST", "/api/v1/products", json={**body, "sku": "LIC-1"})
    assert dup.status_code == 422 and dup.json()["errors"] == {
        "sku": "Ya hay un producto con esta referencia."}
    bad = api("admin", "POST", "/api/v1/products", json={**body, "sku": "X", "tax_rate": "7"})
    assert bad.json()["errors"] == {"tax_rate": "Tipo de IVA no válido: 21, 10, 4, 0 o exento."}
    exempt = ok(api("director", "PATCH", f"/api/v1/products/{prod['id']}",
                    json={"tax_rate": "exento"}))
    assert (exempt["tax_exempt"], exempt["tax_rate"]) == (True, "0.00")
    assert ok(api("comercial3", "GET", "/api/v1/products", params={"q": "licencia"}))[
        "count"] == 1
    assert ok(api("comercial3", "GET", f"/api/v1/products/{prod['id']}"))["name"] == \
        "Licencia anual"
    assert api("comercial3", "GET", "/api/v1/products/999").status_code == 404


def tiny_png() -> bytes:
    """A valid 1×1 PNG, built by hand (signature, IHDR, IDAT, IEND)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x1e\x90\xff")) + chunk(b"IEND", b""))


def test_product_image_upload_and_download(api, tmp_path):
    """The images live in the data dir (``serve_with_people``: ``tmp_path / "data"``)."""
    prod = ok(api("admin", "POST", "/api/v1/products", json={
        "name": "Taladro", "sku": "TAL-1", "unit_price": "89.90"}), 201)
    url = f"/api/v1/products/{prod['id']}/image"
    assert api("comercial1", "GET", url).status_code == 404
    png = tiny_png()
    # Only catalog.change may upload; an anonymous caller is not even asked.
    assert api("comercial1", "POST", url,
               files={"image": ("foto.png", png, "image/png")}).status_code == 403
    assert api("", "POST", url,
               files={"image": ("foto.png", png, "image/png")}).status_code == 401
    # The type comes from the bytes: a text file named .png is refused, in Spanish.
    fake = api("manager1", "POST", url,
               files={"image": ("foto.png", b"no soy una imagen", "image/png")})
    assert fake.status_code == 422 and fake.json()["errors"] == {
        "image": "La imagen debe ser PNG, JPEG o WebP."}
    big = api("manager1", "POST", url, files={
        "image": ("grande.png", png + b"\0" * (2 * 1024 * 1024), "image/png")})
    assert big.status_code == 422 and big.json()["errors"] == {
        "image": "La imagen no puede pasar de 2 MB."}
    missing = api("manager1", "POST", url)
    assert missing.status_code == 422 and "image" in missing.json()["errors"]
    assert api("manager1", "POST", "/api/v1/products/999/image",
               files={"image": ("foto.png", png, "image/png")}).status_code == 404
    # A PNG sent with a misleading name and type is still a PNG.
    done = ok(api("manager1", "POST", url,
                  files={"image": ("foto.txt", png, "text/plain")}))
    assert done["image_path"] == f"catalog/product-{prod['id']}.png"
    stored = tmp_path / "data" / "catalog" / f"product-{prod['id']}.png"
    assert stored.read_bytes() == png
    got = api("comercial1", "GET", url)
    assert got.status_code == 200 and got.content == png
    assert got.headers["content-type"] == "image/png"
    assert api("", "GET", url).status_code == 401
    # A JPEG replaces it (and the old file goes).
    jpeg = b"\xff\xd8\xff\xe0" + b"\0" * 64
    ok(api("admin", "POST", url, files={"image": ("x.jpg", jpeg, "image/jpeg")}))
    assert not stored.exists()
    got = api("comercial3", "GET", url)
    assert (got.content, got.headers["content-type"]) == (jpeg, "image/jpeg")
    assert api("admin", "DELETE", f"/api/v1/products/{prod['id']}").status_code == 204
    assert api("admin", "GET", url).status_code == 404
    assert list((tmp_path / "data" / "catalog").iterdir()) == []


# --- quotes -----------------------------------------------------------------------------------


@pytest.fixture
def smtp_env(monkeypatch) -> Iterator[list]:
    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
            received.append(email.message_from_bytes(envelope.content,
                                                     policy=email.policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CRM_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CRM_SMTP_PORT", str(port))
    get_settings.cache_clear()
    try:
        yield received
    finally:
        controller.stop()
        monkeypatch.undo()
        get_settings.cache_clear()


def test_quote_lifecycle_over_http(api, smtp_env):
    acc = ok(api("comercial1", "POST", "/api/v1/accounts", json=ACCOUNT), 201)
    opp = ok(api("comercial1", "POST", "/api/v1/opportunities", json={
        "name": "Equipamiento", "account_id": acc["id"], "amount": "1"}), 201)
    prod = ok(api("admin", "POST", "/api/v1/products", json={
        "name": "Taladro", "sku": "T-1", "unit_price": "89.90", "tax_rate": "21"}), 201)
    body = {"account_id": acc["id"], "opportunity_id": opp["id"],
            "lines": [{"product_id": prod["id"], "description": "Taladro percutor",
                       "quantity": "2", "unit_price": "89.90", "discount_pct": "10",
                       "tax_rate": "21"},
                      {"description": "Curso de uso", "quantity": "1", "unit_price": "50",
                       "discount_pct": "0", "tax_rate": "exento"}],
            "global_discount_pct": "0", "recargo_equivalencia": True, "irpf_pct": "0"}
    quote = ok(api("comercial1", "POST", "/api/v1/quotes", json=body), 201)
    # 2 × 89,90 × 0,9 = 161,82; IVA 33,98 (33,9822); R.E. 5,2 % = 8,41464 → 8,41; exento 50
    assert quote["totals"]["base"] == "211.82"
    assert quote["totals"]["taxes"] == [{"rate": "21", "base": "161.82", "amount": "33.98",
                                         "iva_rate": None},
                                        {"rate": "exento", "base": "50.00", "amount": "0.00",
                                         "iva_rate": None}]
    assert quote["totals"]["recargo"] == [{"rate": "5.2", "base": "161.82", "amount": "8.41",
                                           "iva_rate": "21"}]
    assert (quote["totals"]["irpf"], quote["totals"]["total"]) == ("0.00", "254.21")
    assert quote["number"].startswith("P-") and quote["version"] == 1
    assert quote["status"] == "borrador" and quote["lines"][1]["tax_rate"] == "exento"
    assert Decimal(quote["lines"][0]["line_base"]) == Decimal("161.82")
    qid = quote["id"]

    for who, status in [("comercial1", 200), ("manager1", 200), ("director", 200),
                        ("comercial2", 404), ("manager2", 404)]:
        assert api(who, "GET", f"/api/v1/quotes/{qid}").status_code == status, who
    assert api("comercial3", "GET", f"/api/v1/quotes/{qid}/pdf").status_code == 404
    pdf = api("manager1", "GET", f"/api/v1/quotes/{qid}/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert f'filename="Presupuesto-{quote["number"]}-v1.pdf"' in pdf.headers[
        "content-disposition"]

    bad = api("comercial1", "POST", "/api/v1/quotes", json={
        **body, "lines": [{"description": "x", "quantity": "abc", "unit_price": "1"}]})
    assert bad.status_code == 422 and bad.json()["errors"] == {
        "lines.0.quantity": "Debe ser un número (usa el punto decimal: 1234.50)."}
    bad = api("comercial1", "POST", "/api/v1/quotes", json={
        **body, "lines": [{"description": "x", "quantity": "0", "unit_price": "1"}]})
    assert bad.json()["errors"] == {"lines.0.quantity": "La cantidad debe ser mayor que 0."}
    assert api("comercial3", "POST", "/api/v1/quotes", json=body).json()["errors"] == {
        "account_id": "Cliente no encontrado.", "opportunity_id": "Oportunidad no encontrada."}

    sent = ok(api("comercial1", "POST", f"/api/v1/quotes/{qid}/send",
                  json={"to": ["compras@talleres.es"], "message": "Adjunto presupuesto."}))
    assert sent["status"] == "enviado" and sent["sent_at"]
    [msg] = smtp_env
    assert msg["To"] == "compras@talleres.es"
    assert [p.get_filename() for p in msg.iter_attachments()] == [
        f"Presupuesto-{quote['number']}-v1.pdf"]

    v2 = ok(api("comercial1", "POST", f"/api/v1/quotes/{qid}/revise"), 201)
    assert (v2["number"], v2["version"], v2["status"]) == (quote["number"], 2, "borrador")
    assert [v["version"] for v in v2["versions"]] == [1, 2]
    patched = ok(api("comercial1", "PATCH", f"/api/v1/quotes/{v2['id']}",
                     json={"global_discount_pct": "10"}))
    assert patched["totals"]["global_discount_pct"] == "10"
    assert api("comercial2", "POST", f"/api/v1/quotes/{v2['id']}/accept").status_code == 404
    accepted = ok(api("comercial1", "POST", f"/api/v1/quotes/{v2['id']}/accept"))
    assert accepted["status"] == "aceptado"
    assert ok(api("comercial1", "GET", f"/api/v1/quotes/{qid}"))["status"] == "rechazado"
    won = ok(api("comercial1", "GET", f"/api/v1/opportunities/{opp['id']}"))
    assert (won["kind"], won["amount"]) == ("won", patched["totals"]["base"])
    again = api("comercial1", "POST", f"/api/v1/quotes/{v2['id']}/reject", json={"reason": "x"})
    assert again.status_code == 409

    other = ok(api("comercial1", "POST", "/api/v1/quotes", json={
        "account_id": acc["id"], "lines": [{"description": "Otro", "unit_price": "10"}]}), 201)
    assert other["recargo_equivalencia"] is True  # from the customer's flag
    rejected = ok(api("comercial1", "POST", f"/api/v1/quotes/{other['id']}/reject",
                      json={"reason": "No interesa"}))
    assert rejected["status"] == "rechazado"
    listed = ok(api("manager1", "GET", "/api/v1/quotes", params={"account_id": acc["id"]}))
    assert listed["count"] == 3
    assert [q["label"] for q in listed["data"]][:2] == [f"{other['number']} v1",
                                                        f"{quote['number']} v2"]
    assert ok(api("manager2", "GET", "/api/v1/quotes"))["count"] == 0
