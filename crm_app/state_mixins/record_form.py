"""A record's form page (new and edit): what the lead and customer forms share.

``class XFormState(RecordFormMixin, AppState)`` declares ``_list_href`` (the list the form
belongs to; the record's page is ``<_list_href>/<id>``) and ``_field_order`` (the fields in
the order they stand on screen). It gets the vars ``components.forms.form_page`` shows
(``ready``, ``not_found``, ``title``) and the form's own (``values``, ``errors``, ``saving``,
``form_key`` — a new key remounts the uncontrolled inputs with new defaults), ``cancel_href``,
``leave`` (``on_unmount``: the next visit waits for its loader again) and, when the service
refuses the save with field errors, the first field in error brought into view (a long form
on a phone hides it otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import reflex as rx

from crm_app.list_state import NONE
from crm_app.state import scroll_into_view


def picked(value: Any) -> str:
    """A select's submitted value, ``""`` for the "none" item."""
    value = str(value or "").strip()
    return "" if value == NONE else value


class RecordFormMixin(rx.State, mixin=True):
    record_id: int = 0
    form_key: str = "new"
    title: str = ""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    saving: bool = False
    not_found: bool = False
    ready: bool = False

    # --- what a form declares -------------------------------------------------------------------
    _list_href: ClassVar[str] = "/"
    _field_order: ClassVar[tuple[str, ...]] = ()  # fields in screen order (first error shown)

    def _fields_in_order(self) -> Sequence[str]:
        """Hook: the form's fields in screen order (default: ``_field_order``)."""
        return self._field_order

    def _field_element(self, name: str) -> str:
        """Hook: the element id of field ``name`` (default: the name itself)."""
        return name

    # --- shared -----------------------------------------------------------------------------------

    @rx.var
    def cancel_href(self) -> str:
        return f"{self._list_href}/{self.record_id}" if self.record_id else self._list_href

    def _reset_form(self) -> None:
        """A loader's first step: no record, no errors, the spinner until it is filled."""
        self.record_id, self.title, self.errors, self.values = 0, "", {}, {}
        self.saving = self.not_found = self.ready = False

    @rx.event
    def leave(self) -> None:
        self.ready = False

    def _after_field_errors(self, var: str, errors: dict[str, str]) -> Any:
        """Bring the first field in error into view."""
        first = next((k for k in self._fields_in_order() if k in errors), None)
        return None if first is None else scroll_into_view(self._field_element(first))


__all__ = ["RecordFormMixin", "picked"]
