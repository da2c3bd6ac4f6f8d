"""Backups: a consistent online copy and a verified restore, on SQLite and on PostgreSQL.

The data is the demo company (every column type: money, JSON, dates, booleans, unicode, NULLs)
loaded once into a migrated SQLite file, copied per test into a data dir of its own with user
files next to it. Restored data is compared row by row with plain SQL, independently of the
manifest's checksums; the PostgreSQL tests copy the same rows into a real server (``pg_url``)
and check that both backends give the same checksums.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil
import sqlite3
import stat
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from live_api import prepare_database
from sqlalchemy.engine import Engine
from sqlmodel import Session

from crm_app.db import make_engine
from crm_app.services.actors import SYSTEM
from crm_app.services.backup import (
    BackupError,
    create_backup,
    restore_backup,
    rotate,
    scheduled_backup,
    verify_backup,
)
from crm_app.services.backup.database import fingerprints_of
from crm_app.services.backup.fingerprint import table_fingerprints
from crm_app.settings import PROJECT_ROOT, Settings

USER_FILES = {
    "documents/contrato-ACME.pdf": b"%PDF-1.4 contrato firmado\n" * 50,
    "documents/facturación/año 2026/factura nº 7.pdf": "ñ€ factura".encode() * 10,
    "uploads/import-leads.csv": "nombre;correo\nAna García;ana@example.es\n".encode(),
    "catalog/product-1.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
    "company/logo.png": b"\x89PNG\r\n\x1a\n" + bytes(range(128)) * 2,  # Ajustes → Empresa
}


def head_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    return ScriptDirectory.from_config(cfg).get_current_head() or ""


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the demo company in it (built once per module)."""
    from crm_app.services import demo

    path = tmp_path_factory.mktemp("demo") / "crm.db"
    prepare_database(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    try:
        with Session(engine, expire_on_commit=False) as session:
            demo.load_demo(session=session, actor=SYSTEM)
            session.commit()
    finally:
        engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def data_dir_with(root: Path, db: Path | None) -> Settings:
    """A data dir holding a copy of ``db`` (if any), the user files and a secret key."""
    root.mkdir(parents=True)
    if db is not None:
        shutil.copy(db, root / "crm.db")
    for rel, content in USER_FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content)
    (root / "secret_key").write_text("k" * 20 + "-clave-de-prueba-" + "z" * 20)
    return Settings(data_dir=root, database_url=f"sqlite:///{root / 'crm.db'}", secret_key="")


def empty_data_dir(root: Path, database_url: str | None = None) -> Settings:
    return Settings(data_dir=root, database_url=database_url or f"sqlite:///{root / 'crm.db'}",
                    secret_key="")


def all_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every table's rows as the driver returns them, sorted: an independent comparison."""
    out = {}
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            rows = conn.execute(sa.text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def user_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for d in ("documents", "uploads", "catalog", "company") if (root / d).exists()
            for p in sorted((root / d).rglob("*")) if p.is_file()}


def tables_of(url: str) -> dict[str, tuple[int, str]]:
    _revision, tables = fingerprints_of(url)
    return {name: (fp.rows, fp.checksum) for name, fp in tables.items()}


# --- SQLite ---


