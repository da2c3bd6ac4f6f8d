"""Login abuse (issue 10, part 2), at the service and throttle level on a real SQLite DB and,
for the shared store, a real Redis: unknown and locked accounts answered alike, the
per-IP/per-account sliding window checked before argon2, its Redis twin.

The parallel-guessing race over real HTTP (SQLite and PostgreSQL) is in
tests/api/test_api_login_race.py; 429 and Retry-After over HTTP in test_api_login_throttle.py.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from factories import FIXTURE_PASSWORD
from sqlmodel import Session, select

from crm_app.auth.passwords import verify_password
from crm_app.auth.throttle import (
    LoginThrottle,
    MemoryStore,
    RedisStore,
    Throttled,
    get_login_throttle,
    ip_key,
)
from crm_app.models import User, UserSession, utcnow
from crm_app.services import auth as auth_service
from crm_app.services.errors import LoginFailed, LoginThrottled
from crm_app.settings import get_settings


def answer(session: Session, email: str, password: str = "mala-clave", ip: str = "10.0.0.1",
           throttle: LoginThrottle | None = None) -> tuple[str, bool, str]:
    """(kind, locked, message) of one login attempt: exactly what the HTTP layer shows."""
    extra = {"throttle": throttle} if throttle is not None else {}
    try:
        auth_service.authenticate(session=session, email=email, password=password, ip=ip,
                                  **extra)
    except LoginThrottled as exc:
        return "throttled", exc.locked, exc.message
    except LoginFailed as exc:
        return "failed", exc.locked, exc.message
    return "ok", False, ""


# --- unknown, inactive and real accounts answer alike ---------------------------------------


def test_unknown_inactive_and_real_accounts_lock_alike(session: Session, people) -> None:  # noqa: ANN001
    """Before: a real account said "bloqueada" on the 5th failure and an unknown email never
    did, which told an attacker which emails have accounts."""
    people.comercial2.active = False
    session.add(people.comercial2)
    session.commit()
    transcripts = {}
    for email in ("comercial1@test.crm", "nadie@test.crm", "comercial2@test.crm",
                  " NADIE2@Test.CRM "):
        transcripts[email] = [answer(session, email) for _ in range(8)]
    real = transcripts["comercial1@test.crm"]
    assert [locked for _, locked, _ in real] == [False] * 4 + [True] * 4
    assert real[4][2] == auth_service.LOCKED.format(minutes=15)
    for email, transcript in transcripts.items():
        assert transcript == real, email
    # the right password of the real (and of the inactive) account is refused while locked
    assert answer(session, "comercial1@test.crm", FIXTURE_PASSWORD)[:2] == ("failed", True)
    assert answer(session, "comercial2@test.crm", FIXTURE_PASSWORD)[:2] == ("failed", True)
    assert session.exec(select(UserSession)).all() == []


@pytest.mark.real_argon2
def test_locked_real_and_decoy_accounts_cost_the_same(session: Session, people) -> None:  # noqa: ANN001
    """Locked answers skip argon2 for both; unlocked failures pay it for both."""
    for email in ("comercial1@test.crm", "nadie@test.crm"):
        for _ in range(5):
            answer(session, email)

    def timed(email: str, password: str = "mala-clave") -> float:
        start = time.perf_counter()
        kind, locked, _ = answer(session, email, password)
        assert (kind, locked) == ("failed", True)
        return time.perf_counter() - start

    real, decoy = [], []
    for _ in range(15):
        real.append(timed("comercial1@test.crm", FIXTURE_PASSWORD))
        decoy.append(timed("nadie@test.crm"))
    ratio = statistics.median(decoy) / statistics.median(real)
    assert 0.33 <= ratio <= 3.0, (real, decoy)
    # and neither pays for an argon2 verification while locked (cheap for the server too)
    start = time.perf_counter()
    verify_password(None, "x")
    argon2 = time.perf_counter() - start
    assert max(statistics.median(real), statistics.median(decoy)) < argon2


def test_the_decoy_lock_expires_like_a_real_one(session: Session, people) -> None:  # noqa: ANN001
    throttle = get_login_throttle()
    for _ in range(5):
        answer(session, "nadie@test.crm")
    later = utcnow() + timedelta(minutes=15, seconds=1)
    assert throttle.decoy_locked_until("nadie@test.crm", utcnow()) is not None
    assert throttle.decoy_locked_until("nadie@test.crm", later) is None


# --- the throttle: before argon2, per IP and per account, sliding ---------------------------


def small(store=None, *, per_ip: int = 3, per_account: int = 100,  # noqa: ANN001
          window: float = 60) -> LoginThrottle:
    return LoginThrottle(store or MemoryStore(), per_ip=per_ip, per_account=per_account,
                         window=window, max_failures=5, lock_minutes=15)


@pytest.mark.real_argon2
def test_too_many_attempts_from_one_ip_are_refused_before_hashing(session: Session,
                                                                   people) -> None:  # noqa: ANN001
    throttle = small(per_ip=3)
    emails = ["comercial1@test.crm", "comercial2@test.crm", "nadie@test.crm"]
    assert [answer(session, e, throttle=throttle)[0] for e in emails] == ["failed"] * 3
    start = time.perf_counter()
    kind, locked, message = answer(session, "manager1@test.crm", throttle=throttle)
    took = time.perf_counter() - start
    assert (kind, locked) == ("throttled", False)
    assert message.startswith("Demasiados intentos de acceso. Espera ")
    with pytest.raises(LoginThrottled) as exc:
        auth_service.authenticate(session=session, email="manager1@test.crm", password="x",
                                  ip="10.0.0.1", throttle=throttle)
    assert 55 <= exc.value.retry_after <= 60
    # refused before the database and argon2: the account's counter did not move, and it
    # took a fraction of one argon2 verification
    session.expire_all()
    assert session.get(User, people.manager1.id).failed_logins == 0
    start = time.perf_counter()
    verify_password(None, "x")
    assert took < (time.perf_counter() - start) / 2
    # another address is not affected, not even on the same account
    assert answer(session, "manager1@test.crm", FIXTURE_PASSWORD, ip="10.0.0.2",
                  throttle=throttle)[0] == "ok"


def test_one_account_guessed_from_many_addresses_is_throttled(session: Session,
                                                              people) -> None:  # noqa: ANN001
    throttle = small(per_ip=100, per_account=3)
    kinds = [answer(session, "nadie@test.crm", ip=f"192.0.2.{i}", throttle=throttle)[0]
             for i in range(4)]
    assert kinds == ["failed", "failed", "failed", "throttled"]
    # the same email spelled differently is the same account
    assert answer(session, " NADIE@test.crm ", ip="192.0.2.9", throttle=throttle)[0] == \
        "throttled"


def test_successful_logins_give_their_place_back(session: Session, people) -> None:  # noqa: ANN001
    """An office behind one NAT address: ten people log in at 9:00 with a limit of 3."""
    throttle = small(per_ip=3)
    for user in people.all():
        assert answer(session, user.email, FIXTURE_PASSWORD, throttle=throttle)[0] == "ok"
    assert answer(session, "nadie@test.crm", throttle=throttle)[0] == "failed"


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> Iterator[MemoryStore | RedisStore]:
    if request.param == "memory":
        yield MemoryStore()
    else:
        yield RedisStore(request.getfixturevalue("redis_url"))


def test_the_window_slides(store) -> None:  # noqa: ANN001
    throttle = small(store, per_ip=3, window=60)
    t0 = 1_800_000_000.0
    for offset in (0, 10, 20):
        throttle.admit(ip="10.0.0.1", email=f"a{offset}@x.es", now=t0 + offset)
    with pytest.raises(Throttled) as exc:
        throttle.admit(ip="10.0.0.1", email="b@x.es", now=t0 + 30)
    assert exc.value.retry_after == 30  # when the attempt at t0 leaves the window
    with pytest.raises(Throttled) as exc:
        throttle.admit(ip="10.0.0.1", email="b@x.es", now=t0 + 59.5)
    assert exc.value.retry_after == 1  # rounded up: never "retry in 0 seconds"
    throttle.admit(ip="10.0.0.1", email="b@x.es", now=t0 + 60.01)  # one slot free again
    with pytest.raises(Throttled) as exc:
        throttle.admit(ip="10.0.0.1", email="c@x.es", now=t0 + 60.02)
    assert exc.value.retry_after == 10


def test_a_refused_attempt_takes_no_place(store) -> None:  # noqa: ANN001
    """Throttled on the account: the address's window is not charged for it either."""
    throttle = small(store, per_ip=2, per_account=1)
    t0 = 1_800_000_000.0
    throttle.admit(ip="10.0.0.1", email="a@x.es", now=t0)
    for _ in range(5):
        with pytest.raises(Throttled):
            throttle.admit(ip="10.0.0.1", email="a@x.es", now=t0 + 1)
    throttle.admit(ip="10.0.0.1", email="b@x.es", now=t0 + 2)  # the address still has room


