"""The tasks list: the windows "Tu día" counts, opened from its query parameter."""

from __future__ import annotations

from datetime import timedelta

from state_harness import names, run, tab

from crm_app.models import Activity, utcnow
from crm_app.services import overview
from pages.documents import DocumentsState
from pages.tasks import TasksState


def _task(session, user, subject: str, due_in: timedelta | None, done: bool = False) -> None:
    now = utcnow()
    session.add(Activity(kind="task", subject=subject, owner_id=user.id, team_id=user.team_id,
                         due_at=now + due_in if due_in is not None else None,
                         done_at=now if done else None, created_at=now))
    session.commit()


def test_windows_match_the_cards_of_tu_dia(session, people):
    me = people.comercial1
    _task(session, me, "Vencida", timedelta(hours=-2))
    _task(session, me, "Dentro de un minuto", timedelta(minutes=1))
    _task(session, me, "Dentro de tres días", timedelta(days=3))
    _task(session, me, "Sin fecha", None)
    _task(session, me, "Hecha", timedelta(hours=-1), done=True)
    _task(session, people.comercial3, "De otro equipo", timedelta(hours=-3))
    cards = overview.overview(session=session, actor=me)
    s = tab(TasksState, me, path="/tareas", query={"vence": "vencidas"})
    run(s.open_list())
    assert s.view == "vencidas" and [r["subject"] for r in s.rows] == ["Vencida"]
    assert s.total == cards["tasks_overdue"] and s.rows[0]["overdue"] == "1"
    assert s.scope_options == [{"value": "mine", "label": "Mías"}]  # a comercial: only theirs
    run(s.set_view("hoy"))
    assert s.total == cards["tasks_due"] == int(s.counts["hoy"])
    assert [r["subject"] for r in s.rows] in (["Dentro de un minuto"], [])  # near midnight
    run(s.set_view("proximas"))
    assert "Dentro de tres días" in [r["subject"] for r in s.rows]
    assert s.total == cards["tasks_upcoming"]
    run(s.set_view("hechas"))
    assert [r["subject"] for r in s.rows] == ["Hecha"] and s.total == cards["tasks_done"]


def test_row_and_bulk_actions(session, people):
    me = people.comercial1
    for subject in ("Uno", "Dos"):
        _task(session, me, subject, timedelta(hours=-2))
    s = tab(TasksState, me, path="/tareas", query={"vence": "vencidas"})
    run(s.open_list())
    first = s.rows[0]["id"]
    run(s.plus_day(first))  # overdue → tomorrow, same time: now an upcoming one
    assert s.total == 1 and s.counts["proximas"] == "1"
    run(s.toggle_page(True))
    run(s.mark_done(""))  # the selection
    assert s.total == 0 and s.counts["hechas"] == "1"
    run(s.set_view("hechas"))
    run(s.reopen(s.rows[0]["id"]))
    assert s.counts["hechas"] == "0" and s.counts["vencidas"] == "1"


def test_a_manager_picks_the_scope(session, people):
    for user in (people.manager1, people.comercial2, people.comercial3):
        _task(session, user, f"De {user.name}", timedelta(days=2))
    s = tab(TasksState, people.manager1, path="/tareas", query={"vence": "proximas"})
    run(s.open_list())
    assert [o["value"] for o in s.scope_options] == ["mine", "team"]
    assert [r["subject"] for r in s.rows] == ["De Manager1"]
    run(s.set_scope("team"))
    assert sorted(r["subject"] for r in s.rows) == ["De Comercial2", "De Manager1"]
    run(s.set_scope("all"))  # not offered to a manager: ignored
    assert s.scope == "team"


def test_an_unknown_window_opens_the_first_tab(session, people):
    s = tab(TasksState, people.comercial1, path="/tareas", query={"vence": "todo"})
    run(s.open_list())
    assert s.view == "hoy"


def test_lists_without_session_go_to_login(engine):
    for state in (TasksState, DocumentsState):
        s = tab(state, None, path="/tareas")
        assert names(run(s.open_list())) == ["_redirect"]


def test_documents_list_is_scoped(session, people):
    from crm_app.models import Document

    for user, name in ((people.comercial1, "mio.pdf"), (people.comercial3, "suyo.pdf")):
        session.add(Document(filename=name, storage_key=name, size=2048, owner_id=user.id,
                             team_id=user.team_id, created_at=utcnow()))
    session.commit()
    s = tab(DocumentsState, people.comercial1, path="/documentos")
    run(s.open_list())
    assert [r["filename"] for r in s.rows] == ["mio.pdf"] and s.rows[0]["size"] == "2 KB"
