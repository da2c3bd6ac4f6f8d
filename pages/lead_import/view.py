"""/leads/importar: the wizard's page, its step indicator, the upload and the mapping step.

1. Upload a CSV/XLSX file (``rx.upload``; kept by the service in the data dir, never in
   Reflex's public upload folder).
2. Columns: the automatic mapping, one select per column (lead fields, custom fields,
   ignorar); templates loaded and saved; the duplicate policy (skip / update / create).
3. Preview, 4. result and the recent imports: ``pages.lead_import.results``.
"""

from __future__ import annotations

import reflex as rx

from components.dialogs import form_dialog
from components.forms import PHONE_FULL, choice, field, section
from components.layout import shell
from components.record_header import link_button
from crm_app.i18n import t
from pages.lead_import.results import (
    preview_step,
    progress,
    recent_imports,
    result_step,
    running_step,
    step_actions,
)
from pages.lead_import.state import POLICY_KEYS, LeadImportState

I = LeadImportState  # noqa: E741

ACCEPT = {
    "text/csv": [".csv"],
    "text/plain": [".csv", ".txt", ".tsv"],
    "application/vnd.ms-excel": [".csv", ".xls"],
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": [".xlsx"],
}


def _steps() -> rx.Component:
    def step(n: int, key: str) -> rx.Component:
        return rx.hstack(
            rx.box(rx.text(str(n), size="1", weight="bold"),
                   background=rx.cond(I.step_index >= n, rx.color("accent", 9),
                                      rx.color("gray", 5)),
                   color=rx.cond(I.step_index >= n, "white", rx.color("gray", 11)),
                   border_radius="9999px", width="22px", height="22px", display="flex",
                   align_items="center", justify_content="center", flex_shrink="0"),
            rx.cond(I.step_index == n,
                    rx.text(t(key), size="2", weight="bold"),
                    rx.text(t(key), size="2", display=rx.breakpoints(initial="none",
                                                                      sm="inline"))),
            spacing="2", align="center",
        )

    chevron = rx.icon("chevron-right", size=14, color="gray")
    return rx.hstack(
        step(1, "import_ui.step.file"), chevron,
        step(2, "import_ui.step.columns"), chevron,
        step(3, "import_ui.step.preview"), chevron,
        step(4, "import_ui.step.result"),
        spacing="2", align="center", wrap="wrap", data_testid="import-steps",
    )


def _upload_step() -> rx.Component:
    return section(
        t("import_ui.upload_title"),
        rx.text(t("import_ui.upload_help"), size="2", color_scheme="gray"),
        rx.upload(
            rx.vstack(
                rx.icon("file-up", size=32, color=rx.color("accent", 9)),
                rx.text(t("import_ui.drop"), size="3", weight="medium", text_align="center"),
                rx.button(t("import_ui.choose"), variant="soft", type="button",
                          id="import-choose"),
                align="center", spacing="2",
            ),
            id="lead-import-upload",
            accept=ACCEPT,
            multiple=False,
            max_files=1,
            on_drop=I.upload,
            on_drop_rejected=lambda _files: rx.toast.error(t("import_ui.rejected_type")),
            border=f"2px dashed {rx.color('accent', 7)}",
            border_radius="var(--radius-4)",
            padding="var(--space-6)",
            width="100%",
            cursor="pointer",
            data_testid="import-dropzone",
        ),
        rx.cond(I.upload_error != "",
                rx.callout(I.upload_error, icon="triangle-alert", color_scheme="red",
                           width="100%", role="alert", id="import-upload-error")),
        progress(),
        test_id="import-upload",
    )


def _mapping_row(row: rx.Var) -> rx.Component:
    """One file column: its title and first value, and the field it goes to (side by side on
    a wide screen, one under the other on a phone)."""
    header = row["header"].to(str)
    return rx.grid(
        rx.vstack(
            rx.text(header, weight="medium", size="2"),
            rx.cond(row["sample"] != "", rx.text(row["sample"], size="1", color_scheme="gray",
                                                 word_break="break-all")),
            spacing="0", min_width="0",
        ),
        rx.vstack(
            choice(I.target_options, value=row["target"],
                   on_change=lambda v: I.set_target(header, v), id="map-" + header,
                   aria_label=t("import_ui.map_aria") + " " + header),
            rx.cond(row["warn"] != "", rx.text(row["warn"], size="1",
                                               color=rx.color("amber", 11))),
            spacing="1", width="100%", min_width="0",
        ),
        columns=rx.breakpoints(initial="1", sm="1fr 1fr"),
        spacing="2",
        align_items="center",
        width="100%",
        padding_y="var(--space-2)",
        border_top=f"1px solid {rx.color('gray', 4)}",
        data_testid="map-row-" + header,
    )


