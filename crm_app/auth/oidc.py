"""OpenID Connect single sign-on with Authlib: authorization code flow + PKCE (S256).

Protocol only, no HTTP routes (those live in ``crm_app.api.oidc_routes``):

- ``provider_metadata``: the issuer's discovery document, cached per process for an hour;
- ``provider_keys``: its JWKS, cached too and fetched again when an ID token names a key id
  we do not know yet, which is how providers rotate keys (no rate limit needed: ID tokens come
  straight from the token endpoint, a browser cannot inject one with random key ids);
- ``authorization_request``: the URL to send the browser to, with fresh state, nonce and
  PKCE verifier;
- ``complete_login``: code exchange through Authlib's httpx client, then ``validate_id_token``
  (signature against the JWKS with asymmetric algorithms only, then Authlib's ``CodeIDToken``
  for ``iss``, ``aud``/``azp``, ``exp``/``iat``, ``nonce``, ``at_hash``);
- ``sign_state``/``load_state``: the per-login values travel in a short-lived HMAC-signed
  cookie, not in server memory, so any web worker can finish a login another one started.

Every failure raises ``OidcError`` with a Spanish ``message`` fit for ``/login?error=``; the
technical reason goes to the log only.

JOSE (JWKS, signature) goes through ``joserfc``, not ``authlib.jose``: Authlib 1.6+ deprecates
``authlib.jose`` (gone in 2.0, and it warns on every import), depends on joserfc itself and
validates ID tokens with it in its own OIDC clients; the claims classes are still Authlib's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from crm_app.settings import Settings

if TYPE_CHECKING:
    from authlib.integrations.httpx_client import OAuth2Client
    from joserfc.jwk import KeySet

# Authlib and joserfc are imported where used: every process that builds the API (web workers,
# CLI, tests) would otherwise pay for them, and Authlib's httpx client prints a deprecation
# warning ("use httpx2") on import whatever the warning filters say.

log = logging.getLogger(__name__)

SCOPE = "openid email profile"
CALLBACK_PATH = "/auth/oidc/callback"
STATE_COOKIE = "crm_oidc"
STATE_COOKIE_PATH = "/auth/oidc"
STATE_MAX_AGE = 600  # seconds the user has to finish the login at the provider
HTTP_TIMEOUT = 10.0
METADATA_TTL = 3600.0
LEEWAY = 60  # clock skew tolerated on exp/iat
# Asymmetric algorithms only: an "HS256" token keyed with the public key, or "none", never pass.
ALLOWED_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
                "EdDSA")

NOT_CONFIGURED = ("El inicio de sesión con la cuenta de la empresa (SSO) no está configurado "
                  "en este CRM. Entra con tu correo y contraseña.")
PROVIDER_UNAVAILABLE = ("No se ha podido contactar con el proveedor de identidad de la empresa. "
                        "Inténtalo de nuevo en unos minutos.")
PROVIDER_MISCONFIGURED = ("El proveedor de identidad de la empresa no está bien configurado para "
                          "este CRM. Avisa a un administrador.")
STATE_INVALID = ("La solicitud de inicio de sesión con la cuenta de la empresa ha caducado o no "
                 "es válida. Vuelve a intentarlo.")
PROVIDER_DENIED = "El proveedor de identidad no ha autorizado el inicio de sesión."
EXCHANGE_FAILED = ("No se ha podido completar el inicio de sesión con el proveedor de identidad. "
                   "Vuelve a intentarlo.")
TOKEN_INVALID = ("El proveedor de identidad ha devuelto una identidad no válida. Inicio de "
                 "sesión rechazado.")


class OidcError(Exception):
    """A failed SSO step: ``message`` is for the user (Spanish), ``detail`` for the log."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(detail or message)
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """None when SSO is off (no ``CRM_OIDC_ISSUER`` or no ``CRM_OIDC_CLIENT_ID``)."""
        issuer, client_id = settings.oidc_issuer.strip(), settings.oidc_client_id.strip()
        if not issuer or not client_id:
            return None
        return cls(issuer=issuer, client_id=client_id,
                   client_secret=settings.oidc_client_secret.strip(),
                   redirect_uri=settings.public_url.rstrip("/") + CALLBACK_PATH)


@dataclass(frozen=True)
class AuthRequest:
    url: str
    state: str
    nonce: str
    code_verifier: str


# --- discovery and keys (cached per process) ---

