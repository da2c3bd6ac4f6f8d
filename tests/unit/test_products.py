"""The catalog: SKU unique, IVA rates, permissions, deactivate instead of delete, images."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sales_support as build

from crm_app.services import products
from crm_app.services.errors import Conflict, PermissionDenied, ValidationFailed
from crm_app.settings import get_settings

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d49444154789c6360f8cf000000030101005d8d7a4c0000000049454e44ae426082")


def test_catalog_crud_and_rules(session, people):
    with pytest.raises(PermissionDenied):
        build.product(session, people.comercial1)
    p = build.product(session, people.manager1, name="Hora de consultoría", sku=" cons-h ",
                      unit_price="60", tax_rate="21 %", unit="h")
    assert (p.sku, p.unit_price, p.tax_rate, p.unit, p.active) == (
        "CONS-H", Decimal("60.0000"), Decimal("21.00"), "h", True)
    with pytest.raises(ValidationFailed) as exc:
        build.product(session, people.admin, name="", sku="Cons-H", unit_price="-1",
                      tax_rate="5")
    assert exc.value.errors == {"name": "El nombre es obligatorio.",
                                "sku": "Ya hay un producto con esta referencia.",
                                "unit_price": "El precio no puede ser menor que 0.",
                                "tax_rate": "Tipo de IVA no válido: 21, 10, 4, 0 o exento."}
    exempt = build.product(session, people.admin, tax_rate="exento")
    assert (exempt.tax_exempt, exempt.tax_rate) == (True, Decimal("0.00"))
    products.update_product(session=session, actor=people.director, product_id=exempt.id,
                            data={"tax_rate": "4"})
    assert (exempt.tax_exempt, exempt.tax_rate) == (False, Decimal("4.00"))
    products.update_product(session=session, actor=people.admin, product_id=p.id,
                            data={"active": False})
    assert products.list_products(session=session, actor=people.comercial1).total == 1
    assert products.list_products(session=session, actor=people.comercial1, active=None,
                                  q="consultoría").total == 1
    # used in a quote: deactivate, do not delete; an inactive product cannot be quoted
    acc = build.account(session, people.comercial1)
    build.quote(session, people.comercial1, acc.id, lines=[{"product_id": exempt.id}])
    with pytest.raises(Conflict):
        products.delete_product(session=session, actor=people.admin, product_id=exempt.id)
    with pytest.raises(ValidationFailed) as exc:
        build.quote(session, people.comercial1, acc.id, lines=[{"product_id": p.id}])
    assert exc.value.errors == {"lines.0.product_id": "Producto desactivado en el catálogo."}
    products.delete_product(session=session, actor=people.admin, product_id=p.id)
    assert products.list_products(session=session, actor=people.admin, active=None).total == 1


def test_product_image(session, people):
    p = build.product(session, people.admin)
    with pytest.raises(ValidationFailed):
        products.set_product_image(session=session, actor=people.admin, product_id=p.id,
                                   content=b"GIF89a....")
    products.set_product_image(session=session, actor=people.admin, product_id=p.id,
                               content=PNG)
    assert p.image_path == f"catalog/product-{p.id}.png"
    assert (get_settings().data_dir / p.image_path).read_bytes() == PNG
