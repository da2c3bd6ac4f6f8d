"""The process supervisor of ``crm run``: children that heal, and a stop that leaves nothing.

Why not just ``Popen`` and wait: a child that dies (the Celery worker killed by the OOM killer,
the web process crashing) must come back on its own while the others keep serving, and
stopping must also reach what a child started (a worker's pool or beat process, uvicorn's
helpers) — otherwise a restart finds an orphan still running and the work runs twice.

So every child runs in a process group of its own (``start_new_session``), and that group —
not just the pid — is what gets signalled: when a child dies its leftovers are stopped, and on
stop every group gets SIGTERM and, after ``grace`` seconds, SIGKILL. A dead child is restarted
after a backoff that doubles on each quick failure (``backoff_first`` … ``backoff_max``) and
resets once it has run ``stable_after`` seconds, so a crash loop neither spins nor gives up.

A Linux kernel never hands out a pid that is still some group's id, so signalling a recorded
group id after its leader died can only reach that group's members.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crm_app.i18n import t

log = logging.getLogger("crm.supervisor")

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


@dataclass(frozen=True)
class Child:
    """What to run: a name for the logs, the command, and optionally its env and cwd."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    cwd: Path | None = None


@dataclass
class _Slot:
    child: Child
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    restart_at: float = 0.0
    quick_failures: int = 0
    restarts: int = 0


