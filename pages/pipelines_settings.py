"""/ajustes/embudos (admin): the sales pipelines and their stages.

The stages are edited on screen and saved together (``update_pipeline`` validates the whole
set: one open, one won and one lost stage, unique names, probabilities…), so a half-edited
pipeline never reaches the database.
"""

from __future__ import annotations

from typing import Any

import reflex as rx
from sqlmodel import Session

from components.layout import shell
from components.sales_ui import (
    PHONE_FULL,
    choice,
    confirm,
    form_actions,
    form_field,
)
from crm_app.i18n import t
from crm_app.models import User
from crm_app.permissions import Perm
from crm_app.services import pipelines as pipeline_service
from crm_app.services.errors import ValidationFailed
from crm_app.state import AppState
from pages.sales_shared import REQUIRED_FIELD_KEYS, failure, to_id, user_session

STAGE_FIELDS = ("name", "probability", "kind", "stale_days")
KINDS = ("open", "won", "lost")
GRID = "72px minmax(0, 2fr) minmax(0, 1.2fr) 90px 110px minmax(0, 1.6fr) 40px"


class PipelinesState(AppState):
    pipelines: list[dict[str, str]] = []
    pipeline_id: str = ""
    name: str = ""
    is_default: bool = False
    stages: list[dict[str, str]] = []
    required_options: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    dirty: bool = False
    saving: bool = False
    new_open: bool = False
    new_name: str = ""
    new_errors: dict[str, str] = {}

    def _load(self, session: Session, user: User) -> None:
        pipelines = pipeline_service.list_pipelines(session=session, actor=user,
                                                    include_inactive=True)
        self.pipelines = [{"value": str(p.id), "label": p.name + (
            f" ({t('sui.pipes.default')})" if p.is_default else "")} for p in pipelines]
        if self.pipeline_id not in {p["value"] for p in self.pipelines}:
            default = next((p for p in pipelines if p.is_default), pipelines[0])
            self.pipeline_id = str(default.id)
        view = pipeline_service.pipeline_view(session=session, actor=user,
                                              pipeline_id=int(self.pipeline_id))
        self.name = view["name"]
        self.is_default = bool(view["is_default"])
        self.stages = [{
            "id": str(st["id"]), "name": st["name"], "probability": str(st["probability"]),
            "kind": str(st["kind"]), "required": ",".join(st["required_fields"] or []),
            "stale_days": "" if st["stale_days"] is None else str(st["stale_days"]),
            "opportunities": str(st["opportunities"]),
        } for st in view["stages"]]
        custom = pipeline_service.custom_requirable(session)
        self.required_options = [{"value": k, "label": t(f"sui.required.{k}")}
                                 for k in REQUIRED_FIELD_KEYS] + [
            {"value": k, "label": v} for k, v in custom.items()]
        self.errors = {}
        self.dirty = False

    def _refresh(self) -> Any:
        try:
            with user_session(self, Perm.SETTINGS_CHANGE) as (session, user):
                self._load(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return None

    @rx.event
    def load(self) -> Any:
        return self._refresh()

    @rx.event
    def select(self, value: str) -> Any:
        self.pipeline_id = value
        return self._refresh()

    @rx.event
    def set_name(self, value: str) -> None:
        self.name, self.dirty = value, True

    @rx.event
    def set_stage(self, index: int, field: str, value: str) -> None:
        if field not in STAGE_FIELDS or not 0 <= index < len(self.stages):
            return
        stages = [dict(st) for st in self.stages]
        stages[index][field] = str(value)[:80]
        if field == "kind":
            stages[index]["probability"] = {"won": "100", "lost": "0"}.get(
                str(value), stages[index]["probability"])
        self.stages = stages
        self.dirty = True

    @rx.event
    def toggle_required(self, index: int, key: str) -> None:
        if not 0 <= index < len(self.stages) or key not in {
                o["value"] for o in self.required_options}:
            return
        stages = [dict(st) for st in self.stages]
        current = [k for k in stages[index]["required"].split(",") if k]
        current = [k for k in current if k != key] if key in current else [*current, key]
        stages[index]["required"] = ",".join(current)
        self.stages = stages
        self.dirty = True

    @rx.event
    def move(self, index: int, delta: int) -> None:
        target = index + delta
        if not (0 <= index < len(self.stages) and 0 <= target < len(self.stages)):
            return
        stages = list(self.stages)
        stages[index], stages[target] = stages[target], stages[index]
        self.stages = stages
        self.errors = {}
        self.dirty = True

    @rx.event
    def add_stage(self) -> None:
        self.stages = [*self.stages, {"id": "", "name": "", "probability": "50", "kind": "open",
                                      "required": "", "stale_days": "", "opportunities": "0"}]
        self.dirty = True

    @rx.event
    def remove_stage(self, index: int) -> None:
        if 0 <= index < len(self.stages):
            self.stages = [st for i, st in enumerate(self.stages) if i != index]
            self.errors = {}
            self.dirty = True

    @rx.event
    def discard(self) -> Any:
        return self._refresh()

    @rx.event
    def save(self):  # noqa: ANN201
        stages = [{
            "id": to_id(st["id"]), "name": st["name"], "probability": st["probability"],
            "kind": st["kind"], "stale_days": st["stale_days"],
            "required_fields": [k for k in st["required"].split(",") if k],
        } for st in self.stages]
        self.saving = True
        yield
        try:
            with user_session(self, Perm.SETTINGS_CHANGE) as (session, user):
                pipeline_service.update_pipeline(
                    session=session, actor=user, pipeline_id=int(self.pipeline_id),
                    data={"name": self.name, "stages": stages})
                self._load(session, user)
        except ValidationFailed as exc:
            self.saving = False
            self.errors = dict(exc.errors)
            yield failure(exc)
            return
        except Exception as exc:  # noqa: BLE001
            self.saving = False
            yield failure(exc)
            return
        self.saving = False
        yield rx.toast.success(t("sui.pipes.saved"))

    @rx.event
    def make_default(self) -> Any:
        try:
            with user_session(self, Perm.SETTINGS_CHANGE) as (session, user):
                pipeline_service.update_pipeline(session=session, actor=user,
                                                 pipeline_id=int(self.pipeline_id),
                                                 data={"is_default": True})
                self._load(session, user)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        return rx.toast.success(t("sui.pipes.default_done"))

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = value
        self.new_name, self.new_errors = "", {}

    @rx.event
    def set_new_name(self, value: str) -> None:
        self.new_name = value

    @rx.event
    def create(self) -> Any:
        try:
            with user_session(self, Perm.SETTINGS_CHANGE) as (session, user):
                pipeline = pipeline_service.create_pipeline(session=session, actor=user,
                                                            name=self.new_name)
                self.pipeline_id = str(pipeline.id)
                self._load(session, user)
        except ValidationFailed as exc:
            self.new_errors = dict(exc.errors)
            return failure(exc)
        except Exception as exc:  # noqa: BLE001
            return failure(exc)
        self.new_open = False
        return rx.toast.success(t("sui.pipes.created"))


def _required_picker(st: rx.Var, i: rx.Var) -> rx.Component:
    s = PipelinesState
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
            rx.foreach(s.required_options, lambda o: rx.el.label(rx.hstack(
                rx.checkbox(checked=st["required"].to(str).split(",").contains(o["value"]),
                            on_change=lambda _v: s.toggle_required(i, o["value"])),
                rx.text(o["label"], size="2"), spacing="2", align="center"))),
            spacing="2"), max_width="280px"),
    )


