"""/productos: the catalog of products and services. Everyone reads it; changing it needs
``catalog.change`` (checked by the service; the buttons only hide what would be refused)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from components.sales_ui import (
    PHONE_FULL,
    big_empty,
    choice,
    confirm,
    form_actions,
    form_field,
    paged_table,
    row_card,
    text_input,
)
from crm_app.formatting import money
from crm_app.i18n import t
from crm_app.list_state import ListMixin
from crm_app.models import Product, User
from crm_app.permissions import Perm, has_perm
from crm_app.services import products as product_service
from crm_app.services.errors import ValidationFailed
from crm_app.services.quote_maths import EXENTO
from crm_app.services.sales_common import rate_text
from crm_app.state import AppState
from pages.sales_shared import dec_text, failure, user_session

SORTS = ("name", "sku", "unit_price", "created_at")
TAX_CHOICES = [("21", "21 %"), ("10", "10 %"), ("4", "4 %"), ("0", "0 %")]
FIELDS = ("name", "sku", "description", "unit_price", "tax_rate", "unit")
# The product name opens the form: a real button, looking like the name, wrapping like text.
IMAGE_ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"],
                "image/webp": [".webp"]}
NAME_BUTTON = {"padding": "0", "height": "auto", "margin": "0", "textAlign": "left",
               "whiteSpace": "normal", "minWidth": "0", "flexShrink": "1",
               "fontWeight": "500"}


class CatalogState(ListMixin, AppState):
    sort: str = "name"
    desc: bool = False
    active: str = "active"
    can_change: bool = False
    dialog_open: bool = False
    product_id: int = 0
    form: dict[str, str] = {}
    product_active: bool = True
    errors: dict[str, str] = {}
    form_key: int = 0
    saving: bool = False
    image_url: str = ""
    image_error: str = ""
    uploading: bool = False

    def _fetch(self, session: Session, user: User, offset: int, limit: int
               ) -> tuple[list[dict[str, str]], int]:
        active = {"active": True, "inactive": False}.get(self.active)
        page = product_service.list_products(session=session, actor=user, q=self.q,
                                             active=active,
                                             sort=("-" if self.desc else "") + self.sort,
                                             offset=offset, limit=limit)
        return [{
            "id": str(p.id), "name": p.name, "sku": p.sku, "description": p.description,
            "price": money(p.unit_price) if p.unit_price == round(p.unit_price, 2)
            else dec_text(p.unit_price) + "\u00a0€",
            "tax": t("sui.quote.exempt") if p.tax_exempt else f"{rate_text(p.tax_rate)}\u00a0%",
            "unit": p.unit, "active": "1" if p.active else "", "image": _image_url(p),
        } for p in page.items], page.total

    def _after(self, message: str) -> list[Any]:
        """Reload the list and say ``message`` (Reflex refuses a ``None`` among the events)."""
        return [e for e in (self._reload(), rx.toast.success(message)) if e is not None]

    @rx.event
    def load(self) -> Any:
        try:
            with user_session(self) as (_session, user):
                self.can_change = has_perm(user, Perm.CATALOG_CHANGE)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        self.dialog_open = False
        return self._reload()

    @rx.event
    def set_active(self, value: str | list[str]) -> Any:
        self.active = value if value in ("active", "inactive", "all") else "active"
        self.page = 1
        return self._reload()

    @rx.event
    def sort_by(self, column: str) -> Any:
        if column not in SORTS:
            return None
        if self.sort == column:
            self.desc = not self.desc
        else:
            self.sort, self.desc = column, False
        self.page = 1
        return self._reload()

    @rx.event
    def new(self) -> None:
        self.product_id = 0
        self.form = {k: "" for k in FIELDS} | {"tax_rate": "21", "unit": "ud"}
        self.product_active = True
        self.errors = {}
        self.image_url, self.image_error = "", ""
        self.form_key += 1
        self.dialog_open = True

    @rx.event
    def edit(self, product_id: str) -> Any:
        try:
            with user_session(self) as (session, user):
                p = product_service.get_product(session=session, actor=user,
                                                product_id=int(product_id))
                self.product_id = p.id
                self.form = {"name": p.name, "sku": p.sku, "description": p.description,
                             "unit_price": dec_text(p.unit_price),
                             "tax_rate": EXENTO if p.tax_exempt else rate_text(p.tax_rate),
                             "unit": p.unit}
                self.product_active = p.active
                self.image_url = _image_url(p)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        self.errors = {}
        self.image_error = ""
        self.form_key += 1
        self.dialog_open = True
        return None

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = value

    @rx.event
    def save(self, form_data: dict[str, Any]):  # noqa: ANN201
        data: dict[str, Any] = {k: str(form_data.get(k) or "").strip() for k in FIELDS}
        data["active"] = str(form_data.get("active", "")) in ("on", "true", "True", "1")
        self.saving = True
        yield
        try:
            with user_session(self, Perm.CATALOG_CHANGE) as (session, user):
                if self.product_id:
                    product_service.update_product(session=session, actor=user,
                                                   product_id=self.product_id, data=data)
                else:
                    product_service.create_product(session=session, actor=user, data=data)
        except ValidationFailed as exc:
            self.saving = False
            self.errors = dict(exc.errors)
            yield failure(exc)
            return
        except Exception as exc:  # noqa: BLE001
            self.saving = False
            yield failure(exc)
            return
        self.saving = False
        self.dialog_open = False
        yield self._after(t("sui.products.saved"))

    @rx.event
    async def upload_image(self, files: list[rx.UploadFile]):  # noqa: ANN201
        """The product's image, stored by the service in the data dir (never ``/_upload``)."""
        self.image_error = ""
        if not files or not self.product_id:
            return
        self.uploading = True
        yield
        try:
            with user_session(self, Perm.CATALOG_CHANGE) as (session, user):
                content = await files[0].read(product_service.MAX_IMAGE_BYTES + 1)
                product = product_service.set_product_image(
                    session=session, actor=user, product_id=self.product_id, content=content)
                self.image_url = _image_url(product)
        except ValidationFailed as exc:
            self.uploading = False
            self.image_error = exc.errors.get("image", exc.message)
            return
        except Exception as exc:  # noqa: BLE001
            self.uploading = False
            yield failure(exc)
            return
        self.uploading = False
        yield self._after(t("sui.product.image_saved"))

    @rx.event
    def delete(self):  # noqa: ANN201
        try:
            with user_session(self, Perm.CATALOG_CHANGE) as (session, user):
                product_service.delete_product(session=session, actor=user,
                                               product_id=self.product_id)
        except Exception as exc:  # noqa: BLE001
            yield failure(exc)
            return
        self.dialog_open = False
        yield self._after(t("sui.products.deleted"))