_metadata_cache: dict[str, tuple[float, dict[str, Any]]] = {}  # issuer -> (fetched, doc)
_jwks_cache: dict[str, tuple[float, KeySet]] = {}  # jwks_uri -> (fetched, keys)


def clear_caches() -> None:
    _metadata_cache.clear()
    _jwks_cache.clear()


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise OidcError(PROVIDER_UNAVAILABLE, f"GET {url}: {exc!r}") from exc
    if not isinstance(data, dict):
        raise OidcError(PROVIDER_MISCONFIGURED, f"GET {url}: not a JSON object")
    return data


def provider_metadata(issuer: str) -> dict[str, Any]:
    """The discovery document of ``issuer``, checked and cached for ``METADATA_TTL``."""
    now = time.monotonic()
    cached = _metadata_cache.get(issuer)
    if cached and now - cached[0] < METADATA_TTL:
        return cached[1]
    meta = _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    # OIDC Discovery §4.3: the document must name the issuer we asked (a trailing "/" aside).
    if str(meta.get("issuer", "")).rstrip("/") != issuer.rstrip("/"):
        raise OidcError(PROVIDER_MISCONFIGURED,
                        f"discovery issuer {meta.get('issuer')!r} != configured {issuer!r}")
    missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri")
               if not isinstance(meta.get(k), str) or not meta[k]]
    if missing:
        raise OidcError(PROVIDER_MISCONFIGURED, f"discovery lacks {missing}")
    _metadata_cache[issuer] = (now, meta)
    return meta


def provider_keys(meta: dict[str, Any], *, refresh: bool = False) -> KeySet:
    """The provider's public keys, cached for ``METADATA_TTL``; ``refresh`` refetches."""
    from joserfc.jwk import KeySet  # noqa: PLC0415

    uri = meta["jwks_uri"]
    now = time.monotonic()
    cached = _jwks_cache.get(uri)
    if cached and not refresh and now - cached[0] < METADATA_TTL:
        return cached[1]
    try:
        keys = KeySet.import_key_set(_get_json(uri))
    except OidcError:
        raise
    except Exception as exc:  # malformed key material from the provider
        raise OidcError(PROVIDER_MISCONFIGURED, f"JWKS {uri}: {exc!r}") from exc
    _jwks_cache[uri] = (now, keys)
    return keys


# --- authorization request and code exchange ---

def _client(config: OidcConfig, meta: dict[str, Any]) -> OAuth2Client:
    from authlib.integrations.httpx_client import OAuth2Client  # noqa: PLC0415

    supported = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if not config.client_secret:
        method = "none"  # public client: PKCE alone protects the code
    elif "client_secret_basic" in supported:
        method = "client_secret_basic"
    elif "client_secret_post" in supported:
        method = "client_secret_post"
    else:
        raise OidcError(PROVIDER_MISCONFIGURED, f"no usable token auth method in {supported}")
    client = OAuth2Client(client_id=config.client_id,
                          client_secret=config.client_secret or None,
                          token_endpoint_auth_method=method, scope=SCOPE,
                          redirect_uri=config.redirect_uri, code_challenge_method="S256",
                          timeout=HTTP_TIMEOUT)
    client.register_client_auth_method(("client_secret_basic", _client_secret_basic))
    return client


def _client_secret_basic(client: Any, method: str, uri: str, headers: dict,
                         body: str) -> tuple[str, dict, str]:
    """RFC 6749 §2.3.1: id and secret are form-encoded before base64. Authlib's own encoder
    sends them raw in latin-1, which a provider misreads for secrets with "%", "+" or "ñ"."""
    pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return uri, headers, body


def authorization_request(config: OidcConfig) -> AuthRequest:
    """Fresh state, nonce and PKCE verifier, and the provider URL that carries them."""
    meta = provider_metadata(config.issuer)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # 86 chars, within RFC 7636's 43..128
    with _client(config, meta) as client:
        url, _ = client.create_authorization_url(meta["authorization_endpoint"], state=state,
                                                 code_verifier=verifier, nonce=nonce)
    return AuthRequest(url=url, state=state, nonce=nonce, code_verifier=verifier)


