from sqlalchemy import text

from crm_app.services.maintenance import refresh_statistics


def test_refresh_statistics_fills_sqlite_stat_table(session, people):
    refresh_statistics(session=session)
    rows = session.exec(text("SELECT tbl FROM sqlite_stat1")).all()
    assert any(r[0] == "user" for r in rows)
