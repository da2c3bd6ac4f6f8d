"""Database upkeep. The query planner needs fresh statistics after bulk loads: without them
SQLite walks the wrong index and a 200,000-lead list page takes hundreds of ms instead of one.

SQLite's statistics are gathered in full: with an ``analysis_limit`` the rows-per-key figure
saturates at the limit, so a team of 96,000 leads looks like one of 1,000 and the planner
sorts the whole team for a 25-row page instead of walking the date index (~100 ms against
~1 ms). A full ANALYZE of 200,000 leads takes ~0.2 s, nightly and after large imports."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session


def refresh_statistics(*, session: Session) -> None:
    """ANALYZE on both backends."""
    if session.get_bind().dialect.name == "sqlite":
        session.exec(text("PRAGMA analysis_limit=0"))  # type: ignore[call-overload]
    session.exec(text("ANALYZE"))  # type: ignore[call-overload]
    session.commit()
