"""The port of a browser-test session's app: claimed for the whole session, or a clear failure.

Two ways the tests used to end up driving an app that was not theirs ("address already in
use" in app.log, then confusing failures): two test sessions on one port both found it free
(the first one spends minutes building the frontend before it binds), or something already
answered there — a leftover app of an earlier session — and the health check took its
answer for ours. So a session takes a lock on its port for as long as it runs, refuses a port
something already listens on, and trusts the app only once the process listening on the port
is one ``crm run`` started. Linux only (``/proc``), like the rest of the browser tests.
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

from crm_app.cli.run import healthy

LOCK_DIR = Path(tempfile.gettempdir())  # shared by every worktree of the machine


class PortBusy(Exception):
    """The port cannot be this session's: the message says who has it and what to do."""


class StartFailed(Exception):
    """The session's app did not come up as its own: the message says why."""


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def claim(port: int, *, where: str = "") -> IO[str]:
    """Lock ``port`` for this session and check nothing listens on it yet.

    The lock (``flock`` on a file per port in the system temp dir) lasts until the returned
    file is closed or the process ends, even killed, so a crashed session never leaves it
    behind. ``where`` (e.g. the worktree) is written in the file for the next one's message.
    """
    lock = (LOCK_DIR / f"crm-ui-test-{port}.lock").open("a+", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise PortBusy(f"El puerto {port} lo usa otra sesión de tests de navegador ({holder}). "
                       "Espera a que termine o usa otro puerto: CRM_TEST_PORT=<número>."
                       ) from None
    if not port_free(port):
        lock.close()
        raise PortBusy(f"El puerto {port} ya está en uso ({describe(listener_pid(port))}): "
                       "¿una aplicación que quedó de otra sesión? Párala o usa otro puerto: "
                       "CRM_TEST_PORT=<número>.")
    lock.seek(0)
    lock.truncate()
    lock.write(f"pid {os.getpid()} {where}".strip())
    lock.flush()
    return lock


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:  # 0A = LISTEN
                inodes.add(inode)
    return inodes


def listener_pid(port: int) -> int | None:
    """The process listening on ``port`` (``None``: nobody, or not one of this user's)."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    if not sockets:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in sockets for fd in (proc / "fd").iterdir()):
                return int(proc.name)
        except OSError:  # gone, or another user's
            continue
    return None


def descends_from(pid: int, ancestor: int) -> bool:
    """Whether ``pid`` is ``ancestor`` or one of its descendants (children, grandchildren…)."""
    while pid > 1:
        if pid == ancestor:
            return True
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            return False
        pid = int(stat.rsplit(")", 1)[1].split()[1])  # the field after the command: ppid
    return False


def describe(pid: int | None) -> str:
    """``pid 123: python -m uvicorn …`` — what is listening, for a failure's message."""
    if pid is None:
        return "un proceso de otro usuario o que ya terminó"
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        cmd = "?"
    return f"pid {pid}: {cmd[:160]}"


def _tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-4000:]
    except OSError:
        return ""


def wait_until_serving(proc: subprocess.Popen, port: int, *, log: Path, timeout: float,
                       poll: float = 1.0) -> None:
    """Wait until the app ``proc`` started answers on ``port`` — it, not whatever else may
    listen there: a listener that is not ``proc`` or one of its children fails at once (the
    app's own web process would be failing with "address already in use")."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise StartFailed("crm run terminó antes de tiempo:\n" + _tail(log))
        pid = listener_pid(port)
        if pid is not None and not descends_from(pid, proc.pid):
            raise StartFailed(
                f"Otro proceso escucha en el puerto {port} ({describe(pid)}), no la aplicación "
                "de esta sesión: párala o usa otro puerto (CRM_TEST_PORT=<número>).\n"
                + _tail(log))
        if pid is not None and healthy(f"http://127.0.0.1:{port}/api/health"):
            return
        if time.monotonic() > deadline:
            raise StartFailed(f"la aplicación no arrancó en {timeout / 60:.0f} minutos:\n"
                              + _tail(log))
        time.sleep(poll)


__all__ = [
    "PortBusy",
    "StartFailed",
    "claim",
    "descends_from",
    "describe",
    "listener_pid",
    "port_free",
    "wait_until_serving",
]
