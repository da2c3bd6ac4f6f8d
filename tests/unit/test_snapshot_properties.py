"""Property: whatever shape a company's data has, the snapshot builds and the figures Inicio
shows first equal a plain-Python computation over the same rows.

Hypothesis generates the database contents: empty tables, all-NULL optional columns (owner,
team, account, product, closing times, links), one row, unicode text, amounts up to
999.999.999.999,99 €, times around the Madrid summer-time switches, midnight in Madrid (22:00
and 23:00 UTC) and year ends, ids far apart (so the reader cuts the big tables in id ranges,
some of them all in the recycle bin). Each example is written into a real SQLite database (and
a smaller run into PostgreSQL), the snapshot is built for real (child process, ADBC, DuckDB)
and the KPIs are compared with a reference computed here with ``Decimal`` and ``zoneinfo``:

* open pipeline: count, amount and weighted amount of the opportunities in an open stage;
* won and lost in the period (by the Madrid date of the closing, else of entering the stage,
  else of the creation), win rate, average deal size, average sales cycle;
* won amount and count per month, and the fiscal-year cumulative;
* leads created, converted and the conversion rate; activities done.

For the company, the first team and the first user (the three role scopes). The number of
examples is the ``snapshot`` Hypothesis profile's; ``CRM_PROPERTY_EXAMPLES`` raises it for a
longer hunt.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session, SQLModel

from analytics import kpis, periods
from analytics import snapshot as snap
from analytics.scope import Scope
from crm_app import models
from crm_app.db import make_engine

MADRID = ZoneInfo("Europe/Madrid")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

settings.register_profile(
    "snapshot", deadline=None,
    max_examples=int(os.environ.get("CRM_PROPERTY_EXAMPLES", "15")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile("snapshot")


# ---------------------------------------------------------------- generated data


def _sunday_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


# instants where a local date is easy to get wrong: the summer-time switches (01:00 UTC on the
# last Sunday of March and October), midnight in Madrid in winter (23:00 UTC) and in summer
# (22:00 UTC), and the turn of the year
EDGES = sorted(
    [datetime.combine(_sunday_before(date(y, m, 31)), datetime.min.time(), tzinfo=UTC)
     + timedelta(hours=1) for y in (2024, 2025, 2026) for m in (3, 10)]
    + [datetime(y, 1, 1, tzinfo=UTC) - timedelta(hours=1) for y in (2024, 2025, 2026, 2027)]
    + [datetime(2025, 6, 30, 22, tzinfo=UTC), datetime(2025, 11, 30, 23, tzinfo=UTC)])

instants = st.one_of(
    st.builds(lambda edge, s: edge + timedelta(seconds=s), st.sampled_from(EDGES),
              st.integers(-3 * 3600, 3 * 3600)),
    st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31),
                 timezones=st.just(UTC)))
maybe_instant = st.none() | instants
words = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
channels = st.sampled_from(["", "Web", "Feria", "Referido", "Señal ñ ✓"]) | words
amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2,
                      allow_nan=False, allow_infinity=False)
KINDS = ("call", "meeting", "email", "task", "note")


@dataclass
class World:
    fy_start: int | None = None  # None: no organisation row at all
    teams: list[dict[str, Any]] = field(default_factory=list)
    users: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    products: list[dict[str, Any]] = field(default_factory=list)
    opps: list[dict[str, Any]] = field(default_factory=list)
    changes: list[dict[str, Any]] = field(default_factory=list)
    leads: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)
    lines: list[dict[str, Any]] = field(default_factory=list)


def _one_of(draw: Any, ids: list[int]) -> int | None:
    return draw(st.none() | st.sampled_from(ids)) if ids else None


def _far_ids(draw: Any, n: int) -> list[int]:
    """Ids up to 40.000: often more than 10.000 apart, so the reader splits the table."""
    return draw(st.lists(st.integers(1, 40_000), min_size=n, max_size=n, unique=True))


@st.composite
def worlds(draw: Any, rows: int = 8) -> World:  # noqa: PLR0915 - one table after another
    w = World(fy_start=draw(st.none() | st.integers(1, 12)))
    for i in range(draw(st.integers(0, 2))):
        w.teams.append({"id": i + 1, "name": f"Equipo {i + 1} {draw(words)}"})
    team_ids = [t["id"] for t in w.teams]
    for i in range(draw(st.integers(0, 3))):
        w.users.append({"id": i + 1, "email": f"u{i + 1}@prop.test", "name": draw(words),
                        "role": draw(st.sampled_from(["comercial", "manager", "director"])),
                        "team_id": _one_of(draw, team_ids), "active": draw(st.booleans())})
    user_ids = [u["id"] for u in w.users]
    for i in range(draw(st.integers(0, 4))):
        w.stages.append({"id": i + 1, "name": draw(words), "position": i,
                         "probability": draw(st.integers(0, 100)),
                         "kind": draw(st.sampled_from(["open", "won", "lost"]))})
    for i in range(draw(st.integers(0, 3))):
        w.accounts.append({"id": i + 1, "name": draw(words), "province": draw(words),
                           "channel": draw(channels), "owner_id": _one_of(draw, user_ids),
                           "team_id": _one_of(draw, team_ids)})
    for i in range(draw(st.integers(0, 2))):
        w.products.append({"id": i + 1, "name": draw(words), "sku": f"SKU-{i + 1}"})
    account_ids, stage_ids = [a["id"] for a in w.accounts], [s["id"] for s in w.stages]
    n = draw(st.integers(0, rows)) if w.stages else 0
    for oid in _far_ids(draw, n):
        w.opps.append({
            "id": oid, "stage_id": draw(st.sampled_from(stage_ids)), "amount": draw(amounts),
            "account_id": _one_of(draw, account_ids), "owner_id": _one_of(draw, user_ids),
            "team_id": _one_of(draw, team_ids),
            "product_id": _one_of(draw, [p["id"] for p in w.products]),
            "channel": draw(channels), "created_at": draw(instants),
            "closed_at": draw(maybe_instant), "stage_entered_at": draw(maybe_instant),
            "expected_close": draw(st.none() | st.dates(date(2023, 1, 1), date(2027, 12, 31))),
            "deleted_at": draw(st.none() | st.just(datetime(2026, 1, 2, tzinfo=UTC)))})
    opp_ids = [o["id"] for o in w.opps]
    if opp_ids:
        for cid in _far_ids(draw, draw(st.integers(0, rows))):
            w.changes.append({"id": cid, "opportunity_id": draw(st.sampled_from(opp_ids)),
                              "from_stage_id": _one_of(draw, stage_ids),
                              "to_stage_id": draw(st.sampled_from(stage_ids)),
                              "changed_at": draw(instants)})
    for i in range(draw(st.integers(0, 5))):
        w.leads.append({
            "id": i + 1, "first_name": draw(words), "source": draw(channels),
            "province": draw(words), "owner_id": _one_of(draw, user_ids),
            "team_id": _one_of(draw, team_ids), "created_at": draw(instants),
            "first_contacted_at": draw(maybe_instant),
            # no FK: it may name a deal deleted for good
            "converted_opportunity_id": _one_of(draw, [*opp_ids, 99_999]),
            "deleted_at": draw(st.none() | st.just(datetime(2026, 1, 2, tzinfo=UTC)))})
    lead_ids = [lead["id"] for lead in w.leads]
    for aid in _far_ids(draw, draw(st.integers(0, rows))):
        link = draw(st.sampled_from(["lead_id", "account_id", "opportunity_id", None]))
        targets = {"lead_id": lead_ids, "account_id": account_ids,
                   "opportunity_id": opp_ids}.get(link or "", [])
        w.activities.append({
            "id": aid, "kind": draw(st.sampled_from(KINDS)), "subject": draw(words),
            "owner_id": _one_of(draw, user_ids), "team_id": _one_of(draw, team_ids),
            "created_at": draw(instants), "done_at": draw(maybe_instant),
            "deleted_at": draw(st.none() | st.just(datetime(2026, 1, 2, tzinfo=UTC))),
            **({link: draw(st.sampled_from(targets))} if link and targets else {})})
    if account_ids:
        for i in range(draw(st.integers(0, 2))):
            q = {"id": i + 1, "number": f"P-2025-{i + 1:04d}", "year": 2025, "seq": i + 1,
                 "account_id": draw(st.sampled_from(account_ids)),
                 "opportunity_id": _one_of(draw, opp_ids),
                 "status": draw(st.sampled_from(["borrador", "enviado", "aceptado",
                                                 "rechazado", "caducado"])),
                 "issue_date": draw(st.dates(date(2023, 1, 1), date(2026, 12, 31))),
                 "valid_until": date(2027, 1, 31),
                 "base_total": draw(amounts), "total": draw(amounts),
                 "owner_id": _one_of(draw, user_ids), "team_id": _one_of(draw, team_ids),
                 "sent_at": draw(maybe_instant)}
            w.quotes.append(q)
            for _ in range(draw(st.integers(0, 2))):
                w.lines.append({"quote_id": q["id"], "line_base": draw(amounts)})
    return w


# ---------------------------------------------------------------- writing it


def write(engine: Any, w: World) -> None:
    """Empty every table, then store ``w`` through the models (as the app would)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(SQLModel.metadata.sorted_tables):
                conn.execute(table.delete())
    with Session(engine) as s:
        if w.fy_start is not None:
            s.add(models.Organisation(legal_name="Empresa ñ", fiscal_year_start_month=w.fy_start))
        s.add_all(models.Team(**t) for t in w.teams)
        s.flush()
        s.add_all(models.User(**u) for u in w.users)
        s.flush()
        if w.stages:
            s.add(models.Pipeline(id=1, name="Ventas", is_default=True))
            s.flush()
            s.add_all(models.Stage(pipeline_id=1, **st_) for st_ in w.stages)
        s.add_all(models.Account(**a) for a in w.accounts)
        s.add_all(models.Product(**p) for p in w.products)
        s.flush()
        s.add_all(models.Opportunity(name=f"O{o['id']}", pipeline_id=1, **o) for o in w.opps)
        s.flush()
        s.add_all(models.StageChange(**c) for c in w.changes)
        s.add_all(models.Lead(**lead) for lead in w.leads)
        s.flush()
        s.add_all(models.Activity(**a) for a in w.activities)
        s.add_all(models.Quote(**q) for q in w.quotes)
        s.flush()
        s.add_all(models.QuoteLine(**line) for line in w.lines)
        s.commit()


