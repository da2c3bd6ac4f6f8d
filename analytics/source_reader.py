"""Reading the transactional tables as Arrow through ADBC (the snapshot's extract step).

For SQLite this runs in a CHILD PROCESS (``python -m analytics.source_reader URL DIR``) that
writes one Arrow IPC file per query: the ADBC driver bundles its own copy of SQLite, and two
SQLite libraries in one process do not see each other's POSIX locks, so when the ADBC
connection closes it believes it is the last one and checkpoints and deletes the WAL under the
app's own SQLAlchemy connections (stale reads, "disk I/O error", possible corruption; see
SQLite's "How to corrupt" §2.2). In a process of its own the locks work as designed.
PostgreSQL is read in-process.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# ---------------------------------------------------------------- source queries (per dialect)


class _Dialect:
    def __init__(self, name: str, strict: bool = True) -> None:
        self.name = name
        self.strict = strict

    def ts(self, col: str, alias: str | None = None) -> str:
        """A UTC time as integer milliseconds since 1970, to the second (NULL stays NULL: an
        all-NULL first batch is inferred as int64 too, so the column keeps one type). ``col``
        may be an expression when ``alias`` names the result. Whole seconds are plenty for the
        KPIs and SQLite's ``unixepoch`` without 'subsec' is ~0.07 µs a value cheaper (~0.5 s of
        CPU over the 7 M times of the 1 M bench). Reading the text instead saved ~0.15 µs a
        value here but DuckDB's TRY_CAST then cost ~0.2 µs (measured, 1 M bench)."""
        alias = alias or _bare(col)
        if self.name == "postgresql":
            return f"CAST(floor(extract(epoch FROM {col})) * 1000 AS BIGINT) AS {alias}"
        return f"unixepoch({col}) * 1000 AS {alias}"

    def date(self, col: str) -> str:
        if self.name == "postgresql":
            return f"COALESCE(to_char({col}, 'YYYY-MM-DD'), '') AS {_bare(col)}"
        return f"COALESCE(CAST({col} AS TEXT), '') AS {_bare(col)}"

    def txt(self, col: str) -> str:
        return f"COALESCE(CAST({col} AS TEXT), '') AS {_bare(col)}"

    def num(self, col: str) -> str:
        """Money as a double: exact to the cent for the 14-digit NUMERIC(14,2) columns (a
        double has 15-16 significant digits), and one ADBC type whatever SQLite stored."""
        return f"CAST(COALESCE({col}, 0) AS DOUBLE PRECISION) AS {_bare(col)}"

    def int_(self, col: str) -> str:
        """An integer column. SQLite's INTEGER affinity already stores integers, so the
        relaxed query reads the column as it is (the CAST cost ~45 ns a value, a sixth of
        the read); ``_run_lanes`` checks the types it got and reads a table again with the
        CASTs (``strict``) if a stray REAL or TEXT value made it anything but int64."""
        if self.name == "sqlite" and not self.strict:
            return col
        return f"CAST({col} AS BIGINT) AS {_bare(col)}"

    def bool_(self, col: str) -> str:
        return f"CAST({col} AS INTEGER) AS {_bare(col)}"

    def table(self, name: str) -> str:
        return f'"{name}"'


def _bare(col: str) -> str:
    return col.split(".")[-1]


def _source_queries(d: _Dialect) -> dict[str, str]:
    i, t, ts, n, dt = d.int_, d.txt, d.ts, d.num, d.date
    return {
        "src_pipeline": f"SELECT {i('id')}, {t('name')} FROM pipeline",
        "src_stage": (f"SELECT {i('id')}, {i('pipeline_id')}, {t('name')}, {i('position')}, "
                      f"{i('probability')}, {t('kind')} FROM stage"),
        "src_user": (f"SELECT {i('id')}, {t('name')}, {t('email')}, {t('role')}, "
                     f"{i('team_id')}, {d.bool_('active')} FROM {d.table('user')}"),
        "src_team": f"SELECT {i('id')}, {t('name')}, {i('manager_id')} FROM team",
        "src_product": f"SELECT {i('id')}, {t('name')} FROM product",
        "src_org": (f"SELECT {i('fiscal_year_start_month')}, {t('legal_name')} "
                    "FROM organisation ORDER BY id LIMIT 1"),
        "src_account": (f"SELECT {i('id')}, {t('name')}, {t('province')}, {t('channel')} "
                        "FROM account"),
        "src_opp": (f"SELECT {i('id')}, {i('account_id')}, {i('owner_id')}, "
                    f"{i('team_id')}, {i('pipeline_id')}, {i('stage_id')}, {i('product_id')}, "
                    f"{n('amount')}, {t('channel')}, {ts('created_at')}, "
                    # when a won/lost deal closed: closed_at, else when it entered its stage
                    f"{ts('COALESCE(closed_at, stage_entered_at, created_at)', 'closed_at')}, "
                    f"{dt('expected_close')}, {i('lead_id')} "
                    "FROM opportunity WHERE deleted_at IS NULL"),
        "src_sc": (f"SELECT {i('id')}, {i('opportunity_id')}, {i('from_stage_id')}, "
                   f"{i('to_stage_id')}, {ts('changed_at')} FROM stage_change"),
        "src_lead": (f"SELECT {i('id')}, {ts('created_at')}, {ts('first_contacted_at')}, "
                     f"{ts('converted_at')}, {i('converted_opportunity_id')}, {t('source')}, "
                     f"{i('owner_id')}, {i('team_id')}, {t('province')}, {t('status')} "
                     "FROM lead WHERE deleted_at IS NULL"),
        "src_quote": (f"SELECT {i('id')}, {t('number')}, {i('version')}, {i('account_id')}, "
                      f"{i('opportunity_id')}, {t('status')}, {dt('issue_date')}, "
                      f"{ts('sent_at')}, {ts('decided_at')}, {n('base_total')}, {n('total')}, "
                      f"{i('owner_id')}, {i('team_id')}, {ts('created_at')} "
                      "FROM quote WHERE deleted_at IS NULL"),
        "src_qline": f"SELECT {i('quote_id')}, {n('line_base')} FROM quote_line",
        # the moment an activity counts: done_at; notes and e-mails (records of something that
        # happened) when logged if they have no done_at; pending tasks never (NULL)
        "src_activity": (f"SELECT {i('id')}, {t('kind')}, {i('owner_id')}, {i('team_id')}, "
                         + ts("CASE WHEN kind IN ('note', 'email') THEN "
                              "COALESCE(done_at, created_at) ELSE done_at END", "activity_at")
                         + f", {i('lead_id')}, {i('account_id')}, {i('opportunity_id')} "
                         "FROM activity WHERE deleted_at IS NULL"),
    }


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


