"""Export every table of the company as CSV and XLSX, with its documents, in one ZIP (issue 12).

For a company that leaves, or for its own BI: ``crm export all --out FILE.zip`` and, for admins,
Ajustes → Exportar datos (a Celery job, ``crm.ops.export_all``, whose ZIP is downloaded through
an authorised route). Inside the ZIP::

    LEEME.txt              what is where, in Spanish
    manifest.json          tables (columns, rows), custom fields, documents, left-out columns
    csv/<table>.csv        UTF-8 with BOM, ``;``, decimal comma, dd/mm/aaaa (Madrid time)
    xlsx/<table>.xlsx      real numbers and dates; a sheet per 1,048,575 rows
    documentos/<id>-<file> the documents' files

- **Every table**: ``SQLModel.metadata`` is enumerated, so a table added later is exported
  without touching this module.
- **Never a secret**: a column is left out when it is a known secret (``SECRET_COLUMNS``) or
  its name looks like one (``SECRET_NAME``: password, hash, token, secret, ``_enc``, TOTP,
  recovery codes…): fail-closed for the columns of tables added later.
  ``tests/unit/test_export_all.py`` checks every column of every table against this rule.
- **Custom fields as columns**: a table with a ``custom`` JSON (leads, customers, contacts,
  opportunities) gets one ``custom.<key>`` column per definition, active or not, typed.
- **Size**: rows are streamed from the database (``yield_per``), each member is written into
  the ZIP as it is produced (``ZipFile.open(…, "w")``; the XLSX workbooks are openpyxl's
  write-only kind, saved straight into the ZIP), so memory stays flat for a million leads.
  The only space used is the ZIP itself (``<out>.part`` until complete) and openpyxl's buffer of
  the sheet being written; the export stops with a clear error when the disk's free space falls
  below ``MIN_FREE_BYTES``.

The background job's state is a JSON file next to its ZIP in ``$CRM_DATA_DIR/exports`` (the
web app, the worker and the CLI share the data dir): one export at a time (a job queued or
running refuses another; the running one holds an exclusive ``flock``, so a crashed worker
never blocks the next), exports older than ``KEEP_HOURS`` are deleted, and only the newest
finished one is kept. Requested, finished, failed and downloaded exports are audited.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import re
import shutil
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel

import crm_app.models  # noqa: F401 - every table registered in SQLModel.metadata
from crm_app.formatting import to_local
from crm_app.i18n import t
from crm_app.models import CustomFieldDef, User
from crm_app.permissions import Perm, require
from crm_app.services import audit
from crm_app.services.actors import SYSTEM, Actor, needs_actor
from crm_app.services.errors import Conflict, DomainError, NotFound
from crm_app.services.spreadsheet_cells import safe_cell
from crm_app.settings import Settings, get_settings

FORMAT = "crm-export/1"
EXPORTS_DIR = "exports"
KEEP_HOURS = 24  # a finished export is deleted after this
QUEUED_STALE = timedelta(hours=6)  # a job no worker took in this time no longer blocks others
MIN_FREE_BYTES = 256 * 1024 * 1024  # stop before the data dir's disk is full
XLSX_MAX_ROWS = 1_048_575  # Excel's limit (1,048,576 rows) minus the header
XLSX_MAX_CELL = 32_767  # Excel's limit of characters in a cell
PROGRESS_EVERY_ROWS = 5_000
YIELD_PER = 1_000

# Known secrets, by table.column, and the names that look like one (fail-closed for tables and
# columns added later: TOTP secrets, reset-token hashes, recovery codes…).
SECRET_COLUMNS = frozenset({
    "user.password_hash", "user.totp_secret_enc", "user_session.token_hash",
    "api_token.token_hash", "organisation.smtp_password_enc", "user_invitation.token_hash",
    "password_reset.token_hash", "recovery_code.code_hash", "login_challenge.token_hash",
})
SECRET_NAME = re.compile(
    r"pass(word|wd)|secret|hash|token|_enc$|encrypted|totp|otp|recovery|private_key|api_key",
    re.IGNORECASE)
# Derived columns the app rebuilds itself (not data): left out as noise.
DERIVED_COLUMNS = frozenset({"search_text"})
CUSTOM_COLUMN = "custom"
JOB_ID = re.compile(r"^[0-9a-f]{32}$")

DATE_FMT = "%d/%m/%Y"
DATETIME_FMT = "%d/%m/%Y %H:%M:%S"
XLSX_DATE = "dd/mm/yyyy"
XLSX_DATETIME = "dd/mm/yyyy hh:mm:ss"


class ExportError(DomainError):
    """The export could not be written (disk full, output exists…); nothing half-written."""


def is_secret(table: str, column: str) -> bool:
    """Whether ``table.column`` may never leave the CRM in an export."""
    return f"{table}.{column}" in SECRET_COLUMNS or bool(SECRET_NAME.search(column))


def tables() -> list[Table]:
    """Every table of the application, parents first."""
    return list(SQLModel.metadata.sorted_tables)


def exported_columns(table: Table) -> list[str]:
    """The table's own columns that go into the export (no secret, nothing derived)."""
    return [c.name for c in table.columns
            if not is_secret(table.name, c.name) and c.name not in DERIVED_COLUMNS]


