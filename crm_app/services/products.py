"""The product and service catalog. Anyone may read it; changes need ``catalog.change``."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.models import Opportunity, Product, QuoteLine, utcnow
from crm_app.permissions import Perm, has_perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.defaults import default_tax_rate
from crm_app.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from crm_app.services.quote_maths import EXENTO, IVA_RATES
from crm_app.services.records import add_record, delete_record, get_existing, save_changes
from crm_app.services.sales_common import (
    Page,
    order_by,
    paginate,
    text,
    to_decimal,
    unknown_fields,
)
from crm_app.services.search import matches
from crm_app.settings import get_settings

PRODUCT_FIELDS = ("name", "sku", "description", "unit_price", "tax_rate", "tax_exempt", "unit",
                  "active", "image_path")
PRODUCT_SORTS = {"name": Product.name, "sku": Product.sku, "unit_price": Product.unit_price,
                 "created_at": Product.created_at, "updated_at": Product.updated_at}
IMAGE_TYPES = {b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg", b"RIFF": ".webp"}
IMAGE_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".webp": "image/webp"}
MAX_IMAGE_BYTES = 2 * 1024 * 1024
TAX_RATE_ERROR = "Tipo de IVA no válido: 21, 10, 4, 0 o exento."


def parse_tax_rate(value: Any, exempt: Any, field_name: str, errors: dict[str, str],
                   default: Decimal = Decimal(21)) -> tuple[Decimal, bool]:
    """``(rate, exempt)`` from a rate (21, "10", "4 %") and/or ``exento``; a blank rate is
    ``default`` (the company's IVA by default)."""
    if isinstance(value, str) and value.strip().lower() == EXENTO:
        return Decimal("0.00"), True
    if exempt:
        return Decimal("0.00"), True
    rate = to_decimal(value, field_name=field_name, errors=errors, default=default,
                      label="El tipo de IVA")
    if field_name not in errors and rate not in IVA_RATES:
        errors[field_name] = TAX_RATE_ERROR
    if field_name in errors:  # not a rate at all (e.g. 1e400): nothing to round
        return Decimal("21.00"), False
    return (rate or Decimal(0)).quantize(Decimal("0.01")), False


def _clean(session: Session, data: Mapping[str, Any],
           current: Product | None) -> dict[str, Any]:
    errors = unknown_fields(data=data, allowed=PRODUCT_FIELDS)
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return current is None or key in data

    if given("name"):
        out["name"] = text(data.get("name"), field_name="name", errors=errors, max_len=200,
                           required=True, label="El nombre")
    if given("sku"):
        sku = text(data.get("sku"), field_name="sku", errors=errors, max_len=60, required=True,
                   label="La referencia (SKU)").upper()
        if sku and "sku" not in errors:
            clash = select(Product.id).where(func.upper(Product.sku) == sku)
            if current is not None:
                clash = clash.where(Product.id != current.id)
            if session.exec(clash).first() is not None:
                errors["sku"] = "Ya hay un producto con esta referencia."
        out["sku"] = sku
    if given("description"):
        out["description"] = str(data.get("description") or "").strip()
    if given("unit_price"):
        out["unit_price"] = to_decimal(data.get("unit_price"), field_name="unit_price",
                                       errors=errors, default=Decimal(0), minimum=Decimal(0),
                                       maximum=Decimal("9999999999"), places=4,
                                       label="El precio")
    if given("tax_rate") or given("tax_exempt"):
        company_rate = default_tax_rate(session=session)
        rate_in = data.get("tax_rate", current.tax_rate if current else company_rate)
        exempt_in = data.get("tax_exempt", current.tax_exempt if current and
                             "tax_rate" not in data else False)
        out["tax_rate"], out["tax_exempt"] = parse_tax_rate(rate_in, exempt_in, "tax_rate",
                                                            errors, company_rate)
    if given("unit"):
        out["unit"] = text(data.get("unit") or "ud", field_name="unit", errors=errors,
                           max_len=20)
    if given("active"):
        out["active"] = True if data.get("active") is None else bool(data.get("active"))
    if "image_path" in data:
        out["image_path"] = str(data.get("image_path") or "")[:255]
    if errors:
        raise ValidationFailed(errors)
    return out


def _changer(actor: Actor) -> None:
    require(actor, Perm.CATALOG_CHANGE)


def _reader(actor: Actor) -> None:
    if not has_perm(actor, Perm.RECORDS_VIEW):
        raise PermissionDenied()


def _product(session: Session, product_id: int) -> Product:
    return get_existing(session=session, model=Product, record_id=product_id,
                        missing="Producto no encontrado.")


@needs_actor
def create_product(*, session: Session, actor: Actor, data: Mapping[str, Any]) -> Product:
    _changer(actor)
    values = _clean(session, data, None)
    return add_record(session=session, actor=actor, record=Product(**values, created_at=utcnow()),
                      entity="product")


@needs_actor
def update_product(*, session: Session, actor: Actor, product_id: int,
                   data: Mapping[str, Any]) -> Product:
    _changer(actor)
    product = _product(session, product_id)
    values = _clean(session, data, product)
    save_changes(session=session, actor=actor, record=product, entity="product", values=values)
    return product


@needs_actor
def delete_product(*, session: Session, actor: Actor, product_id: int) -> None:
    """Delete an unused product; one used in quotes or opportunities is deactivated instead."""
    _changer(actor)
    product = _product(session, product_id)
    used = session.exec(select(QuoteLine.id).where(QuoteLine.product_id == product.id)).first() \
        or session.exec(select(Opportunity.id).where(Opportunity.product_id == product.id)).first()
    if used is not None:
        raise Conflict("El producto aparece en presupuestos u oportunidades: desactívalo en "
                       "lugar de eliminarlo.")
    delete_record(session=session, actor=actor, record=product, entity="product")
    _remove_images(product_id)


@needs_actor
def get_product(*, session: Session, actor: Actor, product_id: int) -> Product:
    _reader(actor)
    return _product(session, product_id)


@needs_actor
def list_products(*, session: Session, actor: Actor, q: str = "",
                  active: bool | None = True, sort: str = "name", offset: int = 0,
                  limit: int = 25) -> Page[Product]:
    """One page of the catalog; search on name, SKU and description."""
    _reader(actor)
    stmt = select(Product)
    if active is not None:
        stmt = stmt.where(Product.active == active)
    if (q or "").strip():
        stmt = stmt.where(matches(Product, q))
    stmt = order_by(stmt, Product, sort, PRODUCT_SORTS, "name")
    rows, total = paginate(session, stmt, offset, limit)
    return Page(rows, total, max(0, offset), limit)


def image_url(product: Product) -> str:
    """The authorised image route; ``v`` changes with the product, so a new image shows."""
    if not product.image_path:
        return ""
    stamp = product.updated_at or product.created_at
    return f"/api/v1/products/{product.id}/image?v={int(stamp.timestamp()) if stamp else 0}"


def catalog_dir() -> Path:
    return get_settings().data_dir / "catalog"


def image_type(content: bytes) -> str | None:
    """``image/png``, ``image/jpeg`` or ``image/webp`` from the bytes themselves, else ``None``."""
    ext = next((e for magic, e in IMAGE_TYPES.items() if content.startswith(magic)), None)
    if ext == ".webp" and content[8:12] != b"WEBP":
        ext = None
    return IMAGE_MIME.get(ext or "")


def _image_file(product: Product) -> Path | None:
    """The stored image of ``product``: only a file inside the catalog folder counts."""
    if not product.image_path:
        return None
    folder = catalog_dir().resolve()
    path = (get_settings().data_dir / product.image_path).resolve()
    if path.parent != folder or not path.is_file():
        return None
    return path


def _remove_images(product_id: int, keep: str = "") -> None:
    for ext in IMAGE_MIME:
        path = catalog_dir() / f"product-{product_id}{ext}"
        if path.name != keep:
            path.unlink(missing_ok=True)


@needs_actor
def product_image(*, session: Session, actor: Actor,
                  product_id: int) -> tuple[bytes, str]:
    """``(bytes, content type)`` of the product's image; ``NotFound`` when it has none."""
    product = get_product(session=session, actor=actor, product_id=product_id)
    path = _image_file(product)
    content = path.read_bytes() if path is not None else b""
    mime = image_type(content)
    if mime is None:
        raise NotFound("El producto no tiene imagen.")
    return content, mime


@needs_actor
def set_product_image(*, session: Session, actor: Actor, product_id: int,
                      content: bytes) -> Product:
    """Store a PNG/JPEG/WebP image (≤ 2 MB) in the data dir; ``image_path`` is its key."""
    _changer(actor)
    product = _product(session, product_id)
    if len(content) > MAX_IMAGE_BYTES:
        raise ValidationFailed({"image": "La imagen no puede pasar de 2 MB."})
    mime = image_type(content)
    if mime is None:
        raise ValidationFailed({"image": "La imagen debe ser PNG, JPEG o WebP."})
    ext = next(e for e, m in IMAGE_MIME.items() if m == mime)
    folder = catalog_dir()
    folder.mkdir(parents=True, exist_ok=True)
    key = f"catalog/product-{product.id}{ext}"
    (get_settings().data_dir / key).write_bytes(content)
    _remove_images(product.id, keep=f"product-{product.id}{ext}")
    before = product.image_path
    product.image_path = key
    product.updated_at = utcnow()
    session.add(product)
    audit.record(session=session, actor=actor, entity="product", entity_id=product.id,
                 action="update", before={"image_path": before}, after={"image_path": key})
    session.commit()
    return product


__all__ = ["MAX_IMAGE_BYTES", "PRODUCT_FIELDS", "create_product", "delete_product", "get_product",
           "image_type", "image_url", "list_products", "parse_tax_rate", "product_image",
           "set_product_image", "update_product"]
