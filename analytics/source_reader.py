"""Reading the transactional tables as Arrow through ADBC (the snapshot's extract step).

For SQLite this runs in a CHILD PROCESS (``python -m analytics.source_reader URL DIR``) that
writes one Arrow IPC file per query: the ADBC driver bundles its own copy of SQLite, and two
SQLite libraries in one process do not see each other's POSIX locks, so when the ADBC
connection closes it believes it is the last one and checkpoints and deletes the WAL under the
app's own SQLAlchemy connections (stale reads, "disk I/O error", possible corruption; see
SQLite's "How to corrupt" §2.2). In a process of its own the locks work as designed.
PostgreSQL is read in-process.

Every column is typed explicitly, in one place: ``SOURCES`` names the model columns each
source reads and ``column_kinds`` takes each one's type from the SQLModel tables (integer,
text, money, time, date, boolean). The kind decides both the SQL that reads it and the Arrow
type the table is handed over in (``arrow_schema``), whatever the driver inferred: ADBC types
a SQLite result from its first rows, so a table without rows (a company with no leads) or a
part of a big table whose rows are all in the recycle bin came out BIGINT for every column,
and DuckDB then refused to COALESCE that "text" with real text. The parent process works the
kinds out (it has the models loaded) and hands them to the child in ``columns.json``: the
child does not import the models (seconds of import time on a busy machine).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------- what is read, and its types


@dataclass(frozen=True)
class Col:
    """One column of a source query: ``name`` in the result, read from ``expr`` (default: the
    column of that name), typed as the model column ``like`` (default: ``name``)."""

    name: str
    expr: str = ""
    like: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "expr", self.expr or self.name)
        object.__setattr__(self, "like", self.like or self.name)


@dataclass(frozen=True)
class Source:
    table: str
    columns: tuple[Col, ...]
    where: str = ""
    tail: str = ""  # ORDER BY / LIMIT


def _cols(*names: str | Col) -> tuple[Col, ...]:
    return tuple(n if isinstance(n, Col) else Col(n) for n in names)


SOURCES: dict[str, Source] = {
    "src_pipeline": Source("pipeline", _cols("id", "name")),
    "src_stage": Source("stage", _cols("id", "pipeline_id", "name", "position", "probability",
                                       "kind")),
    "src_user": Source("user", _cols("id", "name", "email", "role", "team_id", "active")),
    "src_team": Source("team", _cols("id", "name", "manager_id")),
    "src_product": Source("product", _cols("id", "name")),
    "src_org": Source("organisation", _cols("fiscal_year_start_month", "legal_name"),
                      tail="ORDER BY id LIMIT 1"),
    "src_account": Source("account", _cols("id", "name", "province", "channel")),
    "src_opp": Source("opportunity", _cols(
        "id", "account_id", "owner_id", "team_id", "pipeline_id", "stage_id", "product_id",
        "amount", "channel", "created_at",
        # when a won/lost deal closed: closed_at, else when it entered its stage
        Col("closed_at", "COALESCE(closed_at, stage_entered_at, created_at)"),
        "expected_close", "lead_id"), where="deleted_at IS NULL"),
    "src_sc": Source("stage_change", _cols("id", "opportunity_id", "from_stage_id",
                                           "to_stage_id", "changed_at")),
    "src_lead": Source("lead", _cols(
        "id", "created_at", "first_contacted_at", "converted_at", "converted_opportunity_id",
        "source", "owner_id", "team_id", "province", "status"), where="deleted_at IS NULL"),
    "src_quote": Source("quote", _cols(
        "id", "number", "version", "account_id", "opportunity_id", "status", "issue_date",
        "sent_at", "decided_at", "base_total", "total", "owner_id", "team_id", "created_at"),
        where="deleted_at IS NULL"),
    "src_qline": Source("quote_line", _cols("quote_id", "line_base")),
    # the moment an activity counts: done_at; notes and e-mails (records of something that
    # happened) when logged if they have no done_at; pending tasks never (NULL)
    "src_activity": Source("activity", _cols(
        "id", "kind", "owner_id", "team_id",
        Col("activity_at", "CASE WHEN kind IN ('note', 'email') THEN "
                           "COALESCE(done_at, created_at) ELSE done_at END", like="done_at"),
        "lead_id", "account_id", "opportunity_id"), where="deleted_at IS NULL"),
}

KINDS = ("int", "text", "money", "ts", "date", "bool")


def _kind_of(sa_type: Any) -> str:
    """The kind of a SQLAlchemy column type (a ``TypeDecorator`` by what it stores)."""
    from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, String
    from sqlalchemy.types import TypeDecorator

    if isinstance(sa_type, TypeDecorator):
        sa_type = sa_type.impl_instance
    if not isinstance(sa_type, Float):  # a Float is a Numeric, but not money
        for cls, kind in ((Boolean, "bool"), (Integer, "int"), (Numeric, "money"),
                          (DateTime, "ts"), (Date, "date"), (String, "text")):
            if isinstance(sa_type, cls):
                return kind
    raise TypeError(f"no snapshot kind for the column type {sa_type!r}")


@lru_cache(maxsize=1)
def column_kinds() -> dict[str, dict[str, str]]:
    """``{source: {column: kind}}`` for every source column, from the SQLModel tables."""
    from sqlmodel import SQLModel

    import crm_app.models  # noqa: F401  (registers the tables in the metadata)

    tables = SQLModel.metadata.tables
    return {name: {c.name: _kind_of(tables[src.table].c[c.like].type) for c in src.columns}
            for name, src in SOURCES.items()}


def arrow_schema(kinds: dict[str, str]) -> Any:
    """The Arrow schema a source is handed over in: ids and times (epoch ms) int64, money a
    double (see ``_Dialect.select``), text and dates text, booleans int64."""
    import pyarrow as pa

    types = {"int": pa.int64(), "ts": pa.int64(), "bool": pa.int64(), "money": pa.float64(),
             "text": pa.string(), "date": pa.string()}
    return pa.schema([(name, types[kind]) for name, kind in kinds.items()])


def _conform(table: Any, kinds: dict[str, str], schema: Any) -> Any | None:
    """``table`` in ``schema``: a column the driver typed otherwise (no rows, or all NULL) is
    cast. None when an integer column read without a CAST holds values of another type (a
    stray REAL or TEXT in SQLite): the caller reads it again with the CASTs."""
    import pyarrow as pa

    if table.schema.equals(schema):
        return table
    columns = []
    for field, column in zip(schema, table.columns, strict=True):
        if column.type != field.type:
            if column.null_count == len(column):
                column = pa.nulls(len(column), field.type)
            elif kinds[field.name] == "int" and not pa.types.is_integer(column.type):
                return None
            else:
                column = column.cast(field.type)
        columns.append(column)
    return pa.Table.from_arrays(columns, schema=schema)


# ---------------------------------------------------------------- source queries (per dialect)


class _Dialect:
    def __init__(self, name: str, strict: bool = True) -> None:
        self.name = name
        self.strict = strict

    def select(self, kind: str, expr: str, alias: str) -> str:
        """The SQL reading ``expr`` of ``kind`` as ``alias``, in one type whatever the rows:

        * ``ts``: a UTC time as integer milliseconds since 1970, to the second (NULL stays
          NULL). Whole seconds are plenty for the KPIs and SQLite's ``unixepoch`` without
          'subsec' is ~0.07 µs a value cheaper (~0.5 s of CPU over the 7 M times of the 1 M
          bench). Reading the text instead saved ~0.15 µs a value here but DuckDB's TRY_CAST
          then cost ~0.2 µs (measured, 1 M bench).
        * ``money``: a double, exact to the cent for the 14-digit NUMERIC(14,2) columns (a
          double has 15-16 significant digits), whatever SQLite stored.
        * ``int``: SQLite's INTEGER affinity already stores integers, so the relaxed query
          reads the column as it is (the CAST cost ~45 ns a value, a sixth of the read);
          ``_conform`` checks the types it got and the table is read again with the CASTs
          (``strict``) if a stray REAL or TEXT value made it anything but int64.
        * ``text`` and ``date``: text, '' for NULL; ``bool``: 0/1.
        """
        pg = self.name == "postgresql"
        if kind == "int":
            if not pg and not self.strict:
                return expr if expr == alias else f"{expr} AS {alias}"
            return f"CAST({expr} AS BIGINT) AS {alias}"
        if kind == "ts":
            if pg:
                return f"CAST(floor(extract(epoch FROM {expr})) * 1000 AS BIGINT) AS {alias}"
            return f"unixepoch({expr}) * 1000 AS {alias}"
        if kind == "money":
            return f"CAST(COALESCE({expr}, 0) AS DOUBLE PRECISION) AS {alias}"
        if kind == "date" and pg:
            return f"COALESCE(to_char({expr}, 'YYYY-MM-DD'), '') AS {alias}"
        if kind in ("text", "date"):
            return f"COALESCE(CAST({expr} AS TEXT), '') AS {alias}"
        if kind == "bool":
            return f"CAST({expr} AS INTEGER) AS {alias}"
        raise ValueError(f"unknown column kind {kind!r}")


def _source_query(d: _Dialect, source: Source, kinds: dict[str, str],
                  cond: str = "") -> str:
    cols = ", ".join(d.select(kinds[c.name], c.expr, c.name) for c in source.columns)
    where = " AND ".join(w for w in (source.where, cond) if w)
    return (f'SELECT {cols} FROM "{source.table}"' + (f" WHERE {where}" if where else "")
            + (f" {source.tail}" if source.tail else ""))


def _adbc_connect(database_url: str) -> tuple[Any, str]:
    """An ADBC DB-API connection for a SQLAlchemy-style URL, and the dialect name."""
    if database_url.startswith("sqlite"):
        import adbc_driver_sqlite.dbapi as adbc_sqlite

        path = database_url.split(":///", 1)[1] if ":///" in database_url else ""
        if not path or path == ":memory:":
            raise ValueError("the snapshot needs a file-backed SQLite database")
        conn = adbc_sqlite.connect(path)
        cur = conn.cursor()
        cur.execute("PRAGMA busy_timeout = 30000")  # the app, worker and CLI write meanwhile
        cur.fetchall()
        # read the pages in place instead of copying each into SQLite's cache (a third less
        # system time for a full scan); only this short-lived reading child maps the file
        cur.execute("PRAGMA mmap_size = 4294967296")
        cur.fetchall()
        cur.close()
        return conn, "sqlite"
    import adbc_driver_postgresql.dbapi as adbc_pg

    _scheme, rest = database_url.split("://", 1)
    return adbc_pg.connect(f"postgresql://{rest}"), "postgresql"


def dialect_of(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return "sqlite"
    if database_url.startswith("postgres"):
        return "postgresql"
    raise ValueError(f"unsupported database for the snapshot: {database_url.split(':', 1)[0]}")


# The big tables are read in id ranges, so the lanes get about the same work.
_SPLIT = {"src_activity": "activity", "src_sc": "stage_change", "src_opp": "opportunity"}
_LANES = 2
# Read order = the order ``analytics.snapshot`` shapes them in: the parent shapes the
# opportunities and their stage history while the child still reads the activities.
ORDER = ("src_stage", "src_pipeline", "src_account", "src_opp", "src_sc", "src_user",
         "src_team", "src_product", "src_lead", "src_activity", "src_quote", "src_qline",
         "src_org")
PLAN_FILE = "plan.json"
COLUMNS_FILE = "columns.json"  # the kinds, from the parent (see the module docstring)


def _tasks(conn: Any, dialect: str,
           kinds: dict[str, dict[str, str]]) -> list[tuple[str, int, str, str]]:
    """(name, part, relaxed query, strict query) in ``ORDER``: the big tables cut in
    ``_LANES`` id ranges."""
    relaxed, strict = _Dialect(dialect, strict=False), _Dialect(dialect)
    cur = conn.cursor()
    tasks: list[tuple[str, int, str, str]] = []
    for name in ORDER:
        source, table = SOURCES[name], _SPLIT.get(name)
        lo = hi = None
        if table is not None:
            # two subqueries: SQLite answers a lone min() or max() of the key from the
            # b-tree's ends, but ``min(id), max(id)`` together scans the whole table (~0.15 s
            # at 2 M rows)
            cur.execute(f"SELECT (SELECT min(id) FROM {table}), (SELECT max(id) FROM {table})")
            lo, hi = cur.fetchone()
        if lo is None or hi - lo < 10_000:
            tasks.append((name, 0, _source_query(relaxed, source, kinds[name]),
                          _source_query(strict, source, kinds[name])))
            continue
        step = (hi - lo) // _LANES + 1
        for k in range(_LANES):
            cond = f"id >= {lo + k * step} AND id < {lo + (k + 1) * step}"
            tasks.append((name, k, _source_query(relaxed, source, kinds[name], cond),
                          _source_query(strict, source, kinds[name], cond)))
    cur.close()
    return tasks


def _run_lanes(database_url: str, kinds: dict[str, dict[str, str]], on_plan: Any,
               on_part: Any) -> None:
    """Run every task on ``_LANES`` connections at once (ADBC releases the GIL while it
    fetches), in ``ORDER``: ``on_plan({name: parts})`` first, then ``on_part(name, part,
    table)`` as each one is read (from the lanes' threads), each table in the schema of its
    ``kinds``."""
    import queue

    conn, dialect = _adbc_connect(database_url)
    tasks = _tasks(conn, dialect, kinds)
    schemas = {name: arrow_schema(kinds[name]) for name in SOURCES}
    plan: dict[str, int] = {}
    for name, *_rest in tasks:
        plan[name] = plan.get(name, 0) + 1
    on_plan(plan)
    todo: queue.SimpleQueue[tuple[str, int, str, str]] = queue.SimpleQueue()
    for task in tasks:
        todo.put(task)

    def run(conn: Any) -> None:
        try:
            cur = conn.cursor()
            while True:
                try:
                    name, part, relaxed, strict = todo.get_nowait()
                except queue.Empty:
                    break
                table = None
                if relaxed != strict:
                    try:
                        cur.execute(relaxed)
                        table = _conform(cur.fetch_arrow_table(), kinds[name], schemas[name])
                    except Exception as exc:  # ADBC: "Type mismatch in column ..."
                        if "mismatch" not in str(exc).lower():
                            raise
                        cur.close()
                        cur = conn.cursor()
                if table is None:
                    cur.execute(strict)
                    table = _conform(cur.fetch_arrow_table(), kinds[name], schemas[name])
                    if table is None:  # every integer column is CAST in the strict query
                        raise TypeError(f"{name}: an integer column did not read as integer")
                on_part(name, part, table)
            cur.close()
        finally:
            conn.close()

    conns = [conn] + [_adbc_connect(database_url)[0] for _ in range(_LANES - 1)]
    with ThreadPoolExecutor(max_workers=_LANES) as pool:
        list(pool.map(run, conns))


def _concat(tables: list[Any]) -> Any:
    import pyarrow as pa

    return tables[0] if len(tables) == 1 else pa.concat_tables(
        tables, promote_options="permissive")


def read_in_process(database_url: str,
                    kinds: dict[str, dict[str, str]] | None = None) -> dict[str, Any]:
    """Every source query as an Arrow table, typed (PostgreSQL; and tests)."""
    import threading

    parts: dict[str, dict[int, Any]] = {}
    lock = threading.Lock()

    def on_part(name: str, part: int, table: Any) -> None:
        with lock:
            parts.setdefault(name, {})[part] = table

    _run_lanes(database_url, kinds or column_kinds(), lambda plan: None, on_part)
    return {name: _concat([got[k] for k in sorted(got)]) for name, got in parts.items()}


class Sources:
    """The source tables as Arrow, each available as soon as it has been read.

    SQLite is read by a child process (see the module docstring) that reads the column
    kinds from ``columns.json`` and writes ``plan.json``
    (how many parts each table comes in) and then one Arrow IPC file per part into
    ``workdir``, each renamed into place when complete. ``get(name)`` waits for that table's
    parts, so the snapshot shapes the first tables while the child reads the next ones: the
    read (one core) and DuckDB (the other) overlap. PostgreSQL is read in-process up front.
    Use as a context manager: leaving it stops a child that is still running.
    """

    def __init__(self, database_url: str, workdir: Path) -> None:
        import subprocess

        self.dialect = dialect_of(database_url)
        self.workdir = workdir
        self._tables: dict[str, Any] = {}
        self._plan: dict[str, int] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        kinds = column_kinds()
        if self.dialect != "sqlite":
            self._tables = read_in_process(database_url, kinds)
            return
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / COLUMNS_FILE).write_text(json.dumps(kinds))
        self._stderr = open(workdir / "stderr.txt", "w+b")  # noqa: SIM115 (closed in close)
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "analytics.source_reader", database_url, str(workdir)],
            stdout=subprocess.DEVNULL, stderr=self._stderr)

    def __enter__(self) -> Sources:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            self._stderr.close()
            self._proc = None

    def _wait_for(self, path: Path) -> None:
        import time

        while not path.exists():
            code = self._proc.poll() if self._proc is not None else 0
            if code is not None and not path.exists():
                self._stderr.seek(0)
                err = self._stderr.read().decode(errors="replace")
                raise RuntimeError("reading the database for the snapshot failed"
                                   f" (exit {code}):\n{err[-3000:]}")
            time.sleep(0.005)

    def get(self, name: str) -> Any:
        """The table ``name`` (a key of ``SOURCES``), waiting until it is read."""
        import pyarrow as pa

        if name in self._tables:
            return self._tables[name]
        if self._plan is None:
            self._wait_for(self.workdir / PLAN_FILE)
            self._plan = json.loads((self.workdir / PLAN_FILE).read_text())
        tables = []
        for part in range(self._plan[name]):
            path = self.workdir / f"{name}.{part}.arrow"
            self._wait_for(path)
            with pa.memory_map(str(path)) as source:
                tables.append(pa.ipc.open_file(source).read_all())
        self._tables[name] = _concat(tables)
        return self._tables[name]


def _write_all(database_url: str, workdir: Path) -> None:
    """The child: each part to ``<name>.<part>.arrow`` (written aside, then renamed)."""
    import os

    import pyarrow as pa

    def on_plan(plan: dict[str, int]) -> None:
        tmp = workdir / f".{PLAN_FILE}"
        tmp.write_text(json.dumps(plan))
        os.replace(tmp, workdir / PLAN_FILE)

    def on_part(name: str, part: int, table: Any) -> None:
        final = workdir / f"{name}.{part}.arrow"
        tmp = workdir / f".{name}.{part}.arrow"
        with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        os.replace(tmp, final)

    kinds = json.loads((workdir / COLUMNS_FILE).read_text())
    _run_lanes(database_url, kinds, on_plan, on_part)


if __name__ == "__main__":
    # adbc_driver_manager.dbapi imports polars when it can (0.7 s, a tenth of the read) only to
    # offer it as a result type; the child hands pyarrow tables over, so it goes without
    sys.modules["polars"] = None  # type: ignore[assignment]
    _write_all(sys.argv[1], Path(sys.argv[2]))