# ---------------------------------------------------------------- the reference


def local(moment: datetime | None) -> date | None:
    return None if moment is None else moment.astimezone(MADRID).date()


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def in_scope(row: dict[str, Any], scope: Scope) -> bool:
    if scope.kind == "team":
        return row.get("team_id") == scope.team_id
    if scope.kind == "own":
        return row.get("owner_id") == scope.user_id
    return True


def fiscal_start(day: date, fy: int) -> date:
    return date(day.year if day.month >= fy else day.year - 1, fy, 1)


def reference(w: World, scope: Scope, period: periods.Period) -> dict[str, Any]:
    """The figures, straight from the rows."""
    kind = {s["id"]: s["kind"] for s in w.stages}
    prob = {s["id"]: s["probability"] for s in w.stages}
    opps = [o for o in w.opps if o["deleted_at"] is None and in_scope(o, scope)]
    inside = period.contains
    out: dict[str, Any] = {}
    open_ = [o for o in opps if kind[o["stage_id"]] == "open"]
    out["open_count"] = len(open_)
    out["pipeline_amount"] = money(sum((o["amount"] for o in open_), ZERO))
    out["weighted_amount"] = money(sum((o["amount"] * prob[o["stage_id"]] for o in open_), ZERO)
                                   / 100)
    won: list[tuple[date, Decimal, int]] = []  # (closed date, amount, cycle days)
    lost = 0
    for o in opps:
        if kind[o["stage_id"]] not in ("won", "lost"):
            continue
        closed = local(o["closed_at"] or o["stage_entered_at"] or o["created_at"])
        if kind[o["stage_id"]] == "won":
            won.append((closed, o["amount"], (closed - local(o["created_at"])).days))
        elif inside(closed):
            lost += 1
    won_now = [x for x in won if inside(x[0])]
    won_amount = money(sum((x[1] for x in won_now), ZERO))
    out.update(won_amount=won_amount, won_count=len(won_now), lost_count=lost,
               win_rate=ratio(len(won_now), len(won_now) + lost),
               avg_deal_size=money(won_amount / len(won_now)) if won_now else None,
               avg_sales_cycle_days=(round(sum(x[2] for x in won_now) / len(won_now), 1)
                                     if won_now else None))
    fy = w.fy_start or 1
    months = []
    for first in period.months():
        last = min(periods.add_months(first, 1) - timedelta(days=1), period.end)
        a = max(first, period.start)
        month = [x for x in won if a <= x[0] <= last]
        cum = [x for x in won if fiscal_start(first, fy) <= x[0] <= last]
        months.append((first.strftime("%Y-%m"), money(sum((x[1] for x in month), ZERO)),
                       len(month), money(sum((x[1] for x in cum), ZERO))))
    out["months"] = months
    leads = [lead for lead in w.leads if lead["deleted_at"] is None and in_scope(lead, scope)
             and inside(local(lead["created_at"]))]
    converted = sum(lead["converted_opportunity_id"] is not None for lead in leads)
    out.update(leads=len(leads), converted=converted,
               conversion_rate=ratio(converted, len(leads)))

    def counted_at(a: dict[str, Any]) -> datetime | None:
        if a["kind"] in ("note", "email"):
            return a["done_at"] or a["created_at"]
        return a["done_at"]

    out["activities"] = sum(
        1 for a in w.activities if a["deleted_at"] is None and in_scope(a, scope)
        and counted_at(a) is not None and inside(local(counted_at(a))))
    return out


