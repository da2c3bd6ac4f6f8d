"""The analytics snapshot: files written, atomic swap while readers are open, read-only readers,
and the same figures from PostgreSQL as from SQLite."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import polars as pl
import pytest
from analytics_data import build, utc
from sqlmodel import Session, SQLModel

from analytics import kpis, periods
from analytics import snapshot as snap
from analytics.scope import Scope
from crm_app.db import make_engine
from crm_app.models import Opportunity, StageChange


@pytest.fixture
def world(engine, session, people, tmp_path):  # noqa: ANN001, ANN201
    data = build(session, people)
    return engine, session, data, tmp_path / "snap"


def test_build_writes_duckdb_parquet_and_metadata(world):
    engine, _, data, root = world
    assert snap.snapshot_info(target_dir=root) is None
    with pytest.raises(snap.SnapshotMissing):
        snap.open_snapshot(target_dir=root)
    before = datetime.now(UTC)
    info = snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    assert before <= info.built_at <= datetime.now(UTC) and info.built_at.tzinfo is UTC
    assert info.row_counts["opportunities"] == 13  # O13 is deleted
    # 10 activities, one deleted and one a pending task (it never counts)
    assert info.row_counts["activities"] == 9 and info.fiscal_year_start_month == 4
    assert (root / "current").read_text() == info.version
    vdir = root / info.version
    meta = json.loads((vdir / "meta.json").read_text())
    assert meta["row_counts"] == info.row_counts and meta["built_at"] == info.built_at.isoformat()
    assert snap.snapshot_info(target_dir=root).version == info.version
    # the Parquet files: the transactional tables as read, typed
    assert sorted(p.stem for p in vdir.glob("*.parquet")) == sorted(snap.PARQUET)
    opps = pl.read_parquet(vdir / "opportunity.parquet")
    assert opps.height == 13  # O13 is deleted
    assert opps.schema["amount"] == pl.Decimal(18, 2)
    assert opps.schema["created_at"] == pl.Datetime("us")
    assert opps.schema["expected_close"] == pl.Date
    o1 = opps.filter(pl.col("id") == data.opps["O1"].id).row(0, named=True)
    assert o1["amount"] == Decimal("1000.00")
    assert o1["created_at"] == utc(2025, 10, 1).replace(tzinfo=None)  # UTC, naive
    changes = pl.read_parquet(vdir / "stage_change.parquet")
    assert changes.height == 20 and changes.schema["changed_at"] == pl.Datetime("us")
    quotes = pl.read_parquet(vdir / "quote.parquet")
    assert quotes.schema["total"] == pl.Decimal(18, 2) and quotes.schema["issue_date"] == pl.Date
    assert pl.read_parquet(vdir / "user.parquet").schema["active"] == pl.Boolean
    con = snap.open_snapshot(target_dir=root)
    try:
        got = snap.info_from_connection(con)
        assert got.version == info.version and got.path == info.path
        # the read model is clustered by team: team queries skip row groups
        for table in ("opportunities", "stage_history", "activities", "leads", "quotes"):
            teams = [r[0] for r in con.execute(f"SELECT team_id FROM {table}").fetchall()]
            assert teams == sorted(teams, key=lambda t: (t is None, t)), table
    finally:
        con.close()


def test_stage_history_stays(world):
    """One stay per recorded move, lasting until the next move; a first stay from creation in
    the stage the first move left (O2), none when the first move is the creation (O1), the
    current stage when there are no moves (O8), and a move recorded before the creation does
    not make a stay that ends before it starts."""
    engine, session, data, root = world
    o, s = data.opps, data.stages
    early = o["O7"]  # created 10/10/2025, moved s1 → s2 on 03/11; another s1 → s2 dated 01/10
    session.add(StageChange(opportunity_id=early.id, from_stage_id=s["s1"].id,
                            to_stage_id=s["s2"].id, changed_at=utc(2025, 10, 1),
                            owner_id=early.owner_id, team_id=early.team_id))
    session.commit()
    snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    con = snap.open_snapshot(target_dir=root)
    names = {st.id: key for key, st in s.items()}

    def stays(key: str) -> list[tuple[str, datetime, datetime | None]]:
        rows = con.execute("SELECT stage_id, entered_at, left_at FROM stage_history "
                           "WHERE opportunity_id = ? ORDER BY entered_at, left_at NULLS LAST",
                           [o[key].id]).fetchall()
        return [(names[sid], entered, left) for sid, entered, left in rows]

    def at(*args: int) -> datetime:
        return utc(*args).replace(tzinfo=None)

    try:
        assert stays("O1") == [("s1", at(2025, 10, 1), at(2025, 10, 11)),
                               ("s2", at(2025, 10, 11), at(2025, 10, 21)),
                               ("s3", at(2025, 10, 21), at(2025, 11, 10)),
                               ("s4", at(2025, 11, 10), None)]
        assert stays("O2") == [("s1", at(2025, 11, 2), at(2025, 11, 12)),
                               ("s3", at(2025, 11, 12), at(2025, 11, 20)),
                               ("s4", at(2025, 11, 20), None)]
        assert stays("O8") == [("s1", at(2025, 11, 12), None)]
        assert stays("O7") == [("s1", at(2025, 10, 1), at(2025, 10, 1)),
                               ("s2", at(2025, 10, 1), at(2025, 11, 3)),
                               ("s2", at(2025, 11, 3), None)]
        assert con.execute("SELECT count(*) FROM stage_history WHERE left_at < entered_at"
                           ).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM stage_history WHERE opportunity_id = ?",
                           [o["O13"].id]).fetchone()[0] == 0  # deleted
    finally:
        con.close()


def test_readers_are_read_only(world):
    engine, _, _, root = world
    snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    con = snap.open_snapshot(target_dir=root)
    try:
        with pytest.raises(duckdb.Error):
            con.execute("DELETE FROM opportunities")
        with pytest.raises(duckdb.Error):
            con.execute("CREATE TABLE evil (x INTEGER)")
        assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 13
    finally:
        con.close()


def _won(con: duckdb.DuckDBPyConnection) -> Decimal:
    return kpis.closed_summary(con, Scope.company(), periods.month(2025, 11))["won_amount"]


def test_swap_while_a_reader_is_open(world):
    engine, session, data, root = world
    first = snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    old_reader = snap.open_snapshot(target_dir=root)
    try:
        assert _won(old_reader) == Decimal("7500.50")
        o1 = data.opps["O1"]
        session.add(Opportunity(name="Nueva", pipeline_id=o1.pipeline_id,
                                stage_id=data.stages["s4"].id, amount=Decimal("99.50"),
                                owner_id=o1.owner_id, team_id=o1.team_id,
                                created_at=utc(2025, 11, 1), closed_at=utc(2025, 11, 2)))
        session.commit()
        second = snap.build_snapshot(database_url=str(engine.url), target_dir=root)
        assert second.version != first.version
        assert snap.current_version(root) == second.version
        # the old reader still reads its own, complete version...
        assert _won(old_reader) == Decimal("7500.50")
        # ...and a new reader sees the new one
        new_reader = snap.open_snapshot(target_dir=root)
        assert _won(new_reader) == Decimal("7600.00")
        new_reader.close()
        # more builds prune the oldest version directories; an open reader survives that
        for _ in range(snap.KEEP_VERSIONS):
            snap.build_snapshot(database_url=str(engine.url), target_dir=root)
        assert not (root / first.version).exists()
        assert len(list(root.glob("v-*"))) == snap.KEEP_VERSIONS
        assert _won(old_reader) == Decimal("7500.50")
    finally:
        old_reader.close()


def test_readers_in_threads_never_see_a_half_built_snapshot(world):
    engine, _, _, root = world
    snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    errors: list[BaseException] = []
    seen: set[str] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                con = snap.open_snapshot(target_dir=root)
                try:
                    seen.add(con.execute("SELECT version FROM snapshot_meta").fetchone()[0])
                    assert _won(con) == Decimal("7500.50")
                finally:
                    con.close()
            except BaseException as exc:  # noqa: BLE001
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for th in threads:
        th.start()
    try:
        for _ in range(3):
            snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    finally:
        stop.set()
        for th in threads:
            th.join(timeout=30)
    assert errors == []
    assert len(seen) >= 2  # the readers really ran across swaps


def test_open_snapshot_can_build_the_first_one(world):
    engine, _, _, root = world
    con = snap.open_snapshot(target_dir=root, database_url=str(engine.url),
                             build_if_missing=True)
    try:
        assert _won(con) == Decimal("7500.50")
    finally:
        con.close()


@pytest.mark.postgres
def test_postgresql_source_gives_the_same_figures(pg_server, tmp_path):
    from factories import make_people

    url = pg_server.create_database("crm_analytics_snapshot")
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    try:
        with Session(engine, expire_on_commit=False) as s:
            build(s, make_people(s))
        info = snap.build_snapshot(database_url=url, target_dir=tmp_path / "pg")
        assert info.source == "postgresql" and info.row_counts["opportunities"] == 13
        con = snap.open_snapshot(target_dir=tmp_path / "pg")
        try:
            nov = periods.month(2025, 11)
            s = kpis.closed_summary(con, Scope.company(), nov)
            assert (s["won_amount"], s["won_count"], s["lost_count"]) == (
                Decimal("7500.50"), 3, 3)  # O4 closes 1 November in Madrid here too
            assert kpis.lead_conversion(con, Scope.company(), nov)["avg_response_hours"] == 12.0
            assert kpis.won_by_month(con, Scope.company(), nov)[0][
                "cumulative_won_amount"] == Decimal("10200.50")
        finally:
            con.close()
    finally:
        engine.dispose()


def test_a_stray_real_in_an_integer_column_is_read_as_integer(world):
    """SQLite is read without CASTs on integer columns; a value of another type makes the
    reader read that table again with them, as before."""
    engine, _, _, root = world
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE stage SET probability = 0.5 WHERE kind = 'lost'")
    snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    con = snap.open_snapshot(target_dir=root)
    try:
        assert {r[0] for r in con.execute(
            "SELECT probability FROM stages WHERE kind = 'lost'").fetchall()} == {0}
        assert con.execute("SELECT typeof(probability) FROM stages LIMIT 1").fetchone()[0] \
            == "BIGINT"
        assert _won(con) == Decimal("7500.50")
    finally:
        con.close()


def test_a_failing_reader_fails_the_build_and_keeps_the_current_snapshot(world, tmp_path):
    engine, _, _, root = world
    first = snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    with pytest.raises(RuntimeError, match="reading the database"):
        snap.build_snapshot(database_url=f"sqlite:///{tmp_path / 'missing' / 'x.db'}",
                            target_dir=root)
    assert snap.current_version(root) == first.version
    assert not list(root.glob(".tmp-*"))


# ---------------------------------------------------------------- real data shapes (issue 10)


def _drop_leads(engine) -> None:  # noqa: ANN001
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE activity SET lead_id = NULL")
        conn.exec_driver_sql("UPDATE opportunity SET lead_id = NULL")
        conn.exec_driver_sql("DELETE FROM lead")


def test_a_company_without_leads_gets_its_dashboard(world):
    """Customers and opportunity history imported, no leads: the empty lead table must not
    come out of the reader untyped (it did: "Cannot mix values of type VARCHAR and BIGINT in
    COALESCE" and no dashboard at all)."""
    engine, _, _, root = world
    _drop_leads(engine)
    info = snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    assert info.row_counts["leads"] == 0 and info.row_counts["opportunities"] == 13
    con = snap.open_snapshot(target_dir=root)
    try:
        nov = periods.month(2025, 11)
        assert _won(con) == Decimal("7500.50")
        assert kpis.lead_conversion(con, Scope.company(), nov)["leads"] == 0
        board = kpis.dashboard(con, Scope.company(), nov)
        assert board["kpis"]["won_amount"] == Decimal("7500.50")
        assert board["kpis"]["conversion_rate"] is None
        assert board["kpis"]["activities"] == 8  # the call on L2 has no lead now; still done
        # the lead's channel falls back to '' (not a number) for an activity without a record
        assert con.execute("SELECT typeof(channel) FROM activities LIMIT 1").fetchone()[0] \
            == "VARCHAR"
    finally:
        con.close()


def test_an_empty_database_gives_a_typed_snapshot(engine, tmp_path):
    """Every table empty: the Parquet copies carry the model's types (text as VARCHAR, not
    the BIGINT ADBC guesses for a result without rows) and the dashboard is all zeros."""
    info = snap.build_snapshot(database_url=str(engine.url), target_dir=tmp_path / "snap")
    assert set(info.row_counts.values()) == {0}
    vdir = tmp_path / "snap" / info.version
    accounts = pl.read_parquet(vdir / "account.parquet")
    assert accounts.schema["name"] == pl.String and accounts.schema["channel"] == pl.String
    opps = pl.read_parquet(vdir / "opportunity.parquet")
    assert opps.schema["channel"] == pl.String and opps.schema["amount"] == pl.Decimal(18, 2)
    assert opps.schema["created_at"] == pl.Datetime("us")
    assert pl.read_parquet(vdir / "lead.parquet").schema["source"] == pl.String
    assert pl.read_parquet(vdir / "user.parquet").schema["active"] == pl.Boolean
    con = snap.open_snapshot(target_dir=tmp_path / "snap")
    try:
        board = kpis.dashboard(con, Scope.company(), periods.month(2025, 11))
        assert board["kpis"]["won_amount"] == Decimal("0.00")
        assert board["kpis"]["pipeline_amount"] == Decimal("0.00")
        assert board["kpis"]["activities"] == 0 and board["kpis"]["win_rate"] is None
    finally:
        con.close()


def test_a_big_table_whose_upper_id_range_is_all_deleted(world):
    """The reader cuts a big table in two id ranges; when every row of one range is in the
    recycle bin that part has no rows, and it was typed BIGINT where the other was text
    ("Unable to merge: Field channel has incompatible types")."""
    engine, _, data, root = world
    o13 = data.opps["O13"]  # deleted
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM stage_change WHERE opportunity_id = ?", (o13.id,))
        conn.exec_driver_sql("UPDATE opportunity SET id = 50000 WHERE id = ?", (o13.id,))
    snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    con = snap.open_snapshot(target_dir=root)
    try:
        assert _won(con) == Decimal("7500.50")
        assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 13
    finally:
        con.close()


def test_the_source_types_come_from_the_models(engine):
    """One place: each source column's type is the SQLModel column's (a renamed or retyped
    model column fails here, not in a customer's nightly build), and every table the reader
    returns has exactly that Arrow schema, rows or not."""
    from sqlmodel import SQLModel as _Model

    from analytics import source_reader as sr

    kinds = sr.column_kinds()
    assert set(kinds) == set(sr.SOURCES)
    assert kinds["src_opp"]["amount"] == "money" and kinds["src_opp"]["closed_at"] == "ts"
    assert kinds["src_opp"]["expected_close"] == "date"
    assert kinds["src_lead"]["source"] == "text" and kinds["src_user"]["active"] == "bool"
    assert kinds["src_activity"]["activity_at"] == "ts"
    for name, source in sr.SOURCES.items():
        table = _Model.metadata.tables[source.table]
        for col in source.columns:
            assert col.like in table.c, (name, col.like)
    got = sr.read_in_process(str(engine.url))
    for name, table in got.items():
        assert table.schema == sr.arrow_schema(kinds[name]), name


def test_the_weighted_pipeline_total_is_rounded_once(engine, session, people, tmp_path):
    """Found by the property test: the card summed the stages' weighted amounts after each was
    rounded to the cent. Three open stages at 10 % with 0,05 € each: 0,005 € per stage (each
    shown as 0,01 €), 0,015 € in all, so the card says 0,02 €, not 0,03 €."""
    from crm_app.models import Pipeline, Stage

    pipe = Pipeline(name="Ventas")
    session.add(pipe)
    session.flush()
    stages = [Stage(pipeline_id=pipe.id, name=f"E{i}", position=i, probability=10)
              for i in range(3)]
    session.add_all(stages)
    session.flush()
    session.add_all(Opportunity(name=f"O{i}", pipeline_id=pipe.id, stage_id=st.id,
                                amount=Decimal("0.05"), owner_id=people.comercial1.id,
                                team_id=people.comercial1.team_id)
                    for i, st in enumerate(stages))
    session.commit()
    snap.build_snapshot(database_url=str(engine.url), target_dir=tmp_path / "snap")
    con = snap.open_snapshot(target_dir=tmp_path / "snap")
    try:
        rows = kpis.pipeline_by_stage(con, Scope.company())
        assert [r["weighted_amount"] for r in rows] == [Decimal("0.01")] * 3
        assert kpis.pipeline_totals(rows)["weighted_amount"] == Decimal("0.02")
        board = kpis.dashboard(con, Scope.company(), periods.month_of(datetime.now(UTC).date()))
        assert board["kpis"]["weighted_amount"] == Decimal("0.02")
        assert board["by_team"][0]["weighted_amount"] == Decimal("0.02")  # already right
    finally:
        con.close()
