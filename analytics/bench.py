"""KPI benchmark: a deterministic big dataset in a temporary SQLite database, the snapshot, the
company and team dashboards from the snapshot, and the same KPIs as SQL GROUP BY on the
transactional database.

Run it with ``crm bench kpis --opportunities 1000000 --json``. Every metric is printed as one JSON
line ``{"bench", "metric", "value", "unit", "baseline", "ratio", "n"}``.

The data is generated column-wise with polars from a seeded hash of the row number (no Python
loop, same rows on every run with the same polars version) and bulk-loaded through ADBC into
tables created from the SQLModel metadata; indexes are created after the load, as a real
database would have them.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from analytics import kpis, periods
from analytics.scope import Scope
from analytics.snapshot import build_snapshot, open_snapshot

CHANNELS = ("Web", "Feria", "Referido", "Llamada en frío", "LinkedIn", "Google Ads", "Partner")
PROVINCES = ("Madrid", "Barcelona", "Valencia", "Sevilla", "Málaga", "Bizkaia", "Zaragoza",
             "Alicante", "Murcia", "Asturias", "A Coruña", "Illes Balears", "Las Palmas",
             "Navarra", "Granada", "Cantabria")
STAGES = ((1, "En análisis", 0, 10, "open"), (2, "Oferta presentada", 1, 40, "open"),
          (3, "En negociación", 2, 70, "open"), (4, "Ganada", 3, 100, "won"),
          (5, "Cancelada", 4, 0, "lost"), (6, "Perdida", 5, 0, "lost"))
KINDS = ("call", "meeting", "email", "task", "note")
SPAN_DAYS = 1400  # a little under four years of history, ending on the day of the run
TS_FMT = "%Y-%m-%d %H:%M:%S.%6f"


def _rand(n: int, salt: int) -> pl.Series:
    """A deterministic pseudo-random UInt64 per row."""
    return pl.int_range(0, n, eager=True, dtype=pl.UInt64).hash(seed=salt)


def _pick(n: int, salt: int, k: int, base: int = 0) -> pl.Series:
    return (_rand(n, salt) % k).cast(pl.Int64) + base


def _ts(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime(TS_FMT)


def generate(n_opps: int, seed: int = 2026, end: date | None = None) -> dict[str, pl.DataFrame]:
    """The benchmark dataset: 20 teams, 1,000 users, n/5 accounts, n opportunities with stage
    history, 2n activities, n/5 leads, n/10 quotes (names and sizes per the issue).

    The same rows on every run; only the calendar is anchored so the history ends on ``end``
    (default: today), so the dashboard of the current month is a realistic one."""
    end_day = end or date.today()
    END = datetime(end_day.year, end_day.month, end_day.day)  # noqa: N806
    START = END - timedelta(days=SPAN_DAYS)  # noqa: N806
    n_users, n_teams = 1000, 20
    n_acc, n_act, n_leads, n_quotes = max(n_opps // 5, 10), 2 * n_opps, max(n_opps // 5, 10), \
        max(n_opps // 10, 10)
    span = int((END - START).total_seconds())
    s = seed * 100
    out: dict[str, pl.DataFrame] = {}
    out["organisation"] = pl.DataFrame({"id": [1], "legal_name": ["Bench S.L."],
                                        "fiscal_year_start_month": [1]})
    out["team"] = pl.DataFrame({"id": range(1, n_teams + 1),
                                "name": [f"Equipo {i:02d}" for i in range(1, n_teams + 1)]})
    ids = pl.Series("id", range(1, n_users + 1))
    roles = ["admin"] + ["director"] * 2 + ["manager"] * n_teams + \
        ["comercial"] * (n_users - 3 - n_teams)
    out["user"] = pl.DataFrame({
        "id": ids, "email": [f"u{i}@bench.crm" for i in ids], "name": [f"Usuario {i}" for i in ids],
        "role": roles,
        "team_id": [None if r in ("admin", "director") else (i - 1) % n_teams + 1
                    for i, r in zip(ids, roles, strict=True)],
        "created_at": [START.strftime(TS_FMT)] * n_users})
    out["pipeline"] = pl.DataFrame({"id": [1], "name": ["Ventas"], "is_default": [1]})
    out["stage"] = pl.DataFrame({"id": [x[0] for x in STAGES], "pipeline_id": [1] * 6,
                                 "name": [x[1] for x in STAGES],
                                 "position": [x[2] for x in STAGES],
                                 "probability": [x[3] for x in STAGES],
                                 "kind": [x[4] for x in STAGES]})
    out["product"] = pl.DataFrame({"id": range(1, 51), "name": [f"Producto {i}" for i in
                                                                 range(1, 51)],
                                   "sku": [f"SKU-{i}" for i in range(1, 51)],
                                   "created_at": [START.strftime(TS_FMT)] * 50})
    first_com = 4 + n_teams
    n_com = n_users - first_com + 1
    out["account"] = pl.DataFrame({
        "id": pl.int_range(1, n_acc + 1, eager=True),
        "name": [f"Cliente {i}" for i in range(1, n_acc + 1)],
        "province": pl.Series(PROVINCES).gather(_pick(n_acc, s + 1, len(PROVINCES))),
        "channel": pl.Series(CHANNELS).gather(_pick(n_acc, s + 2, len(CHANNELS))),
        "owner_id": _pick(n_acc, s + 3, n_com, first_com),
        "created_at": [START.strftime(TS_FMT)] * n_acc,
    }).with_columns(team_id=(pl.col("owner_id") - 1) % n_teams + 1)

    # opportunities
    n = n_opps
    outcome = _pick(n, s + 10, 100)
    stage = (pl.when(outcome < 45).then(4).when(outcome < 57).then(6).when(outcome < 62).then(5)
             .when(outcome < 72).then(1).when(outcome < 86).then(2).otherwise(3))
    opp = pl.DataFrame({
        "id": pl.int_range(1, n + 1, eager=True),
        "owner_id": _pick(n, s + 11, n_com, first_com),
        "account_id": _pick(n, s + 12, n_acc, 1),
        "product_id": _pick(n, s + 13, 50, 1),
        "amount_c": _pick(n, s + 14, 4_990_000, 10_000),
        "created_s": _pick(n, s + 15, span),
        "cycle_s": _pick(n, s + 16, 175 * 86400, 5 * 86400),
        "outcome": outcome,
        "own_channel": _pick(n, s + 17, 10 * len(CHANNELS)),
    }).with_columns(
        team_id=(pl.col("owner_id") - 1) % n_teams + 1,
        stage_id=stage,
        created=pl.lit(START) + pl.duration(seconds=pl.col("created_s")),
    ).with_columns(
        closed=pl.when(pl.col("stage_id").is_in([4, 5, 6]))
        .then(pl.min_horizontal(pl.col("created") + pl.duration(seconds=pl.col("cycle_s")),
                                pl.lit(END))),
        channel=pl.col("own_channel").replace_strict(dict(enumerate(CHANNELS)), default="",
                                                     return_dtype=pl.String),
    )
    out["opportunity"] = opp.select(
        "id", pl.format("Oportunidad {}", "id").alias("name"), "account_id", "owner_id",
        "team_id", pl.lit(1).alias("pipeline_id"), "stage_id", "product_id",
        (pl.col("amount_c") / 100).alias("amount"), "channel",
        _ts(pl.col("created")).alias("created_at"), _ts(pl.col("closed")).alias("closed_at"),
        _ts(pl.coalesce("closed", "created")).alias("stage_entered_at"))

    # stage history: the moves each outcome implies, spread between creation and close
    paths = {4: [2, 3, 4], 6: [2, 6], 5: [5], 1: [], 2: [2], 3: [2, 3]}
    moves = []
    for final, path in paths.items():
        for k, to in enumerate(path):
            frm = 1 if k == 0 else path[k - 1]
            moves.append(opp.filter(pl.col("stage_id") == final).select(
                pl.col("id").alias("opportunity_id"), pl.lit(frm).alias("from_stage_id"),
                pl.lit(to).alias("to_stage_id"), "owner_id", "team_id",
                pl.when(pl.col("closed").is_not_null())
                .then(pl.col("created") + (pl.col("closed") - pl.col("created")) * (k + 1)
                      / len(path))
                .otherwise(pl.min_horizontal(pl.col("created") + pl.duration(days=7 * (k + 1)),
                                             pl.lit(END))).alias("changed")))
    sc = pl.concat(moves).sort("changed")
    out["stage_change"] = sc.select(
        pl.int_range(1, sc.height + 1).alias("id"), "opportunity_id", "from_stage_id",
        "to_stage_id", "owner_id", "team_id", _ts(pl.col("changed")).alias("changed_at"))

    # activities
    m = n_act
    act = pl.DataFrame({
        "id": pl.int_range(1, m + 1, eager=True),
        "kind": pl.Series(KINDS).gather(_pick(m, s + 20, len(KINDS))),
        "owner_id": _pick(m, s + 21, n_com, first_com),
        "created": _pick(m, s + 22, span),
        "done_gap": _pick(m, s + 23, 72 * 3600),
        "done_p": _pick(m, s + 24, 100),
        "link": _pick(m, s + 25, n),
    }).with_columns(team_id=(pl.col("owner_id") - 1) % n_teams + 1,
                    created=pl.lit(START) + pl.duration(seconds=pl.col("created")))
    out["activity"] = act.select(
        "id", "kind", pl.col("kind").alias("subject"), "owner_id", "team_id",
        _ts(pl.col("created")).alias("created_at"),
        _ts(pl.when(pl.col("done_p") < 80).then(
            pl.col("created") + pl.duration(seconds=pl.col("done_gap")))).alias("done_at"),
        pl.when(pl.col("done_p") % 10 < 7).then(pl.col("link") + 1).alias("opportunity_id"),
        pl.when(pl.col("done_p") % 10 >= 7).then(pl.col("link") % n_acc + 1).alias("account_id"))

    # leads
    k = n_leads
    lead = pl.DataFrame({
        "id": pl.int_range(1, k + 1, eager=True),
        "owner_id": _pick(k, s + 30, n_com, first_com),
        "created": _pick(k, s + 31, span), "gap": _pick(k, s + 32, 48 * 3600),
        "p": _pick(k, s + 33, 100), "opp": _pick(k, s + 34, n, 1),
        "source": pl.Series(CHANNELS).gather(_pick(k, s + 35, len(CHANNELS))),
        "province": pl.Series(PROVINCES).gather(_pick(k, s + 36, len(PROVINCES))),
    }).with_columns(team_id=(pl.col("owner_id") - 1) % n_teams + 1,
                    created=pl.lit(START) + pl.duration(seconds=pl.col("created")))
    out["lead"] = lead.select(
        "id", "owner_id", "team_id", "source", "province",
        _ts(pl.col("created")).alias("created_at"),
        _ts(pl.when(pl.col("p") < 70).then(pl.col("created") + pl.duration(
            seconds=pl.col("gap")))).alias("first_contacted_at"),
        pl.when(pl.col("p") < 20).then(pl.col("opp")).alias("converted_opportunity_id"),
        _ts(pl.when(pl.col("p") < 20).then(pl.col("created") + pl.duration(days=2)))
        .alias("converted_at"),
        pl.when(pl.col("p") < 20).then(pl.lit("convertido")).otherwise(pl.lit("nuevo"))
        .alias("status"))

    # quotes: one per sampled opportunity, issued on its creation day + a week
    q = n_quotes
    qs = pl.DataFrame({"qid": pl.int_range(1, q + 1, eager=True),
                       "id": _pick(q, s + 40, n, 1),
                       "status_i": _pick(q, s + 41, 5)}).join(opp, on="id", how="left")
    statuses = pl.Series(("borrador", "enviado", "aceptado", "rechazado", "caducado"))
    out["quote"] = qs.select(
        pl.col("qid").alias("id"), pl.format("P-{}", "qid").alias("number"),
        (pl.col("created").dt.year()).alias("year"), pl.col("qid").alias("seq"),
        pl.lit(1).alias("version"), "account_id", pl.col("id").alias("opportunity_id"),
        pl.col("status_i").replace_strict(dict(enumerate(statuses)), return_dtype=pl.String)
        .alias("status"),
        (pl.col("created") + pl.duration(days=7)).dt.strftime("%Y-%m-%d").alias("issue_date"),
        (pl.col("created") + pl.duration(days=37)).dt.strftime("%Y-%m-%d").alias("valid_until"),
        (pl.col("amount_c") / 100).alias("base_total"),
        (pl.col("amount_c") * 1.21 / 100).round(2).alias("total"), "owner_id", "team_id",
        _ts(pl.col("created")).alias("created_at"))
    return out


# ---------------------------------------------------------------- loading


def create_database(path: Path, data: dict[str, pl.DataFrame]) -> str:
    """Create the schema from the SQLModel metadata, bulk-load ``data`` with ADBC, then add the
    indexes. Returns the SQLAlchemy URL."""
    import adbc_driver_sqlite.dbapi as adbc_sqlite
    from sqlalchemy import JSON, Boolean, Integer, Numeric, create_engine
    from sqlmodel import SQLModel

    import crm_app.models  # noqa: F401  (registers every table)

    url = f"sqlite:///{path}"
    engine = create_engine(url)
    meta = SQLModel.metadata
    meta.create_all(engine)
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            for index in table.indexes:
                conn.exec_driver_sql(f'DROP INDEX IF EXISTS "{index.name}"')
    frames = {}
    for name, df in data.items():
        table = meta.tables[name]
        cols = []
        for col in table.columns:
            if col.name in df.columns:
                cols.append(pl.col(col.name))
            elif col.nullable or col.primary_key:
                cols.append(pl.lit(None).alias(col.name))
            elif isinstance(col.type, JSON):
                cols.append(pl.lit("{}" if "list" not in repr(col.default) else "[]")
                            .alias(col.name))
            elif isinstance(col.type, (Boolean, Integer, Numeric)):
                cols.append(pl.lit(0).alias(col.name))
            else:
                cols.append(pl.lit("").alias(col.name))
        frames[name] = df.select(cols)
    # no SQLAlchemy (system SQLite) connection may stay open while ADBC's own SQLite copy
    # writes the file: two SQLite libraries in one process do not see each other's locks
    engine.dispose()
    conn = adbc_sqlite.connect(str(path))
    try:
        cur = conn.cursor()
        cur.execute("PRAGMA foreign_keys=OFF")
        for name, df in frames.items():
            cur.adbc_ingest(name, df.to_arrow(), mode="append")
        conn.commit()
        cur.close()
    finally:
        conn.close()
    engine = create_engine(url)
    with engine.begin() as c:
        for table in meta.sorted_tables:
            for index in table.indexes:
                index.create(c)
        c.exec_driver_sql("ANALYZE")
    engine.dispose()
    return url


# ---------------------------------------------------------------- SQL baseline


def sql_dashboard(path: Path, period: periods.Period, team_id: int | None = None) -> int:
    """The dashboard's KPIs as plain SQL GROUP BY on the transactional SQLite database."""
    import sqlite3

    con = sqlite3.connect(str(path))
    prev = periods.previous(period)
    fy = periods.fiscal_year_of(period.start, 1)
    lo = periods.add_months(fy.start, -12)
    team = " AND o.team_id = ?" if team_id else ""
    tp = [team_id] if team_id else []

    def span(p: periods.Period) -> list[str]:
        return [p.start.isoformat(), (p.end + timedelta(days=1)).isoformat()]

    q = []
    q.append((f"""SELECT s.id, count(*), sum(o.amount), sum(o.amount * s.probability) / 100
                  FROM opportunity o JOIN stage s ON s.id = o.stage_id
                  WHERE o.deleted_at IS NULL AND s.kind = 'open'{team} GROUP BY s.id""", tp))
    for p in (period, prev):
        q.append((f"""SELECT s.kind, s.name, count(*), sum(o.amount),
                             sum(julianday(o.closed_at) - julianday(o.created_at))
                      FROM opportunity o JOIN stage s ON s.id = o.stage_id
                      WHERE o.deleted_at IS NULL AND s.kind IN ('won', 'lost')
                        AND o.closed_at >= ? AND o.closed_at < ?{team} GROUP BY 1, 2""",
                  [*span(p), *tp]))
        q.append((f"""SELECT count(*), count(converted_opportunity_id),
                             avg(julianday(first_contacted_at) - julianday(created_at))
                      FROM lead o WHERE deleted_at IS NULL AND created_at >= ?
                        AND created_at < ?{team}""", [*span(p), *tp]))
        q.append((f"""SELECT status, count(*), sum(base_total) FROM quote o
                      WHERE deleted_at IS NULL AND status <> 'borrador' AND issue_date >= ?
                        AND issue_date < ?{team} GROUP BY 1""", [*span(p), *tp]))
        q.append((f"""SELECT owner_id, kind, count(*) FROM activity o WHERE deleted_at IS NULL
                        AND done_at >= ? AND done_at < ?{team} GROUP BY 1, 2""",
                  [*span(p), *tp]))
    q.append((f"""SELECT strftime('%Y-%m', o.closed_at), sum(o.amount), count(*)
                  FROM opportunity o JOIN stage s ON s.id = o.stage_id
                  WHERE o.deleted_at IS NULL AND s.kind = 'won' AND o.closed_at >= ?
                    AND o.closed_at < ?{team} GROUP BY 1""",
              [lo.isoformat(), span(period)[1], *tp]))
    q.append((f"""SELECT sc.to_stage_id, count(DISTINCT sc.opportunity_id)
                  FROM stage_change sc JOIN opportunity o ON o.id = sc.opportunity_id
                  WHERE o.deleted_at IS NULL AND o.created_at >= ? AND o.created_at < ?{team}
                  GROUP BY 1""", [*span(period), *tp]))
    q.append((f"""SELECT stage, count(*), avg(days) FROM (
                    SELECT sc.from_stage_id AS stage,
                           julianday(sc.changed_at) - julianday(coalesce(lag(sc.changed_at)
                             OVER (PARTITION BY sc.opportunity_id ORDER BY sc.changed_at),
                             o.created_at)) AS days, sc.changed_at
                    FROM stage_change sc JOIN opportunity o ON o.id = sc.opportunity_id
                    WHERE o.deleted_at IS NULL{team})
                  WHERE changed_at >= ? AND changed_at < ? GROUP BY 1""",
              [*tp, *span(period)]))
    group = "o.owner_id" if team_id else "o.team_id"
    for key in (group, "coalesce(nullif(o.channel, ''), a.channel)"):
        q.append((f"""SELECT {key}, s.kind, count(*), sum(o.amount),
                             sum(o.amount * s.probability) / 100
                      FROM opportunity o JOIN stage s ON s.id = o.stage_id
                      LEFT JOIN account a ON a.id = o.account_id
                      WHERE o.deleted_at IS NULL{team}
                        AND (s.kind = 'open' OR (o.closed_at >= ? AND o.closed_at < ?))
                      GROUP BY 1, 2""", [*tp, *span(period)]))
    started = time.perf_counter()
    for sql, params in q:
        con.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed


