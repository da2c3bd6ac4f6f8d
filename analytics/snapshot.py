"""The analytics snapshot: the only I/O of the analytics package.

Reads the transactional tables the KPIs need (SQLite or PostgreSQL) through ADBC as Arrow,
copies each one, typed, to Parquet with DuckDB's COPY, and shapes them in DuckDB straight into
the new database file (joins, local dates, stage history with time in stage; one statement per
table, no in-memory copy first):

    <snapshots_dir>/v-<UTC time>-<random>/analytics.duckdb   the read model the KPIs query
    <snapshots_dir>/v-.../<table>.parquet                    the copied transactional tables
    <snapshots_dir>/v-.../meta.json                          built_at (UTC), row counts, ...
    <snapshots_dir>/current                                  name of the version in use
    <snapshots_dir>/status.json                              how the last build went

The Parquet files hold the source columns as read (money ``DECIMAL(18,2)``, times UTC
``TIMESTAMP``, dates ``DATE``), one file per transactional table, for other readers (BI tools,
a data warehouse) and to rebuild the read model without touching the database. They are not
the shaped tables: writing those a second time cost three times the CPU (~3.5 s against
~1.2 s at 1 M opportunities) for data the DuckDB file already holds.

A build writes a NEW version directory and then replaces ``current`` with ``os.replace`` (atomic
on POSIX). Readers open the version ``current`` names, read-only; a reader that opened an older
version keeps its file open and keeps working while a newer one is swapped in. Old versions are
pruned (the newest ``KEEP_VERSIONS`` stay); an open DuckDB file survives the unlink. A build
that fails removes its own directory and nothing else: ``current`` keeps naming the last good
version, and ``status.json`` says when the build failed and why (``build_status``), so the
dashboards can say they are showing older data.

Tables are sorted by ``team_id`` so a team-scoped query skips most row groups (zone maps).

DuckDB's sqlite extension cannot be downloaded here, so the source is read with the ADBC
drivers (``adbc_driver_sqlite`` / ``adbc_driver_postgresql``), SQLite in a child process (see
``analytics.source_reader`` for why). SQLite's dynamic typing makes
ADBC infer a column's type from its first rows (and a result without rows comes out all
BIGINT), so every column is read as the type of its model column (``source_reader.SOURCES``,
``column_kinds``): cast to one type in the source query (times as epoch milliseconds, money as
double, dates as text), handed over in that Arrow schema whatever the driver guessed, and typed
in DuckDB:
money ``DECIMAL(18,2)``, times naive UTC ``TIMESTAMP``, and every event's Europe/Madrid calendar
date precomputed (``*_date`` columns).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from analytics.source_reader import Sources
from crm_app.settings import get_settings

CURRENT = "current"
DB_FILE = "analytics.duckdb"
META_FILE = "meta.json"
STATUS_FILE = "status.json"
KEEP_VERSIONS = 3
LOCAL_TZ = "Europe/Madrid"

# Tables of the read model (the DuckDB file), in build order.
TABLES = ("stages", "users", "teams", "products", "accounts", "opportunities", "stage_history",
          "leads", "quotes", "activities")


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


@dataclass
class BuildStatus:
    """How the last build in a snapshot directory went (``status.json``).

    ``at``: that attempt (aware UTC); ``last_good_at``: when the snapshot being served was
    built; on failure ``failed_since`` (the first of the failures in a row), ``failures`` (how
    many in a row) and ``error`` (its type and message, passwords masked)."""

    ok: bool
    at: datetime
    last_good_at: datetime | None = None
    failed_since: datetime | None = None
    failures: int = 0
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("at", "last_good_at", "failed_since"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BuildStatus:
        def when(key: str) -> datetime | None:
            return datetime.fromisoformat(data[key]).astimezone(UTC) if data.get(key) else None

        return cls(ok=bool(data["ok"]), at=when("at") or datetime.now(UTC),
                   last_good_at=when("last_good_at"), failed_since=when("failed_since"),
                   failures=int(data.get("failures", 0)), error=str(data.get("error", "")))


_URL_SECRET = re.compile(r"(\b[a-z][\w+.-]*://[^\s:/@]*:)[^\s@]*@", re.IGNORECASE)


def describe_error(exc: BaseException, database_url: str = "") -> str:
    """``Type: message`` of a failed build, short, with no password in it: the database
    URL's password is masked wherever it appears, as is any ``scheme://user:secret@``."""
    text = f"{type(exc).__name__}: {exc}".strip()
    try:
        from sqlalchemy.engine import make_url

        password = make_url(database_url).password if database_url else None
    except Exception:  # noqa: BLE001 - not a URL: nothing of it to mask
        password = None
    if password:
        text = text.replace(str(password), "***")
    text = _URL_SECRET.sub(r"\1***@", text)
    return text[:1000]


