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

    def ts(self, col: str) -> str:
        """A UTC time as integer milliseconds since 1970 (NULL stays NULL: an all-NULL first
        batch is inferred as int64 too, so the column keeps one type)."""
        if self.name == "postgresql":
            return f"CAST(extract(epoch FROM {col}) * 1000 AS BIGINT) AS {_bare(col)}"
        return f"CAST(unixepoch({col}, 'subsec') * 1000 AS INTEGER) AS {_bare(col)}"

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
                    f"{n('amount')}, {t('channel')}, {ts('created_at')}, {ts('closed_at')}, "
                    f"{ts('stage_entered_at')}, {dt('expected_close')}, {i('lead_id')} "
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
        "src_activity": (f"SELECT {i('id')}, {t('kind')}, {i('owner_id')}, {i('team_id')}, "
                         f"{ts('created_at')}, {ts('done_at')}, {i('lead_id')}, "
                         f"{i('account_id')}, {i('opportunity_id')} "
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


def read_in_process(database_url: str) -> dict[str, Any]:
    """Every source query as an Arrow table; the big tables are read on two connections at
    once (ADBC releases the GIL while it fetches)."""
    dialect = dialect_of(database_url)
    queries = _source_queries(_Dialect(dialect))
    # two lanes of roughly equal weight: activities | everything else
    lanes = [["src_activity"], [k for k in queries if k != "src_activity"]]

    def run(names: list[str]) -> dict[str, Any]:
        conn, _ = _adbc_connect(database_url)
        try:
            cur = conn.cursor()
            out = {}
            for name in names:
                cur.execute(queries[name])
                out[name] = cur.fetch_arrow_table()
            cur.close()
            return out
        finally:
            conn.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(run, lanes))
    return {k: v for part in parts for k, v in part.items()}


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
