"""Cross-site request forgery guard: one ASGI middleware in front of every HTTP route.

A browser sends the session cookie with any request to our host, also when a page of another
site (or another port of this host, which is the *same site*, so ``SameSite=Lax`` does not
stop it) fires a form POST or a ``fetch``. What such a page cannot forge is the ``Origin``
header. So every request that could change state with the cookie's authority must come from
an allowed origin (``Settings.allowed_origins``: CRM_PUBLIC_URL + CRM_ALLOWED_ORIGINS):

- unsafe methods only (POST, PUT, PATCH, DELETE, anything not GET/HEAD/OPTIONS/TRACE): reads
  are protected by CORS instead, and no route changes state on GET;
- only when the request carries the session cookie and no ``Authorization: Bearer`` header:
  a script with a personal token has no ambient authority to abuse, and a request without
  credentials is answered 401 by the route anyway;
- the ``Origin`` header decides; if a privacy setting removed it, the ``Referer``'s origin;
  if both are missing, ``Sec-Fetch-Site: same-origin`` (a header pages cannot set) is the
  browser vouching for a same-origin request; otherwise → 403. ``Origin: null`` (sandboxed
  frames, some redirects) is never allowed;
- the login form (and the other signed-out forms: 2FA step, password reset) is the
  exception: it is sent before there is a session, and scripts log in without an Origin;
  but a login posted *from* a foreign origin (login CSRF: the victim ends up signed in as
  the attacker) is refused too.

It wraps the whole FastAPI app, and Reflex mounts its own app (``/_event``, ``/_upload``)
inside that one, so every router, present or future, is covered without opting in.
"""

from __future__ import annotations

from collections.abc import Iterable
from http.cookies import CookieError, SimpleCookie

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.i18n import t
from crm_app.settings import origin_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
LOGIN_PATH = "/auth/login"
# Forms sent before there is a session, like the login's: the second step of a login and the
# password-reset forms (a foreign page must not sign the victim in as someone else either)
SIGNED_OUT_PATHS = frozenset({LOGIN_PATH, "/auth/login/2fa", "/auth/password/forgot",
                              "/auth/password/reset"})


def _has_session_cookie(headers: Headers) -> bool:
    for raw in headers.getlist("cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:
            # an unparsable header still counts if it names our cookie: err on refusing
            if f"{SESSION_COOKIE}=" in raw:
                return True
            continue
        if jar.get(SESSION_COOKIE) is not None and jar[SESSION_COOKIE].value:
            return True
    return False


def _is_bearer(headers: Headers) -> bool:
    return headers.get("authorization", "").lower().startswith("bearer ")


class OriginGuard:
    """Refuse cookie-authenticated writes whose origin is not allowed (see module doc)."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str]) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)

    def request_origin(self, headers: Headers) -> str | None:
        """The origin the browser says the request comes from, or ``None`` if unknown."""
        if "origin" in headers:
            return origin_of(headers["origin"])  # "null" → None
        if "referer" in headers:
            return origin_of(headers["referer"])
        return None

    def verdict(self, method: str, path: str, headers: Headers) -> str | None:
        """``None`` to let the request through, else the reason to refuse it (Spanish)."""
        if method in SAFE_METHODS:
            return None
        claimed = "origin" in headers or "referer" in headers
        origin = self.request_origin(headers)
        if path in SIGNED_OUT_PATHS:
            if claimed and origin not in self.allowed:
                return t("security.origin.refused", origin=origin or "null")
            return None
        if _is_bearer(headers) or not _has_session_cookie(headers):
            return None
        if origin in self.allowed:
            return None
        if not claimed and headers.get("sec-fetch-site") == "same-origin":
            return None
        if not claimed:
            return t("security.origin.missing")
        return t("security.origin.refused", origin=origin or "null")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            reason = self.verdict(scope["method"].upper(), scope["path"], Headers(scope=scope))
            if reason is not None:
                await JSONResponse({"detail": reason}, status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