def _tasks(conn: Any, dialect: str) -> list[tuple[str, int, str, str]]:
    """(name, part, relaxed query, strict query) in ``ORDER``: the big tables cut in
    ``_LANES`` id ranges."""
    relaxed = _source_queries(_Dialect(dialect, strict=False))
    strict = _source_queries(_Dialect(dialect))
    cur = conn.cursor()
    tasks: list[tuple[str, int, str, str]] = []
    for name in ORDER:
        table = _SPLIT.get(name)
        if table is None:
            tasks.append((name, 0, relaxed[name], strict[name]))
            continue
        # two subqueries: SQLite answers a lone min() or max() of the key from the b-tree's
        # ends, but ``min(id), max(id)`` together scans the whole table (~0.15 s at 2 M rows)
        cur.execute(f"SELECT (SELECT min(id) FROM {table}), (SELECT max(id) FROM {table})")
        lo, hi = cur.fetchone()
        joiner = " AND " if " WHERE " in strict[name] else " WHERE "
        if lo is None or hi - lo < 10_000:
            tasks.append((name, 0, relaxed[name], strict[name]))
            continue
        step = (hi - lo) // _LANES + 1
        for k in range(_LANES):
            cond = f"{joiner}id >= {lo + k * step} AND id < {lo + (k + 1) * step}"
            tasks.append((name, k, relaxed[name] + cond, strict[name] + cond))
    cur.close()
    return tasks


def _typed_as_asked(table: Any, strict_sql: str) -> bool:
    """Whether every column the strict query CASTs to BIGINT came back as int64 (or all
    NULL) from the relaxed one."""
    import re

    import pyarrow as pa

    ints = set(re.findall(r"AS BIGINT\) AS (\w+)", strict_sql))
    return all(pa.types.is_int64(f.type) or pa.types.is_null(f.type)
               for f in table.schema if f.name in ints)


def _run_lanes(database_url: str, on_plan: Any, on_part: Any) -> None:
    """Run every task on ``_LANES`` connections at once (ADBC releases the GIL while it
    fetches), in ``ORDER``: ``on_plan({name: parts})`` first, then ``on_part(name, part,
    table)`` as each one is read (from the lanes' threads)."""
    import queue

    conn, dialect = _adbc_connect(database_url)
    tasks = _tasks(conn, dialect)
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
                        table = cur.fetch_arrow_table()
                    except Exception as exc:  # ADBC: "Type mismatch in column ..."
                        if "mismatch" not in str(exc).lower():
                            raise
                        cur.close()
                        cur = conn.cursor()
                    if table is not None and not _typed_as_asked(table, strict):
                        table = None
                if table is None:
                    cur.execute(strict)
                    table = cur.fetch_arrow_table()
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


def read_in_process(database_url: str) -> dict[str, Any]:
    """Every source query as an Arrow table (PostgreSQL; and the child's own work)."""
    import threading

    parts: dict[str, dict[int, Any]] = {}
    lock = threading.Lock()

    def on_part(name: str, part: int, table: Any) -> None:
        with lock:
            parts.setdefault(name, {})[part] = table

    _run_lanes(database_url, lambda plan: None, on_part)
    return {name: _concat([got[k] for k in sorted(got)]) for name, got in parts.items()}


class Sources:
    """The source tables as Arrow, each available as soon as it has been read.

    SQLite is read by a child process (see the module docstring) that writes ``plan.json``
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
        if self.dialect != "sqlite":
            self._tables = read_in_process(database_url)
            return
        workdir.mkdir(parents=True, exist_ok=True)
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
        """The table ``name`` (a key of the source queries), waiting until it is read."""
        import json

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
    import json
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

    _run_lanes(database_url, on_plan, on_part)


if __name__ == "__main__":
    # adbc_driver_manager.dbapi imports polars when it can (0.7 s, a tenth of the read) only to
    # offer it as a result type; the child hands pyarrow tables over, so it goes without
    sys.modules["polars"] = None  # type: ignore[assignment]
    _write_all(sys.argv[1], Path(sys.argv[2]))