def test_admission_is_atomic_under_threads(store) -> None:  # noqa: ANN001
    throttle = small(store, per_ip=10, per_account=1000)
    gate = threading.Barrier(40)

    def one(i: int) -> bool:
        gate.wait()
        try:
            throttle.admit(ip="203.0.113.7", email=f"u{i}@x.es")
        except Throttled:
            return False
        return True

    with ThreadPoolExecutor(40) as pool:
        admitted = sum(pool.map(one, range(40)))
    assert admitted == 10


def test_decoy_counter_in_both_stores(store) -> None:  # noqa: ANN001
    from datetime import UTC, datetime

    throttle = small(store)
    now = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert [throttle.decoy_failure("x@y.es", now) for _ in range(4)] == [None] * 4
    until = throttle.decoy_failure("x@y.es", now)
    assert until == now + timedelta(minutes=15)
    assert throttle.decoy_locked_until("X@Y.es ", now + timedelta(minutes=14)) == until
    assert throttle.decoy_locked_until("x@y.es", now + timedelta(minutes=16)) is None
    # after the lock, counting starts again from zero, as for a real account
    later = now + timedelta(minutes=16)
    assert [throttle.decoy_failure("x@y.es", later) for _ in range(4)] == [None] * 4


def test_redis_is_shared_by_every_process(redis_url: str) -> None:
    """Two throttles on one Redis (two web workers) share the windows and the decoy locks."""
    from datetime import UTC, datetime

    first, second = small(RedisStore(redis_url)), small(RedisStore(redis_url))
    first.admit(ip="10.0.0.1", email="a@x.es")
    second.admit(ip="10.0.0.1", email="b@x.es")
    first.admit(ip="10.0.0.1", email="c@x.es")
    with pytest.raises(Throttled):
        second.admit(ip="10.0.0.1", email="d@x.es")
    now = datetime.now(UTC)
    for _ in range(5):
        first.decoy_failure("nadie@x.es", now)
    assert second.decoy_locked_until("nadie@x.es", now) is not None
    # and no email is stored in clear
    import redis

    keys = [k.decode() for k in redis.Redis.from_url(redis_url).keys("*")]
    assert keys and not [k for k in keys if "@" in k]


