"""argon2id password hashing (argon2-cffi's defaults are argon2id with OWASP parameters)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so that case costs the same time as a
    wrong password and does not reveal which emails have accounts. Made on first use, not at
    import: hashing costs ~0.7 s of CPU that every process importing this module (each
    ``crm`` command, each worker, each test run) paid whether it checked a password or not."""
    return _hasher.hash("not-a-real-password-0f3c9a")

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