@dataclass
class _Leftover:
    """A process group whose leader is gone but whose members may still run."""

    name: str
    pgid: int
    kill_at: float
    killed: bool = field(default=False)


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` is still running (zombies do not count).

    Linux: read from /proc, because ``killpg(pgid, 0)`` also succeeds for zombies waiting to be
    reaped by a parent that may never do it (a container's PID 1). Elsewhere: ``killpg``.
    """
    proc_dir = Path("/proc")
    if not (proc_dir / "self" / "stat").exists():
        try:
            os.killpg(pgid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
            return True
    return False


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def describe_exit(code: int) -> str:
    """"con código 3" or "por la señal SIGKILL (código -9)"."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        return t("ops.child.exit_signal", signal=name, code=code)
    return t("ops.child.exit_code", code=code)


class Supervisor:
    """Runs ``children`` and keeps them running until :meth:`stop`.

    Single-threaded: :meth:`check` does one round (reap, clean leftovers, restart what is due)
    and is called in a loop by :meth:`wait_until`; nothing here blocks for long except
    :meth:`stop`, which waits up to ``grace`` seconds.
    """

    def __init__(self, children: Sequence[Child], *, grace: float = 10.0,
                 backoff_first: float = 1.0, backoff_max: float = 60.0,
                 stable_after: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        names = [c.name for c in children]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate child names: {names}")
        self._slots = {c.name: _Slot(c) for c in children}
        self._leftovers: list[_Leftover] = []
        self.grace = grace
        self.backoff_first = backoff_first
        self.backoff_max = backoff_max
        self.stable_after = stable_after
        self._clock = clock
        self._stopping = False
        self.stop_requested = False
        self._previous_handlers: dict[int, object] = {}

    # --- introspection (logs, tests) ---

    def pid(self, name: str) -> int | None:
        """The pid of the running child ``name`` (None while it waits for its restart)."""
        proc = self._slots[name].proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def restarts(self, name: str) -> int:
        return self._slots[name].restarts

    # --- lifecycle ---

    def start(self) -> None:
        self._stopping = False
        for slot in self._slots.values():
            self._spawn(slot)

    def _spawn(self, slot: _Slot) -> None:
        child = slot.child
        try:
            slot.proc = subprocess.Popen(list(child.argv), env=dict(child.env) if child.env
                                         is not None else None, cwd=child.cwd,
                                         start_new_session=True)
        except OSError as exc:
            slot.proc = None
            delay = self._next_delay(slot)
            slot.restart_at = self._clock() + delay
            log.error(t("ops.child.spawn_failed", name=child.name, error=exc, delay=delay))
            return
        slot.started_at = self._clock()
        log.info(t("ops.child.started", name=child.name, pid=slot.proc.pid))

    def _next_delay(self, slot: _Slot) -> float:
        slot.quick_failures += 1
        return min(self.backoff_max, self.backoff_first * 2 ** (slot.quick_failures - 1))

    def check(self) -> None:
        """One round: reap dead children, stop their leftovers, restart those that are due."""
        if self._stopping:
            return
        now = self._clock()
        for slot in self._slots.values():
            proc = slot.proc
            if proc is not None:
                code = proc.poll()
                if code is None:
                    continue
                slot.proc = None
                uptime = now - slot.started_at
                if uptime >= self.stable_after:
                    slot.quick_failures = 0
                delay = self._next_delay(slot)
                slot.restart_at = now + delay
                slot.restarts += 1
                log.warning(t("ops.child.exited", name=slot.child.name, pid=proc.pid,
                              how=describe_exit(code), uptime=uptime, delay=delay,
                              restarts=slot.restarts))
                if group_alive(proc.pid):
                    log.warning(t("ops.child.leftovers", name=slot.child.name, pid=proc.pid))
                    _signal_group(proc.pid, signal.SIGTERM)
                    self._leftovers.append(_Leftover(slot.child.name, proc.pid,
                                                     now + self.grace))
            elif now >= slot.restart_at:
                self._spawn(slot)
        self._reap_leftovers(now)

    def _reap_leftovers(self, now: float) -> None:
        pending = []
        for left in self._leftovers:
            if not group_alive(left.pgid):
                continue
            if now >= left.kill_at and not left.killed:
                _signal_group(left.pgid, signal.SIGKILL)
                left.killed = True
            pending.append(left)
        self._leftovers = pending

    def stop(self) -> None:
        """SIGTERM every group (running or left over), SIGKILL what is alive after ``grace``."""
        self._stopping = True
        groups: dict[int, str] = {left.pgid: left.name for left in self._leftovers}
        procs = []
        for slot in self._slots.values():
            if slot.proc is not None:
                groups[slot.proc.pid] = slot.child.name
                procs.append(slot.proc)
                slot.proc = None
        if groups:
            log.info(t("ops.stopping", count=len(groups)))
        for pgid in groups:
            _signal_group(pgid, signal.SIGTERM)
        deadline = self._clock() + self.grace
        while self._clock() < deadline:
            for proc in procs:
                proc.poll()  # reap, so a finished leader is not counted as alive
            if not any(group_alive(pgid) for pgid in groups):
                break
            time.sleep(0.05)
        for pgid, name in groups.items():
            if group_alive(pgid):
                log.warning(t("ops.stop.forced", name=name, grace=self.grace))
                _signal_group(pgid, signal.SIGKILL)
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        self._leftovers = []

    # --- the loop and the signals that end it ---

    def request_stop(self, *_: object) -> None:
        self.stop_requested = True

    @contextlib.contextmanager
    def stop_on_signals(self) -> Iterator[None]:
        """SIGTERM, SIGINT (Ctrl-C) and SIGHUP (closed terminal) end the loop, then stop()."""
        previous = {sig: signal.signal(sig, self.request_stop) for sig in STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def wait_until(self, predicate: Callable[[], bool], timeout: float | None = None,
                   step: float = 0.25) -> bool:
        """Supervise until ``predicate()`` holds (True), a stop is requested or ``timeout``."""
        deadline = None if timeout is None else self._clock() + timeout
        while not self.stop_requested:
            self.check()
            if predicate():
                return True
            if deadline is not None and self._clock() >= deadline:
                return False
            time.sleep(step)
        return False


def log_to_stderr() -> None:
    """The supervisor's lines on stderr with a timestamp, next to the children's own output."""
    if not any(getattr(h, "_crm_supervisor", False) for h in log.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s [crm run] %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
        handler._crm_supervisor = True  # type: ignore[attr-defined]
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def serve(sup: Supervisor, *, ready: Callable[[], bool], on_ready: Callable[[], None],
          on_timeout: Callable[[], None], ready_timeout: float = 120.0) -> int:
    """Start ``sup``, wait for ``ready``, then supervise until a stop signal; always stop.

    Returns the exit code: 0 after a stop signal, 1 when the app never became ready.
    """
    with sup.stop_on_signals():
        try:
            sup.start()
            if sup.wait_until(ready, timeout=ready_timeout):
                on_ready()
                sup.wait_until(lambda: False)
            elif not sup.stop_requested:
                on_timeout()
                return 1
            return 0
        finally:
            sup.stop()