def _stage_row(st: rx.Var, i: rx.Var) -> rx.Component:
    s = PipelinesState
    e = s.errors
    p = "stages." + i.to_string() + "."

    def cell(text: str, control: rx.Component, field: str) -> rx.Component:
        return rx.vstack(
            rx.mobile_and_tablet(rx.text(text, size="1", color_scheme="gray")),
            control,
            rx.cond(e[p + field], rx.text(e[p + field], size="1", color_scheme="red",
                                          role="alert")),
            spacing="1", width="100%", min_width="0")

    return rx.grid(
        rx.hstack(
            rx.icon_button(rx.icon("arrow-up", size=14), size="1", variant="soft",
                           color_scheme="gray", disabled=i == 0,
                           aria_label=t("sui.pipes.up"), on_click=s.move(i, -1),
                           id="stage-" + i.to_string() + "-up"),
            rx.icon_button(rx.icon("arrow-down", size=14), size="1", variant="soft",
                           color_scheme="gray", disabled=i == s.stages.length() - 1,
                           aria_label=t("sui.pipes.down"), on_click=s.move(i, 1),
                           id="stage-" + i.to_string() + "-down"),
            spacing="1", padding_top=rx.breakpoints(initial="0", lg="6px"),
            grid_column=rx.breakpoints(initial="1 / -1", lg="auto")),
        rx.box(cell(t("sui.pipes.stage_name"), rx.input(
            value=st["name"], on_change=lambda v: s.set_stage(i, "name", v), width="100%",
            aria_label=t("sui.pipes.stage_name"), id="stage-" + i.to_string() + "-name"),
            "name"), grid_column=rx.breakpoints(initial="1 / -1", lg="auto"), min_width="0"),
        cell(t("sui.pipes.kind"), rx.select.root(
            rx.select.trigger(width="100%", aria_label=t("sui.pipes.kind"),
                              id="stage-" + i.to_string() + "-kind"),
            rx.select.content(*[rx.select.item(t(f"sui.stage.kind.{k}"), value=k)
                                for k in KINDS]),
            value=st["kind"], on_change=lambda v: s.set_stage(i, "kind", v)), "kind"),
        cell(t("sui.pipes.probability"), rx.input(
            value=st["probability"], on_change=lambda v: s.set_stage(i, "probability", v),
            input_mode="numeric", width="100%", aria_label=t("sui.pipes.probability"),
            disabled=st["kind"] != "open", id="stage-" + i.to_string() + "-probability"),
            "probability"),
        cell(t("sui.pipes.stale_days"), rx.input(
            value=st["stale_days"], on_change=lambda v: s.set_stage(i, "stale_days", v),
            input_mode="numeric", width="100%", placeholder="—",
            aria_label=t("sui.pipes.stale_days"), disabled=st["kind"] != "open",
            id="stage-" + i.to_string() + "-stale"), "stale_days"),
        cell(t("sui.pipes.required"), _required_picker(st, i), "required_fields"),
        rx.box(rx.cond(
            st["opportunities"] == "0",
            confirm(rx.icon_button(rx.icon("trash-2", size=14), variant="ghost",
                                   color_scheme="red", aria_label=t("sui.pipes.remove"),
                                   id="stage-" + i.to_string() + "-remove"),
                    title=t("sui.pipes.remove"), description=t("sui.pipes.remove_q"),
                    confirm_label=t("common.delete"), on_confirm=s.remove_stage(i),
                    test_id="stage-remove"),
            rx.tooltip(rx.badge(st["opportunities"], variant="soft", radius="full"),
                       content=t("sui.pipes.in_use"))),
            padding_top=rx.breakpoints(initial="0", lg="6px")),
        grid_template_columns=rx.breakpoints(initial="repeat(2, minmax(0, 1fr))", lg=GRID),
        spacing="2", width="100%", align_items="start", padding_y="var(--space-2)",
        border_bottom=f"1px solid {rx.color('gray', 4)}", data_testid="stage-row",
    )


