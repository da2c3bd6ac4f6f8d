"""A small pytest plugin (loaded by tests/conftest.py): what one test leaves behind must not
decide whether a later one passes.

Playwright's synchronous API (the session-scoped ``browser`` of tests/ui) keeps its event loop
marked running on the main thread between its calls, for as long as it is open, and
``asyncio.run`` refuses to start then. tests/ui sorts before tests/unit, so in a full run every
test after the first browser test ran under that loop: the upload tests failed with
"asyncio.run() cannot be called from a running event loop". Hence:

- the browser tests run last, the others in their usual order;
- a test (other than a browser test) that leaves an event loop marked running on the main
  thread fails, naming itself, instead of a later test failing for its reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _no_event_loop_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    before = asyncio.events._get_running_loop()
    yield
    left = asyncio.events._get_running_loop()
    if before is None and left is not None and not request.node.get_closest_marker("browser"):
        pytest.fail(f"{request.node.nodeid} left an event loop marked running on the main "
                    f"thread ({left!r}): a later asyncio.run() would fail", pytrace=False)
