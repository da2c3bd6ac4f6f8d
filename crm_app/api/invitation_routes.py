"""``POST /auth/invitation``: the invitee sets the password through the e-mailed link
(issue 12). Public (the link's token is the credential), over plain HTTP so the session cookie
it opens is HttpOnly, like ``/auth/login``.

The invitee's page (``/invitacion/<token>``) posts a plain form here: on success the cookie is
set and the browser goes to ``/``; a password the policy refuses goes back to the page with
the message under its field; a used, replaced or expired link goes back with that reason.
A JSON client (``Accept: application/json``) gets 200 ``{"id", "email"}``, 422 field errors
or 400 ``{"detail", "reason"}``.
"""

from __future__ import annotations

from functools import partial
from urllib.parse import quote, urlencode

import anyio
from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse

from crm_app.api.auth_routes import _login_lanes, _wants_json
from crm_app.api.deps import DBSession
from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.services import user_admin
from crm_app.services.errors import ValidationFailed
from crm_app.settings import get_settings

router = APIRouter(prefix="/auth", tags=["auth"])

MAX_TOKEN = 128
MAX_PASSWORD = 256


@router.post("/invitation")
async def accept_invitation(request: Request, session: DBSession,  # noqa: ANN201
                            token: str = Form("", max_length=MAX_TOKEN),
                            password: str = Form("", max_length=MAX_PASSWORD),
                            password2: str | None = Form(None, max_length=MAX_PASSWORD)):
    page = user_admin.INVITE_PATH + quote(token, safe="")
    accept = partial(user_admin.accept_invitation, session=session, token=token,
                     password=password, password2=password2,
                     ip=request.client.host if request.client else "",
                     user_agent=request.headers.get("user-agent", ""))
    try:
        # argon2 is memory-hard: the same lanes as the logins (auth_routes._login_lanes)
        user, raw = await anyio.to_thread.run_sync(accept, limiter=_login_lanes())
    except user_admin.InvitationInvalid as exc:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message, "reason": exc.reason}, status_code=400)
        return RedirectResponse(f"{page}?{urlencode({'error': exc.message})}", status_code=303)
    except ValidationFailed as exc:
        if _wants_json(request):
            return JSONResponse({"detail": exc.message, "errors": exc.errors}, status_code=422)
        return RedirectResponse(f"{page}?{urlencode(exc.errors)}", status_code=303)
    settings = get_settings()
    response = (JSONResponse({"id": user.id, "email": user.email}) if _wants_json(request)
                else RedirectResponse("/", status_code=303))
    response.set_cookie(SESSION_COOKIE, raw, max_age=settings.session_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure, path="/")
    return response