def _image_url(product: Product) -> str:
    """The authorised image route; the ``v`` changes with the product, so a new image shows."""
    if not product.image_path:
        return ""
    stamp = product.updated_at or product.created_at
    return f"/api/v1/products/{product.id}/image?v={int(stamp.timestamp()) if stamp else 0}"


def _thumb(url: rx.Var, size: str = "40px") -> rx.Component:
    """A small square picture of the product, or a package icon when it has none."""
    box = {"width": size, "height": size, "min_width": size, "border_radius": "var(--radius-2)"}
    return rx.cond(
        url,
        rx.image(src=url, alt="", object_fit="cover", loading="lazy",
                 border=f"1px solid {rx.color('gray', 5)}", data_testid="product-thumb", **box),
        rx.center(rx.icon("package", size=18, color=rx.color("gray", 9)),
                  background=rx.color("gray", 3), aria_hidden="true", **box),
    )


def _row(r: rx.Var) -> rx.Component:
    s = CatalogState
    return rx.table.row(
        rx.table.cell(rx.hstack(
            _thumb(r["image"]),
            rx.vstack(
                rx.cond(s.can_change,
                        rx.button(r["name"], on_click=s.edit(r["id"]), variant="ghost",
                                  id="product-edit-" + r["id"],
                                  style=NAME_BUTTON),
                        rx.text(r["name"], weight="medium")),
                rx.cond(r["description"], rx.text(r["description"], size="1",
                                                  color_scheme="gray", max_width="420px")),
                spacing="0", min_width="0"),
            spacing="3", align="center")),
        rx.table.cell(r["sku"], white_space="nowrap"),
        rx.table.cell(r["price"], white_space="nowrap", text_align="right"),
        rx.table.cell(r["tax"], white_space="nowrap"),
        rx.table.cell(r["unit"]),
        rx.table.cell(rx.cond(r["active"], rx.badge(t("sui.product.active"),
                                                    color_scheme="green"),
                              rx.badge(t("sui.product.inactive"), color_scheme="gray"))),
        data_testid="product-row",
    )


