"""The one harness of the API tests: ``build_api()`` served in this process, or by a real
uvicorn process where the process is the point, behind the same interface.

``serve_api(database_url, data_dir)`` is a context manager that yields an ``Api``:

- ``api.client(who)``: an ``httpx.Client`` (to the app in process, over a socket to the real
  server; other hosts over the network), with ``who``'s personal API token when ``who`` is
  given, redirects not followed, cookies kept between its requests;
- ``api.request(who, method, path, **kw)``: one request with a fresh client;
- ``api.engine``: an engine on the same database, for the test's own reads and writes;
- ``api.people``: the users the test made (``factories.People``), when given to ``serve_api``;
- ``api.log()``: what the server logged (warnings and up).

In process (the default) the app runs as the real process would: ``CRM_DATA_DIR``,
``CRM_DATABASE_URL``, ``CRM_ENV=test`` and any extra ``CRM_*`` settings are set for as long as
the harness is open (and the settings cache is cleared on the way in and out), the app's
database session and ``crm_app.db.get_engine`` point at the database, and an exception in a
route fails the test with its traceback instead of a bare 500. Requests go through httpx's
``ASGITransport`` (the client address is 127.0.0.1, as behind a local proxy), driven from the
synchronous tests by an anyio portal: nothing listens on a socket, so there is no port, no
start-up wait and no second Python process (about 3 s of CPU each). The app itself is built
once per process and per set of allowed origins (the only setting ``build_api`` reads when it
builds): FastAPI prepares each route on the first request that reaches it (about 0.4 s for the
whole API), and a new app per test paid that again in every test.

``real=True`` starts ``uvicorn --factory crm_app.api.app:build_api`` (``live_api.ApiServer``)
instead: for tests of the process itself.
"""

from __future__ import annotations

import io
import logging
import shutil
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import certifi
import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from crm_env import crm_environment
from factories import empty_schema, make_people
from live_api import ApiServer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from crm_app import db as db_module
from crm_app.api import deps
from crm_app.api.app import build_api
from crm_app.db import make_engine
from crm_app.models import User
from crm_app.services import alerts as alert_service
from crm_app.services import auth as auth_service
from crm_app.services.actors import SYSTEM
from crm_app.settings import get_settings

TIMEOUT = 60
# One TLS context for every client the tests make: httpx builds a new one per client by
# default, loading certifi's CA bundle each time (0.1 s of CPU; ``api.request`` makes a client
# per request, and the bundle loads were 17 % of the API tests' time).
_TLS = ssl.create_default_context(cafile=certifi.where())
_APPS: dict[tuple[str, ...], Any] = {}  # allowed origins -> the app built under them


def _app_here() -> Any:
    """``build_api()`` under the settings in place, built once per allowed origins."""
    key = tuple(get_settings().allowed_origins)
    if key not in _APPS:
        _APPS[key] = build_api()
    return _APPS[key]


class InProcessTransport(httpx.BaseTransport):
    """httpx's ``ASGITransport`` (asynchronous only) for a synchronous ``httpx.Client``: each
    request runs on the portal's event loop, as uvicorn would run it."""

    def __init__(self, app: Any, portal: BlockingPortal) -> None:
        self._asgi = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._asgi.handle_async_request(request)
            raw = b"".join([chunk async for chunk in response.aiter_raw()])
            return response.status_code, response.headers.raw, raw

        status, headers, content = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=content)