def _policy() -> rx.Component:
    return rx.vstack(
        rx.text(t("import_ui.policy"), size="2", weight="medium", id="policy-label"),
        rx.radio_group.root(
            rx.vstack(
                *[rx.el.label(rx.hstack(rx.radio_group.item(value=key, id=f"policy-{key}"),
                                        rx.vstack(rx.text(t(f"import_ui.policy.{key}"),
                                                          size="2", weight="medium"),
                                                  rx.text(t(f"import_ui.policy.{key}.help"),
                                                          size="1", color_scheme="gray"),
                                                  spacing="0"),
                                        spacing="2", align="start"),
                              html_for=f"policy-{key}")
                  for key in POLICY_KEYS],
                spacing="2",
            ),
            value=I.policy, on_change=I.set_policy, aria_labelledby="policy-label",
        ),
        spacing="2", width="100%",
    )


def _templates() -> rx.Component:
    save = form_dialog(
        field(t("import_ui.template_name"),
              rx.input(value=I.template_name, on_change=I.set_template_name,
                       id="template-name", width="100%"),
              html_for="template-name", required=True, error=I.template_error),
        title=t("import_ui.template_save"),
        open_=I.template_open, on_open_change=I.set_template_open,
        submit_label=t("common.save"), on_submit=I.save_template, test_id="template-save",
        trigger=rx.button(rx.icon("save", size=16), t("import_ui.template_save"),
                          variant="soft", id="template-save-open", width=PHONE_FULL),
        max_width="420px",
    )
    return rx.flex(
        choice(I.templates, value=I.template_id, on_change=I.load_template,
               id="template-select", aria_label=t("import_ui.template_pick"),
               placeholder=t("import_ui.template_pick"),
               width=rx.breakpoints(initial="100%", sm="260px")),
        save,
        rx.cond(I.template_id != "",
                rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red",
                               on_click=I.delete_template, aria_label=t("import_ui.template_del"),
                               id="template-delete")),
        spacing="2", wrap="wrap", align="center", width="100%",
    )


def _mapping_step() -> rx.Component:
    return rx.vstack(
        section(
            t("import_ui.mapping_title"),
            rx.text(I.filename, " · ", I.file_info, size="2", color_scheme="gray",
                    data_testid="import-file-info"),
            rx.text(t("import_ui.mapping_help"), size="2"),
            _templates(),
            rx.box(
                rx.grid(
                    rx.text(t("import_ui.col.column"), size="2", weight="bold"),
                    rx.text(t("import_ui.col.field"), size="2", weight="bold"),
                    columns="1fr 1fr", spacing="2", width="100%", padding_bottom="var(--space-2)",
                    display=rx.breakpoints(initial="none", sm="grid"),
                ),
                rx.foreach(I.mapping_rows, _mapping_row),
                width="100%", data_testid="import-mapping",
            ),
            test_id="import-mapping-card",
        ),
        section(t("import_ui.policy_title"), _policy(), test_id="import-policy"),
        rx.cond(I.mapping_error != "",
                rx.callout(I.mapping_error, icon="triangle-alert", color_scheme="red",
                           width="100%", role="alert", id="import-mapping-error")),
        progress(),
        step_actions(
            rx.button(t("import_ui.other_file"), variant="soft", color_scheme="gray",
                      on_click=I.restart, id="import-restart"),
            rx.button(rx.icon("eye", size=16), t("import_ui.preview"), on_click=I.preview,
                      loading=I.busy, disabled=I.busy, id="import-preview"),
        ),
        spacing="4", width="100%",
    )


def lead_import_page() -> rx.Component:
    return shell(
        rx.hstack(
            link_button(t("nav.leads"), "/leads", icon="arrow-left", id="import-leads-back",
                        variant="ghost"),
            rx.spacer(),
            _steps(),
            width="100%", align="center", wrap="wrap",
        ),
        rx.match(
            I.step,
            ("mapping", _mapping_step()),
            ("preview", preview_step()),
            ("running", running_step()),
            ("result", result_step()),
            _upload_step(),
        ),
        recent_imports(),
        title=t("import_ui.title"),
        active="/leads",
    )
