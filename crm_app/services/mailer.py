"""Outgoing email over SMTP (``CRM_SMTP_*`` settings): plain text body, optional attachments.

STARTTLS when ``smtp_starttls``; login when ``smtp_user`` is set. Errors become ``MailError``
with a Spanish message the UI can show as it is.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from crm_app.settings import Settings, get_settings

TIMEOUT_SECONDS = 20


class MailError(Exception):
    """The message could not be handed to the SMTP server."""


def build_message(*, sender: str, to: Sequence[str], subject: str, body: str,
                  attachments: Sequence[tuple[str, bytes, str]] = (),
                  reply_to: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(domain=domain)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg.set_content(body)
    for filename, content, mimetype in attachments:
        maintype, _, subtype = mimetype.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream",
                           filename=filename)
    return msg


def send_email(*, to: Sequence[str], subject: str, body: str,
               attachments: Sequence[tuple[str, bytes, str]] = (), reply_to: str | None = None,
               settings: Settings | Any | None = None) -> str:
    """Send one message; return its Message-ID. ``attachments``: (filename, bytes, mimetype)."""
    settings = settings or get_settings()
    msg = build_message(sender=settings.smtp_from, to=to, subject=subject, body=body,
                        attachments=attachments, reply_to=reply_to)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=TIMEOUT_SECONDS) as smtp:
            smtp.ehlo()
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password)
            # A partial refusal returns the refused addresses; the others got the message.
            smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError("El servidor de correo rechazó los destinatarios: "
                        + ", ".join(exc.recipients)) from exc
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError("El servidor de correo rechazó el usuario o la contraseña.") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"No se pudo enviar el correo ({settings.smtp_host}:"
                        f"{settings.smtp_port}): {exc}") from exc
    return str(msg["Message-ID"])


__all__ = ["MailError", "build_message", "send_email"]
