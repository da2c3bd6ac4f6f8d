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


__all__ = ["EXPORT_TASK", "install_export_queue", "send_export"]
