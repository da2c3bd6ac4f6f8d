"""How the web process hands a job to the Celery worker without the core importing Celery.

``build_api()`` (run by the web process at start-up) installs ``send_export`` as the export
service's queue; the services stay free of Celery (import-linter's core-pure contract).
"""

from __future__ import annotations

from crm_app.services import export_all as export_service

EXPORT_TASK = "crm.ops.export_all"


def send_export(job_id: str) -> None:
    from crm_app.worker.app import celery_app  # the broker connection only when used

    celery_app.send_task(EXPORT_TASK, args=[job_id])


def install_export_queue() -> None:
    export_service.set_queue(send_export)




# --- automations (issue 13) ---------------------------------------------------------------

PROCESS_OUTBOX_TASK = "crm.automations.process_outbox"
SEND_EMAIL_TASK = "crm.automations.send_email"


def send_outbox_drain() -> None:
    """After a commit that wrote record events: have the worker process them now."""
    from crm_app.worker.app import celery_app

    celery_app.send_task(PROCESS_OUTBOX_TASK)


def send_automation_mails(mails: list[dict]) -> None:
    """The emails rules wrote, one Celery task each (retried by the worker)."""
    from crm_app.worker.app import celery_app

    for mail in mails:
        celery_app.send_task(SEND_EMAIL_TASK, kwargs=mail)


def install_automation_queues() -> None:
    from crm_app.services import outbox
    from crm_app.services.automation import engine

    outbox.set_queue(send_outbox_drain)
    engine.set_mail_queue(send_automation_mails)


__all__ = ["EXPORT_TASK", "PROCESS_OUTBOX_TASK", "SEND_EMAIL_TASK", "install_automation_queues",
           "install_export_queue", "send_automation_mails", "send_export", "send_outbox_drain"]