# ---------------------------------------------------------------- DuckDB shaping

def _eu_rule_matches(tz_name: str) -> bool:
    """True when ``tz_name`` is UTC+1 with EU summer time (last Sunday of March 01:00 UTC to
    last Sunday of October 01:00 UTC), so local dates can be computed with plain arithmetic,
    three times cheaper than ICU's per-value time-zone conversion."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    for year in (2001, 2015, 2024, 2031):
        for mon in (3, 10):
            last = datetime(year, mon, 31, tzinfo=UTC)
            switch = last - timedelta(days=(last.weekday() + 1) % 7) + timedelta(hours=1)
            before = (switch - timedelta(minutes=1)).astimezone(tz).utcoffset()
            after = (switch + timedelta(minutes=1)).astimezone(tz).utcoffset()
            expected = (timedelta(hours=1), timedelta(hours=2)) if mon == 3 else (
                timedelta(hours=2), timedelta(hours=1))
            if (before, after) != expected:
                return False
    return True


def _local_date(expr: str, tz_name: str = LOCAL_TZ, fast: bool = True) -> str:
    """SQL for the local calendar date of a naive-UTC timestamp expression."""
    if not fast:
        return f"CAST(timezone('{tz_name}', timezone('UTC', {expr})) AS DATE)"
    return f"local_date({expr})"


# Winter time is UTC+1 and summer time UTC+2, and the two give different dates only for a UTC
# time between 22:00 and 23:00: only those rows (1 in 24) pay for working out the switch dates
# of their year (half the CPU of checking every row, on ~8 M values per build).
_MACROS = """
CREATE OR REPLACE MACRO eu_switch(y, m) AS
    CAST(make_date(y, m, 31) - CAST(dayofweek(make_date(y, m, 31)) AS INTEGER) AS TIMESTAMP)
    + INTERVAL 1 HOUR;
CREATE OR REPLACE MACRO local_date(ts) AS
    CAST(ts + INTERVAL 1 HOUR AS DATE)
    + CASE WHEN hour(ts) = 22 AND ts >= eu_switch(year(ts), 3) AND ts < eu_switch(year(ts), 10)
           THEN 1 ELSE 0 END;
