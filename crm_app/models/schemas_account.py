"""API shapes of the account-security routes (issue 12): not tables."""

from __future__ import annotations

from pydantic import BaseModel


class PasswordResetSentPublic(BaseModel):
    """Where the reset link went."""

    email: str
