"""Analytics tasks: the snapshot rebuild (every ``snapshot_minutes``) and the daily run of
scheduled report deliveries. One-line wrappers around the services."""

from __future__ import annotations

from crm_app.db import session_scope
from crm_app.models import utcnow
from crm_app.services import analytics as analytics_service
from crm_app.services import report_schedules
from crm_app.services.actors import SYSTEM
from crm_app.worker.app import celery_app


@celery_app.task(name="crm.analytics.snapshot")
def snapshot() -> dict:
    info = analytics_service.rebuild_snapshot(actor=SYSTEM)
    return {"version": info.version, "duration_s": info.duration_s, "rows": info.row_counts}


@celery_app.task(name="crm.analytics.deliver_reports")
def deliver_reports() -> dict:
    with session_scope() as session:
        results = report_schedules.deliver_due_reports(session=session, now=utcnow())
    return {"sent": sum(r["status"] == "sent" for r in results),
            "failed": sum(r["status"] == "failed" for r in results)}
