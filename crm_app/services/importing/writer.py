"""Bulk writes inside the caller's transaction: one ``executemany`` of plain tuples per chunk.

No ORM objects: each column is converted once, with the column type's own bind processor, so
``UTCDateTime``, ``Numeric`` and ``JSON`` values are stored exactly as the ORM stores them, on
SQLite and PostgreSQL alike. Columns that hold the same value on every row (defaults, the batch
id, a status) are written as SQL literals, so only the varying columns are bound per row (the
binding is most of SQLite's cost). The statements run on the session's own connection: the
import commits or rolls back as one transaction with its ImportBatch and audit event.
"""

from __future__ import annotations

import json
import logging
import threading
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel

from crm_app.services.search import SearchTextChunks, changes_with_search_text

log = logging.getLogger(__name__)

CHUNK = 20_000
ROWS_PER_STATEMENT = 64


def model_defaults(model: type[SQLModel]) -> dict[str, Any]:
    """Python-side defaults of a model's columns (SQLModel columns have no server defaults)."""
    out: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            out[name] = info.default_factory()
        elif info.default is not None and not repr(info.default).startswith("PydanticUndefined"):
            out[name] = info.default
        else:
            out[name] = None
    return out


def _processed(conn: Connection, table: Table, name: str, values: list[Any]) -> list[Any]:
    column = table.c[name]
    proc = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    if proc is None:
        return values
    return [None if v is None else proc(v) for v in values]


def _column_values(conn: Connection, table: Table, name: str, series: pl.Series) -> list[Any]:
    """The DB-ready values of one column. On SQLite, datetimes and dates are formatted by
    polars in exactly SQLAlchemy's storage format (``2024-03-15 11:00:00.000000``, naive UTC),
    which is what ``UTCDateTime`` + SQLite's ``DATETIME`` would produce one value at a time."""
    if conn.dialect.name == "sqlite":
        if series.dtype == pl.Datetime:
            if series.dtype.time_zone is None:  # type: ignore[union-attr]
                raise ValueError("naive datetime: store times as aware UTC")
            naive = series.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            return naive.dt.strftime("%Y-%m-%d %H:%M:%S%.6f").to_list()
        if series.dtype == pl.Date:
            return series.dt.strftime("%Y-%m-%d").to_list()
    return _processed(conn, table, name, series.to_list())


