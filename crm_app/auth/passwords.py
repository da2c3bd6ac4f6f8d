"""argon2id password hashing (argon2-cffi's defaults are argon2id with OWASP parameters) and
the password policy: the one rule every way of setting a password goes through."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

from crm_app.i18n import t

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so that case costs the same time as a
    wrong password and does not reveal which emails have accounts. Made on first use, not at
    import: hashing costs ~0.7 s of CPU that every process importing this module (each
    ``crm`` command, each worker, each test run) paid whether it checked a password or not."""
    return _hasher.hash("not-a-real-password-0f3c9a")

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 128  # bounds the work a single password costs (zxcvbn, argon2)
MIN_STRENGTH = 3  # zxcvbn score 0-4; 3 = "safely unguessable: moderate protection offline"
_ZXCVBN_MAX = 72  # zxcvbn refuses longer input; the first 72 characters are what it rates

# zxcvbn's dictionaries are English: these Spanish staples (and the CRM's own words) are rated
# as the common words they are in Spain.
SPANISH_COMMON = (
    "contraseña", "contrasena", "clave", "password", "hola", "holahola", "bienvenido",
    "bienvenida", "usuario", "admin", "administrador", "empresa", "crm", "demo", "prueba",
    "secreto", "teamo", "tequiero", "amor", "cariño", "princesa", "futbol", "fútbol",
    "realmadrid", "barcelona", "barca", "atletico", "madrid", "sevilla", "valencia", "bilbao",
    "españa", "espana", "verano", "invierno", "primavera", "otoño", "lunes", "enero",
    "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
    "noviembre", "diciembre", "qwerty", "asdfgh", "zxcvbn", "mimamamemima", "nosequeponer",
)


def _personal_words(values: Iterable[str]) -> list[str]:
    """The words of an email or a name, alone and joined, with and without accents: zxcvbn
    matches whole dictionary words."""
    words: list[str] = []
    for value in values:
        value = (value or "").strip().lower()
        plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        for text in dict.fromkeys((value, plain)):
            if not text:
                continue
            local = text.split("@", 1)[0]
            parts = [p for p in re.split(r"[\s._+@-]+", text) if len(p) > 1]
            words += [*parts, re.sub(r"[\s._+-]+", "", local), local, text]
    return list(dict.fromkeys(words))


def password_problem(password: str, *, personal: Iterable[str] = ()) -> str | None:
    """Why ``password`` is refused (Spanish, for the field error), or ``None`` if it is fine.

    At least 10 characters, at most 128, and not guessable: zxcvbn score >= 3, which refuses
    the common and breached-style passwords (``12345678``, ``password``, ``aaaaaaaaaa``,
    keyboard walks, dates, l33t variants), Spanish staples and the user's own name or email
    (``personal``). The users service calls it, so the CLI and any UI or API that creates
    users or sets a password apply the same rule.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return t("security.password.too_short", min=MIN_PASSWORD_LENGTH)
    if len(password) > MAX_PASSWORD_LENGTH:
        return t("security.password.too_long", max=MAX_PASSWORD_LENGTH)
    own = _personal_words(personal)
    # zxcvbn ranks its user inputs by position: the user's own words are the likeliest
    inputs = [*own, *SPANISH_COMMON]
    # zxcvbn underrates "garcia.empresa1" for Ana García of empresa.es: what is left without
    # the user's own words must hold up on its own
    rest = _strip_words(password, [w for w in own if len(w) >= 3])
    for candidate in dict.fromkeys((password, rest)):
        if zxcvbn(candidate[:_ZXCVBN_MAX], user_inputs=inputs)["score"] < MIN_STRENGTH:
            return t("security.password.weak")
    return None


def _strip_words(password: str, words: list[str]) -> str:
    """``password`` without any of ``words`` (case- and accent-insensitive)."""
    if not words:
        return password
    folded = unicodedata.normalize("NFKD", password.lower()).encode("ascii", "ignore").decode()
    if len(folded) != len(password):  # characters outside ASCII: compare as they are
        folded = password.lower()
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))
    keep = [True] * len(password)
    for match in pattern.finditer(folded):
        for i in range(match.start(), match.end()):
            keep[i] = False
    return "".join(ch for ch, k in zip(password, keep, strict=True) if k)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
