"""Engine and sessions: one engine per process, SQLite by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from crm_app.settings import get_settings


def make_engine(url: str) -> Engine:
    """Build an engine; SQLite gets WAL and a busy timeout so the app, worker and CLI coexist."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "checkin")
        def _sqlite_foreign_keys_back_on(dbapi_conn, _record) -> None:  # noqa: ANN001
            """A bulk import checks foreign keys itself with SQLite's checks off
            (``importing.writer.foreign_keys_checked_here``); every connection comes back to
            the pool with them on, whatever happened."""
            if dbapi_conn is None:
                return
            try:
                if not dbapi_conn.in_transaction:
                    dbapi_conn.execute("PRAGMA foreign_keys=ON")
            except Exception:  # noqa: BLE001 - a broken connection is discarded by the pool
                pass

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    settings.ensure_dirs()
    return make_engine(settings.database_url)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
