"""The analytics snapshot: the only I/O of the analytics package.

Reads the transactional tables the KPIs need (SQLite or PostgreSQL) through ADBC as Arrow,
shapes them in DuckDB (joins, local dates, stage history with time in stage) and writes

    <snapshots_dir>/v-<UTC time>-<random>/analytics.duckdb   tables the KPIs query
    <snapshots_dir>/v-.../*.parquet                          the same tables, for other readers
    <snapshots_dir>/v-.../meta.json                          built_at (UTC), row counts, ...
    <snapshots_dir>/current                                  name of the version in use

A build writes a NEW version directory and then replaces ``current`` with ``os.replace`` (atomic
on POSIX). Readers open the version ``current`` names, read-only; a reader that opened an older
version keeps its file open and keeps working while a newer one is swapped in. Old versions are
pruned (the newest ``KEEP_VERSIONS`` stay); an open DuckDB file survives the unlink.

Tables are sorted by ``team_id`` so a team-scoped query skips most row groups (zone maps).

DuckDB's sqlite extension cannot be downloaded here, so the source is read with the ADBC
drivers (``adbc_driver_sqlite`` / ``adbc_driver_postgresql``). SQLite's dynamic typing makes
ADBC infer a column's type from its first rows, so text, times and money are read as text
(NULL as '') and typed in DuckDB: money ``DECIMAL(18,2)``, times naive UTC ``TIMESTAMP``, and
every event's Europe/Madrid calendar date precomputed (``*_date`` columns).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from crm_app.settings import get_settings

CURRENT = "current"
DB_FILE = "analytics.duckdb"
META_FILE = "meta.json"
KEEP_VERSIONS = 3
LOCAL_TZ = "Europe/Madrid"

# Tables in the snapshot, in build order; each is also written as <name>.parquet.
TABLES = ("stages", "users", "teams", "opportunities", "stage_history", "leads", "quotes",
          "activities")


class SnapshotMissing(RuntimeError):
    """No snapshot has been built yet in this directory."""


@dataclass
class SnapshotInfo:
    version: str
    path: Path
    built_at: datetime  # aware UTC
    duration_s: float
    source: str
    row_counts: dict[str, int] = field(default_factory=dict)
    fiscal_year_start_month: int = 1
    org_name: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        data["built_at"] = self.built_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> SnapshotInfo:
        return cls(version=data["version"], path=path,
                   built_at=datetime.fromisoformat(data["built_at"]).astimezone(UTC),
                   duration_s=float(data.get("duration_s", 0)), source=data.get("source", ""),
                   row_counts=dict(data.get("row_counts", {})),
                   fiscal_year_start_month=int(data.get("fiscal_year_start_month", 1)),
                   org_name=data.get("org_name", ""))


# ---------------------------------------------------------------- source queries (per dialect)


class _Dialect:
    def __init__(self, name: str) -> None:
        self.name = name

    def ts(self, col: str) -> str:
        """A time or date as text, '' for NULL (ADBC-on-SQLite type inference is per batch)."""
        if self.name == "postgresql":
            return f"COALESCE(to_char({col}, 'YYYY-MM-DD HH24:MI:SS.US'), '') AS {_bare(col)}"
        return f"COALESCE(CAST({col} AS TEXT), '') AS {_bare(col)}"

    def date(self, col: str) -> str:
        if self.name == "postgresql":
            return f"COALESCE(to_char({col}, 'YYYY-MM-DD'), '') AS {_bare(col)}"
        return f"COALESCE(CAST({col} AS TEXT), '') AS {_bare(col)}"

    def txt(self, col: str) -> str:
        return f"COALESCE(CAST({col} AS TEXT), '') AS {_bare(col)}"

    def num(self, col: str) -> str:
        return f"COALESCE(CAST({col} AS TEXT), '0') AS {_bare(col)}"

    def int_(self, col: str) -> str:
        return f"CAST({col} AS BIGINT) AS {_bare(col)}"

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
                     f"{i('team_id')}, {i('active')} FROM {d.table('user')}"),
        "src_team": f"SELECT {i('id')}, {t('name')}, {i('manager_id')} FROM team",
        "src_product": f"SELECT {i('id')}, {t('name')} FROM product",
        "src_org": (f"SELECT {i('fiscal_year_start_month')}, {t('legal_name')} "
                    "FROM organisation ORDER BY id LIMIT 1"),
        "src_account": (f"SELECT {i('id')}, {t('name')}, {t('province')}, {t('channel')} "
                        "FROM account"),
        "src_opp": (f"SELECT {i('id')}, {t('name')}, {i('account_id')}, {i('owner_id')}, "
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
        return adbc_sqlite.connect(path), "sqlite"
    if database_url.startswith("postgres"):
        import adbc_driver_postgresql.dbapi as adbc_pg

        _scheme, rest = database_url.split("://", 1)
        return adbc_pg.connect(f"postgresql://{rest}"), "postgresql"
    raise ValueError(f"unsupported database for the snapshot: {database_url.split(':', 1)[0]}")


def _read_sources(database_url: str) -> tuple[dict[str, Any], str]:
    conn, dialect = _adbc_connect(database_url)
    try:
        out = {}
        cur = conn.cursor()
        try:
            for name, sql in _source_queries(_Dialect(dialect)).items():
                cur.execute(sql)
                out[name] = cur.fetch_arrow_table()
        finally:
            cur.close()
        return out, dialect
    finally:
        conn.close()


# ---------------------------------------------------------------- DuckDB shaping

def _local_date(expr: str) -> str:
    """Europe/Madrid calendar date of a naive-UTC timestamp expression."""
    return f"CAST(timezone('{LOCAL_TZ}', timezone('UTC', {expr})) AS DATE)"


def _ts(col: str) -> str:
    return f"CAST(NULLIF({col}, '') AS TIMESTAMP)"


_SHAPE_SQL = [
    # reference tables
    """CREATE TABLE stages AS
       SELECT s.id AS stage_id, s.pipeline_id, COALESCE(p.name, '') AS pipeline_name,
              s.name AS stage_name, s.position, s.probability, s.kind
       FROM src_stage s LEFT JOIN src_pipeline p ON p.id = s.pipeline_id
       ORDER BY s.pipeline_id, s.position""",
    """CREATE TABLE users AS
       SELECT id AS user_id, name AS user_name, email, role, team_id,
              COALESCE(active, 1) <> 0 AS active
       FROM src_user ORDER BY team_id, id""",
    """CREATE TABLE teams AS
       SELECT id AS team_id, name AS team_name, manager_id FROM src_team ORDER BY id""",
    # opportunities, denormalised with everything a filter or a label needs
    f"""CREATE TEMP TABLE opp_raw AS
       SELECT o.id AS opportunity_id, o.name, o.account_id, COALESCE(a.name, '') AS account_name,
              COALESCE(NULLIF(o.channel, ''), NULLIF(a.channel, ''), '') AS channel,
              COALESCE(a.province, '') AS province,
              o.owner_id, COALESCE(u.name, '') AS owner_name,
              o.team_id, COALESCE(t.name, '') AS team_name,
              o.product_id, COALESCE(pr.name, '') AS product_name,
              o.pipeline_id, o.stage_id, s.name AS stage_name, s.kind AS stage_kind,
              s.position AS stage_position, COALESCE(s.probability, 0) AS probability,
              CAST(o.amount AS DECIMAL(18,2)) AS amount,
              {_ts('o.created_at')} AS created_at,
              {_ts('o.closed_at')} AS closed_raw,
              {_ts('o.stage_entered_at')} AS stage_entered_at,
              TRY_CAST(NULLIF(o.expected_close, '') AS DATE) AS expected_close,
              o.lead_id
       FROM src_opp o
       LEFT JOIN src_account a ON a.id = o.account_id
       LEFT JOIN src_user u ON u.id = o.owner_id
       LEFT JOIN src_team t ON t.id = o.team_id
       LEFT JOIN src_product pr ON pr.id = o.product_id
       LEFT JOIN src_stage s ON s.id = o.stage_id""",
    # closed_at only for won/lost opportunities (a reopened deal is open again); a closed one
    # without closed_at falls back to when it entered its stage.
    f"""CREATE TABLE opportunities AS
       SELECT * EXCLUDE (closed_raw),
              CASE WHEN stage_kind IN ('won', 'lost')
                   THEN COALESCE(closed_raw, stage_entered_at, created_at) END AS closed_at,
              {_local_date('created_at')} AS created_date,
              CASE WHEN stage_kind IN ('won', 'lost')
                   THEN {_local_date('COALESCE(closed_raw, stage_entered_at, created_at)')}
              END AS closed_date,
              CAST(amount * probability AS DECIMAL(18,2)) AS amount_x_prob
       FROM opp_raw ORDER BY team_id NULLS LAST, owner_id, created_at""",
    # stage history: one row per stay in a stage, with when it was left and for how long.
    # Opportunities whose first recorded move is not their creation get a synthetic first stay
    # (the stage they left first, or their current stage) from created_at.
    f"""CREATE TEMP TABLE sc AS
       SELECT id, opportunity_id, from_stage_id, to_stage_id, {_ts('changed_at')} AS changed_at
       FROM src_sc WHERE opportunity_id IN (SELECT opportunity_id FROM opportunities)""",
    """CREATE TEMP TABLE stays AS
       WITH first AS (
         SELECT opportunity_id, arg_min(from_stage_id, (changed_at, id)) AS first_from,
                bool_or(from_stage_id IS NULL) AS has_initial
         FROM sc GROUP BY opportunity_id)
       SELECT o.opportunity_id, COALESCE(f.first_from, o.stage_id) AS stage_id,
              o.created_at AS entered_at, 0 AS seq
       FROM opportunities o LEFT JOIN first f USING (opportunity_id)
       WHERE f.has_initial IS NOT TRUE
       UNION ALL
       SELECT opportunity_id, to_stage_id, changed_at, id FROM sc""",
    f"""CREATE TABLE stage_history AS
       WITH w AS (
         SELECT *, lead(entered_at) OVER (PARTITION BY opportunity_id
                                          ORDER BY entered_at, seq) AS left_at
         FROM stays)
       SELECT w.opportunity_id, w.stage_id, s.stage_name, s.kind AS stage_kind,
              s.position AS stage_position, w.entered_at, w.left_at,
              {_local_date('w.entered_at')} AS entered_date,
              {_local_date('w.left_at')} AS left_date,
              CAST(epoch(w.left_at) - epoch(w.entered_at) AS DOUBLE) / 86400.0 AS days_in_stage,
              s.probability, o.amount,
              o.owner_id, o.team_id, o.channel, o.product_id, o.province,
              o.stage_id AS cur_stage_id, o.created_date AS opp_created_date
       FROM w JOIN opportunities o USING (opportunity_id)
       LEFT JOIN stages s ON s.stage_id = w.stage_id
       ORDER BY o.team_id NULLS LAST, w.opportunity_id, w.entered_at""",
    # activities: the date an activity counts on (done_at; notes and e-mails when logged),
    # with the cut columns of the record it belongs to.
    f"""CREATE TEMP TABLE act_raw AS
       SELECT id AS activity_id, kind, owner_id, team_id, {_ts('created_at')} AS created_at,
              {_ts('done_at')} AS done_at, lead_id, account_id, opportunity_id
       FROM src_activity""",
    f"""CREATE TABLE activities AS
       SELECT a.activity_id, a.kind, a.owner_id, a.team_id, a.created_at, a.done_at,
              CASE WHEN a.kind IN ('note', 'email') THEN COALESCE(a.done_at, a.created_at)
                   ELSE a.done_at END AS activity_at,
              {_local_date("CASE WHEN a.kind IN ('note', 'email') "
                           "THEN COALESCE(a.done_at, a.created_at) ELSE a.done_at END")}
                AS activity_date,
              a.lead_id, a.account_id, a.opportunity_id,
              COALESCE(NULLIF(o.channel, ''), NULLIF(ac.channel, ''), NULLIF(l.source, ''), '')
                AS channel,
              COALESCE(NULLIF(o.province, ''), NULLIF(ac.province, ''), NULLIF(l.province, ''),
                       '') AS province,
              o.product_id, o.stage_id AS cur_stage_id
       FROM act_raw a
       LEFT JOIN opportunities o ON o.opportunity_id = a.opportunity_id
       LEFT JOIN src_account ac ON ac.id = a.account_id
       LEFT JOIN src_lead l ON l.id = a.lead_id
       ORDER BY a.team_id NULLS LAST, a.owner_id""",
    # leads, with the response time: first_contacted_at, else the first activity on the lead
    f"""CREATE TABLE leads AS
       WITH first_act AS (
         SELECT lead_id, min(activity_at) AS first_activity_at
         FROM activities WHERE lead_id IS NOT NULL AND activity_at IS NOT NULL
         GROUP BY lead_id),
       l AS (
         SELECT id AS lead_id, {_ts('created_at')} AS created_at,
                {_ts('first_contacted_at')} AS first_contacted_at,
                {_ts('converted_at')} AS converted_at, converted_opportunity_id,
                source AS channel, owner_id, team_id, province, status
         FROM src_lead)
       SELECT l.*, {_local_date('l.created_at')} AS created_date,
              COALESCE(l.first_contacted_at, f.first_activity_at) AS responded_at,
              CAST(epoch(COALESCE(l.first_contacted_at, f.first_activity_at))
                   - epoch(l.created_at) AS DOUBLE) / 3600.0 AS response_hours
       FROM l LEFT JOIN first_act f USING (lead_id)
       ORDER BY l.team_id NULLS LAST, l.owner_id""",
    # quotes: the latest version of each number is the quote; lines aggregated
    f"""CREATE TABLE quotes AS
       WITH lines AS (
         SELECT quote_id, count(*) AS lines_count,
                sum(CAST(line_base AS DECIMAL(18,2))) AS lines_base
         FROM src_qline GROUP BY quote_id)
       SELECT q.id AS quote_id, q.number, q.version,
              q.version = max(q.version) OVER (PARTITION BY q.number) AS is_latest,
              q.status, TRY_CAST(NULLIF(q.issue_date, '') AS DATE) AS issue_date,
              {_ts('q.sent_at')} AS sent_at, {_ts('q.decided_at')} AS decided_at,
              CAST(q.base_total AS DECIMAL(18,2)) AS base_total,
              CAST(q.total AS DECIMAL(18,2)) AS total,
              q.owner_id, q.team_id, q.opportunity_id, q.account_id,
              COALESCE(NULLIF(o.channel, ''), NULLIF(a.channel, ''), '') AS channel,
              COALESCE(NULLIF(a.province, ''), NULLIF(o.province, ''), '') AS province,
              o.product_id, o.stage_id AS cur_stage_id,
              COALESCE(ln.lines_count, 0) AS lines_count,
              COALESCE(ln.lines_base, CAST(0 AS DECIMAL(18,2))) AS lines_base
       FROM src_quote q
       LEFT JOIN opportunities o ON o.opportunity_id = q.opportunity_id
       LEFT JOIN src_account a ON a.id = q.account_id
       LEFT JOIN lines ln ON ln.quote_id = q.id
       ORDER BY q.team_id NULLS LAST, q.owner_id""",
]


def _shape(con: duckdb.DuckDBPyConnection, sources: dict[str, Any]) -> None:
    for name, table in sources.items():
        con.register(name, table)
    for sql in _SHAPE_SQL:
        con.execute(sql)
    for name in sources:
        con.unregister(name)


# ---------------------------------------------------------------- building and swapping


def _root(target_dir: Path | str | None) -> Path:
    root = Path(target_dir) if target_dir else get_settings().snapshots_dir
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextmanager
def _build_lock(root: Path) -> Iterator[None]:
    """One builder at a time per snapshot directory (Celery beat and on-demand may overlap)."""
    with open(root / ".build.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build_snapshot(*, database_url: str | None = None,
                   target_dir: Path | str | None = None) -> SnapshotInfo:
    """Copy the transactional database into a new snapshot version and make it current."""
    database_url = database_url or get_settings().database_url
    root = _root(target_dir)
    with _build_lock(root):
        started = time.perf_counter()
        built_at = datetime.now(UTC)
        version = f"v-{built_at:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
        vdir = root / version
        tmp_dir = root / f".tmp-{version}"
        tmp_dir.mkdir()
        try:
            sources, dialect = _read_sources(database_url)
            org = sources["src_org"].to_pylist()
            fy_start = int((org[0].get("fiscal_year_start_month") if org else None) or 1)
            org_name = (org[0].get("legal_name") if org else "") or ""
            del sources["src_org"]
            con = duckdb.connect(str(tmp_dir / DB_FILE))
            try:
                _shape(con, sources)
                counts = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                          for name in TABLES}
                duration = time.perf_counter() - started
                con.execute(
                    "CREATE TABLE snapshot_meta AS SELECT ? AS version, "
                    "CAST(? AS TIMESTAMP) AS built_at, ? AS source, ? AS fiscal_year_start_month,"
                    " ? AS org_name, ? AS row_counts",
                    [version, built_at.replace(tzinfo=None), dialect, fy_start, org_name,
                     json.dumps(counts)])
                for name in TABLES:
                    con.execute(f"COPY {name} TO '{tmp_dir / (name + '.parquet')}' "
                                "(FORMAT parquet, COMPRESSION zstd)")
                con.execute("CHECKPOINT")
            finally:
                con.close()
            duration = time.perf_counter() - started
            info = SnapshotInfo(version=version, path=vdir / DB_FILE, built_at=built_at,
                                duration_s=round(duration, 3), source=dialect, row_counts=counts,
                                fiscal_year_start_month=fy_start, org_name=org_name)
            (tmp_dir / META_FILE).write_text(json.dumps(info.to_json(), ensure_ascii=False))
            os.replace(tmp_dir, vdir)
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
        pointer_tmp = root / f".{CURRENT}.{version}"
        pointer_tmp.write_text(version)
        os.replace(pointer_tmp, root / CURRENT)  # the atomic swap
        _prune(root, keep=version)
        return info


def _prune(root: Path, keep: str) -> None:
    versions = sorted(p for p in root.glob("v-*") if p.is_dir())
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob(".tmp-v-*"):
        if time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)


# ---------------------------------------------------------------- reading


def current_version(target_dir: Path | str | None = None) -> str | None:
    pointer = _root(target_dir) / CURRENT
    try:
        return pointer.read_text().strip() or None
    except FileNotFoundError:
        return None


def snapshot_info(*, target_dir: Path | str | None = None) -> SnapshotInfo | None:
    """Metadata of the current snapshot (no DuckDB connection needed), or None if none yet."""
    root = _root(target_dir)
    version = current_version(root)
    if version is None:
        return None
    vdir = root / version
    try:
        data = json.loads((vdir / META_FILE).read_text())
    except FileNotFoundError:
        return None
    return SnapshotInfo.from_json(data, vdir / DB_FILE)


def open_snapshot(*, target_dir: Path | str | None = None, database_url: str | None = None,
                  build_if_missing: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only DuckDB connection to the current snapshot.

    With ``build_if_missing`` a first snapshot is built from ``database_url`` (default: the
    settings' database) when there is none; otherwise ``SnapshotMissing`` is raised.
    """
    info = snapshot_info(target_dir=target_dir)
    if info is None:
        if not build_if_missing:
            raise SnapshotMissing("todavía no hay una instantánea de datos")
        info = build_snapshot(database_url=database_url, target_dir=target_dir)
    return duckdb.connect(str(info.path), read_only=True)


def info_from_connection(con: duckdb.DuckDBPyConnection) -> SnapshotInfo:
    """The metadata stored inside the snapshot a connection is reading."""
    row = con.execute("SELECT version, built_at, source, fiscal_year_start_month, org_name, "
                      "row_counts FROM snapshot_meta").fetchone()
    path = Path(con.execute("SELECT path FROM duckdb_databases() WHERE NOT internal "
                            "AND database_name = current_database()").fetchone()[0] or "")
    return SnapshotInfo(version=row[0], path=path, built_at=row[1].replace(tzinfo=UTC),
                        duration_s=0.0, source=row[2], row_counts=json.loads(row[5]),
                        fiscal_year_start_month=int(row[3]), org_name=row[4])