@dataclass
class Api:
    """A served API (see the module doc)."""

    engine: Engine
    tokens: dict[str, str] = field(default_factory=dict)
    people: Any = None  # the fixture organisation (``factories.People``), if the test made one
    base_url: str = "http://testserver"
    app: Any = None  # the FastAPI app, when in process
    transport: httpx.BaseTransport | None = None  # to the app, when in process
    server: ApiServer | None = None  # the uvicorn process, when real
    _log: io.StringIO = field(default_factory=io.StringIO)

    def client(self, who: str | None = None, **kw: Any) -> httpx.Client:
        headers = dict(kw.pop("headers", {}))
        if who:
            headers["Authorization"] = f"Bearer {self.tokens[who]}"
        kw.setdefault("follow_redirects", False)
        if self.server is not None:
            self.server.assert_alive()
        # Requests to the app's host reach the app; any other URL (an OIDC provider the test
        # runs) goes over the network, as from a browser.
        mounts = {self.base_url: self.transport} if self.transport is not None else None
        kw.setdefault("verify", _TLS)
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=TIMEOUT,
                            mounts=mounts, **kw)

    def request(self, who: str | None, method: str, path: str, **kw: Any) -> httpx.Response:
        with self.client(who) as c:
            return c.request(method, path, **kw)

    def log(self) -> str:
        return self.server.log() if self.server is not None else self._log.getvalue()

    def user(self, email: str) -> User:
        """The user row with ``email``, as the database has it now."""
        with Session(self.engine) as s:
            return s.exec(select(User).where(User.email == email)).one()


def tokens_for(session: Session, users: list[User]) -> dict[str, str]:
    """A personal API token per user, keyed by the local part of the e-mail (``comercial1``)."""
    return {u.email.split("@")[0]: auth_service.create_api_token(session=session, actor=SYSTEM,
                                                                 user=u)
            for u in users}


@contextmanager
def _captured_log(into: io.StringIO) -> Iterator[None]:
    handler = logging.StreamHandler(into)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


@contextmanager
def serve_api(database_url: str, data_dir: Path, *, tokens: dict[str, str] | None = None,
              people: Any = None, real: bool = False, **env: str) -> Iterator[Api]:
    """``build_api()`` over ``database_url`` with ``data_dir`` as ``CRM_DATA_DIR`` and the
    extra settings ``env`` (``CRM_PUBLIC_URL=…``); in this process unless ``real``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(database_url)
    try:
        if real:
            server = ApiServer(data_dir, database_url, **env).start()
            try:
                yield Api(engine=engine, tokens=tokens or {}, people=people,
                          base_url=server.base_url, server=server)
            finally:
                server.stop()
            return
        settings = {"CRM_DATA_DIR": str(data_dir), "CRM_DATABASE_URL": database_url,
                    "CRM_ENV": "test", **env}

        def session_here() -> Iterator[Session]:
            with Session(engine, expire_on_commit=False) as session:
                yield session

        def engine_here() -> Engine:
            return engine

        engine_here.cache_clear = lambda: None  # type: ignore[attr-defined]  # as lru_cache's
        previous = db_module.get_engine
        log = io.StringIO()
        with crm_environment(settings), _captured_log(log), start_blocking_portal() as portal:
            app = _app_here()  # with the settings in place, as the process builds it
            alert_service.set_delivery(None)  # no worker here: alerts stay in the bell
            app.dependency_overrides[deps.get_session] = session_here
            api = Api(engine=engine, tokens=tokens or {}, people=people, app=app,
                      transport=InProcessTransport(app, portal), _log=log)
            db_module.get_engine = engine_here  # type: ignore[assignment]
            try:
                yield api
            finally:
                db_module.get_engine = previous  # type: ignore[assignment]
    finally:
        engine.dispose()


@contextmanager
def serve_with_people(tmp: Path, **env: str) -> Iterator[Api]:
    """A new SQLite file in ``tmp`` (tables from the models) holding the fixture organisation
    (``factories.make_people``, ``api.people``) with a token per user, served in process."""
    url = f"sqlite:///{tmp / 'api.db'}"
    shutil.copyfile(empty_schema(), tmp / "api.db")
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            people = make_people(session)
            tokens = tokens_for(session, people.all())
    finally:
        engine.dispose()
    with serve_api(url, tmp / "data", tokens=tokens, people=people, **env) as api:
        yield api


__all__ = ["Api", "serve_api", "serve_with_people", "tokens_for"]