def test_sqlite_round_trip_gives_identical_rows_checksums_and_files(tmp_path: Path,
                                                                   demo_db: Path) -> None:
    source = data_dir_with(tmp_path / "source", demo_db)
    out = tmp_path / "copias" / "crm.tar.gz"
    summary = create_backup(out=out, settings=source)

    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # it holds the secret key
    assert sorted(p.name for p in out.parent.iterdir()) == ["crm.tar.gz"]  # no .part, no tmp
    m = summary.manifest
    created = datetime.fromisoformat(m["created_at"].replace("Z", "+00:00"))
    assert m["created_at"].endswith("Z") and abs(datetime.now(UTC) - created) < timedelta(
        minutes=5)
    assert m["app_version"] == "0.1.0" and m["alembic_revision"] == head_revision()
    assert m["database"] == {"backend": "sqlite", "member": "database/crm.sqlite3"}
    assert m["tables"]["lead"]["rows"] == 300 and m["tables"]["quote_line"]["rows"] == 143
    assert {k: (v["rows"], v["checksum"]) for k, v in m["tables"].items()} == \
        tables_of(source.database_url)
    files = {k: v for k, v in m["files"].items() if k.startswith("files/")}
    assert {k.removeprefix("files/") for k in files} == set(USER_FILES)
    with tarfile.open(out) as tar:
        config = json.loads(tar.extractfile("config.json").read())  # type: ignore[union-attr]
    assert config["smtp_host"] == source.smtp_host and "secret_key" not in config

    target = empty_data_dir(tmp_path / "target")
    restore_backup(archive=out, settings=target)

    src_engine, dst_engine = make_engine(source.database_url), make_engine(target.database_url)
    try:
        assert all_rows(dst_engine) == all_rows(src_engine)  # identical, value by value
    finally:
        src_engine.dispose()
        dst_engine.dispose()
    assert tables_of(target.database_url) == tables_of(source.database_url)
    assert user_files(target.data_dir) == USER_FILES
    key = target.data_dir / "secret_key"
    assert key.read_text() == (source.data_dir / "secret_key").read_text()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_the_checksum_sees_any_change_and_ignores_row_order(tmp_path: Path) -> None:
    counter = itertools.count()

    def fingerprint(rows: list[tuple]) -> tuple[int, str]:
        engine = sa.create_engine(f"sqlite:///{tmp_path / f'{next(counter)}.db'}")
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR, "
                                 "amount NUMERIC(14, 2), at DATETIME, extra JSON)"))
            for row in rows:
                conn.execute(sa.text("INSERT INTO t VALUES (:id, :name, :amount, :at, :extra)"),
                             dict(zip(["id", "name", "amount", "at", "extra"], row,
                                      strict=True)))
        with engine.connect() as conn:
            fp = table_fingerprints(conn)["t"]
        engine.dispose()
        return fp.rows, fp.checksum

    rows = [(1, "García", "10.50", "2026-01-02 03:04:05.000000", '{"b": 1, "a": [1, 2]}'),
            (2, None, None, None, None), (3, "", "0", "2026-01-02 03:04:05.000001", "{}")]
    base = fingerprint(rows)
    assert base[0] == 3 and base == fingerprint(list(reversed(rows)))
    changed = [rows[0], (2, None, None, None, "null"), rows[2]]  # NULL vs JSON null
    assert fingerprint(changed) != base
    assert fingerprint([*rows[:2], (3, "", "0", "2026-01-02 03:04:05.000002", "{}")]) != base
    assert fingerprint(rows[:2]) != base  # a missing row
    assert fingerprint([*rows, (4, "García", "10.50", None, None)]) != base  # an extra row
    assert fingerprint([rows[0], (2, *rows[0][1:]), rows[2]]) != base  # a changed row
    assert fingerprint([]) == (0, "0" * 64)


