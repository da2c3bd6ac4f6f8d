"""The PostgreSQL fixture itself: a live server, and skip (locally) / fail (CI) without one."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from pg import INSTALL_HINT, find_bin_dir, start_or_skip


@pytest.mark.postgres
def test_pg_url_is_a_live_database(pg_url: str) -> None:
    assert pg_url.startswith("postgresql+psycopg://") and "127.0.0.1" in pg_url
    engine = sa.create_engine(pg_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
            assert conn.execute(sa.text("SHOW server_encoding")).scalar() == "UTF8"
    finally:
        engine.dispose()


def test_missing_binaries_skip_locally_with_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TEST_PG_BINDIR", "/nonexistent/postgresql/bin")
    monkeypatch.delenv("CI", raising=False)
    assert find_bin_dir() is None
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y postgresql"):
        start_or_skip()


def test_missing_binaries_fail_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_TEST_PG_BINDIR", "/nonexistent/postgresql/bin")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set") as exc:
        start_or_skip()
    assert INSTALL_HINT in str(exc.value)
