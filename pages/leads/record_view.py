"""/leads/[lead_id]: the lead's record page — the kit's record header and action bar, its
data, the status and owner card (first on phones), the timeline, and the discard and
conversion dialogs."""

from __future__ import annotations

import reflex as rx

from components.activity_log import activity_buttons, activity_dialog, record_activities
from components.badges import alert_mark, status_badge
from components.dialogs import confirm, form_dialog
from components.empty_state import listing
from components.forms import choice, field, info, long_text, section
from components.layout import shell
from components.personal_data import personal_data_card
from components.record_header import link_button, record_header, record_page
from crm_app.i18n import t
from pages.leads.record_state import LeadRecordState as R
from pages.leads.rows import status_options


def _contact_links() -> rx.Component:
    def link(icon: str, text: rx.Var, href: rx.Var, **props: object) -> rx.Component:
        return rx.link(rx.hstack(rx.icon(icon, size=14), rx.text(text), spacing="1",
                                 align="center"), href=href, size="2", **props)

    return rx.hstack(
        rx.cond(R.lead["email"] != "", link("mail", R.lead["email"], "mailto:" + R.lead["email"],
                                            word_break="break-all")),
        rx.cond(R.lead["phone"] != "", link("phone", R.lead["phone_display"],
                                            "tel:" + R.lead["phone"])),
        spacing="3", wrap="wrap",
    )


def _header() -> rx.Component:
    delete = confirm(
        rx.button(rx.icon("trash-2", size=16), t("lead_ui.bulk.delete"), variant="soft",
                  color_scheme="red", id="lead-delete"),
        title=t("lead_ui.record.delete_title"), description=t("lead_ui.bulk.delete_help"),
        confirm_label=t("lead_ui.bulk.delete"), on_confirm=R.delete, test_id="lead-delete",
    )
    convert = rx.cond(
        R.converted,
        rx.cond(R.account_href != "",
                link_button(t("lead_ui.convert.open_account"), R.account_href,
                            icon="building-2", id="lead-account-link")),
        rx.button(rx.icon("building-2", size=16), t("lead_ui.convert.button"),
                  on_click=R.open_convert, id="lead-convert"),
    )
    return record_header(
        R.lead["name"],
        back=(t("nav.leads"), "/leads"),
        subtitle=_contact_links(),
        badges=[status_badge(R.lead["status_key"], R.lead["status"],
                             data_testid="lead-status"),
                alert_mark(R.record_alert, R.record_alert_text, test_id="record-alert")],
        actions=[*activity_buttons(R, "lead"),
                 link_button(t("common.edit"), R.edit_href, icon="pencil", id="lead-edit",
                             variant="soft"), delete, convert],
        test_id="lead-header",
        title_id="lead-name",
    )


def _data_card() -> rx.Component:
    return section(
        t("lead_ui.record.data"),
        rx.grid(
            rx.foreach(R.fields, lambda f: info(f["label"], f["value"],
                                                "lead-field-" + f["key"].to(str))),
            columns=rx.breakpoints(initial="1", xs="2", lg="3"),
            spacing="3",
            width="100%",
        ),
        long_text(t("leads.field.notes"), R.lead["notes"]),
        test_id="lead-data",
    )


def _status_card() -> rx.Component:
    return section(
        t("leads.field.status"),
        field(t("lead_ui.record.change_status"),
              choice(rx.cond(R.converted, status_options(pickable=False), status_options()),
                     value=R.status, on_change=R.pick_status, id="lead-status-select",
                     disabled=R.converted),
              html_for="lead-status-select"),
        rx.cond(R.lead["discard_reason"] != "",
                rx.text(t("leads.field.discard_reason"), ": ", R.lead["discard_reason"],
                        size="2", color_scheme="gray", data_testid="lead-discard-reason")),
        rx.cond(R.can_assign,
                field(t("leads.field.owner_id"),
                      choice(R.owner_options, value=R.owner_id, on_change=R.pick_owner,
                             id="lead-owner-select"),
                      html_for="lead-owner-select"),
                info(t("leads.field.owner_id"), R.lead["owner"])),
        rx.cond(R.lead["team"] != "",
                rx.text(t("leads.field.team_id"), ": ", R.lead["team"], size="1",
                        color_scheme="gray")),
        test_id="lead-status-card",
    )


