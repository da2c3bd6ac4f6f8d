"""/ajustes/auditoria: the audit log on the kit's record list (table on desktop, cards on
phones), its filters and the CSV download."""

from __future__ import annotations

import reflex as rx

from components.empty_state import empty_state
from components.layout import shell
from components.record_list import Column, Filter, record_list, row_card
from crm_app.i18n import t
from pages.settings.audit_state import AuditState as S
from pages.settings.common import back_to_settings


def _record(r: rx.Var) -> rx.Component:
    """The record's type and number, a link to its page where one exists."""
    text = rx.text(r["entity"], " ", r["entity_id"], size="2")
    return rx.cond(r["href"] != "", rx.link(text, href=r["href"], data_testid="audit-record-link"),
                   text)


def _changes(r: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(r["changes"], size="1", white_space="pre-line",
                style={"overflowWrap": "anywhere"}, data_testid="audit-changes"),
        rx.cond(r["note"] != "", rx.text(r["note"], size="1", color_scheme="gray")),
        spacing="1", min_width="0", max_width="520px")


def _card(r: rx.Var) -> rx.Component:
    return row_card(
        rx.hstack(rx.text(r["action"], weight="medium"), rx.spacer(),
                  rx.text(r["at"], size="1", color_scheme="gray"), width="100%",
                  align="center"),
        rx.hstack(_record(r), rx.text("·", color_scheme="gray"),
                  rx.text(r["who"], size="2"), spacing="2", wrap="wrap"),
        _changes(r),
        test_id="audit-card")


def audit_page() -> rx.Component:
    return shell(
        back_to_settings(),
        rx.text(t("audit.subtitle"), size="2", color_scheme="gray"),
        record_list(
            S, test_id="audit",
            columns=[Column("at", t("audit.col.when"), nowrap=True),
                     Column("who", t("audit.col.who")),
                     Column("entity", t("audit.col.entity"), cell=_record),
                     Column("action", t("audit.col.action")),
                     Column("changes", t("audit.col.changes"), cell=_changes)],
            card=_card, row_test_id=lambda _r: "audit-row",
            count_label=S.count_label,
            search_placeholder=t("audit.search"),
            filters=[Filter("user_id", t("audit.f.user"), options=S.user_options),
                     Filter("entity", t("audit.f.entity"), options=S.entity_options),
                     Filter("entity_id", t("audit.f.entity_id"), kind="text"),
                     Filter("from", t("audit.f.from"), kind="date"),
                     Filter("to", t("audit.f.to"), kind="date")],
            actions=[rx.button(rx.icon("download", size=16), t("audit.export"),
                               on_click=S.export_csv, loading=S.exporting, variant="soft",
                               id="audit-export")],
            empty=empty_state("scroll-text", t("audit.empty"), test_id="audit-empty"),
        ),
        title=t("audit.title"),
        active="/ajustes",
    )


__all__ = ["audit_page"]
