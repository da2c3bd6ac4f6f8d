"""The catalog's state: everyone reads it; changing it needs ``catalog.change`` (checked by
``@handler`` and again by the service; the buttons only hide what would be refused)."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app.formatting import dec_text, money
from crm_app.i18n import t
from crm_app.list_state import ListState
from crm_app.permissions import Perm, has_perm
from crm_app.services import products as product_service
from crm_app.services.defaults import default_tax_rate
from crm_app.services.quote_maths import EXENTO
from crm_app.services.sales_common import rate_text
from crm_app.state import AppState, Ctx, handler, setter

FIELDS = ("name", "sku", "description", "unit_price", "tax_rate", "unit")
ACTIVE = {"active": True, "inactive": False, "all": None}


class CatalogState(ListState, AppState):
    _sorts: ClassVar = ("name", "sku", "unit_price", "created_at")
    _default_sort: ClassVar = ("name", False)
    _views: ClassVar = ("active", "inactive", "all")

    can_change: bool = False
    dialog_open: bool = False
    product_id: int = 0
    form: dict[str, str] = {}
    product_active: bool = True
    errors: dict[str, str] = {}
    form_key: int = 0
    saving: bool = False
    image_url: str = ""
    image_errors: dict[str, str] = {}
    uploading: bool = False

    def _load_options(self, ctx: Ctx) -> None:
        self.can_change = has_perm(ctx.user, Perm.CATALOG_CHANGE)
        self.dialog_open = False

    def _fetch(self, ctx: Ctx, *, offset: int, limit: int) -> tuple[list[dict[str, str]], int]:
        page = product_service.list_products(
            session=ctx.session, actor=ctx.user, q=self.q, active=ACTIVE[self.view],
            sort=("-" if self.desc else "") + self.sort, offset=offset, limit=limit)
        return [{
            "id": str(p.id), "name": p.name, "sku": p.sku, "description": p.description,
            "price": money(p.unit_price) if p.unit_price == round(p.unit_price, 2)
            else dec_text(p.unit_price) + "\u00a0€",
            "tax": t("sui.quote.exempt") if p.tax_exempt else f"{rate_text(p.tax_rate)}\u00a0%",
            "unit": p.unit, "active": "1" if p.active else "",
            "image": product_service.image_url(p),
        } for p in page.items], page.total

    @handler(Perm.CATALOG_CHANGE)
    def new(self, ctx: Ctx) -> None:
        """The new product's dialog, its IVA the company's by default (Ajustes → Empresa)."""
        self.product_id = 0
        self.form = {k: "" for k in FIELDS} | {
            "tax_rate": rate_text(default_tax_rate(session=ctx.session)), "unit": "ud"}
        self.product_active = True
        self.errors = {}
        self.image_url, self.image_errors = "", {}
        self.form_key += 1
        self.dialog_open = True

    @handler(Perm.CATALOG_CHANGE)
    def edit(self, ctx: Ctx, product_id: str) -> None:
        p = product_service.get_product(session=ctx.session, actor=ctx.user,
                                        product_id=int(product_id))
        self.product_id = p.id or 0
        self.form = {"name": p.name, "sku": p.sku, "description": p.description,
                     "unit_price": dec_text(p.unit_price),
                     "tax_rate": EXENTO if p.tax_exempt else rate_text(p.tax_rate),
                     "unit": p.unit}
        self.product_active = p.active
        self.image_url = product_service.image_url(p)
        self.errors, self.image_errors = {}, {}
        self.form_key += 1
        self.dialog_open = True

    set_dialog_open = setter("dialog_open")

    @handler(Perm.CATALOG_CHANGE, errors="errors")
    def save(self, ctx: Ctx, form_data: dict[str, Any]) -> Any:
        data: dict[str, Any] = {k: str(form_data.get(k) or "").strip() for k in FIELDS}
        data["active"] = str(form_data.get("active", "")) in ("on", "true", "True", "1")
        with self._busy("saving"):
            yield
            if self.product_id:
                product_service.update_product(session=ctx.session, actor=ctx.user,
                                               product_id=self.product_id, data=data)
            else:
                product_service.create_product(session=ctx.session, actor=ctx.user, data=data)
        self.dialog_open = False
        yield self._done(ctx, t("sui.products.saved"))

    @handler(Perm.CATALOG_CHANGE, errors="image_errors")
    async def upload_image(self, ctx: Ctx, files: list[rx.UploadFile]) -> Any:
        """The product's image, stored by the service in the data dir (never ``/_upload``)."""
        if not files or not self.product_id:
            return
        with self._busy("uploading"):
            yield
            content = await files[0].read(product_service.MAX_IMAGE_BYTES + 1)
            product = product_service.set_product_image(
                session=ctx.session, actor=ctx.user, product_id=self.product_id,
                content=content)
        self.image_url = product_service.image_url(product)
        yield self._done(ctx, t("sui.product.image_saved"))

    @rx.var
    def image_error_text(self) -> str:
        return self.image_errors.get("image", "")

    @handler(Perm.CATALOG_CHANGE)
    def delete(self, ctx: Ctx) -> Any:
        product_service.delete_product(session=ctx.session, actor=ctx.user,
                                       product_id=self.product_id)
        self.dialog_open = False
        return self._done(ctx, t("sui.products.deleted"))
