"""What is done to a saved quote from its editor: accept, reject, delete, a new version, and
the e-mail with its PDF.

Each is a ``@handler`` with the permission it needs, and the service checks the row scope
again, so a forged event on a quote the user may not change is refused and writes nothing.
Sending renders the PDF and talks to the SMTP server: it is a background handler whose slow
part runs in a worker thread, so the tab (and every other tab) stays responsive meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from crm_app.i18n import t
from crm_app.permissions import Perm
from crm_app.services import quotes as quote_service
from crm_app.state import Ctx, handler, setter, toast_and_go

MAX_MESSAGE = 20_000
MAX_RECIPIENTS_TEXT = 2_000


class QuoteCommandsMixin(rx.State, mixin=True):
    deciding: bool = False
    revising: bool = False
    send_open: bool = False
    send_to: str = ""
    send_message: str = ""
    send_errors: dict[str, str] = {}
    sending: bool = False

    # The editor (``QuoteEditorState``) provides ``quote_id``, ``dirty`` and these two hooks.

    def _reload(self, ctx: Ctx) -> None:
        """Hook: show the stored quote again."""
        raise NotImplementedError

    def _show_head(self, view: dict[str, Any]) -> None:
        """Hook: show a stored quote's status, dates and versions."""
        raise NotImplementedError

    # --- decisions ----------------------------------------------------------------------------

    def _decide(self, ctx: Ctx, act: Callable[..., Any], done: str) -> Any:
        if not self.quote_id or self.dirty:
            yield rx.toast.error(t("sui.quote.save_first"))
            return
        with self._busy("deciding"):
            yield
            act(session=ctx.session, actor=ctx.user, quote_id=self.quote_id)
        self._reload(ctx)
        yield rx.toast.success(done)

    @handler(Perm.RECORDS_CHANGE)
    def accept(self, ctx: Ctx) -> Any:
        """The customer accepted: the service wins the opportunity and rejects the others."""
        yield from self._decide(ctx, quote_service.accept_quote, t("sui.quote.accepted"))

    @handler(Perm.RECORDS_CHANGE)
    def reject(self, ctx: Ctx) -> Any:
        yield from self._decide(ctx, quote_service.reject_quote, t("sui.quote.rejected"))

    @handler(Perm.RECORDS_DELETE)
    def delete(self, ctx: Ctx) -> Any:
        if not self.quote_id:
            return
        with self._busy("deciding"):
            yield
            quote_service.delete_quote(session=ctx.session, actor=ctx.user,
                                       quote_id=self.quote_id)
        yield toast_and_go(t("sui.quote.deleted"), "/presupuestos")

    @handler(Perm.RECORDS_CHANGE)
    def revise(self, ctx: Ctx) -> Any:
        """A new version (a borrador with the same lines), opened at once."""
        if not self.quote_id:
            return
        with self._busy("revising"):
            yield
            quote = quote_service.revise_quote(session=ctx.session, actor=ctx.user,
                                               quote_id=self.quote_id)
        yield toast_and_go(t("sui.quote.revised", version=quote.version),
                           f"/presupuestos/{quote.id}")

    # --- e-mail -------------------------------------------------------------------------------

    @handler(Perm.RECORDS_CHANGE)
    def open_send(self, ctx: Ctx) -> Any:
        """The send dialog, with the service's default recipients and message."""
        if not self.quote_id or self.dirty:
            return rx.toast.error(t("sui.quote.save_first"))
        start = quote_service.send_draft(session=ctx.session, actor=ctx.user,
                                         quote_id=self.quote_id)
        self.send_to, self.send_message = start["to"], start["message"]
        self.send_errors = {}
        self.send_open = True
        return None

    @rx.event
    def set_send_open(self, value: bool) -> None:
        if not self.sending:
            self.send_open = bool(value)

    set_send_to = setter("send_to", limit=MAX_RECIPIENTS_TEXT)
    set_send_message = setter("send_message", limit=MAX_MESSAGE)

    @handler(Perm.RECORDS_CHANGE, errors="send_errors", background=True)
    async def send(self, ctx: Ctx) -> Any:
        """Render the PDF and send it (in a worker thread); the quote becomes "enviado"."""
        async with self:
            if self.sending or not self.quote_id or not self.send_open:
                return
            self.sending = True
            quote_id, to, message = self.quote_id, self.send_to, self.send_message

        def work() -> tuple[str, dict[str, Any]]:
            # Nothing typed: the service sends to its default recipients (the dialog's start).
            sent_to = to.strip() or quote_service.send_draft(
                session=ctx.session, actor=ctx.user, quote_id=quote_id)["to"]
            quote_service.send_quote(session=ctx.session, actor=ctx.user, quote_id=quote_id,
                                     to=to, message=message)
            return sent_to, quote_service.quote_view(session=ctx.session, actor=ctx.user,
                                                     quote_id=quote_id)

        try:
            sent_to, view = await rx.run_in_thread(work)
        finally:
            async with self:
                self.sending = False
        async with self:
            self.send_open = False
            if self.quote_id == quote_id:  # still on this quote
                self._show_head(view)
        yield rx.toast.success(t("sui.quote.sent", to=sent_to))


__all__ = ["QuoteCommandsMixin"]
