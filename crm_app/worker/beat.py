"""Single beat: at most one Celery beat schedules tasks for one deployment, ever.

Two beats would send every scheduled job twice (two report emails, two backups). This used to
happen after a killed worker: its embedded beat lived on and the restarted worker started
another. The guarantee lives in the scheduler, so it holds for every way of starting beat —
``crm run``, the documented ``celery -A crm_app.worker.app:celery_app beat`` and
``worker --beat`` — because the app config names it (``beat_scheduler``):

- always, an exclusive ``flock`` on ``$CRM_DATA_DIR/celerybeat.lock``, held by the beat process
  for its whole life; the kernel drops it when the process dies, however it dies, so a crash
  never leaves a stale lock;
- with ``CRM_REDIS_URL``, also a Redis lock (``redis-py``'s ``Lock``) keyed by the database,
  so beats on different machines with their own data dirs exclude each other too. It expires
  ``CRM_BEAT_LOCK_SECONDS`` (90) after its holder stops renewing it; it is renewed on every
  tick, and beat ticks at least three times per period.

A beat that cannot take the locks waits — it opens no schedule and sends nothing — and takes
over when the holder stops, so a standby beat is safe to run. A beat that loses its Redis lock
stops sending and waits again. The shelve schedule file is opened only after the lock is held,
so a beat that takes over on the same data dir continues the schedule where the other left it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from celery.beat import PersistentScheduler
from celery.utils.log import get_logger
from sqlalchemy.engine import make_url

from crm_app.i18n import t
from crm_app.settings import get_settings

logger = get_logger(__name__)

LOCK_FILE = "celerybeat.lock"
RETRY_EVERY = 1.0


class LockLost(Exception):
    """The Redis lock expired or was taken: this beat must stop sending."""


def redis_key(database_url: str) -> str:
    """One key per deployment: the database it schedules for (password left out)."""
    # URL.set() takes None as "unchanged": _replace (a NamedTuple's) really drops it
    url = make_url(database_url)._replace(password=None).render_as_string(hide_password=False)
    return "crm:beat:" + hashlib.sha256(url.encode()).hexdigest()[:16]


class BeatLock:
    """The file lock on the data dir and, when ``redis_url`` is set, the Redis lock."""

    def __init__(self, path: Path, *, redis_url: str = "", key: str = "",
                 ttl: float = 90.0) -> None:
        self.path = path
        self.key = key
        self.ttl = ttl
        self._fd: int | None = None
        self._redis_lock: Any = None
        if redis_url:
            import redis

            client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
            self._redis_lock = client.lock(key, timeout=ttl, thread_local=False)
        self._redis_held = False

    @classmethod
    def for_settings(cls) -> BeatLock:
        settings = get_settings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(settings.data_dir / LOCK_FILE, redis_url=settings.redis_url,
                   key=redis_key(settings.database_url), ttl=settings.beat_lock_seconds)

    def try_acquire(self) -> str | None:
        """Take what is not held yet; None when both are ours, else who holds the other."""
        if self._fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)  # not inherited by children
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
                os.close(fd)
                return t("ops.beat.holder_file", path=self.path) + (
                    f", pid {holder}" if holder else "")
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
            self._fd = fd
        if self._redis_lock is not None and not self._redis_held:
            import redis

            try:
                self._redis_held = bool(self._redis_lock.acquire(blocking=False))
            except redis.RedisError as exc:
                logger.warning(t("ops.beat.redis_error", error=exc))
                return t("ops.beat.holder_redis", name=self.key)
            if not self._redis_held:
                return t("ops.beat.holder_redis", name=self.key)
        return None

    def renew(self) -> None:
        """Push the Redis lock's expiry back; raise LockLost when it is no longer ours."""
        if self._redis_lock is None:
            return
        import redis

        try:
            self._redis_lock.extend(self.ttl, replace_ttl=True)
        except (redis.RedisError, redis.exceptions.LockError) as exc:
            self._redis_held = False
            raise LockLost(str(exc) or type(exc).__name__) from exc

    def release(self) -> None:
        if self._redis_lock is not None and self._redis_held:
            import redis

            self._redis_held = False
            with contextlib.suppress(redis.RedisError, redis.exceptions.LockError):
                self._redis_lock.release()
        if self._fd is not None:
            fd, self._fd = self._fd, None
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)  # closing the only descriptor drops the flock


@contextlib.contextmanager
def _exit_on_stop_signals() -> Iterator[None]:
    """While waiting, SIGTERM/SIGINT end the process at once.

    Celery's own handlers would "sync" the scheduler, which does not exist yet: building it
    again from inside the handler would wait for the same lock, and the stop would hang.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(*_: object) -> None:
        raise SystemExit(0)

    previous = {sig: signal.signal(sig, leave) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def wait_for_lock(lock: BeatLock, retry: float = RETRY_EVERY) -> None:
    """Block until ``lock`` is ours, saying once why we wait."""
    holder = lock.try_acquire()
    if holder is None:
        logger.info(t("ops.beat.active", pid=os.getpid()))
        return
    logger.warning(t("ops.beat.waiting", holder=holder))
    with _exit_on_stop_signals():
        while lock.try_acquire() is not None:
            time.sleep(retry)
    logger.warning(t("ops.beat.active", pid=os.getpid()))


class SingleBeatScheduler(PersistentScheduler):
    """Celery's shelve scheduler that only opens its schedule and ticks while holding the lock.

    ``lazy`` instances (the startup banner builds one) take no lock.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._beat_lock: BeatLock | None = None
        super().__init__(*args, **kwargs)
        self.max_interval = min(self.max_interval, get_settings().beat_lock_seconds / 3)

    def setup_schedule(self) -> None:
        self._beat_lock = BeatLock.for_settings()
        wait_for_lock(self._beat_lock)
        super().setup_schedule()

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if self._beat_lock is not None:
            try:
                self._beat_lock.renew()
            except LockLost as exc:
                logger.error(t("ops.beat.lost", error=exc))
                wait_for_lock(self._beat_lock)
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._beat_lock is not None:
                self._beat_lock.release()
                self._beat_lock = None

    @property
    def info(self) -> str:
        return super().info + f"\n    . lock -> {get_settings().data_dir / LOCK_FILE}"
