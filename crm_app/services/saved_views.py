"""Saved views: a user's named list filters (search text, filters, sort) per entity.

A view belongs to one user; another user's view is "not found". ``filters`` is a JSON object
as the list screens and ``list_leads`` take it, e.g. ``{"q": "madrid", "status": ["nuevo"],
"sort": "created_at", "desc": true}``.
"""

from __future__ import annotations

import json

from sqlmodel import Session, select

from crm_app.models import SavedView, utcnow
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import Actor, needs_actor, owned_by, person
from crm_app.services.errors import Conflict, NotFound, ValidationFailed
from crm_app.services.records import add_record

ENTITIES = ("lead", "account", "contact", "opportunity", "quote", "activity", "document")
MAX_VIEWS = 50
MAX_FILTERS_BYTES = 8000


def _clean(entity: str | None, name: str | None, filters: object | None) -> dict:
    errors: dict[str, str] = {}
    out: dict = {}
    if entity is not None:
        if entity not in ENTITIES:
            errors["entity"] = "Lista no válida."
        out["entity"] = entity
    if name is not None:
        name = name.strip()
        if not name:
            errors["name"] = "Pon un nombre a la vista."
        elif len(name) > 120:
            errors["name"] = "Máximo 120 caracteres."
        out["name"] = name
    if filters is not None:
        if not isinstance(filters, dict):
            errors["filters"] = "Los filtros deben ser un objeto."
        elif len(json.dumps(filters, default=str)) > MAX_FILTERS_BYTES:
            errors["filters"] = "Demasiados filtros."
        out["filters"] = filters
    if errors:
        raise ValidationFailed(errors)
    return out


def view_dict(view: SavedView) -> dict:
    return {"id": view.id, "entity": view.entity, "name": view.name, "filters": view.filters,
            "created_at": view.created_at.isoformat() if view.created_at else None}


@needs_actor
def list_views(*, session: Session, actor: Actor, entity: str = "lead") -> list[SavedView]:
    require(actor, Perm.RECORDS_VIEW)
    return list(session.exec(select(SavedView).where(owned_by(SavedView.user_id, actor))
                             .where(SavedView.entity == entity)
                             .order_by(SavedView.name, SavedView.id)).all())


@needs_actor
def get_view(*, session: Session, actor: Actor, view_id: int) -> SavedView:
    require(actor, Perm.RECORDS_VIEW)
    view = session.get(SavedView, view_id)
    if view is None or view.user_id != actor.id:
        raise NotFound("Vista no encontrada.")
    return view


@needs_actor
def create_view(*, session: Session, actor: Actor, entity: str, name: str,
                filters: dict) -> SavedView:
    require(person(actor), Perm.RECORDS_VIEW)
    clean = _clean(entity, name, filters)
    mine = list_views(session=session, actor=actor, entity=entity)
    if any(v.name.lower() == clean["name"].lower() for v in mine):
        raise Conflict(f"Ya tienes una vista llamada «{clean['name']}».")
    if len(mine) >= MAX_VIEWS:
        raise ValidationFailed({"name": f"Como máximo {MAX_VIEWS} vistas por lista."})
    return add_record(session=session, actor=actor, entity="saved_view", snapshot=view_dict,
                      record=SavedView(user_id=actor.id, created_at=utcnow(), **clean))


@needs_actor
def update_view(*, session: Session, actor: Actor, view_id: int, name: str | None = None,
                filters: dict | None = None) -> SavedView:
    view = get_view(session=session, actor=actor, view_id=view_id)
    before = view_dict(view)
    clean = _clean(None, name, filters)
    if "name" in clean and clean["name"].lower() != view.name.lower():
        others = list_views(session=session, actor=actor, entity=view.entity)
        if any(v.name.lower() == clean["name"].lower() for v in others if v.id != view.id):
            raise Conflict(f"Ya tienes una vista llamada «{clean['name']}».")
    for key, value in clean.items():
        setattr(view, key, value)
    session.add(view)
    old, new = audit.diff(before, view_dict(view))
    audit.record(session=session, actor=actor, entity="saved_view", entity_id=view.id,
                 action="update", before=old, after=new)
    session.commit()
    return view


@needs_actor
def delete_view(*, session: Session, actor: Actor, view_id: int) -> None:
    view = get_view(session=session, actor=actor, view_id=view_id)
    snap = view_dict(view)
    session.delete(view)
    audit.record(session=session, actor=actor, entity="saved_view", entity_id=view_id,
                 action="delete", before=snap)
    session.commit()


__all__ = ["create_view", "delete_view", "get_view", "list_views", "update_view", "view_dict"]
