"""``crm users set-password --email E --password-stdin``, ``crm users deactivate`` and
``reactivate`` (issue 12): for scripted installs, with the password policy, audited as the
system (``actor_id`` NULL); deactivation revokes sessions and tokens like the screen does."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_runner import crm
from live_api import prepare_database
from sqlmodel import Session, select

from crm_app.db import make_engine
from crm_app.models import ApiToken, AuditEvent, User, UserSession
from crm_app.services import auth as auth_service
from crm_app.services.actors import SYSTEM

GOOD_PASSWORD = "tranvía-azul-cometa-93"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    prepare_database(f"sqlite:///{folder / 'crm.db'}")
    return folder


def _engine(data_dir: Path):  # noqa: ANN202
    return make_engine(f"sqlite:///{data_dir / 'crm.db'}")


def test_set_password_deactivate_reactivate(data_dir: Path) -> None:
    r = crm("users", "create", "--email", "ana@demo.es", "--name", "Ana Ruiz", "--role",
            "admin", "--password-stdin", data_dir=data_dir, stdin="otra-frase-larga-de-prueba-7\n")
    assert r.returncode == 0, r.stderr
    r = crm("users", "create", "--email", "luis@demo.es", "--name", "Luis Gil",
            "--password-stdin", data_dir=data_dir, stdin="otra-frase-larga-de-prueba-8\n")
    assert r.returncode == 0, r.stderr

    weak = crm("users", "set-password", "--email", "luis@demo.es", "--password-stdin",
               data_dir=data_dir, stdin="12345678\n")
    assert weak.returncode != 0 and "password" in (weak.stderr + weak.stdout)
    missing = crm("users", "set-password", "--email", "nadie@demo.es", "--password-stdin",
                  data_dir=data_dir, stdin=GOOD_PASSWORD + "\n")
    assert missing.returncode != 0 and "no encontrado" in (missing.stderr + missing.stdout)
    no_stdin = crm("users", "set-password", "--email", "luis@demo.es", data_dir=data_dir)
    assert no_stdin.returncode != 0

    engine = _engine(data_dir)
    try:
        with Session(engine) as s:
            _, cookie = auth_service.authenticate(session=s, email="luis@demo.es",
                                                  password="otra-frase-larga-de-prueba-8")
            luis = s.exec(select(User).where(User.email == "luis@demo.es")).one()
            token = auth_service.create_api_token(session=s, actor=SYSTEM, user=luis)
        r = crm("users", "set-password", "--email", "LUIS@demo.es", "--password-stdin",
                data_dir=data_dir, stdin=GOOD_PASSWORD + "\n")
        assert r.returncode == 0, r.stderr
        assert "Contraseña cambiada para luis@demo.es" in r.stdout
        assert GOOD_PASSWORD not in r.stdout + r.stderr
        with Session(engine) as s:
            assert auth_service.user_for_session(session=s, token=cookie) is None
            auth_service.authenticate(session=s, email="luis@demo.es", password=GOOD_PASSWORD)

        r = crm("users", "deactivate", "--email", "luis@demo.es", data_dir=data_dir)
        assert r.returncode == 0, r.stderr
        with Session(engine) as s:
            assert auth_service.user_for_api_token(session=s, token=token) is None
            assert all(x.revoked_at for x in s.exec(select(UserSession)).all())
            assert all(x.revoked_at for x in s.exec(select(ApiToken)).all())
            assert not s.exec(select(User).where(User.email == "luis@demo.es")).one().active

        last = crm("users", "deactivate", "--email", "ana@demo.es", data_dir=data_dir)
        assert last.returncode != 0 and "último administrador" in last.stderr + last.stdout

        r = crm("users", "reactivate", "--email", "luis@demo.es", data_dir=data_dir)
        assert r.returncode == 0 and "reactivado" in r.stdout
        with Session(engine) as s:
            events = s.exec(select(AuditEvent).where(AuditEvent.action.in_(
                ["set_password", "deactivate", "reactivate"]))).all()
            assert sorted(e.action for e in events) == ["deactivate", "reactivate",
                                                        "set_password"]
            assert {e.actor_id for e in events} == {None}  # the system
            assert GOOD_PASSWORD not in repr([(e.before, e.after, e.note) for e in events])
    finally:
        engine.dispose()
