"""Alert tasks: the built-in checks' sweep (beat, every 5 minutes) and the delivery of one
alert by e-mail and web push, each with retries and exponential backoff."""

from __future__ import annotations

from celery.signals import worker_init

from crm_app.db import session_scope
from crm_app.services import alerts as alert_service
from crm_app.services import notify
from crm_app.services.mailer import MailError
from crm_app.worker.app import celery_app
from crm_app.worker.queue import install_alert_delivery

RETRY = {"retry_backoff": 5, "retry_backoff_max": 600, "retry_jitter": True,
         "max_retries": 6}


@celery_app.task(name="crm.alerts.sweep")
def sweep() -> dict:
    with session_scope() as session:
        return alert_service.sweep(session=session)


@celery_app.task(name="crm.alerts.deliver")
def deliver(alert_id: int) -> None:
    """Fan one committed alert out: its e-mail and one push task per subscription (each
    retried on its own, so a slow device never re-sends the others' copies)."""
    email.delay(alert_id)
    with session_scope() as session:
        for sub_id in notify.subscriptions_for(session=session, alert_id=alert_id):
            push.delay(alert_id, sub_id)


@celery_app.task(name="crm.alerts.email", autoretry_for=(MailError,), **RETRY)
def email(alert_id: int) -> bool:
    with session_scope() as session:
        return notify.send_alert_email(session=session, alert_id=alert_id)


@celery_app.task(name="crm.alerts.push", autoretry_for=(notify.PushRetry,), **RETRY)
def push(alert_id: int, subscription_id: int) -> str:
    with session_scope() as session:
        return notify.push_alert(session=session, alert_id=alert_id,
                                 subscription_id=subscription_id)


@worker_init.connect
def _deliver_from_the_worker(**_: object) -> None:
    """Alerts the worker raises itself (the sweep) are delivered like the web's."""
    install_alert_delivery()
