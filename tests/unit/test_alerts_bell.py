"""The bell shows the alerts addressed to the user, not every alert the role may see."""

from __future__ import annotations

from crm_app.models import Alert, utcnow
from crm_app.services import alerts


def _alert(session, user, message: str, **kw) -> Alert:
    row = Alert(kind="test", message=message, owner_id=user.id, team_id=user.team_id,
                created_at=utcnow(), **kw)
    session.add(row)
    session.commit()
    return row


def test_each_person_sees_their_own_alerts(session, people):
    """Newest first; read ones stay listed but do not count on the badge."""
    _alert(session, people.admin, "Copia fallida")
    _alert(session, people.director, "Copia fallida")
    _alert(session, people.comercial1, "Presupuesto aceptado")
    _alert(session, people.comercial1, "Ya resuelta", resolved_at=utcnow())
    _alert(session, people.comercial1, "Leída", read_at=utcnow())
    for user, count, shown in [(people.admin, 1, ["Copia fallida"]),
                               (people.director, 1, ["Copia fallida"]),
                               (people.manager1, 0, []),  # the team's alerts are not theirs
                               (people.comercial1, 1, ["Leída", "Presupuesto aceptado"]),
                               (people.comercial2, 0, [])]:
        assert alerts.open_alerts_count(session=session, actor=user) == count, user.email
        assert [a["message"] for a in alerts.open_alerts(session=session, actor=user)] == \
            shown, user.email


def test_an_inactive_user_sees_nothing(session, people):
    _alert(session, people.comercial1, "Hola")
    people.comercial1.active = False
    session.add(people.comercial1)
    session.commit()
    assert alerts.open_alerts_count(session=session, actor=people.comercial1) == 0