# ---------------------------------------------------------------- the run


def _cpu() -> float:
    """CPU seconds of this process and its finished children (all threads)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(fn: Callable[[], Any], repeat: int = 5) -> tuple[float, float, float]:
    """(first run, median of ``repeat`` further runs, median CPU of those), in seconds."""
    t0 = time.perf_counter()
    fn()
    cold = time.perf_counter() - t0
    runs, cpus = [], []
    for _ in range(repeat):
        c0, t0 = _cpu(), time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t0)
        cpus.append(_cpu() - c0)
    return cold, statistics.median(runs), statistics.median(cpus)


def run(n_opportunities: int = 1_000_000, *, seed: int = 2026, workdir: Path | None = None,
        pdf: Callable[[Any, date], Any] | None = None,
        log: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Generate, load, snapshot, time; return the metric rows. ``pdf(con, month)`` renders
    the monthly report (passed in by the CLI: reports live outside this package)."""
    say = log or (lambda _msg: None)
    tmp_ctx = tempfile.TemporaryDirectory(prefix="crm-bench-") if workdir is None else None
    root = Path(tmp_ctx.name) if tmp_ctx else Path(workdir)
    root.mkdir(parents=True, exist_ok=True)
    n = n_opportunities
    rows: list[dict[str, Any]] = []

    def metric(name: str, value: float, unit: str, baseline: float | None = None) -> None:
        rows.append({"bench": "kpis", "metric": name, "value": round(value, 4), "unit": unit,
                     "baseline": None if baseline is None else round(baseline, 4),
                     "ratio": None if not baseline else round(value / baseline, 4), "n": n})

    try:
        t0 = time.perf_counter()
        data = generate(n, seed)
        say(f"generated in {time.perf_counter() - t0:.1f} s: "
            + ", ".join(f"{k}={v.height}" for k, v in data.items()))
        t0 = time.perf_counter()
        db_path = root / "bench.db"
        url = create_database(db_path, data)
        say(f"loaded into SQLite in {time.perf_counter() - t0:.1f} s")
        metric("generate_load_s", time.perf_counter() - t0, "s")
        del data
        # the load leaves ~1 GB of dirty pages; flushed now, the kernel's writeback does not
        # run on the two cores while the snapshot is timed (a live database is long on disk)
        os.sync()

        t0, c0 = time.perf_counter(), _cpu()
        info = build_snapshot(database_url=url, target_dir=root / "snapshots")
        metric("snapshot_s", time.perf_counter() - t0, "s")
        metric("snapshot_cpu_s", _cpu() - c0, "s")
        say(f"snapshot {info.row_counts}")

        period = periods.month_of(date.today())
        con = open_snapshot(target_dir=root / "snapshots")
        company, team = Scope.company(), Scope.team(1)
        sql_company = sql_dashboard(db_path, period)
        sql_team = sql_dashboard(db_path, period, team_id=1)
        cold, warm, cpu = _timed(lambda: kpis.dashboard(con, company, period))
        metric("dashboard_company_ms", warm * 1000, "ms", sql_company * 1000)
        metric("dashboard_company_cold_ms", cold * 1000, "ms", sql_company * 1000)
        metric("dashboard_company_cpu_ms", cpu * 1000, "ms")
        cold, warm, cpu = _timed(lambda: kpis.dashboard(con, team, period))
        metric("dashboard_team_ms", warm * 1000, "ms", sql_team * 1000)
        metric("dashboard_team_cold_ms", cold * 1000, "ms", sql_team * 1000)
        metric("dashboard_team_cpu_ms", cpu * 1000, "ms")
        if pdf is not None:
            # the first PDF of a process pays WeasyPrint's font setup; a worker keeps that
            # renderer warm, so report_pdf_s is the second render (the first is _cold_s)
            cold, warm, cpu = _timed(lambda: pdf(con, period.start), repeat=1)
            metric("report_pdf_s", warm, "s")
            metric("report_pdf_cold_s", cold, "s")
            metric("report_pdf_cpu_s", cpu, "s")
        metric("load_average_1m", os.getloadavg()[0], "load")
        con.close()
    finally:
        if tmp_ctx:
            tmp_ctx.cleanup()
    return rows
