"""Automation tasks (issue 13): drain the record-event outbox (queued right after the
commit that wrote events, and every few seconds from beat as a safety net), the time sweep
(beat, every few minutes) and the rules' emails (retried with backoff)."""

from __future__ import annotations

from celery.signals import worker_init, worker_process_init

from crm_app.db import session_scope
from crm_app.services import mailer
from crm_app.services import organisation as org_service
from crm_app.services.automation import engine
from crm_app.worker.app import celery_app
from crm_app.worker.queue import install_automation_queues

MAX_BATCHES = 20  # per task: a burst bigger than this is finished by the next task


@worker_init.connect
@worker_process_init.connect
def _install_queues(**_: object) -> None:
    """Events the rules' actions write (chains) and the rules' emails leave as tasks."""
    install_automation_queues(background=False)


@celery_app.task(name="crm.automations.process_outbox")
def process_outbox() -> dict:
    total = {"events": 0, "fired": 0, "tasks": 0, "alerts": 0, "emails": 0, "capped": 0}
    with session_scope() as session:
        for _ in range(MAX_BATCHES):
            out = engine.process_outbox(session=session)
            for key in total:
                total[key] += out[key]
            if out["events"] < engine.OUTBOX_BATCH:
                break
    return total


@celery_app.task(name="crm.automations.run_due")
def run_due() -> dict:
    with session_scope() as session:
        return engine.run_due(session=session)


@celery_app.task(name="crm.automations.send_email", autoretry_for=(mailer.MailError,),
                 retry_backoff=30, retry_backoff_max=1800, retry_jitter=True, max_retries=8)
def send_email(to: list[str], subject: str, body: str) -> str:
    with session_scope() as session:
        settings = org_service.mail_settings(session=session)
    return mailer.send_email(to=to, subject=subject, body=body, settings=settings)
