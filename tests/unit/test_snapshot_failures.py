"""A snapshot rebuild that fails for real: the dashboards keep serving the last good snapshot
with a warning that says since when and how old the data is, the failure is logged without
secrets, every admin gets one alert (not one per retry), and the next good build clears it."""

from __future__ import annotations

import logging
import re
from datetime import date
from decimal import Decimal

import pytest
from analytics_data import build
from sqlmodel import select

from analytics import kpis, periods
from analytics import snapshot as snap
from analytics.scope import Scope
from crm_app.formatting import datetime_es
from crm_app.models import Alert, Role, User
from crm_app.services import analytics as svc
from crm_app.services.actors import SYSTEM
from crm_app.settings import get_settings

NOV = periods.month(2025, 11)
SECRET = "S3cretPass"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """A data dir of this test's own: the default snapshot directory is the one served."""
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


@pytest.fixture
def world(engine, session, people, data_dir):  # noqa: ANN001, ANN201
    data = build(session, people)
    second = User(email="admin2@test.crm", name="Segunda Admin", role=Role.ADMIN)
    session.add(second)
    session.commit()
    return engine, session, data, second


def _alerts(session) -> list[Alert]:  # noqa: ANN001
    session.expire_all()
    return list(session.exec(select(Alert).where(Alert.kind == svc.ALERT_KIND)).all())


def _won_now() -> Decimal:
    con = svc.open_reader()
    try:
        return kpis.closed_summary(con, Scope.company(), NOV)["won_amount"]
    finally:
        con.close()


def test_a_failed_rebuild_keeps_the_last_good_snapshot_warns_and_alerts_once(world, caplog,
                                                                            monkeypatch):
    engine, session, data, second = world
    people = data.people
    good = svc.rebuild_snapshot(actor=SYSTEM)
    assert svc.snapshot_warning(good.built_at) == ""
    # a value the build cannot hold: an amount of 10^30 € (SQLite stores whatever it is given)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE opportunity SET amount = 1e30 WHERE id = ?",
                             (data.opps["O6"].id,))
    caplog.set_level(logging.ERROR, logger="crm_app.services.analytics")
    for _ in range(3):  # the scheduled retries
        with pytest.raises(svc.SnapshotFailed) as failed:
            svc.rebuild_snapshot(actor=SYSTEM)
    assert "Se siguen mostrando los anteriores" in failed.value.message

    # the last good snapshot is still the one served, whole
    root = get_settings().snapshots_dir
    assert snap.current_version(root) == good.version
    assert not list(root.glob(".tmp-*")) and sorted(p.name for p in root.glob("v-*")) == [
        good.version]
    assert _won_now() == Decimal("7500.50")

    # the status says it failed, how often, why, and when the data served was built
    status = snap.build_status()
    assert status is not None and not status.ok and status.failures == 3
    assert status.last_good_at == good.built_at and status.failed_since <= status.at
    assert "Conversion" in status.error

    # logged at ERROR, once per failure
    failures = [r for r in caplog.records if "snapshot build failed" in r.getMessage()]
    assert len(failures) == 3 and "3 in a row" in failures[-1].getMessage()

    # one open alert per active admin, however many retries failed; nobody else gets one
    alerts = _alerts(session)
    assert sorted(a.owner_id for a in alerts) == sorted([people.admin.id, second.id])
    assert all(a.resolved_at is None and a.severity == "critical" for a in alerts)
    assert datetime_es(good.built_at) in alerts[0].message

    # the warning the dashboards show: since when, and the time of the data (Madrid)
    warning = svc.snapshot_warning(good.built_at)
    assert datetime_es(good.built_at) in warning and datetime_es(status.failed_since) in warning
    assert re.search(r"se muestran los del \d{2}/\d{2}/\d{4} \d{2}:\d{2}\.$", warning)

    # Inicio and Informes carry it (their thread functions, run for real)
    from pages.home.build import build_dashboard
    from pages.reports.build import build_report

    nov_20 = date(2025, 11, 20)
    view = build_dashboard(Scope.company(), "month", nov_20)
    assert view["snapshot_warning"] == warning
    assert view["cards"][2]["value"].startswith("7.500,50")  # won amount, from the old data
    report = build_report(Scope.company(), {
        "kpis": ["won_amount"], "cut": "none", "period": "month", "ref": date(2025, 11, 15),
        "start": None, "end": None, "view": "yoy"}, nov_20)
    assert report["snapshot_warning"] == warning

    # the data is fixed: the next build goes through, the warning and the alerts are gone
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE opportunity SET amount = 5000 WHERE id = ?",
                             (data.opps["O6"].id,))
    fresh = svc.rebuild_snapshot(actor=SYSTEM)
    assert snap.build_status().ok and svc.snapshot_warning(fresh.built_at) == ""
    assert build_dashboard(Scope.company(), "month", nov_20)["snapshot_warning"] == ""
    assert all(a.resolved_at is not None for a in _alerts(session))
    # and a later failure raises a new alert
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE opportunity SET amount = 1e30 WHERE id = ?",
                             (data.opps["O6"].id,))
    with pytest.raises(svc.SnapshotFailed):
        svc.rebuild_snapshot(actor=SYSTEM)
    assert len([a for a in _alerts(session) if a.resolved_at is None]) == 2


def test_a_vanished_database_fails_without_leaking_its_password(world, caplog, monkeypatch):
    """No snapshot yet and the database unreachable: the first build fails, the admins are
    told, and the password of the database URL is nowhere: not in the log, the status, the
    alert or the error the caller sees."""
    _, session, _, _ = world
    monkeypatch.setattr(svc, "database_url",
                        lambda: f"postgresql+psycopg://crm:{SECRET}@127.0.0.1:9/crm")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(svc.SnapshotFailed) as failed:
        svc.open_reader()
    assert "Todavía no hay datos de análisis" in failed.value.message
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    status = snap.build_status()
    assert not status.ok and status.last_good_at is None and "connect" in status.error.lower()
    alerts = _alerts(session)
    assert len(alerts) == 2 and "ninguno" in alerts[0].message
    for text in (caplog.text, status.error, failed.value.message,
                 *(a.message for a in alerts)):
        assert SECRET not in text


def test_describe_error_masks_passwords():
    url = f"postgresql+psycopg://crm:{SECRET}@db.example:5432/crm"
    exc = RuntimeError(f"could not connect to {url} (also tried postgres://u:{SECRET}x@h/d)")
    text = snap.describe_error(exc, url)
    assert SECRET not in text and text.startswith("RuntimeError: could not connect to ")
    assert "postgresql+psycopg://crm:***@db.example" in text
    assert snap.describe_error(ValueError("x" * 5000)).endswith("x") and len(
        snap.describe_error(ValueError("x" * 5000))) == 1000


def test_a_failed_build_leaves_the_status_of_the_good_one_behind(engine, session, people,
                                                                 tmp_path):
    """``build_snapshot`` itself (what the benchmark and tests call) records both outcomes."""
    root = tmp_path / "snap"
    assert snap.build_status(target_dir=root) is None
    good = snap.build_snapshot(database_url=str(engine.url), target_dir=root)
    ok = snap.build_status(target_dir=root)
    assert ok.ok and ok.last_good_at == good.built_at and ok.failures == 0
    with pytest.raises(RuntimeError):
        snap.build_snapshot(database_url=f"sqlite:///{tmp_path / 'gone' / 'x.db'}",
                            target_dir=root)
    bad = snap.build_status(target_dir=root)
    assert not bad.ok and bad.failures == 1 and bad.last_good_at == good.built_at
    assert "reading the database" in bad.error
    assert snap.current_version(root) == good.version