def _literal(value: Any) -> str | None:
    """SQL text for a constant of a simple type; ``None`` when it must be bound."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and len(value) < 1000:
        return "'" + value.replace("'", "''") + "'"
    return None


def _placeholder(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    if style == "qmark":
        return "?"
    if style in ("format", "pyformat"):
        return "%s"
    raise NotImplementedError(f"paramstyle {style}")


def insert_rows(*, session: Session, model: type[SQLModel], frame: pl.DataFrame,
                constants: dict[str, Any],
                progress: Callable[[int], None] | None = None) -> int:
    """Insert every row of ``frame`` (columns named as the table's) plus ``constants``.

    Columns neither in ``frame`` nor in ``constants`` get the model's default. Returns the
    number of rows. ``progress(done)`` is called after each chunk. A searchable model's
    ``search_text`` is computed from the frame, chunk by chunk beside the insert
    (``SearchTextChunks``)."""
    search = SearchTextChunks.start(model, frame, constants, CHUNK)
    if search is None:
        return _insert_rows(session, model, frame, constants, progress, None)
    try:
        return _insert_rows(session, model, frame.with_columns(search_text=pl.lit("")),
                            constants, progress,
                            lambda chunk, start: chunk.with_columns(search.chunk(start)))
    finally:
        search.close()


def _insert_rows(session: Session, model: type[SQLModel], frame: pl.DataFrame,
                 constants: dict[str, Any], progress: Callable[[int], None] | None,
                 per_chunk: Callable[[pl.DataFrame, int], pl.DataFrame] | None) -> int:
    table: Table = model.__table__  # type: ignore[attr-defined]
    conn = session.connection()
    defaults = model_defaults(model)
    names = [c.name for c in table.columns if c.name != "id"]
    per_row = [n for n in names if n in frame.columns]
    fixed = {n: constants.get(n, defaults.get(n)) for n in names if n not in frame.columns}
    mark = _placeholder(conn)
    literal: dict[str, str] = {}
    bound_fixed: dict[str, Any] = {}
    for n, v in fixed.items():
        processed = _processed(conn, table, n, [v])[0]
        lit = _literal(processed)
        if lit is None:
            bound_fixed[n] = processed
        else:
            literal[n] = lit.replace("%", "%%") if mark == "%s" else lit
    cols = per_row + list(bound_fixed) + list(literal)
    marks = [mark] * (len(per_row) + len(bound_fixed)) + list(literal.values())
    one_row = f"({', '.join(marks)})"
    head = f"INSERT INTO {table.name} ({', '.join(cols)}) VALUES "  # noqa: S608
    sql = head + one_row
    # SQLite: several rows per statement (``VALUES (…), (…), …``) halve the per-row cost of
    # executemany; 999 parameters per statement is SQLite's most conservative limit.
    bound = max(1, len(per_row) + len(bound_fixed))
    per_stmt = max(1, min(ROWS_PER_STATEMENT, 999 // bound))
    sql_multi = head + ", ".join([one_row] * per_stmt)
    if not foreign_keys_enforced(conn):
        fk_columns = {fk.parent.name for fk in table.foreign_keys}
        check_references(conn, table, {
            **{n: frame[n].drop_nulls().unique().to_list() for n in per_row
               if n in fk_columns},
            **{n: [v] for n, v in fixed.items() if n in fk_columns}})
    done = 0
    rebuild = _indexes_to_rebuild(conn, table.name, frame.height)
    for _name, _sql in rebuild:
        conn.exec_driver_sql(f'DROP INDEX "{_name}"')
    if conn.dialect.name == "sqlite":
        done = _insert_sqlite(conn, table, frame, per_row, bound_fixed, sql, sql_multi,
                              per_stmt, progress, per_chunk)
    else:
        for start in range(0, frame.height, CHUNK):
            chunk = frame.slice(start, CHUNK)
            if per_chunk is not None:
                chunk = per_chunk(chunk, start)
            columns = [_column_values(conn, table, n, chunk[n]) for n in per_row]
            columns += [[v] * chunk.height for v in bound_fixed.values()]
            conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))
            done += chunk.height
            if progress is not None:
                progress(done)
    for _name, create_sql in rebuild:
        conn.exec_driver_sql(create_sql)
    return done


@contextmanager
def foreign_keys_checked_here(session: Session) -> Iterator[None]:
    """Let the import check foreign keys itself instead of SQLite.

    SQLite checks every foreign key of every inserted row against its parent table: four per
    lead, ~0.15 s of a 100,000-lead import. ``insert_rows`` and ``update_rows`` check them
    once per distinct value instead (``check_references``: the same guarantee). SQLite only
    lets the setting change outside a transaction, so this is entered before the import
    writes anything; the connection pool switches the checks on again when the connection
    goes back (``crm_app.db``), whether the import committed, rolled back or failed. On
    other databases, or inside a transaction already begun, nothing changes."""
    conn = session.connection()
    if conn.dialect.name == "sqlite" and not getattr(
            conn.connection.dbapi_connection, "in_transaction", True):
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
    yield


def foreign_keys_enforced(conn: Connection) -> bool:
    if conn.dialect.name != "sqlite":
        return True
    return bool(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())


def check_references(conn: Connection, table: Table, values: dict[str, list[Any]]) -> None:
    """Raise ``IntegrityError`` when a value of a foreign-key column (``values``: column ->
    values about to be written) has no row in the referenced table."""
    for fk in table.foreign_keys:
        name = fk.parent.name
        wanted = {v for v in values.get(name, ()) if v is not None}
        if not wanted:
            continue
        target = fk.column
        found: set[Any] = set()
        ordered = sorted(wanted)
        for start in range(0, len(ordered), 500):
            part = ordered[start:start + 500]
            found.update(r[0] for r in conn.execute(select(target).where(target.in_(part))))
        missing = wanted - found
        if missing:
            dbapi = conn.dialect.loaded_dbapi
            raise sa_exc.IntegrityError(
                f"{table.name}.{name} -> {target.table.name}.{target.name}",
                sorted(missing)[:10], dbapi.IntegrityError("FOREIGN KEY constraint failed"))


def _sqlite_params(conn: Connection, table: Table, chunk: pl.DataFrame, per_row: list[str],
                   bound_fixed: dict[str, Any]) -> tuple[list[Any], int]:
    """The chunk's parameters as one flat row-major list (``width`` values per row), built
    column by column: each column leaves polars with ``to_list`` and lands in its stride of
    the list with one slice assignment, so no per-row tuple is ever made (polars' ``rows()``
    costs ~150 ns a value, this ~25). Times are formatted as SQLAlchemy stores them on SQLite;
    columns whose type has a bind processor (JSON, Numeric…) are processed value by value."""
    columns = [_column_values(conn, table, n, chunk[n]) for n in per_row]
    columns += [[v] * chunk.height for v in bound_fixed.values()]
    width = len(columns)
    flat: list[Any] = [None] * (chunk.height * width)
    for j, values in enumerate(columns):
        flat[j::width] = values
    return flat, width


def _insert_sqlite(conn: Connection, table: Table, frame: pl.DataFrame, per_row: list[str],
                   bound_fixed: dict[str, Any], sql: str, sql_multi: str, per_stmt: int,
                   progress: Callable[[int], None] | None,
                   per_chunk: Callable[[pl.DataFrame, int], pl.DataFrame] | None) -> int:
    """Insert on the session's own DBAPI connection (same transaction), ``per_stmt`` rows per
    statement, parameters sliced from the chunk's flat list. (Executing on a helper thread
    while the next chunk is built was measured: no faster, the GIL hand-offs eat the gain.)"""
    raw = conn.connection.dbapi_connection
    dbapi_error = conn.dialect.loaded_dbapi.Error
    done = 0
    cursor = raw.cursor()
    try:
        for start in range(0, frame.height, CHUNK):
            chunk = frame.slice(start, CHUNK)
            if per_chunk is not None:  # columns computed beside the insert (search_text)
                chunk = per_chunk(chunk, start)
            flat, width = _sqlite_params(conn, table, chunk, per_row, bound_fixed)
            if width:
                full = (chunk.height - chunk.height % per_stmt) * width
                step = per_stmt * width
                try:
                    if full:
                        cursor.executemany(sql_multi, (flat[i:i + step]
                                                       for i in range(0, full, step)))
                    if full < len(flat):
                        cursor.executemany(sql, (flat[i:i + width]
                                                 for i in range(full, len(flat), width)))
                except dbapi_error as exc:  # the same exception types as through SQLAlchemy
                    raise sa_exc.DBAPIError.instance(sql, None, exc, dbapi_error,
                                                     dialect=conn.dialect) from exc
            done += chunk.height
            if progress is not None:
                progress(done)
    finally:
        cursor.close()
    return done


REBUILD_MIN_ROWS = 5_000


def _indexes_to_rebuild(conn: Connection, table: str, new_rows: int) -> list[tuple[str, str]]:
    """SQLite: for a large load, drop the table's secondary indexes and build them again
    after the insert, inside the same transaction. Building an index from sorted rows is
    about twice as fast as updating a dozen B-trees row by row, so it pays when the new rows
    are at least a third of the table. A rollback restores the indexes with everything else;
    readers (WAL) keep seeing the committed table and its indexes meanwhile. Indexes behind
    UNIQUE/PRIMARY KEY constraints (no SQL text) are never touched, nor partial indexes
    (``… WHERE``): the rows they hold are few, new rows rarely enter them."""
    if conn.dialect.name != "sqlite":
        return []
    conn.exec_driver_sql("PRAGMA cache_size = -262144")  # up to 256 MB of pages, as needed
    if new_rows < REBUILD_MIN_ROWS:
        return []
    raw = conn.connection.dbapi_connection
    if not getattr(raw, "in_transaction", False):
        return []  # DDL outside a transaction would not roll back with the import
    existing = conn.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one()  # noqa: S608
    if new_rows * 3 < existing:
        return []
    rows = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL AND upper(sql) NOT LIKE '% WHERE %' ORDER BY name",
        (table,)).fetchall()
    return [(name, sql) for name, sql in rows]


_checkpoints: list[threading.Thread] = []


def commit_bulk(*, session: Session, rows: int, table: str) -> None:
    """Commit the session; for a large load on SQLite, without waiting for the checkpoint.

    In WAL mode the commit that pushes the log past ``wal_autocheckpoint`` pages also copies
    the whole log into the database file before it returns: after 100,000 new leads that is
    ~0.2 s the importing user would wait for although the rows are already committed. So the
    transaction is committed with the automatic checkpoint off (on the same connection, which
    stays checked out, so no other thread sees the setting) and a background thread
    checkpoints with a connection of its own right after, and refreshes the planner's
    statistics of ``table`` (a table that doubled in size with stale statistics gets slow
    plans until the nightly ANALYZE). A crash in between loses nothing: the log is replayed
    on the next open."""
    conn = session.connection()
    if conn.dialect.name != "sqlite" or rows < REBUILD_MIN_ROWS:
        session.commit()
        return
    session.flush()
    raw = conn.connection.dbapi_connection
    previous = int(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint = 0")
    try:
        raw.commit()
    finally:
        conn.exec_driver_sql(f"PRAGMA wal_autocheckpoint = {previous}")
    session.commit()  # nothing left to write: ends the ORM transaction
    engine = session.get_bind()
    thread = threading.Thread(target=_after_bulk_commit, args=(engine, table),
                              name="wal-checkpoint")
    _checkpoints.append(thread)
    thread.start()


def _after_bulk_commit(engine: Any, table: str) -> None:
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            conn.exec_driver_sql("PRAGMA analysis_limit = 0")
            conn.exec_driver_sql(f'ANALYZE "{table}"')
            conn.commit()
    except Exception:  # noqa: BLE001 - a later commit checkpoints, the nightly job analyses
        log.warning("checkpoint or ANALYZE after a bulk import failed", exc_info=True)


def wait_for_checkpoints() -> None:
    """Join the background checkpoints (benchmarks between runs; tests)."""
    while _checkpoints:
        _checkpoints.pop().join()


def update_rows(*, session: Session, model: type[SQLModel], changes: Sequence[dict[str, Any]]
                ) -> None:
    """``changes``: ``{"id": .., field: value, ...}``; rows are grouped by their field set and
    written with one executemany per group (SQLAlchemy Core, types processed). A change to
    a searchable field carries the row's new ``search_text`` too."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    changes = changes_with_search_text(session=session, model=model, changes=changes)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for change in changes:
        keys = tuple(sorted(k for k in change if k != "id"))
        if keys:
            groups.setdefault(keys, []).append(change)
    conn = session.connection()
    if not foreign_keys_enforced(conn):
        check_references(conn, table, {k: [c[k] for c in changes if k in c]
                                       for k in {k for c in changes for k in c}})
    for keys, rows in groups.items():
        stmt = update(table).where(table.c.id == bindparam("_id")).values(
            {k: bindparam(f"_v_{k}") for k in keys})
        params = [{"_id": r["id"], **{f"_v_{k}": r[k] for k in keys}} for r in rows]
        conn.execute(stmt, params)


def from_json(model: type[SQLModel], name: str, value: Any) -> Any:
    """A value saved in ``ImportBatch.previous_values`` back to the column's Python type."""
    if value is None:
        return None
    annotation = model.model_fields[name].annotation
    kinds = set(typing.get_args(annotation)) | {annotation}
    if isinstance(value, str):
        if datetime in kinds:
            return datetime.fromisoformat(value)
        if date in kinds:
            return date.fromisoformat(value)
    if Decimal in kinds and isinstance(value, (str, int, float)):
        return Decimal(str(value))
    return value


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.loads(json.dumps(value, default=str))
    return value


__all__ = ["CHUNK", "check_references", "commit_bulk", "foreign_keys_checked_here",
           "foreign_keys_enforced", "from_json", "insert_rows", "model_defaults", "to_json",
           "update_rows", "wait_for_checkpoints"]
