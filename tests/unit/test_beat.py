"""Single beat: two beats for one deployment never both schedule.

Real ``celery beat`` processes on a real data dir (and a real Redis for the multi-machine
case). ``beat_with_ping.py`` adds a one-second entry so each beat's sending shows in its log;
the documented commands (``celery -A crm_app.worker.app:celery_app beat``, ``worker --beat``)
run unchanged.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from proc_tools import wait_until

from crm_app.settings import PROJECT_ROOT
from crm_app.worker.beat import BeatLock, LockLost, redis_key

PY = sys.executable
TESTS = Path(__file__).resolve().parent.parent
SENT = "Sending due task pytest-ping"
WAITING = "Ya hay otro beat activo para estos datos"
ACTIVE = "Beat activo: este proceso"


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(argv, cwd=PROJECT_ROOT, env=env, stdout=out,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def sent(self) -> int:
        return self.log().count(SENT)

    def alive(self) -> None:
        assert self.proc.poll() is None, f"exited with {self.proc.returncode}:\n{self.log()}"

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            self.proc.wait(timeout=30)


@pytest.fixture
def procs() -> Iterator[list[Proc]]:
    started: list[Proc] = []
    yield started
    for p in started:
        p.kill()


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data_dir), CRM_ENV="test", **extra)
    return env


def ping_beat(procs: list[Proc], tmp_path: Path, name: str, env: dict[str, str]) -> Proc:
    p = Proc([PY, str(TESTS / "beat_with_ping.py")], env, tmp_path / f"{name}.log")
    procs.append(p)
    return p


def test_the_file_lock_admits_one_holder_and_is_free_again_after_release(tmp_path: Path) -> None:
    path = tmp_path / "celerybeat.lock"
    first, second = BeatLock(path), BeatLock(path)
    assert first.try_acquire() is None
    holder = second.try_acquire()  # flock conflicts between two open files, same process too
    assert holder is not None and f"{path}" in holder and f"pid {os.getpid()}" in holder
    assert first.try_acquire() is None  # re-entrant for its holder
    first.renew()  # no Redis: nothing to renew
    first.release()
    assert second.try_acquire() is None
    assert path.read_text().strip() == str(os.getpid())
    second.release()
    assert path.read_text() == ""


def test_the_redis_key_names_the_database_without_its_password() -> None:
    a = redis_key("postgresql+psycopg://crm:secreta@db/crm")
    assert a == redis_key("postgresql+psycopg://crm:otra@db/crm")  # same deployment
    assert a != redis_key("postgresql+psycopg://crm:secreta@db/otra")
    assert a.startswith("crm:beat:") and "secreta" not in a


def test_a_redis_lock_that_expires_is_lost_and_taken_by_the_other_node(
        tmp_path: Path, redis_url: str) -> None:
    key = redis_key(f"sqlite:///{tmp_path / 'shared.db'}")
    node_a = BeatLock(tmp_path / "a.lock", redis_url=redis_url, key=key, ttl=1)
    node_b = BeatLock(tmp_path / "b.lock", redis_url=redis_url, key=key, ttl=1)
    try:
        assert node_a.try_acquire() is None
        assert node_b.try_acquire() == f"bloqueo de Redis {key}"
        node_a.renew()  # renewing in time keeps it
        time.sleep(0.6)
        node_a.renew()
        time.sleep(0.6)
        assert node_b.try_acquire() is not None  # 1.2 s after taking it, still A's
        time.sleep(1.2)  # A stalls past the expiry
        assert node_b.try_acquire() is None
        with pytest.raises(LockLost):
            node_a.renew()  # A must stop scheduling
        assert node_a.try_acquire() == f"bloqueo de Redis {key}"
    finally:
        node_a.release()
        node_b.release()


@pytest.mark.slow
def test_a_second_beat_on_the_same_data_dir_waits_and_takes_over_when_the_first_dies(
        tmp_path: Path, procs: list[Proc]) -> None:
    env = env_for(tmp_path / "data")
    first = ping_beat(procs, tmp_path, "first", env)
    wait_until("the first beat to send", lambda: first.sent() >= 2, timeout=90,
               on_wait=first.alive)
    second = ping_beat(procs, tmp_path, "second", env)
    wait_until("the second beat to start", lambda: "beat: Starting..." in second.log(),
               timeout=90, on_wait=second.alive)
    sent_before = first.sent()
    time.sleep(4)  # four of the first beat's ticks: the second must not send one
    assert first.sent() >= sent_before + 2, first.log()
    assert second.sent() == 0, second.log()
    assert WAITING in second.log() and ACTIVE not in second.log()
    assert f"pid {first.proc.pid}" in second.log()  # it says who holds the lock

    first.kill(signal.SIGKILL)  # no chance to clean up: the kernel drops the flock
    wait_until("the second beat to take over", lambda: second.sent() >= 2, timeout=30,
               on_wait=second.alive)
    assert ACTIVE in second.log()


@pytest.mark.slow
def test_the_documented_beat_command_and_an_embedded_worker_beat_exclude_each_other(
        tmp_path: Path, procs: list[Proc]) -> None:
    from live_api import prepare_database

    data = tmp_path / "data"
    data.mkdir()
    prepare_database(f"sqlite:///{data / 'crm.db'}")
    env = env_for(data)
    celery = [PY, "-m", "celery", "-A", "crm_app.worker.app:celery_app"]
    beat = Proc([*celery, "beat", "--loglevel=INFO"], env, tmp_path / "beat.log")
    procs.append(beat)
    wait_until("the documented beat to hold the lock", lambda: ACTIVE in beat.log(),
               timeout=90, on_wait=beat.alive)
    worker = Proc([*celery, "worker", "--beat", "--pool=solo", "--loglevel=INFO", "-n",
                   f"pytest-{os.getpid()}@%h", "--without-gossip", "--without-mingle"], env,
                  tmp_path / "worker.log")
    procs.append(worker)
    wait_until("the worker's embedded beat to wait", lambda: WAITING in worker.log(),
               timeout=90, on_wait=worker.alive)
    assert ACTIVE not in worker.log()
    beat.kill(signal.SIGTERM)  # a clean stop releases at once
    wait_until("the embedded beat to take over", lambda: ACTIVE in worker.log(), timeout=30,
               on_wait=worker.alive)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    from redis_server import start_or_skip

    server = start_or_skip()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.mark.slow
def test_beats_on_two_machines_exclude_each_other_through_redis(
        tmp_path: Path, procs: list[Proc], redis_url: str) -> None:
    """Two data dirs (two nodes), one database and one Redis: one beat sends at a time."""
    shared = {"CRM_REDIS_URL": redis_url, "CRM_BEAT_LOCK_SECONDS": "3",
              "CRM_DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}"}
    node_a = ping_beat(procs, tmp_path, "node-a", env_for(tmp_path / "a", **shared))
    wait_until("node A to send", lambda: node_a.sent() >= 2, timeout=90, on_wait=node_a.alive)
    node_b = ping_beat(procs, tmp_path, "node-b", env_for(tmp_path / "b", **shared))
    wait_until("node B to wait", lambda: WAITING in node_b.log(), timeout=90,
               on_wait=node_b.alive)
    assert "bloqueo de Redis crm:beat:" in node_b.log()
    time.sleep(4)
    assert node_b.sent() == 0, node_b.log()

    node_a.kill(signal.SIGKILL)  # the Redis lock is not released: it expires after 3 s
    killed = time.monotonic()
    wait_until("node B to take over", lambda: node_b.sent() >= 1, timeout=30,
               on_wait=node_b.alive)
    assert time.monotonic() - killed < 15
