"""/ajustes/empresa: the company's data on the kit's form fields (ids are the field names, each
error under its field as ``<name>-error``), the logo uploader and "Enviar correo de prueba"."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.forms import (
    PHONE_FULL,
    choice,
    field,
    form_error,
    form_page,
    grid,
    save_cancel,
    section,
    text_input,
)
from components.layout import shell
from crm_app.i18n import t
from crm_app.services.organisation import MAX_LOGO_BYTES
from pages.settings.common import back_to_settings
from pages.settings.company_state import CompanyState as S

LOGO_ACCEPT = {"image/png": [".png"], "image/jpeg": [".jpg", ".jpeg"]}
MONTHS = [(str(i), t(f"month.{i}")) for i in range(1, 13)]
TAX_RATES = [(r, f"{r} %") for r in ("21", "10", "4", "0")]


def _text(name: str, *, required: bool = False, hint: Any = None, **props: Any
          ) -> rx.Component:
    return field(
        t(f"company.{name}"),
        text_input(name, default=S.values.get(name, ""),
                   aria_invalid=rx.cond(S.errors.get(name, "") != "", "true", "false"),
                   **props),
        html_for=name, required=required, error=S.errors.get(name, ""), hint=hint)


def _select(name: str, options: list[tuple[str, str]], default: str) -> rx.Component:
    return field(t(f"company.{name}"),
                 choice(options, default_value=S.values.get(name, default), name=name, id=name,
                        aria_label=t(f"company.{name}")),
                 html_for=name, error=S.errors.get(name, ""))


def _check(name: str, text: str, default: Any) -> rx.Component:
    return rx.el.label(
        rx.hstack(rx.checkbox(name=name, id=name, default_checked=default),
                  rx.text(text, size="2", weight="medium"), align="center", spacing="2"),
        html_for=name)


def _logo() -> rx.Component:
    """Chosen or dropped, the logo is stored at once; it shows in the bar and on the PDFs."""
    return rx.vstack(
        rx.text(t("company.logo"), size="2", weight="medium"),
        rx.flex(
            rx.cond(S.logo_url != "",
                    rx.image(src=S.logo_url, alt=t("company.logo"), height="56px",
                             width="auto", max_width="200px", object_fit="contain",
                             data_testid="company-logo-preview")),
            rx.upload(
                rx.vstack(
                    rx.button(rx.icon("image-up", size=16),
                              rx.cond(S.logo_url != "", t("company.logo_change"),
                                      t("company.logo_choose")),
                              variant="soft", type="button", loading=S.uploading,
                              id="company-logo-choose"),
                    rx.text(t("company.logo_hint"), size="1", color_scheme="gray"),
                    spacing="1", align="start"),
                id="company-logo-upload", accept=LOGO_ACCEPT, multiple=False, max_files=1,
                max_size=MAX_LOGO_BYTES, on_drop=S.upload_logo,
                on_drop_rejected=lambda _files: rx.toast.error(t("company.logo_rejected")),
                border=f"1px dashed {rx.color('gray', 7)}", border_radius="var(--radius-3)",
                padding="var(--space-2)", cursor="pointer", flex="1", min_width="0",
                data_testid="company-logo-dropzone",
            ),
            rx.cond(S.logo_url != "",
                    rx.button(rx.icon("trash-2", size=16), t("company.logo_remove"),
                              type="button", variant="ghost", color_scheme="red",
                              on_click=S.remove_logo, id="company-logo-remove")),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="3",
            align=rx.breakpoints(initial="start", sm="center"), width="100%"),
        rx.cond(S.logo_error_text != "",
                rx.text(S.logo_error_text, size="1", color=rx.color("red", 11), role="alert",
                        data_testid="logo-error")),
        spacing="1", width="100%")


def _test_email() -> rx.Component:
    """Send a test message through the saved settings (not part of the form's data)."""
    return rx.vstack(
        rx.flex(
            rx.box(
                field(t("company.test_to"),
                      rx.input(value=S.test_to, on_change=S.set_test_to, id="company-test-to",
                               type="email", width="100%"),
                      html_for="company-test-to", error=S.test_error_text),
                flex="1", min_width="0", width="100%"),
            rx.button(rx.icon("send", size=16), t("company.test_send"), type="button",
                      variant="soft", loading=S.sending_test, disabled=S.sending_test,
                      on_click=S.send_test, id="company-test-send", width=PHONE_FULL),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="2",
            align=rx.breakpoints(initial="stretch", sm="end"), width="100%"),
        rx.text(t("company.smtp_hint"), size="1", color_scheme="gray"),
        spacing="1", width="100%")


def _form() -> rx.Component:
    identity = section(
        t("company.section.identity"),
        grid(
            _text("legal_name", required=True, auto_complete="organization"),
            _text("trade_name"),
            _text("nif", placeholder="B12345674", auto_complete="off"),
            _text("country", max_length=2, placeholder="ES"),
        ),
        test_id="company-identity", icon="landmark")
    contact = section(
        t("company.section.contact"),
        grid(
            _text("address", auto_complete="street-address"),
            _text("postal_code", input_mode="numeric", auto_complete="postal-code"),
            _text("city"),
            _text("province"),
            _text("phone", type_="tel", input_mode="tel"),
            _text("email", type_="email"),
            _text("website", placeholder="https://"),
        ),
        test_id="company-contact", icon="map-pin")
    sales = section(
        t("company.section.sales"),
        grid(
            _select("fiscal_year_start_month", MONTHS, "1"),
            _select("default_tax_rate", TAX_RATES, "21"),
            _text("payment_terms_days", input_mode="numeric"),
            _text("quote_validity_days", input_mode="numeric"),
            _text("quote_series", max_length=5,
                  hint=t("company.quote_series_hint", example="P-2026-0001")),
            _text("invoice_series", max_length=5, hint=t("company.invoice_series_hint")),
            _text("credit_note_series", max_length=5),
            _text("simplified_series", max_length=5),
        ),
        test_id="company-sales", icon="hash")
    bank = section(
        t("company.section.bank"),
        grid(
            _text("iban", placeholder="ES91 2100 0418 4502 0005 1332", auto_complete="off"),
            _text("sepa_creditor_id", placeholder="ES11ZZZB12345674", auto_complete="off"),
        ),
        test_id="company-bank", icon="landmark")
    look = section(
        t("company.section.logo"),
        _logo(),
        grid(_text("brand_color", placeholder="#1d4ed8", max_length=7,
                   hint=t("company.brand_color_hint"))),
        test_id="company-look", icon="image")
    mail = section(
        t("company.section.mail"),
        grid(
            _text("smtp_host", placeholder=t("company.smtp_host_example"), auto_complete="off"),
            _text("smtp_port", input_mode="numeric"),
            _text("smtp_user", auto_complete="off"),
            field(
                rx.hstack(t("company.smtp_password"),
                          rx.cond(S.password_set,
                                  rx.badge(t("company.smtp_password_saved"), color_scheme="green",
                                           variant="soft", data_testid="smtp-password-saved")),
                          spacing="2", align="center"),
                text_input("smtp_password", type_="password", auto_complete="new-password",
                           placeholder=rx.cond(S.password_set,
                                               t("company.smtp_password_saved"), "")),
                html_for="smtp_password", error=S.errors.get("smtp_password", ""),
                hint=rx.cond(S.password_set, t("company.smtp_password_hint"), "")),
            _text("smtp_from", placeholder=t("company.smtp_from_example")),
        ),
        rx.flex(
            _check("smtp_starttls", t("company.smtp_starttls"),
                   S.values.get("smtp_starttls", "") != ""),
            rx.cond(S.password_set,
                    _check("smtp_password_clear", t("company.smtp_password_clear"), False)),
            direction=rx.breakpoints(initial="column", sm="row"), spacing="4"),
        rx.divider(),
        _test_email(),
        test_id="company-mail", icon="mail")
    return rx.el.form(
        rx.vstack(
            identity, contact, sales, bank, look, mail,
            form_error(S.errors),
            save_cancel(saving=S.saving, cancel_href=S.cancel_href, id_prefix="company",
                        sticky=True),
            spacing="4", width="100%",
        ),
        on_submit=S.save,
        key=S.form_key,
        id="company-form",
        style={"width": "100%"},
    )


def company_page() -> rx.Component:
    return shell(
        back_to_settings(),
        form_page(_form(), ready=S.ready, not_found=S.not_found, not_found_text="",
                  title="", on_unmount=S.leave, id_prefix="company"),
        title=t("company.title"),
        active="/ajustes",
    )


__all__ = ["company_page"]