def _card(r: rx.Var) -> rx.Component:
    s = CatalogState
    return row_card(
        rx.hstack(
            _thumb(r["image"]),
            rx.cond(s.can_change,
                    rx.button(r["name"], on_click=s.edit(r["id"]), variant="ghost",
                              id="product-card-edit-" + r["id"],
                              style=NAME_BUTTON),
                    rx.text(r["name"], weight="medium")),
            rx.spacer(),
            rx.text(r["price"], weight="bold", size="2", white_space="nowrap"),
            width="100%", align="start"),
        rx.text(r["sku"], " · ", t("sui.product.tax_rate"), " ", r["tax"], " · ", r["unit"],
                size="1", color_scheme="gray"),
        rx.cond(~r["active"].to(bool), rx.badge(t("sui.product.inactive"), color_scheme="gray")),
        test_id="product-card",
    )


def _image_field() -> rx.Component:
    """Picture of the product: chosen or dropped, it is stored at once (existing products)."""
    s = CatalogState
    return rx.vstack(
        rx.text(t("sui.product.image"), size="2", weight="medium"),
        rx.cond(
            s.product_id > 0,
            rx.hstack(
                _thumb(s.image_url, "64px"),
                rx.upload(
                    rx.vstack(
                        rx.button(rx.icon("image-up", size=16),
                                  rx.cond(s.image_url, t("sui.product.image_change"),
                                          t("sui.product.image_choose")),
                                  variant="soft", type="button", loading=s.uploading,
                                  id="product-image-choose"),
                        rx.text(t("sui.product.image_hint"), size="1", color_scheme="gray"),
                        spacing="1", align="start"),
                    id="product-image-upload",
                    accept=IMAGE_ACCEPT,
                    multiple=False,
                    max_files=1,
                    max_size=product_service.MAX_IMAGE_BYTES,
                    on_drop=s.upload_image,
                    on_drop_rejected=lambda _files: rx.toast.error(
                        t("sui.product.image_rejected")),
                    border=f"1px dashed {rx.color('gray', 7)}",
                    border_radius="var(--radius-3)",
                    padding="var(--space-2)",
                    cursor="pointer",
                    flex="1",
                    min_width="0",
                    data_testid="product-image-dropzone",
                ),
                spacing="3", align="center", width="100%"),
            rx.text(t("sui.product.image_after_save"), size="1", color_scheme="gray"),
        ),
        rx.cond(s.image_error != "",
                rx.text(s.image_error, size="1", color_scheme="red", role="alert",
                        data_testid="error-product-image")),
        spacing="1", width="100%",
    )


