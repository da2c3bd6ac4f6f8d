"""Operations tasks: the daily backup with its rotation. A one-line wrapper over the service."""

from __future__ import annotations

from crm_app.services import backup
from crm_app.worker.app import celery_app


@celery_app.task(name="crm.ops.backup")
def daily_backup() -> dict:
    summary = backup.scheduled_backup()
    return {"path": str(summary.path), "size": summary.size, "rows": summary.rows}
