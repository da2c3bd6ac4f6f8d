"""Run a coroutine to its end from a synchronous test, whatever the main thread holds.

``asyncio.run`` refuses to start while an event loop is marked running on the calling thread.
Playwright's synchronous API (the browser tests' session-scoped ``browser``) keeps its loop
marked running on the main thread between its calls, for as long as it is open; a test that
ran after it failed with "asyncio.run() cannot be called from a running event loop". Here the
coroutine then runs on a fresh loop in a thread of its own, with the caller's context
variables, so the result does not depend on which tests ran before.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)``; on a thread of its own when this one has a loop running."""
    if asyncio.events._get_running_loop() is None:
        return asyncio.run(coro)
    context = contextvars.copy_context()
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = context.run(asyncio.run, coro)
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="run_async")
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
