"""Login and logout over plain HTTP so the session cookie can be HttpOnly."""

from __future__ import annotations

import asyncio
import weakref
from functools import partial
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from crm_app.api.deps import DBSession
from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.i18n import t
from crm_app.services import account as account_service
from crm_app.services import auth as auth_service
from crm_app.services.errors import (
    LoginFailed,
    LoginThrottled,
    SecondFactorRequired,
    ValidationFailed,
)
from crm_app.settings import get_settings

CHALLENGE_COOKIE = "crm_2fa"  # the pending second step of a login (HttpOnly, /auth only)

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
        return _throttled(request, exc, "/login")
    except SecondFactorRequired as exc:
        return _second_step(request, exc, next)
    except LoginFailed as exc:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message, "locked": exc.locked}, status_code=401)
        return RedirectResponse(f"/login?error={quote(exc.message)}", status_code=303)
    return _signed_in(request, user, token, next)


def _throttled(request: Request, exc: LoginThrottled, page: str) -> Any:
    retry = {"Retry-After": str(exc.retry_after)}
    if _is_browser_form(request):  # back to the form, with the wait explained
        sep = "&" if "?" in page else "?"
        return RedirectResponse(f"{page}{sep}error={quote(exc.message)}", status_code=303,
                                headers=retry)
    return JSONResponse({"detail": exc.message, "locked": False,
                         "retry_after": exc.retry_after}, status_code=429, headers=retry)


def _signed_in(request: Request, user: Any, token: str, next_path: str) -> Any:
    settings = get_settings()
    response = (JSONResponse({"id": user.id, "email": user.email}) if _wants_json(request)
                else RedirectResponse(_safe_next(next_path), status_code=303))
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure, path="/")
    response.delete_cookie(CHALLENGE_COOKIE, path="/auth")
    return response


def _second_step(request: Request, exc: SecondFactorRequired, next_path: str) -> Any:
    """The password was right and a code is due: no session cookie, only the challenge's.

    JSON clients get 401 with ``two_factor_required`` and the ``challenge`` to send with the
    code to ``POST /auth/login/2fa``; the browser goes to the code page."""
    if _wants_json(request):
        response: Any = JSONResponse({"detail": exc.message, "locked": False,
                                      "two_factor_required": True,
                                      "challenge": exc.challenge}, status_code=401)
    else:
        response = RedirectResponse(
            f"/login/verificacion?next={quote(_safe_next(next_path))}", status_code=303)
    response.set_cookie(CHALLENGE_COOKIE, exc.challenge,
                        max_age=auth_service.CHALLENGE_MINUTES * 60, httponly=True,
                        samesite="strict", secure=get_settings().cookie_secure, path="/auth")
    return response


@router.post("/login/2fa")
async def login_second_factor(request: Request, session: DBSession,  # noqa: ANN201
                              code: str = Form(""), challenge: str = Form(""),
                              next: str = Form("/")):  # noqa: A002
    """The login's second step: the TOTP code (or a recovery code) of the account whose
    password was right; ``challenge`` from the first step's answer (or its cookie)."""
    ip = request.client.host if request.client else ""
    pending = challenge or request.cookies.get(CHALLENGE_COOKIE, "")
    try:
        user, token = await run_in_threadpool(
            partial(account_service.complete_login, session=session, challenge=pending,
                    code=code, ip=ip, user_agent=request.headers.get("user-agent", "")))
    except LoginThrottled as exc:
        return _throttled(request, exc, f"/login/verificacion?next={quote(_safe_next(next))}")
    except LoginFailed as exc:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message, "locked": exc.locked}, status_code=401)
        again = not exc.locked and exc.message != t("account.login2.expired")
        target = (f"/login/verificacion?next={quote(_safe_next(next))}&" if again
                  else "/login?")
        response = RedirectResponse(f"{target}error={quote(exc.message)}", status_code=303)
        if not again:
            response.delete_cookie(CHALLENGE_COOKIE, path="/auth")
        return response
    return _signed_in(request, user, token, next)


@router.post("/password/forgot")
async def forgot_password(request: Request, session: DBSession,  # noqa: ANN201
                          background: BackgroundTasks, email: str = Form("")):
    """"¿Has olvidado tu contraseña?": the same answer (202, or the page's "sent" notice)
    whether or not an active account has ``email``; the link leaves after the answer."""
    ip = request.client.host if request.client else ""
    address = account_service.valid_email(email[:320])
    if address is None:
        if _is_browser_form(request):
            return RedirectResponse(
                f"/login/recuperar?error={quote(t('account.err.email'))}", status_code=303)
        raise ValidationFailed({"email": t("account.err.email")})
    try:
        await run_in_threadpool(account_service.admit_reset_request, email=address, ip=ip)
    except LoginThrottled as exc:
        return _throttled(request, exc, "/login/recuperar")
    mail = await run_in_threadpool(
        partial(account_service.request_password_reset, session=session, email=address, ip=ip))
    background.add_task(account_service.deliver, mail)
    if _is_browser_form(request):
        return RedirectResponse("/login/recuperar?enviado=1", status_code=303)
    return JSONResponse({"detail": t("account.reset.sent")}, status_code=202)


@router.post("/password/reset")
async def reset_password(request: Request, session: DBSession,  # noqa: ANN201
                         token: str = Form(""), password: str = Form(""),
                         password2: str | None = Form(None)):
    """Set a new password through the e-mailed link: the policy applies, the link is used up,
    every session of the user ends and the login lock is cleared. Field errors (422):
    ``token``, ``password``, ``password2``."""
    try:
        await run_in_threadpool(
            partial(account_service.reset_password, session=session, token=token[:200],
                    password=password[:1000],
                    password2=None if password2 is None else password2[:1000]))
    except ValidationFailed as exc:
        if not _is_browser_form(request):
            raise
        first = next(iter(exc.errors.values()), exc.message)
        back = (f"/login/nueva-contrasena?token={quote(token[:200])}&error={quote(first)}"
                if "token" not in exc.errors else f"/login/recuperar?error={quote(first)}")
        return RedirectResponse(back, status_code=303)
    if _is_browser_form(request):
        return RedirectResponse("/login?aviso=contrasena", status_code=303)
    return JSONResponse({"detail": t("account.reset.done")})


@router.post("/logout")
def logout(request: Request, session: DBSession):  # noqa: ANN201
    auth_service.logout(session=session, token=request.cookies.get(SESSION_COOKIE))
    response = (JSONResponse({"ok": True}) if _wants_json(request)
                else RedirectResponse("/login", status_code=303))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
