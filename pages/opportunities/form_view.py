"""/oportunidades/nueva and /oportunidades/[oportunidad_id]/editar: the opportunity form on the
kit's fields, the customer picked with the shared account picker."""

from __future__ import annotations

import reflex as rx

from components.account_picker import account_picker
from components.forms import (
    NONE,
    choice,
    date_input,
    decimal_input,
    field,
    form_error,
    grid,
    save_cancel,
    text_input,
    textarea,
    with_all,
)
from components.layout import shell
from crm_app.i18n import t
from pages.opportunities.form_state import OpportunityFormState as F


def _select(name: str, label: str, options: object) -> rx.Component:
    """An uncontrolled select submitted with the form."""
    return field(label, choice(options, default_value=F.form.get(name, NONE), name=name,  # type: ignore[arg-type]
                               id=name),
                 html_for=name, error=F.errors.get(name, ""))


def _contact() -> rx.Component:
    return field(t("sui.opp.contact"),
                 choice(with_all(F.contact_options, t("sui.common.unspecified")),
                        value=F.contact_id, on_change=F.set_contact, id="contact_id",
                        disabled=F.account_id == ""),
                 html_for="contact_id", error=F.errors.get("contact_id", ""))


def _pipeline_and_stage() -> rx.Component:
    """Only a new opportunity picks its pipeline and first stage; later, it moves."""
    return rx.cond(F.opp_id == 0, rx.fragment(
        field(t("sui.opp.pipeline"),
              choice(F.pipelines, value=F.pipeline_id, on_change=F.set_pipeline,
                     id="pipeline_id"),
              html_for="pipeline_id", error=F.errors.get("pipeline_id", "")),
        field(t("col.stage"),
              choice(F.stages, value=F.stage_id, on_change=F.set_stage, id="stage_id"),
              html_for="stage_id", error=F.errors.get("stage_id", "")),
    ))


def _form() -> rx.Component:
    f, e = F.form, F.errors
    return rx.el.form(
        rx.vstack(
            rx.card(rx.vstack(
                field(t("col.name"), text_input("name", default=f.get("name", ""),
                                                auto_focus=True, max_length=200),
                      html_for="name", required=True, error=e.get("name", "")),
                grid(
                    account_picker(F, error=e.get("account_id", ""), id_prefix="opp",
                                   required=False),
                    _contact(),
                    _pipeline_and_stage(),
                    field(t("col.amount"),
                          decimal_input("amount", default=f.get("amount", ""),
                                        placeholder="0,00"),
                          html_for="amount", error=e.get("amount", ""),
                          hint=t("sui.opp.amount_hint")),
                    field(t("col.expected_close"),
                          date_input("expected_close", default=f.get("expected_close", "")),
                          html_for="expected_close", error=e.get("expected_close", "")),
                    _select("channel", t("col.channel"),
                            with_all(F.channels, t("sui.common.unspecified"))),
                    _select("product_id", t("sui.opp.product"), F.products),
                    rx.cond(F.can_assign, _select("owner_id", t("col.owner"), F.owners)),
                ),
                field(t("sui.opp.description"),
                      textarea("description", default=f.get("description", "")),
                      html_for="description", error=e.get("description", "")),
                spacing="3", width="100%"), width="100%"),
            rx.text(t("sui.common.required_note"), size="1", color_scheme="gray"),
            form_error(e),
            save_cancel(saving=F.saving, cancel_href=F.cancel_href, id_prefix="opp"),
            spacing="3",
            width="100%",
            max_width="880px",
        ),
        on_submit=F.save,
        key=F.form_key,
        id="opportunity-form",
        style={"width": "100%"},
    )


def opportunity_form_page() -> rx.Component:
    return shell(
        rx.cond(F.found, _form(),
                rx.callout(t("opp_ui.not_found"), icon="circle-alert", color_scheme="red",
                           id="opp-not-found")),
        title=F.title,
        active="/oportunidades",
    )


__all__ = ["opportunity_form_page"]
