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
from crm_app.models import Opportunity


@pytest.fixture
def world(engine, session, people, tmp_path):  # noqa: ANN001, ANN201
    data = build(session, people)
    return engine, session, data, tmp_path / "snap"


def test_build_writes_duckdb_parquet_and_metadata(world):
    engine, _, _, root = world
    assert snap.snapshot_info(target_dir=root) is None
    with pytest.raises(snap.SnapshotMissing):
        snap.open_snapshot(target_dir=root)
    before = datetime.now(UTC)
    info = snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    assert before <= info.built_at <= datetime.now(UTC) and info.built_at.tzinfo is UTC
    assert info.row_counts["opportunities"] == 13  # O13 is deleted
    assert info.row_counts["activities"] == 10 and info.fiscal_year_start_month == 4
    assert (root / "current").read_text() == info.version
    vdir = root / info.version
    meta = json.loads((vdir / "meta.json").read_text())
    assert meta["row_counts"] == info.row_counts and meta["built_at"] == info.built_at.isoformat()
    assert snap.snapshot_info(target_dir=root).version == info.version
    for table in snap.TABLES:
        assert (vdir / f"{table}.parquet").exists()
    opps = pl.read_parquet(vdir / "opportunities.parquet")
    assert opps.height == 13
    teams = opps["team_id"].to_list()
    assert teams == sorted(teams)  # clustered by team: team queries skip row groups
    assert opps.schema["amount"] == pl.Decimal(18, 2)
    con = snap.open_snapshot(target_dir=root)
    try:
        got = snap.info_from_connection(con)
        assert got.version == info.version and got.path == info.path
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
