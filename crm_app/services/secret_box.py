"""Secrets the CRM must use again later (the company's SMTP password), encrypted at rest.

Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key derived from the
app's secret key (``CRM_SECRET_KEY`` or the generated ``secret_key`` file of the data dir)
with HKDF and a purpose label, so the same secret key never serves two purposes. A token
that no longer opens (the secret key was changed) is ``SecretUnreadable``: the user types
the password again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crm_app.settings import get_settings


class SecretUnreadable(Exception):
    """The stored secret was encrypted under another secret key."""


def _fernet(purpose: str, secret_key: str | None = None) -> Fernet:
    secret = (secret_key or get_settings().resolved_secret_key()).encode()
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"crm-secret-box",
               info=purpose.encode()).derive(secret)
    return Fernet(base64.urlsafe_b64encode(raw))


def encrypt(plain: str, *, purpose: str, secret_key: str | None = None) -> str:
    """The token to store; ``""`` stays ``""`` (no secret)."""
    if not plain:
        return ""
    return _fernet(purpose, secret_key).encrypt(plain.encode()).decode()


def decrypt(token: str, *, purpose: str, secret_key: str | None = None) -> str:
    if not token:
        return ""
    try:
        return _fernet(purpose, secret_key).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise SecretUnreadable(purpose) from exc


__all__ = ["SecretUnreadable", "decrypt", "encrypt"]
