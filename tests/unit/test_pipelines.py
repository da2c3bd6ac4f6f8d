"""Pipelines and stages: admin-only configuration with whole-set validation."""

from __future__ import annotations

import pytest
import sales_support as build
from sqlmodel import select

from crm_app.i18n import catalog
from crm_app.models import Pipeline, Stage
from crm_app.services import pipelines
from crm_app.services.errors import Conflict, PermissionDenied, ValidationFailed

STAGES = [{"name": "Contacto", "probability": 10}, {"name": "Propuesta", "probability": 50},
          {"name": "Cerrada", "kind": "won"}, {"name": "Sin venta", "kind": "lost"}]


def test_default_pipeline_exists_and_is_readable_by_all(session, people):
    rows = pipelines.list_pipelines(session=session, actor=people.comercial1)
    assert [p.name for p in rows] == ["Ventas"]
    view = pipelines.pipeline_view(session=session, actor=people.comercial1,
                                   pipeline_id=rows[0].id)
    assert [(s["name"], s["kind"], s["probability"]) for s in view["stages"]] == [
        ("En análisis", "open", 10), ("Oferta presentada", "open", 40),
        ("En negociación", "open", 70), ("Ganada", "won", 100), ("Cancelada", "lost", 0),
        ("Perdida", "lost", 0)]
    assert view["stages"][-1]["required_fields"] == ["lost_reason"]


def test_only_admins_configure(session, people):
    for actor in (people.director, people.manager1, people.comercial1):
        with pytest.raises(PermissionDenied):
            pipelines.create_pipeline(session=session, actor=actor, name="X", stages=STAGES)


def test_create_validates_the_whole_set(session, people):
    with pytest.raises(ValidationFailed) as exc:
        pipelines.create_pipeline(session=session, actor=people.admin, name="", stages=[
            {"name": "A", "probability": 120}, {"name": "a"},
            {"name": "B", "kind": "won", "probability": 50},
            {"name": "C", "kind": "lost", "required_fields": ["colour"], "stale_days": 0}])
    assert exc.value.errors == {
        "name": "El nombre es obligatorio.",
        "stages.0.probability": "La probabilidad va de 0 a 100.",
        "stages.1.name": "Hay dos etapas llamadas «a».",
        "stages.2.probability": "Una etapa ganada tiene probabilidad 100 %.",
        "stages.3.required_fields": "Campo desconocido: colour.",
        "stages.3.stale_days": "Los días sin actividad van de 1 a 365 (o en blanco).",
    }
    with pytest.raises(ValidationFailed) as exc:
        pipelines.create_pipeline(session=session, actor=people.admin, name="Sin ganar",
                                  stages=[{"name": "A"}, {"name": "Z", "kind": "lost"}])
    assert exc.value.errors == {"stages": "Hace falta al menos una etapa ganada."}


def test_create_update_default_and_stage_edits(session, people):
    pipelines.list_pipelines(session=session, actor=people.admin)
    p = pipelines.create_pipeline(session=session, actor=people.admin, name="Renovaciones",
                                  stages=STAGES)
    assert not p.is_default
    copy = pipelines.create_pipeline(session=session, actor=people.admin, name="Copia")
    assert len(pipelines.stages_of(session=session, pipeline_id=copy.id)) == 6
    pipelines.update_pipeline(session=session, actor=people.admin, pipeline_id=p.id,
                              data={"is_default": True})
    defaults = session.exec(select(Pipeline).where(Pipeline.is_default == True)).all()  # noqa: E712
    assert [d.name for d in defaults] == ["Renovaciones"]
    with pytest.raises(ValidationFailed):
        pipelines.update_pipeline(session=session, actor=people.admin, pipeline_id=p.id,
                                  data={"active": False})
    with pytest.raises(ValidationFailed) as exc:
        pipelines.update_pipeline(session=session, actor=people.admin, pipeline_id=copy.id,
                                  data={"name": "renovaciones"})
    assert exc.value.errors == {"name": "Ya hay un embudo con ese nombre."}

    stages = pipelines.stages_of(session=session, pipeline_id=p.id)
    new = pipelines.create_stage(session=session, actor=people.admin, pipeline_id=p.id,
                                 data={"name": "Demo", "probability": 30, "position": 1,
                                       "stale_days": 5})
    names = [s.name for s in pipelines.stages_of(session=session, pipeline_id=p.id)]
    assert names == ["Contacto", "Demo", "Propuesta", "Cerrada", "Sin venta"]
    pipelines.update_stage(session=session, actor=people.admin, stage_id=new.id,
                           data={"position": 3, "probability": 60})
    names = [s.name for s in pipelines.stages_of(session=session, pipeline_id=p.id)]
    assert names == ["Contacto", "Propuesta", "Cerrada", "Demo", "Sin venta"]
    assert session.get(Stage, new.id).probability == 60
    with pytest.raises(ValidationFailed) as exc:
        pipelines.update_stage(session=session, actor=people.admin, stage_id=stages[2].id,
                               data={"kind": "open", "probability": 90})
    assert exc.value.errors == {"stages": "Hace falta al menos una etapa ganada."}
    pipelines.reorder_stages(session=session, actor=people.admin, pipeline_id=p.id,
                             stage_ids=[s.id for s in reversed(
                                 pipelines.stages_of(session=session, pipeline_id=p.id))])
    assert pipelines.stages_of(session=session, pipeline_id=p.id)[0].name == "Sin venta"


def test_stage_with_opportunities_cannot_be_deleted(session, people):
    opp = build.opportunity(session, people.comercial1)
    analysis = build.stage(session, "En análisis")
    assert opp.stage_id == analysis.id
    with pytest.raises(Conflict):
        pipelines.delete_stage(session=session, actor=people.admin, stage_id=analysis.id)
    cancelled = build.stage(session, "Cancelada")
    pipelines.delete_stage(session=session, actor=people.admin, stage_id=cancelled.id)
    assert session.get(Stage, cancelled.id) is None
    lost = build.stage(session, "Perdida")  # the last lost stage stays
    with pytest.raises(ValidationFailed):
        pipelines.delete_stage(session=session, actor=people.admin, stage_id=lost.id)


def test_every_requirable_field_has_its_label_in_the_catalog():
    """The stage editor and the move dialog label each key with ``sui.required.<key>``: a key
    added to the service without its text would fail in front of an admin."""
    assert set(pipelines.REQUIRED_FIELD_KEYS) == set(pipelines.REQUIRABLE_FIELDS) \
        == set(pipelines.REQUIRED_KINDS)
    texts = catalog("es")
    missing = [k for k in pipelines.REQUIRED_FIELD_KEYS if f"sui.required.{k}" not in texts]
    assert not missing, missing
