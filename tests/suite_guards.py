"""A small pytest plugin (loaded by tests/conftest.py): what one test leaves behind must not
decide whether a later one passes.

Playwright's synchronous API (the session-scoped ``browser`` of tests/ui) keeps its event loop
marked running on the main thread between its calls, for as long as it is open, and
``asyncio.run`` refuses to start then. tests/ui sorts before tests/unit, so in a full run every
test after the first browser test ran under that loop: the upload tests failed with
"asyncio.run() cannot be called from a running event loop". Hence:

- the browser tests run last, the others in their usual order; under pytest-xdist
  (``make test`` runs two workers) everything in tests/ui is one unit of work
  (``BrowserGroupScheduling``): one worker starts the app and Chromium once and runs the
  browser tests in the order they are written, while the other worker runs the rest. The
  biggest unit goes out first, so the frontend build overlaps the other tests instead of
  ending the run. (Grouped by path, not with xdist's ``xdist_group`` marks: those work by
  renaming node ids, which pytest 9.2 ignored — the group split silently and both workers
  started the app on one port);
- two tests with the same node id stop the run: a scheduler that hands out work by node id
  runs only one of them (pytest 9.2 gave the 73 schemathesis operations one id, and the
  first two-worker run passed with 72 fuzz tests never run);
- a test (other than a browser test) that leaves an event loop marked running on the main
  thread fails, naming itself, instead of a later test failing for its reason.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: absent under ``-p no:xdist``
def pytest_xdist_make_scheduler(config: pytest.Config, log):  # noqa: ANN001, ANN201
    from xdist.scheduler import LoadScopeScheduling

    class BrowserGroupScheduling(LoadScopeScheduling):
        """Each test is its own unit of work, except tests/ui: one unit, one worker."""

        def _split_scope(self, nodeid: str) -> str:
            return BROWSER_UNIT if nodeid.startswith(BROWSER_UNIT) else nodeid

    return BrowserGroupScheduling(config, log)


BROWSER_UNIT = "tests/ui/"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
    twice = [nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1]
    if twice:
        raise pytest.UsageError(f"Tests con el mismo id (solo se ejecutaría uno): {twice[:5]}")


@pytest.fixture(autouse=True)
def _no_event_loop_left_running(request: pytest.FixtureRequest) -> Iterator[None]:
    before = asyncio.events._get_running_loop()
    yield
    left = asyncio.events._get_running_loop()
    if before is None and left is not None and not request.node.get_closest_marker("browser"):
        pytest.fail(f"{request.node.nodeid} left an event loop marked running on the main "
                    f"thread ({left!r}): a later asyncio.run() would fail", pytrace=False)
