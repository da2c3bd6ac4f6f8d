"""Login and logout over plain HTTP so the session cookie can be HttpOnly."""

from __future__ import annotations

import asyncio
import weakref
from functools import partial
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from crm_app.api.deps import DBSession
from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.services import auth as auth_service
from crm_app.services.errors import LoginFailed, LoginThrottled
from crm_app.settings import get_settings

router = APIRouter(prefix="/auth", tags=["auth"])


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _is_browser_form(request: Request) -> bool:
    """The login page's own form (a browser navigation), as opposed to a script or client."""
    return (not _wants_json(request)
            and (request.headers.get("sec-fetch-mode") == "navigate"
                 or "text/html" in request.headers.get("accept", "")))


def _safe_next(value: str | None) -> str:
    """Only local paths, never an open redirect.

    Browsers read ``/\\evil.example`` as ``//evil.example`` and drop tabs and newlines
    (``/<TAB>/evil.example``), so backslashes and control characters are refused too.
    """
    if (value and value.startswith("/") and not value.startswith("//")
            and "\\" not in value and value.isprintable()):
        return value
    return "/"


_lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = \
    weakref.WeakKeyDictionary()


def _login_lanes() -> anyio.CapacityLimiter:
    """Logins run at most ``login_concurrency`` at a time, on threads of their own.

    argon2id is memory-hard (64 MiB and 4 lanes per verification): forty at once thrash the
    CPU and memory, and each holds one of the 40 workers of the thread pool that every other
    route (``/api/health`` included) needs. A flood from many addresses, which no per-IP or
    per-account window sees, took ``/api/health`` to 15-30 s that way; waiting for a lane in
    the event loop instead, it stays at tens of milliseconds (benchmarks/bench_login_flood.py)
    while logins queue.
    """
    loop = asyncio.get_running_loop()
    if loop not in _lanes:
        _lanes[loop] = anyio.CapacityLimiter(get_settings().login_concurrency)
    return _lanes[loop]


@router.post("/login")
async def login(request: Request, session: DBSession, email: str = Form(""),  # noqa: ANN201
                password: str = Form(""), next: str = Form("/")):  # noqa: A002
    settings = get_settings()
    ip = request.client.host if request.client else ""
    try:
        # the throttle first, on the shared pool (it is quick): a throttled attempt is answered
        # at once instead of queueing behind the argon2 verifications of the admitted ones
        attempt = await run_in_threadpool(auth_service.admit_login, email=email, ip=ip)
        authenticate = partial(auth_service.authenticate, session=session, email=email,
                               password=password, ip=ip, attempt=attempt,
                               user_agent=request.headers.get("user-agent", ""))
        user, token = await anyio.to_thread.run_sync(authenticate, limiter=_login_lanes())
    except LoginThrottled as exc:
        retry = {"Retry-After": str(exc.retry_after)}
        if _is_browser_form(request):  # back to the form, with the wait explained
            return RedirectResponse(f"/login?error={quote(exc.message)}", status_code=303,
                                    headers=retry)
        return JSONResponse({"detail": exc.message, "locked": False,
                             "retry_after": exc.retry_after}, status_code=429, headers=retry)
    except LoginFailed as exc:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message, "locked": exc.locked}, status_code=401)
        return RedirectResponse(f"/login?error={quote(exc.message)}", status_code=303)
    response = (JSONResponse({"id": user.id, "email": user.email}) if _wants_json(request)
                else RedirectResponse(_safe_next(next), status_code=303))
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure, path="/")
    return response


@router.post("/logout")
def logout(request: Request, session: DBSession):  # noqa: ANN201
    auth_service.logout(session=session, token=request.cookies.get(SESSION_COOKIE))
    response = (JSONResponse({"ok": True}) if _wants_json(request)
                else RedirectResponse("/login", status_code=303))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
