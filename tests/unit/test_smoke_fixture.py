from sqlmodel import select

from crm_app.models import User


def test_people_fixture_creates_one_user_per_role(session, people):
    roles = sorted(u.role for u in session.exec(select(User)).all())
    assert roles == ["admin", "comercial", "comercial", "comercial", "director", "manager",
                     "manager"]
