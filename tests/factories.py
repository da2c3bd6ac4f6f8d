"""Test data factories shared by the suite (imported as ``factories``: tests/ is on sys.path).

Kept out of conftest.py because ``from factories import ...`` is ambiguous once tests/ui has a
conftest of its own.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from sqlmodel import Session, SQLModel

from crm_app.db import make_engine
from crm_app.models import Organisation, Role, Team, User, utcnow

# One argon2 hash reused for fixture users (per hasher strength: see conftest's
# ``_argon2_strength``): hashing is slow by design and tests make many users.
FIXTURE_PASSWORD = "demo1234"
_HASHES: dict[int, str] = {}


def fixture_hash() -> str:
    from crm_app.auth import passwords

    key = id(passwords._hasher)
    if key not in _HASHES:
        _HASHES[key] = passwords.hash_password(FIXTURE_PASSWORD)
    return _HASHES[key]


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




@functools.cache
def empty_schema() -> Path:
    """A SQLite file with every table of the models and no rows, made once per process (and
    removed when it ends): tests copy it (~4 ms) instead of running ``create_all`` (~70 ms)
    in each of hundreds of tests."""
    folder = tempfile.mkdtemp(prefix="crm-schema-")
    atexit.register(shutil.rmtree, folder, True)
    path = Path(folder) / "empty.db"
    eng = make_engine(f"sqlite:///{path}")
    try:
        SQLModel.metadata.create_all(eng)
        with eng.connect() as conn:  # everything in the file itself, nothing left in the WAL
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        eng.dispose()
    return path
