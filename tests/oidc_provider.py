"""A tiny OpenID Connect provider for the SSO tests, served by uvicorn in a thread.

Discovery, ``/authorize`` (no login screen: it redirects straight back to ``redirect_uri``
with a code and the state, remembering nonce and PKCE challenge), ``/token`` (checks client
credentials, redirect_uri and the PKCE verifier, returns an RS256 ``id_token``) and ``/jwks``.

Tests steer it through attributes: ``user`` (claims of whoever "logs in" next),
``overrides`` (claims forced into the next ID tokens, e.g. a wrong ``aud``), ``signing_key``
(sign with a key that is not published), ``alg_none``, ``deny`` and ``token_error``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
import warnings
from typing import Any
from urllib.parse import unquote_plus, urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

# The provider signs with authlib.jose, the CRM verifies with joserfc: two implementations
# must agree. authlib.jose is deprecated (Authlib 2.0 drops it) and warns on import.
with warnings.catch_warnings():
    import authlib.deprecate  # installs an "always" filter of its own: ours must come after it

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from authlib.jose import JsonWebKey, JsonWebToken


def new_key(kid: str) -> Any:
    return JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": kid})


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class OidcProvider:
    def __init__(self, *, client_id: str, client_secret: str, key: Any) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.published = [key]  # what /jwks serves
        self.signing_key = key  # what /token signs with
        # bound now and handed to uvicorn: no window for another process to take the port
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind(("127.0.0.1", 0))
        self.port = self._socket.getsockname()[1]
        self.codes: dict[str, dict[str, Any]] = {}
        self.hits: dict[str, int] = {}
        self.authorize_params: list[dict[str, str]] = []
        self.token_forms: list[dict[str, str]] = []
        self.reset()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def reset(self) -> None:
        self.user: dict[str, Any] = {"sub": "sub-1", "email": "ana@sso.crm",
                                     "email_verified": True, "name": "Ana"}
        self.overrides: dict[str, Any] = {}
        self.signing_key = self.published[0]
        self.alg_none = False
        self.deny = False
        self.token_error = False

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- endpoints ---

    def _count(self, name: str) -> None:
        self.hits[name] = self.hits.get(name, 0) + 1

    async def discovery(self, _: Request) -> Response:
        self._count("discovery")
        return JSONResponse({
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic",
                                                      "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        })

    async def jwks(self, _: Request) -> Response:
        self._count("jwks")
        return JSONResponse({"keys": [k.as_dict(is_private=False) for k in self.published]})

    async def authorize(self, request: Request) -> Response:
        q = dict(request.query_params)
        self.authorize_params.append(q)
        problems = [name for name, ok in (
            ("response_type", q.get("response_type") == "code"),
            ("client_id", q.get("client_id") == self.client_id),
            ("scope", "openid" in q.get("scope", "").split()),
            ("redirect_uri", bool(q.get("redirect_uri"))),
            ("state", bool(q.get("state"))),
            ("nonce", bool(q.get("nonce"))),
            ("code_challenge_method", q.get("code_challenge_method") == "S256"),
            ("code_challenge", len(q.get("code_challenge", "")) == 43),
        ) if not ok]
        if problems:
            return PlainTextResponse(f"bad authorization request: {problems}", status_code=400)
        if self.deny:
            back = {"error": "access_denied", "error_description": "user said no",
                    "state": q["state"]}
            return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", status_code=302)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {"nonce": q["nonce"], "challenge": q["code_challenge"],
                            "redirect_uri": q["redirect_uri"], "user": dict(self.user)}
        back = {"code": code, "state": q["state"]}
        return RedirectResponse(f"{q['redirect_uri']}?{urlencode(back)}", status_code=302)

    def _client_ok(self, request: Request, form: dict[str, str]) -> bool:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            raw = base64.b64decode(header[6:]).decode()
            cid, _, secret = raw.partition(":")
            cid, secret = unquote_plus(cid), unquote_plus(secret)  # RFC 6749 §2.3.1
        else:
            cid, secret = form.get("client_id", ""), form.get("client_secret", "")
        return cid == self.client_id and secret == self.client_secret

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_forms.append(form)
        if self.token_error:
            return PlainTextResponse("upstream exploded", status_code=502)
        if not self._client_ok(request, form):
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        grant = self.codes.pop(form.get("code", ""), None)  # single use
        if (form.get("grant_type") != "authorization_code" or grant is None
                or form.get("redirect_uri") != grant["redirect_uri"]):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        if s256(form.get("code_verifier", "")) != grant["challenge"]:
            return JSONResponse({"error": "invalid_grant",
                                 "error_description": "PKCE verification failed"},
                                status_code=400)
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": self.client_id, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **grant["user"], **self.overrides}
        claims = {k: v for k, v in claims.items() if v is not None}  # None = drop the claim
        return JSONResponse({"access_token": secrets.token_urlsafe(24), "token_type": "Bearer",
                             "expires_in": 300, "id_token": self.sign(claims)})

    def sign(self, claims: dict[str, Any]) -> str:
        if self.alg_none:
            def part(obj: dict) -> str:
                raw = json.dumps(obj).encode()
                return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
            return f"{part({'alg': 'none', 'kid': self.signing_key.kid})}.{part(claims)}."
        header = {"alg": "RS256", "kid": self.signing_key.kid}
        return JsonWebToken(["RS256"]).encode(header, claims, self.signing_key).decode()

    # --- server ---

    def app(self) -> Starlette:
        return Starlette(routes=[
            Route("/.well-known/openid-configuration", self.discovery),
            Route("/jwks", self.jwks),
            Route("/authorize", self.authorize),
            Route("/token", self.token, methods=["POST"]),
        ])

    def start(self, timeout: float = 10) -> OidcProvider:
        config = uvicorn.Config(self.app(), log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._socket]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test OIDC provider did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._socket.close()
