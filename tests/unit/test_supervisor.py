"""The supervisor of ``crm run`` with small real Python child processes.

Each child is a real process in its own process group; the tests kill them with real signals
and read the process table with ``ps`` (``tests/proc_tools.py``), not with the supervisor's own
helpers. ``supervised_app.py`` runs ``serve()`` — the loop ``crm run`` uses — as a separate
process so SIGTERM/SIGINT reach it exactly as they reach ``crm run``.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from proc_tools import live_members, pid_alive, wait_until

from crm_app.cli.supervisor import Child, Supervisor

PY = sys.executable
TESTS = Path(__file__).resolve().parent.parent

# Appends "<pid> <monotonic time>" to argv[1] on every start, then sleeps.
STAMP_AND_SLEEP = ("import os, sys, time\n"
                   "with open(sys.argv[1], 'a') as f:\n"
                   "    f.write(f'{os.getpid()} {time.monotonic()}\\n')\n"
                   "time.sleep(600)\n")
# Starts a grandchild in its own (inherited) process group, writes its pid to argv[1], sleeps.
WITH_GRANDCHILD = ("import subprocess, sys, time\n"
                   "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                   "open(sys.argv[1], 'w').write(str(p.pid))\n"
                   "time.sleep(600)\n")
# Same, but both ignore SIGTERM: only SIGKILL stops them.
STUBBORN = ("import signal, subprocess, sys, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import signal, time; "
            "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'])\n"
            "open(sys.argv[1], 'w').write(str(p.pid))\n"
            "time.sleep(600)\n")


def starts(path: Path) -> list[tuple[int, float]]:
    if not path.exists():
        return []
    return [(int(p), float(t)) for p, t in (line.split() for line in path.read_text().split("\n")
                                            if line.strip())]


def read_pid(path: Path) -> int | None:
    text = path.read_text().strip() if path.exists() else ""
    return int(text) if text else None


@pytest.fixture
def supervisors():  # noqa: ANN201
    """Supervisors made by the test; stopped at the end whatever happened."""
    made: list[Supervisor] = []

    def make(children: list[Child], **kwargs: float) -> Supervisor:
        sup = Supervisor(children, **kwargs)
        made.append(sup)
        return sup

    yield make
    for sup in made:
        sup.stop()


def test_a_killed_child_is_restarted_with_its_exit_logged_and_the_other_keeps_running(
        tmp_path: Path, supervisors, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="crm.supervisor")
    a, b = tmp_path / "a.log", tmp_path / "b.log"
    sup = supervisors([Child("worker", [PY, "-c", STAMP_AND_SLEEP, str(a)]),
                       Child("web", [PY, "-c", STAMP_AND_SLEEP, str(b)])],
                      backoff_first=0.2, stable_after=60)
    sup.start()
    wait_until("both children to start", lambda: len(starts(a)) == 1 and len(starts(b)) == 1)
    worker_pid, web_pid = starts(a)[0][0], starts(b)[0][0]
    assert os.getpgid(worker_pid) == worker_pid  # a process group of its own
    assert os.getpgid(web_pid) == web_pid and web_pid != os.getpgid(0)

    os.kill(worker_pid, signal.SIGKILL)
    wait_until("the worker to be started again", lambda: len(starts(a)) == 2, on_wait=sup.check)
    new_pid = starts(a)[1][0]
    assert new_pid != worker_pid and sup.pid("worker") == new_pid
    assert sup.pid("web") == web_pid and pid_alive(web_pid)  # the rest keeps serving
    assert len(starts(b)) == 1
    assert sup.restarts("worker") == 1 and sup.restarts("web") == 0
    messages = [r.getMessage() for r in caplog.records]
    assert any(f"El proceso «worker» (pid {worker_pid}) terminó por la señal SIGKILL "
               "(código -9)" in m for m in messages), messages
    assert any(f"Proceso «worker» arrancado (pid {new_pid})" in m for m in messages)


def test_a_child_that_keeps_failing_is_restarted_with_growing_delays(
        tmp_path: Path, supervisors, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="crm.supervisor")
    log = tmp_path / "starts.log"
    code = ("import os, sys, time\n"
            "with open(sys.argv[1], 'a') as f: f.write(f'{os.getpid()} {time.monotonic()}\\n')\n"
            "sys.exit(3)\n")
    sup = supervisors([Child("flaky", [PY, "-c", code, str(log)])],
                      backoff_first=0.3, backoff_max=1.2, stable_after=60)
    sup.start()
    wait_until("five starts", lambda: len(starts(log)) >= 5, timeout=60, on_wait=sup.check,
               step=0.02)
    times = [t for _pid, t in starts(log)]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # 0.3, 0.6, 1.2, then capped at 1.2 (plus the child's own start-up time)
    for gap, expected in zip(gaps, [0.3, 0.6, 1.2, 1.2], strict=False):
        assert expected <= gap < expected + 1.5, gaps
    assert any("terminó con código 3" in r.getMessage() for r in caplog.records)


def test_the_backoff_starts_over_after_a_child_ran_long_enough(
        tmp_path: Path, supervisors, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="crm.supervisor")
    log = tmp_path / "starts.log"
    sup = supervisors([Child("web", [PY, "-c", STAMP_AND_SLEEP, str(log)])],
                      backoff_first=0.4, stable_after=0.5)
    sup.start()
    wait_until("the first start", lambda: len(starts(log)) == 1)
    for round_ in (1, 2, 3):  # crashes after stable runs: 0.4 s each time, not 0.8, 1.6
        time.sleep(0.6)
        os.kill(starts(log)[-1][0], signal.SIGKILL)
        wait_until("the restart", lambda r=round_: len(starts(log)) == r + 1,
                   on_wait=sup.check, step=0.02)
    delays = [r.getMessage().split("se reinicia en ")[1].split(" s")[0]
              for r in caplog.records if "se reinicia en" in r.getMessage()]
    assert delays == ["0.4", "0.4", "0.4"]


def test_the_group_of_a_dead_child_is_killed_so_nothing_is_orphaned(tmp_path: Path,
                                                                    supervisors) -> None:
    pid_file = tmp_path / "grandchild.pid"
    sup = supervisors([Child("worker", [PY, "-c", WITH_GRANDCHILD, str(pid_file)])],
                      backoff_first=30, grace=1.0)
    sup.start()
    wait_until("the grandchild", lambda: read_pid(pid_file) is not None)
    grandchild, leader = read_pid(pid_file), sup.pid("worker")
    assert grandchild is not None and leader is not None
    assert os.getpgid(grandchild) == leader  # the old `worker --beat` shape: beat in the group
    os.kill(leader, signal.SIGKILL)
    wait_until("the orphaned grandchild to be stopped", lambda: not live_members(leader),
               timeout=10, on_wait=sup.check)
    assert not pid_alive(grandchild)


def test_stop_terminates_every_group_and_kills_what_ignores_sigterm(tmp_path: Path,
                                                                   supervisors,
                                                                   caplog) -> None:
    caplog.set_level(logging.INFO, logger="crm.supervisor")
    polite, stubborn = tmp_path / "polite.pid", tmp_path / "stubborn.pid"
    sup = supervisors([Child("web", [PY, "-c", WITH_GRANDCHILD, str(polite)]),
                       Child("beat", [PY, "-c", STUBBORN, str(stubborn)])], grace=1.0)
    sup.start()
    wait_until("both grandchildren", lambda: read_pid(polite) and read_pid(stubborn))
    groups = [sup.pid("web"), sup.pid("beat")]
    started = time.monotonic()
    sup.stop()
    took = time.monotonic() - started
    for pgid in groups:
        assert pgid is not None and live_members(pgid) == []
    assert not pid_alive(read_pid(polite)) and not pid_alive(read_pid(stubborn))
    assert 1.0 <= took < 5, took  # waited the grace period for the stubborn group, no longer
    assert any("«beat» no paró en 1 s" in r.getMessage() for r in caplog.records)
    sup.check()  # a stopped supervisor restarts nothing
    assert sup.pid("web") is None and sup.pid("beat") is None


def test_a_command_that_cannot_start_is_retried_without_stopping_the_rest(
        tmp_path: Path, supervisors, caplog) -> None:
    caplog.set_level(logging.INFO, logger="crm.supervisor")
    log = tmp_path / "ok.log"
    sup = supervisors([Child("missing", [str(tmp_path / "no-such-program")]),
                       Child("web", [PY, "-c", STAMP_AND_SLEEP, str(log)])],
                      backoff_first=0.1)
    sup.start()
    wait_until("web to start", lambda: len(starts(log)) == 1)
    for _ in range(10):
        sup.check()
        time.sleep(0.05)
    assert sup.pid("missing") is None and sup.pid("web") == starts(log)[0][0]
    assert any("No se pudo arrancar el proceso «missing»" in r.getMessage()
               for r in caplog.records)


# --- the serve() loop as its own process: signals as `crm run` receives them ---


def start_supervised(tmp_path: Path, *children: str) -> tuple[subprocess.Popen, Path]:
    """``supervised_app.py`` with ``name=python-code`` children; its log is returned too."""
    log = tmp_path / "supervisor.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([PY, str(TESTS / "supervised_app.py"), "--python", *children],
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, log


def started_pids(log: Path) -> dict[str, int]:
    """The last pid of each child from the supervisor's "arrancado" lines."""
    found: dict[str, int] = {}
    for line in log.read_text(errors="replace").splitlines():
        if "arrancado (pid" in line:
            name = line.split("«", 1)[1].split("»", 1)[0]
            found[name] = int(line.rsplit("(pid ", 1)[1].rstrip(").\n"))
    return found


