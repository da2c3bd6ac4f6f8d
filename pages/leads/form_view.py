"""/leads/nuevo and /leads/[lead_id]/editar: the lead form on the kit's fields, with the
service's errors under each field and the duplicate warning above the sticky buttons."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.forms import (
    NONE,
    PHONE_FULL,
    choice,
    date_input,
    decimal_input,
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
from pages.leads.form_state import LeadFormState as F
from pages.leads.rows import province_choices, status_options


def _html_id(name: str) -> str:
    return f"lead-{name.replace('_', '-')}"


def _text(name: str, label_key: str, *, required: bool = False, hint: Any = None,
          **props: Any) -> rx.Component:
    html_id = _html_id(name)
    return field(
        t(label_key),
        text_input(name, id=html_id, default=F.values.get(name, ""),
                   aria_invalid=rx.cond(F.errors.get(name, "") != "", "true", "false"),
                   **props),
        html_for=html_id, required=required, error=F.errors.get(name, ""), hint=hint,
    )


def _select(name: str, label_key: str, options: Any) -> rx.Component:
    """An uncontrolled select submitted with the form (``NONE`` = no value)."""
    html_id = _html_id(name)
    return field(t(label_key),
                 choice(options, default_value=F.values.get(name, NONE), name=name,
                        id=html_id),
                 html_for=html_id, error=F.errors.get(name, ""))


def _hint(var: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(var != "", rx.text(var, size="1", color_scheme="gray", data_testid=test_id))


def _custom_input(item: rx.Var) -> rx.Component:
    key = item["key"].to(str)
    html_id = "lead-custom-" + key
    name = "custom." + key
    value = F.values.get(name, "")
    select = choice(F.custom_choices.get(key, []), default_value=value, name=name,  # type: ignore[arg-type]
                    id=html_id)  # type: ignore[arg-type]
    control = rx.match(
        item["type"],
        ("choice", select),
        ("bool", select),
        ("number", decimal_input(name, id=html_id, default=value)),  # type: ignore[arg-type]
        ("date", date_input(name, id=html_id, default=value)),  # type: ignore[arg-type]
        text_input(name, id=html_id, default=value),  # type: ignore[arg-type]
    )
    return field(item["label"], control, html_for=html_id,  # type: ignore[arg-type]
                 error=F.errors.get(name, ""))


def _duplicates_warning() -> rx.Component:
    return rx.cond(
        F.has_dups,
        rx.box(
            rx.vstack(
                rx.hstack(rx.icon("copy", size=18, color=rx.color("amber", 11)),
                          rx.text(t("lead_ui.dup.title"), weight="bold",
                                  color=rx.color("amber", 12)),
                          spacing="2", align="center"),
                rx.foreach(F.dups, lambda d: rx.hstack(
                    rx.cond(d["href"] != "", rx.link(d["text"], href=d["href"], size="2"),
                            rx.text(d["text"], size="2")),
                    rx.cond(d["owner"] != "", rx.text("· ", d["owner"], size="2",
                                                      color_scheme="gray")),
                    spacing="1", wrap="wrap")),
                rx.flex(
                    rx.button(t("lead_ui.dup.review"), variant="surface", color_scheme="gray",
                              on_click=F.dismiss_dups, id="lead-dup-review", type="button",
                              width=PHONE_FULL),
                    rx.button(t("lead_ui.dup.save_anyway"), color_scheme="amber",
                              on_click=F.save_anyway, id="lead-save-anyway", type="button",
                              width=PHONE_FULL),
                    spacing="2", justify="end", width="100%",
                    direction=rx.breakpoints(initial="column-reverse", sm="row"),
                ),
                spacing="2", width="100%",
            ),
            background=rx.color("amber", 3),
            border=f"1px solid {rx.color('amber', 6)}",
            border_radius="var(--radius-3)",
            padding="var(--space-3)",
            role="alert",
            width="100%",
            id="lead-duplicates",
            data_testid="lead-duplicates",
        ),
    )


def _form() -> rx.Component:
    contact = section(
        t("lead_ui.form.contact"),
        rx.text(t("lead_ui.form.required_note"), size="1", color_scheme="gray"),
        grid(
            _text("first_name", "leads.field.first_name", required=True,
                  auto_complete="given-name"),
            _text("last_name", "leads.field.last_name", auto_complete="family-name"),
            _text("company", "leads.field.company", required=True, auto_complete="organization"),
            _text("position", "leads.field.position"),
            _text("email", "leads.field.email", required=True, type_="email",
                  on_blur=F.check_email, auto_complete="email"),
            _text("phone", "leads.field.phone", required=True, type_="tel", input_mode="tel",
                  on_blur=F.check_phone, hint=_hint(F.phone_hint, "lead-phone-hint"),
                  auto_complete="tel"),
            _text("nif", "leads.field.nif", on_blur=F.check_nif,
                  hint=_hint(F.nif_hint, "lead-nif-hint")),
        ),
        test_id="lead-contact",
    )
    place = section(
        t("lead_ui.form.origin"),
        grid(
            _select("province", "leads.field.province",
                    [(NONE, "—"), *province_choices()]),
            _text("city", "leads.field.city"),
            _text("source", "leads.field.source", placeholder=t("lead_ui.form.source_hint")),
        ),
        test_id="lead-origin",
    )
    follow = section(
        t("lead_ui.form.follow_up"),
        grid(
            field(t("leads.field.status"),
                  choice(rx.cond(F.status == "convertido", status_options(pickable=False),
                                 status_options()),
                         value=F.status, on_change=F.set_status, id="lead-status",
                         disabled=F.status == "convertido"),
                  html_for="lead-status", error=F.errors.get("status", "")),
            rx.cond(F.status == "descartado",
                    _text("discard_reason", "leads.field.discard_reason", required=True)),
            rx.cond(F.can_assign, _select("owner_id", "leads.field.owner_id", F.owner_options)),
        ),
        field(t("leads.field.notes"),
              textarea("notes", id="lead-notes", default=F.values.get("notes", ""), rows="4"),
              html_for="lead-notes"),
        test_id="lead-follow-up",
    )
    custom = rx.cond(
        F.custom_inputs.length() > 0,
        section(t("leads.field.custom"), grid(rx.foreach(F.custom_inputs, _custom_input)),
                test_id="lead-custom"),
    )
    return rx.form(
        rx.vstack(contact, place, follow, custom, _duplicates_warning(),
                  save_cancel(saving=F.saving, cancel_href=F.cancel_href, id_prefix="lead",
                              icon="save", sticky=True),
                  spacing="4", width="100%"),
        on_submit=F.submit,
        key=F.form_key,
        id="lead-form",
        width="100%",
    )


def _body() -> rx.Component:
    return form_page(_form(), ready=F.ready, not_found=F.not_found,
                     not_found_text=t("lead_ui.not_found"), title=F.title, on_unmount=F.leave,
                     id_prefix="lead", above=[form_error(F.errors)])


def new_lead_page() -> rx.Component:
    return shell(_body(), title=t("lead_ui.new"), active="/leads")


def edit_lead_page() -> rx.Component:
    return shell(_body(), title=t("lead_ui.form.edit"), active="/leads")
