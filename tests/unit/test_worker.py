"""A real Celery worker on the embedded broker (kombu's SQLAlchemy transport over SQLite).

The worker runs as a subprocess with its own ``CRM_DATA_DIR``; tasks are sent by name from the
test process through the same broker file. Results are ignored (``task_ignore_result``), so
execution is proven by side effects: the worker's log line for ``crm.core.ping`` and the rows
``crm.core.purge_sessions`` deletes from the database.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from crm_env import crm_environment
from live_api import prepare_database
from sqlmodel import Session, select

from crm_app.db import make_engine
from crm_app.models import Activity, User, UserSession, utcnow
from crm_app.services import export_all as export_service
from crm_app.settings import PROJECT_ROOT

CELERY = str(Path(sys.executable).parent / "celery")
TIMEOUT = 60


@dataclass
class Worker:
    data_dir: Path
    proc: subprocess.Popen
    log_path: Path
    client: Celery

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'crm.db'}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, what: str, predicate: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if predicate():
                return
            code = self.proc.poll()
            assert code is None, f"worker exited ({code}):\n{self.log()}"
            time.sleep(0.25)
        pytest.fail(f"timed out after {TIMEOUT} s waiting for {what}; worker log:\n"
                    f"{self.log()[-4000:]}")


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    tmp = tmp_path_factory.mktemp("worker")
    data_dir = tmp / "data"
    data_dir.mkdir()
    prepare_database(f"sqlite:///{data_dir / 'crm.db'}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATA_DIR=str(data_dir), CRM_ENV="test")
    log_path = tmp / "worker.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [CELERY, "-A", "crm_app.worker.app:celery_app", "worker", "--pool=solo", "-c", "1",
             "--loglevel=INFO", "-n", f"pytest-{os.getpid()}@%h", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    client = Celery("pytest-client", broker=f"sqla+sqlite:///{data_dir / 'broker.db'}")
    w = Worker(data_dir=data_dir, proc=proc, log_path=log_path, client=client)
    try:
        w.wait_for("the worker to be ready", lambda: " ready." in w.log())
        yield w
    finally:
        # cold shutdown (every task has finished by now); it can linger a few seconds in the
        # broker's poll loop, so it is killed if it has not gone after 2 s
        proc.send_signal(signal.SIGQUIT)
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        client.close()


def test_worker_uses_the_embedded_sqlite_broker_in_the_data_dir(worker: Worker) -> None:
    log = worker.log()
    assert f"sqla+sqlite:///{worker.data_dir / 'broker.db'}" in log  # the startup banner
    assert "crm.core.ping" in log and "crm.core.purge_sessions" in log  # registered tasks
    assert (worker.data_dir / "broker.db").exists()


def test_ping_is_executed(worker: Worker) -> None:
    result = worker.client.send_task("crm.core.ping")
    pattern = re.compile(rf"crm\.core\.ping\[{re.escape(result.id)}\] succeeded in .*'pong'")
    worker.wait_for("crm.core.ping to run", lambda: bool(pattern.search(worker.log())))


def test_purge_sessions_deletes_expired_rows(worker: Worker) -> None:
    engine = make_engine(worker.db_url)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as s:
        user = User(email="worker@test.crm", name="Worker", role="comercial", created_at=now)
        s.add(user)
        s.flush()
        s.add_all([
            UserSession(token_hash="e" * 64, user_id=user.id, created_at=now - timedelta(days=20),
                        expires_at=now - timedelta(days=3)),
            UserSession(token_hash="r" * 64, user_id=user.id, created_at=now - timedelta(days=5),
                        expires_at=now + timedelta(days=9), revoked_at=now - timedelta(days=2)),
            UserSession(token_hash="l" * 64, user_id=user.id, created_at=now,
                        expires_at=now + timedelta(days=14)),
        ])
        s.commit()

    def remaining() -> set[str]:
        with Session(engine) as s:
            return {r.token_hash[0] for r in s.exec(select(UserSession)).all()}

    try:
        assert remaining() == {"e", "r", "l"}
        result = worker.client.send_task("crm.core.purge_sessions")
        worker.wait_for("crm.core.purge_sessions to delete the stale sessions",
                        lambda: remaining() == {"l"})
        worker.wait_for("the task's success line",
                        lambda: f"crm.core.purge_sessions[{result.id}] succeeded" in worker.log())
        assert f"crm.core.purge_sessions[{result.id}] succeeded in" in worker.log()
    finally:
        engine.dispose()


def test_the_daily_backup_task_writes_a_verified_backup(worker: Worker) -> None:
    from crm_app.services.backup import verify_backup

    backups = worker.data_dir / "backups"
    worker.client.send_task("crm.ops.backup")
    worker.wait_for("the backup file", lambda: any(backups.glob("crm-*.tar.gz")))
    (archive,) = backups.glob("crm-*.tar.gz")
    summary = verify_backup(archive)
    assert "user" in summary.manifest["tables"] and summary.manifest["alembic_revision"]


def test_the_export_task_builds_the_zip_the_admin_asked_for(worker: Worker) -> None:
    """"Exportar todos los datos": queued as an admin, built by the real worker."""
    engine = make_engine(worker.db_url)
    settings = {"CRM_DATA_DIR": str(worker.data_dir), "CRM_DATABASE_URL": worker.db_url,
                "CRM_ENV": "test"}
    try:
        with Session(engine, expire_on_commit=False) as s, crm_environment(settings):
            admin = User(email="export-admin@test.crm", name="Ana Admin", role="admin",
                         created_at=utcnow())
            s.add(admin)
            s.commit()
            job = export_service.start_export(
                session=s, actor=admin,
                dispatch=lambda job_id: worker.client.send_task("crm.ops.export_all",
                                                                args=[job_id]))
        status = worker.data_dir / "exports" / f"{job['id']}.json"
        worker.wait_for("the export to finish",
                        lambda: json.loads(status.read_text())["state"] in ("done", "failed"))
        done = json.loads(status.read_text())
        assert done["state"] == "done", done
        with zipfile.ZipFile(worker.data_dir / "exports" / f"{job['id']}.zip") as zf:
            assert "export-admin@test.crm" in zf.read("csv/user.csv").decode("utf-8-sig")
    finally:
        engine.dispose()


def test_the_sweep_raises_an_alert_and_the_worker_pushes_it(worker: Worker) -> None:
    """Issue 13 end to end on the real worker: beat's ``crm.alerts.sweep`` finds an overdue
    task, raises its alert and, after its commit, the worker delivers it as a web push to a
    local push service; what arrives decrypts with the subscription's key."""
    import http_ece  # noqa: PLC0415
    from push_service import PushService, b64url, browser_keys  # noqa: PLC0415

    from crm_app.models import Activity, PushSubscription  # noqa: PLC0415

    engine = make_engine(worker.db_url)
    private, p256dh, auth = browser_keys()
    try:
        with PushService() as push, Session(engine, expire_on_commit=False) as s:
            owner = User(email="push-owner@test.crm", name="Pablo Push", role="comercial",
                         created_at=utcnow())
            s.add(owner)
            s.flush()
            s.add(PushSubscription(user_id=owner.id, endpoint=push.url, p256dh=p256dh,
                                   auth=b64url(auth), created_at=utcnow()))
            s.add(Activity(kind="task", subject="Enviar la oferta", owner_id=owner.id,
                           due_at=utcnow() - timedelta(hours=2), created_at=utcnow()))
            s.commit()
            worker.client.send_task("crm.alerts.sweep")
            worker.wait_for("the push to reach the local push service",
                            lambda: bool(push.received))
            _headers, body = push.received[0]
            message = json.loads(http_ece.decrypt(body, private_key=private,
                                                  auth_secret=auth, version="aes128gcm"))
            assert message["body"] == "Tarea vencida: Enviar la oferta"
            assert "vencía el" in message["reason"] and message["url"] == "/tareas"
    finally:
        engine.dispose()


