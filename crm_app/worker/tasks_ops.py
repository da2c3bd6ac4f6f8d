"""Operations tasks: the daily backup with its rotation. A one-line wrapper over the service."""

from __future__ import annotations

from crm_app.services import backup
from crm_app.worker.app import celery_app


@celery_app.task(name="crm.ops.backup")
def daily_backup() -> dict:
    summary = backup.scheduled_backup()
    return {"path": str(summary.path), "size": summary.size, "rows": summary.rows}


@celery_app.task(name="crm.ops.export_all")
def export_all(job_id: str) -> dict:
    """"Exportar todos los datos": build the ZIP of the job ``job_id`` (services.export_all)."""
    from crm_app.db import session_scope
    from crm_app.services import export_all as export_service

    with session_scope() as session:
        return export_service.run_export(job_id, session=session)


@celery_app.task(name="crm.ops.purge_exports")
def purge_exports() -> int:
    """Exports older than a day (and all but the newest finished one) are deleted."""
    from crm_app.services import export_all as export_service

    return export_service.purge_exports()