"""


def _ts(col: str) -> str:
    """A time read as epoch milliseconds (``analytics.source_reader``) as a naive UTC
    ``TIMESTAMP``."""
    return f"epoch_ms({col})"


# The Parquet copies: file name -> (source, the source's columns typed). Times arrive as epoch
# milliseconds and money as double (see ``analytics.source_reader``).
_MONEY = "CAST({} AS DECIMAL(18,2)) AS {}"
_DATE = "TRY_CAST(NULLIF({}, '') AS DATE) AS {}"


def _typed(source: str, ts: tuple[str, ...] = (), money: tuple[str, ...] = (),
           dates: tuple[str, ...] = (), other: tuple[str, ...] = ()) -> tuple[str, str]:
    fixes = ([f"{_ts(c)} AS {c}" for c in ts] + [_MONEY.format(c, c) for c in money]
             + [_DATE.format(c, c) for c in dates] + list(other))
    return source, f"SELECT * REPLACE ({', '.join(fixes)}) FROM {source}" if fixes else \
        f"SELECT * FROM {source}"


PARQUET = {
    "pipeline": _typed("src_pipeline"),
    "stage": _typed("src_stage"),
    "account": _typed("src_account"),
    "opportunity": _typed("src_opp", ts=("created_at", "closed_at"), money=("amount",),
                          dates=("expected_close",)),
    "stage_change": _typed("src_sc", ts=("changed_at",)),
    "user": _typed("src_user", other=("active <> 0 AS active",)),
    "team": _typed("src_team"),
    "product": _typed("src_product"),
    "lead": _typed("src_lead", ts=("created_at", "first_contacted_at", "converted_at")),
    "activity": _typed("src_activity", ts=("activity_at",)),
    "quote": _typed("src_quote", ts=("sent_at", "decided_at", "created_at"),
                    money=("base_total", "total"), dates=("issue_date",)),
    "quote_line": _typed("src_qline", money=("line_base",)),
}


@dataclass(frozen=True)
class _Step:
    """One statement of the build: the table it creates, the sources it scans."""

    table: str
    sources: tuple[str, ...]
    sql: str


def _shape_sql(tz_name: str) -> list[_Step]:
    """The statements that build the snapshot's tables from the ``src_*`` Arrow tables,
    straight into the snapshot database (no in-memory copy first), in the order the sources
    are read. ``opportunities`` comes first: the stage history, activities and quotes take
    the opportunity's columns from it; every source is scanned where it lies."""
    fast = tz_name == LOCAL_TZ or _eu_rule_matches(tz_name)

    def ld(expr: str) -> str:
        return _local_date(expr, tz_name, fast)

    return [
        # reference tables (small)
        _Step("stages", ("src_stage", "src_pipeline"), """CREATE TABLE stages AS
           SELECT s.id AS stage_id, s.pipeline_id, COALESCE(p.name, '') AS pipeline_name,
                  s.name AS stage_name, s.position, s.probability, s.kind
           FROM src_stage s LEFT JOIN src_pipeline p ON p.id = s.pipeline_id
           ORDER BY s.pipeline_id, s.position"""),
        _Step("accounts", ("src_account",), """CREATE TABLE accounts AS
           SELECT id AS account_id, name AS account_name, province, channel FROM src_account
           ORDER BY id"""),
        # opportunities: the cut columns, money as DECIMAL(18,2), the stage's kind and
        # probability. closed_at only for won/lost deals (a reopened deal is open again); the
        # source falls back to when it entered its stage, then to its creation.
        _Step("opportunities", ("src_opp", "src_account", "src_stage"),
              f"""CREATE TABLE opportunities AS
           WITH o AS (
             SELECT o.id AS opportunity_id, o.account_id, o.owner_id, o.team_id, o.product_id,
                  o.pipeline_id, o.stage_id, s.kind AS stage_kind, s.position AS stage_position,
                  COALESCE(s.probability, 0) AS probability,
                  COALESCE(NULLIF(o.channel, ''), NULLIF(a.channel, ''), '') AS channel,
                  COALESCE(a.province, '') AS province,
                  CAST(o.amount AS DECIMAL(18,2)) AS amount,
                  CAST(CAST(o.amount AS DECIMAL(18,2)) * COALESCE(s.probability, 0)
                       AS DECIMAL(18,2)) AS amount_x_prob,
                  {_ts('o.created_at')} AS created_at,
                  CASE WHEN s.kind IN ('won', 'lost') THEN {_ts('o.closed_at')} END AS closed_at,
                  TRY_CAST(NULLIF(o.expected_close, '') AS DATE) AS expected_close,
                  o.lead_id
           FROM src_opp o
           LEFT JOIN src_account a ON a.id = o.account_id
           LEFT JOIN src_stage s ON s.id = o.stage_id)
           SELECT *, {ld('created_at')} AS created_date, {ld('closed_at')} AS closed_date
           FROM o ORDER BY team_id NULLS LAST"""),
        # stage history: one row per stay in a stage, from one window over the recorded moves
        # (each move starts a stay that lasts until the next move). An opportunity whose first
        # recorded move is not its creation (``from_stage_id`` set) gets a first stay in the
        # stage it left, from created_at (or from that move, if it was recorded earlier) until
        # the move; one with no moves stays in its current stage since created_at. Changes of
        # deleted opportunities drop out in the join with ``opportunities``. Only the owner and
        # team are copied (for the scope); the stage's kind and probability come from
        # ``stages``, the opportunity's amount and cut columns from ``opportunities``, when a
        # query needs them.
        _Step("stage_history", ("src_sc",), f"""CREATE TABLE stage_history AS
           WITH moves AS (
             SELECT opportunity_id, from_stage_id, to_stage_id,
                    {_ts('changed_at')} AS entered_at, {_ts('lead(changed_at) OVER w')} AS left_at,
                    row_number() OVER w AS n
             FROM src_sc WINDOW w AS (PARTITION BY opportunity_id ORDER BY changed_at, id)),
           stays AS (
             SELECT opportunity_id, to_stage_id AS stage_id, entered_at, left_at FROM moves
             UNION ALL
             SELECT o.opportunity_id, COALESCE(f.from_stage_id, o.stage_id),
                    least(o.created_at, f.entered_at), f.entered_at
             FROM opportunities o
             LEFT JOIN (SELECT * FROM moves WHERE n = 1) f USING (opportunity_id)
             WHERE f.opportunity_id IS NULL OR f.from_stage_id IS NOT NULL)
           SELECT h.opportunity_id, h.stage_id, h.entered_at, h.left_at,
                  {ld('h.left_at')} AS left_date, o.owner_id, o.team_id
           FROM stays h JOIN opportunities o USING (opportunity_id)
           ORDER BY o.team_id NULLS LAST"""),
        _Step("users", ("src_user",), """CREATE TABLE users AS
           SELECT id AS user_id, name AS user_name, email, role, team_id,
                  COALESCE(active, 1) <> 0 AS active
           FROM src_user ORDER BY team_id, id"""),
        _Step("teams", ("src_team",), """CREATE TABLE teams AS
           SELECT id AS team_id, name AS team_name, manager_id FROM src_team ORDER BY id"""),
        _Step("products", ("src_product",), """CREATE TABLE products AS
           SELECT id AS product_id, name AS product_name FROM src_product ORDER BY id"""),
        # activities that count: the moment an activity counts on (done_at; notes and e-mails
        # when logged: computed in the source query) as a local date, with the cut columns of
        # its record. Pending tasks (no such moment) never count, so they are left out; the
        # ids and links are in activity.parquet.
        _Step("activities", ("src_activity", "src_lead", "src_account"),
              f"""CREATE TABLE activities AS
           SELECT a.kind, a.owner_id, a.team_id, {ld(_ts('a.activity_at'))} AS activity_date,
                  COALESCE(NULLIF(o.channel, ''), NULLIF(ac.channel, ''), NULLIF(l.source, ''),
                           '') AS channel,
                  COALESCE(NULLIF(o.province, ''), NULLIF(ac.province, ''),
                           NULLIF(l.province, ''), '') AS province,
                  o.product_id, o.stage_id AS cur_stage_id
           FROM src_activity a
           LEFT JOIN opportunities o ON o.opportunity_id = a.opportunity_id
           LEFT JOIN src_account ac ON ac.id = a.account_id
           LEFT JOIN src_lead l ON l.id = a.lead_id
           WHERE a.activity_at IS NOT NULL
           ORDER BY a.team_id NULLS LAST"""),
        # leads, with the response time: first_contacted_at, else the first activity on it
        _Step("leads", (), f"""CREATE TABLE leads AS
           WITH first_act AS (
             SELECT lead_id, {_ts('min(activity_at)')} AS first_activity_at FROM src_activity
             WHERE lead_id IS NOT NULL AND activity_at IS NOT NULL GROUP BY lead_id),
           l AS (
             SELECT id AS lead_id, {_ts('created_at')} AS created_at,
                    {_ts('first_contacted_at')} AS first_contacted_at,
                    {_ts('converted_at')} AS converted_at, converted_opportunity_id,
                    source AS channel, owner_id, team_id, province, status
             FROM src_lead)
           SELECT l.*, {ld('l.created_at')} AS created_date,
                  COALESCE(l.first_contacted_at, f.first_activity_at) AS responded_at,
                  CAST(epoch(COALESCE(l.first_contacted_at, f.first_activity_at))
                       - epoch(l.created_at) AS DOUBLE) / 3600.0 AS response_hours
           FROM l LEFT JOIN first_act f USING (lead_id)
           ORDER BY l.team_id NULLS LAST"""),
        # quotes: the latest version of each number is the quote; lines aggregated
        _Step("quotes", ("src_quote", "src_qline", "src_account"), f"""CREATE TABLE quotes AS
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
           ORDER BY q.team_id NULLS LAST"""),
    ]


