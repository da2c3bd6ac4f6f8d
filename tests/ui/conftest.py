"""Browser tests: the real app started by ``crm run`` (migrations, demo data, production
frontend build, web server, Celery worker + beat) driven by Debian's headless Chromium.

The frontend build is kept in ``var/web-test`` (or ``$CRM_TEST_WEB_DIR``; with ``$CRM_TEST_PORT``
for parallel runs) and rebuilt only when the UI code changes, so
the suite pays for a build once, not on every run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import liveport
import pytest
from uikit import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, TEST_PORT

from crm_app.settings import PROJECT_ROOT

# base URL -> data dir (SQLite database, snapshots) of each app ``live_app`` started
_DATA_DIRS: dict[str, Path] = {}


@pytest.fixture(scope="session")
def live_app() -> Iterator[str]:
    """The app ``crm run`` starts for this session on ``CRM_TEST_PORT``. The port is locked
    for the session and must be free (``liveport``): a busy port fails at once, saying who
    has it, rather than falling back to another one — the frontend build is per port and
    per worktree, so a second session here would rebuild it under the first one's feet."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Falta Chromium (/usr/bin/chromium): `make test` lo instala con apt.")
    port = TEST_PORT
    try:
        lock = liveport.claim(port, where=str(PROJECT_ROOT))
    except liveport.PortBusy as exc:
        pytest.fail(str(exc))
    data_dir = Path(tempfile.mkdtemp(prefix="crm-ui-"))
    env = {**os.environ, "CRM_DATA_DIR": str(data_dir), "CRM_PORT": str(port),
           "CRM_ENV": "test", "REFLEX_WEB_WORKDIR": os.environ.get("CRM_TEST_WEB_DIR",
                                                str(PROJECT_ROOT / "var" / "web-test"))}
    env.pop("CRM_DATABASE_URL", None)
    log = open(data_dir / "app.log", "w")  # noqa: SIM115 - open for the process's lifetime
    proc = subprocess.Popen([sys.executable, "-m", "crm_app.cli.main", "run"], cwd=PROJECT_ROOT,
                            env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            liveport.wait_until_serving(proc, port, log=data_dir / "app.log", timeout=600)
        except liveport.StartFailed as exc:
            pytest.fail(str(exc))
        _DATA_DIRS[base] = data_dir
        yield base
    finally:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
        lock.close()


@pytest.fixture(scope="session")
def live_app_data_dir(live_app: str) -> Path:
    """The data dir of the app ``live_app`` runs: its SQLite database is ``crm.db``."""
    return _DATA_DIRS[live_app]


# Closed when the run leaves tests/ui (see pytest_runtest_teardown), not at the end of the
# session: Playwright's sync API keeps an event loop *running* on the main thread while it is
# open, and the unit tests that run after the browser tests call ``asyncio.run`` (CI failed
# with "asyncio.run() cannot be called from a running event loop").
_CLOSE_ON_LEAVING: list[Callable[[], None]] = []


@pytest.fixture(scope="session")
def browser():  # noqa: ANN201
    from playwright.sync_api import sync_playwright

    manager = sync_playwright()
    playwright = manager.start()
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def close() -> None:
        b.close()
        manager.__exit__(None, None, None)

    _CLOSE_ON_LEAVING.append(close)
    yield b
    if close in _CLOSE_ON_LEAVING:
        _CLOSE_ON_LEAVING.remove(close)
        close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the last browser test, before any other test: close Playwright."""
    if nextitem is not None and Path(str(nextitem.path)).is_relative_to(Path(__file__).parent):
        return
    while _CLOSE_ON_LEAVING:
        _CLOSE_ON_LEAVING.pop()()


@pytest.fixture
def shot(request: pytest.FixtureRequest):  # noqa: ANN201
    """Save a full-page screenshot under var/test-artifacts/<test name>-<label>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def _shot(page, label: str) -> Path:  # noqa: ANN001
        path = ARTIFACTS / f"{request.node.name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
