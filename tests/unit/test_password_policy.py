"""The password policy (issue 10, part 2): ``12345678``, ``password`` and ``aaaaaaaa`` used to
be accepted. Now at least 10 characters, at most 128, and not guessable (zxcvbn score >= 3,
Spanish staples and the user's own name and email included), with a Spanish reason; one
function, applied by the users service that the CLI (and any future UI/API) goes through.
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from crm_app.auth.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    password_problem,
    verify_password,
)
from crm_app.i18n import t
from crm_app.models import User
from crm_app.services.actors import SYSTEM
from crm_app.services.demo import DEMO_PASSWORD, demo_password_hash
from crm_app.services.errors import ValidationFailed
from crm_app.services.users import create_user

WEAK = t("security.password.weak")
SHORT = t("security.password.too_short", min=MIN_PASSWORD_LENGTH)


@pytest.mark.parametrize(("password", "reason"), [
    ("12345678", SHORT), ("password", SHORT), ("aaaaaaaa", SHORT), ("demo1234", SHORT),
    ("Ab1$xyz9", SHORT), ("", SHORT),
    ("aaaaaaaaaa", WEAK), ("1234567890", WEAK), ("0123456789", WEAK), ("password12", WEAK),
    ("Password123", WEAK), ("passwordpassword", WEAK), ("qwertyuiop", WEAK),
    ("abcdefghij", WEAK), ("iloveyou12", WEAK), ("P@ssw0rd2024", WEAK),
    ("contraseña123", WEAK), ("Contrasena1", WEAK), ("realmadrid1", WEAK),
    ("Barcelona2024", WEAK), ("01/01/2000!", WEAK),
])
def test_short_and_guessable_passwords_are_refused(password: str, reason: str) -> None:
    assert password_problem(password) == reason


@pytest.mark.parametrize("password", ["ana.garcia2024", "AnaGarcia2024!", "garcia.empresa1"])
def test_the_users_own_name_and_email_are_guessable(password: str) -> None:
    personal = ["ana.garcia@empresa.crm", "Ana García"]
    assert password_problem(password, personal=personal) == WEAK


@pytest.mark.parametrize("password", [
    "clave-segura-1", "s3creta-larga", "una clave larga", "correcto-caballo-bateria",
    "Xk7#pQ2$vL",  # exactly 10 characters, random
    "mi perro se llama Toby y come pienso",
    "Zq3vT9-rW1xK7pLm2Nc8bYh5Fd4Gs6Aj0Ue_Io" * 3 + "Ab1-Cd2-Ef3-Gh4-Ij5-Kl6-Mn7-Op8-Qr9"[:14],
])
def test_strong_passwords_are_accepted(password: str) -> None:
    assert password_problem(password, personal=["ana.garcia@empresa.crm", "Ana García"]) is None


def test_length_limits_at_the_edges() -> None:
    legal = ("Zq3vT9-rW1xK7pLm2Nc8bYh5Fd4Gs6Aj0Ue_Io" * 4)[:MAX_PASSWORD_LENGTH]
    assert password_problem(legal) is None
    assert password_problem(legal + "x") == t("security.password.too_long",
                                               max=MAX_PASSWORD_LENGTH)
    assert password_problem("Xk7#pQ2$v") == SHORT  # 9 characters


def test_the_users_service_applies_it_and_creates_nothing(session: Session) -> None:
    with pytest.raises(ValidationFailed) as exc:
        create_user(session=session, actor=SYSTEM, email="pepe@empresa.es", name="Pepe",
                    role="comercial", password="12345678", team_name="Nuevo")
    assert exc.value.errors == {"password": SHORT}
    with pytest.raises(ValidationFailed) as exc:
        create_user(session=session, actor=SYSTEM, email="pepe@empresa.es", name="Pepe",
                    role="comercial", password="pepe.empresa1")
    assert exc.value.errors == {"password": WEAK}
    assert session.exec(select(User)).all() == []
    user = create_user(session=session, actor=SYSTEM, email="pepe@empresa.es", name="Pepe",
                       role="comercial", password="correcto-caballo-bateria")
    assert verify_password(user.password_hash, "correcto-caballo-bateria")


def test_the_demo_keeps_its_known_password() -> None:
    """The demo users are written with a ready-made hash of ``demo1234`` (never through the
    users service), so the demo logins printed by ``crm run`` keep working; a real user
    could not choose that password."""
    assert DEMO_PASSWORD == "demo1234"
    assert verify_password(demo_password_hash(), DEMO_PASSWORD)
    assert password_problem(DEMO_PASSWORD) == SHORT
