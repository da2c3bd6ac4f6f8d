"""A real HTTP server for the API tests: uvicorn in a subprocess serving ``build_api()``.

``prepare_database`` gives a database migrated to head (a new SQLite file is a copy of one
migrated once per test process); ``ApiServer`` starts ``uvicorn --factory
crm_app.api.app:build_api`` on a free port with ``CRM_DATA_DIR``/``CRM_DATABASE_URL`` pointing at
it, waits for ``/api/health`` and stops the process on ``stop()``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlmodel import Session
from throwaway import stop_process

from alembic import command
from crm_app.db import make_engine
from crm_app.settings import PROJECT_ROOT


def upgrade_head(url: str) -> None:
    """``alembic upgrade head`` on ``url`` with the project's alembic.ini."""
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, "head")


_MIGRATED: list[Path] = []  # an empty SQLite file at head, made once per test process


def _migrated_sqlite() -> Path:
    if not _MIGRATED:
        path = Path(tempfile.mkdtemp(prefix="crm-migrated-")) / "head.db"
        upgrade_head(f"sqlite:///{path}")
        with closing(sqlite3.connect(path)) as conn:  # all in the file, nothing in the WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _MIGRATED.append(path)
    return _MIGRATED[0]


def prepare_database(url: str) -> None:
    """A database migrated to head at ``url``: ``alembic upgrade head``, except that a new
    SQLite file is a copy of one file migrated once per test process (~4 ms instead of
    ~0.2 s of Alembic). The migrations themselves are tested in test_migrations.py."""
    parsed = make_url(url)
    path = Path(parsed.database or "")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not path.exists():
        shutil.copyfile(_migrated_sqlite(), path)
        return
    upgrade_head(url)


@contextmanager
def migrated_session(url: str) -> Iterator[Session]:
    """A session on ``url`` after ``prepare_database``, for the rows a test starts with;
    committed by the caller, the engine disposed on the way out."""
    prepare_database(url)
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            yield session
    finally:
        engine.dispose()


def server_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data_dir), CRM_DATABASE_URL=database_url, CRM_ENV="test")
    env.update(extra)
    return env


class ApiServer:
    factory = "crm_app.api.app:build_api"

    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.extra_env = env
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = data_dir / "uvicorn.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> ApiServer:
        if importlib.util.find_spec("uvicorn") is None:
            raise RuntimeError("uvicorn is not installed in the venv: it must be in pyproject.toml "
                               "and requirements.lock (make setup installs from them)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # The listening socket is bound here and handed over (--fd), so no other process can
        # take the port between choosing it and uvicorn binding it.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        log = self.log_path.open("wb")
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", self.factory,
                 "--fd", str(sock.fileno()), "--log-level", "warning"],
                cwd=PROJECT_ROOT,
                env=server_env(self.data_dir, self.database_url, **self.extra_env),
                stdout=log, stderr=subprocess.STDOUT, pass_fds=[sock.fileno()],
            )
        finally:
            log.close()
            sock.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"uvicorn exited ({self.proc.returncode}):\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/api/health", timeout=10).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"uvicorn did not become healthy in {timeout} s:\n{self.log()}")

    def assert_alive(self) -> None:
        """Fail with the server's own output rather than a bare "connection refused"."""
        assert self.proc is not None, "server not started"
        code = self.proc.poll()
        assert code is None, f"uvicorn exited with {code}:\n{self.log()}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


class ReflexBackendServer(ApiServer):
    """The whole web process as ``crm run`` starts it (the Reflex app with the API mounted in
    it: CORS, the ``/_event`` websocket, ``/_upload``), without the frontend build, which a
    backend test does not need (Reflex's compile step is skipped, as ``crm run`` does after
    building the frontend once)."""

    factory = "crm_app.crm_app:app"

    def __init__(self, data_dir: Path, database_url: str, **env: str) -> None:
        reflex_env = {"REFLEX_ENV_MODE": "prod", "__REFLEX_SKIP_COMPILE": "true",
                      "REFLEX_WEB_WORKDIR": str(data_dir / "web"),
                      "REFLEX_STATES_WORKDIR": str(data_dir / "states"),
                      "REFLEX_TELEMETRY_ENABLED": "false"}
        super().__init__(data_dir, database_url, **{**reflex_env, **env})

    def start(self, timeout: float = 180) -> ReflexBackendServer:
        super().start(timeout)
        return self
