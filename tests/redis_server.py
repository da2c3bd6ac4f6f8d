"""A throwaway Redis server for the tests, from Debian's ``redis-server`` package.

``RedisServer`` starts ``redis-server`` on a free local port with no persistence, in a
temporary directory, and stops it on ``stop()``. Used by the session-scoped ``redis_url``
fixture in ``tests/conftest.py`` (the login throttle's shared store).
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import throwaway
from throwaway import free_port, stop_process

INSTALL_HINT = ("redis-server not found on PATH. Install it with: apt-get install -y "
                "redis-server  (make test does this when run as root).")


class RedisUnavailable(RuntimeError):
    """The binary is missing; the fixture skips, or fails under CI."""


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisUnavailable(INSTALL_HINT)
        self.binary = binary
        self.base = Path(tempfile.mkdtemp(prefix="crm-redis-"))
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, attempts: int = 3) -> RedisServer:
        for _ in range(attempts):  # the free port can be taken between probe and bind
            self.port = free_port()
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.base), "--daemonize", "no"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.base)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and self.proc.poll() is None:
                with contextlib.suppress(OSError), socket.create_connection(
                        ("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        atexit.register(self.stop)
                        return self
                time.sleep(0.05)
            self.stop()
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def flush(self) -> None:
        import redis

        redis.Redis.from_url(self.url).flushall()


def start_or_skip() -> RedisServer:
    """Start a server; without the binary skip, or fail when ``CI`` is set."""
    return throwaway.start_or_skip(lambda: RedisServer().start(), RedisUnavailable, "Redis")
