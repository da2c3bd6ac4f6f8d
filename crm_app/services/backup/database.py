"""The database half of a backup: a consistent copy out, a whole-database replace in.

SQLite: the online backup API (``sqlite3.Connection.backup``) in one step, which copies every
page inside a single read transaction — a consistent snapshot while the app keeps writing
(WAL readers do not block writers). The fingerprints are then read from the copy itself.

PostgreSQL: ``pg_dump --format=custom`` with ``--snapshot``: our own REPEATABLE READ
transaction exports its snapshot, pg_dump dumps exactly that snapshot, and the fingerprints
are read in the same transaction — manifest and dump describe the same instant however busy
the database is. Restore is ``pg_restore --single-transaction`` after dropping the tables of
the target schema. The client tools must be at least the server's version (Debian's
``postgresql-client`` matches the server of the same release).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import URL, Connection, Engine, make_url

from crm_app.i18n import t
from crm_app.services.backup.fingerprint import TableFingerprint, data_rows, table_fingerprints


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator, in Spanish."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class DatabaseCopy:
    backend: str  # "sqlite" | "postgresql"
    path: Path
    revision: str
    tables: dict[str, TableFingerprint]


def backend_of(database_url: str) -> str:
    name = make_url(database_url).get_backend_name()
    return "postgresql" if name.startswith("postgres") else name


def sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError(f"No se puede copiar una base SQLite sin fichero ({database_url}).")
    return Path(database)


def _revision(conn: Connection) -> str:
    if not inspect(conn).has_table("alembic_version"):
        return ""
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""


def _plain_engine(url: str | URL) -> Engine:
    """An engine without the app's pragmas: a copy is read as it is, never switched to WAL."""
    return create_engine(url)


# --- SQLite ---


def copy_sqlite(database_url: str, dest: Path) -> DatabaseCopy:
    source = sqlite_path(database_url)
    if not source.exists():
        raise BackupError(f"No existe la base de datos {source}.")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(dest)
    try:
        src.backup(dst)  # pages=-1: the whole database in one read transaction
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
    finally:
        dst.close()
        src.close()
    engine = _plain_engine(f"sqlite:///{dest}")
    try:
        with engine.connect() as conn:
            return DatabaseCopy("sqlite", dest, _revision(conn), table_fingerprints(conn))
    finally:
        engine.dispose()


def restore_sqlite(copy: Path, database_url: str) -> None:
    target = sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(copy)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # replaces every page of the target, WAL files included
    finally:
        dst.close()
        src.close()


# --- PostgreSQL ---


def pg_tool(name: str) -> str:
    """``pg_dump``/``pg_restore``: on PATH (Debian's wrapper), else the newest installed."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                        else 0)
    if candidates:
        return candidates[-1]
    raise BackupError(t("ops.backup.pg_dump_missing", tool=name))


def libpq_args(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment that carries it.

    The password goes through ``PGPASSWORD`` so it never shows in the process list.
    """
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    # URL.set() takes None as "unchanged": _replace (a NamedTuple's) really drops it
    uri = url._replace(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    return uri, env


def _run_tool(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(t("ops.backup.tool_failed", tool=Path(args[0]).name,
                            code=result.returncode, stderr=result.stderr.strip()[-2000:]))


def copy_postgres(database_url: str, dest: Path) -> DatabaseCopy:
    uri, env = libpq_args(database_url)
    engine = _plain_engine(database_url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                _run_tool([pg_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}",
                           "--no-password", f"--file={dest}", f"--dbname={uri}"], env)
                return DatabaseCopy("postgresql", dest, _revision(conn),
                                    table_fingerprints(conn))
    finally:
        engine.dispose()


def _drop_tables(conn: Connection) -> None:
    names = inspect(conn).get_table_names()
    if names:
        quoted = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
        conn.execute(text(f"DROP TABLE IF EXISTS {quoted} CASCADE"))


def restore_postgres(dump: Path, database_url: str) -> None:
    engine = _plain_engine(database_url)
    try:
        with engine.begin() as conn:
            _drop_tables(conn)
    finally:
        engine.dispose()
    uri, env = libpq_args(database_url)
    _run_tool([pg_tool("pg_restore"), "--no-owner", "--no-acl", "--single-transaction",
               "--exit-on-error", "--no-password", f"--dbname={uri}", str(dump)], env)


# --- both ---


def copy_database(database_url: str, dest_dir: Path) -> DatabaseCopy:
    if backend_of(database_url) == "sqlite":
        return copy_sqlite(database_url, dest_dir / "crm.sqlite3")
    if backend_of(database_url) == "postgresql":
        return copy_postgres(database_url, dest_dir / "crm.pgdump")
    raise BackupError(f"Base de datos no soportada: {backend_of(database_url)}")


def restore_database(backend: str, copy: Path, database_url: str) -> None:
    if backend == "sqlite":
        restore_sqlite(copy, database_url)
    else:
        restore_postgres(copy, database_url)


@contextlib.contextmanager
def _connect(database_url: str) -> Iterator[Connection | None]:
    """A connection to the target, or None for a SQLite file that does not exist yet."""
    if backend_of(database_url) == "sqlite" and not sqlite_path(database_url).exists():
        yield None
        return
    engine = _plain_engine(database_url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def existing_rows(database_url: str) -> int:
    with _connect(database_url) as conn:
        return 0 if conn is None else data_rows(conn)


def fingerprints_of(database_url: str) -> tuple[str, dict[str, TableFingerprint]]:
    with _connect(database_url) as conn:
        if conn is None:
            return "", {}
        with conn.begin():
            return _revision(conn), table_fingerprints(conn)
