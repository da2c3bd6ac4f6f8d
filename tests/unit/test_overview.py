"""'Tu día' on Inicio: what each count means, in the user's own scope.

"Tareas para hoy" are the pending tasks due from now to the end of today in Madrid; the
overdue ones (due before now) are counted once, as "Tareas vencidas" — never in both.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crm_app.models import Activity
from crm_app.services import overview as overview_service

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # 11:00 in Madrid


def _task(session, owner, due: datetime, **extra) -> Activity:  # noqa: ANN001
    task = Activity(subject="Llamar", due_at=due, owner_id=owner.id, team_id=owner.team_id,
                    **extra)
    session.add(task)
    session.commit()
    return task


@pytest.fixture
def tasks(session, people, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setattr(overview_service, "utcnow", lambda: NOW)
    c1 = people.comercial1
    _task(session, c1, datetime(2026, 3, 9, 10, 0, tzinfo=UTC))    # yesterday: overdue
    _task(session, c1, datetime(2026, 3, 10, 9, 0, tzinfo=UTC))    # earlier today: overdue
    _task(session, c1, datetime(2026, 3, 10, 20, 0, tzinfo=UTC))   # 21:00 today: for today
    _task(session, c1, datetime(2026, 3, 10, 22, 59, tzinfo=UTC))  # 23:59 today: for today
    _task(session, c1, datetime(2026, 3, 10, 23, 30, tzinfo=UTC))  # 00:30 tomorrow in Madrid
    _task(session, c1, datetime(2026, 3, 11, 9, 0, tzinfo=UTC))    # tomorrow
    _task(session, c1, datetime(2026, 3, 10, 12, 0, tzinfo=UTC), done_at=NOW)  # done
    _task(session, c1, datetime(2026, 3, 10, 12, 0, tzinfo=UTC), deleted_at=NOW)  # in the bin
    _task(session, people.comercial3, datetime(2026, 3, 10, 12, 0, tzinfo=UTC))  # someone else
    _task(session, people.comercial3, datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


def test_tasks_for_today_do_not_count_the_overdue_ones(session, people, tasks):
    o = overview_service.overview(session=session, actor=people.comercial1)
    assert (o["tasks_due"], o["tasks_overdue"]) == (2, 2)


def test_the_counts_follow_the_users_scope(session, people, tasks):
    o = overview_service.overview(session=session, actor=people.director)
    assert (o["tasks_due"], o["tasks_overdue"]) == (3, 3)
    o = overview_service.overview(session=session, actor=people.comercial3)
    assert (o["tasks_due"], o["tasks_overdue"]) == (1, 1)


def test_the_windows_a_tasks_list_filters_by():
    """The same bounds the counts use, for the list each card opens (``/tareas?vence=…``)."""
    today = overview_service.task_window("hoy", now=NOW)
    assert today == (NOW, datetime(2026, 3, 10, 23, 0, tzinfo=UTC))  # Madrid midnight
    assert overview_service.task_window("vencidas", now=NOW) == (None, NOW)
    with pytest.raises(ValueError):
        overview_service.task_window("mañana", now=NOW)