CARDS = ("open_count", "pipeline_amount", "weighted_amount", "won_amount", "won_count",
         "lost_count", "win_rate", "avg_deal_size", "avg_sales_cycle_days", "leads",
         "converted", "conversion_rate", "activities")


def check(con: Any, w: World, scope: Scope) -> None:
    today = datetime.now(MADRID).date()
    # every generated date, and today: the open pipeline is the snapshot's current one
    period = periods.custom(date(2022, 12, 1), max(date(2027, 1, 31), today))
    want = reference(w, scope, period)
    board = kpis.dashboard(con, scope, period)
    got = {k: board["kpis"][k] for k in CARDS}
    assert got == {k: want[k] for k in CARDS}, scope
    months = [(m["month"], m["won_amount"], m["won_count"], m["cumulative_won_amount"])
              for m in kpis.won_by_month(con, scope, period)]
    assert months == want["months"], scope
    # one month at a time: the card figures of each month with a closing or a lead
    busy = {m for m, amount, n, _ in want["months"] if n} | {
        local(lead["created_at"]).strftime("%Y-%m") for lead in w.leads}
    for month in sorted(busy)[:4]:
        p = periods.month(int(month[:4]), int(month[5:]))
        one = reference(w, scope, p)
        cards = kpis.kpi_cards(con, scope, p)
        for key in ("won_amount", "won_count", "lost_count", "win_rate", "leads",
                    "conversion_rate", "activities"):
            assert cards[key] == one[key], (scope, month, key)