def _shape(con: duckdb.DuckDBPyConnection, sources: Sources, tz_name: str,
           parquet_dir: Path | None = None) -> None:
    """Run the steps, registering each source as it arrives from the reader, and copy each
    source to Parquet (``parquet_dir``) once the step that needed it first has run: DuckDB
    encodes it while the reader child is still reading the next sources."""
    con.execute(_MACROS)
    registered: set[str] = set()
    for step in _shape_sql(tz_name):
        fresh = [name for name in step.sources if name not in registered]
        for name in fresh:
            con.register(name, sources.get(name))
            registered.add(name)
        con.execute(step.sql)
        if parquet_dir is None:
            continue
        for file, (source, sql) in PARQUET.items():
            if source in fresh:
                # plain encoding: dictionaries cost ~25 % more CPU (measured) for columns
                # that are mostly ids and times; snappy still packs the repeated strings
                con.execute(f"COPY ({sql}) TO '{parquet_dir / (file + '.parquet')}' "
                            "(FORMAT parquet, COMPRESSION snappy, DICTIONARY_SIZE_LIMIT 1)")
    for name in registered:
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
    """Copy the transactional database into a new snapshot version and make it current.

    A build that fails leaves the current version as it was (readers keep getting the last
    good snapshot) and records the failure in ``status.json`` (``build_status``); the next
    build that succeeds records that. The exception is raised again."""
    database_url = database_url or get_settings().database_url
    root = _root(target_dir)
    with _build_lock(root):
        try:
            info = _build(root, database_url)
        except Exception as exc:
            with contextlib.suppress(Exception):  # never hide why the build failed
                _record_failure(root, describe_error(exc, database_url))
            raise
        _write_status(root, BuildStatus(ok=True, at=info.built_at, last_good_at=info.built_at))
        return info


