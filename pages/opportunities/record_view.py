"""/oportunidades/[oportunidad_id]: the kit's record header and action bar, the stage path,
the data, the quotes and the stage history (beside the data on wide screens)."""

from __future__ import annotations

import reflex as rx

from components.activity_log import activity_buttons, activity_dialog, record_activities
from components.badges import alert_mark, status_badge
from components.dialogs import confirm
from components.empty_state import listing
from components.forms import PHONE_FULL, info, long_text, section
from components.layout import shell
from components.record_header import link_button, record_header, record_page
from components.stage_move import move_dialog
from crm_app.i18n import t
from pages.opportunities.record_state import OpportunityRecordState as R


def _header() -> rx.Component:
    o = R.opp
    delete = confirm(
        rx.button(rx.icon("trash-2", size=16), t("common.delete"), variant="soft",
                  color_scheme="red", loading=R.deleting, width=PHONE_FULL, id="opp-delete"),
        title=t("sui.opps.delete_q_title"), description=t("sui.opps.delete_q"),
        confirm_label=t("common.delete"), on_confirm=R.delete, test_id="opp-delete")
    account = rx.cond(o["account_href"] != "", rx.link(
        rx.hstack(rx.icon("building-2", size=14), o["account"], spacing="1", align="center"),
        href=o["account_href"], size="2", id="opp-account-link"))
    return record_header(
        o["name"],
        back=(t("sui.opps.back"), "/oportunidades"),
        subtitle=account,
        badges=[rx.hstack(
            status_badge(o["kind"], o["stage"]),
            alert_mark(R.record_alert, R.record_alert_text, test_id="record-alert"),
            rx.cond(o["stale"], rx.badge(t("sui.opp.stale"), color_scheme="orange",
                                         variant="soft")),
            spacing="2", wrap="wrap", align="center", data_testid="opp-stage")],
        actions=[*activity_buttons(R, "opp"), delete,
                 link_button(t("common.edit"), o["edit_href"], icon="pencil", id="opp-edit",
                             variant="soft", width=PHONE_FULL),
                 link_button(t("sui.quotes.new"), o["new_quote_href"], icon="file-plus",
                             id="opp-new-quote", width=PHONE_FULL)],
        test_id="opp-header",
        title_id="opp-name",
    )


def _stage_step(st: rx.Var) -> rx.Component:
    """A stage of the path: the current one is a solid badge; any other moves it there."""
    color = rx.match(st["kind"], ("won", "green"), ("lost", "red"), "indigo")
    return rx.cond(
        st["current"],
        rx.badge(st["name"], size="2", variant="solid", color_scheme=color,
                 aria_current="step", data_testid="stage-step"),
        rx.button(st["name"], size="1", variant="soft", color_scheme=color,
                  on_click=R.request_move(R.opp["id"], st["stage_id"]),
                  data_testid="stage-step"),
    )


def _stage_path() -> rx.Component:
    return rx.card(rx.flex(rx.foreach(R.stages, _stage_step), spacing="1", wrap="wrap"),
                   width="100%", data_testid="stage-path")


def _data() -> rx.Component:
    o = R.opp
    return section(
        t("sui.360.data"),
        rx.grid(
            info(t("col.amount"), o["amount"], "opp-amount"),
            info(t("sui.opp.weighted"), o["weighted"]),
            info(t("sui.opp.probability"), o["probability"]),
            info(t("col.expected_close"), o["expected_close"]),
            info(t("sui.opp.pipeline"), o["pipeline"]),
            info(t("sui.opp.in_stage"), o["days_in_stage"]),
            info(t("sui.opp.contact"), o["contact"]), info(t("sui.opp.product"), o["product"]),
            info(t("col.channel"), o["channel"]), info(t("col.owner"), o["owner"]),
            info(t("col.created_at"), o["created_at"]),
            info(t("sui.opp.closed_at"), o["closed_at"]),
            columns=rx.breakpoints(initial="2", md="3"), spacing="3", width="100%"),
        rx.cond(o["lost_reason"], info(t("sui.required.lost_reason"), o["lost_reason"])),
        long_text(t("sui.opp.description"), o["description"]),
        test_id="opp-data", icon="info")


def _history_item(h: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.box(rx.icon("arrow-right", size=14, color=rx.color("accent", 10)),
               background=rx.color("accent", 3), padding="6px", border_radius="9999px",
               display="flex", flex_shrink="0"),
        rx.vstack(
            rx.text(rx.cond(h["from"], h["from"] + " → " + h["to"],
                            t("sui.opp.created_in") + " " + h["to"]), size="2", weight="medium"),
            rx.text(h["when"], " · ", h["user"], size="1", color_scheme="gray"),
            spacing="0", min_width="0"),
        align="start", spacing="3", data_testid="history-item")


def _history() -> rx.Component:
    return section(t("sui.opp.history"),
                   listing(R.history, _history_item, t("sui.opp.history_empty"),
                           empty_id="history-empty"),
                   test_id="opp-history", icon="history")


def _quote(q: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.vstack(rx.link(q["label"], href=q["href"], weight="medium", size="2"),
                  rx.hstack(status_badge(q["status"], q["status_label"]),
                            rx.text(q["issue_date"], size="1", color_scheme="gray"),
                            spacing="2"), spacing="1", min_width="0"),
        rx.spacer(),
        rx.text(q["total"], size="2", weight="medium", white_space="nowrap"),
        width="100%", data_testid="opp-quote")


def _quotes() -> rx.Component:
    return section(
        t("sui.360.quotes"),
        listing(R.quotes, _quote, t("sui.opp.quotes_empty"), empty_id="opp-quotes-empty"),
        actions=[link_button(t("sui.quotes.new"), R.opp["new_quote_href"], icon="plus",
                             id="opp-new-quote-2", size="1", variant="soft")],
        test_id="opp-quotes", icon="file-text")


def opportunity_record_page() -> rx.Component:
    body = rx.vstack(
        _header(),
        _stage_path(),
        rx.grid(
            rx.vstack(_data(), _quotes(), spacing="4", width="100%", min_width="0",
                      grid_column=rx.breakpoints(initial="auto", lg="span 2")),
            rx.vstack(record_activities(R, "opp", title_key="act.section.activity"),
                      _history(), spacing="4", width="100%", min_width="0"),
            columns=rx.breakpoints(initial="1", lg="3"), spacing="4", width="100%"),
        move_dialog(R),
        activity_dialog(R),
        spacing="4",
        width="100%",
    )
    return shell(record_page(body, loaded=R.loaded, found=R.found,
                             not_found_text=t("opp_ui.not_found"), not_found_id="opp-not-found"),
                 title=t("sui.opps.detail_title"), active="/oportunidades")


__all__ = ["opportunity_record_page"]
