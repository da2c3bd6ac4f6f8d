"""What the process table says, read with ``ps`` independently of the code under test.

The supervisor tests ask "is anything of this process group still alive?" through here rather
than through the supervisor's own helpers, so a bug there cannot hide a leftover process.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


def processes() -> list[tuple[int, int, int, str, str]]:
    """(pid, ppid, pgid, state, command) of every process; zombies included."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,pgid=,stat=,args="], capture_output=True,
                         text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 4)
        if len(parts) >= 4:
            rows.append((int(parts[0]), int(parts[1]), int(parts[2]), parts[3],
                         parts[4] if len(parts) > 4 else ""))
    return rows


def live_members(pgid: int) -> list[tuple[int, str]]:
    """(pid, command) of the processes of group ``pgid`` that are not zombies."""
    return [(pid, cmd) for pid, _ppid, group, state, cmd in processes()
            if group == pgid and not state.startswith("Z")]


def pid_alive(pid: int) -> bool:
    return any(p == pid and not state.startswith("Z") for p, _pp, _g, state, _c in processes())


def wait_until(what: str, predicate: Callable[[], bool], timeout: float = 30.0,
               step: float = 0.1, on_wait: Callable[[], None] | None = None) -> None:
    """Poll ``predicate`` (calling ``on_wait`` between polls) or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        if on_wait is not None:
            on_wait()
        time.sleep(step)
