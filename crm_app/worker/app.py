"""The Celery app. Broker: kombu's SQLAlchemy transport over SQLite in the data dir by default
(no server to install), Redis when ``CRM_REDIS_URL``/``CRM_BROKER_URL`` say so.

Task modules are listed in ``TASK_MODULES``: each area keeps its tasks in its own module.
"""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_ready
from kombu.transport import sqlalchemy as _kombu_sqlalchemy

from crm_app.settings import get_settings

# The embedded (SQLite) broker is polled, once a second by kombu's default: 0.2 s keeps a
# queued job's wait (an automation rule's event → task) well under a second; Redis pushes.
# Set on the transport class: kombu's SQLAlchemy transport hands every transport option to
# create_engine, so ``broker_transport_options={"polling_interval": ...}`` breaks it.
_kombu_sqlalchemy.Transport.polling_interval = 0.2

TASK_MODULES = [
    "crm_app.worker.tasks_core",
    "crm_app.worker.tasks_sales",
    "crm_app.worker.tasks_analytics",
    "crm_app.worker.tasks_ops",
    "crm_app.worker.tasks_alerts",
    "crm_app.worker.tasks_automations",
]


def make_celery() -> Celery:
    settings = get_settings()
    settings.ensure_dirs()
    broker = settings.broker_url
    if settings.redis_url and broker.startswith("sqla+"):
        broker = settings.redis_url
    celery = Celery("crm", broker=broker, include=TASK_MODULES)
    celery.conf.update(
        task_ignore_result=True,
        timezone="Europe/Madrid",
        enable_utc=True,
        worker_prefetch_multiplier=1,
        task_acks_late=True,
        broker_connection_retry_on_startup=True,
        beat_schedule_filename=str(settings.data_dir / "celerybeat-schedule"),
        # one beat per deployment, however it is started (worker/beat.py)
        beat_scheduler="crm_app.worker.beat:SingleBeatScheduler",
        beat_schedule={
            "expire-sessions": {"task": "crm.core.purge_sessions",
                                "schedule": crontab(minute=17)},
            "refresh-statistics": {"task": "crm.core.refresh_statistics",
                                   "schedule": crontab(hour=3, minute=30)},
            "purge-import-uploads": {"task": "crm.core.purge_import_uploads",
                                     "schedule": crontab(minute=41)},
            "expire-quotes": {"task": "crm.sales.expire_quotes",
                              "schedule": crontab(hour=0, minute=5)},
            "analytics-snapshot": {"task": "crm.analytics.snapshot",
                                   "schedule": float(settings.snapshot_minutes * 60)},
            "analytics-report-deliveries": {"task": "crm.analytics.deliver_reports",
                                            "schedule": crontab(hour=7, minute=5)},
            # daily backup into $CRM_DATA_DIR/backups, keeping CRM_BACKUP_KEEP of them
            "backup-daily": {"task": "crm.ops.backup", "schedule": crontab(hour=2, minute=45)},
            # finished "Exportar todos los datos" ZIPs are deleted after a day
            "purge-exports": {"task": "crm.ops.purge_exports", "schedule": crontab(minute=53)},
            # discarded leads without activity for N months are anonymised (RGPD retention)
            "personal-data-retention": {"task": "crm.core.personal_data_retention",
                                        "schedule": crontab(hour=3, minute=50)},
            # the built-in alerts' time checks (idle deal, overdue task, …), set-based
            "alerts-sweep": {"task": "crm.alerts.sweep", "schedule": 300.0},
            # automation rules: record events are queued right after their commit; this
            # drains whatever a lost message left behind. The time sweep every few minutes.
            "automations-outbox": {"task": "crm.automations.process_outbox",
                                   "schedule": 5.0},
            "automations-sweep": {"task": "crm.automations.run_due",
                                  "schedule": float(settings.automation_sweep_minutes * 60)},
        },
    )
    return celery


celery_app = make_celery()


@worker_ready.connect
def _warm_pdf_renderer(**_: object) -> None:
    """WeasyPrint's first render costs ~3 s of imports and fonts: pay it before the first job."""
    from crm_app.reports.quote_pdf import warm_up

    warm_up()
