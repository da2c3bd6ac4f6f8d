"""Shared fixtures: an isolated data dir per test session, a fresh SQLite DB per test, users.

The data dir is set before anything reads settings, so no test touches ./var.
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

# Fewer collector runs while the app's modules are imported (see pytest_collection_finish).
gc.set_threshold(20_000, 20, 50)
_TMP = Path(tempfile.mkdtemp(prefix="crm-tests-"))
os.environ["CRM_DATA_DIR"] = str(_TMP / "data")
os.environ["CRM_ENV"] = "test"
os.environ.pop("CRM_DATABASE_URL", None)

import pytest  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from factories import (  # noqa: E402,F401
    FIXTURE_PASSWORD,
    People,
    empty_schema,
    fixture_hash,
    make_people,
)
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import crm_app.models  # noqa: E402,F401
from crm_app import db as db_module  # noqa: E402
from crm_app.auth import passwords  # noqa: E402
from crm_app.db import make_engine  # noqa: E402
from crm_app.settings import get_settings  # noqa: E402

# The browser tests run last; a test that leaves an event loop running fails (suite_guards.py).
pytest_plugins = ["suite_guards"]


# --- argon2 at a test strength ---
# argon2id with the production parameters (64 MiB, 3 passes, 4 lanes) costs 0.1-0.8 s a hash or
# a verification on this machine; the suite did ~180 of them in process (~55 s). Tests hash and
# verify with the same algorithm at the lowest strength instead (~1 ms), as Django's test
# settings do with their fast hasher; the tests marked ``real_argon2`` (the hash format and the
# timing tests, whose point is that a verification is expensive) get the production hasher and
# production-strength fixture users. Processes the tests start use the production hasher.
PRODUCTION_ARGON2 = passwords._hasher
TEST_ARGON2 = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
_DUMMIES: dict[int, str] = {}


def _dummy_hash() -> str:
    """``passwords._dummy_hash`` (what an unknown email is verified against), per strength."""
    key = id(passwords._hasher)
    if key not in _DUMMIES:
        _DUMMIES[key] = passwords._hasher.hash("not-a-real-password-0f3c9a")
    return _DUMMIES[key]


passwords._hasher = TEST_ARGON2
passwords._dummy_hash = _dummy_hash


@pytest.fixture(autouse=True)
def _argon2_strength(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.node.get_closest_marker("real_argon2"):
        monkeypatch.setattr(passwords, "_hasher", PRODUCTION_ARGON2)


@pytest.fixture(scope="session")
def _empty_schema() -> Path:
    """The empty schema file (``factories.empty_schema``) the ``engine`` fixture copies."""
    return empty_schema()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything alive after collection (Reflex, SQLAlchemy, FastAPI, pydantic, every
    model and page: millions of objects that live as long as the process) out of the cyclic
    collector's reach. Each full collection walked all of them again: 18 collections took 18 s
    of a 100-s run of two API test modules. Objects made later are collected as usual, the
    young ones less often (a test makes hundreds of thousands of short-lived objects; the
    default threshold of 700 ran the collector thousands of times per module)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """No test starts with an event loop running on the main thread: one left by an earlier
    test (Playwright's sync API keeps one running while it is open) makes every later
    ``asyncio.run`` fail far from its cause. Say where instead."""
    if asyncio.events._get_running_loop() is not None and "tests/ui/" not in str(item.path):
        pytest.fail("Un test anterior dejó un bucle de eventos en marcha en el hilo principal "
                    "(¿Playwright sin cerrar?): cerrar lo que lo abrió al terminar.")


@pytest.fixture
def engine(tmp_path: Path, _empty_schema: Path) -> Iterator[Engine]:
    """A fresh SQLite database for one test (a copy of the empty schema), installed as the
    app's engine too."""
    shutil.copyfile(_empty_schema, tmp_path / "test.db")
    eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    db_module.get_engine.cache_clear()
    previous = db_module.get_engine
    db_module.get_engine = lambda: eng  # type: ignore[assignment]
    try:
        yield eng
    finally:
        db_module.get_engine = previous  # type: ignore[assignment]
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def people(session: Session) -> People:
    return make_people(session)


@pytest.fixture(scope="session")
def settings():  # noqa: ANN201
    return get_settings()


@pytest.fixture(autouse=True)
def _fresh_login_throttle() -> None:
    """Each test starts with an empty in-process login throttle (attempt windows and the
    decoy locks of unknown emails), as a freshly started server does."""
    from crm_app.auth.throttle import get_login_throttle, get_reset_throttle

    get_login_throttle.cache_clear()
    get_reset_throttle.cache_clear()


# --- PostgreSQL: a throwaway server from Debian's packages, one per test session ---


@pytest.fixture(scope="session")
def pg_server():  # noqa: ANN201
    """The running throwaway PostgreSQL server (see tests/pg.py).

    Missing binaries: skip with the install hint, but fail under CI (``make test`` installs
    ``postgresql``, so a missing server there is a broken setup, not an optional test).
    """
    from pg import start_or_skip

    server = start_or_skip()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server) -> str:  # noqa: ANN001
    """``postgresql+psycopg://`` URL of an empty database on the throwaway server."""
    return pg_server.create_database("crm_test")


@pytest.fixture
def pg_session(pg_server, request: pytest.FixtureRequest) -> Iterator[Session]:  # noqa: ANN001
    """A session on a fresh database of the throwaway server (named after the test module),
    its tables made from the models; the tables are dropped afterwards."""
    url = pg_server.create_database("crm_" + request.module.__name__.removeprefix("test_"))
    eng = make_engine(url)
    SQLModel.metadata.create_all(eng)
    try:
        with Session(eng, expire_on_commit=False) as s:
            yield s
    finally:
        SQLModel.metadata.drop_all(eng)
        eng.dispose()


# --- Redis: a throwaway server from Debian's packages, one per test session ---


@pytest.fixture(scope="session")
def redis_server():  # noqa: ANN201
    """The running throwaway Redis server (see tests/redis_server.py); skips without the
    binary, fails under CI (``make test`` installs ``redis-server``)."""
    from redis_server import start_or_skip

    server = start_or_skip()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:  # noqa: ANN001
    """URL of the throwaway Redis, emptied for this test."""
    redis_server.flush()
    return redis_server.url


# --- the analytics dataset (tests/analytics_data.py): built once, read by many modules ---


@pytest.fixture(scope="session")
def analytics_world(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """``analytics_data.World``: the hand-computed dataset in a migrated SQLite file, with
    tokens and a snapshot. Read-only: a test that changes rows builds its own."""
    from analytics_data import build_world

    world = build_world(tmp_path_factory.mktemp("analytics-world"))
    try:
        yield world
    finally:
        world.engine.dispose()
