"""The PostgreSQL fixture itself: skip without binaries locally, fail under CI."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from crm_app.settings import PROJECT_ROOT

TARGET = "tests/unit/test_pg_fixture.py::test_pg_url_is_a_live_empty_database"


@pytest.mark.postgres
def test_pg_url_is_a_live_empty_database(pg_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg://") and "127.0.0.1" in pg_url
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            assert conn.execute(sa.text("SHOW server_encoding")).scalar() == "UTF8"
    finally:
        engine.dispose()


def _run_without_postgres(ci: bool) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["CRM_TEST_PG_BINDIR"] = "/nonexistent/postgresql/bin"
    if ci:
        env["CI"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rsE", "-p", "no:cacheprovider",
                           TARGET], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("ci", [False, True], ids=["local-skips", "ci-fails"])
def test_missing_postgres_binaries(ci: bool) -> None:
    result = _run_without_postgres(ci)
    out = result.stdout + result.stderr
    assert "apt-get install -y postgresql" in out, out
    if ci:
        assert result.returncode != 0, out
        assert "1 error" in out and "CI is set" in out, out
    else:
        assert result.returncode == 0, out
        assert "1 skipped" in out, out
