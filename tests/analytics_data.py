"""A small fixed commercial dataset for the analytics tests (KPIs, snapshot, API, PDF, e-mail).

Every expected figure in the tests is computed by hand from the rows below, so keep the two in
step. Times are UTC at 10:00 unless the row is about a time-zone edge. The organisation's fiscal
year starts in April. Teams: Norte (manager1, comercial1, comercial2), Sur (manager2,
comercial3) and Este (no users, no data).

Opportunities (channel comes from the account unless the opportunity has its own):

id  owner team  account (province, channel)  product amount    stage        created     closed
O1  c1    Norte A1 Madrid, Web               P1      1000.00   Ganada       2025-10-01  2025-11-10
O2  c1    Norte A2 Barcelona; own: LinkedIn  P2      2500.50   Ganada       2025-11-02  2025-11-20
O3  c2    Norte A1 Madrid, Web               P1      800.00    Perdida      2025-09-15  2025-11-05
O4  c3    Sur   A3 Sevilla, Referido         P2      4000.00   Ganada       2025-08-01  10-31 23:30Z
O5  c3    Sur   A3 Sevilla, Referido         P1      300.00    Cancelada    2025-11-03  2025-11-25
O6  c1    Norte A1 Madrid, Web               P1      5000.00   Negociación  2025-11-05  open
O7  c2    Norte A2 Barcelona, Feria          P2      2000.00   Oferta       2025-10-10  open
O8  c3    Sur   A3 Sevilla, Referido         P1      10000.00  En análisis  2025-11-12  open
O9  c1    Norte A1 Madrid, Web               P1      1500.00   Ganada       2025-09-01  2025-10-15
O10 c2    Norte A2 Barcelona, Feria          P2      700.00    Ganada       2024-10-01  2024-11-18
O11 c3    Sur   A3 Sevilla, Referido         P2      1200.00   Ganada       2025-03-01  2025-04-10
O12 c1    Norte A1 Madrid, Web               P1      900.00    Ganada       2025-01-05  2025-03-20
O13 c1    Norte (deleted: recycle bin)       P1      99999.00  Ganada       2025-11-01  2025-11-10
O14 m1    Norte A2 Barcelona, Feria          P1      600.00    Perdida      2025-10-20  2025-11-28

O4 closes at 23:30 UTC on 31 October, which is 00:30 on 1 November in Madrid: a November deal.

``build`` adds the rows to a session. ``build_world`` makes the one shared copy the read-only
tests use (the session-scoped ``analytics_world`` fixture of ``conftest.py``: KPIs, PDF,
pages, API, CLI): a migrated SQLite file holding the data, a personal API token per user and
a snapshot of it, built once per test run instead of once per module. Tests that change the
data build their own with ``build``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from factories import make_people
from live_api import prepare_database
from sqlalchemy.engine import Engine
from sqlmodel import Session

from analytics.snapshot import build_snapshot
from crm_app.db import make_engine
from crm_app.models import (
    Account,
    Activity,
    Lead,
    Opportunity,
    Organisation,
    Pipeline,
    Product,
    Quote,
    QuoteLine,
    Stage,
    StageChange,
    Team,
)
from crm_app.services import auth as auth_service
from crm_app.services.actors import SYSTEM


def utc(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC)


@dataclass
class Data:
    people: object
    team_este: Team
    stages: dict[str, Stage] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    products: dict[str, Product] = field(default_factory=dict)
    opps: dict[str, Opportunity] = field(default_factory=dict)
    leads: dict[str, Lead] = field(default_factory=dict)
    quotes: dict[str, Quote] = field(default_factory=dict)


def build(session: Session, people) -> Data:  # noqa: ANN001, PLR0915
    org = session.query(Organisation).first()
    org.fiscal_year_start_month = 4
    session.add(org)
    este = Team(name="Este")
    session.add(este)
    session.flush()
    d = Data(people=people, team_este=este)
    p = people
    c1, c2, c3, m1 = p.comercial1, p.comercial2, p.comercial3, p.manager1
    norte, sur = p.team_norte.id, p.team_sur.id

    pipe = Pipeline(name="Ventas", is_default=True)
    session.add(pipe)
    session.flush()
    for key, name, pos, prob, kind in [
        ("s1", "En análisis", 0, 10, "open"), ("s2", "Oferta presentada", 1, 40, "open"),
        ("s3", "En negociación", 2, 70, "open"), ("s4", "Ganada", 3, 100, "won"),
        ("s5", "Cancelada", 4, 0, "lost"), ("s6", "Perdida", 5, 0, "lost"),
    ]:
        d.stages[key] = Stage(pipeline_id=pipe.id, name=name, position=pos, probability=prob,
                              kind=kind)
        session.add(d.stages[key])
    for key, name, prov, channel, owner in [
        ("A1", "Alfa Madrid S.L.", "Madrid", "Web", c1),
        ("A2", "Beta Barcelona S.A.", "Barcelona", "Feria", c2),
        ("A3", "Gamma Sevilla S.L.", "Sevilla", "Referido", c3),
    ]:
        d.accounts[key] = Account(name=name, province=prov, channel=channel, owner_id=owner.id,
                                  team_id=owner.team_id, created_at=utc(2024, 1, 1))
        session.add(d.accounts[key])
    for key, name, sku in [("P1", "Licencia anual", "LIC-1"), ("P2", "Consultoría", "CON-1")]:
        d.products[key] = Product(name=name, sku=sku, created_at=utc(2024, 1, 1))
        session.add(d.products[key])
    session.flush()
    s, a, pr = d.stages, d.accounts, d.products

    rows = [
        # key, owner, team, account, product, amount, stage, created, closed, channel
        ("O1", c1, norte, "A1", "P1", "1000.00", "s4", utc(2025, 10, 1), utc(2025, 11, 10), ""),
        ("O2", c1, norte, "A2", "P2", "2500.50", "s4", utc(2025, 11, 2), utc(2025, 11, 20),
         "LinkedIn"),
        ("O3", c2, norte, "A1", "P1", "800.00", "s6", utc(2025, 9, 15), utc(2025, 11, 5), ""),
        ("O4", c3, sur, "A3", "P2", "4000.00", "s4", utc(2025, 8, 1), utc(2025, 10, 31, 23, 30),
         ""),
        ("O5", c3, sur, "A3", "P1", "300.00", "s5", utc(2025, 11, 3), utc(2025, 11, 25), ""),
        ("O6", c1, norte, "A1", "P1", "5000.00", "s3", utc(2025, 11, 5), None, ""),
        ("O7", c2, norte, "A2", "P2", "2000.00", "s2", utc(2025, 10, 10), None, ""),
        ("O8", c3, sur, "A3", "P1", "10000.00", "s1", utc(2025, 11, 12), None, ""),
        ("O9", c1, norte, "A1", "P1", "1500.00", "s4", utc(2025, 9, 1), utc(2025, 10, 15), ""),
        ("O10", c2, norte, "A2", "P2", "700.00", "s4", utc(2024, 10, 1), utc(2024, 11, 18), ""),
        ("O11", c3, sur, "A3", "P2", "1200.00", "s4", utc(2025, 3, 1), utc(2025, 4, 10), ""),
        ("O12", c1, norte, "A1", "P1", "900.00", "s4", utc(2025, 1, 5), utc(2025, 3, 20), ""),
        ("O13", c1, norte, "A1", "P1", "99999.00", "s4", utc(2025, 11, 1), utc(2025, 11, 10), ""),
        ("O14", m1, norte, "A2", "P1", "600.00", "s6", utc(2025, 10, 20), utc(2025, 11, 28), ""),
    ]
    for key, owner, team, acc, prod, amount, stage, created, closed, channel in rows:
        o = Opportunity(name=f"Oportunidad {key}", account_id=a[acc].id, pipeline_id=pipe.id,
                        stage_id=s[stage].id, product_id=pr[prod].id, amount=Decimal(amount),
                        owner_id=owner.id, team_id=team, created_at=created, closed_at=closed,
                        channel=channel, stage_entered_at=closed or created)
        if key == "O13":
            o.deleted_at = utc(2025, 11, 11)
        d.opps[key] = o
        session.add(o)
    session.flush()
    o = d.opps

    changes = [
        ("O1", None, "s1", utc(2025, 10, 1)), ("O1", "s1", "s2", utc(2025, 10, 11)),
        ("O1", "s2", "s3", utc(2025, 10, 21)), ("O1", "s3", "s4", utc(2025, 11, 10)),
        ("O2", "s1", "s3", utc(2025, 11, 12)), ("O2", "s3", "s4", utc(2025, 11, 20)),
        ("O3", "s1", "s2", utc(2025, 10, 15)), ("O3", "s2", "s6", utc(2025, 11, 5)),
        ("O4", "s1", "s2", utc(2025, 9, 1)), ("O4", "s2", "s3", utc(2025, 10, 1)),
        ("O4", "s3", "s4", utc(2025, 10, 31, 23, 30)),
        ("O5", "s1", "s5", utc(2025, 11, 25)),
        ("O6", "s1", "s3", utc(2025, 11, 15)),
        ("O7", "s1", "s2", utc(2025, 11, 3)),
        ("O9", "s1", "s4", utc(2025, 10, 15)),
        ("O10", "s1", "s4", utc(2024, 11, 18)),
        ("O11", "s1", "s4", utc(2025, 4, 10)),
        ("O12", "s1", "s4", utc(2025, 3, 20)),
        ("O13", "s1", "s4", utc(2025, 11, 10)),
        ("O14", "s1", "s6", utc(2025, 11, 28)),
    ]
    for key, frm, to, at in changes:
        opp = o[key]
        session.add(StageChange(opportunity_id=opp.id, from_stage_id=s[frm].id if frm else None,
                                to_stage_id=s[to].id, changed_at=at, owner_id=opp.owner_id,
                                team_id=opp.team_id))

    for key, owner, source, prov, created, contacted, conv_opp, conv_at in [
        ("L1", c1, "Web", "Madrid", utc(2025, 11, 3, 9), utc(2025, 11, 3, 11), "O2",
         utc(2025, 11, 4)),
        ("L2", c1, "Feria", "Barcelona", utc(2025, 11, 10), None, None, None),
        ("L3", c3, "Referido", "Sevilla", utc(2025, 11, 20, 8), utc(2025, 11, 20, 12), "O8",
         utc(2025, 11, 21)),
        ("L4", c2, "Web", "Madrid", utc(2025, 11, 25), None, None, None),
        ("L5", c1, "Web", "Madrid", utc(2025, 10, 5), utc(2025, 10, 5, 12), None, None),
    ]:
        d.leads[key] = Lead(first_name=key, source=source, province=prov, owner_id=owner.id,
                            team_id=owner.team_id, created_at=created,
                            first_contacted_at=contacted, converted_at=conv_at,
                            converted_opportunity_id=o[conv_opp].id if conv_opp else None)
        session.add(d.leads[key])
    session.flush()

    quotes = [
        # key, number, version, status, issue, base, total, owner, opp
        ("Q1v1", "P-2025-0001", 1, "rechazado", date(2025, 11, 1), "1200.00", "1452.00", c1,
         "O1"),
        ("Q1", "P-2025-0001", 2, "aceptado", date(2025, 11, 5), "1000.00", "1210.00", c1, "O1"),
        ("Q2", "P-2025-0002", 1, "enviado", date(2025, 11, 15), "2500.50", "3025.61", c1, "O2"),
        ("Q3", "P-2025-0003", 1, "rechazado", date(2025, 11, 3), "800.00", "968.00", c2, "O3"),
        ("Q4", "P-2025-0004", 1, "caducado", date(2025, 11, 4), "300.00", "363.00", c3, "O5"),
        ("Q5", "P-2025-0005", 1, "borrador", date(2025, 11, 20), "5000.00", "6050.00", c1, "O6"),
        ("Q6", "P-2025-0006", 1, "aceptado", date(2025, 10, 20), "4000.00", "4840.00", c3, "O4"),
    ]
    for key, number, version, status, issue, base, total, owner, opp_key in quotes:
        opp = o[opp_key]
        q = Quote(number=number, year=2025, seq=int(number[-4:]), version=version,
                  account_id=opp.account_id, opportunity_id=opp.id, status=status,
                  issue_date=issue, valid_until=date(2025, 12, 31), base_total=Decimal(base),
                  total=Decimal(total), owner_id=owner.id, team_id=owner.team_id,
                  created_at=datetime(issue.year, issue.month, issue.day, 9, tzinfo=UTC))
        d.quotes[key] = q
        session.add(q)
    session.flush()
    for base in ("600.00", "400.00"):
        session.add(QuoteLine(quote_id=d.quotes["Q1"].id, line_base=Decimal(base)))

    acts = [
        # owner, kind, created, done, link
        (c1, "call", utc(2025, 11, 10), utc(2025, 11, 11, 16), {"lead_id": d.leads["L2"].id}),
        (c1, "meeting", utc(2025, 11, 1), utc(2025, 11, 12), {"opportunity_id": o["O1"].id}),
        (c1, "note", utc(2025, 11, 13), None, {"account_id": a["A1"].id}),
        (c1, "task", utc(2025, 11, 13), None, {"opportunity_id": o["O6"].id}),  # not done
        (c1, "email", utc(2025, 11, 14), utc(2025, 11, 14), {"opportunity_id": o["O2"].id}),
        (c2, "call", utc(2025, 11, 5), utc(2025, 11, 5), {"opportunity_id": o["O3"].id}),
        (c2, "call", utc(2025, 11, 6), utc(2025, 11, 6), {"opportunity_id": o["O7"].id}),
        (c2, "task", utc(2025, 11, 1), utc(2025, 11, 7), {"opportunity_id": o["O7"].id}),
        (c3, "meeting", utc(2025, 11, 19), utc(2025, 11, 20), {"opportunity_id": o["O8"].id}),
        (c3, "call", utc(2025, 10, 30), utc(2025, 10, 30), {"opportunity_id": o["O4"].id}),
    ]
    for owner, kind, created, done, link in acts:
        session.add(Activity(kind=kind, subject=kind, owner_id=owner.id, team_id=owner.team_id,
                             created_at=created, done_at=done, **link))
    session.add(Activity(kind="call", subject="borrada", owner_id=c1.id, team_id=norte,
                         created_at=utc(2025, 11, 15), done_at=utc(2025, 11, 15),
                         deleted_at=utc(2025, 11, 16)))
    session.commit()
    return d



@dataclass
class World:
    """The shared analytics dataset: do not change its rows (see the module doc)."""

    url: str  # the migrated SQLite file
    engine: Engine
    data: Data
    snapshot_dir: Path  # a snapshot of it (``open_snapshot(target_dir=...)``)
    tokens: dict[str, str]  # a personal API token per user: ``tokens["comercial1"]``


def build_world(tmp: Path) -> World:
    url = f"sqlite:///{tmp / 'analytics.db'}"
    prepare_database(url)
    engine = make_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        people = make_people(session)
        data = build(session, people)
        tokens = {u.email.split("@")[0]: auth_service.create_api_token(
            session=session, actor=SYSTEM, user=u) for u in people.all()}
    build_snapshot(database_url=url, target_dir=tmp / "snap")
    return World(url=url, engine=engine, data=data, snapshot_dir=tmp / "snap", tokens=tokens)
