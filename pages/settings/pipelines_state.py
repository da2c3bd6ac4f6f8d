"""/ajustes/embudos (admin): the sales pipelines and their stages.

The stages are edited on screen and saved together (``update_pipeline`` validates the whole
set: one open, one won and one lost stage, unique names, probabilities…), so a half-edited
pipeline never reaches the database; its field errors land under each stage's cell.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import pipelines as pipeline_service
from crm_app.services.links import as_id
from crm_app.state import AppState, Ctx, handler, setter

STAGE_FIELDS = ("name", "probability", "kind", "stale_days")
KINDS = ("open", "won", "lost")


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

    def _load(self, ctx: Ctx) -> None:
        pipelines = pipeline_service.list_pipelines(session=ctx.session, actor=ctx.user,
                                                    include_inactive=True)
        self.pipelines = [{"value": str(p.id), "label": p.name + (
            f" ({t('sui.pipes.default')})" if p.is_default else "")} for p in pipelines]
        if self.pipeline_id not in {p["value"] for p in self.pipelines}:
            default = next((p for p in pipelines if p.is_default), pipelines[0])
            self.pipeline_id = str(default.id)
        view = pipeline_service.pipeline_view(session=ctx.session, actor=ctx.user,
                                              pipeline_id=int(self.pipeline_id))
        self.name = view["name"]
        self.is_default = bool(view["is_default"])
        self.stages = [{
            "id": str(st["id"]), "name": st["name"], "probability": str(st["probability"]),
            "kind": str(st["kind"]), "required": ",".join(st["required_fields"] or []),
            "stale_days": "" if st["stale_days"] is None else str(st["stale_days"]),
            "opportunities": str(st["opportunities"]),
        } for st in view["stages"]]
        self.required_options = [
            {"value": spec["key"], "label": spec["label"]}
            for spec in pipeline_service.requirable_specs(ctx.session).values()]
        self.errors = {}
        self.dirty = False

    @handler(Perm.SETTINGS_CHANGE, guarded=True)
    def load(self, ctx: Ctx) -> None:
        """on_load after ``check_admin``: the default pipeline (or the one picked before)."""
        self._load(ctx)

    @handler(Perm.SETTINGS_CHANGE)
    def select(self, ctx: Ctx, value: str) -> None:
        self.pipeline_id = str(as_id(value) or "")
        self._load(ctx)

    @handler(Perm.SETTINGS_CHANGE)
    def discard(self, ctx: Ctx) -> None:
        self._load(ctx)

    # --- editing on screen (nothing is written until Guardar) -----------------------------

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

    # --- writes ------------------------------------------------------------------------------

    @handler(Perm.SETTINGS_CHANGE, errors="errors")
    def save(self, ctx: Ctx) -> Any:
        stages = [{
            "id": as_id(st["id"]), "name": st["name"], "probability": st["probability"],
            "kind": st["kind"], "stale_days": st["stale_days"],
            "required_fields": [k for k in st["required"].split(",") if k],
        } for st in self.stages]
        with self._busy("saving"):
            yield
            pipeline_service.update_pipeline(
                session=ctx.session, actor=ctx.user, pipeline_id=as_id(self.pipeline_id) or 0,
                data={"name": self.name, "stages": stages})
        self._load(ctx)
        yield rx.toast.success(t("sui.pipes.saved"))

    @handler(Perm.SETTINGS_CHANGE)
    def make_default(self, ctx: Ctx) -> Any:
        pipeline_service.update_pipeline(session=ctx.session, actor=ctx.user,
                                         pipeline_id=as_id(self.pipeline_id) or 0,
                                         data={"is_default": True})
        self._load(ctx)
        return rx.toast.success(t("sui.pipes.default_done"))

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = value
        self.new_name, self.new_errors = "", {}

    set_new_name = setter("new_name")

    @handler(Perm.SETTINGS_CHANGE, errors="new_errors")
    def create(self, ctx: Ctx) -> Any:
        pipeline = pipeline_service.create_pipeline(session=ctx.session, actor=ctx.user,
                                                    name=self.new_name)
        self.pipeline_id = str(pipeline.id)
        self._load(ctx)
        self.new_open = False
        return rx.toast.success(t("sui.pipes.created"))


__all__ = ["KINDS", "PipelinesState"]
