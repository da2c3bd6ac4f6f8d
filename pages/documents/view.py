"""/documentos: the list on the kit."""

from __future__ import annotations

import reflex as rx

from components.empty_state import empty_state
from components.layout import shell
from components.record_list import Column, record_list, row_card
from crm_app.i18n import t
from pages.documents.state import DocumentsState as S


def _card(r: rx.Var) -> rx.Component:
    return row_card(rx.text(r["filename"], weight="medium", word_break="break-all"),
                    rx.text(r["size"], " · ", r["created_at"], size="1", color_scheme="gray"),
                    test_id="document-card")


def documents_page() -> rx.Component:
    return shell(
        record_list(
            S, test_id="documents",
            columns=[Column("filename", t("col.filename"), sortable=True),
                     Column("size", t("col.size"), nowrap=True),
                     Column("created_at", t("col.created_at"), sortable=True, nowrap=True)],
            card=_card, row_test_id=lambda _r: "document-row",
            count_label=t("count.documents"),
            empty=empty_state("folder-open", t("empty.documents"), test_id="documents-empty"),
        ),
        title=t("nav.documents"), active="/documentos")
