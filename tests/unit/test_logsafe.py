"""No cookie, Authorization header or API token reaches a log line (crm_app.logsafe).

The live path (a failing websocket event in the real Reflex process) is in
tests/api/test_reflex_origins.py; these pin the redaction itself, for every shape a header
takes in a log: dict reprs, JSON, ASGI byte tuples, raw header lines, tracebacks.
"""

from __future__ import annotations

import io
import json
import logging
import traceback

import pytest

from crm_app.logsafe import REDACTED, install, redact

SESSION = "gk8wyBjs5Hee4rzc9KGoXanfgAUHjBZGDv4Jbt5gfn8"
TOKEN = "crm_" + "Zq3vT9rW1xK7pLm2Nc8bYh5Fd4Gs6Aj0Ue_IoQwErTy"


@pytest.mark.parametrize("text", [
    f"router_data={{'headers': {{'cookie': 'crm_session={SESSION}; otra=1', "
    f"'authorization': 'Bearer {TOKEN}'}}}}",
    json.dumps({"headers": {"Cookie": f"crm_session={SESSION}", "Authorization":
                            f"Bearer {TOKEN}"}}),
    f"scope headers [(b'cookie', b'crm_session={SESSION}'), (b'authorization', b'Bearer {TOKEN}')]",
    f"Cookie: a=1; crm_session={SESSION}\nAuthorization: Bearer {TOKEN}\n",
    f"GET /api/v1/leads?crm_session={SESSION}&token={TOKEN}",
    f'{{"set-cookie": "crm_session={SESSION}; HttpOnly", "x": "Bearer {TOKEN}"}}',
    f"proxy-authorization: Basic dXN1YXJpbzpjbGF2ZQ== y crm_session={SESSION}",
], ids=["dict-repr", "json", "asgi-bytes", "header-lines", "query", "set-cookie", "basic"])
def test_secrets_are_redacted_in_every_shape(text: str) -> None:
    clean = redact(text)
    assert SESSION not in clean and TOKEN not in clean
    assert "dXN1YXJpbzpjbGF2ZQ" not in clean
    assert REDACTED in clean


def test_ordinary_text_is_left_alone() -> None:
    text = ("Error in crm_app.services.leads_bench_something_long [txid=83c7587f]: "
            "cookie policy lax, authorization required, bearer of bad news")
    assert redact(text) == text


def test_every_logger_and_traceback_is_scrubbed_once_installed() -> None:
    """Also records whose handler renders the live exception itself (as Reflex's sinks do)."""
    install()
    install()  # idempotent

    class RendersExcInfo(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.out = io.StringIO()

        def emit(self, record: logging.LogRecord) -> None:
            self.out.write(record.getMessage() + "\n")
            if record.exc_info:
                self.out.write("".join(traceback.format_exception(*record.exc_info)))

    handler = RendersExcInfo()
    logger = logging.getLogger("reflex_base.event.processor.prueba")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.error("Error processing event %s", {"headers": {"cookie": f"crm_session={SESSION}"}})
        try:
            raise KeyError(f"sin manejador; authorization: Bearer {TOKEN}")
        except KeyError:
            logger.exception("Error in task for %s", f"crm_session={SESSION}")
        logger.warning("nada secreto aquí: %d eventos", 3)
    finally:
        logger.removeHandler(handler)
    out = handler.out.getvalue()
    assert SESSION not in out and TOKEN not in out
    assert "Error processing event" in out and "KeyError" in out and "sin manejador" in out
    assert "nada secreto aquí: 3 eventos" in out
