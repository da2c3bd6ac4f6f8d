"""The demo seed and the default configuration (crm_app.services.demo / defaults).

One demo load into a module-wide SQLite file serves the read-only checks; determinism, the
empty-database check and the CLI each load into their own fresh database.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import sqlite3
import subprocess
import time
from collections import Counter, defaultdict
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import phonenumbers
import pytest
from cli_runner import crm
from sqlalchemy import select as sa_select
from sqlmodel import Session, SQLModel, select
from stdnum.es import nif as es_nif

from crm_app import models
from crm_app.auth.passwords import verify_password
from crm_app.db import make_engine
from crm_app.services import defaults, demo, spain
from crm_app.services.actors import SYSTEM
from crm_app.services.errors import Conflict
from crm_app.services.quote_maths import compute_totals

NOW = demo.reference_now()


def _fresh_engine(path: Path):  # noqa: ANN202
    eng = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(eng)
    return eng


def _digest(eng) -> str:  # noqa: ANN001
    """SHA-256 over every row of every table but the audit trail (which has wall-clock times)."""
    h = hashlib.sha256()
    with eng.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == models.AuditEvent.__tablename__:
                continue
            rows = conn.execute(sa_select(table).order_by(*table.primary_key.columns)).all()
            h.update(repr((table.name, [tuple(r) for r in rows])).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):  # noqa: ANN001, ANN201
    eng = _fresh_engine(tmp_path_factory.mktemp("demo") / "demo.db")
    demo.demo_password_hash()  # argon2 once, outside the timing
    started = time.perf_counter()
    with Session(eng, expire_on_commit=False) as s:
        counts = demo.load_demo(session=s, actor=SYSTEM, seed=2026, now=NOW)
    elapsed = time.perf_counter() - started
    with Session(eng, expire_on_commit=False) as s:
        d = SimpleNamespace(
            engine=eng, counts=counts, elapsed=elapsed,
            org=s.exec(select(models.Organisation)).all(),
            teams={t.name: t for t in s.exec(select(models.Team)).all()},
            users={u.email: u for u in s.exec(select(models.User)).all()},
            stages=s.exec(select(models.Stage).order_by(models.Stage.position)).all(),
            pipelines=s.exec(select(models.Pipeline)).all(),
            products=s.exec(select(models.Product)).all(),
            leads=s.exec(select(models.Lead)).all(),
            accounts=s.exec(select(models.Account)).all(),
            contacts=s.exec(select(models.Contact)).all(),
            opps=s.exec(select(models.Opportunity)).all(),
            changes=s.exec(select(models.StageChange).order_by(models.StageChange.id)).all(),
            activities=s.exec(select(models.Activity)).all(),
            quotes=s.exec(select(models.Quote)).all(),
            lines=s.exec(select(models.QuoteLine)).all(),
        )
    d.user_by_id = {u.id: u for u in d.users.values()}
    d.stage_by_id = {st.id: st for st in d.stages}
    yield d
    eng.dispose()


# --- defaults ----------------------------------------------------------------------------


def test_default_pipeline_is_created_once_with_the_spanish_stages(session):
    first = defaults.ensure_default_pipeline(session=session)
    second = defaults.ensure_default_pipeline(session=session)
    session.commit()
    assert first.id == second.id and first.name == "Ventas" and first.is_default
    stages = defaults.pipeline_stages(session=session, pipeline_id=first.id)
    assert [(st.name, st.kind, st.probability) for st in stages] == [
        ("En análisis", "open", 10), ("Oferta presentada", "open", 40),
        ("En negociación", "open", 70), ("Ganada", "won", 100), ("Cancelada", "lost", 0),
        ("Perdida", "lost", 0)]
    assert [st.position for st in stages] == list(range(6))
    assert [st.stale_days for st in stages] == [14, 10, 7, None, None, None]
    assert stages[-1].required_fields == ["lost_reason"]
    assert len(session.exec(select(models.Pipeline)).all()) == 1
    assert len(session.exec(select(models.Stage)).all()) == 6


def test_default_pipeline_keeps_an_admins_renamed_default(session):
    renamed = models.Pipeline(name="Comercial", is_default=True)
    session.add(renamed)
    session.flush()
    session.add(models.Stage(pipeline_id=renamed.id, name="Única", kind=models.StageKind.OPEN))
    session.commit()
    assert defaults.ensure_default_pipeline(session=session).id == renamed.id
    assert len(session.exec(select(models.Pipeline)).all()) == 1


def test_organisation_is_one_row(session):
    a = defaults.ensure_organisation(session=session)
    b = defaults.ensure_organisation(session=session)
    session.commit()
    assert a.id == b.id
    assert len(session.exec(select(models.Organisation)).all()) == 1
    assert (a.currency, a.timezone, a.fiscal_year_start_month) == ("EUR", "Europe/Madrid", 1)


# --- the demo load -------------------------------------------------------------------------


def test_counts_are_in_range_and_load_is_fast(loaded):
    c = loaded.counts
    assert c["users"] == 11 and c["teams"] == 2 and c["organisation"] == 1
    assert 20 <= c["products"] <= 30
    assert 280 <= c["leads"] <= 320
    assert 140 <= c["accounts"] <= 160
    assert c["accounts"] <= c["contacts"] <= 3 * c["accounts"]
    assert 230 <= c["opportunities"] <= 270
    assert 500 <= c["activities"] <= 750
    assert c["stage_changes"] == len(loaded.changes) >= c["opportunities"]
    assert len(loaded.leads) == c["leads"] and len(loaded.opps) == c["opportunities"]
    assert loaded.elapsed < 10, f"load_demo took {loaded.elapsed:.1f} s"


def test_every_demo_user_has_role_team_and_password(loaded):
    teams = loaded.teams
    expected = {"admin": ("admin", None), "director": ("director", None),
                "manager1": ("manager", "Equipo Norte"), "manager2": ("manager", "Equipo Sur")}
    expected |= {f"comercial{i}": ("comercial", "Equipo Norte" if i <= 3 else "Equipo Sur")
                 for i in range(1, 7)}
    expected["asesor"] = ("asesor", None)  # the company's accountant: read-only, no team
    assert set(loaded.users) == {f"{k}@demo.crm" for k in expected}
    for login, (role, team) in expected.items():
        user = loaded.users[f"{login}@demo.crm"]
        assert user.role == role and user.active and user.name
        assert user.team_id == (teams[team].id if team else None)
    # One argon2 hash, made once and shared (argon2 is slow by design); it verifies demo1234.
    hashes = {u.password_hash for u in loaded.users.values()}
    assert len(hashes) == 1
    (pw_hash,) = hashes
    assert pw_hash.startswith("$argon2id$")
    assert verify_password(pw_hash, "demo1234") and not verify_password(pw_hash, "demo12345")
    assert teams["Equipo Norte"].manager_id == loaded.users["manager1@demo.crm"].id
    assert teams["Equipo Sur"].manager_id == loaded.users["manager2@demo.crm"].id
    assert tuple(email for email, _, _ in demo.demo_logins()) == demo.DEMO_EMAILS


def test_organisation_is_a_madrid_company_with_valid_cif(loaded):
    (org,) = loaded.org
    assert org.legal_name.endswith("S.L.") and org.nif[0] == "B"
    assert es_nif.is_valid(org.nif)
    assert (org.city, org.province, org.postal_code[:2]) == ("Madrid", "Madrid", "28")
    assert org.fiscal_year_start_month == 1 and org.default_irpf_pct == Decimal("0")


def test_catalogue_has_every_iva_rate_and_exempt_items(loaded):
    products = loaded.products
    assert len({p.sku for p in products}) == len(products)
    assert {p.tax_rate for p in products} == {Decimal(21), Decimal(10), Decimal(4), Decimal(0)}
    exempt = [p for p in products if p.tax_exempt]
    assert exempt and all(p.tax_rate == 0 for p in exempt)
    assert any(p.tax_rate == 0 and not p.tax_exempt for p in products)
    assert all(isinstance(p.unit_price, Decimal) and p.unit_price > 0 for p in products)


def test_every_lead_status_is_represented_and_consistent(loaded):
    statuses = Counter(lead.status for lead in loaded.leads)
    assert set(statuses) == set(models.LeadStatus), statuses
    accounts = {a.id: a for a in loaded.accounts}
    contacts = {c.id: c for c in loaded.contacts}
    opps = {o.id: o for o in loaded.opps}
    for lead in loaded.leads:
        if lead.status == models.LeadStatus.DESCARTADO:
            assert lead.discard_reason
        if lead.status == models.LeadStatus.NUEVO:
            assert lead.first_contacted_at is None
        if lead.first_contacted_at:
            assert lead.created_at < lead.first_contacted_at <= NOW
        if lead.status == models.LeadStatus.CONVERTIDO:
            acc = accounts[lead.converted_account_id]
            assert acc.lead_id == lead.id and acc.owner_id == lead.owner_id
            assert lead.converted_at == acc.created_at > lead.created_at
            assert contacts[lead.converted_contact_id].account_id == acc.id
            opp = opps[lead.converted_opportunity_id]
            assert opp.lead_id == lead.id and opp.account_id == acc.id
        else:
            assert lead.converted_account_id is None and lead.converted_at is None
        assert lead.source in defaults.CHANNELS


def test_every_stage_is_represented(loaded):
    current = Counter(loaded.stage_by_id[o.stage_id].name for o in loaded.opps)
    assert set(current) == {spec.name for spec in defaults.DEFAULT_STAGES}, current
    assert all(o.pipeline_id == loaded.pipelines[0].id for o in loaded.opps)


def test_stage_histories_are_monotonic_and_match_the_opportunity(loaded):
    by_opp = defaultdict(list)
    for ch in loaded.changes:
        by_opp[ch.opportunity_id].append(ch)
    first_stage = loaded.stages[0]
    for opp in loaded.opps:
        history = sorted(by_opp[opp.id], key=lambda ch: ch.changed_at)
        assert [ch.id for ch in history] == sorted(ch.id for ch in history)
        assert history[0].from_stage_id is None and history[0].to_stage_id == first_stage.id
        assert history[0].changed_at == opp.created_at
        for prev, ch in itertools.pairwise(history):
            assert ch.from_stage_id == prev.to_stage_id
            assert ch.changed_at > prev.changed_at
            assert (loaded.stage_by_id[ch.to_stage_id].position >
                    loaded.stage_by_id[ch.from_stage_id].position)
            assert loaded.stage_by_id[ch.from_stage_id].kind == models.StageKind.OPEN
        last = history[-1]
        assert last.to_stage_id == opp.stage_id
        assert last.changed_at <= NOW
        assert opp.stage_entered_at == last.changed_at
        assert all(ch.owner_id == opp.owner_id and ch.team_id == opp.team_id
                   and ch.changed_by_id == opp.owner_id for ch in history)
        stage = loaded.stage_by_id[opp.stage_id]
        if stage.kind == models.StageKind.OPEN:
            assert opp.closed_at is None and opp.expected_close is not None
        else:
            assert opp.closed_at == last.changed_at
        if "lost_reason" in stage.required_fields:
            assert opp.lost_reason in defaults.LOST_REASONS


def test_opportunities_span_three_years_with_growth(loaded):
    created = sorted(o.created_at for o in loaded.opps)
    assert created[0] >= NOW - timedelta(days=3 * 365 + 1)
    assert created[0] <= NOW - timedelta(days=2 * 365 + 300)
    assert created[-1] >= NOW - timedelta(days=3)
    last_year = sum(c >= NOW - timedelta(days=365) for c in created)
    first_year = sum(c < NOW - timedelta(days=2 * 365) for c in created)
    assert last_year > first_year > 0
    won = loaded.stage_by_id
    won_by_year = Counter(o.closed_at.year for o in loaded.opps
                          if won[o.stage_id].kind == models.StageKind.WON)
    assert len(won_by_year) >= 3
    assert {o.channel for o in loaded.opps} == set(defaults.CHANNELS)
    assert all(isinstance(o.amount, Decimal) and o.amount > 0 for o in loaded.opps)
    assert all(o.product_id is not None for o in loaded.opps)


def test_owner_and_team_are_consistent_everywhere(loaded):
    users = loaded.user_by_id
    owned = [*loaded.leads, *loaded.accounts, *loaded.contacts, *loaded.opps, *loaded.changes,
             *loaded.activities, *loaded.quotes]
    for row in owned:
        assert row.owner_id is not None, row
        owner = users[row.owner_id]
        assert owner.role in ("comercial", "manager")
        assert row.team_id == owner.team_id is not None
    accounts = {a.id: a for a in loaded.accounts}
    for c in loaded.contacts:
        assert c.owner_id == accounts[c.account_id].owner_id
    for o in loaded.opps:
        assert o.owner_id == accounts[o.account_id].owner_id
    records = {("lead", x.id): x for x in loaded.leads}
    records |= {("account", x.id): x for x in loaded.accounts}
    records |= {("opp", x.id): x for x in loaded.opps}
    for act in loaded.activities:
        target = records[("opp", act.opportunity_id)] if act.opportunity_id else \
            records[("lead", act.lead_id)] if act.lead_id else records[("account", act.account_id)]
        assert act.owner_id == target.owner_id
    # Every comercial has a book of business.
    per_owner = Counter(o.owner_id for o in loaded.opps)
    for i in range(1, 7):
        assert per_owner[loaded.users[f"comercial{i}@demo.crm"].id] >= 10


def test_contact_data_is_valid(loaded):
    nifs = [x.nif for x in [*loaded.leads, *loaded.accounts, *loaded.contacts] if x.nif]
    assert len(nifs) > 200
    assert all(es_nif.is_valid(n) for n in nifs)
    assert all(es_nif.is_valid(a.nif) for a in loaded.accounts)
    assert len({a.nif for a in loaded.accounts}) == len(loaded.accounts)
    phones = [x.phone for x in [*loaded.leads, *loaded.accounts, *loaded.contacts] if x.phone]
    assert len(phones) > 600
    for phone in phones:
        assert re.fullmatch(r"\+34\d{9}", phone), phone
        assert phonenumbers.is_valid_number(phonenumbers.parse(phone)), phone
    emails = [x.email for x in [*loaded.leads, *loaded.accounts, *loaded.contacts] if x.email]
    assert all(re.fullmatch(r"[a-z0-9.\-]+@[a-z0-9\-]+\.example", e) for e in emails)
    provinces = {x.province for x in [*loaded.leads, *loaded.accounts]}
    assert provinces <= set(spain.PROVINCES)
    assert len(provinces) > 30
    assert {p[0] for p in demo.PROVINCES} == set(spain.PROVINCES)
    for acc in loaded.accounts:
        assert spain.province_from_postal_code(acc.postal_code) == acc.province
        assert acc.sector in defaults.SECTORS and acc.size_band in defaults.SIZE_BANDS
        assert acc.channel in defaults.CHANNELS
        if acc.recargo_equivalencia:  # only self-employed retailers (a DNI, not a CIF)
            assert acc.nif[0].isdigit() and acc.sector == "Comercio minorista"
    assert any(a.recargo_equivalencia for a in loaded.accounts)
    assert all(1 <= n <= 3 for n in Counter(c.account_id for c in loaded.contacts).values())


def test_activities_cover_kinds_links_and_due_states(loaded):
    acts = loaded.activities
    assert {a.kind for a in acts} == set(models.ActivityKind)
    assert all(a.lead_id or a.account_id or a.opportunity_id for a in acts)
    assert any(a.lead_id for a in acts) and any(a.opportunity_id for a in acts)
    assert any(a.account_id and not a.opportunity_id for a in acts)
    overdue = [a for a in acts if a.done_at is None and a.due_at and a.due_at < NOW]
    upcoming = [a for a in acts if a.done_at is None and a.due_at and a.due_at >= NOW]
    done = [a for a in acts if a.done_at is not None]
    assert len(overdue) >= 20 and len(upcoming) >= 10 and len(done) >= 300
    assert all(a.created_at <= NOW and (a.done_at is None or a.done_at <= NOW) for a in acts)
    last = defaultdict(lambda: None)
    for a in acts:
        if a.opportunity_id:
            moment = a.done_at or a.created_at
            if last[a.opportunity_id] is None or moment > last[a.opportunity_id]:
                last[a.opportunity_id] = moment
    for o in loaded.opps:
        assert o.last_activity_at == last[o.id]


def test_quotes_when_the_quotes_service_exists(loaded):
    quotes, opps = loaded.quotes, {o.id: o for o in loaded.opps}
    assert 60 <= len(quotes) <= 110 and loaded.counts["quotes"] == len(quotes)
    assert {q.status for q in quotes} == set(models.QuoteStatus)
    lines = defaultdict(list)
    for ln in loaded.lines:
        lines[ln.quote_id].append(ln)
    seqs = defaultdict(set)
    for q in quotes:
        assert re.fullmatch(rf"P-{q.year}-{q.seq:04d}", q.number)
        assert q.issue_date.year == q.year or q.version > 1
        seqs[q.year].add(q.seq)
        opp = opps[q.opportunity_id]
        assert q.account_id == opp.account_id and q.owner_id == opp.owner_id
        totals = compute_totals(sorted(lines[q.id], key=lambda ln: ln.position),
                         global_discount_pct=q.global_discount_pct,
                         recargo_equivalencia=q.recargo_equivalencia, irpf_pct=q.irpf_pct)
        assert (q.base_total, q.tax_total, q.recargo_total, q.irpf_total, q.total) == (
            totals.base, totals.tax, totals.recargo_total, totals.irpf, totals.total)
        kind = loaded.stage_by_id[opp.stage_id].kind
        if q.status == models.QuoteStatus.ACEPTADO:
            assert kind == models.StageKind.WON and q.decided_at == opp.closed_at
    for year, used in seqs.items():
        assert used == set(range(1, max(used) + 1)), year
    assert len({(q.number, q.version) for q in quotes}) == len(quotes)
    assert any(q.version == 2 for q in quotes)
    assert any(q.recargo_total > 0 for q in quotes)


def test_same_seed_same_rows_and_other_seed_other_rows(loaded, tmp_path):
    again = _fresh_engine(tmp_path / "again.db")
    with Session(again) as s:
        demo.load_demo(session=s, actor=SYSTEM, seed=2026, now=NOW)
    other = _fresh_engine(tmp_path / "other.db")
    with Session(other) as s:
        demo.load_demo(session=s, actor=SYSTEM, seed=7, now=NOW)
    try:
        assert _digest(again) == _digest(loaded.engine)
        assert _digest(other) != _digest(loaded.engine)
    finally:
        again.dispose()
        other.dispose()


def test_database_is_empty_before_and_after_and_second_load_refused(session):
    assert demo.database_is_empty(session=session)
    # default seed and "now" (today's midnight)
    counts = demo.load_demo(session=session, actor=SYSTEM)
    assert counts["users"] == 11
    assert not demo.database_is_empty(session=session)
    latest = session.exec(select(models.Opportunity.created_at).order_by(
        models.Opportunity.created_at.desc())).first()
    assert NOW - timedelta(days=3) <= latest <= demo.reference_now()
    event = session.exec(select(models.AuditEvent).where(models.AuditEvent.entity == "demo")).one()
    assert event.action == "seed" and event.after["seed"] == 2026
    with pytest.raises(Conflict):
        demo.load_demo(session=session, actor=SYSTEM)
    assert len(session.exec(select(models.User)).all()) == 11  # 10 people and the asesor


def test_cli_seed_demo_and_if_empty(tmp_path, monkeypatch):
    """``crm db upgrade`` then ``crm seed demo --if-empty`` twice, as an operator runs them
    (in-process through ``cli_runner``: test_cli.py starts the real console script)."""
    monkeypatch.chdir(tmp_path)  # nothing may be written next to the caller

    def run(*args: str) -> subprocess.CompletedProcess:
        return crm(*args, data_dir=tmp_path / "data")

    up = run("db", "upgrade")
    assert up.returncode == 0, up.stderr
    first = run("seed", "demo", "--if-empty")
    assert first.returncode == 0, first.stderr
    assert "Datos de demostración cargados" in first.stdout and "users=11" in first.stdout
    second = run("seed", "demo", "--if-empty")
    assert second.returncode == 0, second.stderr
    assert "ya tiene datos" in second.stdout
    con = sqlite3.connect(tmp_path / "data" / "crm.db")
    try:
        assert con.execute("select count(*) from user").fetchone() == (11,)
        assert con.execute("select count(*) from opportunity").fetchone()[0] >= 230
    finally:
        con.close()


def test_cli_seed_demo_twice_is_a_clean_error(engine, monkeypatch):
    """Without --if-empty a second load is refused with a message, not a traceback."""
    from typer.testing import CliRunner

    from crm_app.cli import app, common

    monkeypatch.setattr(common, "get_engine", lambda: engine)
    runner = CliRunner()
    first = runner.invoke(app, ["seed", "demo"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["seed", "demo"])
    assert again.exit_code == 1
    assert "ya están cargados" in again.output
    assert again.exception is None or isinstance(again.exception, SystemExit)
