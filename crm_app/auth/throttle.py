"""The login throttle: sliding-window limits per client IP and per account, and the decoy
lockout of emails that have no active account.

Why here, before the database and argon2: every login attempt costs one argon2 verification
(~50 ms of a core, on purpose); 40 connections of wrong passwords took ``/api/health`` from
9 ms to 2.4 s. An attempt over the limit is answered before any hashing, in microseconds.

*Sliding window log*: each attempt is a timestamp in the window of its IP and of its account;
an attempt is allowed while both windows hold fewer than their limit. A successful login
takes its timestamps back (:meth:`Attempt.succeeded`), so what the limits really count are
failed and in-flight attempts: an office behind one NAT address logging in at 9:00 is not
throttled, a guesser is.

*Decoy lockout*: a real account locks after ``login_max_failures`` wrong passwords (the
counter lives in the users table). An email without an active account must answer exactly
alike, or the lock message tells an attacker which accounts exist; so unknown (and inactive)
emails keep a failure counter and a lock here, with the same threshold and duration.

Both live in Redis when ``CRM_REDIS_URL`` is set (shared by every web process, atomic through
Lua scripts), else in this process (bounded; lost on restart). Keys hold a SHA-256 of the
email, never the email itself. If Redis is unreachable the throttle lets attempts through
(logged): the account lockout in the database still stands, and nobody is locked out of the
CRM because a cache is down.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from crm_app.settings import get_settings

log = logging.getLogger(__name__)

DECOY_TTL_SECONDS = 30 * 86400  # a real account's failure counter does not fade either
MAX_MEMORY_KEYS = 100_000  # in-process store: least recently used keys go first


class Throttled(Exception):
    """Too many attempts: retry after ``retry_after`` whole seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class Store(Protocol):
    # what the store raises when it cannot be reached (the throttle then fails open);
    # anything else is a bug and propagates
    unavailable: tuple[type[Exception], ...]

    def hit(self, keys: list[tuple[str, int]], window: float, now: float) -> tuple[float, str]:
        """Record one attempt in every window of ``keys`` (key, limit) if all have room;
        return ``(0, member)`` then, else ``(seconds until one has room, "")``."""

    def unhit(self, keys: list[str], member: str) -> None: ...

    def decoy_fail(self, key: str, max_failures: int, lock_seconds: float,
                   now: float) -> float:
        """Count a failure; return the lock's end if this failure locked, else 0."""

    def decoy_locked_until(self, key: str, now: float) -> float: ...


# --- in-process store ------------------------------------------------------------------------


class MemoryStore:
    """Windows and decoy counters in this process, behind one lock (the login route runs in
    a thread pool)."""

    unavailable: tuple[type[Exception], ...] = ()

    def __init__(self, max_keys: int = MAX_MEMORY_KEYS) -> None:
        self._lock = threading.Lock()
        self._windows: OrderedDict[str, deque[tuple[float, str]]] = OrderedDict()
        self._decoys: OrderedDict[str, tuple[int, float, float]] = OrderedDict()  # n, until, exp
        self._max_keys = max_keys
        self._ids = itertools.count()

    def _window(self, key: str, window: float, now: float) -> deque[tuple[float, str]]:
        entries = self._windows.get(key)
        if entries is None:
            entries = self._windows[key] = deque()
            while len(self._windows) > self._max_keys:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(key)
        while entries and entries[0][0] <= now - window:
            entries.popleft()
        return entries

    def hit(self, keys: list[tuple[str, int]], window: float, now: float) -> tuple[float, str]:
        with self._lock:
            windows = [(self._window(key, window, now), limit) for key, limit in keys]
            wait = max((entries[0][0] + window - now for entries, limit in windows
                        if len(entries) >= limit), default=0.0)
            if wait > 0:
                return wait, ""
            member = f"{now:.6f}-{next(self._ids)}"
            for entries, _ in windows:
                entries.append((now, member))
            return 0.0, member

    def unhit(self, keys: list[str], member: str) -> None:
        with self._lock:
            for key in keys:
                entries = self._windows.get(key)
                if entries is not None:
                    kept = [e for e in entries if e[1] != member]
                    entries.clear()
                    entries.extend(kept)

    def decoy_fail(self, key: str, max_failures: int, lock_seconds: float,
                   now: float) -> float:
        with self._lock:
            failures, until, expires = self._decoys.pop(key, (0, 0.0, 0.0))
            if expires <= now:
                failures, until = 0, 0.0
            if until > now:  # already locked: nothing to count
                self._decoys[key] = (failures, until, expires)
                return 0.0
            failures += 1
            locked = failures >= max_failures
            if locked:
                failures, until = 0, now + lock_seconds
            self._decoys[key] = (failures, until, now + max(DECOY_TTL_SECONDS, lock_seconds))
            while len(self._decoys) > self._max_keys:
                self._decoys.popitem(last=False)
            return until if locked else 0.0

    def decoy_locked_until(self, key: str, now: float) -> float:
        with self._lock:
            _, until, expires = self._decoys.get(key, (0, 0.0, 0.0))
            return until if expires > now and until > now else 0.0


# --- Redis store -----------------------------------------------------------------------------

# KEYS: the windows; ARGV: now_ms, window_ms, member, limit per key. Adds the attempt to every
# window only if all have room; else returns the milliseconds until the fullest has room.
_HIT = """
local now, window, member = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + window - now)
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
end
return 0
"""

# KEYS[1]: the decoy hash {n, until}; ARGV: now_ms, max_failures, lock_ms, ttl_ms.
_DECOY_FAIL = """
local now = tonumber(ARGV[1])
local lock_end = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if lock_end > now then return 0 end
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local result = 0
if n >= tonumber(ARGV[2]) then
  result = now + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'n', 0, 'until', result)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return result
"""


