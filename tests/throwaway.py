"""What the throwaway servers of the tests (PostgreSQL, Redis, uvicorn) share: a free local
port, stopping a child process for sure, and "skip without the binary, fail under CI"."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen | None, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; reaped either way."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def start_or_skip(start: Callable[[], T], unavailable: type[Exception], what: str) -> T:
    """``start()``; when ``unavailable`` is raised (the binary is missing) skip the test, or
    fail when ``CI`` is set: ``make test`` installs the packages, so under CI a missing server
    is a broken setup, not an optional test."""
    import pytest

    try:
        return start()
    except unavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {what} is unavailable: {exc}", pytrace=False)
        pytest.skip(str(exc))
