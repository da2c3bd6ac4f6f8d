"""/presupuestos: the quotes list on the kit's ``record_list`` (table on desktops, cards on
phones), with the catalog and "Nuevo presupuesto" next to the count."""

from __future__ import annotations

import reflex as rx

from components.badges import alert_mark, status_badge
from components.empty_state import empty_state
from components.forms import PHONE_FULL
from components.layout import shell
from components.record_header import link_button
from components.record_list import Column, Filter, record_list, row_card
from crm_app.i18n import t
from pages.quotes import rows
from pages.quotes.list_state import QuotesState as S


def _number(r: rx.Var) -> rx.Component:
    return rx.hstack(rx.link(r["label"], href=r["href"], weight="medium", white_space="nowrap"),
                     alert_mark(r["alert"]), spacing="1", align="center")


def _right(key: str) -> object:
    return lambda r: rx.text(r[key], text_align="right", white_space="nowrap")


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(_number(r), rx.spacer(),
                  rx.text(r["total"], weight="bold", size="2", white_space="nowrap"),
                  width="100%", align="center"),
        rx.text(r["account"], size="1", color_scheme="gray"),
        rx.hstack(status_badge(r["status"], r["status_label"]),
                  rx.text(r["issue_date"], " → ", r["valid_until"], size="1",
                          color_scheme="gray"),
                  spacing="2", align="center", wrap="wrap"),
        test_id="quote-card",
    )


def quotes_page() -> rx.Component:
    # The asesor reads quotes only: no catalog (a commercial screen), nothing to create.
    new = rx.cond(S.can_change, link_button(t("sui.quotes.new"), "/presupuestos/nuevo",
                                            icon="plus", id="quote-new", width=PHONE_FULL))
    return shell(
        record_list(
            S,
            test_id="quotes",
            columns=[
                Column("number", t("col.number"), sortable=True, cell=_number),
                Column("account", t("col.account")),
                Column("status", t("col.status"),
                       cell=lambda r: status_badge(r["status"], r["status_label"])),
                Column("base", t("sui.quote.base"), cell=_right("base")),
                Column("total", t("col.total"), sortable=True, cell=_right("total")),
                Column("issue_date", t("col.issue_date"), sortable=True, nowrap=True),
                Column("valid_until", t("col.valid_until"), sortable=True, nowrap=True),
                Column("owner", t("col.owner")),
            ],
            card=_card,
            row_test_id=lambda _r: "quote-row",
            count_label=S.count_label,
            search_placeholder=t("sui.quotes.search"),
            filters=[Filter("status", t("col.status"), options=rows.status_options(),
                            all_label=t("sui.filter.all_status"))],
            actions=[
                rx.cond(S.can_records, link_button(
                    t("sui.products.title"), "/productos", icon="package",
                    id="quotes-catalog", variant="soft", width=PHONE_FULL)),
                new,
            ],
            empty=empty_state(
                "file-text", t("sui.quotes.empty"),
                rx.cond(S.can_change, link_button(t("sui.quotes.new"), "/presupuestos/nuevo",
                                                  icon="plus", id="quote-new-empty")),
                test_id="quotes-empty"),
        ),
        title=t("nav.quotes"),
        active="/presupuestos",
    )


__all__ = ["quotes_page"]