def _dialog() -> rx.Component:
    s = CatalogState
    f, e = s.form, s.errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(s.product_id > 0, t("sui.products.edit"),
                                    t("sui.products.new"))),
            rx.el.form(
                rx.vstack(
                    form_field(t("col.name"), text_input("name", default=f["name"],
                                                         id="product-name", auto_focus=True),
                               html_for="product-name", required=True, error=e["name"]),
                    rx.grid(
                        form_field(t("sui.product.sku"),
                                   text_input("sku", default=f["sku"], id="product-sku"),
                                   html_for="product-sku", required=True, error=e["sku"]),
                        form_field(t("sui.product.unit"),
                                   text_input("unit", default=f["unit"], id="product-unit"),
                                   html_for="product-unit", error=e["unit"]),
                        form_field(t("sui.product.unit_price"),
                                   text_input("unit_price", default=f["unit_price"],
                                              id="product-price", input_mode="decimal",
                                              placeholder="0,00"),
                                   html_for="product-price", required=True,
                                   error=e["unit_price"], hint=t("sui.product.price_hint")),
                        form_field(t("sui.product.tax_rate"),
                                   choice([*TAX_CHOICES, (EXENTO, t("sui.quote.exempt"))],
                                          default_value=f["tax_rate"], name="tax_rate",
                                          id="product-tax"),
                                   html_for="product-tax", error=e["tax_rate"]),
                        columns="2", spacing="3", width="100%"),
                    form_field(t("sui.product.description"),
                               rx.text_area(name="description", id="product-description",
                                            default_value=f["description"], rows="3",
                                            width="100%"),
                               html_for="product-description", error=e["description"]),
                    _image_field(),
                    rx.el.label(rx.hstack(
                        rx.checkbox(name="active", id="product-active",
                                    default_checked=s.product_active),
                        rx.text(t("sui.product.active_label"), size="2", weight="medium"),
                        align="center", spacing="2"), html_for="product-active"),
                    form_actions(
                        rx.button(t("common.save"), type="submit", loading=s.saving,
                                  width=PHONE_FULL, id="product-save"),
                        rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                  color_scheme="gray", type="button",
                                                  width=PHONE_FULL)),
                        rx.cond(s.product_id > 0, confirm(
                            rx.button(t("common.delete"), variant="ghost", color_scheme="red",
                                      type="button", width=PHONE_FULL, id="product-delete"),
                            title=t("sui.products.delete_q_title"),
                            description=t("sui.products.delete_q"),
                            confirm_label=t("common.delete"), on_confirm=s.delete,
                            test_id="product-delete")),
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=s.save,
                key=s.form_key,
            ),
            max_width="560px",
            data_testid="product-dialog",
        ),
        open=s.dialog_open,
        on_open_change=s.set_dialog_open,
    )


def catalog_page() -> rx.Component:
    s = CatalogState
    return shell(
        rx.text(t("sui.products.intro"), size="2", color_scheme="gray"),
        paged_table(
            s,
            [("name", t("col.name"), True), ("sku", t("sui.product.sku"), True),
             ("unit_price", t("sui.product.unit_price"), True),
             ("tax", t("sui.product.tax_rate"), False), ("unit", t("sui.product.unit"), False),
             ("active", t("col.status"), False)],
            _row,
            card=_card,
            count_label=t("sui.products.count"),
            test_id="products",
            search_placeholder=t("sui.products.search"),
            toolbar=[
                rx.segmented_control.root(
                    rx.segmented_control.item(t("sui.products.active"), value="active"),
                    rx.segmented_control.item(t("sui.products.inactive"), value="inactive"),
                    rx.segmented_control.item(t("sui.products.all"), value="all"),
                    value=s.active, on_change=s.set_active, id="products-active",
                    flex_shrink="0"),
                rx.cond(s.can_change, rx.button(rx.icon("plus", size=16), t("sui.products.new"),
                                                on_click=s.new, id="product-new",
                                                width=PHONE_FULL, flex_shrink="0")),
            ],
            empty=rx.cond(s.q != "",
                          big_empty("search-x", t("sui.common.no_matches"),
                                    test_id="products-empty"),
                          big_empty("package", t("sui.products.empty"), test_id="products-empty")),
        ),
        _dialog(),
        title=t("sui.products.title"),
        active="/presupuestos",
    )
