"""Pipelines (embudos) and their stages, configured in Ajustes by an admin.

A pipeline's stages are validated as a set on every change: at least one open, one won and
one lost stage; unique names; probabilities 0–100 (won = 100, lost = 0); known required
fields; ``stale_days`` blank or 1–365. A stage that still holds opportunities cannot be
deleted (move them first), so the stage history never points at nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from crm_app.i18n import t
from crm_app.models import CustomFieldDef, Opportunity, Pipeline, Stage, StageKind
from crm_app.permissions import Perm, has_perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor
from crm_app.services.defaults import DEFAULT_STAGES, ensure_default_pipeline, pipeline_stages
from crm_app.services.errors import Conflict, PermissionDenied, ValidationFailed
from crm_app.services.links import as_id
from crm_app.services.records import add_record, get_existing
from crm_app.services.sales_common import unknown_fields

# Opportunity fields a stage may require on entry, with the label used in error messages.
REQUIRABLE_FIELDS: dict[str, str] = {
    "lost_reason": "el motivo de pérdida",
    "amount": "el importe",
    "expected_close": "la fecha prevista de cierre",
    "contact_id": "el contacto",
    "product_id": "el producto",
    "description": "la descripción",
    "channel": "el canal",
}
# Their order in the pickers; each has its label ``sui.required.<key>`` in the catalog.
REQUIRED_FIELD_KEYS: tuple[str, ...] = tuple(REQUIRABLE_FIELDS)
KIND_LABELS = {StageKind.OPEN: "Abierta", StageKind.WON: "Ganada", StageKind.LOST: "Perdida"}
STAGE_FIELDS = ("id", "name", "position", "probability", "kind", "required_fields", "stale_days")


def _admin(actor: Actor) -> None:
    require(actor, Perm.SETTINGS_CHANGE)


def _reader(actor: Actor) -> None:
    if not has_perm(actor, Perm.RECORDS_VIEW):
        raise PermissionDenied()


def custom_requirable(session: Session) -> dict[str, str]:
    rows = session.exec(select(CustomFieldDef).where(CustomFieldDef.entity == "opportunity",
                                                     CustomFieldDef.active == True)  # noqa: E712
                        ).all()
    return {f"custom.{r.key}": r.label for r in rows}


# The input a required field asks for when a stage move needs it (the move dialog).
REQUIRED_KINDS: dict[str, str] = {
    "lost_reason": "reason", "amount": "number", "expected_close": "date",
    "contact_id": "contact", "product_id": "product", "description": "textarea",
    "channel": "channel",
}
_CUSTOM_KINDS = {"number": "number", "date": "date"}


def requirable_specs(session: Session) -> dict[str, dict[str, str]]:
    """Every field a stage may require, as ``{key, label, kind}`` labelled like the forms
    label it ("Motivo de pérdida", a custom field's own label): what the kanban says a column
    asks for and what the move dialog asks."""
    specs = {key: {"key": key, "label": t(f"sui.required.{key}"), "kind": kind}
             for key, kind in REQUIRED_KINDS.items()}
    rows = session.exec(select(CustomFieldDef).where(
        CustomFieldDef.entity == "opportunity", CustomFieldDef.active == True)).all()  # noqa: E712
    for row in rows:
        key = f"custom.{row.key}"
        specs[key] = {"key": key, "label": row.label, "kind": _CUSTOM_KINDS.get(row.type, "text")}
    return specs


def _validate_stages(session: Session, specs: list[dict[str, Any]]) -> dict[str, str]:
    """Validate and normalise the whole list of stages in place; return field errors."""
    errors: dict[str, str] = {}
    allowed = {**REQUIRABLE_FIELDS, **custom_requirable(session)}
    names: set[str] = set()
    for i, spec in enumerate(specs):
        p = f"stages.{i}."
        name = str(spec.get("name") or "").strip()
        if not name:
            errors[p + "name"] = "El nombre de la etapa es obligatorio."
        elif len(name) > 80:
            errors[p + "name"] = "El nombre admite como mucho 80 caracteres."
        elif name.lower() in names:
            errors[p + "name"] = f"Hay dos etapas llamadas «{name}»."
        names.add(name.lower())
        spec["name"] = name
        kind = str(spec.get("kind") or StageKind.OPEN).strip().lower()
        if kind not in set(StageKind):
            errors[p + "kind"] = "Tipo no válido: abierta (open), ganada (won) o perdida (lost)."
        spec["kind"] = kind
        default_prob = {StageKind.WON: 100, StageKind.LOST: 0}.get(kind, 0)
        raw = spec.get("probability")
        try:
            prob = default_prob if raw in (None, "") else int(str(raw).strip().rstrip("%"))
        except ValueError:
            errors[p + "probability"] = "La probabilidad debe ser un número entero."
            prob = default_prob
        if not 0 <= prob <= 100:
            errors[p + "probability"] = "La probabilidad va de 0 a 100."
        elif kind == StageKind.WON and prob != 100:
            errors[p + "probability"] = "Una etapa ganada tiene probabilidad 100 %."
        elif kind == StageKind.LOST and prob != 0:
            errors[p + "probability"] = "Una etapa perdida tiene probabilidad 0 %."
        spec["probability"] = prob
        required = spec.get("required_fields") or []
        if isinstance(required, str):
            required = [r.strip() for r in required.split(",") if r.strip()]
        unknown = [r for r in required if r not in allowed]
        if unknown:
            errors[p + "required_fields"] = "Campo desconocido: " + ", ".join(unknown) + "."
        spec["required_fields"] = list(dict.fromkeys(required))
        stale = spec.get("stale_days")
        if stale in (None, ""):
            spec["stale_days"] = None
        else:
            try:
                stale = int(stale)
            except (TypeError, ValueError):
                stale = 0
            if not 1 <= stale <= 365:
                errors[p + "stale_days"] = "Los días sin actividad van de 1 a 365 (o en blanco)."
            spec["stale_days"] = stale
        spec["position"] = i
    kinds = {s["kind"] for s in specs}
    if not specs:
        errors["stages"] = "El embudo necesita etapas."
    elif StageKind.OPEN not in kinds:
        errors["stages"] = "Hace falta al menos una etapa abierta."
    elif StageKind.WON not in kinds:
        errors["stages"] = "Hace falta al menos una etapa ganada."
    elif StageKind.LOST not in kinds:
        errors["stages"] = "Hace falta al menos una etapa perdida o cancelada."
    return errors


def _validate_name(session: Session, name: Any, current: Pipeline | None,
                   errors: dict[str, str]) -> str:
    name = str(name or "").strip()
    if not name:
        errors["name"] = "El nombre es obligatorio."
    elif len(name) > 120:
        errors["name"] = "El nombre admite como mucho 120 caracteres."
    else:
        clash = select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower())
        if current is not None:
            clash = clash.where(Pipeline.id != current.id)
        if session.exec(clash).first() is not None:
            errors["name"] = "Ya hay un embudo con ese nombre."
    return name


def _stage_snapshot(stage: Stage) -> dict[str, Any]:
    return {k: getattr(stage, k) for k in STAGE_FIELDS}


def _apply_stages(session: Session, actor: Actor, pipeline: Pipeline,
                  specs: list[dict[str, Any]]) -> None:
    """Create, update and delete stages so the pipeline matches ``specs`` (validated)."""
    existing = {s.id: s for s in pipeline_stages(session=session, pipeline_id=pipeline.id)}
    keep: set[int] = set()
    for spec in specs:
        sid = spec.get("id")
        if sid:
            stage = existing.get(int(sid))
            if stage is None:
                raise ValidationFailed({"stages": f"La etapa {sid} no es de este embudo."})
            keep.add(stage.id)
            before = _stage_snapshot(stage)
            for key in ("name", "position", "probability", "kind", "required_fields",
                        "stale_days"):
                setattr(stage, key, spec[key])
            session.add(stage)
            old, new = audit.diff(before, _stage_snapshot(stage))
            if new:
                audit.record(session=session, actor=actor, entity="stage", entity_id=stage.id,
                             action="update", before=old, after=new)
        else:
            stage = Stage(pipeline_id=pipeline.id, name=spec["name"], position=spec["position"],
                          probability=spec["probability"], kind=spec["kind"],
                          required_fields=spec["required_fields"], stale_days=spec["stale_days"])
            add_record(session=session, actor=actor, record=stage, entity="stage",
                       snapshot=_stage_snapshot, commit=False)
    for sid, stage in existing.items():
        if sid in keep:
            continue
        used = session.exec(select(func.count()).select_from(Opportunity)
                            .where(Opportunity.stage_id == sid)).one()
        if used:
            raise Conflict(f"La etapa «{stage.name}» tiene {used} oportunidades: muévelas a "
                           "otra etapa antes de eliminarla.")
        audit.record(session=session, actor=actor, entity="stage", entity_id=sid,
                     action="delete", before=_stage_snapshot(stage))
        session.delete(stage)
    session.flush()


def _make_default(session: Session, pipeline: Pipeline) -> None:
    for other in session.exec(select(Pipeline).where(Pipeline.is_default == True,  # noqa: E712
                                                     Pipeline.id != pipeline.id)).all():
        other.is_default = False
        session.add(other)
    pipeline.is_default = True
    pipeline.active = True


# --- reads ------------------------------------------------------------------------------------


@needs_actor
def list_pipelines(*, session: Session, actor: Actor,
                   include_inactive: bool = False) -> list[Pipeline]:
    """All pipelines in their order (the default one is created on first use)."""
    _reader(actor)
    if session.exec(select(Pipeline.id)).first() is None:
        ensure_default_pipeline(session=session)
        session.commit()
    stmt = select(Pipeline).order_by(Pipeline.position, Pipeline.id)
    if not include_inactive:
        stmt = stmt.where(Pipeline.active == True)  # noqa: E712
    return list(session.exec(stmt).all())


@needs_actor
def get_pipeline(*, session: Session, actor: Actor, pipeline_id: int) -> Pipeline:
    _reader(actor)
    return get_existing(session=session, model=Pipeline, record_id=pipeline_id,
                        missing="Embudo no encontrado.")


def default_pipeline(*, session: Session) -> Pipeline:
    return ensure_default_pipeline(session=session)


def stages_of(*, session: Session, pipeline_id: int) -> list[Stage]:
    return pipeline_stages(session=session, pipeline_id=pipeline_id)


@needs_actor
def open_stages(*, session: Session, actor: Actor, pipeline_id: int | str) -> list[Stage]:
    """The stages a new opportunity of the form may start in (the open ones, in order);
    a pipeline that does not exist is not found."""
    pipeline = get_pipeline(session=session, actor=actor, pipeline_id=as_id(pipeline_id) or 0)
    return [s for s in pipeline_stages(session=session, pipeline_id=pipeline.id)
            if s.kind == StageKind.OPEN]


@needs_actor
def pipeline_view(*, session: Session, actor: Actor, pipeline_id: int) -> dict[str, Any]:
    """The pipeline and its stages as plain dicts (Ajustes, API)."""
    pipeline = get_pipeline(session=session, actor=actor, pipeline_id=pipeline_id)
    return pipeline_dict(session, pipeline)


def pipeline_dict(session: Session, pipeline: Pipeline) -> dict[str, Any]:
    stages = pipeline_stages(session=session, pipeline_id=pipeline.id)
    counts = dict(session.exec(
        select(Opportunity.stage_id, func.count()).where(
            Opportunity.pipeline_id == pipeline.id, Opportunity.deleted_at.is_(None))
        .group_by(Opportunity.stage_id)).all())
    return {
        "id": pipeline.id, "name": pipeline.name, "is_default": pipeline.is_default,
        "position": pipeline.position, "active": pipeline.active,
        "stages": [{**_stage_snapshot(s), "kind_label": KIND_LABELS.get(s.kind, s.kind),
                    "opportunities": int(counts.get(s.id, 0))} for s in stages],
    }


# --- commands (admin) -------------------------------------------------------------------------


@needs_actor
def create_pipeline(*, session: Session, actor: Actor, name: str,
                    stages: Sequence[Mapping[str, Any]] | None = None, is_default: bool = False,
                    position: int | None = None) -> Pipeline:
    """A new pipeline; without ``stages`` it gets a copy of the default Spanish stages."""
    _admin(actor)
    errors: dict[str, str] = {}
    name = _validate_name(session, name, None, errors)
    if stages is None:
        specs = [{"name": s.name, "kind": str(s.kind), "probability": s.probability,
                  "stale_days": s.stale_days, "required_fields": list(s.required_fields)}
                 for s in DEFAULT_STAGES]
    else:
        specs = [{k: v for k, v in dict(s).items() if k != "id"} for s in stages]
    errors.update(_validate_stages(session, specs))
    if errors:
        raise ValidationFailed(errors)
    if position is None:
        position = (session.exec(select(func.max(Pipeline.position))).one() or 0) + 1
    pipeline = Pipeline(name=name, is_default=False, position=position)
    session.add(pipeline)
    session.flush()
    if is_default or session.exec(select(Pipeline.id).where(
            Pipeline.is_default == True)).first() is None:  # noqa: E712
        _make_default(session, pipeline)
    _apply_stages(session, actor, pipeline, specs)
    audit.record(session=session, actor=actor, entity="pipeline", entity_id=pipeline.id,
                 action="create", after={"name": name, "stages": [s["name"] for s in specs]})
    session.commit()
    return pipeline


@needs_actor
def update_pipeline(*, session: Session, actor: Actor, pipeline_id: int,
                    data: Mapping[str, Any]) -> Pipeline:
    """Change ``name``, ``is_default``, ``active``, ``position`` and/or the whole ``stages``
    list (each stage a dict; with ``id`` to keep an existing one, without to add one; stages
    left out are deleted if they hold no opportunities)."""
    _admin(actor)
    pipeline = get_existing(session=session, model=Pipeline, record_id=pipeline_id,
                            missing="Embudo no encontrado.")
    errors = unknown_fields(data=data,
                            allowed=("name", "is_default", "active", "position", "stages"))
    before = {"name": pipeline.name, "is_default": pipeline.is_default,
              "active": pipeline.active, "position": pipeline.position}
    if "name" in data:
        pipeline.name = _validate_name(session, data["name"], pipeline, errors)
    if "is_default" in data:
        if data["is_default"]:
            _make_default(session, pipeline)
        elif pipeline.is_default:
            errors["is_default"] = "Marca otro embudo como predeterminado en su lugar."
    if "active" in data:
        if not data["active"] and pipeline.is_default:
            errors["active"] = "El embudo predeterminado no se puede desactivar."
        pipeline.active = bool(data["active"])
    if "position" in data:
        try:
            pipeline.position = int(data["position"])
        except (TypeError, ValueError):
            errors["position"] = "La posición debe ser un número entero."
    specs = None
    if "stages" in data:
        specs = [dict(s) for s in (data["stages"] or [])]
        errors.update(_validate_stages(session, specs))
    if errors:
        session.rollback()
        raise ValidationFailed(errors)
    session.add(pipeline)
    if specs is not None:
        _apply_stages(session, actor, pipeline, specs)
    after = {"name": pipeline.name, "is_default": pipeline.is_default,
             "active": pipeline.active, "position": pipeline.position}
    old, new = audit.diff(before, after)
    if new or specs is not None:
        if specs is not None:
            new = {**new, "stages": [s["name"] for s in specs]}
        audit.record(session=session, actor=actor, entity="pipeline", entity_id=pipeline.id,
                     action="update", before=old, after=new)
    session.commit()
    return pipeline


def _current_specs(session: Session, pipeline_id: int) -> list[dict[str, Any]]:
    return [_stage_snapshot(s) for s in pipeline_stages(session=session, pipeline_id=pipeline_id)]


def _stage(session: Session, stage_id: int) -> Stage:
    return get_existing(session=session, model=Stage, record_id=stage_id,
                        missing="Etapa no encontrada.")


def _save_stages(*, session: Session, actor: Actor, pipeline_id: int,
                 specs: list[dict[str, Any]], error_prefix: str = "") -> None:
    """Validate a pipeline's whole new stage list and apply it in one commit.

    The one-stage commands (add, change, delete, reorder) all edit the full list, so a
    pipeline is always checked as a whole (one won stage, no stage left with deals…).
    ``error_prefix`` (``stages.<i>.``) is taken off the error keys when the form shows one
    stage's own fields.
    """
    errors = _validate_stages(session, specs)
    if errors:
        raise ValidationFailed({k.removeprefix(error_prefix): v for k, v in errors.items()})
    _apply_stages(session, actor, session.get(Pipeline, pipeline_id), specs)
    session.commit()


@needs_actor
def create_stage(*, session: Session, actor: Actor, pipeline_id: int,
                 data: Mapping[str, Any]) -> Stage:
    """Add one stage (at ``position``, default last)."""
    _admin(actor)
    get_pipeline(session=session, actor=actor, pipeline_id=pipeline_id)
    specs = _current_specs(session, pipeline_id)
    new = {k: v for k, v in dict(data).items() if k in STAGE_FIELDS and k != "id"}
    index = new.pop("position", None)
    index = len(specs) if index in (None, "") else max(0, min(int(index), len(specs)))
    specs.insert(index, new)
    _save_stages(session=session, actor=actor, pipeline_id=pipeline_id, specs=specs)
    return session.exec(select(Stage).where(Stage.pipeline_id == pipeline_id,
                                            Stage.position == index)).one()


@needs_actor
def update_stage(*, session: Session, actor: Actor, stage_id: int,
                 data: Mapping[str, Any]) -> Stage:
    """Change one stage (``position`` moves it within its pipeline)."""
    _admin(actor)
    stage = _stage(session, stage_id)
    specs = _current_specs(session, stage.pipeline_id)
    index = next(i for i, s in enumerate(specs) if s["id"] == stage.id)
    spec = specs.pop(index)
    spec.update({k: v for k, v in dict(data).items() if k in STAGE_FIELDS and k != "id"})
    target = spec.pop("position", index)
    target = index if target in (None, "") else max(0, min(int(target), len(specs)))
    specs.insert(target, spec)
    _save_stages(session=session, actor=actor, pipeline_id=stage.pipeline_id, specs=specs,
                 error_prefix=f"stages.{target}.")
    return stage


@needs_actor
def delete_stage(*, session: Session, actor: Actor, stage_id: int) -> None:
    _admin(actor)
    stage = _stage(session, stage_id)
    specs = [s for s in _current_specs(session, stage.pipeline_id) if s["id"] != stage.id]
    _save_stages(session=session, actor=actor, pipeline_id=stage.pipeline_id, specs=specs)


@needs_actor
def reorder_stages(*, session: Session, actor: Actor, pipeline_id: int,
                   stage_ids: Sequence[int]) -> list[Stage]:
    _admin(actor)
    specs = {s["id"]: s for s in _current_specs(session, pipeline_id)}
    if sorted(specs) != sorted(int(i) for i in stage_ids):
        raise ValidationFailed({"stages": "La lista debe contener todas las etapas del embudo."})
    ordered = [specs[int(i)] for i in stage_ids]
    _save_stages(session=session, actor=actor, pipeline_id=pipeline_id, specs=ordered)
    return pipeline_stages(session=session, pipeline_id=pipeline_id)


__all__ = ["KIND_LABELS", "REQUIRABLE_FIELDS", "REQUIRED_KINDS", "create_pipeline",
           "create_stage", "default_pipeline", "delete_stage", "get_pipeline", "list_pipelines",
           "open_stages", "pipeline_dict", "pipeline_view", "reorder_stages", "requirable_specs",
           "stages_of", "update_pipeline", "update_stage"]
