"""Celery beat of the real app with one extra entry, ``pytest-ping`` every second.

The app's own entries are hourly or daily, so a test could not see two beats both sending
within seconds; this entry makes every tick visible in the log as "Sending due task
pytest-ping". Everything else — app, config, the configured scheduler — is the real one.
Arguments after the script go to ``celery beat``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crm_app.worker.app import celery_app  # noqa: E402

celery_app.conf.beat_schedule = {**celery_app.conf.beat_schedule,
                                 "pytest-ping": {"task": "crm.core.ping", "schedule": 1.0}}

if __name__ == "__main__":
    sys.exit(celery_app.start(["beat", "--loglevel=INFO", *sys.argv[1:]]) or 0)
