"""/clientes: the customers list on the kit's ``record_list`` — search, filters with chips,
sortable columns, the recycle bin as a second tab (restore there), cards on phones."""

from __future__ import annotations

import reflex as rx

from components.badges import alert_mark
from components.empty_state import empty_state
from components.layout import shell
from components.record_header import link_button
from components.record_list import Column, Filter, record_list, row_card, view_tabs
from crm_app.i18n import t
from pages.accounts.list_state import ACTIVE, BIN
from pages.accounts.list_state import AccountsListState as S
from pages.accounts.rows import (
    channel_choices,
    province_choices,
    sector_choices,
    size_band_choices,
)


def _name(r: rx.Var) -> rx.Component:
    """The name opens the file; in the bin there is no file to open."""
    return rx.cond(S.in_bin, rx.text(r["name"], weight="medium"),
                   rx.link(r["name"], href=r["href"], weight="medium"))


def _name_cell(r: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.hstack(_name(r), alert_mark(r["alert"]), spacing="1", align="center"),
        rx.cond(r["trade_name"] != "", rx.text(r["trade_name"], size="1", color_scheme="gray")),
        spacing="0", min_width="0")


def _restore(r: rx.Var, prefix: str) -> rx.Component:
    return rx.cond(S.in_bin, rx.button(
        rx.icon("undo-2", size=14), t("sui.accounts.restore"), size="1", variant="soft",
        on_click=S.restore(r["id"]), id=prefix + r["id"]))


COLUMNS = [
    Column("name", t("col.legal_name"), sortable=True, cell=_name_cell),
    Column("nif", t("col.nif"), nowrap=True),
    Column("province", t("col.province"), sortable=True),
    Column("sector", t("col.sector"), sortable=True),
    Column("size_band", t("sui.account.size_band"), nowrap=True),
    Column("channel", t("col.channel"), sortable=True),
    Column("owner", rx.cond(S.in_bin, t("sui.accounts.deleted_at"), t("col.owner")),  # type: ignore[arg-type]
           cell=lambda r: rx.cond(S.in_bin, r["deleted_at"], r["owner"])),
    Column("actions", "", cell=lambda r: _restore(r, "restore-")),
]


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(_name(r), rx.spacer(),
                  rx.text(r["nif"], size="1", color_scheme="gray", white_space="nowrap"),
                  width="100%", align="start"),
        rx.cond(r["trade_name"] != "", rx.text(r["trade_name"], size="1", color_scheme="gray")),
        rx.text(r["place"], size="1"),
        rx.hstack(
            rx.text(rx.cond(S.in_bin, r["deleted_text"], r["owner"]), size="1",
                    color_scheme="gray"),
            rx.spacer(),
            _restore(r, "restore-card-"),
            width="100%", align="center"),
        test_id="account-card",
    )


FILTERS = [
    Filter("province", t("col.province"), options=province_choices()),
    Filter("sector", t("col.sector"), options=sector_choices()),
    Filter("size_band", t("sui.account.size_band"), options=size_band_choices()),
    Filter("channel", t("col.channel"), options=channel_choices()),
    Filter("owner_id", t("col.owner"), options=S.owner_options,
           visible=S.user_scope != "own"),
]


def _new(id_: str) -> rx.Component:
    return link_button(t("sui.accounts.new"), "/clientes/nuevo", icon="plus", id=id_)


def accounts_page() -> rx.Component:
    return shell(
        record_list(
            S,
            test_id="accounts",
            columns=COLUMNS,
            card=_card,
            row_test_id=lambda r: "account-row",
            count_label=S.count_label,
            search_placeholder=t("sui.accounts.search"),
            filters=FILTERS,
            toolbar=[view_tabs(S, [(ACTIVE, t("sui.accounts.active")),
                                   (BIN, t("sui.accounts.bin"))], test_id="accounts")],
            actions=[_new("account-new")],
            empty=rx.cond(
                S.in_bin,
                empty_state("trash-2", t("sui.accounts.bin_empty"), test_id="accounts-empty"),
                empty_state("building-2", t("acc_ui.empty"), _new("account-new-empty"),
                            test_id="accounts-empty")),
        ),
        title=t("nav.accounts"),
        active="/clientes",
    )


__all__ = ["accounts_page"]
