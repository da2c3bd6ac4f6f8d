"""Keep session cookies and tokens out of every log line.

Reflex logs the whole event when it cannot process one (``Error processing event queue
entry for Event(..., router_data={'headers': {'cookie': 'crm_session=…', 'authorization':
…}})``, reflex_base/event/processor/event_processor.py), and a token copied from such a log
opened a session. A handler filter would miss handlers that other libraries attach later
(Reflex attaches its own sinks, uvicorn and granian configure theirs), so the redaction sits
in the log *record factory*: every record of every logger in the process is scrubbed once,
when it is created, before any handler or formatter sees it — message and traceback alike.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable
from typing import Any

from crm_app.auth.tokens import API_TOKEN_PREFIX, SESSION_COOKIE

REDACTED = "[REDACTED]"
_SECRET_HEADERS = r"(?:set-)?cookie|(?:proxy-)?authorization|x-api-key"

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # 'cookie': '…' / "authorization": "…" (dict reprs, JSON), also b'cookie', b'…' tuples
    (re.compile(rf"""(?i)(b?(['"])(?:{_SECRET_HEADERS})\2\s*[:,=]\s*b?)'(?:[^'\\]|\\.)*'"""),
     rf"\1'{REDACTED}'"),
    (re.compile(rf"""(?i)(b?(['"])(?:{_SECRET_HEADERS})\2\s*[:,=]\s*b?)"(?:[^"\\]|\\.)*\""""),
     rf'\1"{REDACTED}"'),
    # raw header lines: "Cookie: …" up to the end of the line
    (re.compile(rf"""(?im)^(\s*(?:{_SECRET_HEADERS})\s*:\s*)(?!['"\[])\S.*$"""),
     rf"\1{REDACTED}"),
    # anywhere else: the session cookie, Bearer/Basic credentials, personal API tokens
    (re.compile(rf"{SESSION_COOKIE}=[^;\s'\",]+"), f"{SESSION_COOKIE}={REDACTED}"),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {REDACTED}"),
    (re.compile(rf"\b{API_TOKEN_PREFIX}[A-Za-z0-9_-]{{40,}}"), f"{API_TOKEN_PREFIX}{REDACTED}"),
]


def redact(text: str) -> str:
    """``text`` with cookie values, Authorization credentials and API tokens replaced."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(record: logging.LogRecord) -> None:
    """Redact one record in place: its rendered message, traceback and stack."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a malformed record is the handler's business
        return
    clean = redact(message)
    if record.exc_info and record.exc_info[0] is not None:
        rendered = "".join(traceback.format_exception(*record.exc_info))
        clean_tb = redact(rendered)
        if clean_tb != rendered:
            # Handlers format exc_info themselves (Reflex's do, bypassing exc_text): hand
            # them the redacted text instead of the live exception.
            clean = f"{clean}\n{clean_tb.rstrip()}"
            record.exc_info, record.exc_text = None, None
    if clean != message:
        record.msg, record.args = clean, ()
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_lock = threading.Lock()
_installed = False


def install() -> None:
    """Scrub every log record created in this process from now on (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            scrub(record)
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
