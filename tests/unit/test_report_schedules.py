"""Scheduled deliveries: admin CRUD, when a schedule is due, and a real SMTP server (aiosmtpd)
receiving one PDF per recipient, each with the figures of THEIR OWN scope (pdftotext)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from analytics_data import build
from smtp_inbox import Inbox, local_smtp
from sqlmodel import select

from analytics.snapshot import build_snapshot, open_snapshot
from crm_app.models import AuditEvent, ReportSchedule
from crm_app.permissions import PermissionDenied
from crm_app.services import report_schedules as rs
from crm_app.services.errors import ValidationFailed

# 1 December 2025, 08:05 in Madrid: the first daily run of December
NOW = datetime(2025, 12, 1, 7, 5, tzinfo=UTC)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, object]]:
    with local_smtp("CRM <crm@demo.test>") as pair:
        yield pair


def pdf_text(pdf: bytes, path: Path) -> str:
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True).stdout
    return re.sub(r"[ \u00a0]+", " ", out)


def test_admin_crud_and_validation(session, people):
    with pytest.raises(PermissionDenied):
        rs.create_schedule(session=session, actor=people.director, roles=["manager"])
    with pytest.raises(ValidationFailed) as exc:
        rs.create_schedule(session=session, actor=people.admin, frequency="daily",
                           roles=["capitán"], user_ids=[9999])
    assert set(exc.value.errors) == {"frequency", "roles", "user_ids"}
    with pytest.raises(ValidationFailed):
        rs.create_schedule(session=session, actor=people.admin)  # no recipients
    row = rs.create_schedule(session=session, actor=people.admin, frequency="weekly",
                             roles=["manager"], user_ids=[people.comercial1.id])
    row = rs.update_schedule(session=session, actor=people.admin, schedule_id=row.id,
                             frequency="monthly", active=False)
    assert (row.frequency, row.active) == ("monthly", False)
    assert [s.id for s in rs.list_schedules(session=session, actor=people.admin)] == [row.id]
    rs.delete_schedule(session=session, actor=people.admin, schedule_id=row.id)
    assert session.exec(select(ReportSchedule)).all() == []
    actions = [e.action for e in session.exec(select(AuditEvent).where(
        AuditEvent.entity == "report_schedule")).all()]
    assert actions == ["create", "update", "delete"]


def test_due_rules_and_report_month():
    monthly = ReportSchedule(frequency="monthly", roles=["manager"])
    weekly = ReportSchedule(frequency="weekly", roles=["manager"])
    assert rs.is_due(monthly, NOW) and rs.is_due(weekly, NOW)
    monthly.last_sent_at = datetime(2025, 11, 1, 7, tzinfo=UTC)
    assert rs.is_due(monthly, NOW)
    monthly.last_sent_at = NOW
    assert not rs.is_due(monthly, datetime(2025, 12, 31, 20, tzinfo=UTC))
    # 31/12 23:30 UTC is already 1 January in Madrid: a new month
    assert rs.is_due(monthly, datetime(2025, 12, 31, 23, 30, tzinfo=UTC))
    weekly.last_sent_at = datetime(2025, 12, 1, 7, tzinfo=UTC)  # Monday
    assert not rs.is_due(weekly, datetime(2025, 12, 7, 7, tzinfo=UTC))  # Sunday
    assert rs.is_due(weekly, datetime(2025, 12, 8, 7, tzinfo=UTC))  # next Monday
    assert rs.report_month(monthly, NOW).isoformat() == "2025-11-01"
    assert rs.report_month(weekly, datetime(2025, 12, 10, 7, tzinfo=UTC)).isoformat() == (
        "2025-12-01")
    assert rs.report_month(weekly, NOW).isoformat() == "2025-11-01"
    assert not rs.is_due(ReportSchedule(frequency="monthly", active=False), NOW)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_each_recipient_gets_the_pdf_of_their_own_scope(engine, session, people, smtp,
                                                       tmp_path):
    inbox, settings = smtp
    build(session, people)
    rs.create_schedule(session=session, actor=people.admin, frequency="monthly",
                       roles=["manager", "director"], user_ids=[people.comercial1.id])
    build_snapshot(database_url=str(engine.url), target_dir=tmp_path / "snap")
    con = open_snapshot(target_dir=tmp_path / "snap")
    try:
        results = rs.deliver_due_reports(session=session, now=NOW, con=con, settings=settings)
    finally:
        con.close()
    assert {r["email"]: r["status"] for r in results} == {
        "director@test.crm": "sent", "manager1@test.crm": "sent", "manager2@test.crm": "sent",
        "comercial1@test.crm": "sent"}
    assert len(inbox.messages) == 4  # one e-mail per recipient
    # November 2025, each in their own scope: company 7.500,50; Norte 3.500,50 (O1 + O2);
    # Sur 4.000,00 (O4); comercial1 3.500,50 (own O1 + O2)
    expected = {"director@test.crm": ("Empresa", "7.500,50 €"),
                "manager1@test.crm": ("Equipo Norte", "3.500,50 €"),
                "manager2@test.crm": ("Equipo Sur", "4.000,00 €"),
                "comercial1@test.crm": ("Comercial1", "3.500,50 €")}
    for rcpts, msg in inbox.messages:
        [to] = rcpts
        scope_text, won = expected[to]
        assert msg["Subject"] == f"Informe comercial de noviembre de 2025 · {scope_text}"
        [attachment] = list(msg.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert attachment.get_filename().startswith("informe-2025-11-")
        text = pdf_text(attachment.get_content(), tmp_path / f"{to}.pdf")
        assert scope_text in text
        assert re.search(rf"Importe ganado {re.escape(won)}", text), (to, text[:1500])
        if to == "comercial1@test.crm":
            assert "7.500,50" not in text and "Comparativa por" not in text
    sched = session.exec(select(ReportSchedule)).one()
    session.refresh(sched)
    assert sched.last_sent_at is not None
    # the same day again: nothing is due, nothing is sent
    assert rs.deliver_due_reports(session=session, now=NOW, settings=settings) == []
    assert len(inbox.messages) == 4


def test_a_failing_recipient_does_not_stop_the_others(engine, session, people, tmp_path):
    build(session, people)
    rs.create_schedule(session=session, actor=people.admin, roles=["manager"])
    build_snapshot(database_url=str(engine.url), target_dir=tmp_path / "snap")
    sent: list[str] = []

    def flaky_send(*, to, **_):  # noqa: ANN001, ANN003, ANN202
        if to == ["manager1@test.crm"]:
            raise OSError("buzón lleno")
        sent.append(to[0])

    con = open_snapshot(target_dir=tmp_path / "snap")
    try:
        results = rs.deliver_due_reports(session=session, now=NOW, con=con, send=flaky_send)
    finally:
        con.close()
    assert sent == ["manager2@test.crm"]
    failed = [r for r in results if r["status"] == "failed"]
    assert [(r["email"], r["error"]) for r in failed] == [("manager1@test.crm", "buzón lleno")]


def test_recipient_choices_are_the_active_users_for_admins_only(session, people):
    people.comercial3.active = False
    session.add(people.comercial3)
    session.commit()
    names = [u.name for u in rs.recipient_choices(session=session, actor=people.admin)]
    assert names == sorted(u.name for u in people.all() if u.active)
    assert "Comercial3" not in names
    with pytest.raises(PermissionDenied):
        rs.recipient_choices(session=session, actor=people.manager1)
