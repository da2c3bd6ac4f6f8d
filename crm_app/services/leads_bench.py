"""``crm bench leads``: the leads list at 200,000 leads, page by page, as each role sees it.

The issue asks for a list that stays smooth with 200,000 leads and never loads them all. This
builds such a table with the real importer (the import benchmark's Spanish CSV: assignment
rules spread the leads over six comerciales in two teams), gives it a realistic mix of
statuses and a small recycle bin, refreshes the planner statistics as the periodic job does,
and times ``list_leads`` (the count plus one 25-row page, exactly what the page and the API
run) for the common views, filters, searches and sorts. The baseline is what a list that
loads every lead in scope costs (one ``SELECT`` of all rows as ORM objects).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from crm_app.models import Lead, User
from crm_app.permissions import restrict
from crm_app.services.actors import Actor
from crm_app.services.importing.bench import fresh_db, generate_csv
from crm_app.services.importing.service import import_file
from crm_app.services.importing.writer import wait_for_checkpoints
from crm_app.services.leads import list_leads
from crm_app.services.maintenance import refresh_statistics

STATUS_MIX = ("CASE WHEN id % 50 = 0 THEN 'convertido' WHEN id % 12 = 0 THEN 'descartado' "
              "WHEN id % 10 = 0 THEN 'cualificado' WHEN id % 4 = 0 THEN 'contactado' "
              "ELSE 'nuevo' END")


def _median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm the statement cache and the pages, as a user's second click would
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def run(rows: int = 200_000, *, seed: int = 2026, workdir: Path | None = None,
        repeat: int = 5, log: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    say = log or (lambda _m: None)
    tmp = Path(workdir or tempfile.mkdtemp(prefix="crm-bench-leads-"))
    tmp.mkdir(parents=True, exist_ok=True)
    say(f"Generando e importando {rows} leads…")
    engine = fresh_db(tmp / "leads.db")
    with Session(engine, expire_on_commit=False) as s:
        admin = s.exec(select(User).where(User.email == "admin@bench.crm")).one()
        result = import_file(session=s, actor=admin, entity="leads",
                             data=generate_csv(rows, seed=seed), filename="leads.csv")
        wait_for_checkpoints()
        conn = s.connection()
        conn.exec_driver_sql(f"UPDATE lead SET status = {STATUS_MIX}, "  # noqa: S608
                             "deleted_at = CASE WHEN id % 500 = 0 THEN created_at END")
        s.commit()
        refresh_statistics(session=s)
        comercial = s.exec(select(User).where(User.email == "comercial4@bench.crm")).one()
        manager = s.exec(select(User).where(User.email == "manager@bench.crm")).one()
        conn = s.connection()
        rare = conn.exec_driver_sql(
            "SELECT province FROM lead WHERE province != '' GROUP BY province "
            "ORDER BY count(*), province LIMIT 1").scalar_one()
        email = conn.exec_driver_sql(
            "SELECT email FROM lead WHERE email != '' ORDER BY id DESC LIMIT 1").scalar_one()
        source = conn.exec_driver_sql(
            "SELECT source FROM lead WHERE source != '' GROUP BY source "
            "ORDER BY count(*) DESC LIMIT 1").scalar_one()

        def page(actor: Actor, **kw: Any) -> Callable[[], Any]:
            return lambda: list_leads(session=s, actor=actor, page_size=25, **kw)

        cases: list[tuple[str, Callable[[], Any]]] = [
            ("page_company_ms", page(admin)),
            ("page_deep_ms", page(admin, page=400)),
            ("page_team_ms", page(manager)),
            ("page_comercial_ms", page(comercial)),
            ("filter_status_ms", page(admin, filters={"status": "cualificado"})),
            ("filter_source_ms", page(admin, filters={"source": source})),
            ("filter_rare_province_ms", page(admin, filters={"province": rare})),
            ("search_text_ms", page(admin, q="garcía")),
            ("search_email_ms", page(admin, q=email)),
            ("sort_company_ms", page(admin, sort="company", desc=False)),
            ("recycle_bin_ms", page(admin, filters={"deleted": True})),
        ]
        say("Base: cargar todos los leads…")
        baseline = _median_ms(lambda: s.exec(restrict(select(Lead), admin)).all(), 1)
        s.expunge_all()
        out = []
        for metric, fn in cases:
            value = _median_ms(fn, repeat)
            s.expunge_all()
            out.append({"bench": "leads_list", "metric": metric, "value": round(value, 1),
                        "unit": "ms", "baseline": round(baseline, 1),
                        "ratio": round(value / baseline, 4), "n": result.created})
    engine.dispose()
    return out


__all__ = ["run"]
