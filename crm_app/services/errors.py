"""Domain errors, mapped to HTTP statuses by the API and to toasts/inline errors by the UI."""

from __future__ import annotations

from crm_app.permissions import PermissionDenied

__all__ = ["Conflict", "DomainError", "LoginFailed", "LoginThrottled", "NotFound",
           "PermissionDenied", "ValidationFailed"]


class DomainError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    def __init__(self, message: str = "No encontrado.") -> None:
        super().__init__(message)


class Conflict(DomainError):
    pass


class ValidationFailed(DomainError):
    """Field-level errors, in Spanish, keyed by field name."""

    def __init__(self, errors: dict[str, str], message: str = "Revisa los datos marcados.") -> None:
        super().__init__(message)
        self.errors = errors


class LoginFailed(DomainError):
    def __init__(self, message: str, *, locked: bool = False) -> None:
        super().__init__(message)
        self.locked = locked


class SecondFactorRequired(LoginFailed):
    """The password was right and the account has a second factor: no session yet.

    ``challenge`` is the raw token of the pending second step (an HttpOnly cookie for the
    browser, a field for JSON clients). A ``LoginFailed``, so any caller that does not know
    about the second step treats it as "not signed in", never as a session.
    """

    def __init__(self, message: str, *, challenge: str) -> None:
        super().__init__(message)
        self.challenge = challenge


class LoginThrottled(LoginFailed):
    """Too many login attempts from this address or on this account: HTTP 429."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyRequests(DomainError):
    """A rate limit of a costly action (e.g. personal-data exports): HTTP 429."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
