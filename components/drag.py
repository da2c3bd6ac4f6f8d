"""A ``<div>`` with the HTML5 drag-and-drop events, which Reflex's elements do not declare
(the kanban drags cards between columns on desktops; phones use "Mover a…")."""

from __future__ import annotations

from reflex_base.components.component import field
from reflex_base.event import EventHandler, no_args_event_spec
from reflex_components_core.el.elements.typography import Div


class DragBox(Div):
    on_drag_start: EventHandler[no_args_event_spec] = field(doc="The user starts dragging.")
    on_drag_end: EventHandler[no_args_event_spec] = field(doc="The drag ended (drop or cancel).")
    on_drag_over: EventHandler[no_args_event_spec] = field(doc="Something is dragged over.")
    on_drag_enter: EventHandler[no_args_event_spec] = field(doc="A drag enters the element.")
    on_drag_leave: EventHandler[no_args_event_spec] = field(doc="A drag leaves the element.")
    on_drop: EventHandler[no_args_event_spec] = field(doc="Something is dropped on it.")


drag_box = DragBox.create

__all__ = ["DragBox", "drag_box"]
