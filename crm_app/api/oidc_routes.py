"""SSO routes: ``/auth/oidc/login`` sends the browser to the provider, ``/auth/oidc/callback``
brings it back with a code and opens a CRM session in the same HttpOnly cookie as password
login. Every failure lands on ``/login?error=...`` in Spanish, never on a 500."""

from __future__ import annotations

import hmac
import logging
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from crm_app.api.auth_routes import _safe_next
from crm_app.api.deps import DBSession
from crm_app.auth import oidc
from crm_app.auth.tokens import SESSION_COOKIE
from crm_app.services import sso as sso_service
from crm_app.services.errors import LoginFailed
from crm_app.settings import get_settings

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth/oidc", tags=["auth"])


def _to_login(message: str) -> RedirectResponse:
    response = RedirectResponse(f"/login?error={quote(message)}", status_code=303)
    response.delete_cookie(oidc.STATE_COOKIE, path=oidc.STATE_COOKIE_PATH)
    return response


@router.get("/login")
def oidc_login(next: str = "/") -> RedirectResponse:  # noqa: A002
    settings = get_settings()
    config = oidc.OidcConfig.from_settings(settings)
    if config is None:
        return _to_login(oidc.NOT_CONFIGURED)
    try:
        outgoing = oidc.authorization_request(config)
    except oidc.OidcError as exc:
        log.warning("SSO login: %s", exc.detail or exc.message)
        return _to_login(exc.message)
    except Exception:
        log.exception("SSO login: unexpected error")
        return _to_login(oidc.PROVIDER_UNAVAILABLE)
    cookie = oidc.sign_state({"state": outgoing.state, "nonce": outgoing.nonce,
                              "verifier": outgoing.code_verifier, "next": _safe_next(next)},
                             secret=settings.resolved_secret_key())
    response = RedirectResponse(outgoing.url, status_code=302)
    response.set_cookie(oidc.STATE_COOKIE, cookie, max_age=oidc.STATE_MAX_AGE, httponly=True,
                        samesite="lax", secure=settings.cookie_secure,
                        path=oidc.STATE_COOKIE_PATH)
    return response


@router.get("/callback")
def oidc_callback(request: Request, session: DBSession, code: str = "", state: str = "",
                  error: str = "", error_description: str = "") -> RedirectResponse:
    settings = get_settings()
    config = oidc.OidcConfig.from_settings(settings)
    if config is None:
        return _to_login(oidc.NOT_CONFIGURED)
    try:
        if error:
            raise oidc.OidcError(oidc.PROVIDER_DENIED, f"provider error {error}: "
                                                       f"{error_description[:200]}")
        saved = oidc.load_state(request.cookies.get(oidc.STATE_COOKIE),
                                secret=settings.resolved_secret_key())
        if not state or not hmac.compare_digest(state.encode(), str(saved["state"]).encode()):
            raise oidc.OidcError(oidc.STATE_INVALID, "state parameter does not match the cookie")
        if not code:
            raise oidc.OidcError(oidc.EXCHANGE_FAILED, "callback without code")
        claims = oidc.complete_login(config, code=code, code_verifier=saved["verifier"],
                                     nonce=saved["nonce"])
        user, token = sso_service.login_with_claims(
            session=session, claims=claims, ip=request.client.host if request.client else "",
            user_agent=request.headers.get("user-agent", ""))
    except oidc.OidcError as exc:
        log.warning("SSO callback: %s", exc.detail or exc.message)
        return _to_login(exc.message)
    except LoginFailed as exc:
        return _to_login(exc.message)
    except Exception:
        log.exception("SSO callback: unexpected error")
        return _to_login(oidc.EXCHANGE_FAILED)
    response = RedirectResponse(_safe_next(saved.get("next")), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_days * 86400,
                        httponly=True, samesite="lax", secure=settings.cookie_secure, path="/")
    response.delete_cookie(oidc.STATE_COOKIE, path=oidc.STATE_COOKIE_PATH)
    log.info("SSO login: user %s", user.id)
    return response
