"""``crm_environment``: the ``CRM_*`` settings of one simulated process, inside this one.

The in-process harnesses (``api_harness`` for the HTTP API, ``cli_runner`` for the ``crm``
command) give the code under test the settings a process started with them would have: only
the ``CRM_*`` variables given, and a fresh settings object; on the way out everything is as
before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from crm_app.settings import get_settings


@contextmanager
def crm_environment(env: dict[str, str]) -> Iterator[None]:
    """The ``CRM_*`` settings are ``env`` and nothing else while open, then as before."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CRM_")}
    for key in saved:
        del os.environ[key]
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("CRM_")]:
            del os.environ[key]
        os.environ.update(saved)
        get_settings.cache_clear()


__all__ = ["crm_environment"]