def pipelines_page() -> rx.Component:
    s = PipelinesState
    header = rx.desktop_only(rx.grid(
        *[rx.text(t(k) if k else "", size="1", color_scheme="gray", weight="medium")
          for k in ("sui.pipes.order", "sui.pipes.stage_name", "sui.pipes.kind",
                    "sui.pipes.probability", "sui.pipes.stale_days", "sui.pipes.required", "")],
        grid_template_columns=GRID, spacing="2", width="100%"), width="100%")
    new_dialog = rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("plus", size=16), t("sui.pipes.new"),
                                    variant="soft", id="pipeline-new", width=PHONE_FULL)),
        rx.dialog.content(
            rx.dialog.title(t("sui.pipes.new")),
            rx.dialog.description(t("sui.pipes.new_help"), size="2",
                                  margin_bottom="var(--space-3)"),
            form_field(t("sui.pipes.name"), rx.input(value=s.new_name,
                                                     on_change=s.set_new_name,
                                                     id="pipeline-new-name", width="100%"),
                       html_for="pipeline-new-name", required=True,
                       error=s.new_errors["name"]),
            form_actions(rx.button(t("sui.pipes.create"), on_click=s.create,
                                   id="pipeline-create", width=PHONE_FULL),
                         rx.dialog.close(rx.button(t("common.cancel"), variant="soft",
                                                   color_scheme="gray", width=PHONE_FULL))),
            max_width="440px"),
        open=s.new_open, on_open_change=s.set_new_open)
    return shell(
        rx.link(rx.hstack(rx.icon("arrow-left", size=14), t("sui.pipes.back"), align="center",
                          spacing="1"), href="/ajustes", size="2"),
        rx.text(t("sui.pipes.intro"), size="2", color_scheme="gray"),
        rx.flex(
            rx.box(choice(s.pipelines, value=s.pipeline_id, on_change=s.select,
                          id="pipeline-pick", aria_label=t("sui.pipes.pick")),
                   min_width="220px", width=PHONE_FULL),
            rx.cond(~s.is_default, rx.button(t("sui.pipes.make_default"), variant="ghost",
                                             on_click=s.make_default,
                                             id="pipeline-make-default")),
            rx.spacer(display=rx.breakpoints(initial="none", sm="block")),
            new_dialog,
            spacing="2", width="100%", direction=rx.breakpoints(initial="column", sm="row"),
            align=rx.breakpoints(initial="stretch", sm="center")),
        rx.card(rx.vstack(
            form_field(t("sui.pipes.name"), rx.input(value=s.name, on_change=s.set_name,
                                                     id="pipeline-name", width="100%",
                                                     max_width="420px"),
                       html_for="pipeline-name", required=True, error=s.errors["name"]),
            rx.heading(t("sui.pipes.stages"), size="3", margin_top="var(--space-2)"),
            header,
            rx.foreach(s.stages, _stage_row),
            rx.cond(s.errors["stages"], rx.callout(s.errors["stages"], icon="triangle-alert",
                                                   color_scheme="red", size="1",
                                                   width="100%")),
            rx.button(rx.icon("plus", size=14), t("sui.pipes.add_stage"), variant="soft",
                      size="2", on_click=s.add_stage, id="stage-add"),
            rx.text(t("sui.pipes.rules"), size="1", color_scheme="gray"),
            form_actions(
                rx.button(rx.icon("check", size=16), t("common.save"), on_click=s.save,
                          loading=s.saving, disabled=~s.dirty, width=PHONE_FULL,
                          id="pipeline-save"),
                rx.button(t("sui.pipes.discard"), variant="soft", color_scheme="gray",
                          on_click=s.discard, disabled=~s.dirty, width=PHONE_FULL,
                          id="pipeline-discard"),
            ),
            spacing="3", width="100%"), width="100%", data_testid="pipeline-editor"),
        title=t("sui.pipes.title"),
        active="/ajustes",
    )

