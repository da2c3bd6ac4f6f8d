"""``crm bench automations``: the automation rules' time sweep over 200,000 leads, 1,000,000
opportunities and 2,000,000 activities with 20 active rules (first sweep, then a second one
that must create nothing), and event → task latency through the API with a real Celery worker
on the embedded broker.

The dataset is the KPI benchmark's (``analytics.bench.generate``: seeded, column-wise with
polars, bulk-loaded through ADBC, indexes after the load), made to look like a live CRM the
day the sweep runs: most open deals had activity this week (0.5 % are idle 7-90 days), 0.3 %
are past their expected close date, the leads still "nuevo" without contact are those of the
last three days, open tasks are those of the last month (due three days after creation) and
quotes keep their validity window. Each metric is one JSON line ``{"bench", "metric",
"value", "unit", "baseline", "ratio", "n"}`` plus the sweep's own counts.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from crm_app.cli.common import print_json

TS_FMT = "%Y-%m-%d %H:%M:%S.%6f"  # polars
PY_TS = "%Y-%m-%d %H:%M:%S.%f"  # the same text from Python
TASK = {"type": "create_task", "due_in_hours": 24, "assignee": "owner"}


def _rules() -> list[dict]:
    def alert(level: str, message: str) -> dict:
        return {"type": "create_alert", "level": level, "message": message}

    def email(to: str, text: str) -> dict:
        return {"type": "send_email", "to": to, "template": text}

    opp, lead, quote, act = "opportunity", "lead", "quote", "activity"
    rows = [
        ("idle", opp, {"days": 7}, [], [{**TASK, "subject": "Reactivar: {name}"}]),
        ("idle", opp, {"days": 14}, [{"field": "amount", "op": "between",
                                      "value": [20000, None]}],
         [alert("warning", "{name} ({amount} €) lleva 14 días parada")]),
        ("idle", opp, {"days": 21}, [], [email("manager", "{name} lleva 21 días parada.")]),
        ("idle", opp, {"days": 30}, [{"field": "channel", "op": "in",
                                      "value": ["Web", "Feria"]}],
         [{**TASK, "assignee": "manager", "subject": "Revisar {name} con {responsable}"}]),
        ("idle", opp, {}, [], [alert("info", "{name}: sin actividad")]),
        ("close_date_passed", opp, {"days": 0}, [],
         [{**TASK, "subject": "Actualiza el cierre de {name}"}]),
        ("close_date_passed", opp, {"days": 7}, [], [alert("warning", "{name}: cierre pasado")]),
        ("close_date_passed", opp, {"days": 30}, [{"field": "amount", "op": "between",
                                                   "value": [50000, None]}],
         [email("manager", "{name} lleva un mes con el cierre pasado.")]),
        ("not_contacted", lead, {"hours": 4}, [], [{**TASK, "subject": "Llamar a {titulo}"}]),
        ("not_contacted", lead, {"hours": 24}, [], [alert("warning", "{titulo}: sin contactar")]),
        ("not_contacted", lead, {"hours": 48}, [{"field": "source", "op": "eq",
                                                 "value": "Web"}],
         [email("manager", "El lead web {titulo} lleva 48 h sin contactar.")]),
        ("not_contacted", lead, {"hours": 72}, [{"field": "province", "op": "region_in",
                                                 "value": ["Andalucía"]}],
         [alert("critical", "{titulo}: 72 h sin contactar")]),
        ("quote_expiring", quote, {"days": 3}, [], [{**TASK, "subject": "Llamar por {number}"}]),
        ("quote_expiring", quote, {"days": 7}, [], [alert("info", "{number} caduca pronto")]),
        ("quote_expiring", quote, {"days": 1}, [], [email("owner", "{number} caduca mañana.")]),
        ("quote_expiring", quote, {"days": 14}, [{"field": "total", "op": "between",
                                                  "value": [10000, None]}],
         [{**TASK, "assignee": "manager", "subject": "Seguir {number}"}]),
        ("task_overdue", act, {"hours": 0}, [], [alert("info", "Vencida: {subject}")]),
        ("task_overdue", act, {"hours": 24}, [],
         [{**TASK, "assignee": "manager", "subject": "Revisar tarea vencida: {subject}"}]),
        ("task_overdue", act, {"hours": 72}, [], [email("owner", "Sigue vencida: {subject}")]),
        ("task_overdue", act, {"hours": 168}, [], [alert("critical", "Una semana: {subject}")]),
    ]
    return [{"name": f"Regla {i + 1}: {kind}", "active": True,
             "trigger": {"type": kind, "entity": entity, **numbers},
             "conditions": conditions, "actions": actions}
            for i, (kind, entity, numbers, conditions, actions) in enumerate(rows)]


def make_data(n_opportunities: int, seed: int) -> dict[str, Any]:
    """The KPI dataset, made to look like the day of the sweep (see the module docs)."""
    import polars as pl

    from analytics import bench as kpi_bench

    data = kpi_bench.generate(n_opportunities, seed=seed)
    today = date.today()
    end = datetime(today.year, today.month, today.day)
    s = seed * 100 + 50

    def rnd(n: int, salt: int, k: int) -> pl.Series:
        return (kpi_bench._rand(n, s + salt) % k).cast(pl.Int64)

    def ts(expr: pl.Expr) -> pl.Expr:
        return expr.dt.strftime(TS_FMT)

    opp = data["opportunity"]
    n = opp.height
    opp = opp.with_columns(r=rnd(n, 1, 10_000), recent=rnd(n, 2, 6 * 24),
                           idle=rnd(n, 3, 83 * 24) + 7 * 24, close=rnd(n, 4, 120) + 1,
                           late=rnd(n, 5, 60) + 1, close_r=rnd(n, 6, 10_000))
    last = pl.lit(end) - pl.duration(hours=pl.when(pl.col("r") < 50).then(pl.col("idle"))
                                     .otherwise(pl.col("recent")))
    created = pl.col("created_at").str.to_datetime(TS_FMT)
    opp = opp.with_columns(
        last_activity_at=pl.when(pl.col("closed_at").is_null())
        .then(ts(pl.max_horizontal(last, created))).otherwise(pl.col("closed_at")),
        expected_close=pl.when(pl.col("closed_at").is_null()).then(
            (pl.lit(end) + pl.duration(days=pl.when(pl.col("close_r") < 30)
                                       .then(-pl.col("late")).otherwise(pl.col("close"))))
            .dt.strftime("%Y-%m-%d")),
    ).drop("r", "recent", "idle", "close", "late", "close_r")
    data["opportunity"] = opp

    lead = data["lead"]
    cutoff = (end - timedelta(days=3)).strftime(PY_TS)
    data["lead"] = lead.with_columns(status=pl.when(
        (pl.col("status") == "nuevo") & pl.col("first_contacted_at").is_null()
        & (pl.col("created_at") < cutoff)).then(pl.lit("descartado"))
        .otherwise(pl.col("status")))

    act = data["activity"]
    month = (end - timedelta(days=30)).strftime(PY_TS)
    created = pl.col("created_at").str.to_datetime(TS_FMT)
    is_task = pl.col("kind") == "task"
    data["activity"] = act.with_columns(
        due_at=pl.when(is_task).then(ts(created + pl.duration(days=3))),
        done_at=pl.when(is_task & pl.col("done_at").is_null() & (pl.col("created_at") < month))
        .then(ts(created + pl.duration(days=1))).otherwise(pl.col("done_at")))
    return data


def _fix_python_timestamps(db_path: Path) -> None:
    """``analytics.bench`` writes the users', products' and customers' ``created_at`` with
    Python's ``strftime`` and the polars-only ``%6f``; the ORM (this benchmark reads users)
    needs the real text; and its users are loaded inactive (a NOT NULL flag filled with 0)."""
    import sqlite3

    with sqlite3.connect(db_path) as con:
        for table in ("user", "product", "account"):
            con.execute(f'UPDATE "{table}" SET created_at = '  # noqa: S608 - fixed names
                        "replace(created_at, '   %6f', '000000')")
        con.execute('UPDATE "user" SET active = 1, available = 1')  # loaded as 0 (NOT NULL)


def _reset(db_path: Path) -> dict[str, int]:
    """A previous run's database back to its generated state (``--reuse``): no rules, runs,
    events, rule tasks and alerts, benchmark leads or tokens. Returns the table sizes."""
    import sqlite3

    with sqlite3.connect(db_path) as con:
        for stmt in ("DELETE FROM automation_run", "DELETE FROM automation_rule",
                     "DELETE FROM outbox_event", "DELETE FROM alert WHERE kind = 'rule'",
                     "DELETE FROM activity WHERE source LIKE 'rule:%'",
                     "DELETE FROM lead WHERE email LIKE 'evento%@bench.crm'",
                     "DELETE FROM api_token", "DELETE FROM audit_event"):
            con.execute(stmt)
        return {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                for t in ("lead", "opportunity", "activity", "quote")}


def _worker(data_dir: Path, db_url: str, log_path: Path) -> subprocess.Popen:
    celery = str(Path(sys.executable).parent / "celery")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data_dir), CRM_DATABASE_URL=db_url, CRM_ENV="development")
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [celery, "-A", "crm_app.worker.app:celery_app", "worker", "--pool=solo",
             "--loglevel=INFO", "-n", f"bench-{os.getpid()}@%h", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait(what: str, predicate: Callable[[], bool], timeout: float) -> float:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate():
            return time.perf_counter() - start
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


def run(n_opportunities: int = 1_000_000, *, seed: int = 2026, events: int = 40,
        workdir: Path | None = None, reuse: bool = False,
        log: Callable[[str], None] = print) -> list[dict]:
    from analytics import bench as kpi_bench

    root = Path(workdir or tempfile.mkdtemp(prefix="crm-bench-auto-"))
    data_dir = root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    db_path = root / "automations.db"
    started = time.perf_counter()
    if reuse and db_path.exists():
        sizes = _reset(db_path)
        url = f"sqlite:///{db_path}"
        log(f"datos reutilizados: {sizes} ({db_path})")
    else:
        db_path.unlink(missing_ok=True)
        data = make_data(n_opportunities, seed)
        sizes = {k: data[k].height for k in ("lead", "opportunity", "activity", "quote")}
        url = kpi_bench.create_database(db_path, data)
        del data
        _fix_python_timestamps(db_path)
        log(f"datos: {sizes} en {time.perf_counter() - started:.0f} s ({db_path})")
    # This process is the web process of the benchmark: its settings name the bench data.
    os.environ.update(CRM_DATA_DIR=str(data_dir), CRM_DATABASE_URL=url,
                      CRM_ENV="development")
    from crm_app import db
    from crm_app.settings import get_settings

    get_settings.cache_clear()
    db.get_engine.cache_clear()
    from sqlmodel import Session, select

    from crm_app.models import Activity, Lead, User
    from crm_app.services import automation
    from crm_app.services.actors import SYSTEM
    from crm_app.services.automation import engine as auto_engine

    queued: list[dict] = []
    auto_engine.set_mail_queue(queued.extend)  # counted, not sent (no SMTP in a bench)
    out: list[dict] = []

    def metric(name: str, value: float, unit: str, n: int, **extra: Any) -> None:
        row = {"bench": "automations", "metric": name, "value": value, "unit": unit,
               "baseline": None, "ratio": None, "n": n, **extra}
        out.append(row)
        log(f"{name}: {value} {unit} {extra or ''}")

    n_records = sizes["lead"] + sizes["opportunity"] + sizes["activity"]
    with Session(db.get_engine(), expire_on_commit=False) as session:
        for rule in _rules():
            automation.create_rule(session=session, actor=SYSTEM, data=rule)
        first = auto_engine.run_due(session=session)
        metric("first_sweep", first["seconds"], "s", n_records, limit=5.0, **{
            k: first[k] for k in ("rules", "fired", "tasks", "alerts", "emails")})
        second = auto_engine.run_due(session=session)
        metric("second_sweep", second["seconds"], "s", n_records, **{
            k: second[k] for k in ("rules", "fired", "tasks", "alerts", "emails")})
        if second["fired"]:
            raise RuntimeError(f"the second sweep fired again: {second}")
        admin = session.exec(select(User).where(User.role == "admin")).first()
        event_rule_id = automation.create_rule(session=session, actor=SYSTEM, data={
            "name": "Lead nuevo: llamar", "trigger": {"type": "record_created",
                                                      "entity": "lead"},
            "actions": [{**TASK, "subject": "Primera llamada a {titulo}"}]}).id
        from crm_app.services import auth as auth_service

        token = auth_service.create_api_token(session=session, actor=SYSTEM, user=admin)
        session.commit()
        admin_id = admin.id

    # --- event → task through the API, with a real worker on the embedded broker ---------
    worker_log = root / "worker.log"
    worker = _worker(data_dir, url, worker_log)
    latencies: list[float] = []
    try:
        _wait("the worker", lambda: " ready." in worker_log.read_text(errors="replace"), 120)
        from fastapi.testclient import TestClient

        from crm_app.api.app import build_api

        client = TestClient(build_api(), headers={"Authorization": f"Bearer {token}"})
        for i in range(events + 3):  # the first three warm up (connections, caches)
            t0 = time.perf_counter()
            r = client.post("/api/v1/leads", json={
                "first_name": f"Evento{i}", "email": f"evento{i}@bench.crm",
                "owner_id": admin_id})
            r.raise_for_status()
            lead_id = r.json()["id"]

            def seen(lead_id: int = lead_id) -> bool:
                # The execution log: its run is written in the same transaction as the
                # task. (The lead's timeline shows the task too, but reads for seconds on
                # this dataset; h13-act's GET /api/v1/activities?lead_id= is not here yet.)
                rows = client.get("/api/v1/automations/runs",
                                  params={"rule_id": event_rule_id, "page_size": 5}).json()
                return any(r["record_id"] == lead_id and r["status"] == "done"
                           and "Primera llamada" in r["did"] for r in rows["data"])

            # the first messages also pay the broker connection and the worker's first
            # queries: a long deadline for them, not counted
            _wait(f"the task of lead {lead_id}", seen, 180 if i < 3 else 60)
            if i >= 3:
                latencies.append(time.perf_counter() - t0)
    finally:
        worker.send_signal(signal.SIGQUIT)
        try:
            worker.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
    latencies.sort()
    p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
    metric("event_to_task_p95", round(p95, 3), "s", len(latencies), limit=2.0,
           p50=round(statistics.median(latencies), 3), max=round(latencies[-1], 3))
    with Session(db.get_engine()) as session:
        leads_n = len(session.exec(select(Lead.id).where(Lead.email.like("evento%"))).all())
        tasks_n = len(session.exec(select(Activity.id).where(
            Activity.subject.like("Primera llamada%"))).all())
    if (leads_n, tasks_n) != (events + 3, events + 3):
        raise RuntimeError(f"{leads_n} leads, {tasks_n} tasks")
    return out


def automations(
    opportunities: int = typer.Option(1_000_000, "--opportunities", min=100,
                                      help="Oportunidades (leads: 1/5; actividades: 2×)."),
    events: int = typer.Option(40, "--events", min=5, max=1000,
                               help="Leads creados por la API para medir evento → tarea."),
    seed: int = typer.Option(2026, "--seed"),
    workdir: Path | None = typer.Option(None, "--workdir", help="Dónde dejar la base."),
    reuse: bool = typer.Option(False, "--reuse",
                               help="Reutiliza la base de --workdir (sin regenerar datos)."),
    as_json: bool = typer.Option(False, "--json", help="Una línea JSON por métrica."),
) -> None:
    """Barrido de 20 reglas por tiempo sobre 200.000 leads, 1M oportunidades y 2M actividades
    (primero y segundo, que no debe crear nada) y evento → tarea por la API con un worker real."""
    rows = run(opportunities, seed=seed, events=events, workdir=workdir, reuse=reuse,
               log=lambda m: typer.echo(m, err=True))
    for row in rows:
        if as_json:
            print_json(row)
        else:
            typer.echo(f"{row['metric']}: {row['value']} {row['unit']}")
