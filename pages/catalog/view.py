"""/productos: the catalog list (table on desktop, cards on phones) and the product dialog."""

from __future__ import annotations

import reflex as rx

from components.dialogs import confirm
from components.empty_state import empty_state
from components.forms import PHONE_FULL, choice, field, form_actions, text_input, textarea
from components.layout import shell
from components.record_list import Column, record_list, row_card, view_tabs
from crm_app.i18n import t
from crm_app.services.products import MAX_IMAGE_BYTES
from crm_app.services.quote_maths import EXENTO
from pages.catalog.state import CatalogState as S

TAX_CHOICES = [("21", "21 %"), ("10", "10 %"), ("4", "4 %"), ("0", "0 %")]
IMAGE_ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"],
                "image/webp": [".webp"]}
# The product name opens the form: a real button, looking like the name, wrapping like text.
NAME_BUTTON = {"padding": "0", "height": "auto", "margin": "0", "textAlign": "left",
               "whiteSpace": "normal", "minWidth": "0", "flexShrink": "1",
               "fontWeight": "500"}


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


def _name(r: rx.Var, prefix: str) -> rx.Component:
    return rx.cond(S.can_change,
                   rx.button(r["name"], on_click=S.edit(r["id"]), variant="ghost",
                             id=prefix + r["id"], style=NAME_BUTTON),
                   rx.text(r["name"], weight="medium"))


def _name_cell(r: rx.Var) -> rx.Component:
    return rx.hstack(
        _thumb(r["image"]),
        rx.vstack(_name(r, "product-edit-"),
                  rx.cond(r["description"], rx.text(r["description"], size="1",
                                                    color_scheme="gray", max_width="420px")),
                  spacing="0", min_width="0"),
        spacing="3", align="center")


def _active_badge(r: rx.Var) -> rx.Component:
    return rx.cond(r["active"], rx.badge(t("sui.product.active"), color_scheme="green"),
                   rx.badge(t("sui.product.inactive"), color_scheme="gray"))


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(_thumb(r["image"]), _name(r, "product-card-edit-"), rx.spacer(),
                  rx.text(r["price"], weight="bold", size="2", white_space="nowrap"),
                  width="100%", align="start"),
        rx.text(r["sku"], " · ", t("sui.product.tax_rate"), " ", r["tax"], " · ", r["unit"],
                size="1", color_scheme="gray"),
        rx.cond(~r["active"].to(bool), rx.badge(t("sui.product.inactive"), color_scheme="gray")),
        test_id="product-card",
    )


def _image_field() -> rx.Component:
    """Picture of the product: chosen or dropped, it is stored at once (existing products)."""
    return rx.vstack(
        rx.text(t("sui.product.image"), size="2", weight="medium"),
        rx.cond(
            S.product_id > 0,
            rx.hstack(
                _thumb(S.image_url, "64px"),
                rx.upload(
                    rx.vstack(
                        rx.button(rx.icon("image-up", size=16),
                                  rx.cond(S.image_url, t("sui.product.image_change"),
                                          t("sui.product.image_choose")),
                                  variant="soft", type="button", loading=S.uploading,
                                  id="product-image-choose"),
                        rx.text(t("sui.product.image_hint"), size="1", color_scheme="gray"),
                        spacing="1", align="start"),
                    id="product-image-upload", accept=IMAGE_ACCEPT, multiple=False,
                    max_files=1, max_size=MAX_IMAGE_BYTES, on_drop=S.upload_image,
                    on_drop_rejected=lambda _files: rx.toast.error(
                        t("sui.product.image_rejected")),
                    border=f"1px dashed {rx.color('gray', 7)}", border_radius="var(--radius-3)",
                    padding="var(--space-2)", cursor="pointer", flex="1", min_width="0",
                    data_testid="product-image-dropzone",
                ),
                spacing="3", align="center", width="100%"),
            rx.text(t("sui.product.image_after_save"), size="1", color_scheme="gray"),
        ),
        rx.cond(S.image_error_text != "",
                rx.text(S.image_error_text, size="1", color_scheme="red", role="alert",
                        data_testid="error-product-image")),
        spacing="1", width="100%",
    )