def test_the_outbox_is_drained_by_the_worker_right_after_the_commit(worker: Worker) -> None:
    """Automation rules (issue 13): creating a lead writes ``lead.created`` in its own
    transaction; the commit kicks ``crm.automations.process_outbox`` and the real worker
    fires the rule, whose task then exists. Nothing here drains the outbox itself."""
    from crm_app.services import automation, leads, outbox

    engine = make_engine(worker.db_url)
    kick = lambda: worker.client.send_task("crm.automations.process_outbox")  # noqa: E731
    try:
        with Session(engine, expire_on_commit=False) as s:
            admin = User(email="auto-admin@test.crm", name="Ana", role="admin",
                         created_at=utcnow())
            s.add(admin)
            s.commit()
            rule = automation.create_rule(session=s, actor=admin, data={
                "name": "Nuevo lead", "trigger": {"type": "record_created", "entity": "lead"},
                "actions": [{"type": "create_task", "subject": "Llamar a {first_name}",
                             "due_in_hours": 2, "assignee": "owner"}]})
            outbox.set_queue(kick)
            lead = leads.create_lead(session=s, actor=admin, data={
                "first_name": "Rosa", "email": "rosa@example.com", "owner_id": admin.id})

        def task_subjects() -> list[str]:
            with Session(engine) as s:
                return [a.subject for a in s.exec(select(Activity).where(
                    Activity.source == f"rule:{rule.id}", Activity.lead_id == lead.id)).all()]

        worker.wait_for("the rule's task", lambda: task_subjects() == ["Llamar a Rosa"])
        assert "crm.automations.process_outbox" in worker.log()
    finally:
        outbox.set_queue(None)
        engine.dispose()