def _discard_dialog() -> rx.Component:
    return form_dialog(
        field(t("leads.field.discard_reason"),
              rx.input(value=R.discard_reason, on_change=R.set_discard_reason,
                       id="discard-reason", width="100%", auto_focus=True),
              html_for="discard-reason", required=True,
              error=R.errors.get("discard_reason", "")),
        title=t("lead_ui.record.discard_title"), open_=R.discard_open,
        on_open_change=R.set_discard_open, submit_label=t("lead_ui.record.discard"),
        on_submit=R.confirm_discard, test_id="discard", max_width="420px",
    )


def _convert_dialog() -> rx.Component:
    opportunity = rx.vstack(
        field(t("lead_ui.convert.pipeline"),
              choice(R.pipeline_options, value=R.conv_pipeline, on_change=R.set_conv_pipeline,
                     id="convert-pipeline"),
              html_for="convert-pipeline", required=True,
              error=R.conv_errors.get("pipeline_id", "")),
        field(t("lead_ui.convert.name"),
              rx.input(value=R.conv_name, on_change=R.set_conv_name, id="convert-name",
                       width="100%"),
              html_for="convert-name", error=R.conv_errors.get("opportunity_name", "")),
        field(t("lead_ui.convert.amount"),
              rx.input(value=R.conv_amount, on_change=R.set_conv_amount, id="convert-amount",
                       input_mode="decimal", placeholder="1.234,56", width="100%"),
              html_for="convert-amount", error=R.conv_errors.get("amount", "")),
        spacing="3", width="100%",
    )
    return form_dialog(
        rx.cond(R.conv_blocked != "",
                rx.callout(R.conv_blocked, color_scheme="red", icon="ban", width="100%",
                           id="convert-blocked"),
                rx.callout(R.conv_preview, icon="building-2", width="100%",
                           id="convert-preview")),
        rx.checkbox(t("lead_ui.convert.with_opportunity"), checked=R.conv_opportunity,
                    on_change=R.set_conv_opportunity, id="convert-opportunity"),
        rx.cond(R.conv_opportunity, opportunity),
        title=t("lead_ui.convert.title"), description=t("lead_ui.convert.help"),
        open_=R.convert_open, on_open_change=R.set_convert_open,
        submit_label=t("lead_ui.convert.submit"), on_submit=R.convert, test_id="convert",
        saving=R.converting, submit_disabled=R.converting | (R.conv_blocked != ""),
    )


def _timeline_item(item: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.box(rx.icon(item["icon"], size=16, color=rx.color("accent", 11)),
               background=rx.color("accent", 3), border_radius="9999px",
               padding="var(--space-2)", display="flex", flex_shrink="0"),
        rx.vstack(
            rx.text(item["title"], size="2", weight="medium"),
            rx.text(item["who"], rx.cond(item["who"] != "", " · ", ""), item["when"], " · ",
                    item["ago"], size="1", color_scheme="gray"),
            rx.cond(item["detail"] != "", rx.text(item["detail"], size="1",
                                                  color_scheme="gray")),
            rx.cond(item["changes"] != "", rx.text(item["changes"], size="1",
                                                   white_space="pre-line")),
            spacing="0", min_width="0",
        ),
        spacing="3", align="start", width="100%",
        data_testid="timeline-" + item["id"].to(str),
    )


def _timeline() -> rx.Component:
    return section(
        t("lead_ui.record.timeline"),
        listing(R.timeline, _timeline_item, t("lead_ui.record.timeline_empty")),
        test_id="lead-timeline",
    )


def lead_record_page() -> rx.Component:
    body = rx.vstack(
        _header(),
        rx.grid(
            rx.vstack(_data_card(),
                      personal_data_card(R, prefix="lead-pd", on_export=R.export_person,
                                         on_save=R.save_consent, on_anonymise=R.anonymise),
                      _timeline(), spacing="4", width="100%", min_width="0"),
            rx.vstack(_status_card(), record_activities(R, "lead"), spacing="4", width="100%",
                      min_width="0",
                      order=rx.breakpoints(initial="-1", md="0")),
            columns=rx.breakpoints(initial="1", md="3fr 2fr"),
            spacing="4",
            width="100%",
        ),
        _discard_dialog(),
        _convert_dialog(),
        activity_dialog(R),
        spacing="4",
        width="100%",
    )
    return shell(record_page(body, loaded=R.loaded, found=R.found,
                             not_found_text=t("lead_ui.not_found"), not_found_id="lead-not-found"),
                 title=t("nav.leads"), active="/leads")
