"""/oportunidades: the toolbar (pipeline, board or list, "Nueva oportunidad") over the board or
the list (``record_list``: table on desktops, cards on phones), and the move dialog."""

from __future__ import annotations

import reflex as rx

from components.badges import alert_mark, status_badge
from components.empty_state import empty_state
from components.forms import PHONE_FULL, choice
from components.layout import shell
from components.record_header import link_button
from components.record_list import Column, Filter, record_list, row_card, view_tabs
from components.stage_move import move_dialog, move_menu
from crm_app.i18n import t
from pages.opportunities.board_state import OpportunitiesState as S
from pages.opportunities.board_view import board
from pages.opportunities.rows import channel_options, kind_options, stale_options


def _stale_badge(r: rx.Var) -> rx.Component:
    return rx.cond(r["stale"], rx.badge(t("sui.opp.stale"), color_scheme="orange",
                                        variant="soft"))


def _name_cell(r: rx.Var) -> rx.Component:
    return rx.vstack(rx.hstack(rx.link(r["name"], href=r["href"], weight="medium"),
                               alert_mark(r["alert"]), spacing="1", align="center"),
                     _stale_badge(r), spacing="1", min_width="0")


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(rx.link(r["name"], href=r["href"], weight="medium",
                          style={"overflowWrap": "anywhere"}),
                  alert_mark(r["alert"]), rx.spacer(),
                  rx.text(r["amount"], weight="bold", size="2", white_space="nowrap"),
                  width="100%", align="start"),
        rx.cond(r["account"], rx.text(r["account"], size="1", color_scheme="gray")),
        rx.hstack(status_badge(r["kind"], r["stage"]), _stale_badge(r),
                  rx.text(r["when"], size="1", color_scheme="gray"),
                  spacing="2", align="center", wrap="wrap"),
        rx.hstack(rx.text(r["owner"], size="1", color_scheme="gray"), rx.spacer(),
                  move_menu(S, S.stage_options, r, id_prefix="move-card-"),
                  width="100%", align="center"),
        test_id="opportunity-card",
    )


def _list() -> rx.Component:
    new = link_button(t("sui.opps.new"), "/oportunidades/nueva", icon="plus",
                      id="opp-new-empty")
    return record_list(
        S,
        test_id="opportunities",
        columns=[
            Column("name", t("col.name"), sortable=True, cell=_name_cell),
            Column("account", t("col.account")),
            Column("stage", t("col.stage"), cell=lambda r: status_badge(r["kind"], r["stage"])),
            Column("amount", t("col.amount"), sortable=True, nowrap=True),
            Column("weighted", t("sui.opp.weighted"), nowrap=True),
            Column("expected_close", t("col.expected_close"), sortable=True, nowrap=True,
                   cell=lambda r: rx.text(r["when"])),
            Column("owner", t("col.owner")),
            Column("move", "", nowrap=True,
                   cell=lambda r: move_menu(S, S.stage_options, r, id_prefix="move-row-")),
        ],
        card=_card,
        row_test_id=lambda _r: "opportunity-row",
        count_label=S.count_label,
        search_placeholder=t("sui.opp.search"),
        filters=[
            Filter("stage_id", t("opp_ui.filter.stage"), options=S.stage_options,
                   all_label=t("sui.filter.all_stages")),
            Filter("status", t("opp_ui.filter.status"), options=kind_options(),
                   all_label=t("sui.filter.all_status")),
            Filter("owner_id", t("opp_ui.filter.owner"), options=S.owners,
                   visible=S.user_scope != "own", all_label=t("sui.filter.all_owners")),
            Filter("channel", t("opp_ui.filter.channel"), options=channel_options(),
                   all_label=t("sui.filter.all_channels")),
            Filter("stale", t("opp_ui.filter.stale"), options=stale_options(),
                   all_label=t("sui.filter.stale_any")),
        ],
        empty=empty_state("kanban", t("sui.opps.empty"), new, test_id="opportunities-empty"),
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.box(choice(S.pipelines, value=S.pipeline_id, on_change=S.set_pipeline,
                      id="pipeline-select", aria_label=t("sui.opp.pipeline")),
               min_width="180px", width=PHONE_FULL),
        view_tabs(S, [("kanban", t("sui.opp.kanban")), ("list", t("sui.opp.list"))],
                  test_id="opps"),
        rx.spacer(display=rx.breakpoints(initial="none", sm="block")),
        link_button(t("sui.opps.new"), "/oportunidades/nueva", icon="plus", id="opp-new",
                    width=PHONE_FULL),
        spacing="2",
        width="100%",
        align=rx.breakpoints(initial="stretch", sm="center"),
        direction=rx.breakpoints(initial="column", sm="row"),
    )


def opportunities_page() -> rx.Component:
    return shell(
        _toolbar(),
        rx.cond(S.view == "list", _list(), board()),
        move_dialog(S),
        title=t("nav.opportunities"),
        active="/oportunidades",
    )


__all__ = ["opportunities_page"]