def _build(root: Path, database_url: str) -> SnapshotInfo:
    """The build itself (under the lock): a new version directory, then the swap."""
    started = time.perf_counter()
    built_at = datetime.now(UTC)
    version = f"v-{built_at:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"
    vdir = root / version
    tmp_dir = root / f".tmp-{version}"
    tmp_dir.mkdir()
    try:
        # the child's Arrow files are scratch: in shared memory when there is some, so
        # they never compete for the disk with the snapshot being written
        shm = Path("/dev/shm")
        extract = Path(tempfile.mkdtemp(prefix="crm-snap-", dir=shm)) if (
            shm.is_dir() and os.access(shm, os.W_OK)) else tmp_dir / "extract"
        # shape straight into the new DuckDB file (compressed as it is written) as the
        # sources arrive, each source copied to Parquet once it is in
        con = duckdb.connect(str(tmp_dir / DB_FILE))
        try:
            with Sources(database_url, extract) as sources:
                con.execute("SET preserve_insertion_order = false")  # explicit ORDER BYs
                _shape(con, sources, get_settings().timezone, parquet_dir=tmp_dir)
                org = sources.get("src_org").to_pylist()
                dialect = sources.dialect
            del sources
            fy_start = int((org[0].get("fiscal_year_start_month") if org else None) or 1)
            org_name = (org[0].get("legal_name") if org else "") or ""
            counts = {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                      for name in TABLES}
            con.execute(
                "CREATE TABLE snapshot_meta AS SELECT ? AS version, "
                "CAST(? AS TIMESTAMP) AS built_at, ? AS source, ? AS fiscal_year_start_month,"
                " ? AS org_name, ? AS row_counts",
                [version, built_at.replace(tzinfo=None), dialect, fy_start, org_name,
                 json.dumps(counts)])
            con.execute("CHECKPOINT")
        finally:
            con.close()
            shutil.rmtree(extract, ignore_errors=True)
        duration = time.perf_counter() - started
        info = SnapshotInfo(version=version, path=vdir / DB_FILE, built_at=built_at,
                            duration_s=round(duration, 3), source=dialect, row_counts=counts,
                            fiscal_year_start_month=fy_start, org_name=org_name)
        (tmp_dir / META_FILE).write_text(json.dumps(info.to_json(), ensure_ascii=False))
        os.replace(tmp_dir, vdir)
    except BaseException:
        shutil.rmtree(tmp_dir, ignore_errors=True)
        raise
    _swap(root, version)
    _prune(root, keep=version)
    return info


def _swap(root: Path, version: str) -> None:
    """Point ``current`` at ``version``: the pointer written aside and flushed to disk, then
    renamed over the old one (atomic on POSIX), so a reader, a crash or a full disk finds the
    old pointer or the new one, never a half-written or empty one."""
    pointer_tmp = root / f".{CURRENT}.{version}"
    try:
        with open(pointer_tmp, "w") as handle:
            handle.write(version)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(pointer_tmp, root / CURRENT)  # the atomic swap
    except BaseException:
        pointer_tmp.unlink(missing_ok=True)
        raise


def _write_status(root: Path, status: BuildStatus) -> None:
    """``status.json`` replaced atomically (readers are the dashboards, in other processes)."""
    tmp = root / f".{STATUS_FILE}.{secrets.token_hex(3)}"
    try:
        tmp.write_text(json.dumps(status.to_json(), ensure_ascii=False))
        os.replace(tmp, root / STATUS_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk: the build's own outcome still stands


def _record_failure(root: Path, error: str) -> None:
    previous = build_status(target_dir=root)
    now = datetime.now(UTC)
    current = snapshot_info(target_dir=root)
    in_a_row = previous is not None and not previous.ok
    _write_status(root, BuildStatus(
        ok=False, at=now,
        last_good_at=current.built_at if current else (previous.last_good_at if previous
                                                       else None),
        failed_since=(previous.failed_since or previous.at) if in_a_row else now,
        failures=previous.failures + 1 if in_a_row else 1, error=error))


def build_status(*, target_dir: Path | str | None = None) -> BuildStatus | None:
    """How the last build went, or None if none was recorded (no build yet, or a snapshot
    directory from before this file existed)."""
    try:
        data = json.loads((_root(target_dir) / STATUS_FILE).read_text())
        return BuildStatus.from_json(data)
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        return None


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
