"""A throwaway PostgreSQL server for the tests, from Debian's ``postgresql`` package.

``PostgresServer`` runs ``initdb`` into a temporary directory (trust auth, no fsync), starts
``postgres`` on a free local port with its unix socket inside that directory, hands out
``postgresql+psycopg://`` URLs for databases it creates, and stops and deletes everything on
``stop()``. As root it runs the server as the ``postgres`` user (PostgreSQL refuses root).

Used by the session-scoped ``pg_url`` fixture in ``tests/conftest.py``.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import throwaway
from throwaway import free_port

INSTALL_HINT = (
    "PostgreSQL server binaries not found (looked for initdb/pg_ctl in $CRM_TEST_PG_BINDIR, "
    "under /usr/lib/postgresql/*/bin and on PATH). Install them with: "
    "apt-get install -y postgresql  (make test does this when run as root)."
)


class PostgresUnavailable(RuntimeError):
    """The binaries are missing; the fixture skips, or fails under CI."""


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<major>/bin`` with initdb and pg_ctl, else PATH.

    ``CRM_TEST_PG_BINDIR`` names the directory explicitly (a non-existent one simulates a
    machine without PostgreSQL).
    """
    override = os.environ.get("CRM_TEST_PG_BINDIR")
    if override:
        d = Path(override)
        return d if (d / "initdb").exists() and (d / "pg_ctl").exists() else None
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True,
    )
    for directory in candidates:
        d = Path(directory)
        if (d / "initdb").exists() and (d / "pg_ctl").exists():
            return d
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


class PostgresServer:
    def __init__(self, bin_dir: Path | None = None) -> None:
        found = bin_dir or find_bin_dir()
        if found is None:
            raise PostgresUnavailable(INSTALL_HINT)
        self.bin_dir = found
        self.base = Path(tempfile.mkdtemp(prefix="crm-pg-"))
        self.data_dir = self.base / "data"
        self.socket_dir = self.base / "run"
        self.log_file = self.base / "postgres.log"
        self.port = 0
        self.user = "postgres"  # the database superuser created by initdb
        self._run_as: str | None = None
        self._started = False

    # --- running commands as the right OS user ---

    def _prepare_owner(self) -> None:
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable(
                    "running as root but there is no 'postgres' OS user to run the server as"
                ) from exc
            self._run_as = "postgres"
            for path in (self.base, self.socket_dir):
                os.chown(path, pw.pw_uid, pw.pw_gid)
            self.base.chmod(0o700)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        kwargs: dict = {}
        if self._run_as:
            pw = pwd.getpwnam(self._run_as)
            kwargs.update(user=pw.pw_uid, group=pw.pw_gid, extra_groups=[])
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8",
               "LANG": "C.UTF-8", "HOME": str(self.base)}
        result = subprocess.run(list(args), cwd=self.base, env=env, capture_output=True,
                                text=True, timeout=timeout, check=False, **kwargs)
        if result.returncode != 0:
            log = self.log_file.read_text(errors="replace")[-3000:] if self._readable_log() else ""
            raise RuntimeError(
                f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n"
                f"{result.stderr}\n{log}"
            )
        return result

    def _readable_log(self) -> bool:
        try:
            return self.log_file.exists()
        except OSError:
            return False

    # --- lifecycle ---

    def start(self, attempts: int = 3) -> PostgresServer:
        self._prepare_owner()
        self._run(str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", self.user,
                  "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")
        last_error: Exception | None = None
        for _ in range(attempts):  # the free port can be taken between probe and bind
            self.port = free_port()
            options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                       f"-c unix_socket_directories={self.socket_dir} "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                       "-c max_connections=50 -c shared_buffers=32MB")
            try:
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-l",
                          str(self.log_file), "-o", options, "-w", "-t", "60", "start")
            except RuntimeError as exc:
                last_error = exc
                continue
            self._started = True
            atexit.register(self.stop)
            return self
        raise RuntimeError(f"PostgreSQL did not start: {last_error}")

    def stop(self) -> None:
        if self._started:
            self._started = False
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                          "-w", "-t", "30", "stop")
        shutil.rmtree(self.base, ignore_errors=True)

    # --- databases ---

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create (or re-create, empty) database ``name`` and return its SQLAlchemy URL."""
        import psycopg

        deadline = time.monotonic() + 30
        while True:
            try:
                conn = psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                                       dbname="postgres", autocommit=True, connect_timeout=5)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        with conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_or_skip() -> PostgresServer:
    """Start a server for the test session; without binaries skip, or fail when ``CI`` is set
    (see ``throwaway.start_or_skip``)."""
    return throwaway.start_or_skip(lambda: PostgresServer().start(), PostgresUnavailable,
                                   "PostgreSQL")