def test_restore_refuses_a_target_that_holds_data_and_force_replaces_it(
        tmp_path: Path, demo_db: Path) -> None:
    source = data_dir_with(tmp_path / "source", demo_db)
    out = tmp_path / "crm.tar.gz"
    create_backup(out=out, settings=source)
    before = tables_of(source.database_url)

    # after the backup: a new lead, a deleted quote line, a new document
    with sqlite3.connect(source.data_dir / "crm.db") as conn:
        conn.execute("UPDATE lead SET company = 'Cambiada SL' WHERE id = 1")
        conn.execute("DELETE FROM quote_line WHERE id = (SELECT max(id) FROM quote_line)")
    (source.data_dir / "documents" / "nuevo.pdf").write_bytes(b"nuevo")
    changed = tables_of(source.database_url)
    assert changed != before

    with pytest.raises(BackupError) as err:
        restore_backup(archive=out, settings=source)
    assert "usa --force para sobrescribirlo" in err.value.message
    assert "la base de datos tiene" in err.value.message
    assert tables_of(source.database_url) == changed  # refused: nothing touched
    assert (source.data_dir / "documents" / "nuevo.pdf").exists()

    # only files, no rows: refused as well
    files_only = empty_data_dir(tmp_path / "files-only")
    (files_only.data_dir / "uploads").mkdir(parents=True)
    (files_only.data_dir / "uploads" / "x.csv").write_text("a")
    with pytest.raises(BackupError, match="1 ficheros en"):
        restore_backup(archive=out, settings=files_only)

    restore_backup(archive=out, settings=source, force=True)
    assert tables_of(source.database_url) == before
    assert user_files(source.data_dir) == USER_FILES  # the new document is gone