class RedisStore:
    """The same windows and counters in Redis, shared by every web process."""

    def __init__(self, url: str) -> None:
        import redis

        self.unavailable = (redis.ConnectionError, redis.TimeoutError)
        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._hit = self.client.register_script(_HIT)
        self._decoy_fail = self.client.register_script(_DECOY_FAIL)

    def hit(self, keys: list[tuple[str, int]], window: float, now: float) -> tuple[float, str]:
        member = f"{now:.6f}-{uuid.uuid4().hex[:16]}"
        wait_ms = self._hit(keys=[k for k, _ in keys],
                            args=[int(now * 1000), int(window * 1000), member,
                                  *[limit for _, limit in keys]])
        return (int(wait_ms) / 1000, "") if int(wait_ms) > 0 else (0.0, member)

    def unhit(self, keys: list[str], member: str) -> None:
        pipe = self.client.pipeline()
        for key in keys:
            pipe.zrem(key, member)
        pipe.execute()

    def decoy_fail(self, key: str, max_failures: int, lock_seconds: float,
                   now: float) -> float:
        until_ms = self._decoy_fail(keys=[key], args=[
            int(now * 1000), max_failures, int(lock_seconds * 1000),
            int(max(DECOY_TTL_SECONDS, lock_seconds) * 1000)])
        return int(until_ms) / 1000

    def decoy_locked_until(self, key: str, now: float) -> float:
        raw = self.client.hget(key, "until")
        until = int(raw) / 1000 if raw else 0.0
        return until if until > now else 0.0


# --- the throttle ----------------------------------------------------------------------------


def ip_key(ip: str) -> str:
    """The window an address counts in: IPv6 by its /64 (one subscriber's whole range)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def account_key(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


@dataclass
class Attempt:
    """One admitted login attempt; :meth:`succeeded` frees its place in the windows."""

    throttle: LoginThrottle
    keys: list[str] = field(default_factory=list)
    member: str = ""

    def succeeded(self) -> None:
        if self.member:
            self.throttle._guarded(self.throttle.store.unhit, None, self.keys, self.member)
            self.member = ""


class LoginThrottle:
    def __init__(self, store: Store, *, per_ip: int, per_account: int, window: float,
                 max_failures: int, lock_minutes: int, prefix: str = "crm:login") -> None:
        self.store = store
        self.prefix = prefix
        self.per_ip, self.per_account, self.window = per_ip, per_account, window
        self.max_failures, self.lock_seconds = max_failures, lock_minutes * 60
        self._last_warning = 0.0

    def _guarded(self, call: Any, fallback: Any, *args: Any) -> Any:
        """Run a store call; if the store is down, warn (once a minute) and use ``fallback``."""
        try:
            return call(*args)
        except self.store.unavailable as exc:  # down or unreachable: fail open
            now = time.monotonic()
            if now - self._last_warning > 60:
                self._last_warning = now
                log.warning("Login throttle store unavailable, attempts not limited: %s", exc)
            return fallback

    def admit(self, *, ip: str, email: str, now: float | None = None) -> Attempt:
        """Count one attempt from ``ip`` on ``email``; raise :class:`Throttled` if over."""
        now = time.time() if now is None else now
        keys = [(f"{self.prefix}:ip:{ip_key(ip)}", self.per_ip),
                (f"{self.prefix}:account:{account_key(email)}", self.per_account)]
        wait, member = self._guarded(self.store.hit, (0.0, ""), keys, self.window, now)
        if wait > 0:
            raise Throttled(max(1, math.ceil(wait)))
        return Attempt(self, [k for k, _ in keys], member)

    def decoy_locked_until(self, email: str, now: datetime) -> datetime | None:
        until = self._guarded(self.store.decoy_locked_until, 0.0,
                              f"crm:login:decoy:{account_key(email)}", now.timestamp())
        return datetime.fromtimestamp(until, UTC) if until else None

    def decoy_failure(self, email: str, now: datetime) -> datetime | None:
        """Count a wrong password for an email without an active account, as the users table
        counts one for a real account; return when the decoy lock ends if this one locked."""
        until = self._guarded(self.store.decoy_fail, 0.0,
                              f"crm:login:decoy:{account_key(email)}", self.max_failures,
                              self.lock_seconds, now.timestamp())
        return datetime.fromtimestamp(until, UTC) if until else None


@lru_cache
def get_login_throttle() -> LoginThrottle:
    """The process's throttle, configured from settings (``CRM_LOGIN_RATE_*``)."""
    settings = get_settings()
    store: Store = RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()
    return LoginThrottle(store, per_ip=settings.login_rate_ip or 10,
                         per_account=settings.login_rate_account or 10,
                         window=settings.login_rate_window,
                         max_failures=settings.login_max_failures,
                         lock_minutes=settings.login_lock_minutes)


@lru_cache
def get_reset_throttle() -> LoginThrottle:
    """The windows of "¿Has olvidado tu contraseña?" (``CRM_RESET_RATE_*``): requests per
    e-mail (known or not, so the limit says nothing about who has an account) and per IP.
    The same store as the login's; only the windows are used (no lockout)."""
    settings = get_settings()
    store: Store = RedisStore(settings.redis_url) if settings.redis_url else MemoryStore()
    return LoginThrottle(store, per_ip=settings.reset_rate_ip,
                         per_account=settings.reset_rate_account,
                         window=settings.reset_rate_window, max_failures=1, lock_minutes=0,
                         prefix="crm:reset")
