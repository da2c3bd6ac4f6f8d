"""Opaque random tokens stored only as SHA-256: a leaked table does not leak sessions."""

from __future__ import annotations

import hashlib
import secrets

SESSION_COOKIE = "crm_session"
API_TOKEN_PREFIX = "crm_"


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
