"""/ajustes/embudos: pick a pipeline, edit its stages in a grid (cards on phones), save."""

from __future__ import annotations

import reflex as rx

from components.dialogs import confirm, form_dialog
from components.forms import PHONE_FULL, choice, field, form_actions
from components.layout import shell
from crm_app.i18n import t
from pages.settings.common import back_to_settings
from pages.settings.pipelines_state import KINDS
from pages.settings.pipelines_state import PipelinesState as S

GRID = "72px minmax(0, 2fr) minmax(0, 1.2fr) 90px 110px minmax(0, 1.6fr) 40px"
HEADINGS = ("sui.pipes.order", "sui.pipes.stage_name", "sui.pipes.kind",
            "sui.pipes.probability", "sui.pipes.stale_days", "sui.pipes.required", "")
KIND_OPTIONS = [(k, t(f"sui.stage.kind.{k}")) for k in KINDS]


def _required_picker(st: rx.Var, i: rx.Var) -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(rx.button(
            rx.icon("list-checks", size=14),
            rx.cond(st["required"] != "", t("sui.pipes.required_some"),
                    t("sui.pipes.required_none")),
            size="1", variant="soft", color_scheme=rx.cond(st["required"] != "", "amber",
                                                            "gray"),
            id="stage-" + i.to_string() + "-required", width="100%")),
        rx.popover.content(rx.vstack(
            rx.text(t("sui.pipes.required_help"), size="1", color_scheme="gray"),
            rx.foreach(S.required_options, lambda o: rx.el.label(rx.hstack(
                rx.checkbox(checked=st["required"].to(str).split(",").contains(o["value"]),
                            on_change=lambda _v: S.toggle_required(i, o["value"])),
                rx.text(o["label"], size="2"), spacing="2", align="center"))),
            spacing="2"), max_width="280px"),
    )


def _move_buttons(i: rx.Var) -> rx.Component:
    return rx.hstack(
        rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="soft",
                       color_scheme="gray", disabled=i == 0, aria_label=t("sui.pipes.up"),
                       on_click=S.move(i, -1), id="stage-" + i.to_string() + "-up"),
        rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="soft",
                       color_scheme="gray", disabled=i == S.stages.length() - 1,
                       aria_label=t("sui.pipes.down"), on_click=S.move(i, 1),
                       id="stage-" + i.to_string() + "-down"),
        spacing="1", padding_top=rx.breakpoints(initial="0", lg="6px"),
        grid_column=rx.breakpoints(initial="1 / -1", lg="auto"))


def _remove(st: rx.Var, i: rx.Var) -> rx.Component:
    """A stage without opportunities can go (on save); one with them shows how many."""
    return rx.box(rx.cond(
        st["opportunities"] == "0",
        confirm(rx.icon_button(rx.icon("trash-2", size=14), variant="ghost",
                               color_scheme="red", aria_label=t("sui.pipes.remove"),
                               id="stage-" + i.to_string() + "-remove"),
                title=t("sui.pipes.remove"), description=t("sui.pipes.remove_q"),
                confirm_label=t("common.delete"), on_confirm=S.remove_stage(i),
                test_id="stage-remove"),
        rx.tooltip(rx.badge(st["opportunities"], variant="soft", radius="full"),
                   content=t("sui.pipes.in_use"))),
        padding_top=rx.breakpoints(initial="0", lg="6px"))


def _stage_row(st: rx.Var, i: rx.Var) -> rx.Component:
    prefix = "stages." + i.to_string() + "."

    def cell(text: str, control: rx.Component, name: str) -> rx.Component:
        """The control with its label on phones (the header row says it on desktop) and the
        service's error for ``stages.<i>.<name>`` under it."""
        error = S.errors.get(prefix + name, "")
        return rx.vstack(
            rx.mobile_and_tablet(rx.text(text, size="1", color_scheme="gray")),
            control,
            rx.cond(error != "", rx.text(error, size="1", color=rx.color("red", 11),
                                         role="alert")),
            spacing="1", width="100%", min_width="0")

    def text(name: str, label_key: str, html_id: str, **props: object) -> rx.Component:
        return cell(t(label_key), rx.input(
            value=st[name], on_change=lambda v: S.set_stage(i, name, v), width="100%",
            aria_label=t(label_key), id="stage-" + i.to_string() + "-" + html_id, **props),
            name)

    return rx.grid(
        _move_buttons(i),
        rx.box(text("name", "sui.pipes.stage_name", "name"),
               grid_column=rx.breakpoints(initial="1 / -1", lg="auto"), min_width="0"),
        cell(t("sui.pipes.kind"), choice(
            KIND_OPTIONS, value=st["kind"], on_change=lambda v: S.set_stage(i, "kind", v),
            id="stage-" + i.to_string() + "-kind", aria_label=t("sui.pipes.kind")), "kind"),
        text("probability", "sui.pipes.probability", "probability", input_mode="numeric",
             disabled=st["kind"] != "open"),
        text("stale_days", "sui.pipes.stale_days", "stale", input_mode="numeric",
             placeholder="—", disabled=st["kind"] != "open"),
        cell(t("sui.pipes.required"), _required_picker(st, i), "required_fields"),
        _remove(st, i),
        grid_template_columns=rx.breakpoints(initial="repeat(2, minmax(0, 1fr))", lg=GRID),
        spacing="2", width="100%", align_items="start", padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 4)}", data_testid="stage-row",
    )


