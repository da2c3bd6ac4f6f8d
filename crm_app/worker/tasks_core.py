"""Housekeeping tasks."""

from __future__ import annotations

from crm_app.db import session_scope
from crm_app.services import account as account_service
from crm_app.services import auth as auth_service
from crm_app.services import maintenance
from crm_app.worker.app import celery_app


@celery_app.task(name="crm.core.purge_sessions")
def purge_sessions() -> int:
    """Ended sessions, and the reset links and login second steps that ended a day ago."""
    with session_scope() as session:
        return (auth_service.purge_expired_sessions(session=session)
                + account_service.purge_expired(session=session))


@celery_app.task(name="crm.core.refresh_statistics")
def refresh_statistics() -> None:
    with session_scope() as session:
        maintenance.refresh_statistics(session=session)


@celery_app.task(name="crm.core.purge_import_uploads")
def purge_import_uploads() -> int:
    """Uploaded import files nobody has used for 24 h (a wizard left half-way)."""
    from crm_app.services.importing.uploads import purge_abandoned

    return purge_abandoned()


@celery_app.task(name="crm.core.personal_data_retention")
def personal_data_retention() -> int:
    """RGPD: anonymise the discarded leads idle longer than the company's retention."""
    from crm_app.services import personal_data

    with session_scope() as session:
        return personal_data.run_retention(session=session)


@celery_app.task(name="crm.core.ping")
def ping() -> str:
    return "pong"
