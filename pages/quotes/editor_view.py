"""/presupuestos/nuevo and /presupuestos/[presupuesto_id]: the quote editor on the kit — the
record header with its actions (PDF, send, accept, reject, new version), the customer (the
shared account picker), the lines, the terms, the totals and the send dialog.

Test hooks: ``quote-number``, ``quote-status``, ``quote-pdf``, ``quote-send``,
``quote-accept``, ``quote-reject``, ``quote-revise``, ``quote-save``, ``quote-delete``,
``quote-cancel``, ``quote-customer``, ``quote-terms``, ``send-dialog``, ``send-to``,
``send-submit``, ``quote-not-found``.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.account_picker import account_picker
from components.activity_log import activity_buttons, activity_dialog, record_activities
from components.badges import status_badge
from components.dialogs import confirm, form_dialog
from components.forms import (
    PHONE_FULL,
    choice,
    date_input,
    decimal_input,
    field,
    form_actions,
    form_error,
    section,
    text_input,
    textarea,
    with_all,
)
from components.layout import shell
from components.record_header import link_button, record_header, record_page
from crm_app.i18n import t
from pages.quotes.editor_state import QuoteEditorState as S
from pages.quotes.lines_view import lines_card, totals_card


def _keep(name: str) -> Any:
    """The event that keeps a field the totals do not depend on (``set_text``)."""
    return lambda value: S.set_text(name, value)


def _facts() -> rx.Component:
    """Dates, when it was sent, its opportunity and its other versions (a saved quote)."""
    h = S.head

    def fact(label: str, value: rx.Var) -> rx.Component:
        return rx.text(label, ": ", value, size="2", color_scheme="gray")

    return rx.cond(S.quote_id > 0, rx.vstack(
        rx.flex(
            fact(t("col.issue_date"), h["issue_date"]),
            fact(t("col.valid_until"), h["valid_until_text"]),
            rx.cond(h["sent_at"], fact(t("sui.quote.sent_at"), h["sent_at"])),
            rx.cond(h["opportunity_href"], rx.link(
                rx.hstack(rx.icon("kanban", size=14), h["opportunity_name"], spacing="1",
                          align="center"),
                href=h["opportunity_href"], size="2", id="quote-opportunity-link")),
            spacing="3", wrap="wrap", row_gap="var(--space-1)"),
        rx.cond(S.versions.length() > 1, rx.hstack(
            rx.text(t("sui.quote.versions"), size="1", color_scheme="gray"),
            rx.foreach(S.versions, lambda v: rx.link(
                rx.badge(v["label"], variant=rx.cond(v["current"], "solid", "soft")),
                href="/presupuestos/" + v["id"])),
            spacing="1", align="center", wrap="wrap", data_testid="quote-versions")),
        spacing="1"))


def _actions() -> list[rx.Component]:
    """What a saved quote offers; nothing that would act on unsaved changes."""
    h = S.head
    ready = (S.quote_id > 0) & ~S.dirty
    # sending and deciding change the quote: not offered to a read-only role (the asesor)
    is_open = ((h["status"] == "borrador") | (h["status"] == "enviado")) & S.can_change
    return [
        *activity_buttons(S, "quote"),
        rx.cond(ready, link_button(t("sui.quote.pdf"), h["pdf"], icon="file-text",
                                   id="quote-pdf", variant="soft", external=True)),
        rx.cond(ready & is_open, rx.button(
            rx.icon("mail", size=16), t("sui.quote.send"), variant="soft",
            on_click=S.open_send, id="quote-send")),
        rx.cond(ready & is_open, confirm(
            rx.button(rx.icon("x", size=16), t("sui.quote.reject"), variant="soft",
                      color_scheme="red", loading=S.deciding, id="quote-reject"),
            title=t("sui.quote.reject_q_title"), description=t("sui.quote.reject_q"),
            confirm_label=t("sui.quote.reject"), on_confirm=S.reject, test_id="quote-reject")),
        rx.cond(ready & is_open, confirm(
            rx.button(rx.icon("check", size=16), t("sui.quote.accept"), color_scheme="green",
                      loading=S.deciding, id="quote-accept"),
            title=t("sui.quote.accept_q_title"), description=t("sui.quote.accept_q"),
            confirm_label=t("sui.quote.accept"), on_confirm=S.accept, test_id="quote-accept",
            color="green")),
        rx.cond((S.quote_id > 0) & (h["status"] != "borrador") & (h["status"] != "aceptado")
                & S.can_change,
                rx.button(rx.icon("copy-plus", size=16), t("sui.quote.revise"),
                          variant="soft", on_click=S.revise, loading=S.revising,
                          id="quote-revise")),
    ]


def _header() -> rx.Component:
    return record_header(
        S.head["label"],
        back=(t("sui.quotes.back"), "/presupuestos"),
        subtitle=_facts(),
        badges=[rx.box(status_badge(S.head["status"], S.head["status_label"]),
                       data_testid="quote-status")],
        actions=_actions(),
        test_id="quote-header",
        title_id="quote-number",
    )


def _customer_card() -> rx.Component:
    e = S.errors
    fixed = ~S.editable | (S.account_id == "")
    return section(
        t("sui.quote.customer"),
        rx.grid(
            rx.cond(S.editable & (S.quote_id == 0),
                    account_picker(S, error=e.get("account_id", ""), id_prefix="quote"),
                    field(t("col.account"), rx.link(S.account_name, href=S.head["account_href"],
                                                    id="quote-account-link"))),
            field(t("sui.opp.contact"),
                  choice(with_all(S.contact_options, t("sui.common.unspecified")),
                         value=S.contact_id, on_change=_keep("contact_id"), id="quote-contact",
                         disabled=fixed),
                  html_for="quote-contact", error=e.get("contact_id", "")),
            field(t("sui.quote.opportunity"),
                  choice(with_all(S.opportunity_options, t("sui.common.unspecified")),
                         value=S.opportunity_id, on_change=_keep("opportunity_id"),
                         id="quote-opportunity", disabled=fixed),
                  html_for="quote-opportunity", error=e.get("opportunity_id", "")),
            columns=rx.breakpoints(initial="1", md="3"), spacing="3", width="100%"),
        test_id="quote-customer", icon="building-2")


def _terms_card() -> rx.Component:
    e, ro, key = S.errors, ~S.editable, S.form_key
    return section(
        t("sui.quote.terms"),
        rx.grid(
            field(t("sui.quote.global_discount"),
                  decimal_input("global_discount", default=S.global_discount, key=key,
                                on_change=S.set_global_discount, placeholder="0", read_only=ro),
                  html_for="global_discount", error=e.get("global_discount_pct", "")),
            field(t("sui.quote.irpf_field"),
                  decimal_input("irpf", default=S.irpf, key=key, on_change=S.set_irpf,
                                placeholder="0", read_only=ro),
                  html_for="irpf", error=e.get("irpf_pct", ""), hint=t("sui.quote.irpf_hint")),
            field(t("col.valid_until"),
                  date_input("valid_until", default=S.valid_until, key=key,
                             on_blur=_keep("valid_until"), read_only=ro),
                  html_for="valid_until", error=e.get("valid_until", "")),
            columns=rx.breakpoints(initial="1", sm="3"), spacing="3", width="100%"),
        rx.el.label(rx.hstack(
            rx.checkbox(checked=S.recargo, on_change=S.set_recargo, id="recargo", disabled=ro),
            rx.text(t("sui.account.recargo"), size="2", weight="medium"),
            align="center", spacing="2"), html_for="recargo"),
        rx.text(t("sui.quote.recargo_hint"), size="1", color_scheme="gray"),
        field(t("sui.quote.conditions"),
              textarea("conditions", default=S.conditions, key=key, on_blur=_keep("conditions"),
                       read_only=ro),
              html_for="conditions", error=e.get("conditions", "")),
        field(t("sui.quote.notes"),
              textarea("notes", default=S.notes, rows="2", key=key, on_blur=_keep("notes"),
                       read_only=ro),
              html_for="notes", error=e.get("notes", "")),
        test_id="quote-terms", icon="settings-2")


def _send_dialog() -> rx.Component:
    return form_dialog(
        field(t("sui.quote.send_to"),
              text_input("send_to", default=S.send_to, id="send-to",
                         on_change=S.set_send_to, auto_complete="off",
                         placeholder=t("sui.quote.send_to_placeholder")),
              html_for="send-to", required=True, error=S.send_errors.get("to", "")),
        field(t("sui.quote.send_message"),
              textarea("send_message", default=S.send_message, id="send-message", rows="8",
                       on_change=S.set_send_message),
              html_for="send-message"),
        rx.text(t("sui.quote.send_attach"), size="1", color_scheme="gray"),
        title=t("sui.quote.send"),
        description=t("sui.quote.send_help"),
        open_=S.send_open,
        on_open_change=S.set_send_open,
        submit_label=t("sui.quote.send_button"),
        on_submit=S.send,
        saving=S.sending,
        test_id="send",
        max_width="560px",
    )


def _save_bar() -> rx.Component:
    return rx.cond(S.editable, rx.vstack(
        form_error(S.errors),
        form_actions(
            rx.button(rx.icon("save", size=16),
                      rx.cond(S.quote_id > 0, t("common.save"), t("sui.quote.save_draft")),
                      on_click=S.save, loading=S.saving, width=PHONE_FULL, id="quote-save"),
            rx.cond(S.quote_id > 0, confirm(
                rx.button(rx.icon("trash-2", size=16), t("common.delete"), variant="soft",
                          color_scheme="red", width=PHONE_FULL, id="quote-delete",
                          type="button", loading=S.deciding),
                title=t("sui.quote.delete_q_title"), description=t("sui.quote.delete_q"),
                confirm_label=t("common.delete"), on_confirm=S.delete, test_id="quote-delete"),
                link_button(t("common.cancel"), "/presupuestos", id="quote-cancel",
                            variant="soft", color_scheme="gray", width=PHONE_FULL)),
        ),
        spacing="2", width="100%"))


def _editor() -> rx.Component:
    return rx.vstack(
        _header(),
        rx.cond(~S.editable, rx.callout(
            rx.cond(S.can_change, t("sui.quote.readonly"), t("asesor.quote_readonly")),
            icon="lock", size="1", width="100%", data_testid="quote-readonly")),
        _customer_card(),
        lines_card(),
        rx.grid(
            rx.box(_terms_card(), grid_column=rx.breakpoints(initial="auto", lg="span 2"),
                   min_width="0"),
            rx.box(totals_card(), min_width="0"),
            columns=rx.breakpoints(initial="1", lg="3"), spacing="4", width="100%",
            align_items="start"),
        record_activities(S, "quote", title_key="act.section.activity"),
        _save_bar(),
        _send_dialog(),
        activity_dialog(S),
        spacing="4",
        width="100%",
    )


def quote_editor_page() -> rx.Component:
    return shell(record_page(_editor(), loaded=S.loaded, found=S.found,
                             not_found_text=t("quote_ui.not_found"), not_found_id="quote-not-found",
                             back=(t("sui.quotes.back"), "/presupuestos")),
                 title=t("sui.quotes.editor_title"), active="/presupuestos")


__all__ = ["quote_editor_page"]