def _new_dialog() -> rx.Component:
    return form_dialog(
        field(t("sui.pipes.name"), rx.input(value=S.new_name, on_change=S.set_new_name,
                                            id="pipeline-new-name", width="100%"),
              html_for="pipeline-new-name", required=True,
              error=S.new_errors.get("name", "")),
        title=t("sui.pipes.new"), description=t("sui.pipes.new_help"), open_=S.new_open,
        on_open_change=S.set_new_open, submit_label=t("sui.pipes.create"),
        on_submit=S.create, test_id="pipeline-create", max_width="440px",
        trigger=rx.button(rx.icon("plus", size=16), t("sui.pipes.new"), variant="soft",
                          id="pipeline-new", width=PHONE_FULL),
    )


def _picker() -> rx.Component:
    return rx.flex(
        rx.box(choice(S.pipelines, value=S.pipeline_id, on_change=S.select,
                      id="pipeline-pick", aria_label=t("sui.pipes.pick")),
               min_width="220px", width=PHONE_FULL),
        rx.cond(~S.is_default, rx.button(t("sui.pipes.make_default"), variant="ghost",
                                         on_click=S.make_default,
                                         id="pipeline-make-default")),
        rx.spacer(display=rx.breakpoints(initial="none", sm="block")),
        _new_dialog(),
        spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row"),
        align=rx.breakpoints(initial="stretch", sm="center"))


def _editor() -> rx.Component:
    header = rx.desktop_only(rx.grid(
        *[rx.text(t(k) if k else "", size="1", color_scheme="gray", weight="medium")
          for k in HEADINGS],
        grid_template_columns=GRID, spacing="2", width="100%"), width="100%")
    return rx.card(rx.vstack(
        field(t("sui.pipes.name"), rx.input(value=S.name, on_change=S.set_name,
                                            id="pipeline-name", width="100%",
                                            max_width="420px"),
              html_for="pipeline-name", required=True, error=S.errors.get("name", "")),
        rx.heading(t("sui.pipes.stages"), size="3", margin_top="var(--space-2)"),
        header,
        rx.foreach(S.stages, _stage_row),
        rx.cond(S.errors.get("stages", "") != "",
                rx.callout(S.errors.get("stages", ""), icon="triangle-alert",
                           color_scheme="red", size="1", width="100%", role="alert",
                           data_testid="stages-error")),
        rx.button(rx.icon("plus", size=14), t("sui.pipes.add_stage"), variant="soft",
                  size="2", on_click=S.add_stage, id="stage-add"),
        rx.text(t("sui.pipes.rules"), size="1", color_scheme="gray"),
        form_actions(
            rx.button(rx.icon("check", size=16), t("common.save"), on_click=S.save,
                      loading=S.saving, disabled=~S.dirty, width=PHONE_FULL,
                      id="pipeline-save"),
            rx.button(t("sui.pipes.discard"), variant="soft", color_scheme="gray",
                      on_click=S.discard, disabled=~S.dirty, width=PHONE_FULL,
                      id="pipeline-discard"),
        ),
        spacing="3", width="100%"), width="100%", data_testid="pipeline-editor")


def pipelines_page() -> rx.Component:
    return shell(
        back_to_settings(),
        rx.text(t("sui.pipes.intro"), size="2", color_scheme="gray"),
        _picker(),
        _editor(),
        title=t("sui.pipes.title"),
        active="/ajustes",
    )


__all__ = ["pipelines_page"]
