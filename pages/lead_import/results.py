"""The wizard's later steps: the preview (a check: counts, owners, warnings, the error rows a
page at a time, their CSV), the import running, its result (rejected rows, undo) and the
recent imports."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.dialogs import confirm
from components.empty_state import listing
from components.forms import PHONE_FULL, section
from components.record_header import link_button
from components.record_list import pager
from crm_app.i18n import t
from pages.lead_import.state import LeadImportState

I = LeadImportState  # noqa: E741


def progress() -> rx.Component:
    return rx.cond(
        I.busy,
        rx.vstack(
            rx.text(I.progress_label, size="2"),
            rx.progress(value=I.progress, max=100, width="100%", id="import-progress"),
            spacing="2", width="100%",
        ),
    )


def _stat(label_key: str, value: rx.Var, test_id: str, color: str = "gray") -> rx.Component:
    return rx.card(
        rx.vstack(rx.text(t(label_key), size="1", color_scheme="gray"),
                  rx.heading(value, size="6", color=rx.color(color, 11), data_testid=test_id),
                  spacing="1"),
        width="100%",
    )


def _stats(created_key: str) -> rx.Component:
    return rx.grid(
        _stat("import_ui.stat.rows", I.counts["rows"], "stat-rows"),
        _stat(created_key, I.counts["created"], "stat-created", "green"),
        _stat("import_ui.stat.updated", I.counts["updated"], "stat-updated", "blue"),
        _stat("import_ui.stat.skipped", I.counts["skipped"], "stat-skipped", "amber"),
        _stat("import_ui.stat.rejected", I.counts["rejected"], "stat-rejected", "red"),
        columns=rx.breakpoints(initial="2", sm="3", md="5"),
        spacing="2", width="100%",
    )


def _error_row(e: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(e["row"], white_space="nowrap"),
        rx.table.cell(e["column"], rx.cond(
            e["column"] != e["field"], rx.text(e["field"], size="1", color_scheme="gray"))),
        rx.table.cell(e["message"]),
        data_testid="error-row-" + e["row"].to(str),
    )


def _errors_table(test_id: str) -> rx.Component:
    return rx.cond(
        I.total > 0,
        rx.vstack(
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(
                        rx.table.column_header_cell(t("import_ui.col.row")),
                        rx.table.column_header_cell(t("import_ui.col.column")),
                        rx.table.column_header_cell(t("import_ui.col.error")))),
                    rx.table.body(rx.foreach(I.error_rows, _error_row)),
                    variant="surface", size="1", width="100%",
                ),
                overflow_x="auto", width="100%", data_testid=test_id,
            ),
            pager(I, f"{test_id}-pager"),
            spacing="2", width="100%",
        ),
        rx.text(t("import_ui.no_errors"), size="2", color_scheme="green",
                data_testid=test_id + "-none"),
    )


def _warnings() -> rx.Component:
    return rx.cond(I.warnings.length() > 0, rx.callout.root(
        rx.callout.icon(rx.icon("info")),
        rx.vstack(rx.foreach(I.warnings, lambda w: rx.text(w, size="2")), spacing="1"),
        color_scheme="amber", width="100%"))


def step_actions(*buttons: rx.Component, phone: str = "column-reverse") -> rx.Component:
    """A step's buttons in a row, the main one last (on the right); on phones one under the
    other, the main one on top (``phone="column"`` keeps their order)."""
    return rx.flex(*buttons, spacing="2", justify="end", width="100%", wrap="wrap",
                   direction=rx.breakpoints(initial=phone, xs="row"))


def preview_step() -> rx.Component:
    return rx.vstack(
        section(
            t("import_ui.preview_title"),
            rx.text(t("import_ui.preview_help"), size="2", color_scheme="gray"),
            _stats("import_ui.stat.to_create"),
            rx.cond(I.counts["owners"] != "",
                    rx.text(t("import_ui.owners"), " ", I.counts["owners"], size="2",
                            data_testid="preview-owners")),
            _warnings(),
            rx.flex(
                rx.heading(t("import_ui.errors_title"), " (", I.counts["errors"], ")", size="3"),
                rx.spacer(),
                rx.cond(I.total > 0,
                        rx.button(rx.icon("download", size=14), t("import_ui.download_preview"),
                                  variant="soft", size="1", on_click=I.download_preview_errors,
                                  id="import-preview-download")),
                spacing="2", align="center", width="100%", wrap="wrap",
            ),
            _errors_table("preview-errors"),
            test_id="import-preview-card",
        ),
        progress(),
        step_actions(
            rx.button(rx.icon("arrow-left", size=16), t("import_ui.back_mapping"),
                      variant="soft", color_scheme="gray", on_click=I.back_to_mapping,
                      id="import-back"),
            rx.button(rx.icon("upload", size=16), t("import_ui.run"), on_click=I.run_import,
                      loading=I.busy, disabled=I.busy, id="import-run"),
        ),
        spacing="4", width="100%",
    )


def running_step() -> rx.Component:
    return section(t("import_ui.running_title"), progress(), test_id="import-running")


def _undo(trigger: rx.Component, batch_id: Any, test_id: str) -> rx.Component:
    return confirm(trigger, title=t("import_ui.undo_title"),
                   description=t("import_ui.undo_help"), confirm_label=t("import_ui.undo"),
                   on_confirm=I.undo(batch_id), test_id=test_id)


def result_step() -> rx.Component:
    return section(
        t("import_ui.result_title"),
        rx.cond(I.batch_undone,
                rx.callout(t("import_ui.result_undone"), icon="rotate-ccw",
                           color_scheme="gray", width="100%", id="import-undone"),
                rx.callout(t("import_ui.result_done"), icon="circle-check",
                           color_scheme="green", width="100%", id="import-done")),
        _stats("import_ui.stat.created"),
        _warnings(),
        rx.heading(t("import_ui.rejected_title"), " (", I.counts["rejected"], ")", size="3"),
        _errors_table("result-errors"),
        step_actions(
            rx.cond(I.total > 0,
                    rx.button(rx.icon("download", size=16), t("import_ui.download"),
                              variant="soft", on_click=I.download_rejected(""),
                              id="import-download", width=PHONE_FULL)),
            link_button(t("import_ui.see_leads"), "/leads?lote=" + I.batch_id.to(str),
                        icon="list", id="import-see-leads", variant="soft", width=PHONE_FULL),
            rx.cond(~I.batch_undone,
                    _undo(rx.button(rx.icon("rotate-ccw", size=16), t("import_ui.undo"),
                                    color_scheme="red", variant="soft", loading=I.undoing,
                                    id="import-undo", width=PHONE_FULL),
                          I.batch_id.to(str), "import-undo")),
            rx.button(rx.icon("file-up", size=16), t("import_ui.another"),
                      on_click=I.restart, id="import-another", width=PHONE_FULL),
            phone="column",
        ),
        test_id="import-result",
    )


def _batch_card(b: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.hstack(rx.text("#", b["id"], " · ", b["filename"], weight="medium", size="2",
                                  word_break="break-all"),
                          status_badge(b["status_key"], b["status"]),
                          spacing="2", align="center", wrap="wrap"),
                rx.text(b["when"], " · ", t("import_ui.stat.created"), " ", b["created"], " · ",
                        t("import_ui.stat.updated"), " ", b["updated"], " · ",
                        t("import_ui.stat.rejected"), " ", b["rejected"], size="1",
                        color_scheme="gray"),
                spacing="1", min_width="0",
            ),
            rx.spacer(),
            rx.hstack(
                rx.link(t("import_ui.see_leads"), href=b["href"], size="2"),
                rx.cond(b["rejected"] != "0",
                        rx.icon_button(rx.icon("download", size=14), size="1", variant="ghost",
                                       on_click=I.download_rejected(b["id"]),
                                       aria_label=t("import_ui.download"))),
                rx.cond(b["status_key"] == "committed",
                        _undo(rx.button(t("import_ui.undo"), size="1", variant="soft",
                                        color_scheme="red", loading=I.undoing,
                                        data_testid="batch-undo-" + b["id"].to(str)),
                              b["id"], "batch-undo")),
                spacing="2", align="center",
            ),
            spacing="2", wrap="wrap", align="center", width="100%",
        ),
        width="100%",
        data_testid="batch-" + b["id"].to(str),
    )


def recent_imports() -> rx.Component:
    return section(
        t("import_ui.recent"),
        listing(I.batches, _batch_card, t("import_ui.recent_none"), spacing="2"),
        test_id="import-batches",
    )