def left_out_columns() -> list[str]:
    """``table.column`` of every column the export leaves out as a secret."""
    return [f"{tb.name}.{c.name}" for tb in tables() for c in tb.columns
            if is_secret(tb.name, c.name)]


# --- cells ----------------------------------------------------------------------------------


def _plain_decimal(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def csv_cell(value: Any) -> str:
    """A value as a Spanish spreadsheet reads it: ``1234,50``, ``27/11/2026``, ``sí``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return t("export_all.yes") if value else t("export_all.no")
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return to_local(value).strftime(DATETIME_FMT)
    if isinstance(value, date):
        return value.strftime(DATE_FMT)
    if isinstance(value, (dict, list)):
        return safe_cell(json.dumps(value, ensure_ascii=False, default=str))
    return safe_cell(str(value))


_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_value(value: Any) -> tuple[Any, str | None]:
    """(cell value, number format) for openpyxl: numbers and dates stay numbers and dates."""
    if value is None or isinstance(value, (bool, int)):
        return value, None
    if isinstance(value, Decimal):
        return float(value), None
    if isinstance(value, float):
        return value, None
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None), XLSX_DATETIME
    if isinstance(value, date):
        return value, XLSX_DATE
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, default=str)
    text = _ILLEGAL_XML.sub("", str(value))[:XLSX_MAX_CELL]
    return safe_cell(text), None


def custom_value(kind: str, value: Any) -> Any:
    """A custom field's stored value (canonical text) as a typed value."""
    if value is None or value == "":
        return None
    try:
        if kind == "number":
            return Decimal(str(value))
        if kind == "date":
            return date.fromisoformat(str(value)[:10])
        if kind == "bool":
            return value if isinstance(value, bool) else str(value).lower() == "true"
    except (ValueError, ArithmeticError):
        return str(value)
    return value


# --- what a table becomes ------------------------------------------------------------------


@dataclass
class TablePlan:
    table: Table
    columns: list[str]  # the table's own exported columns, in order
    custom: list[tuple[str, str]] = field(default_factory=list)  # (key, type)

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def headers(self) -> list[str]:
        return self.columns + [f"{CUSTOM_COLUMN}.{key}" for key, _ in self.custom]

    def select_columns(self) -> list[str]:
        has_custom = CUSTOM_COLUMN in self.table.columns and self.custom
        return self.columns + ([CUSTOM_COLUMN] if has_custom else [])

    def values(self, row: Any) -> list[Any]:
        out = [row[i] for i in range(len(self.columns))]
        if self.custom:
            data = row[len(self.columns)] if CUSTOM_COLUMN in self.table.columns else None
            data = data if isinstance(data, dict) else {}
            out += [custom_value(kind, data.get(key)) for key, kind in self.custom]
        return out


def plans(session: Session) -> list[TablePlan]:
    """One plan per table; ``custom`` JSON columns become one column per field definition."""
    defs: dict[str, list[tuple[str, str]]] = {}
    for d in session.execute(select(CustomFieldDef).order_by(
            CustomFieldDef.entity, CustomFieldDef.position, CustomFieldDef.id)).scalars():
        defs.setdefault(d.entity, []).append((d.key, str(d.type)))
    out = []
    for table in tables():
        columns = exported_columns(table)
        custom: list[tuple[str, str]] = []
        if CUSTOM_COLUMN in columns:
            columns.remove(CUSTOM_COLUMN)
            custom = defs.get(table.name, [])
            if not custom:  # values without a definition are kept, as JSON
                columns.append(CUSTOM_COLUMN)
        out.append(TablePlan(table, columns, custom))
    return out


def _stream(conn: Connection, plan: TablePlan) -> Iterator[Any]:
    table = plan.table
    stmt = select(*[table.c[name] for name in plan.select_columns()])
    stmt = stmt.order_by(*table.primary_key.columns) if table.primary_key.columns else stmt
    result = conn.execution_options(yield_per=YIELD_PER).execute(stmt)
    try:
        yield from result
    finally:
        result.close()


# --- writing the ZIP -----------------------------------------------------------------------


@dataclass
class ExportSummary:
    path: Path
    size: int
    tables: dict[str, int]  # table -> rows
    documents: int
    missing_documents: list[int]

    @property
    def rows(self) -> int:
        return sum(self.tables.values())


Progress = Callable[[dict[str, Any]], None]


class _Writer:
    """Writes the members one after the other into ``zf``, checking the free space."""

    def __init__(self, zf: zipfile.ZipFile, out_dir: Path, progress: Progress | None) -> None:
        self.zf = zf
        self.out_dir = out_dir
        self.progress = progress or (lambda _info: None)
        self.rows_done = 0

    def check_space(self) -> None:
        if shutil.disk_usage(self.out_dir).free < MIN_FREE_BYTES:
            raise ExportError(t("export_all.err.disk", mb=MIN_FREE_BYTES // (1024 * 1024)))

    def _info(self, name: str, stored: bool = False) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, datetime.now(UTC).timetuple()[:6])
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        return info

    def _tick(self, n: int, table: str) -> None:
        self.rows_done += n
        if self.rows_done % PROGRESS_EVERY_ROWS == 0:
            self.check_space()
            self.progress({"table": table, "rows": self.rows_done})

    def csv(self, conn: Connection, plan: TablePlan) -> int:
        count = 0
        with self.zf.open(self._info(f"csv/{plan.name}.csv"), "w", force_zip64=True) as raw, \
                io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
            writer.writerow(plan.headers)
            for row in _stream(conn, plan):
                writer.writerow([csv_cell(v) for v in plan.values(row)])
                count += 1
                self._tick(1, plan.name)
        return count

    def xlsx(self, conn: Connection, plan: TablePlan) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        wb = Workbook(write_only=True)
        bold = Font(bold=True)
        sheets = 0

        def new_sheet() -> Any:
            nonlocal sheets
            sheets += 1
            title = plan.name[:31] if sheets == 1 else f"{plan.name[:25]} ({sheets})"
            ws = wb.create_sheet(title=title)
            header = []
            for name in plan.headers:
                cell = WriteOnlyCell(ws, value=name)
                cell.font = bold
                header.append(cell)
            ws.append(header)
            return ws

        ws = new_sheet()
        in_sheet = 0
        for row in _stream(conn, plan):
            if in_sheet >= XLSX_MAX_ROWS:
                ws, in_sheet = new_sheet(), 0
            cells = []
            for value in plan.values(row):
                shown, fmt = xlsx_value(value)
                if fmt is None:
                    cells.append(shown)
                else:
                    cell = WriteOnlyCell(ws, value=shown)
                    cell.number_format = fmt
                    cells.append(cell)
            ws.append(cells)
            in_sheet += 1
        # an .xlsx is already a ZIP: stored as it is
        with self.zf.open(self._info(f"xlsx/{plan.name}.xlsx", stored=True), "w",
                          force_zip64=True) as raw:
            wb.save(raw)

    def file(self, member: str, path: Path) -> None:
        self.check_space()
        with path.open("rb") as src, self.zf.open(self._info(member), "w",
                                                  force_zip64=True) as dst:
            shutil.copyfileobj(src, dst, 1 << 20)

    def text(self, member: str, content: str) -> None:
        with self.zf.open(self._info(member), "w") as dst:
            dst.write(content.encode("utf-8"))


_UNSAFE_NAME = re.compile(r"[\x00-\x1f/\\:*?\"<>|]+")


def _document_member(doc_id: int, filename: str) -> str:
    name = _UNSAFE_NAME.sub("_", filename or "").strip(" .") or "documento"
    return f"documentos/{doc_id}-{name[-150:]}"


def _document_path(root: Path, storage_key: str) -> Path | None:
    """The document's file under ``root``; None for a key that would leave it."""
    try:
        path = (root / storage_key).resolve()
        path.relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return path


def _documents(conn: Connection, w: _Writer, root: Path) -> tuple[int, list[int]]:
    from crm_app.models import Document

    table = Document.__table__  # type: ignore[attr-defined]
    stmt = select(table.c.id, table.c.filename, table.c.storage_key).order_by(table.c.id)
    done, missing = 0, []
    for doc_id, filename, key in conn.execution_options(yield_per=YIELD_PER).execute(stmt):
        path = _document_path(root, key or "")
        if path is None or not path.is_file():
            missing.append(doc_id)
            continue
        w.file(_document_member(doc_id, filename), path)
        done += 1
    return done, missing


def _readme(created_at: datetime) -> str:
    return t("export_all.readme", when=to_local(created_at).strftime("%d/%m/%Y %H:%M"))


def _snapshot_session(session: Session) -> Connection:
    """The session's connection; on PostgreSQL one REPEATABLE READ snapshot for every table."""
    if session.get_bind().dialect.name == "postgresql":
        return session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    return session.connection()


@needs_actor
def export_all(*, session: Session, actor: Actor, out: Path,
               settings: Settings | None = None, progress: Progress | None = None
               ) -> ExportSummary:
    """Write the whole company to the ZIP ``out`` (mode 0600; ``out.part`` until complete).

    Admins only. Refuses an existing ``out``. Not audited here: the CLI and the job audit
    who exported, when and what (``audit_export``)."""
    require(actor, Perm.SETTINGS_CHANGE)
    settings = settings or get_settings()
    out = Path(out).resolve()
    if out.exists():
        raise ExportError(t("export_all.err.out_exists", path=out))
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(out.name + ".part")
    created_at = datetime.now(UTC).replace(microsecond=0)
    conn = _snapshot_session(session)
    table_plans = plans(session)
    counts: dict[str, int] = {}
    notify = progress or (lambda _info: None)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED,
                                 allowZip64=True) as zf:
                w = _Writer(zf, out.parent, progress)
                w.check_space()
                w.text("LEEME.txt", _readme(created_at))
                for i, plan in enumerate(table_plans):
                    notify({"table": plan.name, "tables_done": i,
                            "tables_total": len(table_plans), "rows": w.rows_done})
                    counts[plan.name] = w.csv(conn, plan)
                    w.xlsx(conn, plan)
                notify({"table": "", "tables_done": len(table_plans),
                        "tables_total": len(table_plans), "rows": w.rows_done})
                documents, missing = _documents(conn, w, settings.documents_dir)
                manifest = {
                    "format": FORMAT,
                    "created_at": created_at.isoformat().replace("+00:00", "Z"),
                    "tables": {p.name: {"rows": counts[p.name], "columns": p.headers}
                               for p in table_plans},
                    "custom_fields": {p.name: [k for k, _ in p.custom]
                                      for p in table_plans if p.custom},
                    "documents": documents,
                    "missing_documents": missing,
                    "left_out_columns": left_out_columns(),
                }
                w.text("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(part, out)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        session.rollback()  # ends the read snapshot
    return ExportSummary(out, out.stat().st_size, counts, documents, missing)


@needs_actor
def audit_export(*, session: Session, actor: Actor, action: str, note: str = "",
                 after: dict[str, Any] | None = None) -> None:
    """One audit event about an export (``requested``, ``done``, ``failed``, ``downloaded``)."""
    audit.record(session=session, actor=actor, entity="export", entity_id=None,
                 action=f"export.{action}", after=after, note=note)
    session.commit()


# --- the background job ---------------------------------------------------------------------


def exports_dir(settings: Settings | None = None) -> Path:
    path = (settings or get_settings()).data_dir / EXPORTS_DIR
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _status_path(root: Path, job_id: str) -> Path:
    return root / f"{job_id}.json"


def _zip_path(root: Path, job_id: str) -> Path:
    return root / f"{job_id}.zip"


def _read(root: Path, job_id: str) -> dict[str, Any] | None:
    try:
        return json.loads(_status_path(root, job_id).read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write(root: Path, job: dict[str, Any]) -> None:
    path = _status_path(root, job["id"])
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(job, ensure_ascii=False))
    os.replace(tmp, path)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _jobs(root: Path) -> list[dict[str, Any]]:
    found = []
    for path in root.glob("*.json"):
        if JOB_ID.match(path.stem) and (job := _read(root, path.stem)) is not None:
            found.append(job)
    return sorted(found, key=lambda j: j["created_at"], reverse=True)


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool, wait: float = 0.0) -> Iterator[bool]:
    """An exclusive ``flock`` on ``path``: held (True) or not (False) after ``wait`` s."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        yield True
    finally:
        os.close(fd)


RUN_LOCK = ".running.lock"
START_LOCK = ".start.lock"


def _is_running(root: Path) -> bool:
    """Whether some process holds the run lock (a running export)."""
    with _flock(root / RUN_LOCK, blocking=False) as free:
        return not free


def _settle(root: Path, job: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A job whose worker died (running without the lock) or that no worker took in time
    (queued too long) is failed: it must not block the next one for ever."""
    stale = (job["state"] == "running" and not _is_running(root)) or (
        job["state"] == "queued" and now - _parse(job["created_at"]) > QUEUED_STALE)
    if stale:
        job = {**job, "state": "failed", "finished_at": _now(),
               "error": t("export_all.err.interrupted")}
        _write(root, job)
    return job


def purge_exports(*, settings: Settings | None = None, now: datetime | None = None) -> int:
    """Delete exports finished more than ``KEEP_HOURS`` ago and every finished ZIP but the
    newest, and leftovers of interrupted runs; the number of jobs removed."""
    root = exports_dir(settings)
    now = now or datetime.now(UTC)
    removed = 0
    newest_done = True
    for job in _jobs(root):
        job = _settle(root, job, now)
        if job["state"] in ("queued", "running"):
            continue
        old = now - _parse(job.get("finished_at") or job["created_at"]) > timedelta(
            hours=KEEP_HOURS)
        keep = job["state"] == "done" and newest_done and not old
        if job["state"] == "done" and not old:
            newest_done = False
        if job["state"] == "failed" and not old:
            continue  # the screen says why it failed for a day
        if not keep:
            _zip_path(root, job["id"]).unlink(missing_ok=True)
            _status_path(root, job["id"]).unlink(missing_ok=True)
            removed += 1
    if not _is_running(root):
        for leftover in root.glob("*.zip.part"):
            leftover.unlink(missing_ok=True)
    return removed


def public(job: dict[str, Any]) -> dict[str, Any]:
    """What the screen and the API show of a job."""
    keys = ("id", "state", "created_at", "started_at", "finished_at", "table", "tables_done",
            "tables_total", "rows", "size", "documents", "error", "file_name",
            "requested_by_name")
    out = {k: job.get(k) for k in keys}
    out["download_url"] = (f"/api/v1/exports/{job['id']}/download"
                           if job["state"] == "done" else "")
    return out


_queue: Callable[[str], None] | None = None


def set_queue(dispatch: Callable[[str], None] | None) -> None:
    """How a queued job reaches the worker: the web process installs Celery's ``send_task``
    (``crm_app.worker.queue``); the core never imports Celery."""
    global _queue  # noqa: PLW0603 - one queue per process, installed at start-up
    _queue = dispatch


def _dispatch(job_id: str) -> None:
    if _queue is None:
        raise RuntimeError("no job queue installed")
    _queue(job_id)


@needs_actor
def start_export(*, session: Session, actor: Actor,
                 dispatch: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Queue an export of everything as ``actor`` (admins); ``dispatch(job_id)`` (by default
    the installed queue, ``set_queue``) hands it to the worker. Conflict while another one is
    queued or running."""
    require(actor, Perm.SETTINGS_CHANGE)
    dispatch = dispatch or _dispatch
    settings = get_settings()
    root = exports_dir(settings)
    purge_exports(settings=settings)
    with _flock(root / START_LOCK, blocking=True):
        now = datetime.now(UTC)
        if any(_settle(root, j, now)["state"] in ("queued", "running") for j in _jobs(root)):
            raise Conflict(t("export_all.err.busy"))
        job_id = uuid.uuid4().hex
        stamp = to_local(now)
        job = {"id": job_id, "state": "queued", "created_at": _now(), "started_at": None,
               "finished_at": None, "table": "", "tables_done": 0, "tables_total": 0,
               "rows": 0, "size": 0, "documents": 0, "error": "",
               "file_name": f"crm-exportacion-{stamp:%Y%m%d-%H%M}.zip",
               "requested_by": actor.id, "requested_by_name": actor.name or ""}
        _write(root, job)
    audit_export(session=session, actor=actor, action="requested", after={"job": job_id})
    try:
        dispatch(job_id)
    except Exception as exc:
        job.update(state="failed", finished_at=_now(), error=t("export_all.err.queue"))
        _write(root, job)
        raise ExportError(t("export_all.err.queue")) from exc
    return public(job)


@needs_actor
def get_export(*, actor: Actor, job_id: str) -> dict[str, Any]:
    """The job ``job_id`` (admins), its stale state settled."""
    require(actor, Perm.SETTINGS_CHANGE)
    root = exports_dir()
    job = _read(root, job_id) if JOB_ID.match(job_id or "") else None
    if job is None:
        raise NotFound(t("export_all.err.not_found"))
    return public(_settle(root, job, datetime.now(UTC)))


@needs_actor
def latest_export(*, actor: Actor) -> dict[str, Any] | None:
    """The newest job (admins), or None."""
    require(actor, Perm.SETTINGS_CHANGE)
    root = exports_dir()
    jobs = _jobs(root)
    return public(_settle(root, jobs[0], datetime.now(UTC))) if jobs else None


@needs_actor
def export_download(*, session: Session, actor: Actor, job_id: str) -> tuple[Path, str]:
    """(path, file name) of a finished export (admins); audited."""
    job = get_export(actor=actor, job_id=job_id)
    path = _zip_path(exports_dir(), job_id)
    if job["state"] != "done" or not path.is_file():
        raise NotFound(t("export_all.err.not_ready"))
    audit_export(session=session, actor=actor, action="downloaded", after={"job": job_id})
    return path, job["file_name"]


def run_export(job_id: str, *, session: Session) -> dict[str, Any]:
    """The job's body (Celery ``crm.ops.export_all``): build the ZIP as the admin who asked.

    One at a time: the run lock is held for the whole build; a second run fails at once."""
    settings = get_settings()
    root = exports_dir(settings)
    if not JOB_ID.match(job_id or "") or (job := _read(root, job_id)) is None:
        raise NotFound(t("export_all.err.not_found"))
    # a few seconds' grace: a screen checking whether an export runs holds it for an instant
    with _flock(root / RUN_LOCK, blocking=False, wait=5.0) as ours:
        if not ours:
            job.update(state="failed", finished_at=_now(), error=t("export_all.err.busy"))
            _write(root, job)
            return public(job)
        if job["state"] != "queued":
            return public(job)
        user = session.get(User, job["requested_by"]) if job.get("requested_by") else None
        actor: Actor = user if user is not None else SYSTEM
        job.update(state="running", started_at=_now())
        _write(root, job)
        last = [datetime.now(UTC)]

        def progress(info: dict[str, Any]) -> None:
            job.update(info)
            now = datetime.now(UTC)
            if "tables_done" in info or now - last[0] > timedelta(seconds=1):
                last[0] = now
                _write(root, job)

        try:
            if user is None:
                raise NotFound(t("export_all.err.requester"))
            session.commit()  # nothing pending: the export opens its own read snapshot
            summary = export_all(session=session, actor=actor, out=_zip_path(root, job_id),
                                 settings=settings, progress=progress)
        except Exception as exc:  # noqa: BLE001 - the screen must say it failed, and why
            message = str(getattr(exc, "message", "") or t(
                "export_all.err.failed", error=type(exc).__name__))
            job.update(state="failed", finished_at=_now(), error=message)
            _write(root, job)
            if user is not None:
                audit_export(session=session, actor=actor, action="failed", note=message[:300],
                             after={"job": job_id})
            return public(job)
        job.update(state="done", finished_at=_now(), size=summary.size, rows=summary.rows,
                   documents=summary.documents, table="")
        _write(root, job)
        audit_export(session=session, actor=actor, action="done",
                     after={"job": job_id, "rows": summary.rows, "tables": len(summary.tables),
                            "documents": summary.documents, "size": summary.size})
    purge_exports(settings=settings)
    return public(job)


__all__ = ["DERIVED_COLUMNS", "SECRET_COLUMNS", "SECRET_NAME", "ExportError", "ExportSummary",
           "TablePlan", "audit_export", "csv_cell", "export_all", "export_download",
           "exported_columns", "get_export", "is_secret", "latest_export", "left_out_columns",
           "plans", "public", "purge_exports", "run_export", "set_queue", "start_export", "tables",
           "xlsx_value"]