def assert_running(proc: subprocess.Popen, log: Path) -> None:
    assert proc.poll() is None, f"the supervisor exited ({proc.returncode}):\n{log.read_text()}"


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP],
                         ids=["sigterm", "ctrl-c", "sighup"])
def test_signalling_the_supervisor_stops_everything_and_leaves_no_process(
        tmp_path: Path, stop_signal: signal.Signals) -> None:
    g1, g2 = tmp_path / "g1.pid", tmp_path / "g2.pid"
    one = WITH_GRANDCHILD.replace("sys.argv[1]", repr(str(g1)))
    two = STUBBORN.replace("sys.argv[1]", repr(str(g2)))
    proc, log = start_supervised(tmp_path, f"one={one}", f"two={two}")
    try:
        wait_until("the children", lambda: read_pid(g1) and read_pid(g2)
                   and len(started_pids(log)) == 2, timeout=30,
                   on_wait=lambda: assert_running(proc, log))
        groups = list(started_pids(log).values())
        os.kill(proc.pid, stop_signal)
        assert proc.wait(timeout=20) == 0, log.read_text()
        for pgid in [*groups, proc.pid]:
            assert live_members(pgid) == [], log.read_text()
        assert not pid_alive(read_pid(g1)) and not pid_alive(read_pid(g2))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


