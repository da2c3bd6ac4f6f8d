"""/ajustes/exportar: one card: what the export holds, the button, the job's state and
progress, and the ZIP's download link once it is ready."""

from __future__ import annotations

import reflex as rx

from components.forms import PHONE_FULL, section
from components.layout import shell
from crm_app.i18n import t
from crm_app.services.export_all import KEEP_HOURS
from pages.settings.common import back_to_settings
from pages.settings.export_state import ExportState as S

STATE_COLOURS = {"queued": "gray", "running": "blue", "done": "green", "failed": "red"}


def _badge() -> rx.Component:
    return rx.badge(S.job["state_label"],
                    color_scheme=rx.match(S.job["state"], *STATE_COLOURS.items(), "gray"),
                    variant="soft", size="2", data_testid="export-state")


def _job() -> rx.Component:
    return rx.vstack(
        rx.hstack(_badge(), rx.text(S.job["requested"], size="2", color_scheme="gray"),
                  spacing="2", align="center", wrap="wrap"),
        rx.cond(S.active,
                rx.vstack(rx.progress(value=S.percent, max=100, width="100%"),
                          rx.text(S.job["progress_text"], size="2",
                                  data_testid="export-progress"),
                          spacing="1", width="100%")),
        rx.cond(S.job["state"] == "done",
                rx.vstack(
                    rx.text(S.job["finished"], size="2", data_testid="export-finished"),
                    # the browser downloads it from the authorised route, with its cookie
                    rx.button(rx.icon("download", size=16), t("export_all.download"),
                              on_click=rx.download(url=S.job["download_url"],
                                                   filename=S.job["file_name"]),
                              type="button", variant="soft", width=PHONE_FULL,
                              id="export-download"),
                    rx.text(t("export_all.keep_note", hours=KEEP_HOURS), size="1",
                            color_scheme="gray"),
                    spacing="2", width="100%")),
        rx.cond(S.job["state"] == "failed",
                rx.callout(S.job["error"], icon="triangle-alert", color_scheme="red",
                           role="alert", data_testid="export-error", width="100%")),
        spacing="3", width="100%", data_testid="export-job")


def _card() -> rx.Component:
    return section(
        t("export_all.title"),
        rx.text(t("export_all.intro"), size="2"),
        rx.flex(
            rx.button(rx.icon("archive", size=16), t("export_all.start"), type="button",
                      on_click=S.start, loading=S.starting | S.active,
                      disabled=S.starting | S.active, id="export-start", width=PHONE_FULL),
            justify="end", width="100%"),
        rx.divider(),
        rx.cond(S.job.contains("id"), _job(),
                rx.text(t("export_all.none"), size="2", color_scheme="gray",
                        data_testid="export-none")),
        test_id="export-card", icon="database")


def export_page() -> rx.Component:
    return shell(back_to_settings(), _card(), title=t("export_all.title"), active="/ajustes")


__all__ = ["export_page"]
