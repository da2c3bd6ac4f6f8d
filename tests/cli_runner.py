"""The ``crm`` command run in this process with Typer's ``CliRunner``, as an operator runs it.

``crm(*args, data_dir=…, database_url=…, stdin=…)`` answers like ``subprocess.run`` would
(``returncode``, ``stdout``, ``stderr``): the command sees only the ``CRM_*`` settings given
(``CRM_DATA_DIR``, ``CRM_DATABASE_URL``, ``CRM_ENV=test`` and any extra ones) and its own
engine, built from them and disposed of afterwards; an exception the command does not handle
ends as in a real process, exit status 1 and the traceback on stderr. Each ``crm`` process
used to cost ~3 s of CPU before doing anything (10 s of wall time on a loaded machine).

Where the process itself is the point (the console script, what it imports at start-up)
the tests still start one (``test_cli.py``, the console script test).
"""

from __future__ import annotations

import subprocess
import traceback
from pathlib import Path

from crm_env import crm_environment
from typer.testing import CliRunner

import crm_app.cli.common  # noqa: F401 - bound to the real get_engine before any test swaps it
from crm_app import db as db_module
from crm_app.cli import app

REAL_GET_ENGINE = db_module.get_engine


def crm(*args: str, data_dir: Path, database_url: str | None = None, stdin: str | None = None,
        **env: str) -> subprocess.CompletedProcess:
    """``crm *args`` with ``CRM_DATA_DIR=data_dir`` (and ``CRM_DATABASE_URL`` if given)."""
    settings = {"CRM_DATA_DIR": str(data_dir), "CRM_ENV": "test", **env}
    if database_url:
        settings["CRM_DATABASE_URL"] = database_url
    swapped = db_module.get_engine  # a test's own engine (conftest ``engine``), if any
    with crm_environment(settings):
        REAL_GET_ENGINE.cache_clear()
        db_module.get_engine = REAL_GET_ENGINE  # type: ignore[assignment]
        try:
            result = CliRunner().invoke(app, list(args), input=stdin)
        finally:
            if REAL_GET_ENGINE.cache_info().currsize:
                REAL_GET_ENGINE().dispose()
            REAL_GET_ENGINE.cache_clear()
            db_module.get_engine = swapped  # type: ignore[assignment]
    stderr = result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        stderr += "".join(traceback.format_exception(result.exception))
        code = 1
    return subprocess.CompletedProcess(["crm", *args], code, result.stdout, stderr)


__all__ = ["crm"]
