"""/clientes/nuevo and /clientes/[cliente_id]/editar: the customer form on the kit's fields,
with the service's Spanish error under each field (ids are the field names)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.forms import (
    NONE,
    choice,
    field,
    form_error,
    form_page,
    grid,
    save_cancel,
    section,
    text_input,
    textarea,
)
from components.layout import shell
from crm_app.i18n import t
from pages.accounts.form_state import AccountFormState as F
from pages.accounts.rows import province_choices, sector_choices, size_band_choices


def _text(name: str, label_key: str, *, required: bool = False, **props: Any) -> rx.Component:
    return field(
        t(label_key),
        text_input(name, default=F.values.get(name, ""),
                   aria_invalid=rx.cond(F.errors.get(name, "") != "", "true", "false"),
                   **props),
        html_for=name, required=required, error=F.errors.get(name, ""),
    )


def _select(name: str, label_key: str, options: Any, *, required: bool = False,
            none_key: str = "sui.common.unspecified") -> rx.Component:
    """An uncontrolled select submitted with the form (``NONE`` = no value)."""
    if isinstance(options, list):
        options = [(NONE, t(none_key)), *options]
    return field(t(label_key),
                 choice(options, default_value=F.values.get(name, NONE), name=name, id=name,
                        aria_label=t(label_key)),
                 html_for=name, required=required, error=F.errors.get(name, ""))


def _form() -> rx.Component:
    fiscal = section(
        t("sui.account.fiscal"),
        grid(
            _text("name", "col.legal_name", required=True, auto_focus=True,
                  auto_complete="organization"),
            _text("trade_name", "sui.account.trade_name"),
            _text("nif", "col.nif", placeholder="B12345674", auto_complete="off"),
            _text("country", "sui.account.country", max_length=2),
        ),
        test_id="account-fiscal", icon="landmark")
    address = section(
        t("sui.account.address"),
        grid(
            _text("address", "sui.account.address", auto_complete="street-address"),
            _text("postal_code", "sui.account.postal_code", input_mode="numeric",
                  auto_complete="postal-code"),
            _text("city", "sui.account.city"),
            _select("province", "col.province", province_choices(), required=True,
                    none_key="sui.common.choose"),
        ),
        test_id="account-address", icon="map-pin")
    contact = section(
        t("sui.account.contact_data"),
        grid(
            _text("email", "col.email", type_="email", auto_complete="email"),
            _text("phone", "col.phone", type_="tel", input_mode="tel", auto_complete="tel"),
            _text("website", "sui.account.website", placeholder="https://"),
        ),
        test_id="account-contact-data", icon="phone")
    classification = section(
        t("sui.account.classification"),
        grid(
            _select("sector", "col.sector", sector_choices()),
            _select("size_band", "sui.account.size_band", size_band_choices()),
            _select("channel", "col.channel", F.channel_options),
            rx.cond(F.can_assign, _select("owner_id", "col.owner", F.owner_options)),
        ),
        rx.vstack(
            rx.el.label(
                rx.hstack(
                    rx.checkbox(name="recargo_equivalencia", id="recargo_equivalencia",
                                default_checked=F.values.get("recargo_equivalencia", "") != ""),
                    rx.text(t("sui.account.recargo"), size="2", weight="medium"),
                    align="center", spacing="2"),
                html_for="recargo_equivalencia"),
            rx.text(t("sui.account.recargo_help"), size="1", color_scheme="gray"),
            spacing="1"),
        field(t("sui.account.notes"),
              textarea("notes", default=F.values.get("notes", "")),
              html_for="notes", error=F.errors.get("notes", "")),
        test_id="account-classification", icon="tags")
    return rx.el.form(
        rx.vstack(
            rx.text(t("sui.common.required_note"), size="1", color_scheme="gray"),
            fiscal, address, contact, classification,
            form_error(F.errors),
            save_cancel(saving=F.saving, cancel_href=F.cancel_href, id_prefix="account"),
            spacing="4", width="100%",
        ),
        on_submit=F.submit,
        key=F.form_key,
        id="account-form",
        style={"width": "100%"},
    )


def _body() -> rx.Component:
    return form_page(_form(), ready=F.ready, not_found=F.not_found,
                     not_found_text=t("acc_ui.not_found"), title=F.title, on_unmount=F.leave,
                     id_prefix="account")


def new_account_page() -> rx.Component:
    return shell(_body(), title=t("sui.accounts.new"), active="/clientes")


def edit_account_page() -> rx.Component:
    return shell(_body(), title=t("acc_ui.edit_title"), active="/clientes")


__all__ = ["edit_account_page", "new_account_page"]
