"""A record's page (lead, customer, opportunity): what their states share.

``class XRecordState(RecordPageMixin, AppState)`` declares ``_route`` (the path segment before
the id: ``/clientes/12`` → ``"clientes"``) and implements ``_fill(ctx)`` (one scoped service
call that shows the record) and, if it keeps dialogs or lists of a previous record,
``_forget()``. Its ``on_load`` is a ``@handler`` that calls ``_open(ctx)``; the view wraps its
body in ``components.record_header.record_page(loaded=…, found=…)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import reflex as rx

from crm_app.services import alerts as alert_service
from crm_app.state import Ctx, toast_and_go


class RecordPageMixin(rx.State, mixin=True):
    record_id: int = 0
    found: bool = True  # off when the record is missing or out of the user's scope
    loaded: bool = False  # the loader has run (a spinner until then)
    deleting: bool = False
    # the user's open alerts on this record: the icon by its title (issue 13)
    record_alert: str = ""  # "" | info | warning | critical
    record_alert_text: str = ""

    _route: ClassVar[str] = ""
    _alert_entity: ClassVar[str] = ""  # lead | account | opportunity

    def _fill(self, ctx: Ctx) -> None:
        """Hook: read the record ``record_id`` through its service and show it."""
        raise NotImplementedError

    def _forget(self) -> None:
        """Hook: close the previous record's dialogs (the tab keeps its state between pages)."""

    def _open(self, ctx: Ctx) -> None:
        """The record of this tab's path. A record that is missing or out of the user's scope
        leaves ``found`` off: the page says "no encontrado", the service's refusal is the
        toast."""
        self.found = self.loaded = self.deleting = False
        self._forget()
        self.record_id = self._route_id(self._route) or 0
        self.record_alert = self.record_alert_text = ""
        try:
            self._fill(ctx)
            self.found = True
            if self._alert_entity:
                summary = alert_service.record_alert_summary(
                    session=ctx.session, actor=ctx.user, entity=self._alert_entity,
                    record_id=self.record_id)
                self.record_alert, self.record_alert_text = summary["level"], summary["text"]
        finally:
            self.loaded = True

    def _delete_and_leave(self, ctx: Ctx, delete: Callable[..., Any], message: str,
                          **record: Any) -> Iterator[Any]:
        """Eliminar: the spinner on the button, the service's delete (to the recycle bin),
        then the list with what was done."""
        with self._busy("deleting"):  # type: ignore[attr-defined]  # AppState's
            yield
            delete(session=ctx.session, actor=ctx.user, **record)
        yield toast_and_go(message, f"/{self._route}")


__all__ = ["RecordPageMixin"]
