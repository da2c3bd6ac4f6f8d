"""A throwaway Redis server for the tests, from Debian's ``redis-server`` package.

No persistence, a free local port, its files in a temporary directory; ``stop()`` ends it.
Without the binary the fixture skips, or fails under CI (``make test`` installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "redis-server not found: apt-get install -y redis-server (make test does this)."


class RedisServer:
    def __init__(self) -> None:
        binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None)
        if binary is None:
            raise FileNotFoundError(INSTALL_HINT)
        self.binary = binary
        self.base = Path(tempfile.mkdtemp(prefix="crm-redis-"))
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, attempts: int = 3) -> RedisServer:
        for _ in range(attempts):  # the free port can be taken between probe and bind
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
            self.proc = subprocess.Popen(
                [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.base), "--daemonize", "no"],
                stdout=(self.base / "redis.log").open("wb"), stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                with contextlib.suppress(OSError), socket.create_connection(
                        ("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
                time.sleep(0.05)
            self.stop(remove=False)
        raise RuntimeError("redis-server did not start: "
                           + (self.base / "redis.log").read_text(errors="replace")[-2000:])

    def stop(self, remove: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
        if remove:
            shutil.rmtree(self.base, ignore_errors=True)


def start_or_skip() -> RedisServer:
    import pytest

    try:
        return RedisServer().start()
    except FileNotFoundError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but Redis is unavailable: {exc}", pytrace=False)
        pytest.skip(str(exc))