def exchange_code(config: OidcConfig, *, code: str, code_verifier: str) -> dict[str, Any]:
    """The token endpoint's response for ``code``; it must hold an ``id_token``."""
    from authlib.integrations.httpx_client import OAuthError  # noqa: PLC0415

    meta = provider_metadata(config.issuer)
    try:
        with _client(config, meta) as client:
            token = client.fetch_token(meta["token_endpoint"], grant_type="authorization_code",
                                       code=code, code_verifier=code_verifier)
    except OAuthError as exc:
        raise OidcError(EXCHANGE_FAILED, f"token endpoint: {exc.error}: {exc.description}") \
            from exc
    except OidcError:
        raise
    except Exception as exc:  # transport errors (httpx or httpx2, whichever Authlib uses), bad JSON
        raise OidcError(EXCHANGE_FAILED, f"token endpoint: {exc!r}") from exc
    if not isinstance(token.get("id_token"), str):
        raise OidcError(EXCHANGE_FAILED, "token response without id_token")
    return dict(token)


def _unverified_kid(id_token: str) -> str | None:
    try:
        header = json.loads(_unb64(id_token.split(".", 1)[0]))
    except (ValueError, TypeError):
        return None
    return header.get("kid") if isinstance(header, dict) else None


def validate_id_token(config: OidcConfig, id_token: str, *, nonce: str,
                      access_token: str | None = None) -> dict[str, Any]:
    """The ID token's claims once signature, iss, aud, exp, iat and nonce are all right."""
    from authlib.oidc.core import CodeIDToken  # noqa: PLC0415
    from joserfc import jwt  # noqa: PLC0415
    from joserfc.jws import JWSRegistry  # noqa: PLC0415

    meta = provider_metadata(config.issuer)
    algs = [a for a in meta.get("id_token_signing_alg_values_supported") or ["RS256"]
            if a in ALLOWED_ALGS]
    if not algs:
        raise OidcError(PROVIDER_MISCONFIGURED, "provider offers no asymmetric ID token alg")
    keys = provider_keys(meta)
    kid = _unverified_kid(id_token)
    if kid is not None and kid not in {k.kid for k in keys}:
        keys = provider_keys(meta, refresh=True)  # the provider may have rotated its keys
    params: dict[str, Any] = {"nonce": nonce, "client_id": config.client_id}
    if access_token:
        params["access_token"] = access_token  # checks at_hash when the provider sends one
    options = {"iss": {"essential": True, "value": meta["issuer"]},
               "aud": {"essential": True, "value": config.client_id},
               "nonce": {"essential": True, "value": nonce}}
    try:
        token = jwt.decode(id_token, keys,
                           registry=JWSRegistry(algorithms=algs, strict_check_header=False))
        claims = CodeIDToken(token.claims, token.header, options, params)
        claims.validate(leeway=LEEWAY)
    except Exception as exc:  # any flaw in untrusted input means "refused", never a 500
        raise OidcError(TOKEN_INVALID, f"id_token refused: {exc!r}") from exc
    return dict(claims)


def complete_login(config: OidcConfig, *, code: str, code_verifier: str,
                   nonce: str) -> dict[str, Any]:
    """Exchange the code and return the validated ID token claims."""
    token = exchange_code(config, code=code, code_verifier=code_verifier)
    return validate_id_token(config, token["id_token"], nonce=nonce,
                             access_token=token.get("access_token"))


# --- the signed state cookie ---

def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(payload: str, secret: str) -> str:
    key = hmac.new(secret.encode(), b"crm_app.auth.oidc state cookie", hashlib.sha256).digest()
    return _b64(hmac.new(key, payload.encode(), hashlib.sha256).digest())


def sign_state(data: dict[str, str], *, secret: str, now: float | None = None) -> str:
    """``data`` plus the issue time, JSON, base64url, HMAC-SHA256: readable, not forgeable."""
    body = {**data, "iat": int(time.time() if now is None else now)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_mac(payload, secret)}"


def load_state(value: str | None, *, secret: str, max_age: int = STATE_MAX_AGE,
               now: float | None = None) -> dict[str, Any]:
    """The data of a cookie made by ``sign_state`` if untampered and younger than max_age."""
    if not value or value.count(".") != 1:
        raise OidcError(STATE_INVALID, "state cookie missing")
    payload, mac = value.split(".")
    if not hmac.compare_digest(mac, _mac(payload, secret)):
        raise OidcError(STATE_INVALID, "state cookie signature mismatch")
    try:
        data = json.loads(_unb64(payload))
        age = (time.time() if now is None else now) - int(data["iat"])
    except (ValueError, TypeError, KeyError) as exc:
        raise OidcError(STATE_INVALID, f"state cookie unreadable: {exc!r}") from exc
    if not -LEEWAY <= age <= max_age:
        raise OidcError(STATE_INVALID, f"state cookie {int(age)} s old")
    return data