def rewrite_archive(src: Path, dst: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    """Copy ``src`` member by member through ``change`` (None drops the member)."""
    with tarfile.open(src) as tin, tarfile.open(dst, "w:gz") as tout:
        for info in tin:
            data = tin.extractfile(info).read()  # type: ignore[union-attr]
            new = change(info.name, data)
            if new is not None:
                info.size = len(new)
                tout.addfile(info, io.BytesIO(new))


@pytest.mark.parametrize(("change", "message"), [
    (lambda name, data: data.replace(b"firmado", b"falsead") if "contrato" in name else data,
     "La copia está dañada: files/documents/contrato-ACME.pdf"),
    (lambda name, data: None if name == "secret_key" else data,
     "La copia está incompleta: falta secret_key"),
    (lambda name, data: None if name == "manifest.json" else data,
     "La copia está incompleta: falta manifest.json"),
], ids=["tampered-document", "missing-member", "no-manifest"])
def test_a_damaged_backup_is_refused_before_anything_is_touched(
        tmp_path: Path, demo_db: Path, change: Callable, message: str) -> None:
    source = data_dir_with(tmp_path / "source", demo_db)
    good, bad = tmp_path / "good.tar.gz", tmp_path / "bad.tar.gz"
    create_backup(out=good, settings=source)
    rewrite_archive(good, bad, change)
    target = empty_data_dir(tmp_path / "target")
    with pytest.raises(BackupError) as err:
        restore_backup(archive=bad, settings=target)
    assert message in err.value.message
    assert not target.data_dir.exists() or not any(target.data_dir.iterdir())


def with_manifest(change: Callable[[dict], object]) -> Callable[[str, bytes], bytes]:
    def rewrite(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        change(manifest)
        return json.dumps(manifest).encode()

    return rewrite


@pytest.mark.parametrize("change", [
    lambda m: m.update(format="otra-cosa/9"),
    lambda m: m["tables"]["lead"].pop("checksum"),
    lambda m: m.pop("database"),
], ids=["unknown-format", "table-without-checksum", "no-database"])
def test_a_manifest_of_another_shape_is_refused(tmp_path: Path, demo_db: Path,
                                                change: Callable[[dict], object]) -> None:
    source = data_dir_with(tmp_path / "source", demo_db)
    good, bad = tmp_path / "good.tar.gz", tmp_path / "bad.tar.gz"
    create_backup(out=good, settings=source)
    rewrite_archive(good, bad, with_manifest(change))
    with pytest.raises(BackupError, match="tiene un formato desconocido"):
        verify_backup(bad)


def test_a_restore_that_does_not_match_the_manifest_fails_loudly(tmp_path: Path,
                                                                 demo_db: Path) -> None:
    """The check after restoring can fail: a manifest that promises other lead rows."""
    source = data_dir_with(tmp_path / "source", demo_db)
    good, bad = tmp_path / "good.tar.gz", tmp_path / "bad.tar.gz"
    create_backup(out=good, settings=source)

    def other_leads(manifest: dict) -> None:
        manifest["tables"]["lead"]["checksum"] = "0" * 63 + "1"

    rewrite_archive(good, bad, with_manifest(other_leads))
    with pytest.raises(BackupError) as err:
        restore_backup(archive=bad, settings=empty_data_dir(tmp_path / "target"))
    assert err.value.message.startswith("La restauración no coincide con el manifiesto: "
                                        "tabla lead: 300 filas o contenido distinto")


def test_an_unreadable_or_missing_file_and_a_foreign_backend_are_refused(
        tmp_path: Path, demo_db: Path) -> None:
    source = data_dir_with(tmp_path / "source", demo_db)
    out = tmp_path / "crm.tar.gz"
    create_backup(out=out, settings=source)
    truncated = tmp_path / "cortada.tar.gz"
    truncated.write_bytes(out.read_bytes()[: out.stat().st_size // 2])
    target = empty_data_dir(tmp_path / "target")
    with pytest.raises(BackupError, match="no es una copia de seguridad del CRM legible"):
        restore_backup(archive=truncated, settings=target)
    with pytest.raises(BackupError, match="No existe el fichero de copia"):
        restore_backup(archive=tmp_path / "no-existe.tar.gz", settings=target)
    postgres = empty_data_dir(tmp_path / "pg", "postgresql+psycopg://u@127.0.0.1:1/crm")
    with pytest.raises(BackupError, match="La copia es de una base de datos sqlite y la de "
                                          "destino es postgresql"):
        restore_backup(archive=out, settings=postgres)
    with pytest.raises(BackupError, match="Ya existe"):
        create_backup(out=out, settings=source)  # never overwrites a backup


def test_pg_tools_get_the_password_through_the_environment_not_the_command_line() -> None:
    from crm_app.services.backup.database import libpq_args

    uri, env = libpq_args("postgresql+psycopg://crm:s3cr%40ta@db.example:6543/crm?sslmode=require")
    assert uri == "postgresql://crm@db.example:6543/crm?sslmode=require"
    assert env["PGPASSWORD"] == "s3cr@ta"
    uri, env = libpq_args("postgresql+psycopg://crm@db/crm")
    assert uri == "postgresql://crm@db/crm" and env.get("PGPASSWORD") == os.environ.get(
        "PGPASSWORD")


class PairWriter:
    """Writes a team and its audit event in one transaction, over and over, on its own thread.

    In any consistent snapshot both tables hold the same writer rows; a copy made table by
    table, or of a file caught mid-write, would not.
    """

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.stop = threading.Event()
        self.written = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                with self.engine.begin() as conn:
                    team_id = conn.execute(sa.text(
                        "INSERT INTO team (name) VALUES (:n) RETURNING id"),
                        {"n": f"w-{self.written}"}).scalar_one()
                    conn.execute(sa.text(
                        "INSERT INTO audit_event (at, entity, entity_id, action, note) "
                        "VALUES (:at, 'w', :id, 'create', '')"),
                        {"at": datetime.now(UTC).replace(tzinfo=None), "id": team_id})
                self.written += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc

    def __enter__(self) -> PairWriter:
        self.thread.start()
        deadline = time.monotonic() + 30
        while self.written < 20 and time.monotonic() < deadline and self.error is None:
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.engine.dispose()


def writer_pairs(url: str) -> tuple[int, int, int]:
    """(teams written, their audit events, teams without their event) in the database."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            teams = conn.execute(sa.text("SELECT count(*) FROM team WHERE name LIKE 'w-%'"))
            events = conn.execute(sa.text("SELECT count(*) FROM audit_event WHERE entity='w'"))
            orphans = conn.execute(sa.text(
                "SELECT count(*) FROM team t WHERE t.name LIKE 'w-%' AND NOT EXISTS "
                "(SELECT 1 FROM audit_event a WHERE a.entity = 'w' AND a.entity_id = t.id)"))
            return teams.scalar_one(), events.scalar_one(), orphans.scalar_one()
    finally:
        engine.dispose()


def test_a_sqlite_backup_taken_while_writes_happen_is_a_consistent_snapshot(
        tmp_path: Path, demo_db: Path) -> None:
    source = data_dir_with(tmp_path / "source", demo_db)
    out = tmp_path / "crm.tar.gz"
    with PairWriter(source.database_url) as writer:
        during_start = writer.written
        create_backup(out=out, settings=source)
        during_end = writer.written
        time.sleep(0.2)
    assert writer.error is None, writer.error
    assert during_end > during_start  # the writes went on while the backup ran
    target = empty_data_dir(tmp_path / "target")
    restore_backup(archive=out, settings=target)  # verifies the manifest
    teams, events, orphans = writer_pairs(target.database_url)
    assert teams == events and orphans == 0
    assert during_start <= teams <= during_end
    assert writer_pairs(source.database_url)[0] > teams  # a snapshot, not the end state


def test_the_daily_backup_rotates_down_to_backup_keep(tmp_path: Path) -> None:
    root = tmp_path / "data"
    root.mkdir()
    prepare_database(f"sqlite:///{root / 'crm.db'}")
    settings = Settings(data_dir=root, database_url=f"sqlite:///{root / 'crm.db'}",
                        backup_keep=3, secret_key="")
    backups = root / "backups"
    backups.mkdir()
    stale, fresh = backups / "crm-20200101T000000Z.tar.gz.part", backups / "crm-x.tar.gz.part"
    stale.write_bytes(b"")
    fresh.write_bytes(b"")
    os.utime(stale, (time.time() - 2 * 86400,) * 2)
    (backups / "notas.txt").write_text("no es una copia")
    days = [datetime(2026, 3, d, 1, 45, tzinfo=UTC) for d in range(1, 6)]
    made = [scheduled_backup(settings=settings, now=day).path for day in days]
    assert made[-1].name == "crm-20260305T014500Z.tar.gz"
    assert sorted(p.name for p in backups.iterdir()) == [
        "crm-20260303T014500Z.tar.gz", "crm-20260304T014500Z.tar.gz",
        "crm-20260305T014500Z.tar.gz", "crm-x.tar.gz.part", "notas.txt"]
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    verify_backup(made[-1])
    assert rotate(backups, 1) == [backups / "crm-20260303T014500Z.tar.gz",
                                  backups / "crm-20260304T014500Z.tar.gz"]


def test_backup_keep_must_be_positive(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv("CRM_BACKUP_KEEP", "0")
    with pytest.raises(ValidationError):
        Settings()
    monkeypatch.setenv("CRM_BACKUP_KEEP", "7")
    assert Settings().backup_keep == 7
    monkeypatch.delenv("CRM_BACKUP_KEEP")
    assert Settings().backup_keep == 14


def test_the_daily_backup_is_on_the_beat_schedule() -> None:
    from celery.schedules import crontab

    from crm_app.worker.app import celery_app

    entry = celery_app.conf.beat_schedule["backup-daily"]
    assert entry["task"] == "crm.ops.backup"
    assert entry["schedule"] == crontab(hour=2, minute=45)
    celery_app.loader.import_default_modules()
    assert "crm.ops.backup" in celery_app.tasks


# --- PostgreSQL ---


def copy_rows(sqlite_db: Path, pg_url: str) -> None:
    """The rows of the SQLite file into the empty PostgreSQL database, migrated here first,
    sequences moved on."""
    prepare_database(pg_url)
    src = sa.create_engine(f"sqlite:///{sqlite_db}")
    dst = sa.create_engine(pg_url)
    try:
        src_meta, dst_meta = sa.MetaData(), sa.MetaData()
        src_meta.reflect(src)
        dst_meta.reflect(dst)
        with src.connect() as s, dst.begin() as d:
            for table in dst_meta.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = [dict(r._mapping) for r in s.execute(sa.select(src_meta.tables[
                    table.name]))]
                if rows:
                    d.execute(table.insert(), rows)
                if "id" in table.c:
                    d.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"',"
                                      f" 'id'), coalesce((SELECT max(id) FROM \"{table.name}\"), "
                                      "0) + 1, false)"))
    finally:
        src.dispose()
        dst.dispose()


@pytest.fixture
def pg_databases(pg_server) -> Iterator[Callable[[str], str]]:  # noqa: ANN001
    made: list[str] = []

    def make(name: str) -> str:
        made.append(name)
        return pg_server.create_database(name)

    yield make


@pytest.mark.postgres
def test_postgres_round_trip_with_the_same_checksums_as_sqlite(
        tmp_path: Path, demo_db: Path, pg_databases: Callable[[str], str]) -> None:
    source_url = pg_databases("crm_backup_src")
    copy_rows(demo_db, source_url)
    # backend-independent: the same rows give the same checksums on both databases
    assert tables_of(source_url) == tables_of(f"sqlite:///{demo_db}")

    source = data_dir_with(tmp_path / "source", None)
    source = Settings(data_dir=source.data_dir, database_url=source_url, secret_key="")
    out = tmp_path / "crm-pg.tar.gz"
    summary = create_backup(out=out, settings=source)
    assert summary.manifest["database"] == {"backend": "postgresql",
                                            "member": "database/crm.pgdump"}
    assert summary.manifest["alembic_revision"] == head_revision()
    assert summary.manifest["tables"]["lead"]["rows"] == 300

    target_url = pg_databases("crm_backup_dst")  # empty: not even migrated
    target = empty_data_dir(tmp_path / "target", target_url)
    restore_backup(archive=out, settings=target)
    assert tables_of(target_url) == tables_of(source_url)
    src_engine, dst_engine = make_engine(source_url), make_engine(target_url)
    try:
        assert all_rows(dst_engine) == all_rows(src_engine)
    finally:
        src_engine.dispose()
        dst_engine.dispose()
    assert user_files(target.data_dir) == USER_FILES

    # the restored database is a working one: its sequences continue after the copied ids
    engine = make_engine(target_url)
    try:
        with engine.begin() as conn:
            new_id = conn.execute(sa.text(
                "INSERT INTO team (name) VALUES ('nuevo') RETURNING id")).scalar_one()
            assert new_id > conn.execute(sa.text("SELECT max(id) FROM team WHERE name <> "
                                                 "'nuevo'")).scalar_one()
    finally:
        engine.dispose()
    with pytest.raises(BackupError, match="usa --force"):
        restore_backup(archive=out, settings=target)
    restore_backup(archive=out, settings=target, force=True)
    assert tables_of(target_url) == tables_of(source_url)


@pytest.mark.postgres
def test_a_postgres_backup_taken_while_writes_happen_is_a_consistent_snapshot(
        tmp_path: Path, demo_db: Path, pg_databases: Callable[[str], str]) -> None:
    source_url = pg_databases("crm_backup_busy")
    copy_rows(demo_db, source_url)
    source = Settings(data_dir=tmp_path / "source", database_url=source_url, secret_key="")
    out = tmp_path / "crm-pg.tar.gz"
    with PairWriter(source_url) as writer:
        during_start = writer.written
        create_backup(out=out, settings=source)
        during_end = writer.written
        time.sleep(0.2)
    assert writer.error is None, writer.error
    assert during_end > during_start
    target_url = pg_databases("crm_backup_busy_dst")
    restore_backup(archive=out, settings=empty_data_dir(tmp_path / "target", target_url))
    teams, events, orphans = writer_pairs(target_url)
    assert teams == events and orphans == 0 and during_start <= teams <= during_end
    assert writer_pairs(source_url)[0] > teams
