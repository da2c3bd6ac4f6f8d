"""Shared fixtures: an isolated data dir per test session, a fresh SQLite DB per test, users.

The data dir is set before anything reads settings, so no test touches ./var.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="crm-tests-"))
os.environ["CRM_DATA_DIR"] = str(_TMP / "data")
os.environ["CRM_ENV"] = "test"
os.environ.pop("CRM_DATABASE_URL", None)

import pytest  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import crm_app.models  # noqa: E402,F401
from crm_app import db as db_module  # noqa: E402
from crm_app.db import make_engine  # noqa: E402
from crm_app.models import Organisation, Role, Team, User, utcnow  # noqa: E402
from crm_app.settings import get_settings  # noqa: E402

# One argon2 hash reused for fixture users: hashing costs ~50 ms and tests make many users.
FIXTURE_PASSWORD = "demo1234"
_HASH: str | None = None


def fixture_hash() -> str:
    global _HASH
    if _HASH is None:
        from crm_app.auth.passwords import hash_password

        _HASH = hash_password(FIXTURE_PASSWORD)
    return _HASH


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite database for one test, installed as the app's engine too."""
    eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    SQLModel.metadata.create_all(eng)
    db_module.get_engine.cache_clear()
    previous = db_module.get_engine
    db_module.get_engine = lambda: eng  # type: ignore[assignment]
    try:
        yield eng
    finally:
        db_module.get_engine = previous  # type: ignore[assignment]
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as s:
        yield s


class People:
    """The fixture organisation: two teams (Norte, Sur) and one user per role."""

    admin: User
    director: User
    manager1: User
    manager2: User
    comercial1: User
    comercial2: User
    comercial3: User
    team_norte: Team
    team_sur: Team

    def all(self) -> list[User]:
        return [self.admin, self.director, self.manager1, self.manager2, self.comercial1,
                self.comercial2, self.comercial3]


def make_people(session: Session) -> People:
    p = People()
    session.add(Organisation(legal_name="Demo Pruebas S.L.", nif="B12345674"))
    p.team_norte, p.team_sur = Team(name="Norte"), Team(name="Sur")
    session.add_all([p.team_norte, p.team_sur])
    session.flush()

    def user(key: str, role: Role, team: Team | None) -> User:
        u = User(email=f"{key}@test.crm", name=key.capitalize(), role=role,
                 team_id=team.id if team else None, password_hash=fixture_hash(),
                 created_at=utcnow())
        session.add(u)
        session.flush()
        return u

    p.admin = user("admin", Role.ADMIN, None)
    p.director = user("director", Role.DIRECTOR, None)
    p.manager1 = user("manager1", Role.MANAGER, p.team_norte)
    p.manager2 = user("manager2", Role.MANAGER, p.team_sur)
    p.comercial1 = user("comercial1", Role.COMERCIAL, p.team_norte)
    p.comercial2 = user("comercial2", Role.COMERCIAL, p.team_norte)
    p.comercial3 = user("comercial3", Role.COMERCIAL, p.team_sur)
    p.team_norte.manager_id, p.team_sur.manager_id = p.manager1.id, p.manager2.id
    session.commit()
    return p


@pytest.fixture
def people(session: Session) -> People:
    return make_people(session)


@pytest.fixture(scope="session")
def settings():  # noqa: ANN201
    return get_settings()


# --- PostgreSQL: a throwaway server from Debian's packages, one per test session ---


@pytest.fixture(scope="session")
def pg_server():  # noqa: ANN201
    """The running throwaway PostgreSQL server (see tests/pg.py).

    Missing binaries: skip with the install hint, but fail under CI (``make test`` installs
    ``postgresql``, so a missing server there is a broken setup, not an optional test).
    """
    from pg import start_or_skip

    server = start_or_skip()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_url(pg_server) -> str:  # noqa: ANN001
    """``postgresql+psycopg://`` URL of an empty database on the throwaway server."""
    return pg_server.create_database("crm_test")