def build_and_check(engine: Any, url: str, root: Path, w: World) -> None:
    write(engine, w)
    info = snap.build_snapshot(database_url=url, target_dir=root)
    assert info.row_counts["opportunities"] == sum(o["deleted_at"] is None for o in w.opps)
    con = snap.open_snapshot(target_dir=root)
    try:
        scopes = [Scope.company()]
        if w.teams:
            scopes.append(Scope.team(w.teams[0]["id"]))
        if w.users:
            scopes.append(Scope.own(w.users[0]["id"]))
        for scope in scopes:
            check(con, w, scope)
    finally:
        con.close()


# ---------------------------------------------------------------- the tests


@pytest.fixture(scope="module")
def sqlite_db(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    tmp = tmp_path_factory.mktemp("props")
    engine = make_engine(f"sqlite:///{tmp / 'props.db'}")
    SQLModel.metadata.create_all(engine)
    yield engine, str(engine.url), tmp / "snap"
    engine.dispose()


@pytest.mark.slow
@PROFILE
@given(w=worlds())
def test_snapshot_kpis_match_a_plain_computation_on_sqlite(sqlite_db, w: World) -> None:
    engine, url, root = sqlite_db
    build_and_check(engine, url, root, w)


@pytest.fixture(scope="module")
def pg_db(pg_server, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN201
    url = pg_server.create_database("crm_snapshot_props")
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    yield engine, url, tmp_path_factory.mktemp("props-pg") / "snap"
    engine.dispose()


@pytest.mark.slow
@pytest.mark.postgres
@settings(PROFILE, max_examples=max(3, PROFILE.max_examples // 2))
@given(w=worlds(rows=5))
def test_snapshot_kpis_match_a_plain_computation_on_postgresql(pg_db, w: World) -> None:
    engine, url, root = pg_db
    build_and_check(engine, url, root, w)