# --- the real children of `crm run`: web (API only, no frontend build), worker, beat ---


@pytest.mark.slow
def test_the_real_worker_killed_comes_back_while_the_web_keeps_answering(
        tmp_path: Path) -> None:
    import threading

    import httpx
    from celery import Celery
    from live_api import prepare_database
    from throwaway import free_port

    data = tmp_path / "data"
    data.mkdir()
    prepare_database(f"sqlite:///{data / 'crm.db'}")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data), CRM_ENV="test")
    log = tmp_path / "supervisor.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([PY, str(TESTS / "supervised_app.py"), "--celery", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    text = lambda: log.read_text(errors="replace")  # noqa: E731
    client = Celery("pytest-client", broker=f"sqla+sqlite:///{data / 'broker.db'}")
    failures: list[str] = []
    polling = threading.Event()

    def poll_health() -> None:
        while polling.is_set():
            try:
                status = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code
                if status != 200:
                    failures.append(str(status))
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            time.sleep(0.1)

    try:
        wait_until("the app and a ready worker", lambda: "listo" in text()
                   and text().count(" ready.") == 1 and "Beat activo" in text(),
                   timeout=180, on_wait=lambda: assert_running(proc, log))
        pids = started_pids(log)
        worker, beat, web = pids["worker"], pids["beat"], pids["web"]
        # beat is no longer a child of the worker: nothing else lives in the worker's group
        assert [pid for pid, _cmd in live_members(worker)] == [worker]
        polling.set()
        poller = threading.Thread(target=poll_health)
        poller.start()
        os.kill(worker, signal.SIGKILL)
        wait_until("a new worker to be ready", lambda: text().count(" ready.") == 2,
                   timeout=180, on_wait=lambda: assert_running(proc, log))
        polling.clear()
        poller.join()
        assert failures == [], failures  # the web answered /api/health the whole time
        assert f"«worker» (pid {worker}) terminó por la señal SIGKILL" in text()
        assert live_members(worker) == []  # nothing of the killed worker is left
        now = started_pids(log)
        assert now["worker"] != worker and now["beat"] == beat and now["web"] == web
        result = client.send_task("crm.core.ping")  # the new worker does the work
        wait_until("the ping to run", lambda: f"crm.core.ping[{result.id}] succeeded" in text(),
                   timeout=60)

        os.kill(proc.pid, signal.SIGTERM)  # what stopping `crm run` does
        assert proc.wait(timeout=60) == 0, text()[-3000:]
        for pgid in [*now.values(), proc.pid]:
            assert live_members(pgid) == [], text()[-3000:]
    finally:
        polling.clear()
        client.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