def test_an_unreachable_redis_lets_logins_through_and_says_so(
        caplog: pytest.LogCaptureFixture) -> None:
    from throwaway import free_port

    throttle = small(RedisStore(f"redis://127.0.0.1:{free_port()}/0"), per_ip=1)
    with caplog.at_level(logging.WARNING, logger="crm_app.auth.throttle"):
        for _ in range(3):
            throttle.admit(ip="10.0.0.1", email="a@x.es")
    assert "Login throttle store unavailable" in caplog.text
    assert caplog.text.count("Login throttle store unavailable") == 1  # once, not per attempt


def test_the_process_throttle_follows_settings(monkeypatch: pytest.MonkeyPatch,
                                               redis_url: str) -> None:
    get_login_throttle.cache_clear()
    throttle = get_login_throttle()
    settings = get_settings()
    assert isinstance(throttle.store, MemoryStore)  # no CRM_REDIS_URL in the tests
    assert (throttle.per_ip, throttle.per_account) == (settings.login_rate_ip,
                                                        settings.login_rate_account)
    get_login_throttle.cache_clear()
    monkeypatch.setattr(settings, "redis_url", redis_url)
    assert isinstance(get_login_throttle().store, RedisStore)


@pytest.mark.parametrize(("ip", "key"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:db8:1:2::/64"),  # same subscriber
    ("::ffff:203.0.113.7", "203.0.113.7"),
    ("", ""),
    ("testclient", "testclient"),
])
def test_ipv6_addresses_count_by_their_64(ip: str, key: str) -> None:
    assert ip_key(ip) == key
