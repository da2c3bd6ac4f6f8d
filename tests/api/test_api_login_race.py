"""Parallel password guessing over real HTTP (issue 10, part 2), on SQLite and PostgreSQL.

The lockout counter used to be read-modify-write in Python: 30 parallel wrong passwords
left ``failed_logins=3`` and no lock; 200 guesses over 40 threads got 60 checked before the
lock. Now, however many guesses run at once, exactly ``login_max_failures - 1`` are answered
"wrong password", every other one sees the lock, and the right password is refused until the
lock expires.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
import uvicorn
from factories import FIXTURE_PASSWORD, make_people
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, select
from throwaway import free_port

from crm_app.api import deps
from crm_app.api.app import build_api
from crm_app.db import make_engine
from crm_app.models import AuditEvent, User, utcnow
from crm_app.settings import get_settings

pytestmark = [pytest.mark.slow, pytest.mark.real_argon2]  # the logins race on argon2's cost

EMAIL = "comercial1@test.crm"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_under_test(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # noqa: ANN001
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    else:
        url = request.getfixturevalue("pg_server").create_database("crm_login_race")
        eng = create_engine(url, pool_size=45, max_overflow=0, pool_timeout=120)
    SQLModel.metadata.create_all(eng)
    with Session(eng) as s:
        make_people(s)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def server(engine_under_test: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """build_api() under uvicorn in this process, on the engine under test. Logins run 40 at
    a time (``login_concurrency``; production allows half the cores per process, and several
    processes share one database), so the guesses really race in the database."""
    monkeypatch.setattr(get_settings(), "login_concurrency", 40)
    api = build_api()

    def session_for_test() -> Iterator[Session]:
        with Session(engine_under_test, expire_on_commit=False) as s:
            yield s

    api.dependency_overrides[deps.get_session] = session_for_test
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(api, host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="off", backlog=256))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def attempt(base: str, password: str) -> httpx.Response:
    return httpx.post(f"{base}/auth/login", data={"email": EMAIL, "password": password},
                      headers={"Accept": "application/json"}, timeout=300)


def storm(base: str, guesses: int, threads: int) -> list[httpx.Response]:
    """``guesses`` wrong passwords from ``threads`` threads released at the same instant."""
    gate = threading.Barrier(threads)

    def worker(i: int) -> list[httpx.Response]:
        gate.wait()
        return [attempt(base, f"mala-{i}-{n}") for n in range(i, guesses, threads)]

    with ThreadPoolExecutor(threads) as pool:
        return [r for batch in pool.map(worker, range(threads)) for r in batch]


@pytest.mark.parametrize(("guesses", "threads"), [(30, 30), (200, 40)],
                         ids=["30-parallel", "200-over-40-threads"])
def test_parallel_guesses_lock_the_account(server: str, engine_under_test: Engine,
                                           guesses: int, threads: int) -> None:
    settings = get_settings()
    started = utcnow()
    answers = storm(server, guesses, threads)
    assert len(answers) == guesses
    assert {r.status_code for r in answers} == {401}, {r.status_code for r in answers}
    plain = [r for r in answers if r.json()["locked"] is False]
    locked = [r for r in answers if r.json()["locked"] is True]
    # exactly the failures below the threshold were told "wrong password"; all others: locked
    assert len(plain) == settings.login_max_failures - 1
    assert len(locked) == guesses - len(plain)
    # and now the right password is refused, with no cookie
    right = attempt(server, FIXTURE_PASSWORD)
    assert right.status_code == 401 and right.json()["locked"] is True
    assert "crm_session" not in right.headers.get("set-cookie", "")
    with Session(engine_under_test) as s:
        user = s.exec(select(User).where(User.email == EMAIL)).one()
        lock = user.locked_until - started
        assert timedelta(minutes=settings.login_lock_minutes) - timedelta(seconds=1) <= lock
        assert lock <= timedelta(minutes=settings.login_lock_minutes, seconds=120)
        locks = s.exec(select(AuditEvent).where(AuditEvent.action == "locked")).all()
        assert [e.entity_id for e in locks] == [user.id]  # locked once, audited once
        # when the lock has passed (moved into the past rather than waiting), it works again
        user.locked_until = utcnow() - timedelta(seconds=1)
        s.add(user)
        s.commit()
    ok = attempt(server, FIXTURE_PASSWORD)
    assert ok.status_code == 200 and ok.json()["email"] == EMAIL
    with Session(engine_under_test) as s:
        user = s.exec(select(User).where(User.email == EMAIL)).one()
        assert (user.failed_logins, user.locked_until) == (0, None)



def test_a_flood_from_many_addresses_queues_logins_not_the_app(
        server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """40 connections of wrong passwords for 40 different unknown emails: no per-IP or
    per-account window applies, every attempt costs one argon2 verification. The logins wait
    for their turn (one at a time here) in the event loop; /api/health does not wait for them.
    Before, each login held one of the 40 pool threads /api/health needs, and health answered
    only as fast as the logins did."""
    monkeypatch.setattr(get_settings(), "login_concurrency", 1)
    gate = threading.Barrier(41)
    logins: list[float] = []
    health: list[float] = []
    done = threading.Event()

    def guess(i: int) -> None:
        gate.wait()
        start = time.perf_counter()
        httpx.post(f"{server}/auth/login", data={"email": f"bot{i}@x.es", "password": "x" * 12},
                   headers={"Accept": "application/json"}, timeout=300)
        logins.append(time.perf_counter() - start)

    def probe() -> None:
        gate.wait()
        time.sleep(0.2)  # the storm is queued by now
        with httpx.Client(base_url=server, timeout=300) as c:
            while not done.is_set():  # only probes sent while logins are still in flight
                start = time.perf_counter()
                assert c.get("/api/health").status_code == 200
                health.append(time.perf_counter() - start)
                time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    with ThreadPoolExecutor(40) as pool:
        list(pool.map(guess, range(40)))
    done.set()
    prober.join(300)
    assert health, "no health probe answered during the storm"
    # every health probe sent during the storm answered in a fraction of what a login took
    assert max(health) < statistics.median(logins) / 4, (health, logins)
