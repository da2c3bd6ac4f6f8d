"""Database upkeep. The query planner needs fresh statistics after bulk loads: without them
SQLite walks the wrong index and a 200,000-lead list page takes hundreds of ms instead of one."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def refresh_statistics(*, session: Session) -> None:
    """ANALYZE on both backends (SQLite keeps it cheap with an analysis limit)."""
    if session.get_bind().dialect.name == "sqlite":
        session.exec(text("PRAGMA analysis_limit=1000"))  # type: ignore[call-overload]
        session.exec(text("ANALYZE"))  # type: ignore[call-overload]
    else:
        session.exec(text("ANALYZE"))  # type: ignore[call-overload]
    session.commit()
