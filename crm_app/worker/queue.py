"""How the web process hands a job to the Celery worker without the core importing Celery.

``build_api()`` (run by the web process at start-up) installs ``send_export`` as the export
service's queue; the services stay free of Celery (import-linter's core-pure contract).
"""

from __future__ import annotations

from crm_app.services import alerts as alert_service
from crm_app.services import export_all as export_service

EXPORT_TASK = "crm.ops.export_all"
ALERT_TASK = "crm.alerts.deliver"


def send_export(job_id: str) -> None:
    from crm_app.worker.app import celery_app  # the broker connection only when used

    celery_app.send_task(EXPORT_TASK, args=[job_id])


def install_export_queue() -> None:
    export_service.set_queue(send_export)


def send_alert(alert_id: int) -> None:
    from crm_app.worker.app import celery_app  # the broker connection only when used

    celery_app.send_task(ALERT_TASK, args=[alert_id])


def install_alert_delivery() -> None:
    """After commit, a new alert's e-mail/push go to the worker (``services.alerts``)."""
    alert_service.set_delivery(send_alert)


__all__ = ["ALERT_TASK", "EXPORT_TASK", "install_alert_delivery", "install_export_queue",
           "send_alert", "send_export"]
