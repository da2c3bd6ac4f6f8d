"""How the web process hands a job to the Celery worker without the core importing Celery.

``build_api()`` (run by the web process at start-up) installs ``send_export`` as the export
service's queue; the services stay free of Celery (import-linter's core-pure contract).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from crm_app.services import alerts as alert_service
from crm_app.services import export_all as export_service

log = logging.getLogger(__name__)

EXPORT_TASK = "crm.ops.export_all"
ALERT_TASK = "crm.alerts.deliver"
_log = logging.getLogger("crm.worker.queue")


def send_export(job_id: str) -> None:
    from crm_app.worker.app import celery_app  # the broker connection only when used

    celery_app.send_task(EXPORT_TASK, args=[job_id])


def install_export_queue() -> None:
    export_service.set_queue(send_export)


def send_alert(alert_id: int) -> None:
    from crm_app.worker.app import celery_app  # the broker connection only when used

    celery_app.send_task(ALERT_TASK, args=[alert_id])


class _AlertSender:
    """Hands committed alerts' ids to the broker from one daemon thread, so the request (or
    Reflex event) that raised them never waits for the broker (its first connection takes
    seconds). ``flush`` waits for what is queued (the CLI, before it exits)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[int] = queue.Queue(maxsize=10_000)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def __call__(self, alert_id: int) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="crm-alert-delivery",
                                                daemon=True)
                self._thread.start()
        try:
            self._queue.put_nowait(alert_id)
        except queue.Full:  # the broker is down for long: the bell still has the alert
            _log.warning("Cola de envío de alertas llena: alerta %s sin correo/push", alert_id)

    def _run(self) -> None:
        while True:
            alert_id = self._queue.get()
            try:
                send_alert(alert_id)
            except Exception:  # noqa: BLE001 - a broker hiccup must not kill the sender
                _log.exception("No se pudo encolar el envío de la alerta %s", alert_id)
            finally:
                self._queue.task_done()

    def flush(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)


alert_sender = _AlertSender()


def install_alert_delivery() -> None:
    """After commit, a new alert's e-mail/push go to the worker (``services.alerts``)."""
    alert_service.set_delivery(alert_sender)




# --- automations (issue 13) ---------------------------------------------------------------

PROCESS_OUTBOX_TASK = "crm.automations.process_outbox"
SEND_EMAIL_TASK = "crm.automations.send_email"


def send_outbox_drain() -> None:
    """Have the worker process the pending record events now."""
    from crm_app.worker.app import celery_app

    celery_app.send_task(PROCESS_OUTBOX_TASK)


class Kicker:
    """Calls ``fn`` from a background thread, coalescing bursts: a commit only sets a flag
    (no broker round trip inside the request), the thread sends one message for all the
    commits since its last one and ends after a minute without any."""

    def __init__(self, fn: Callable[[], None], idle: float = 60.0) -> None:
        self._fn, self._idle = fn, idle
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def __call__(self) -> None:
        self._wake.set()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="outbox-kick",
                                                daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while self._wake.wait(timeout=self._idle):
            self._wake.clear()
            try:
                self._fn()
            except Exception:  # noqa: BLE001 - beat drains within seconds anyway
                log.warning("No se pudo encolar el proceso de eventos.", exc_info=True)
        with self._lock:
            self._thread = None


def send_automation_mails(mails: list[dict]) -> None:
    """The emails rules wrote, one Celery task each (retried by the worker)."""
    from crm_app.worker.app import celery_app

    for mail in mails:
        celery_app.send_task(SEND_EMAIL_TASK, kwargs=mail)


def install_automation_queues(*, background: bool = True) -> None:
    """Record events are drained by the worker right after their commit (from a background
    thread in the web process; ``background=False`` in the worker and the CLI) and the rules'
    emails are sent by it."""
    from crm_app.services import outbox
    from crm_app.services.automation import engine

    outbox.set_queue(Kicker(send_outbox_drain) if background else send_outbox_drain)
    engine.set_mail_queue(send_automation_mails)


__all__ = ["ALERT_TASK", "EXPORT_TASK", "PROCESS_OUTBOX_TASK", "SEND_EMAIL_TASK", "Kicker",
           "alert_sender", "install_alert_delivery", "install_automation_queues",
           "install_export_queue", "send_alert", "send_automation_mails", "send_export",
           "send_outbox_drain"]
