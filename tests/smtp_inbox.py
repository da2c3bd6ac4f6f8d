"""A real local SMTP server (aiosmtpd) that keeps every message it receives, for the tests
of quote e-mails and scheduled report deliveries."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from throwaway import free_port

from crm_app.settings import Settings, get_settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


@contextmanager
def local_smtp(sender: str) -> Iterator[tuple[Inbox, Settings]]:
    """The server on a free port, and settings that send through it as ``sender``."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings = get_settings().model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False,
        "smtp_user": "", "smtp_from": sender})
    try:
        yield inbox, settings
    finally:
        controller.stop()


__all__ = ["Inbox", "free_port", "local_smtp"]
