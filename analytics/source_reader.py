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
    def __init__(self, name: str) -> None:
        self.name = name

    def ts(self, col: str, alias: str | None = None) -> str:
        """A UTC time as integer milliseconds since 1970 (NULL stays NULL: an all-NULL first
        batch is inferred as int64 too, so the column keeps one type). ``col`` may be an
        expression when ``alias`` names the result."""
        alias = alias or _bare(col)
        if self.name == "postgresql":
            return f"CAST(extract(epoch FROM {col}) * 1000 AS BIGINT) AS {alias}"
        return f"CAST(unixepoch({col}, 'subsec') * 1000 AS INTEGER) AS {alias}"

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


# The big tables are read in id ranges, so the two lanes get about the same work.
_SPLIT = {"src_activity": "activity", "src_sc": "stage_change", "src_opp": "opportunity"}
_LANES = 2


def _tasks(conn: Any, queries: dict[str, str]) -> list[tuple[str, str]]:
    """(name, query) pairs: the big tables cut in ``_LANES`` id ranges, largest first."""
    cur = conn.cursor()
    tasks: list[tuple[str, str]] = []
    for name, table in _SPLIT.items():
        cur.execute(f"SELECT min(id), max(id) FROM {table}")
        lo, hi = cur.fetchone()
        sql = queries[name]
        joiner = " AND " if " WHERE " in sql else " WHERE "
        if lo is None or hi - lo < 10_000:
            tasks.append((name, sql))
            continue
        step = (hi - lo) // _LANES + 1
        for k in range(_LANES):
            a, b = lo + k * step, lo + (k + 1) * step
            tasks.append((name, f"{sql}{joiner}id >= {a} AND id < {b}"))
    cur.close()
    tasks.extend((name, sql) for name, sql in queries.items() if name not in _SPLIT)
    return tasks


def read_in_process(database_url: str) -> dict[str, Any]:
    """Every source query as an Arrow table, on ``_LANES`` connections at once (ADBC releases
    the GIL while it fetches); the big tables are split in id ranges across the lanes."""
    import queue
    import threading

    import pyarrow as pa

    dialect = dialect_of(database_url)
    queries = _source_queries(_Dialect(dialect))
    conn, _ = _adbc_connect(database_url)
    todo: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
    for task in _tasks(conn, queries):
        todo.put(task)
    parts: dict[str, list[Any]] = {name: [] for name in queries}
    lock = threading.Lock()

    def run(conn: Any) -> None:
        try:
            cur = conn.cursor()
            while True:
                try:
                    name, sql = todo.get_nowait()
                except queue.Empty:
                    break
                cur.execute(sql)
                table = cur.fetch_arrow_table()
                with lock:
                    parts[name].append(table)
            cur.close()
        finally:
            conn.close()

    conns = [conn] + [_adbc_connect(database_url)[0] for _ in range(_LANES - 1)]
    with ThreadPoolExecutor(max_workers=_LANES) as pool:
        list(pool.map(run, conns))
    out = {}
    for name, tables in parts.items():
        out[name] = tables[0] if len(tables) == 1 else pa.concat_tables(
            tables, promote_options="permissive")
    return out


def read_sources(database_url: str, workdir: Path) -> tuple[dict[str, Any], str]:
    """The source tables as Arrow, and the dialect; SQLite through a child process."""
    import subprocess

    import pyarrow as pa

    dialect = dialect_of(database_url)
    if dialect != "sqlite":
        return read_in_process(database_url), dialect
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([sys.executable, "-m", "analytics.source_reader", database_url,
                           str(workdir)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"reading the database for the snapshot failed:\n{proc.stderr[-3000:]}")
    out = {}
    for name in _source_queries(_Dialect(dialect)):
        with pa.memory_map(str(workdir / f"{name}.arrow")) as source:
            out[name] = pa.ipc.open_file(source).read_all()
    return out, dialect


def _write_all(database_url: str, workdir: Path) -> None:
    import pyarrow as pa

    for name, table in read_in_process(database_url).items():
        with pa.OSFile(str(workdir / f"{name}.arrow"), "wb") as sink, \
                pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


if __name__ == "__main__":
    _write_all(sys.argv[1], Path(sys.argv[2]))