def _dialog() -> rx.Component:
    f, e = S.form, S.errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(S.product_id > 0, t("sui.products.edit"),
                                    t("sui.products.new"))),
            rx.el.form(
                rx.vstack(
                    field(t("col.name"), text_input("name", default=f["name"],
                                                    id="product-name", auto_focus=True),
                          html_for="product-name", required=True, error=e.get("name", "")),
                    rx.grid(
                        field(t("sui.product.sku"),
                              text_input("sku", default=f["sku"], id="product-sku"),
                              html_for="product-sku", required=True, error=e.get("sku", "")),
                        field(t("sui.product.unit"),
                              text_input("unit", default=f["unit"], id="product-unit"),
                              html_for="product-unit", error=e.get("unit", "")),
                        field(t("sui.product.unit_price"),
                              text_input("unit_price", default=f["unit_price"],
                                         id="product-price", input_mode="decimal",
                                         placeholder="0,00"),
                              html_for="product-price", required=True,
                              error=e.get("unit_price", ""), hint=t("sui.product.price_hint")),
                        field(t("sui.product.tax_rate"),
                              choice([*TAX_CHOICES, (EXENTO, t("sui.quote.exempt"))],
                                     default_value=f["tax_rate"], name="tax_rate",
                                     id="product-tax"),
                              html_for="product-tax", error=e.get("tax_rate", "")),
                        columns="2", spacing="3", width="100%"),
                    field(t("sui.product.description"),
                          textarea("description", default=f["description"],
                                   id="product-description"),
                          html_for="product-description", error=e.get("description", "")),
                    _image_field(),
                    rx.el.label(rx.hstack(
                        rx.checkbox(name="active", id="product-active",
                                    default_checked=S.product_active),
                        rx.text(t("sui.product.active_label"), size="2", weight="medium"),
                        align="center", spacing="2"), html_for="product-active"),
                    form_actions(
                        rx.button(t("common.save"), type="submit", loading=S.saving,
                                  width=PHONE_FULL, id="product-save"),
                        rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                  color_scheme="gray", type="button",
                                                  width=PHONE_FULL)),
                        rx.cond(S.product_id > 0, confirm(
                            rx.button(t("common.delete"), variant="ghost", color_scheme="red",
                                      type="button", width=PHONE_FULL, id="product-delete"),
                            title=t("sui.products.delete_q_title"),
                            description=t("sui.products.delete_q"),
                            confirm_label=t("common.delete"), on_confirm=S.delete,
                            test_id="product-delete")),
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save,
                key=S.form_key,
            ),
            max_width="min(560px, calc(100vw - 2 * var(--space-4)))",
            data_testid="product-dialog",
        ),
        open=S.dialog_open,
        on_open_change=S.set_dialog_open,
    )


def catalog_page() -> rx.Component:
    return shell(
        rx.text(t("sui.products.intro"), size="2", color_scheme="gray"),
        record_list(
            S,
            test_id="products",
            columns=[
                Column("name", t("col.name"), sortable=True, cell=_name_cell),
                Column("sku", t("sui.product.sku"), sortable=True, nowrap=True),
                Column("unit_price", t("sui.product.unit_price"), sortable=True, nowrap=True,
                       cell=lambda r: rx.text(r["price"], text_align="right")),
                Column("tax", t("sui.product.tax_rate"), nowrap=True),
                Column("unit", t("sui.product.unit")),
                Column("active", t("col.status"), cell=_active_badge),
            ],
            card=_card,
            row_test_id=lambda _r: "product-row",
            count_label=t("sui.products.count"),
            search_placeholder=t("sui.products.search"),
            toolbar=[
                view_tabs(S, [("active", t("sui.products.active")),
                              ("inactive", t("sui.products.inactive")),
                              ("all", t("sui.products.all"))], test_id="products"),
            ],
            actions=[rx.cond(S.can_change, rx.button(
                rx.icon("plus", size=16), t("sui.products.new"), on_click=S.new,
                id="product-new"))],
            empty=empty_state("package", t("sui.products.empty"), test_id="products-empty"),
        ),
        _dialog(),
        title=t("sui.products.title"),
        active="/presupuestos",
    )
